//! The estate ledger (台账) in the console: search the town's estates, and an estate's page with
//! its figures, management, owners' committee, security provision, inspections and tickets; the
//! ledger exports as CSV (the API's import/export format).

use super::common::*;
use super::estate_form::field_zh;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Bearer;
use crate::printable::grouped;
use crate::vocab::{label, label_of_name};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use wuguan_platform::Role;
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::assessment::{Grade, InspectionKind};
use wuguan_proto::vocab::dispatch::{Category, Status};
use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode, OwnersCommittee};

/// (id, name, planned area, households, management, owners' committee, target, old).
type EstateRow = (String, String, String, String, &'static str, &'static str, &'static str, &'static str);

#[derive(Template)]
#[template(path = "console/estates.html")]
struct EstatesPage {
    nav: Option<Nav>,
    can_edit: bool,
    query: String,
    rows: Vec<EstateRow>,
    /// The listed estates' totals: (count, planned area, occupied / designed households, residents).
    totals: (usize, String, String, String),
}

#[derive(Template)]
#[template(path = "console/estate.html")]
struct EstatePage {
    nav: Option<Nav>,
    id: String,
    can_edit: bool,
    notice: Option<&'static str>,
    name: String,
    facts: Vec<(&'static str, String)>,
    /// (month, score, grade, rank of how many, inspections) from the monthly bulletins.
    scores: Vec<(String, String, &'static str, String, u32)>,
    /// (when, who, what changed).
    changes: Vec<(String, String, String)>,
    inspections: Vec<(String, &'static str, String, &'static str, usize)>,
    tickets: Vec<(String, String, &'static str, String, String, &'static str)>,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn estates(State(s): State<AppState>, session: Session, Query(q): Query<SearchQuery>) -> Response {
    let query = q.q.unwrap_or_default().trim().to_owned();
    let req = rpb::ListEstatesRequest {
        town: session.principal.town.clone().unwrap_or_default(),
        name_contains: query.clone(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: String::new() }),
        ..Default::default()
    };
    let estates = match s.upstreams.registry().list_estates(s.upstreams.request(&bearer(&session), req)).await {
        Ok(r) => r.into_inner().estates,
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let sum = |f: fn(&rpb::Estate) -> i64| estates.iter().map(f).sum::<i64>();
    let totals = (
        estates.len(),
        grouped(sum(|e| e.planned_floor_area_m2)),
        format!("{} / {}", grouped(sum(|e| e.occupied_households)), grouped(sum(|e| e.designed_households))),
        grouped(sum(|e| e.residents)),
    );
    let rows = estates
        .into_iter()
        .map(|e| {
            (
                e.id,
                e.name,
                grouped(e.planned_floor_area_m2),
                format!("{} / {}", grouped(e.occupied_households), grouped(e.designed_households)),
                label::<ManagementMode>(e.management_mode),
                label::<OwnersCommittee>(e.owners_committee),
                label::<EstateTarget>(e.target),
                if e.is_old_estate { "是" } else { "" },
            )
        })
        .collect();
    page(EstatesPage { nav: nav(&session), can_edit: session.principal.role == Role::TownOffice, query, rows, totals })
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The estate's row in each of the last six months' bulletins, newest first.
async fn monthly_scores(
    s: &AppState,
    b: &Bearer,
    town: &str,
    id: &str,
) -> Vec<(String, String, &'static str, String, u32)> {
    let mut scores = Vec::new();
    for bulletin in super::bulletins::recent_bulletins(s, b, town, 6).await {
        let estates = bulletin.rankings.iter().filter(|r| r.subject_type == "estate").count();
        if let Some(r) = bulletin.rankings.iter().find(|r| r.subject_type == "estate" && r.subject_id == id) {
            let rank = format!("{} / {estates}", r.rank);
            scores.push((
                bulletin.month.clone(),
                format!("{:.1}", r.score),
                label_of_name::<Grade>(&r.grade),
                rank,
                r.inspections,
            ));
        }
    }
    scores
}

/// Who changed what in the ledger: the latest twenty, newest first. The registry lists changes
/// oldest first, so this reads through (a bounded number of) pages to the end.
async fn change_history(s: &AppState, b: &Bearer, id: &str) -> Vec<(String, String, String)> {
    let mut changes = std::collections::VecDeque::with_capacity(20);
    let mut token = String::new();
    for _ in 0..10 {
        let req = rpb::ListEstateChangesRequest {
            estate_id: id.to_owned(),
            page: Some(wuguan_proto::common::v1::PageRequest { page_size: 100, page_token: token }),
        };
        let Ok(r) = s.upstreams.registry().list_estate_changes(s.upstreams.request(b, req)).await else { break };
        let r = r.into_inner();
        for c in r.changes {
            if changes.len() == 20 {
                changes.pop_front();
            }
            changes.push_back(c);
        }
        token = r.page.unwrap_or_default().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    changes
        .into_iter()
        .rev()
        .map(|c| {
            let what = if c.action == "create" {
                "建档".to_owned()
            } else {
                c.changes
                    .iter()
                    .map(|f| format!("{}：{} → {}", field_zh(&f.field), f.old_value, f.new_value))
                    .collect::<Vec<_>>()
                    .join("；")
            };
            (local_time(c.at_ms), c.actor, what)
        })
        .collect()
}

pub async fn estate(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let b = bearer(&session);
    let e = match s
        .upstreams
        .registry()
        .get_estate(s.upstreams.request(&b, rpb::GetByIdRequest { id: id.clone() }))
        .await
    {
        Ok(e) => e.into_inner(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let company = if e.property_company_id.is_empty() {
        "—".to_owned()
    } else {
        let req = s.upstreams.request(&b, rpb::GetByIdRequest { id: e.property_company_id.clone() });
        s.upstreams.registry().get_property_company(req).await.map(|c| c.into_inner().name).unwrap_or_default()
    };
    let sec = e.security.unwrap_or_default();
    let facts = vec![
        ("地址", e.address.clone()),
        ("规划建筑面积", format!("{} m²", grouped(e.planned_floor_area_m2))),
        ("已建面积", format!("{} m²", grouped(e.built_floor_area_m2))),
        ("设计 / 入住户数", format!("{} / {}", grouped(e.designed_households), grouped(e.occupied_households))),
        ("居住人口", grouped(e.residents)),
        ("管理方式", label::<ManagementMode>(e.management_mode).to_owned()),
        ("物业公司", company),
        ("业主委员会", label::<OwnersCommittee>(e.owners_committee).to_owned()),
        ("创建目标", label::<EstateTarget>(e.target).to_owned()),
        ("老旧小区", if e.is_old_estate { "是".to_owned() } else { "否".to_owned() }),
        ("人防（保安）", format!("{} 人", sec.guards)),
        ("技防（监控 / 门禁）", format!("{} 个 / {}", sec.cameras, if sec.access_control { "有" } else { "无" })),
        ("物防（围墙大门）", if sec.fences_and_gates { "有".to_owned() } else { "无".to_owned() }),
    ];
    let req = apb::ListInspectionsRequest {
        town: e.town.clone(),
        estate_id: id.clone(),
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 100, page_token: String::new() }),
        ..Default::default()
    };
    let mut inspections = s
        .upstreams
        .assessment()
        .list_inspections(s.upstreams.request(&b, req))
        .await
        .map(|r| r.into_inner().inspections)
        .unwrap_or_default();
    inspections.sort_by(|a, b| b.date.cmp(&a.date));
    let req = dpb::ListTicketsRequest {
        town: e.town.clone(),
        estate_id: id,
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 100, page_token: String::new() }),
        ..Default::default()
    };
    let tickets = s
        .upstreams
        .dispatch()
        .list_tickets(s.upstreams.request(&b, req))
        .await
        .map(|r| r.into_inner().tickets)
        .unwrap_or_default();
    let scores = monthly_scores(&s, &b, &e.town, &e.id).await;
    let changes = change_history(&s, &b, &e.id).await;
    page(EstatePage {
        nav: nav(&session),
        can_edit: session.principal.role == Role::TownOffice,
        notice: q.saved.map(|_| "已保存。"),
        id: e.id,
        name: e.name,
        facts,
        scores,
        changes,
        inspections: inspections
            .into_iter()
            .map(|i| {
                (
                    i.date,
                    label::<InspectionKind>(i.kind),
                    format!("{:.1}", i.total_score),
                    label_of_name::<Grade>(&i.grade),
                    i.findings.len(),
                )
            })
            .collect(),
        tickets: tickets
            .into_iter()
            .map(|t| {
                (
                    t.id,
                    t.tracking_code,
                    label::<Category>(t.category),
                    t.description.chars().take(40).collect(),
                    t.assignment.map(|a| a.unit_name).unwrap_or_default(),
                    label::<Status>(t.status),
                )
            })
            .collect(),
    })
}

/// The ledger as CSV, the format the import reads back.
pub async fn export(State(s): State<AppState>, session: Session) -> Response {
    let town = session.principal.town.clone().unwrap_or_default();
    let req = rpb::ExportEstatesRequest { town: town.clone() };
    match s.upstreams.registry().export_estates(s.upstreams.request(&bearer(&session), req)).await {
        Ok(r) => (
            [
                (http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{town}-estates.csv\"")),
            ],
            r.into_inner().csv,
        )
            .into_response(),
        Err(e) => refused(&ApiError::from(e), "/console"),
    }
}
