//! Routing rules (五方联动派单规则) in the console: for every category of complaint, which of the
//! five parties it goes to, how soon the unit must respond and resolve, the level it starts at
//! and whether owner representatives co-handle. The town office changes them in one form; only
//! the categories it changed are saved, each as the API's `PUT /routing-rules/{category}`.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::routes::returns::town_returns;
use crate::views::complaints::limit_unit;
use crate::views::returns::{ReturnReasonView, ReturnTallyView, ReturnsQuery};
use crate::vocab::{choices, label, label_of_name, name, wire};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wuguan_platform::Role;
use wuguan_platform::time_limit::TimeLimit;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::vocab::dispatch::{Category, LimitUnit, RouteTarget};

/// One category's rule as shown and typed.
pub struct RuleRow {
    category: &'static str,
    label: &'static str,
    target: String,
    response_amount: String,
    response_unit: &'static str,
    resolution_amount: String,
    resolution_unit: &'static str,
    sign_amount: String,
    sign_unit: &'static str,
    initial_level: String,
    co_handle: bool,
    customised: bool,
}

#[derive(Template)]
#[template(path = "console/routing.html")]
struct RoutingPage {
    nav: Option<Nav>,
    csrf: String,
    can_edit: bool,
    rows: Vec<RuleRow>,
    targets: Vec<(&'static str, &'static str)>,
    units: Vec<(&'static str, &'static str)>,
    /// 退单分析: the last 90 days' returns by category and unit (the office's and the county's).
    returns: Vec<ReturnTallyView>,
    /// 退单原因: the town's list as units are offered it.
    reasons: Vec<ReturnReasonView>,
    error: Option<String>,
    notice: Option<String>,
}

fn row(r: &dpb::RoutingRule) -> RuleRow {
    let category = name::<Category>(r.category);
    RuleRow {
        category,
        label: label_of_name::<Category>(category),
        target: name::<RouteTarget>(r.target).to_owned(),
        response_amount: r.response_amount.to_string(),
        response_unit: limit_unit(r.response_unit),
        resolution_amount: r.resolution_amount.to_string(),
        resolution_unit: limit_unit(r.resolution_unit),
        sign_amount: r.sign_amount.to_string(),
        sign_unit: limit_unit(r.sign_unit),
        initial_level: r.initial_level.to_string(),
        co_handle: r.owner_reps_co_handle,
        customised: r.customised,
    }
}

async fn rules(s: &AppState, session: &Session) -> Result<Vec<dpb::RoutingRule>, ApiError> {
    let town = session.principal.town.clone().unwrap_or_default();
    let req = s.upstreams.request(&bearer(session), dpb::ListRoutingRulesRequest { town });
    Ok(s.upstreams.dispatch().list_routing_rules(req).await?.into_inner().rules)
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<u32>,
    reasons: Option<String>,
}

pub async fn routing(State(s): State<AppState>, session: Session, Query(q): Query<SavedQuery>) -> Response {
    if session.principal.town.is_none() {
        return refusal(StatusCode::FORBIDDEN, "派单规则由各镇物管办制定。", "/console");
    }
    let town = session.principal.town.clone().unwrap_or_default();
    let req = s.upstreams.request(&bearer(&session), dpb::ListReturnReasonsRequest { town });
    let reasons = match s.upstreams.dispatch().list_return_reasons(req).await {
        Ok(r) => r.into_inner().reasons.into_iter().map(ReturnReasonView::from).collect(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let returns = if matches!(session.principal.role, Role::TownOffice | Role::County) {
        let town = session.principal.town.clone().unwrap_or_default();
        match town_returns(&s, &bearer(&session), town, &ReturnsQuery::default()).await {
            Ok(r) => r.items,
            Err(e) => return refused(&e, "/console"),
        }
    } else {
        Vec::new()
    };
    match rules(&s, &session).await {
        Ok(rules) => page(RoutingPage {
            nav: nav(&session),
            csrf: session.csrf.clone(),
            can_edit: session.principal.role == Role::TownOffice,
            rows: rules.iter().map(row).collect(),
            targets: choices::<RouteTarget>(),
            units: choices::<LimitUnit>(),
            returns,
            reasons,
            error: None,
            notice: match (q.saved, q.reasons) {
                (Some(n), _) => Some(format!("已保存 {n} 个类别的规则，新诉求即按新规则派单。")),
                (None, Some(_)) => Some("已保存退单原因，各单位退单时按新的原因选择。".to_owned()),
                _ => None,
            },
        }),
        Err(e) => refused(&e, "/console"),
    }
}

/// 退单原因 as posted: each listed reason switched on or off (the town's own relabelled, or
/// dropped when its name is cleared), and new ones of the town's own from the spare rows, each
/// given the next free code `own_<n>`.
pub async fn save_reasons(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "退单原因由镇物管办制定。", "/console/routing");
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let field = |k: String| f.get(&k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut reasons: Vec<dpb::TownReturnReason> = Vec::new();
    for n in 0..40 {
        let (code, label) = (field(format!("r{n}_code")), field(format!("r{n}_label")));
        if code.is_empty() && label.is_empty() {
            continue;
        }
        let built_in = wire::<wuguan_proto::vocab::dispatch::ReturnReason>("code", &code).is_ok();
        if !built_in && label.is_empty() {
            continue;
        }
        let code = if code.is_empty() {
            let taken = |k: usize| {
                reasons.iter().any(|r| r.code == format!("own_{k}")) || f.values().any(|v| *v == format!("own_{k}"))
            };
            format!("own_{}", (1..).find(|k| !taken(*k)).unwrap_or(1))
        } else {
            code
        };
        reasons.push(dpb::TownReturnReason { code, label, built_in, active: f.contains_key(&format!("r{n}_active")) });
    }
    let town = session.principal.town.clone().unwrap_or_default();
    let req = s.upstreams.request(&bearer(&session), dpb::SetReturnReasonsRequest { town, reasons });
    match s.upstreams.dispatch().set_return_reasons(req).await {
        Ok(_) => Redirect::to("/console/routing?reasons=saved").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let mut page = refusal(StatusCode::UNPROCESSABLE_ENTITY, &say(&e), "/console/routing");
            *page.status_mut() = form_status(&e);
            page
        }
    }
}

/// A category's rule as posted, or what is wrong with it in Chinese.
fn posted(town: &str, category: &str, f: &HashMap<String, String>) -> Result<dpb::RoutingRule, String> {
    let field = |name: &str| f.get(&format!("{category}_{name}")).map(|v| v.trim().to_owned()).unwrap_or_default();
    let label = label_of_name::<Category>(category);
    let amount = |name: &str, what: &str| -> Result<u32, String> {
        match field(name).parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{label}：{what}请填写大于 0 的整数。")),
        }
    };
    let response_amount = amount("response_amount", "响应时限")?;
    let resolution_amount = amount("resolution_amount", "办结时限")?;
    let sign_amount = amount("sign_amount", "签收时限")?;
    let unit = |name: &str| wire::<LimitUnit>(name, &field(name)).map_err(|_| format!("{label}：请选择时限单位。"));
    let (response_unit, resolution_unit, sign_unit) =
        (unit("response_unit")?, unit("resolution_unit")?, unit("sign_unit")?);
    // The same checks dispatch makes, before any row is saved.
    let response = TimeLimit::from_wire("response", response_amount, response_unit);
    let resolution = TimeLimit::from_wire("resolution", resolution_amount, resolution_unit);
    let sign = TimeLimit::from_wire("sign", sign_amount, sign_unit);
    if let Err(e) = response.and_then(|r| resolution.and_then(|s| TimeLimit::response_then_resolution(r, s))).and(sign)
    {
        return Err(explain(label, &ApiError(e)));
    }
    Ok(dpb::RoutingRule {
        town: town.to_owned(),
        category: wire::<Category>("category", category).unwrap_or(0),
        target: wire::<RouteTarget>("target", &field("target")).unwrap_or(0),
        response_amount,
        response_unit,
        resolution_amount,
        resolution_unit,
        sign_amount,
        sign_unit,
        initial_level: field("initial_level").parse().unwrap_or(0),
        owner_reps_co_handle: field("co_handle") == "true",
        customised: true,
    })
}

fn same(a: &dpb::RoutingRule, b: &dpb::RoutingRule) -> bool {
    let limits = |r: &dpb::RoutingRule| {
        (
            (r.sign_amount, limit_unit(r.sign_unit)),
            (r.response_amount, limit_unit(r.response_unit)),
            (r.resolution_amount, limit_unit(r.resolution_unit)),
        )
    };
    (a.target, limits(a), a.initial_level, a.owner_reps_co_handle)
        == (b.target, limits(b), b.initial_level, b.owner_reps_co_handle)
}

/// What the service's refusal of one category's rule means, in Chinese.
fn explain(label: &str, e: &ApiError) -> String {
    match e.0.field.as_deref() {
        Some("response_amount") => {
            format!("{label}：响应时限过长（分钟、小时、自然日以 90 天为限，工作小时 540、工作日 60）。")
        }
        Some("sign_amount") => format!("{label}：签收时限过长（工作日以 60 为限）。"),
        Some("resolution_amount") => format!("{label}：办结时限不能短于响应时限，且不超过上限（90 天、工作日 60）。"),
        Some("initial_level") => format!("{label}：初始督办级别应为 0、1 或 2。"),
        Some("target") => format!("{label}：请选择责任方。"),
        _ => format!("{label}：{}", say(e)),
    }
}

pub async fn save(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "派单规则由镇物管办制定。", "/console/routing");
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let current = match rules(&s, &session).await {
        Ok(r) => r,
        Err(e) => return refused(&e, "/console/routing"),
    };
    let town = session.principal.town.clone().unwrap_or_default();
    // Check every row before saving any, so a mistake in one leaves all as they were.
    let mut changed = Vec::new();
    let mut shown = Vec::with_capacity(current.len());
    let mut error = None;
    for rule in &current {
        let category = name::<Category>(rule.category);
        match posted(&town, category, &f) {
            Ok(new) => {
                shown.push(RuleRow { customised: rule.customised, ..row(&new) });
                if !same(rule, &new) {
                    changed.push(new);
                }
            }
            Err(message) => {
                error.get_or_insert(message);
                shown.push(row(rule));
            }
        }
    }
    let mut saved = 0;
    if error.is_none() {
        for rule in changed {
            let label = label::<Category>(rule.category);
            let req = s.upstreams.request(&bearer(&session), dpb::SetRoutingRuleRequest { rule: Some(rule) });
            if let Err(e) = s.upstreams.dispatch().set_routing_rule(req).await {
                error = Some(explain(label, &ApiError::from(e)));
                break;
            }
            saved += 1;
        }
    }
    match error {
        None => Redirect::to(&format!("/console/routing?saved={saved}")).into_response(),
        Some(message) => unprocessable(page(RoutingPage {
            nav: nav(&session),
            csrf: session.csrf.clone(),
            can_edit: true,
            rows: shown,
            targets: choices::<RouteTarget>(),
            units: choices::<LimitUnit>(),
            returns: Vec::new(),
            reasons: Vec::new(),
            error: Some(if saved > 0 { format!("{message}（此前 {saved} 个类别已保存）") } else { message }),
            notice: None,
        })),
    }
}
