//! The county's view: every town of the county side by side for the month so far (complaints,
//! the three rates, overdue, level-2 tickets), with each town's board and the written report
//! (书面报告) of its level-2 tickets, printable.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::printable::percent;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use wuguan_platform::local_time::{day_start_ms, local_date};
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::registry::v1 as rpb;

pub struct TownRow {
    code: String,
    name: String,
    count: u32,
    response: String,
    resolution: String,
    satisfaction: String,
    overdue: u32,
    level_two: u32,
}

#[derive(Template)]
#[template(path = "console/county.html")]
struct CountyPage {
    nav: Option<Nav>,
    csrf: String,
    error: Option<String>,
    period: String,
    from: String,
    to: String,
    towns: Vec<TownRow>,
}

/// The overview; `error` says why a form (adding a town) was refused.
pub async fn county(s: &AppState, session: &Session, error: Option<String>) -> Result<Response, ApiError> {
    let b = bearer(session);
    let today = local_date(wuguan_platform::db::now_ms());
    let from = today.with_day0(0).unwrap_or(today);
    let towns =
        s.upstreams.registry().list_towns(s.upstreams.request(&b, rpb::ListTownsRequest {})).await?.into_inner().towns;
    let mut rows = Vec::with_capacity(towns.len());
    for town in towns {
        let req = dpb::GetComplaintStatsRequest {
            town: town.code.clone(),
            from_date: from.to_string(),
            to_date: today.to_string(),
            ..Default::default()
        };
        let st = s.upstreams.dispatch().get_complaint_stats(s.upstreams.request(&b, req)).await?.into_inner();
        // Overdue and open at county level are states now, whenever the ticket came in; the
        // month's figures above are about the month's complaints.
        let open =
            |f: dpb::ListTicketsRequest| dpb::ListTicketsRequest { town: town.code.clone(), open_only: true, ..f };
        let overdue =
            tickets_where(s, &b, open(dpb::ListTicketsRequest { overdue: Some(true), ..Default::default() }), 4)
                .await?;
        let level_two =
            tickets_where(s, &b, open(dpb::ListTicketsRequest { level: Some(2), ..Default::default() }), 4).await?;
        rows.push(TownRow {
            code: town.code,
            name: town.name,
            count: st.count,
            response: percent(st.response_rate),
            resolution: percent(st.resolution_rate),
            satisfaction: percent(st.satisfaction_rate),
            overdue: overdue.len() as u32,
            level_two: level_two.len() as u32,
        });
    }
    Ok(page(CountyPage {
        nav: nav(session),
        csrf: session.csrf.clone(),
        error,
        period: format!("{from} 至 {today}"),
        from: from.to_string(),
        to: today.to_string(),
        towns: rows,
    }))
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    town: String,
    from: String,
    to: String,
}

/// The written report of a town's level-2 tickets for a period, as the API's printable page.
pub async fn report(State(s): State<AppState>, session: Session, Query(q): Query<ReportQuery>) -> Response {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (parse(&q.from), parse(&q.to)) else {
        return (StatusCode::BAD_REQUEST, "日期格式应为 YYYY-MM-DD").into_response();
    };
    let loaded = match crate::written_report::load(
        &s,
        &bearer(&session),
        &q.town,
        day_start_ms(from),
        day_start_ms(to) + 24 * 3_600_000,
    )
    .await
    {
        Ok(loaded) => loaded,
        Err(e) => return refused(&e, "/console"),
    };
    let report = crate::written_report::WrittenReport {
        town_name: &loaded.town_name,
        from,
        to,
        issued: wuguan_platform::local_time::today(),
        tickets: &loaded.reached,
        carried_over: &loaded.carried_over,
    };
    Html(crate::printable::county_report(&report)).into_response()
}

/// The county adds a town to itself, then goes on to its accounts and units.
pub async fn create_town(State(s): State<AppState>, session: Session, body: axum::body::Bytes) -> Response {
    if session.principal.role != wuguan_platform::Role::County {
        return refusal(StatusCode::FORBIDDEN, "新增镇由县建设局办理。", "/console");
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let req = rpb::CreateTownRequest { code: field("code"), name: field("name") };
    match s.upstreams.registry().create_town(s.upstreams.request(&bearer(&session), req)).await {
        Ok(t) => axum::response::Redirect::to(&format!("/console/accounts?town={}&new_town=1", t.into_inner().code))
            .into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let message = match (e.0.code, e.0.field.as_deref()) {
                (wuguan_platform::ErrorCode::AlreadyExists, _) => "已有这个代码的镇。".to_owned(),
                (_, Some("code")) => "代码为 2 至 32 个小写字母、数字、- 或 _（用于链接，如 xinzhen）。".to_owned(),
                (_, Some("name")) => "请填写镇名（不超过 100 字）。".to_owned(),
                _ => say(&e),
            };
            match county(&s, &session, Some(message)).await {
                Ok(page) => refused_form(page, &e),
                Err(e) => refused(&e, "/console"),
            }
        }
    }
}
