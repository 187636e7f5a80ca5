//! Inspections over HTTP: weekly plans and records with findings (which become complaints).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams};
use crate::views::Page;
use crate::vocab::{name, wire};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::dispatch::{Category, Status};

fn kind_str(v: i32) -> &'static str {
    match pb::InspectionKind::try_from(v) {
        Ok(pb::InspectionKind::Open) => "open",
        Ok(pb::InspectionKind::Unannounced) => "unannounced",
        _ => "unspecified",
    }
}

fn parse_kind(s: &str) -> ApiResult<i32> {
    match s {
        "open" => Ok(pb::InspectionKind::Open as i32),
        "unannounced" => Ok(pb::InspectionKind::Unannounced as i32),
        _ => Err(ApiError::invalid("kind", "kind must be open or unannounced")),
    }
}

fn focus_str(v: i32) -> &'static str {
    match pb::InspectionFocus::try_from(v) {
        Ok(pb::InspectionFocus::Key) => "key",
        Ok(pb::InspectionFocus::FollowUp) => "follow_up",
        _ => "unspecified",
    }
}

fn parse_focus(s: &str) -> ApiResult<i32> {
    match s {
        "key" => Ok(pb::InspectionFocus::Key as i32),
        "follow_up" => Ok(pb::InspectionFocus::FollowUp as i32),
        _ => Err(ApiError::invalid("focus", "focus must be key or follow_up")),
    }
}

fn delivery_str(v: i32) -> &'static str {
    match pb::Delivery::try_from(v) {
        Ok(pb::Delivery::Pending) => "pending",
        Ok(pb::Delivery::Delivered) => "delivered",
        Ok(pb::Delivery::Failed) => "failed",
        _ => "none",
    }
}

#[derive(Serialize)]
pub struct PlanView {
    id: String,
    town: String,
    estate_id: String,
    date: String,
    kind: &'static str,
    focus: &'static str,
    planned_by: String,
    inspection_id: Option<String>,
    reason: String,
    /// Follow-ups: the inspection whose findings it checks on (see `/checks`).
    follows: Option<String>,
}

impl From<pb::PlannedInspection> for PlanView {
    fn from(p: pb::PlannedInspection) -> Self {
        PlanView {
            id: p.id,
            town: p.town,
            estate_id: p.estate_id,
            date: p.date,
            kind: kind_str(p.kind),
            focus: focus_str(p.focus),
            planned_by: p.planned_by,
            inspection_id: (!p.inspection_id.is_empty()).then_some(p.inspection_id),
            reason: p.reason,
            follows: (!p.follows.is_empty()).then_some(p.follows),
        }
    }
}

#[derive(Serialize)]
pub struct FindingView {
    id: String,
    item: String,
    description: String,
    category: &'static str,
    open_ticket: bool,
    /// The complaint's id once dispatch has it.
    ticket_id: Option<String>,
    delivery: &'static str,
    delivery_error: Option<String>,
    deduction: f64,
}

#[derive(Serialize)]
pub struct InspectionView {
    id: String,
    town: String,
    estate_id: String,
    estate_name: String,
    date: String,
    kind: &'static str,
    focus: &'static str,
    inspector: String,
    rubric_version: i64,
    scores: BTreeMap<String, f64>,
    total_score: f64,
    grade: String,
    findings: Vec<FindingView>,
    plan_id: Option<String>,
    follow_up_of: Option<String>,
}

impl From<pb::Inspection> for InspectionView {
    fn from(i: pb::Inspection) -> Self {
        InspectionView {
            id: i.id,
            town: i.town,
            estate_id: i.estate_id,
            estate_name: i.estate_name,
            date: i.date,
            kind: kind_str(i.kind),
            focus: focus_str(i.focus),
            inspector: i.inspector,
            rubric_version: i.rubric_version,
            scores: i.item_scores.into_iter().map(|s| (s.item, s.score)).collect(),
            total_score: i.total_score,
            grade: i.grade,
            findings: i
                .findings
                .into_iter()
                .map(|f| FindingView {
                    id: f.id,
                    item: f.item,
                    description: f.description,
                    category: name::<Category>(f.category),
                    open_ticket: f.open_ticket,
                    ticket_id: (!f.ticket_id.is_empty()).then_some(f.ticket_id),
                    delivery: delivery_str(f.delivery),
                    delivery_error: (!f.delivery_error.is_empty()).then_some(f.delivery_error),
                    deduction: f.deduction,
                })
                .collect(),
            plan_id: (!i.plan_id.is_empty()).then_some(i.plan_id),
            follow_up_of: (!i.follow_up_of.is_empty()).then_some(i.follow_up_of),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    item: String,
    description: String,
    category: String,
    #[serde(default)]
    open_ticket: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    estate_id: String,
    date: String,
    kind: String,
    focus: String,
    /// Item code → points. A scored item keeps its score (its findings deduct nothing more);
    /// items left out start at full marks less the per-finding points of their findings.
    #[serde(default)]
    scores: BTreeMap<String, f64>,
    #[serde(default)]
    findings: Vec<FindingInput>,
    plan_id: Option<String>,
}

pub async fn record(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<InspectionInput>,
) -> ApiResult<(StatusCode, Json<InspectionView>)> {
    let mut findings = Vec::with_capacity(input.findings.len());
    for (i, f) in input.findings.into_iter().enumerate() {
        findings.push(pb::FindingInput {
            category: wire::<Category>(&format!("findings[{i}].category"), &f.category)?,
            item: f.item,
            description: f.description,
            open_ticket: f.open_ticket,
        });
    }
    let req = pb::RecordInspectionRequest {
        town,
        estate_id: input.estate_id,
        date: input.date,
        kind: parse_kind(&input.kind)?,
        focus: parse_focus(&input.focus)?,
        item_scores: input.scores.into_iter().map(|(item, score)| pb::ItemScore { item, score }).collect(),
        findings,
        plan_id: input.plan_id.unwrap_or_default(),
        idempotency_key: key,
    };
    let resp = s.upstreams.assessment().record_inspection(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

pub async fn get(State(s): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> ApiResult<Json<InspectionView>> {
    let resp =
        s.upstreams.assessment().get_inspection(s.upstreams.request(&bearer, pb::GetInspectionRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    estate_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page_size: Option<u32>,
    page_token: Option<String>,
}

fn page(q: &ListQuery) -> Option<wuguan_proto::common::v1::PageRequest> {
    Some(wuguan_proto::common::v1::PageRequest {
        page_size: q.page_size.unwrap_or(0),
        page_token: q.page_token.clone().unwrap_or_default(),
    })
}

pub async fn list(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<InspectionView>>> {
    let req = pb::ListInspectionsRequest {
        town,
        estate_id: q.estate_id.clone().unwrap_or_default(),
        from_date: q.from.clone().unwrap_or_default(),
        to_date: q.to.clone().unwrap_or_default(),
        page: page(&q),
    };
    let resp = s.upstreams.assessment().list_inspections(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.inspections.into_iter().map(InspectionView::from).collect(), resp.page)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    estate_id: String,
    date: String,
    kind: String,
    focus: String,
}

pub async fn plan(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<PlanInput>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let req = pb::PlanInspectionRequest {
        town,
        estate_id: input.estate_id,
        date: input.date,
        kind: parse_kind(&input.kind)?,
        focus: parse_focus(&input.focus)?,
    };
    let resp = s.upstreams.assessment().plan_inspection(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

pub async fn list_plans(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<PlanView>>> {
    if q.estate_id.is_some() {
        return Err(ApiError::invalid("estate_id", "plans are listed by date"));
    }
    let req = pb::ListPlannedInspectionsRequest {
        town,
        from_date: q.from.clone().unwrap_or_default(),
        to_date: q.to.clone().unwrap_or_default(),
        page: page(&q),
    };
    let resp = s.upstreams.assessment().list_planned_inspections(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.plans.into_iter().map(PlanView::from).collect(), resp.page)))
}

#[derive(Serialize)]
pub struct CheckView {
    finding_id: String,
    item: String,
    description: String,
    ticket_id: Option<String>,
    ticket_status: Option<&'static str>,
    overdue: bool,
    check: String,
    check_label: String,
}

#[derive(Serialize)]
pub struct ChecksView {
    follows: String,
    follows_date: String,
    estate_id: String,
    estate_name: String,
    checks: Vec<CheckView>,
}

impl From<pb::FollowUpChecks> for ChecksView {
    fn from(c: pb::FollowUpChecks) -> Self {
        ChecksView {
            follows: c.follows,
            follows_date: c.follows_date,
            estate_id: c.estate_id,
            estate_name: c.estate_name,
            checks: c
                .checks
                .into_iter()
                .map(|k| CheckView {
                    finding_id: k.finding_id,
                    item: k.item,
                    description: k.description,
                    ticket_id: (!k.ticket_id.is_empty()).then_some(k.ticket_id),
                    ticket_status: (k.ticket_status != 0).then(|| name::<Status>(k.ticket_status)),
                    overdue: k.overdue,
                    check: k.check,
                    check_label: k.check_label,
                })
                .collect(),
        }
    }
}

/// The four checks (四查) for a follow-up plan: what to look at when the inspectors return.
pub async fn plan_checks(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<ChecksView>> {
    let req = pb::GetFollowUpChecksRequest { plan_id: id, inspection_id: String::new() };
    let resp = s.upstreams.assessment().get_follow_up_checks(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

/// The four checks for a recorded follow-up inspection, as the tickets stand now.
pub async fn inspection_checks(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<ChecksView>> {
    let req = pb::GetFollowUpChecksRequest { plan_id: String::new(), inspection_id: id };
    let resp = s.upstreams.assessment().get_follow_up_checks(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}
