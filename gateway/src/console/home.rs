//! The home page by role: the town office's dashboard (today's counts, the three rates this
//! month against last, eight weeks of complaints by category as an SVG chart, the estates with
//! the most open problems); a unit's counts and its queue.

use super::chart;
use super::common::*;
use super::session::MaybeSession;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Bearer;
use crate::printable::percent;
use crate::vocab::{label, label_of_name};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use std::collections::{BTreeMap, HashMap};
use wuguan_platform::Role;
use wuguan_platform::local_time::{day_start_ms, local_date};
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::vocab::assessment::Grade;
use wuguan_proto::vocab::dispatch::Category;

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    nav: Option<Nav>,
    heading: String,
    cards: Vec<(&'static str, String, &'static str)>,
    rates: Vec<(&'static str, String, String)>,
    chart: String,
    hot_estates: Vec<(String, u32)>,
    queue_label: &'static str,
    /// A unit's own rows in the published bulletins: (month, what is scored, score, grade, rank).
    own_scores: Vec<(String, &'static str, String, &'static str, String)>,
    /// Findings of recent inspections at the estates a unit serves:
    /// (date, estate, item, description, became a ticket).
    findings: Vec<(String, String, String, String, bool)>,
}

/// A unit's rows in the last six published bulletins, newest first.
async fn own_scores(
    s: &AppState,
    b: &Bearer,
    town: &str,
    unit: &str,
) -> Vec<(String, &'static str, String, &'static str, String)> {
    let mut rows = Vec::new();
    for bulletin in super::bulletins::recent_bulletins(s, b, town, 6).await {
        // A unit is ranked by its own id for complaint handling and, if it is a property company
        // or a community, by the same id over its estates.
        for r in bulletin.rankings.iter().filter(|r| r.subject_id == unit) {
            let of = bulletin.rankings.iter().filter(|x| x.subject_type == r.subject_type).count();
            let scored = match r.subject_type.as_str() {
                "unit" => "诉求办理（三率）",
                "property_company" => "物业服务（所管小区）",
                _ => "社区（辖区小区）",
            };
            rows.push((
                bulletin.month.clone(),
                scored,
                format!("{:.1}", r.score),
                label_of_name::<Grade>(&r.grade),
                format!("{} / {of}", r.rank),
            ));
        }
    }
    rows
}

/// Findings of the last 60 days' inspections at the estates the unit serves (the assessment
/// service shows a unit only those), newest first.
async fn recent_findings(s: &AppState, b: &Bearer, town: &str) -> Vec<(String, String, String, String, bool)> {
    let today = local_date(now_ms());
    let req = apb::ListInspectionsRequest {
        town: town.to_owned(),
        from_date: (today - chrono::Duration::days(60)).to_string(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 200, page_token: String::new() }),
        ..Default::default()
    };
    let Ok(r) = s.upstreams.assessment().list_inspections(s.upstreams.request(b, req)).await else {
        return Vec::new();
    };
    let mut inspections = r.into_inner().inspections;
    inspections.sort_by(|a, b| b.date.cmp(&a.date));
    // The rubric in force names the items; a renamed or dropped item shows by its code.
    let req = apb::GetRubricRequest { town: town.to_owned() };
    let items = match s.upstreams.assessment().get_rubric(s.upstreams.request(b, req)).await {
        Ok(r) => r.into_inner().items,
        Err(_) => Vec::new(),
    };
    let names: HashMap<&str, &str> = items.iter().map(|x| (x.code.as_str(), x.name.as_str())).collect();
    let mut rows = Vec::new();
    for i in inspections {
        for f in &i.findings {
            let item = names.get(f.item.as_str()).map(|n| (*n).to_owned()).unwrap_or_else(|| f.item.clone());
            rows.push((i.date.clone(), i.estate_name.clone(), item, f.description.clone(), !f.ticket_id.is_empty()));
        }
    }
    rows.truncate(50);
    rows
}

/// Up to `pages` pages of the tickets `filter` selects.
pub async fn home(State(s): State<AppState>, MaybeSession(session): MaybeSession) -> Response {
    let Some(session) = session else { return Redirect::to("/console/login").into_response() };
    let p = &session.principal;
    let b = bearer(&session);
    let Some(town) = p.town.clone() else {
        // The county: its towns side by side.
        return super::county::county(&s, &session, None).await.unwrap_or_else(|e| refused(&e, "/console"));
    };
    if matches!(p.role, Role::Resident | Role::OwnerRep) {
        return Redirect::to("/console/submit").into_response();
    }
    let now = now_ms();
    let today = local_date(now);
    let today_start = day_start_ms(today);
    let base = dpb::ListTicketsRequest { town: town.clone(), ..Default::default() };
    let result: Result<Response, ApiError> = async {
        let open = tickets_where(&s, &b, dpb::ListTicketsRequest { open_only: true, ..base.clone() }, 4).await?;
        let new_today =
            tickets_where(&s, &b, dpb::ListTicketsRequest { from_ms: today_start, ..base.clone() }, 2).await?;
        let overdue = open.iter().filter(|t| t.overdue).count();
        let escalated = open.iter().filter(|t| t.level >= 1).count();
        let mut cards = vec![
            ("今日新增", new_today.len().to_string(), ""),
            ("未办结", open.len().to_string(), ""),
            ("已超期", overdue.to_string(), if overdue > 0 { "overdue" } else { "" }),
            ("升级督办", escalated.to_string(), ""),
        ];
        if p.role != Role::TownOffice {
            let heading = format!("{}的待办", p.role.label_zh());
            cards.truncate(3);
            let unit = p.unit.clone().unwrap_or_default();
            return Ok(page(HomePage {
                nav: nav(&session),
                heading,
                cards,
                rates: vec![],
                chart: String::new(),
                hot_estates: vec![],
                queue_label: "打开我的待办（按时限排序）",
                own_scores: own_scores(&s, &b, &town, &unit).await,
                findings: recent_findings(&s, &b, &town).await,
            }));
        }
        // The three rates: this month so far against last month.
        let month_start = today.with_day0(0).unwrap_or(today);
        let last_month_end = month_start - chrono::Duration::days(1);
        let last_month_start = last_month_end.with_day0(0).unwrap_or(last_month_end);
        let stats = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
            let req = dpb::GetComplaintStatsRequest {
                town: town.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                ..Default::default()
            };
            let mut client = s.upstreams.dispatch();
            let req = s.upstreams.request(&b, req);
            async move { client.get_complaint_stats(req).await }
        };
        let this_month = stats(month_start, today).await?.into_inner();
        let last_month = stats(last_month_start, last_month_end).await?.into_inner();
        let rates = vec![
            ("诉求（件）", this_month.count.to_string(), last_month.count.to_string()),
            ("及时响应率", percent(this_month.response_rate), percent(last_month.response_rate)),
            ("办结率", percent(this_month.resolution_rate), percent(last_month.resolution_rate)),
            ("满意率", percent(this_month.satisfaction_rate), percent(last_month.satisfaction_rate)),
            // Tickets inside their deadline count for no rate yet: say how many there are.
            (
                "未到办结时限（件，不计入比率）",
                this_month.resolution_pending.to_string(),
                last_month.resolution_pending.to_string(),
            ),
        ];
        // Eight weeks by category, Monday to Sunday.
        let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let first = monday - chrono::Duration::weeks(7);
        let recent =
            tickets_where(&s, &b, dpb::ListTicketsRequest { from_ms: day_start_ms(first), ..base.clone() }, 4).await?;
        let mut by_category: BTreeMap<&'static str, Vec<u32>> = BTreeMap::new();
        for t in &recent {
            let week = ((local_date(t.created_at_ms) - first).num_days() / 7).clamp(0, 7) as usize;
            by_category.entry(label::<Category>(t.category)).or_insert_with(|| vec![0; 8])[week] += 1;
        }
        let series: Vec<String> = by_category.keys().map(|k| (*k).to_owned()).collect();
        let weeks: Vec<(String, Vec<u32>)> = (0..8)
            .map(|w| {
                let start = first + chrono::Duration::weeks(w as i64);
                (start.format("%m-%d").to_string(), by_category.values().map(|v| v[w]).collect())
            })
            .collect();
        let chart =
            if recent.is_empty() { String::new() } else { chart::stacked_bars("近八周诉求", &series, &weeks) };
        let mut estates: HashMap<String, u32> = HashMap::new();
        for t in &open {
            *estates.entry(t.estate_name.clone()).or_default() += 1;
        }
        let mut hot_estates: Vec<(String, u32)> = estates.into_iter().collect();
        hot_estates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        hot_estates.truncate(5);
        Ok(page(HomePage {
            nav: nav(&session),
            heading: "镇物管办工作台".to_owned(),
            cards,
            rates,
            chart,
            hot_estates,
            queue_label: "打开诉求台账",
            own_scores: vec![],
            findings: vec![],
        }))
    }
    .await;
    result.unwrap_or_else(|e| refused(&e, "/console"))
}
