//! The supervision view (督查): open tickets and those done in the last 30 days sorted by the
//! source's four checks — done → 查成效, in progress → 查进度, blocked → 查原因, not done →
//! 查责任 — and the possible repeats the office may merge into the ticket they repeat.

use super::common::*;
use super::session::Session;
use super::tickets::{Row, row};
use crate::AppState;
use crate::routes::complaints::supervised;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use wuguan_platform::Role;
use wuguan_proto::dispatch::v1 as dpb;

pub struct Check {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    count: usize,
    rows: Vec<Row>,
}

/// A possible repeat and the ticket it seems to repeat.
pub struct Repeat {
    row: Row,
    into_id: String,
    into_code: String,
}

#[derive(Template)]
#[template(path = "console/supervision.html")]
struct SupervisionPage {
    nav: Option<Nav>,
    towns: Vec<(String, String, bool)>,
    notice: Option<&'static str>,
    csrf: String,
    checks: Vec<Check>,
    truncated: bool,
    repeats: Vec<Repeat>,
    can_merge: bool,
}

fn hint(key: &str) -> &'static str {
    match key {
        "check_effect" => "已办结：回访群众，看整改是否见效。",
        "check_progress" => "办理中：对照措施和时限，看进度。",
        "check_cause" => "受阻（退回或超出时限仍在办）：查明原因，协调解决。",
        _ => "未响应或超期未办：追究责任单位和责任人。",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct TownQuery {
    town: Option<String>,
    done: Option<String>,
}

pub async fn supervision(State(s): State<AppState>, session: Session, Query(q): Query<TownQuery>) -> Response {
    if !matches!(session.principal.role, Role::TownOffice | Role::County) {
        return refusal(StatusCode::FORBIDDEN, "督查视图供镇物管办和县建设局使用。", "/console");
    }
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let b = bearer(&session);
    let (groups, truncated) = match supervised(&s, &b, &town).await {
        Ok(g) => g,
        Err(e) => return refused(&e, "/console"),
    };
    let now = now_ms();
    let checks = groups
        .into_iter()
        .map(|g| Check {
            key: g.key,
            label: g.label,
            hint: hint(g.key),
            count: g.count,
            rows: g.tickets.iter().map(|t| row(t, now)).collect(),
        })
        .collect();
    let req = dpb::ListTicketsRequest {
        town: town.clone(),
        possible_repeats: true,
        page: Some(wuguan_proto::common::v1::PageRequest { page_size: 100, page_token: String::new() }),
        ..Default::default()
    };
    let flagged = match s.upstreams.dispatch().list_tickets(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().tickets,
        Err(e) => return refused(&e.into(), "/console"),
    };
    let mut repeats = Vec::with_capacity(flagged.len());
    for t in flagged {
        let into = s
            .upstreams
            .dispatch()
            .get_ticket(s.upstreams.request(&b, dpb::GetTicketRequest { id: t.possible_repeat_of.clone() }))
            .await;
        // The earlier ticket may have gone out of the caller's sight; then there is nothing to merge into.
        if let Ok(into) = into {
            let into = into.into_inner();
            repeats.push(Repeat { row: row(&t, now), into_id: into.id, into_code: into.tracking_code });
        }
    }
    page(SupervisionPage {
        nav: nav(&session),
        towns: town_choices(&s, &session, &town).await,
        notice: q.done.map(|_| "已合并。"),
        can_merge: session.principal.role == Role::TownOffice,
        csrf: session.csrf.clone(),
        checks,
        truncated,
        repeats,
    })
}
