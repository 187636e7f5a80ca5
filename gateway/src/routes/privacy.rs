//! Reporters' personal information over HTTP: who read which phone number (town office,
//! county), and how long the town keeps names and numbers after closing.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Bearer, JsonBody, QueryParams};
use crate::views::Page;
use crate::views::privacy::*;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_proto::common::v1::PageRequest;
use wuguan_proto::dispatch::v1 as pb;

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/personal-data-reads",
    operation_id = "list_personal_data_reads",
    tag = "complaints",
    summary = "Who read reporters' phone numbers in full, newest first (town office, county)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PersonalDataReadsQuery),
    responses((status = 200, description = "success", body = Page<PersonalDataReadView>)),
)]
pub async fn reads(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PersonalDataReadsQuery>,
) -> ApiResult<Json<Page<PersonalDataReadView>>> {
    let req = pb::ListPersonalDataReadsRequest {
        town,
        ticket_id: q.ticket_id.unwrap_or_default(),
        page: Some(PageRequest { page_size: q.page_size.unwrap_or(0), page_token: q.page_token.unwrap_or_default() }),
    };
    let resp = s.upstreams.dispatch().list_personal_data_reads(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.reads.into_iter().map(PersonalDataReadView::from).collect(), resp.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/privacy",
    operation_id = "get_privacy",
    tag = "complaints",
    summary = "How long the town keeps reporters' names and numbers after closing",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = PrivacyView)),
)]
pub async fn get_privacy(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<PrivacyView>> {
    let req = pb::GetPrivacySettingsRequest { town };
    Ok(Json(s.upstreams.dispatch().get_privacy_settings(s.upstreams.request(&bearer, req)).await?.into_inner().into()))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/privacy",
    operation_id = "set_privacy",
    tag = "complaints",
    summary = "Set the retention period of reporters' names and numbers (town office, county)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = PrivacyInput,
    responses((status = 200, description = "success", body = PrivacyView)),
)]
pub async fn set_privacy(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<PrivacyInput>,
) -> ApiResult<Json<PrivacyView>> {
    let req = pb::PrivacySettings { town, retention_days: input.retention_days, ..Default::default() };
    Ok(Json(s.upstreams.dispatch().set_privacy_settings(s.upstreams.request(&bearer, req)).await?.into_inner().into()))
}
