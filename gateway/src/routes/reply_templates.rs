//! A town's reply templates (答复规范) over HTTP: what every reply to a reporter must say, per
//! category. Resolving a complaint is refused until its reply fills the template.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Bearer, JsonBody};
use crate::views::reply_templates::*;
use crate::vocab::wire;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::dispatch::Category;

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/reply-templates",
    operation_id = "list_reply_templates",
    tag = "complaints",
    summary = "The town's reply templates (答复规范), one per category",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = ReplyTemplateList)),
)]
pub async fn list_reply_templates(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<ReplyTemplateList>> {
    let req = pb::ListReplyTemplatesRequest { town };
    let resp = s.upstreams.dispatch().list_reply_templates(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(ReplyTemplateList { items: resp.templates.into_iter().map(ReplyTemplateView::from).collect() }))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/reply-templates/{category}",
    operation_id = "set_reply_template",
    tag = "complaints",
    summary = "Set one category's reply template (town office, county)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ("category" = Category, Path, description = "complaint category")),
    request_body = ReplyTemplateInput,
    responses((status = 200, description = "success", body = ReplyTemplateView)),
)]
pub async fn set_reply_template(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, category)): Path<(String, String)>,
    JsonBody(input): JsonBody<ReplyTemplateInput>,
) -> ApiResult<Json<ReplyTemplateView>> {
    let template = pb::ReplyTemplate {
        town,
        category: wire::<Category>("category", &category)?,
        headings: input.headings,
        guidance: input.guidance,
        ..Default::default()
    };
    let req = pb::SetReplyTemplateRequest { template: Some(template) };
    let resp = s.upstreams.dispatch().set_reply_template(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}
