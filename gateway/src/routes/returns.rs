//! Returns by category and unit over HTTP (退单分析): what the town office reads before changing
//! a routing rule.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, JsonBody, QueryParams};
use crate::views::returns::*;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_proto::dispatch::v1 as pb;

/// How far back the analysis looks when no period is given.
const DEFAULT_DAYS: i64 = 90;

/// The period asked for, or the 90 days to today.
fn period(q: &ReturnsQuery) -> ApiResult<(String, String)> {
    let to = q.to.clone().unwrap_or_else(|| wuguan_platform::local_time::today().to_string());
    let from = match &q.from {
        Some(from) => from.clone(),
        None => {
            let end = chrono::NaiveDate::parse_from_str(&to, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid("to", "to must be YYYY-MM-DD"))?;
            (end - chrono::Duration::days(DEFAULT_DAYS - 1)).to_string()
        }
    };
    Ok((from, to))
}

/// The town's returns in the period, most first.
pub async fn town_returns(s: &AppState, bearer: &Bearer, town: String, q: &ReturnsQuery) -> ApiResult<ReturnsView> {
    let (from_date, to_date) = period(q)?;
    let req = pb::TallyReturnsRequest { town, from_date, to_date };
    let resp = s.upstreams.dispatch().tally_returns(s.upstreams.request(bearer, req)).await?.into_inner();
    Ok(ReturnsView {
        town: resp.town,
        from: resp.from_date,
        to: resp.to_date,
        items: resp.returns.into_iter().map(ReturnTallyView::from).collect(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/returns",
    operation_id = "get_returns",
    tag = "complaints",
    summary = "Returns (退单) by category and unit over a period, with how many the town office overruled",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ReturnsQuery),
    responses((status = 200, description = "success", body = ReturnsView)),
)]
pub async fn get_returns(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<ReturnsQuery>,
) -> ApiResult<Json<ReturnsView>> {
    Ok(Json(town_returns(&s, &bearer, town, &q).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/return-reasons",
    operation_id = "list_return_reasons",
    tag = "complaints",
    summary = "The reasons the town's units may give for a return (退单原因)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = ReturnReasonList)),
)]
pub async fn list_return_reasons(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<ReturnReasonList>> {
    let req = pb::ListReturnReasonsRequest { town };
    let resp = s.upstreams.dispatch().list_return_reasons(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(ReturnReasonList {
        items: resp.reasons.into_iter().map(ReturnReasonView::from).collect(),
        customised: resp.customised,
    }))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/return-reasons",
    operation_id = "set_return_reasons",
    tag = "complaints",
    summary = "Replace the town's return reasons (town office, county)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = ReturnReasonsInput,
    responses((status = 200, description = "success", body = ReturnReasonList)),
)]
pub async fn set_return_reasons(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<ReturnReasonsInput>,
) -> ApiResult<Json<ReturnReasonList>> {
    let reasons = input
        .reasons
        .into_iter()
        .map(|r| pb::TownReturnReason { code: r.code, label: r.label, built_in: r.built_in, active: r.active })
        .collect();
    let req = pb::SetReturnReasonsRequest { town, reasons };
    let resp = s.upstreams.dispatch().set_return_reasons(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(ReturnReasonList {
        items: resp.reasons.into_iter().map(ReturnReasonView::from).collect(),
        customised: resp.customised,
    }))
}
