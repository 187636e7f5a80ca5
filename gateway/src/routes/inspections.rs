//! Inspections over HTTP: weekly plans and records with findings (which become complaints).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams};
use crate::views::Page;
use crate::views::inspections::*;
use crate::vocab::wire;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::assessment::{InspectionFocus, InspectionKind};
use wuguan_proto::vocab::dispatch::Category;

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/inspections",
    operation_id = "record_inspection",
    tag = "assessment",
    summary = "Record an inspection; findings with open_ticket become complaints",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = InspectionInput,
    responses((status = 201, description = "success", body = InspectionView)),
)]
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
        kind: wire::<InspectionKind>("kind", &input.kind)?,
        focus: wire::<InspectionFocus>("focus", &input.focus)?,
        item_scores: input.scores.into_iter().map(|(item, score)| pb::ItemScore { item, score }).collect(),
        findings,
        plan_id: input.plan_id.unwrap_or_default(),
        idempotency_key: key,
    };
    let resp = s.upstreams.assessment().record_inspection(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}",
    operation_id = "get_inspection",
    tag = "assessment",
    summary = "One inspection with its findings and their tickets",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = InspectionView)),
)]
pub async fn get(State(s): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> ApiResult<Json<InspectionView>> {
    let resp =
        s.upstreams.assessment().get_inspection(s.upstreams.request(&bearer, pb::GetInspectionRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

fn page(q: &ListQuery) -> Option<wuguan_proto::common::v1::PageRequest> {
    Some(wuguan_proto::common::v1::PageRequest {
        page_size: q.page_size.unwrap_or(0),
        page_token: q.page_token.clone().unwrap_or_default(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/inspections",
    operation_id = "list_inspections",
    tag = "assessment",
    summary = "List inspections (estate_id, from, to; paginated)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ListQuery),
    responses((status = 200, description = "success", body = Page<InspectionView>)),
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/inspection-plans",
    operation_id = "plan_inspection",
    tag = "assessment",
    summary = "Plan an inspection (town office)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = PlanInput,
    responses((status = 201, description = "success", body = PlanView)),
)]
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
        kind: wire::<InspectionKind>("kind", &input.kind)?,
        focus: wire::<InspectionFocus>("focus", &input.focus)?,
    };
    let resp = s.upstreams.assessment().plan_inspection(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/inspection-plans",
    operation_id = "list_inspection_plans",
    tag = "assessment",
    summary = "The inspection plan (from, to)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ListQuery),
    responses((status = 200, description = "success", body = Page<PlanView>)),
)]
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

/// The four checks (四查) for a follow-up plan: what to look at when the inspectors return.
#[utoipa::path(
    get,
    path = "/api/v1/inspection-plans/{id}/checks",
    operation_id = "get_plan_checks",
    tag = "assessment",
    summary = "The four checks (四查) for a follow-up plan",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = ChecksView)),
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}/checks",
    operation_id = "get_inspection_checks",
    tag = "assessment",
    summary = "The four checks (四查) of a follow-up inspection",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = ChecksView)),
)]
pub async fn inspection_checks(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<ChecksView>> {
    let req = pb::GetFollowUpChecksRequest { plan_id: String::new(), inspection_id: id };
    let resp = s.upstreams.assessment().get_follow_up_checks(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}
