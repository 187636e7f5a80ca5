//! Importing the estate ledger from a spreadsheet in the console: the clerk uploads the CSV the
//! export gives (edited in Excel, saved as UTF-8 or GBK), may check it first without writing,
//! and sees every problem by line and field; an import with any problem writes nothing.

use super::common::*;
use super::estate_form::field_zh;
use super::session::{Session, csrf_matches};
use crate::AppState;
use crate::error::ApiError;
use crate::error_zh::ledger_message_zh;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use wuguan_platform::Role;
use wuguan_proto::registry::v1 as rpb;

pub struct Outcome {
    dry_run: bool,
    created: u32,
    updated: u32,
}

#[derive(Template)]
#[template(path = "console/estate_import.html")]
struct ImportPage {
    nav: Option<Nav>,
    csrf: String,
    outcome: Option<Outcome>,
    /// (line, field in Chinese, message) of every problem found.
    problems: Vec<(u32, String, String)>,
    error: Option<String>,
}

fn office_page(session: &Session) -> ImportPage {
    ImportPage { nav: nav(session), csrf: session.csrf.clone(), outcome: None, problems: Vec::new(), error: None }
}

pub async fn import_form(session: Session) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "小区台账由镇物管办维护。", "/console/estates");
    }
    page(office_page(&session))
}

/// The posted form's parts: its CSRF token, whether to check only, and the file.
async fn read_parts(mut multipart: Multipart) -> Result<(String, bool, Vec<u8>), String> {
    let (mut csrf, mut dry_run, mut csv) = (String::new(), false, Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|e| e.body_text())?,
            "dry_run" => dry_run = field.text().await.map_err(|e| e.body_text())? == "true",
            "file" => csv = field.bytes().await.map_err(|e| e.body_text())?.to_vec(),
            _ => {}
        }
    }
    Ok((csrf, dry_run, csv))
}

pub async fn import(
    State(s): State<AppState>,
    session: Session,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if session.principal.role != Role::TownOffice {
        return refusal(StatusCode::FORBIDDEN, "小区台账由镇物管办维护。", "/console/estates");
    }
    let mut view = office_page(&session);
    let parts = match multipart {
        Ok(m) => read_parts(m).await,
        Err(e) => Err(e.body_text()),
    };
    let (csrf, dry_run, csv) = match parts {
        Ok(parts) => parts,
        Err(e) if e.contains("length limit") => {
            view.error = Some("文件太大，请分批导入。".to_owned());
            return unprocessable(page(view));
        }
        Err(_) => {
            view.error = Some("上传未完成，请重新选择文件上传。".to_owned());
            return unprocessable(page(view));
        }
    };
    if !csrf_matches(&session.csrf, &csrf) {
        return forbidden_form();
    }
    if csv.is_empty() {
        view.error = Some("请选择要导入的 CSV 文件。".to_owned());
        return unprocessable(page(view));
    }
    let req = rpb::ImportEstatesRequest { town: session.principal.town.clone().unwrap_or_default(), csv, dry_run };
    match s.upstreams.registry().import_estates(s.upstreams.request(&bearer(&session), req)).await {
        Ok(r) => {
            let r = r.into_inner();
            if r.errors.is_empty() {
                view.outcome = Some(Outcome { dry_run, created: r.created, updated: r.updated });
                page(view)
            } else {
                view.problems = r
                    .errors
                    .iter()
                    .map(|e| (e.line, field_zh(&e.field).to_owned(), ledger_message_zh(&e.field, &e.message)))
                    .collect();
                unprocessable(page(view))
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            view.error = Some(say(&e));
            refused_form(page(view), &e)
        }
    }
}
