//! A town's working calendar over HTTP: the holidays, make-up working days and office hours that
//! time limits in working hours or working days count by.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Bearer, JsonBody, QueryParams};
use crate::views::calendar::*;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_proto::dispatch::v1 as pb;

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/calendar",
    operation_id = "get_calendar",
    tag = "complaints",
    summary = "The town's working calendar for a year (holidays, make-up working days, office hours)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), CalendarQuery),
    responses((status = 200, description = "success", body = CalendarView)),
)]
pub async fn get_calendar(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<CalendarQuery>,
) -> ApiResult<Json<CalendarView>> {
    let req = pb::GetCalendarRequest { town, year: q.year.unwrap_or(0) };
    let c = s.upstreams.dispatch().get_calendar(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(c.into_inner().into()))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/calendar",
    operation_id = "set_calendar",
    tag = "complaints",
    summary = "Set one year of the town's working calendar (town office, county)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = CalendarInput,
    responses((status = 200, description = "success", body = CalendarView)),
)]
pub async fn set_calendar(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<CalendarInput>,
) -> ApiResult<Json<CalendarView>> {
    let calendar = input.into_pb(town)?;
    let req = pb::SetCalendarRequest { calendar: Some(calendar) };
    let c = s.upstreams.dispatch().set_calendar(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(c.into_inner().into()))
}
