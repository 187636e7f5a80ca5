//! Monthly bulletins (每月一通报) over HTTP: the draft computed on demand, published versions,
//! and a printable Chinese page (`?format=html`).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, QueryParams};
use crate::views::assessments::*;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::registry::v1 as rpb;

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/bulletins/{month}",
    operation_id = "get_bulletin",
    tag = "assessment",
    summary = "The month's bulletin: published, or a draft for the office (format=html: printable page)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ("month" = String, Path, description = "YYYY-MM"), FormatParam),
    responses((status = 200, description = "JSON, or with format=html a printable page", content((BulletinView = "application/json"), (String = "text/html")))),
)]
pub async fn get_bulletin(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, month)): Path<(String, String)>,
    QueryParams(q): QueryParams<FormatParam>,
) -> ApiResult<Response> {
    let html = match q.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::invalid("format", "format must be json or html")),
    };
    let req = s.upstreams.request(&bearer, pb::GetBulletinRequest { town: town.clone(), month });
    let bulletin = BulletinView::from(s.upstreams.assessment().get_bulletin(req).await?.into_inner());
    if !html {
        return Ok(Json(bulletin).into_response());
    }
    // The page names the town in Chinese; the code will do if the registry cannot say.
    let town_req = s.upstreams.request(&bearer, rpb::GetTownRequest { town: town.clone() });
    let town_name = match s.upstreams.registry().get_town(town_req).await {
        Ok(t) => t.into_inner().name,
        Err(_) => town,
    };
    let page = crate::printable::bulletin(&town_name, &bulletin);
    Ok(([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/bulletins/{month}/publish",
    operation_id = "publish_bulletin",
    tag = "assessment",
    summary = "Publish the month's bulletin (a new immutable version)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 201, description = "success", body = BulletinView)),
)]
pub async fn publish_bulletin(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, month)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<BulletinView>)> {
    let resp = s
        .upstreams
        .assessment()
        .publish_bulletin(s.upstreams.request(&bearer, pb::PublishBulletinRequest { town, month }))
        .await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}
