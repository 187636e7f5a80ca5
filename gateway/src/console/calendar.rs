//! The working calendar (工作日历) in the console: one year's public holidays and make-up working
//! days and the office hours, which time limits in working hours or working days count by. The
//! town office (or the county, choosing a town) enters a year as lines of text — one date a
//! line, as the State Council's notice lists them — and saves it with the API's
//! `PUT /towns/{town}/calendar`.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::label;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use wuguan_platform::Role;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::vocab::dispatch::{CalendarSource, DayKind};

/// One listed date as shown.
pub struct DayRow {
    date: String,
    weekday: &'static str,
    kind: &'static str,
    holiday: bool,
    name: String,
}

#[derive(Template)]
#[template(path = "console/calendar.html")]
struct CalendarPage {
    nav: Option<Nav>,
    csrf: String,
    towns: Vec<(String, String, bool)>,
    town: String,
    year: i32,
    source: &'static str,
    weekends_only: bool,
    updated: String,
    can_edit: bool,
    office_start: String,
    office_end: String,
    rows: Vec<DayRow>,
    /// The days as the form's text: `2026-10-01 放假 国庆节`, one a line.
    text: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    year: Option<i32>,
    town: Option<String>,
    saved: Option<u32>,
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn rows(c: &dpb::TownCalendar) -> Vec<DayRow> {
    c.days
        .iter()
        .map(|d| DayRow {
            weekday: chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                .map(|date| WEEKDAYS[date.weekday().num_days_from_monday() as usize])
                .unwrap_or(""),
            date: d.date.clone(),
            kind: label::<DayKind>(d.kind),
            holiday: d.kind == i32::from(DayKind::Holiday),
            name: d.name.clone(),
        })
        .collect()
}

fn as_text(c: &dpb::TownCalendar) -> String {
    c.days
        .iter()
        .map(|d| format!("{} {} {}", d.date, label::<DayKind>(d.kind), d.name).trim_end().to_owned() + "\n")
        .collect()
}

fn page_of(session: &Session, towns: Vec<(String, String, bool)>, c: &dpb::TownCalendar) -> CalendarPage {
    CalendarPage {
        nav: nav(session),
        csrf: session.csrf.clone(),
        towns,
        town: c.town.clone(),
        year: c.year,
        source: label::<CalendarSource>(c.source),
        weekends_only: c.source == i32::from(CalendarSource::WeekendsOnly),
        updated: if c.updated_at_ms == 0 {
            String::new()
        } else {
            format!("{} 由 {} 设定", local_time(c.updated_at_ms), c.updated_by)
        },
        can_edit: matches!(session.principal.role, Role::TownOffice | Role::County),
        office_start: c.office_start.clone(),
        office_end: c.office_end.clone(),
        rows: rows(c),
        text: as_text(c),
        error: None,
        notice: None,
    }
}

async fn fetch(s: &AppState, session: &Session, town: String, year: i32) -> Result<dpb::TownCalendar, ApiError> {
    let req = s.upstreams.request(&bearer(session), dpb::GetCalendarRequest { town, year });
    Ok(s.upstreams.dispatch().get_calendar(req).await?.into_inner())
}

pub async fn calendar(State(s): State<AppState>, session: Session, Query(q): Query<CalendarQuery>) -> Response {
    let town = session.principal.town.clone().or(q.town.clone()).unwrap_or_default();
    let towns = town_choices(&s, &session, &town).await;
    if town.is_empty() {
        let Some((first, _, _)) = towns.first() else {
            return refusal(StatusCode::FORBIDDEN, "工作日历由各镇物管办维护。", "/console");
        };
        return Redirect::to(&format!("/console/calendar?town={first}")).into_response();
    }
    match fetch(&s, &session, town, q.year.unwrap_or(0)).await {
        Ok(c) => {
            let mut p = page_of(&session, towns, &c);
            p.notice = q
                .saved
                .map(|n| format!("已保存 {} 年的工作日历（{n} 个日期），此后派单的工作日时限按此计算。", c.year));
            page(p)
        }
        Err(e) => refused(&e, "/console"),
    }
}

/// The form's lines as days: `date kind [name]`, the kind as its Chinese label or name; what is
/// wrong with a line, by its number.
fn parse_lines(text: &str) -> Result<Vec<dpb::CalendarDay>, String> {
    let mut days = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let Some(date) = parts.next() else { continue };
        let n = i + 1;
        let kind = parts.next().and_then(DayKind::parse).ok_or_else(|| {
            format!("第 {n} 行：日期后请写“{}”或“{}”。", DayKind::Holiday.label_zh(), DayKind::MakeupWorkday.label_zh())
        })?;
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
            return Err(format!("第 {n} 行：日期应写成 2026-10-01 这样。"));
        }
        days.push(dpb::CalendarDay {
            date: date.to_owned(),
            kind: i32::from(kind),
            name: parts.collect::<Vec<_>>().join(" "),
        });
    }
    Ok(days)
}

/// What the service's refusal means for the form, by the line it names.
fn explain(e: &ApiError) -> String {
    let field = e.0.field.as_deref().unwrap_or("");
    match field.strip_prefix("days[").and_then(|rest| rest.split(']').next()).and_then(|i| i.parse::<usize>().ok()) {
        Some(i) => format!("第 {} 行：{}", i + 1, say(e)),
        None => say(e),
    }
}

pub async fn save(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refusal) = managers_only(&session, "工作日历") {
        return refusal;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let year: i32 = f.get("year").and_then(|y| y.trim().parse().ok()).unwrap_or(0);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let text = field("days");
    let attempt = match parse_lines(&text) {
        Ok(days) => {
            let calendar = dpb::TownCalendar {
                town: town.clone(),
                year,
                days,
                office_start: field("office_start"),
                office_end: field("office_end"),
                ..Default::default()
            };
            let req = s.upstreams.request(&bearer(&session), dpb::SetCalendarRequest { calendar: Some(calendar) });
            s.upstreams
                .dispatch()
                .set_calendar(req)
                .await
                .map(|c| c.into_inner())
                .map_err(|e| explain(&ApiError::from(e)))
        }
        Err(message) => Err(message),
    };
    match attempt {
        Ok(c) => {
            let town_param = if session.principal.town.is_some() { String::new() } else { format!("&town={town}") };
            Redirect::to(&format!("/console/calendar?year={}&saved={}{town_param}", c.year, c.days.len()))
                .into_response()
        }
        Err(message) => {
            // Shown again as typed, with what to correct.
            let current = fetch(&s, &session, town.clone(), year).await.unwrap_or_default();
            let towns = town_choices(&s, &session, &town).await;
            let mut p = page_of(&session, towns, &current);
            p.text = text;
            p.office_start = field("office_start");
            p.office_end = field("office_end");
            p.error = Some(message);
            unprocessable(page(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{label_of_name, name};

    #[test]
    fn lines_read_as_days_and_bad_ones_name_their_line() {
        let days = parse_lines("2026-10-01 放假 国庆节\n\n2026-10-10 调休上班 国庆节\n2026-10-02 holiday").unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!((days[1].kind, days[1].name.as_str()), (i32::from(DayKind::MakeupWorkday), "国庆节"));
        assert_eq!(days[2].kind, i32::from(DayKind::Holiday));
        assert_eq!(
            parse_lines("2026-10-01 放假\n2026-10-02 休").unwrap_err(),
            "第 2 行：日期后请写“放假”或“调休上班”。"
        );
        assert_eq!(parse_lines("10月1日 放假").unwrap_err(), "第 1 行：日期应写成 2026-10-01 这样。");
        assert_eq!(name::<DayKind>(1), "holiday");
        assert_eq!(label_of_name::<DayKind>("makeup_workday"), "调休上班");
    }
}
