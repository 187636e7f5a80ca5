//! Sign-in: checks the password with the registry and signs a token for the account.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, JsonBody};
use crate::public_limit::SignInClient;
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
pub async fn login(
    State(state): State<AppState>,
    client: SignInClient,
    JsonBody(input): JsonBody<LoginInput>,
) -> ApiResult<Json<TokenView>> {
    let account = authenticate(&state, &client, input.username, input.password).await?;
    let token = session_token(&state, account)?;
    Ok(Json(TokenView { access_token: token, token_type: "Bearer", expires_in: state.token_ttl.as_secs() }))
}

/// Checks a username and password with the registry, telling it (under the gateway's own
/// identity) which client is trying: wrong passwords lock that client out, not the account.
pub async fn authenticate(
    state: &AppState,
    client: &SignInClient,
    username: String,
    password: String,
) -> Result<pb::Account, tonic::Status> {
    let machine = crate::revocations::gateway_token(&state.signer).map_err(tonic::Status::from)?;
    let request =
        state.upstreams.request(&machine, pb::AuthenticateRequest { username, password, client: client.0.clone() });
    Ok(state.upstreams.accounts().authenticate(request).await?.into_inner())
}

/// The sign-in token for an account the registry authenticated: its principal, display name
/// and token version (so that signing out or a new password voids it).
pub fn session_token(state: &AppState, account: pb::Account) -> ApiResult<String> {
    let (name, version) = (account.display_name.clone(), account.token_version);
    let principal = principal_of(account).ok_or_else(|| ApiError::new(ErrorCode::Internal, "account has no role"))?;
    state
        .signer
        .sign_session(&principal, &name, version, state.token_ttl)
        .map_err(|e| ApiError(wuguan_platform::ServiceError::internal(e)))
}

/// Ends every session of the calling account: this token and every other issued to it before
/// stop working on every service within about a second.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    tag = "auth",
    summary = "Sign out everywhere: every token issued to the account so far stops working",
    responses((status = 204, description = "signed out")),
)]
pub async fn logout(State(state): State<AppState>, bearer: Bearer) -> ApiResult<axum::http::StatusCode> {
    let req = state.upstreams.request(&bearer, pb::SignOutRequest {});
    state.upstreams.accounts().sign_out(req).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A new token for the same session, while the one presented is valid: sign-in tokens are
/// short-lived (`expires_in`), and a session is refreshed for at most 12 hours after signing in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    operation_id = "refresh",
    tag = "auth",
    summary = "Exchange a valid sign-in token for a fresh one (up to 12 hours after signing in)",
    responses((status = 200, description = "success", body = TokenView)),
)]
pub async fn refresh(State(state): State<AppState>, bearer: Bearer) -> ApiResult<Json<TokenView>> {
    let token = bearer.0.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "missing bearer token"))?;
    let claims = state.verifier.verify_claims(&token)?;
    let token = state.signer.refresh(&claims, state.token_ttl)?;
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
