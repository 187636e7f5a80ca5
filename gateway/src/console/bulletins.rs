//! Monthly bulletins (每月一通报) in the console: the month's rankings of every subject kind and
//! the units named; the town office publishes a finished month (a new immutable version); a
//! printable page. Units read what was published.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::printable::{change_zh, league_list, league_table, standing_zh};
use crate::views::assessments::LeagueRowView;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use wuguan_platform::Role;
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::registry::v1 as rpb;

/// (rank, name, score, grade, change, note) rows of one subject kind.
type Rows = Vec<(u32, String, String, &'static str, String, &'static str)>;

#[derive(Template)]
#[template(path = "console/bulletin.html")]
struct BulletinPage {
    nav: Option<Nav>,
    month: String,
    /// The town read (the county chooses among its towns).
    town: String,
    towns: Vec<(String, String, bool)>,
    status: String,
    inspections: u32,
    can_publish: bool,
    csrf: String,
    rankings: Vec<(&'static str, Rows)>,
    named: Vec<(String, u32, u32)>,
    /// 红黑榜: headings, one row of cells per unit, and who is on each list.
    league_headers: Vec<&'static str>,
    league: Vec<Vec<String>>,
    red: String,
    black: String,
    error: Option<String>,
    notice: Option<String>,
}

fn last_month() -> String {
    let today = wuguan_platform::local_time::local_date(wuguan_platform::db::now_ms());
    let first = today.with_day0(0).unwrap_or(today);
    (first - chrono::Duration::days(1)).format("%Y-%m").to_string()
}

use crate::vocab::label_of_name;
use chrono::Datelike;
use wuguan_proto::vocab::assessment::{Grade, SubjectType};

/// The bulletins of the last `months` complete months the caller may read, newest first (a
/// unit reads only published ones; a month it may not read is left out).
pub(super) async fn recent_bulletins(
    s: &AppState,
    b: &crate::extract::Bearer,
    town: &str,
    months: usize,
) -> Vec<apb::Bulletin> {
    let today = wuguan_platform::local_time::local_date(wuguan_platform::db::now_ms());
    let mut month = today.with_day0(0).unwrap_or(today);
    let mut out = Vec::with_capacity(months);
    for _ in 0..months {
        month = (month - chrono::Duration::days(1)).with_day0(0).unwrap_or(month);
        let req = apb::GetBulletinRequest { town: town.to_owned(), month: month.format("%Y-%m").to_string() };
        if let Ok(bulletin) = s.upstreams.assessment().get_bulletin(s.upstreams.request(b, req)).await {
            out.push(bulletin.into_inner());
        }
    }
    out
}

#[derive(serde::Deserialize, Default)]
pub struct MonthQuery {
    month: Option<String>,
    published: Option<String>,
    town: Option<String>,
}

async fn fetch(s: &AppState, session: &Session, town: &str, month: &str) -> Result<apb::Bulletin, ApiError> {
    let req = s
        .upstreams
        .request(&bearer(session), apb::GetBulletinRequest { town: town.to_owned(), month: month.to_owned() });
    Ok(s.upstreams.assessment().get_bulletin(req).await?.into_inner())
}

pub async fn bulletin(State(s): State<AppState>, session: Session, Query(q): Query<MonthQuery>) -> Response {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(last_month);
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let b = match fetch(&s, &session, &town, &month).await {
        Ok(b) => b,
        // A month not published yet has no bulletin for a unit (404, as the API says); other
        // refusals are the API's own.
        Err(e) if e.0.code == wuguan_platform::ErrorCode::NotFound => {
            return refusal(StatusCode::NOT_FOUND, "本月通报尚未发布。", "/console");
        }
        Err(e) => return refused(&e, "/console"),
    };
    let mut rankings = Vec::new();
    for subject in SubjectType::ALL {
        let (kind, label) = (subject.as_str(), subject.label_zh());
        let rows: Rows = b
            .rankings
            .iter()
            .filter(|r| r.subject_type == kind)
            .map(|r| {
                let (change, note) = (change_zh(r.change), standing_zh(&r.standing));
                (r.rank, r.name.clone(), format!("{:.1}", r.score), label_of_name::<Grade>(&r.grade), change, note)
            })
            .collect();
        if !rows.is_empty() {
            rankings.push((label, rows));
        }
    }
    let league_rows: Vec<LeagueRowView> = b.league.iter().cloned().map(LeagueRowView::from).collect();
    let (league_headers, league) = league_table(&league_rows);
    let (red, black) = (league_list(&league_rows, "red"), league_list(&league_rows, "black"));
    let status = if b.status == "published" {
        format!("已发布（第 {} 版）", b.version)
    } else {
        "草稿（未发布）".to_owned()
    };
    page(BulletinPage {
        nav: nav(&session),
        can_publish: session.principal.role == Role::TownOffice
            && month
                < wuguan_platform::local_time::local_date(wuguan_platform::db::now_ms()).format("%Y-%m").to_string(),
        csrf: session.csrf.clone(),
        month,
        towns: town_choices(&s, &session, &town).await,
        town,
        status,
        inspections: b.inspections,
        rankings,
        named: b.named_units.iter().map(|u| (u.unit_name.clone(), u.overdue, u.escalated)).collect(),
        league_headers,
        league,
        red,
        black,
        error: None,
        notice: q.published.map(|v| format!("已发布第 {v} 版。")),
    })
}

pub async fn publish(State(s): State<AppState>, session: Session, Path(month): Path<String>, body: Bytes) -> Response {
    if signed_form(&session, &body).is_none() {
        return forbidden_form();
    }
    let town = session.principal.town.clone().unwrap_or_default();
    let req = s.upstreams.request(&bearer(&session), apb::PublishBulletinRequest { town, month: month.clone() });
    match s.upstreams.assessment().publish_bulletin(req).await {
        Ok(b) => Redirect::to(&format!("/console/bulletins?month={month}&published={}", b.into_inner().version))
            .into_response(),
        Err(e) => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            &say(&ApiError::from(e)),
            &format!("/console/bulletins?month={month}"),
        ),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct TownQuery {
    town: Option<String>,
}

/// The printable page, as the API's `?format=html` renders it.
pub async fn print(
    State(s): State<AppState>,
    session: Session,
    Path(month): Path<String>,
    Query(q): Query<TownQuery>,
) -> Response {
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let b = match fetch(&s, &session, &town, &month).await {
        Ok(b) => b,
        Err(e) => return refused(&e, "/console"),
    };
    let req = s.upstreams.request(&bearer(&session), rpb::GetTownRequest { town: town.clone() });
    let town_name = match s.upstreams.registry().get_town(req).await {
        Ok(t) => t.into_inner().name,
        Err(_) => town,
    };
    Html(crate::printable::bulletin(&town_name, &crate::views::assessments::BulletinView::from(b))).into_response()
}
