//! Half-year and annual assessment (半年和全年考核) over HTTP, with the creation targets, and the
//! major security incidents (重大安全事故) the rubric's veto counts.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams};
use crate::views::Page;
use crate::views::assessments::*;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use wuguan_proto::assessment::v1 as pb;

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/assessments/{year}",
    operation_id = "get_assessment",
    tag = "assessment",
    summary = "Half-year (period=h1|h2) or annual assessment with disqualified subjects",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ("year" = String, Path, description = "YYYY"), PeriodParam),
    responses((status = 200, description = "success", body = AssessmentView)),
)]
pub async fn get_assessment(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, year)): Path<(String, String)>,
    QueryParams(q): QueryParams<PeriodParam>,
) -> ApiResult<Json<AssessmentView>> {
    let year: i32 = year.parse().map_err(|_| ApiError::invalid("year", "year must be a number such as 2025"))?;
    let req = pb::GetAssessmentRequest { town, year, period: q.period.unwrap_or_default() };
    let a = s.upstreams.assessment().get_assessment(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(AssessmentView {
        town: a.town,
        year: a.year,
        period: a.period,
        from: a.from_date,
        to: a.to_date,
        provisional: a.provisional,
        subjects: a.subjects.into_iter().map(AssessedView::from).collect(),
        disqualified: a.disqualified.into_iter().map(AssessedView::from).collect(),
        targets: a.targets.map(TargetsView::from).unwrap_or_default(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/incidents",
    operation_id = "record_incident",
    tag = "assessment",
    summary = "Record a major security incident (veto)",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = IncidentInput,
    responses((status = 201, description = "success", body = IncidentView)),
)]
pub async fn record_incident(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<IncidentInput>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    let req = pb::RecordIncidentRequest {
        town,
        estate_id: input.estate_id,
        date: input.date,
        description: input.description,
        idempotency_key: key,
    };
    let resp = s.upstreams.assessment().record_incident(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/incidents",
    operation_id = "list_incidents",
    tag = "assessment",
    summary = "Recorded incidents (from, to)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), IncidentQuery),
    responses((status = 200, description = "success", body = Page<IncidentView>)),
)]
pub async fn list_incidents(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentView>>> {
    let req = pb::ListIncidentsRequest {
        town,
        from_date: q.from.unwrap_or_default(),
        to_date: q.to.unwrap_or_default(),
        page: Some(wuguan_proto::common::v1::PageRequest {
            page_size: q.page_size.unwrap_or(0),
            page_token: q.page_token.unwrap_or_default(),
        }),
    };
    let resp = s.upstreams.assessment().list_incidents(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.incidents.into_iter().map(IncidentView::from).collect(), resp.page)))
}
