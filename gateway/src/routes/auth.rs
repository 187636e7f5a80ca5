//! Sign-in: checks the password with the registry and signs a token for the account.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, JsonBody};
use crate::views::auth::*;
use axum::Json;
use axum::extract::State;
use wuguan_platform::{ErrorCode, Principal, Role};
use wuguan_proto::registry::v1 as pb;

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    tag = "auth",
    summary = "Sign in; returns a bearer token",
    request_body = LoginInput,
    responses((status = 200, description = "success", body = TokenView)),
    security(),
)]
pub async fn login(State(state): State<AppState>, JsonBody(input): JsonBody<LoginInput>) -> ApiResult<Json<TokenView>> {
    let request = state
        .upstreams
        .request(&Bearer(None), pb::AuthenticateRequest { username: input.username, password: input.password });
    let account = state.upstreams.accounts().authenticate(request).await?.into_inner();
    let name = account.display_name.clone();
    let principal = principal_of(account).ok_or_else(|| ApiError::new(ErrorCode::Internal, "account has no role"))?;
    let token = state
        .signer
        .sign_named(&principal, Some(&name), state.token_ttl)
        .map_err(|e| ApiError(wuguan_platform::ServiceError::internal(e)))?;
    Ok(Json(TokenView { access_token: token, token_type: "Bearer", expires_in: state.token_ttl.as_secs() }))
}

/// Who an authenticated account acts as (None: the account has no role).
pub fn principal_of(account: pb::Account) -> Option<Principal> {
    Some(Principal {
        subject: account.username,
        role: Role::from_wire(account.role).ok().flatten()?,
        town: (!account.town.is_empty()).then_some(account.town),
        county: account.county,
        unit: (!account.unit_id.is_empty()).then_some(account.unit_id),
        estate: (!account.estate_id.is_empty()).then_some(account.estate_id),
    })
}

/// Who the token says the caller is.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "get_me",
    tag = "auth",
    summary = "Who the token belongs to",
    responses((status = 200, description = "success", body = MeView)),
)]
pub async fn me(State(state): State<AppState>, bearer: Bearer) -> ApiResult<Json<MeView>> {
    let token = bearer.0.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "missing bearer token"))?;
    let c = state.verifier.verify_claims(&token)?;
    Ok(Json(MeView {
        username: c.sub,
        role: c.role.as_str(),
        town: c.town,
        county: c.county,
        unit_id: c.unit,
        estate_id: c.estate,
        display_name: c.name,
    }))
}
