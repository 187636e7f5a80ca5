//! The daily digest over HTTP: by responsible unit, what is overdue and what falls due soon.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, QueryParams};
use crate::views::digest::*;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_platform::db::now_ms;
use wuguan_platform::{ErrorCode, Role};
use wuguan_proto::dispatch::v1 as pb;

/// Pages of 500 a digest reads at most.
const MAX_PAGES: usize = 4;

/// The town's open tickets with a step due before `hours` from now, by unit.
pub async fn town_digest(s: &AppState, bearer: &Bearer, town: String, hours: u32) -> ApiResult<DigestView> {
    // For those who work tickets; a resident follows their own by tracking code.
    let token = bearer.0.as_deref().ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "missing bearer token"))?;
    let role = s.verifier.verify(token)?.role;
    if matches!(role, Role::Resident | Role::OwnerRep) {
        return Err(ApiError::new(ErrorCode::PermissionDenied, "the digest is for the units and the town office"));
    }
    // Calling reporters back is the office's step, not the units'.
    let with_callbacks = matches!(role, Role::TownOffice | Role::County);
    let now = now_ms();
    let filter = pb::ListTicketsRequest {
        town: town.clone(),
        due_before_ms: now + i64::from(hours) * 3_600_000,
        ..Default::default()
    };
    let tickets = s.upstreams.tickets_where(bearer, filter, MAX_PAGES + 1).await?;
    let truncated = tickets.len() > MAX_PAGES * 500;
    let tickets = tickets.into_iter().take(MAX_PAGES * 500).collect();
    Ok(digest(town, tickets, now, hours, truncated, with_callbacks))
}

/// Hours ahead, 1 to a week.
pub fn digest_hours(asked: Option<u32>) -> ApiResult<u32> {
    match asked.unwrap_or(24) {
        h @ 1..=168 => Ok(h),
        _ => Err(ApiError::invalid("hours", "hours must be 1..=168")),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/digest",
    operation_id = "get_digest",
    tag = "complaints",
    summary = "The daily digest: by unit, every open complaint with a step overdue or due within the hours",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), DigestQuery),
    responses((status = 200, description = "success", body = DigestView)),
)]
pub async fn get_digest(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<DigestQuery>,
) -> ApiResult<Json<DigestView>> {
    let hours = digest_hours(q.hours)?;
    Ok(Json(town_digest(&s, &bearer, town, hours).await?))
}
