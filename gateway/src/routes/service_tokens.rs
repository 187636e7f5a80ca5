//! Service tokens over HTTP: the registry records each one (name, town, unit, life, who made
//! it) and the gateway signs it with the record's id, so that it can be listed and revoked.
//! Rotating a token is creating its successor, giving it to the system, then revoking the old.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, JsonBody, QueryParams};
use crate::views::Page;
use crate::views::service_tokens::*;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::time::Duration;
use wuguan_platform::{Principal, Role, ServiceError};
use wuguan_proto::common::v1::PageRequest;
use wuguan_proto::registry::v1 as pb;

#[utoipa::path(
    post,
    path = "/api/v1/service-tokens",
    operation_id = "create_service_token",
    tag = "accounts",
    summary = "Mint a service token for another department's system (county, or the town office for its town); shown once",
    request_body = ServiceTokenInput,
    responses((status = 201, description = "created", body = CreatedServiceTokenView)),
)]
pub async fn create_service_token(
    State(s): State<AppState>,
    bearer: Bearer,
    JsonBody(input): JsonBody<ServiceTokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedServiceTokenView>)> {
    let req =
        pb::CreateServiceTokenRequest { name: input.name, town: input.town, unit_id: input.unit_id, days: input.days };
    let record = s.upstreams.accounts().create_service_token(s.upstreams.request(&bearer, req)).await?.into_inner();
    let token = sign(&s, &record).map_err(|e| ApiError(ServiceError::internal(e)))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedServiceTokenView { access_token: token, token_type: "Bearer", service_token: record.into() }),
    ))
}

/// The token for a service token the registry recorded: the recorded system, town and unit, its
/// id as `jti`, its recorded life.
pub fn sign(s: &AppState, record: &pb::ServiceToken) -> anyhow::Result<String> {
    let principal = Principal {
        subject: record.name.clone(),
        role: Role::Service,
        town: Some(record.town.clone()),
        county: record.county.clone(),
        unit: (!record.unit_id.is_empty()).then(|| record.unit_id.clone()),
        estate: None,
    };
    let life = Duration::from_millis((record.expires_at_ms - record.created_at_ms).max(0) as u64);
    s.signer.sign_service(&principal, &record.id, life)
}

#[utoipa::path(
    get,
    path = "/api/v1/service-tokens",
    operation_id = "list_service_tokens",
    tag = "accounts",
    summary = "List service tokens, newest first (county: its county's; town office: its town's)",
    params(ServiceTokensQuery),
    responses((status = 200, description = "success", body = Page<ServiceTokenView>)),
)]
pub async fn list_service_tokens(
    State(s): State<AppState>,
    bearer: Bearer,
    QueryParams(q): QueryParams<ServiceTokensQuery>,
) -> ApiResult<Json<Page<ServiceTokenView>>> {
    let req = pb::ListServiceTokensRequest {
        town: q.town.unwrap_or_default(),
        page: Some(PageRequest { page_size: q.page_size.unwrap_or(0), page_token: q.page_token.unwrap_or_default() }),
    };
    let resp = s.upstreams.accounts().list_service_tokens(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.tokens.into_iter().map(ServiceTokenView::from).collect(), resp.page)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/service-tokens/{id}",
    operation_id = "revoke_service_token",
    tag = "accounts",
    summary = "Revoke a service token: it stops working on every service within about a second",
    params(("id" = String, Path, description = "the token's id")),
    responses((status = 200, description = "revoked", body = ServiceTokenView)),
)]
pub async fn revoke_service_token(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceTokenView>> {
    let req = pb::RevokeServiceTokenRequest { id };
    let record = s.upstreams.accounts().revoke_service_token(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(record.into()))
}
