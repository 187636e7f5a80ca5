//! The daily digest in the console (每日督办提醒): by responsible unit, what is overdue and what
//! falls due within a day — the list the town office chases each morning.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::routes::digest::{digest_hours, town_digest};
use crate::views::digest::DigestItem;
use crate::vocab::label_of_name;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use wuguan_proto::vocab::dispatch::Category;

pub struct Row {
    id: String,
    code: String,
    estate: String,
    category: &'static str,
    step: &'static str,
    due: String,
}

pub struct UnitBlock {
    name: String,
    person: String,
    overdue: Vec<Row>,
    due_soon: Vec<Row>,
}

#[derive(Template)]
#[template(path = "console/digest.html")]
struct DigestPage {
    nav: Option<Nav>,
    hours: u32,
    generated: String,
    units: Vec<UnitBlock>,
    overdue_total: usize,
    due_total: usize,
    callbacks_overdue: Vec<Row>,
    callbacks_due: Vec<Row>,
    truncated: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    hours: Option<u32>,
}

fn row(i: DigestItem) -> Row {
    Row {
        id: i.id,
        code: i.tracking_code,
        estate: i.estate_name,
        category: label_of_name::<Category>(i.category),
        step: i.due_step.label_zh(),
        due: local_time(i.due_ms),
    }
}

pub async fn digest(State(s): State<AppState>, session: Session, Query(q): Query<DigestQuery>) -> Response {
    let Some(town) = session.principal.town.clone() else {
        return refusal(StatusCode::FORBIDDEN, "每日督办提醒按镇生成，请由各镇物管办查看。", "/console");
    };
    let hours = match digest_hours(q.hours) {
        Ok(h) => h,
        Err(e) => return refused(&e, "/console/digest"),
    };
    let generated = local_time(wuguan_platform::db::now_ms());
    match town_digest(&s, &bearer(&session), town, hours).await {
        Ok(d) => {
            let units: Vec<UnitBlock> = d
                .units
                .into_iter()
                .map(|u| UnitBlock {
                    name: u.unit_name,
                    person: u.person_name,
                    overdue: u.overdue.into_iter().map(row).collect(),
                    due_soon: u.due_soon.into_iter().map(row).collect(),
                })
                .collect();
            page(DigestPage {
                nav: nav(&session),
                hours,
                generated,
                overdue_total: units.iter().map(|u| u.overdue.len()).sum(),
                due_total: units.iter().map(|u| u.due_soon.len()).sum(),
                units,
                callbacks_overdue: d.callbacks.overdue.into_iter().map(row).collect(),
                callbacks_due: d.callbacks.due_soon.into_iter().map(row).collect(),
                truncated: d.truncated,
            })
        }
        Err(e) => refused(&e, "/console"),
    }
}
