//! Rubric editing (考核细则) in the console: the town office changes items (name, full marks,
//! points per finding), adds or drops items, sets the grade bands, the deductions fed by
//! dispatch and the vetoes (一票否决). Saving makes a new version; scores already published
//! keep the version they were computed with. Refusals name the row and field in Chinese.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::choices;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wuguan_platform::Role;
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::vocab::assessment::{DispatchMetric, LeagueIndicator, RubricArea, VetoCondition};

/// One row of the form as typed: (code, area, name, full marks, points per finding).
type ItemRow = (String, String, String, String, String);
/// (item, metric, points).
type DeductionRow = (String, String, String);
/// (condition, threshold).
type VetoRow = (String, String);
/// (indicator, its label, weight).
type LeagueRow = (&'static str, &'static str, String);

/// The league indicators a weight applies to (volume is shown, not scored).
fn scored_indicators() -> impl Iterator<Item = LeagueIndicator> {
    LeagueIndicator::ALL.iter().copied().filter(|i| i.is_scored())
}

#[derive(Template)]
#[template(path = "console/rubric.html")]
struct RubricPage {
    nav: Option<Nav>,
    csrf: String,
    version: i64,
    created: String,
    total: String,
    can_edit: bool,
    items: Vec<ItemRow>,
    bands: (String, String, String),
    deductions: Vec<DeductionRow>,
    vetoes: Vec<VetoRow>,
    /// 红黑榜: the least tickets to be ranked, and each scored indicator (name, label, weight).
    league_min: String,
    league: Vec<LeagueRow>,
    areas: Vec<(&'static str, &'static str)>,
    metrics: Vec<(&'static str, &'static str)>,
    conditions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<String>,
}

fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl RubricPage {
    fn of(session: &Session, r: &apb::Rubric) -> RubricPage {
        let bands = r.bands.unwrap_or_default();
        let rules = r.rules.clone().unwrap_or_default();
        RubricPage {
            nav: nav(session),
            csrf: session.csrf.clone(),
            version: r.version,
            created: if r.version == 0 {
                "内置默认细则".to_owned()
            } else {
                format!("{} 由 {} 修订", local_time(r.created_at_ms), r.created_by)
            },
            total: points(r.total_points),
            can_edit: session.principal.role == Role::TownOffice,
            items: r
                .items
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        i.area.clone(),
                        i.name.clone(),
                        points(i.max_points),
                        points(i.deduction_per_finding),
                    )
                })
                .collect(),
            bands: (points(bands.excellent), points(bands.good), points(bands.pass)),
            deductions: rules
                .dispatch_deductions
                .iter()
                .map(|d| (d.item.clone(), d.metric.clone(), points(d.points)))
                .collect(),
            vetoes: rules.vetoes.iter().map(|v| (v.condition.clone(), v.threshold.to_string())).collect(),
            league_min: rules.league.as_ref().map(|l| l.min_tickets.to_string()).unwrap_or_default(),
            league: scored_indicators()
                .map(|i| {
                    let weight = rules
                        .league
                        .as_ref()
                        .and_then(|l| l.weights.iter().find(|w| w.indicator == i32::from(i)))
                        .map(|w| points(w.weight))
                        .unwrap_or_else(|| "0".to_owned());
                    (i.as_str(), i.label_zh(), weight)
                })
                .collect(),
            areas: choices::<RubricArea>(),
            metrics: choices::<DispatchMetric>(),
            conditions: choices::<VetoCondition>(),
            error: None,
            notice: None,
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<i64>,
}

async fn current(s: &AppState, session: &Session) -> Result<apb::Rubric, ApiError> {
    let town = session.principal.town.clone().unwrap_or_default();
    let req = s.upstreams.request(&bearer(session), apb::GetRubricRequest { town });
    Ok(s.upstreams.assessment().get_rubric(req).await?.into_inner())
}

pub async fn rubric(State(s): State<AppState>, session: Session, Query(q): Query<SavedQuery>) -> Response {
    if session.principal.town.is_none() {
        return refusal(StatusCode::FORBIDDEN, "考核细则由各镇物管办制定。", "/console");
    }
    match current(&s, &session).await {
        Ok(r) => {
            let mut view = RubricPage::of(&session, &r);
            view.notice = q.saved.map(|v| format!("已保存为第 {v} 版。此后的督查和考核按新版计分，已发布的通报不变。"));
            page(view)
        }
        Err(e) => refused(&e, "/console"),
    }
}

/// The rows of one kind posted as `{prefix}{n}_{field}`, in row order, with their row numbers.
fn rows(f: &HashMap<String, String>, prefix: &str, fields: &[&str]) -> Vec<(usize, Vec<String>)> {
    let mut numbers: Vec<usize> = f
        .keys()
        .filter_map(|k| k.strip_prefix(prefix)?.split_once('_')?.0.parse().ok())
        .collect::<std::collections::BTreeSet<usize>>()
        .into_iter()
        .collect();
    numbers.truncate(200);
    numbers
        .into_iter()
        .map(|n| {
            let values = fields
                .iter()
                .map(|field| f.get(&format!("{prefix}{n}_{field}")).map(|v| v.trim().to_owned()).unwrap_or_default())
                .collect();
            (n, values)
        })
        .collect()
}

fn number(v: &str) -> f64 {
    v.parse().unwrap_or(f64::NAN)
}

/// The rubric as posted, and the form row each submitted entry came from (to name it).
struct Posted {
    request: apb::UpdateRubricRequest,
    item_rows: Vec<usize>,
    deduction_rows: Vec<usize>,
    veto_rows: Vec<usize>,
    page_items: Vec<ItemRow>,
    page_deductions: Vec<DeductionRow>,
    page_vetoes: Vec<VetoRow>,
    page_bands: (String, String, String),
    page_league: Option<(String, Vec<LeagueRow>)>,
}

fn posted(town: String, f: &HashMap<String, String>) -> Posted {
    let mut p = Posted {
        request: apb::UpdateRubricRequest { town, ..Default::default() },
        item_rows: Vec::new(),
        deduction_rows: Vec::new(),
        veto_rows: Vec::new(),
        page_items: Vec::new(),
        page_deductions: Vec::new(),
        page_vetoes: Vec::new(),
        page_bands: Default::default(),
        page_league: None,
    };
    for (n, v) in rows(f, "i", &["code", "area", "name", "max", "per", "drop"]) {
        // A row left blank (the spare one) or ticked to drop is not part of the rubric.
        if v[0].is_empty() && v[2].is_empty() || v[5] == "true" {
            continue;
        }
        p.request.items.push(apb::RubricItem {
            code: v[0].clone(),
            area: v[1].clone(),
            name: v[2].clone(),
            max_points: number(&v[3]),
            deduction_per_finding: number(&v[4]),
        });
        p.item_rows.push(n);
        p.page_items.push((v[0].clone(), v[1].clone(), v[2].clone(), v[3].clone(), v[4].clone()));
    }
    let mut rules = apb::RubricRules::default();
    for (n, v) in rows(f, "d", &["item", "metric", "points"]) {
        if v[0].is_empty() || v[2].is_empty() {
            continue;
        }
        rules.dispatch_deductions.push(apb::DispatchDeduction {
            item: v[0].clone(),
            metric: v[1].clone(),
            points: number(&v[2]),
        });
        p.deduction_rows.push(n);
        p.page_deductions.push((v[0].clone(), v[1].clone(), v[2].clone()));
    }
    for (n, v) in rows(f, "v", &["condition", "threshold"]) {
        if v[0].is_empty() || v[1].is_empty() {
            continue;
        }
        rules.vetoes.push(apb::Veto { condition: v[0].clone(), threshold: v[1].parse().unwrap_or(0) });
        p.veto_rows.push(n);
        p.page_vetoes.push((v[0].clone(), v[1].clone()));
    }
    // The league's weights, when the form has them (a blank weight counts for nothing).
    if let Some(min) = f.get("league_min_tickets") {
        let mut league = apb::LeagueRules { min_tickets: min.trim().parse().unwrap_or(u32::MAX), weights: Vec::new() };
        let mut shown = Vec::new();
        for i in scored_indicators() {
            let typed = f.get(&format!("league_{}", i.as_str())).map(|v| v.trim().to_owned()).unwrap_or_default();
            let weight = if typed.is_empty() { 0.0 } else { number(&typed) };
            league.weights.push(apb::LeagueWeight { indicator: i32::from(i), weight });
            shown.push((i.as_str(), i.label_zh(), typed));
        }
        rules.league = Some(league);
        p.page_league = Some((min.trim().to_owned(), shown));
    }
    p.request.rules = Some(rules);
    let band = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    p.page_bands = (band("excellent"), band("good"), band("pass"));
    p.request.bands = Some(apb::GradeBands {
        excellent: number(&p.page_bands.0),
        good: number(&p.page_bands.1),
        pass: number(&p.page_bands.2),
    });
    p
}

/// `items[2].max_points` → which row of which table, and what is wrong, in Chinese.
fn explain(field: &str, p: &Posted) -> String {
    let indexed = |prefix: &str| -> Option<(usize, &str)> {
        let rest = field.strip_prefix(prefix)?;
        let (index, name) = rest.split_once("].")?;
        Some((index.parse().ok()?, name))
    };
    let row = |rows: &[usize], i: usize| rows.get(i).map(|n| n + 1).unwrap_or(i + 1);
    if let Some((i, name)) = indexed("items[") {
        let what = match name {
            "code" => "代码只能用小写字母、数字、下划线和点，且各项不能重复",
            "name" => "名称必填，不超过 100 字",
            "area" => "请选择考核方面",
            "max_points" => "满分应大于 0 且不超过 100",
            _ => "每处扣分应在 0 到该项满分之间",
        };
        return format!("考核项目第 {} 行：{what}。", row(&p.item_rows, i));
    }
    if let Some((i, name)) = indexed("rules.dispatch_deductions[") {
        let what = match name {
            "item" => "扣分项目不在细则中",
            "metric" => "同一项目的同一指标只能设一条",
            _ => "扣分应大于 0 且不超过该项满分",
        };
        return format!("派单扣分第 {} 行：{what}。", row(&p.deduction_rows, i));
    }
    if let Some((i, name)) = indexed("rules.vetoes[") {
        let what = if name == "threshold" { "次数应为 1 至 1000" } else { "同一条件只能设一条" };
        return format!("一票否决第 {} 行：{what}。", row(&p.veto_rows, i));
    }
    if field.starts_with("rules.league") {
        return if field.ends_with("min_tickets") {
            "红黑榜：参与排名的最少工单量应为 0 至 1000 的整数。".to_owned()
        } else if field.ends_with(".weight") {
            "红黑榜：每项权重应在 0 到 100 之间。".to_owned()
        } else {
            "红黑榜：各项权重合计应大于 0。".to_owned()
        };
    }
    match field {
        "items" => "细则应有 1 至 100 个考核项目。".to_owned(),
        "bands.excellent" => "优秀线不能高于细则总分。".to_owned(),
        _ => "等级线应满足 0 < 合格 ≤ 良好 ≤ 优秀。".to_owned(),
    }
}

pub async fn save(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "考核细则由镇物管办制定。", "/console/rubric");
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let p = posted(session.principal.town.clone().unwrap_or_default(), &f);
    let req = s.upstreams.request(&bearer(&session), p.request.clone());
    match s.upstreams.assessment().update_rubric(req).await {
        Ok(r) => Redirect::to(&format!("/console/rubric?saved={}", r.into_inner().version)).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let message = match (&e.0.code, e.0.field.as_deref()) {
                (wuguan_platform::ErrorCode::InvalidArgument, Some(field)) => explain(field, &p),
                _ => say(&e),
            };
            let current = match current(&s, &session).await {
                Ok(r) => r,
                Err(e) => return refused(&e, "/console/rubric"),
            };
            // The page as the clerk left it, over the version in force.
            let mut view = RubricPage::of(&session, &current);
            view.items = p.page_items;
            view.deductions = p.page_deductions;
            view.vetoes = p.page_vetoes;
            view.bands = p.page_bands;
            if let Some((min, league)) = p.page_league {
                (view.league_min, view.league) = (min, league);
            }
            view.error = Some(message);
            unprocessable(page(view))
        }
    }
}
