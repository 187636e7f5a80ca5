//! Reply templates (答复规范) in the console: for each category, the headings every reply to a
//! reporter must fill and what the office asks of the writer. The town office edits one category
//! at a time (the API's `PUT /reply-templates/{category}`); units read what is expected of them.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::{label, name};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use wuguan_platform::Role;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::vocab::dispatch::Category;

pub struct TemplateRow {
    category: &'static str,
    label: &'static str,
    /// One heading per line, as the form edits them.
    headings: String,
    guidance: String,
    customised: bool,
}

#[derive(Template)]
#[template(path = "console/reply_templates.html")]
struct TemplatesPage {
    nav: Option<Nav>,
    csrf: String,
    can_edit: bool,
    rows: Vec<TemplateRow>,
    error: Option<String>,
    notice: Option<String>,
}

fn row(t: dpb::ReplyTemplate) -> TemplateRow {
    TemplateRow {
        category: name::<Category>(t.category),
        label: label::<Category>(t.category),
        headings: t.headings.join("\n"),
        guidance: t.guidance,
        customised: t.customised,
    }
}

async fn render(s: &AppState, session: &Session, error: Option<String>, notice: Option<String>) -> Response {
    let Some(town) = session.principal.town.clone() else {
        return refusal(StatusCode::FORBIDDEN, "答复规范由各镇物管办制定。", "/console");
    };
    let req = s.upstreams.request(&bearer(session), dpb::ListReplyTemplatesRequest { town });
    match s.upstreams.dispatch().list_reply_templates(req).await {
        Ok(r) => page(TemplatesPage {
            nav: nav(session),
            csrf: session.csrf.clone(),
            can_edit: session.principal.role == Role::TownOffice,
            rows: r.into_inner().templates.into_iter().map(row).collect(),
            error,
            notice,
        }),
        Err(e) => refused(&ApiError::from(e), "/console"),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn reply_templates(State(s): State<AppState>, session: Session, Query(q): Query<SavedQuery>) -> Response {
    let notice = q.saved.map(|c| format!("已保存“{}”的答复规范，此后办结即按新规范填写。", label_of_category(&c)));
    render(&s, &session, None, notice).await
}

fn label_of_category(category: &str) -> &'static str {
    crate::vocab::label_of_name::<Category>(category)
}

pub async fn save(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "答复规范由镇物管办制定。", "/console/reply-templates");
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let category = field("category");
    let template = dpb::ReplyTemplate {
        town: session.principal.town.clone().unwrap_or_default(),
        category: crate::vocab::wire::<Category>("category", &category).unwrap_or(0),
        headings: field("headings").lines().map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect(),
        guidance: field("guidance"),
        ..Default::default()
    };
    let req = s.upstreams.request(&bearer(&session), dpb::SetReplyTemplateRequest { template: Some(template) });
    match s.upstreams.dispatch().set_reply_template(req).await {
        Ok(_) => Redirect::to(&format!("/console/reply-templates?saved={category}")).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let message = format!("{}：{}", label_of_category(&category), say(&e));
            refused_form(render(&s, &session, Some(message), None).await, &e)
        }
    }
}
