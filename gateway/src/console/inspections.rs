//! Weekly inspections (每周一督查) in the console, for the town office: the plans around this
//! week, the form to record an inspection with its findings (each may become a ticket), and the
//! recent inspections with their scores.

use super::common::*;
use super::session::{Session, csrf_for};
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::{choices, label, label_of_name, wire};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use wuguan_platform::Role;
use wuguan_platform::local_time::local_date;
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::assessment::{Grade, InspectionKind};
use wuguan_proto::vocab::dispatch::{Category, Status};

/// Finding rows the form offers; more findings mean more inspections or the API.
const FINDING_ROWS: usize = 3;

/// (date, estate, kind, focus, reason, status, the four checks' link for a follow-up).
type PlanRow = (String, String, &'static str, &'static str, String, &'static str, String);
type InspectionRow = (String, String, &'static str, String, &'static str, usize, usize);

#[derive(Template)]
#[template(path = "console/inspections.html")]
struct InspectionsPage {
    nav: Option<Nav>,
    csrf: String,
    today: String,
    plans: Vec<PlanRow>,
    open_plans: Vec<(String, String)>,
    estates: Vec<(String, String)>,
    items: Vec<(String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    finding_rows: Vec<usize>,
    recent: Vec<InspectionRow>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render(
    s: &AppState,
    session: &Session,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let town = session.principal.town.clone().unwrap_or_default();
    let b = bearer(session);
    let today = local_date(wuguan_platform::db::now_ms());
    let req = apb::ListPlannedInspectionsRequest {
        town: town.clone(),
        from_date: (today - chrono::Duration::days(7)).to_string(),
        to_date: (today + chrono::Duration::days(14)).to_string(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 200, page_token: String::new() }),
    };
    let plans =
        s.upstreams.assessment().list_planned_inspections(s.upstreams.request(&b, req)).await?.into_inner().plans;
    let mut estates = Vec::new();
    let req = rpb::ListEstatesRequest {
        town: town.clone(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: String::new() }),
        ..Default::default()
    };
    for e in s.upstreams.registry().list_estates(s.upstreams.request(&b, req)).await?.into_inner().estates {
        estates.push((e.id, e.name));
    }
    estates.sort_by(|a, b| a.1.cmp(&b.1));
    let name_of = |id: &str| estates.iter().find(|e| e.0 == id).map(|e| e.1.clone()).unwrap_or_else(|| id.to_owned());
    let rubric = s
        .upstreams
        .assessment()
        .get_rubric(s.upstreams.request(&b, apb::GetRubricRequest { town: town.clone() }))
        .await?
        .into_inner();
    let req = apb::ListInspectionsRequest {
        town: town.clone(),
        from_date: (today - chrono::Duration::days(30)).to_string(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 100, page_token: String::new() }),
        ..Default::default()
    };
    let mut recent =
        s.upstreams.assessment().list_inspections(s.upstreams.request(&b, req)).await?.into_inner().inspections;
    recent.sort_by(|a, b| b.date.cmp(&a.date));
    let mut plan_rows: Vec<PlanRow> = plans
        .iter()
        .map(|p| {
            let focus = if p.focus == apb::InspectionFocus::FollowUp as i32 { "跟踪" } else { "重点" };
            let status = if p.inspection_id.is_empty() { "待督查" } else { "已完成" };
            let checks =
                if p.follows.is_empty() { String::new() } else { format!("/console/inspections/checks?plan={}", p.id) };
            (
                p.date.clone(),
                name_of(&p.estate_id),
                label::<InspectionKind>(p.kind),
                focus,
                p.reason.clone(),
                status,
                checks,
            )
        })
        .collect();
    plan_rows.sort();
    Ok(page(InspectionsPage {
        nav: nav(session),
        csrf: session.csrf.clone(),
        today: today.to_string(),
        open_plans: plans
            .iter()
            .filter(|p| p.inspection_id.is_empty())
            .map(|p| (p.id.clone(), format!("{} {}", p.date, name_of(&p.estate_id))))
            .collect(),
        plans: plan_rows,
        estates: estates.clone(),
        items: rubric.items.into_iter().map(|i| (i.code, i.name)).collect(),
        categories: choices::<Category>(),
        finding_rows: (0..FINDING_ROWS).collect(),
        recent: recent
            .into_iter()
            .map(|i| {
                let tickets = i.findings.iter().filter(|f| !f.ticket_id.is_empty()).count();
                (
                    i.date,
                    i.estate_name,
                    label::<InspectionKind>(i.kind),
                    format!("{:.1}", i.total_score),
                    label_of_name::<Grade>(&i.grade),
                    i.findings.len(),
                    tickets,
                )
            })
            .collect(),
        error,
        notice,
    }))
}

#[derive(serde::Deserialize, Default)]
pub struct RecordedQuery {
    recorded: Option<String>,
    planned: Option<String>,
}

fn office_only(session: &Session) -> Option<Response> {
    (session.principal.role != Role::TownOffice)
        .then(|| refusal(StatusCode::FORBIDDEN, "督查由镇物管办记录。", "/console"))
}

pub async fn inspections(State(s): State<AppState>, session: Session, Query(q): Query<RecordedQuery>) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let mut notice = q.planned.map(|date| format!("已安排 {date} 的督查。"));
    if let Some(id) = q.recorded {
        let req = s.upstreams.request(&bearer(&session), apb::GetInspectionRequest { id });
        if let Ok(i) = s.upstreams.assessment().get_inspection(req).await {
            let i = i.into_inner();
            let tickets = i.findings.iter().filter(|f| f.open_ticket).count();
            notice = Some(format!(
                "已记录：{} {}，得分 {:.1}（{}），发现问题 {} 个，其中 {} 个派单整改。",
                i.date,
                i.estate_name,
                i.total_score,
                label_of_name::<Grade>(&i.grade),
                i.findings.len(),
                tickets
            ));
        }
    }
    render(&s, &session, None, notice).await.unwrap_or_else(|e| refused(&e, "/console"))
}

pub async fn record(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut findings = Vec::new();
    for n in 0..FINDING_ROWS {
        let description = get(&format!("f{n}_description"));
        if description.trim().is_empty() {
            continue;
        }
        let category = wire::<Category>("category", &get(&format!("f{n}_category"))).unwrap_or(0);
        findings.push(apb::FindingInput {
            item: get(&format!("f{n}_item")),
            description,
            category,
            open_ticket: get(&format!("f{n}_ticket")) == "true",
        });
    }
    let req = apb::RecordInspectionRequest {
        town: session.principal.town.clone().unwrap_or_default(),
        estate_id: get("estate_id"),
        date: get("date"),
        kind: kind_of(&get("kind")),
        focus: focus_of(&get("focus")),
        item_scores: vec![],
        findings,
        plan_id: get("plan_id"),
        // The same form sent twice (a double click, a retry) records one inspection.
        idempotency_key: format!(
            "console-{}",
            &csrf_for(&format!("{}:{}", session.csrf, String::from_utf8_lossy(&body)))[..48]
        ),
    };
    match s.upstreams.assessment().record_inspection(s.upstreams.request(&bearer(&session), req)).await {
        Ok(i) => Redirect::to(&format!("/console/inspections?recorded={}", i.into_inner().id)).into_response(),
        Err(e) => refused_again(&s, &session, say(&ApiError::from(e))).await,
    }
}

/// The page again with the service's refusal, as 422.
async fn refused_again(s: &AppState, session: &Session, message: String) -> Response {
    match render(s, session, Some(message), None).await {
        Ok(page) => unprocessable(page),
        Err(e) => refused(&e, "/console"),
    }
}

/// The form's 明查 / 暗访 choice as the contract's value.
fn kind_of(v: &str) -> i32 {
    if v == "unannounced" { apb::InspectionKind::Unannounced as i32 } else { apb::InspectionKind::Open as i32 }
}

/// The form's 重点 / 跟踪 choice as the contract's value.
fn focus_of(v: &str) -> i32 {
    if v == "follow_up" { apb::InspectionFocus::FollowUp as i32 } else { apb::InspectionFocus::Key as i32 }
}

/// Puts an inspection on the plan (每周一督查: which estate, which day, open or unannounced).
pub async fn plan(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let req = apb::PlanInspectionRequest {
        town: session.principal.town.clone().unwrap_or_default(),
        estate_id: get("estate_id"),
        date: get("date"),
        kind: kind_of(&get("kind")),
        focus: focus_of(&get("focus")),
    };
    match s.upstreams.assessment().plan_inspection(s.upstreams.request(&bearer(&session), req)).await {
        Ok(p) => Redirect::to(&format!("/console/inspections?planned={}", p.into_inner().date)).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let message = match e.0.field.as_deref() {
                Some("date") => "请填写有效的督查日期。".to_owned(),
                Some("estate_id") => "请选择本镇的小区。".to_owned(),
                _ => say(&e),
            };
            refused_again(&s, &session, message).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/checks.html")]
struct ChecksPage {
    nav: Option<Nav>,
    estate: String,
    follows_date: String,
    /// (item, description, ticket status, check label, overdue).
    checks: Vec<(String, String, &'static str, String, bool)>,
}

#[derive(serde::Deserialize)]
pub struct PlanQuery {
    plan: String,
}

/// The four checks (四查) for a follow-up plan: what the inspectors look at when they return.
pub async fn checks(State(s): State<AppState>, session: Session, Query(q): Query<PlanQuery>) -> Response {
    let req = apb::GetFollowUpChecksRequest { plan_id: q.plan, inspection_id: String::new() };
    let c = match s.upstreams.assessment().get_follow_up_checks(s.upstreams.request(&bearer(&session), req)).await {
        Ok(c) => c.into_inner(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    page(ChecksPage {
        nav: nav(&session),
        estate: c.estate_name,
        follows_date: c.follows_date,
        checks: c
            .checks
            .into_iter()
            .map(|k| {
                let status = if k.ticket_status == 0 { "—" } else { label::<Status>(k.ticket_status) };
                (k.item, k.description, status, k.check_label, k.overdue)
            })
            .collect(),
    })
}
