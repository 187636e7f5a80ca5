//! What every console page shares: the navigation by role, rendering, readable messages for
//! refusals, form parsing, and the Chinese labels and times people read.

use super::session::Session;
use crate::error::ApiError;
use crate::extract::Bearer;
use askama::Template;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;
use wuguan_platform::Role;

pub struct Nav {
    /// (href, label, whether it is the page being shown).
    pub links: Vec<(&'static str, &'static str, bool)>,
    pub who: String,
    pub csrf: String,
}

pub(super) fn nav(s: &Session) -> Option<Nav> {
    let links = match s.principal.role {
        Role::TownOffice => {
            vec![
                ("/console", "工作台"),
                ("/console/tickets", "诉求台账"),
                ("/console/supervision", "督查"),
                ("/console/digest", "每日督办"),
                ("/console/estates", "小区台账"),
                ("/console/inspections", "每周督查"),
                ("/console/bulletins", "月度通报"),
                ("/console/assessments", "年度考核"),
                ("/console/rubric", "考核细则"),
                ("/console/routing", "派单规则"),
                ("/console/calendar", "工作日历"),
                ("/console/reply-templates", "答复规范"),
                ("/console/units", "责任人"),
                ("/console/accounts", "账号管理"),
            ]
        }
        Role::County => vec![
            ("/console", "工作台"),
            ("/console/tickets", "诉求台账"),
            ("/console/supervision", "督查"),
            ("/console/bulletins", "月度通报"),
            ("/console/assessments", "年度考核"),
            ("/console/units", "责任人"),
            ("/console/accounts", "账号管理"),
        ],
        Role::Resident => vec![("/console/submit", "反映问题"), ("/console/track", "查询进度")],
        Role::OwnerRep => {
            vec![("/console/tickets", "本小区诉求"), ("/console/submit", "反映问题"), ("/console/track", "查询进度")]
        }
        _ => vec![
            ("/console", "工作台"),
            ("/console/tickets", "我的待办"),
            ("/console/digest", "到期提醒"),
            ("/console/bulletins", "月度通报"),
        ],
    };
    // The page shown is the link that is the longest prefix of its path ("/console" only itself).
    let current = links
        .iter()
        .map(|(href, _)| *href)
        .filter(|href| s.path == *href || (*href != "/console" && s.path.starts_with(&format!("{href}/"))))
        .max_by_key(|href| href.len());
    let links = links.into_iter().map(|(href, label)| (href, label, Some(href) == current)).collect();
    Some(Nav { links, who: who(s), csrf: s.csrf.clone() })
}

/// Who is signed in, as the header shows it: the office and the person (众兴镇物管办 · 周天照),
/// or the role's label and the login name for an account without a display name.
pub(super) fn who(s: &Session) -> String {
    match &s.name {
        Some(name) => name.split_whitespace().collect::<Vec<_>>().join(" · "),
        None => format!("{} · {}", s.principal.role.label_zh(), s.principal.subject),
    }
}

pub(super) fn bearer(s: &Session) -> Bearer {
    Bearer(Some(s.token.clone()))
}

pub(super) fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

/// What a person should read when a service says no.
pub(super) fn say(e: &ApiError) -> String {
    use wuguan_platform::ErrorCode::*;
    let text = crate::error_zh::message_zh(&e.0);
    match e.0.code {
        PermissionDenied | NotFound | Unavailable | ResourceExhausted => text,
        _ => format!("未能完成：{text}"),
    }
}

pub(super) fn forbidden_form() -> Response {
    (StatusCode::FORBIDDEN, Html("<!doctype html><meta charset=utf-8><p>表单已失效，请返回刷新页面后重试。</p>"))
        .into_response()
}

/// The fields of a form posted by the signed-in user, if its CSRF token matches the session
/// (otherwise answer with `forbidden_form()`).
pub(super) fn signed_form(session: &Session, body: &Bytes) -> Option<HashMap<String, String>> {
    let mut fields = form(body);
    let token = fields.remove("csrf").unwrap_or_default();
    super::session::csrf_matches(&session.csrf, &token).then_some(fields)
}

/// `page` sent back as 422: a form shown again with what to correct (a field missing or wrong).
pub(super) fn unprocessable(mut page: Response) -> Response {
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    page
}

/// `page` — a form shown again with the service's refusal — with the status that refusal has:
/// 422 for a field to correct, otherwise what the API answers for the same refusal (409 when
/// the ticket's state or a newer version stands in the way, 403, 503 …).
pub(super) fn refused_form(mut page: Response, e: &ApiError) -> Response {
    *page.status_mut() = form_status(e);
    page
}

/// The status of a refused form: see [`refused_form`].
pub(super) fn form_status(e: &ApiError) -> StatusCode {
    match e.0.code {
        wuguan_platform::ErrorCode::InvalidArgument => StatusCode::UNPROCESSABLE_ENTITY,
        code => code.http_status(),
    }
}

/// The fields of an `application/x-www-form-urlencoded` body.
pub(super) fn form(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Where a ticket stands against its deadlines, as the board and the ticket page say it.
pub(super) struct DeadlineState {
    /// "剩余 3 天", "已超期 25 分钟", "响应超期，办结剩余 6 天", "已办结" or "—".
    pub text: String,
    /// A deadline has passed unmet (the response's or the resolution's).
    pub late: bool,
    /// Which one: "办结超期", "响应超期", or "" when neither.
    pub tag: &'static str,
}

pub(super) fn deadline_state(t: &wuguan_proto::dispatch::v1::Ticket, now_ms: i64) -> DeadlineState {
    let quiet = |text: &str| DeadlineState { text: text.to_owned(), late: false, tag: "" };
    let Some(a) = t.assignment.as_ref().filter(|a| a.resolve_by_ms != 0) else { return quiet("—") };
    if !is_open(t.status) {
        return quiet("已办结");
    }
    let resolution_late = a.resolve_by_ms < now_ms;
    let response_late = t.responded_at_ms == 0 && a.respond_by_ms != 0 && a.respond_by_ms < now_ms;
    let left = span(a.resolve_by_ms - now_ms);
    let (text, tag) = if resolution_late {
        (format!("已超期 {left}"), "办结超期")
    } else if response_late {
        (format!("响应超期，办结剩余 {left}"), "响应超期")
    } else {
        (format!("剩余 {left}"), "")
    };
    DeadlineState { text, late: resolution_late || response_late, tag }
}

/// A length of time as people say it: minutes under an hour, hours under two days, then days.
fn span(ms: i64) -> String {
    let minutes = ms.abs() / 60_000;
    match minutes {
        m if m < 60 => format!("{m} 分钟"),
        m if m < 48 * 60 => format!("{} 小时", m / 60),
        m => format!("{} 天", m / (24 * 60)),
    }
}

/// The first `max` characters of a text, with "…" when it was cut.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

pub(super) fn local_time(ms: i64) -> String {
    wuguan_platform::local_time::local_minute(ms)
}

/// A timeline line's action as people read it; an action this gateway does not know yet is
/// shown by its name rather than dropped.
pub(super) fn action_zh(action: &str) -> &str {
    use wuguan_proto::vocab::dispatch::TicketAction;
    TicketAction::parse(action).map_or(action, |a| a.label_zh())
}

pub(super) fn level_label(level: u32) -> &'static str {
    match level {
        2 => "县级督办",
        1 => "镇级督办",
        _ => "",
    }
}

pub(super) fn is_open(status: i32) -> bool {
    matches!(wuguan_proto::vocab::dispatch::Status::from_wire(status), Ok(Some(s)) if s.is_open())
}

/// `body` with the cookie set, if there is one to set.
pub(super) fn with_cookie(cookie: Option<(http::HeaderName, String)>, mut body: Response) -> Response {
    if let Some((name, value)) = cookie
        && let Ok(value) = http::HeaderValue::from_str(&value)
    {
        body.headers_mut().append(name, value);
    }
    body
}

pub(super) fn now_ms() -> i64 {
    wuguan_platform::db::now_ms()
}

/// The town a page is about: a town principal's own; the county's choice (`?town=`), or its
/// first town when it has not chosen. The services check the county may read that town.
pub(super) async fn town_of_page(
    s: &crate::AppState,
    session: &Session,
    requested: Option<&str>,
) -> Result<String, Response> {
    if let Some(own) = &session.principal.town {
        return Ok(own.clone());
    }
    if let Some(t) = requested.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok(t.to_owned());
    }
    let req = s.upstreams.request(&bearer(session), wuguan_proto::registry::v1::ListTownsRequest {});
    match s.upstreams.registry().list_towns(req).await {
        Ok(r) => Ok(r.into_inner().towns.first().map(|t| t.code.clone()).unwrap_or_default()),
        Err(e) => Err(refused(&ApiError::from(e), "/console")),
    }
}

/// Query parameters of a console page. A mistyped address gets the Chinese refusal page naming
/// the parameter, not axum's English rejection text.
pub(super) struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Response> {
        crate::extract::QueryParams::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| refused(&e, "/console"))
    }
}

/// The refusal page for an error of the services or the API: the same status the API answers
/// with, in Chinese.
pub(super) fn refused(e: &ApiError, back: &str) -> Response {
    refusal(e.0.code.http_status(), &say(e), back)
}

/// A short page that says why something cannot be shown, with a way back.
pub(super) fn refusal(status: StatusCode, message: &str, back: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><link rel=stylesheet href=/console/static/console.css><main><p class=error>{}</p><p><a href=\"{}\">返回</a></p></main></html>",
        crate::printable::escape(message),
        crate::printable::escape(back)
    );
    (status, Html(body)).into_response()
}

/// The county's choice of town on a page that reads one town (code, name, chosen); empty for a
/// town's own principals, who only ever see their town.
pub(super) async fn town_choices(s: &crate::AppState, session: &Session, current: &str) -> Vec<(String, String, bool)> {
    if session.principal.town.is_some() {
        return Vec::new();
    }
    let req = s.upstreams.request(&bearer(session), wuguan_proto::registry::v1::ListTownsRequest {});
    match s.upstreams.registry().list_towns(req).await {
        Ok(r) => r.into_inner().towns.into_iter().map(|t| (t.code.clone(), t.name, t.code == current)).collect(),
        Err(_) => Vec::new(),
    }
}

/// The town a posted form is about: a town principal's own; the county's choice (a `town` field).
pub(super) fn posted_town(session: &Session, f: &HashMap<String, String>) -> String {
    session.principal.town.clone().or_else(|| f.get("town").map(|t| t.trim().to_owned())).unwrap_or_default()
}

/// Refuses anyone but the town office and the county, saying who looks after `what`.
pub(super) fn managers_only(session: &Session, what: &str) -> Option<Response> {
    (!matches!(session.principal.role, Role::TownOffice | Role::County))
        .then(|| refusal(StatusCode::FORBIDDEN, &format!("{what}由镇物管办（或县建设局）维护。"), "/console"))
}

/// Every ticket matching `filter`, up to `pages` pages of 500 (see `Upstreams::tickets_where`).
pub(super) async fn tickets_where(
    s: &crate::AppState,
    b: &Bearer,
    filter: wuguan_proto::dispatch::v1::ListTicketsRequest,
    pages: usize,
) -> Result<Vec<wuguan_proto::dispatch::v1::Ticket>, ApiError> {
    Ok(s.upstreams.tickets_where(b, filter, pages).await?)
}

#[cfg(test)]
mod deadline_tests {
    use super::*;
    use wuguan_proto::dispatch::v1 as dpb;

    const HOUR: i64 = 3_600_000;

    fn ticket(respond_by: i64, resolve_by: i64, responded_at: i64) -> dpb::Ticket {
        dpb::Ticket {
            status: dpb::Status::Assigned as i32,
            responded_at_ms: responded_at,
            assignment: Some(dpb::Assignment {
                respond_by_ms: respond_by,
                resolve_by_ms: resolve_by,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_page_says_which_deadline_passed_and_never_0_hours() {
        // Response missed, resolution ten days away: not a bare red 已超期 beside 剩余 10 天.
        let s = deadline_state(&ticket(HOUR, 242 * HOUR, 0), 2 * HOUR);
        assert_eq!((s.text.as_str(), s.late, s.tag), ("响应超期，办结剩余 10 天", true, "响应超期"));
        // Resolution missed 25 minutes ago.
        let s = deadline_state(&ticket(HOUR, 10 * HOUR, 0), 10 * HOUR + 25 * 60_000);
        assert_eq!((s.text.as_str(), s.tag), ("已超期 25 分钟", "办结超期"));
        // Answered in time, three hours to go.
        let s = deadline_state(&ticket(HOUR, 5 * HOUR, HOUR / 2), 2 * HOUR);
        assert_eq!((s.text.as_str(), s.late, s.tag), ("剩余 3 小时", false, ""));
    }

    #[test]
    fn a_cut_description_says_so() {
        assert_eq!(excerpt("一二三四五", 3), "一二三…");
        assert_eq!(excerpt("一二三", 3), "一二三");
    }
}
