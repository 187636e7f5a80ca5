//! Residents, without signing in: report a problem from a phone (anonymous allowed) and follow it
//! by its tracking code.

use super::auth::visitor;
use super::common::*;
use super::session::{MaybeSession, Session, VISITOR_COOKIE, cookie_value, csrf_for, csrf_matches};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Bearer;
use crate::vocab::{choices, label, wire};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Duration;
use wuguan_platform::identity::ANONYMOUS_SUBJECT;
use wuguan_platform::{Principal, Role};
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::dispatch::{Category, Satisfaction, Status};

#[derive(Template)]
#[template(path = "console/submit.html")]
struct SubmitPage {
    nav: Option<Nav>,
    error: Option<String>,
    csrf: String,
    towns: Vec<(String, String)>,
    estates: Vec<(String, String)>,
    categories: Vec<(&'static str, &'static str)>,
}

/// A one-minute token for a visitor of `town`, as the API's anonymous submission uses.
fn anonymous(s: &AppState, town: &str) -> Option<Bearer> {
    let p = Principal {
        subject: ANONYMOUS_SUBJECT.to_owned(),
        role: Role::Resident,
        town: Some(town.to_owned()),
        county: String::new(),
        unit: None,
        estate: None,
    };
    s.signer.sign(&p, Duration::from_secs(60)).ok().map(|t| Bearer(Some(t)))
}

/// The secret a public form's CSRF token is bound to, for a page that shows a form: the
/// session's token when signed in, else the visitor cookie (set now if missing).
fn page_form_secret(
    session: &Option<Session>,
    parts: &Parts,
    secure: bool,
) -> (String, Option<(http::HeaderName, String)>) {
    match session {
        Some(sess) => (sess.token.clone(), None),
        None => visitor(cookie_value(parts, VISITOR_COOKIE), secure),
    }
}

/// Whether a posted public form carries the CSRF token bound to its sender's secret.
fn posted_form_ok(session: &Option<Session>, parts: &Parts, csrf: &str) -> Option<String> {
    let secret = match session {
        Some(sess) => sess.token.clone(),
        None => cookie_value(parts, VISITOR_COOKIE).unwrap_or_default(),
    };
    (!secret.is_empty() && csrf_matches(&csrf_for(&secret), csrf)).then_some(secret)
}

#[derive(serde::Deserialize, Default)]
pub struct TownQuery {
    town: Option<String>,
}

async fn submit_page(
    s: &AppState,
    session: &Option<Session>,
    town: &str,
    secret: &str,
    error: Option<String>,
) -> Response {
    let b = match session {
        Some(sess) => bearer(sess),
        None => match anonymous(s, town) {
            Some(b) => b,
            None => return (StatusCode::INTERNAL_SERVER_ERROR, "签名失败").into_response(),
        },
    };
    let town_name = match s
        .upstreams
        .registry()
        .get_town(s.upstreams.request(&b, rpb::GetTownRequest { town: town.to_owned() }))
        .await
    {
        Ok(t) => t.into_inner().name,
        Err(_) => {
            return refusal(StatusCode::NOT_FOUND, "没有这个镇。请使用镇物管办公布的链接或二维码。", "/console/submit");
        }
    };
    let mut estates = Vec::new();
    let mut token = String::new();
    for _ in 0..4 {
        let req = rpb::ListEstatesRequest {
            town: town.to_owned(),
            page: Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: token.clone() }),
            ..Default::default()
        };
        match s.upstreams.registry().list_estates(s.upstreams.request(&b, req)).await {
            Ok(r) => {
                let r = r.into_inner();
                estates.extend(r.estates.into_iter().map(|e| (e.id, e.name)));
                token = r.page.unwrap_or_default().next_page_token;
                if token.is_empty() {
                    break;
                }
            }
            Err(e) => return refused(&ApiError::from(e), "/console"),
        }
    }
    estates.sort_by(|a, b| a.1.cmp(&b.1));
    page(SubmitPage {
        nav: session.as_ref().and_then(nav),
        error,
        csrf: csrf_for(secret),
        towns: vec![(town.to_owned(), town_name)],
        estates,
        // Every category of the contract: a resident may report any of them.
        categories: choices::<Category>(),
    })
}

#[derive(Template)]
#[template(path = "console/choose_town.html")]
struct ChooseTownPage {
    nav: Option<Nav>,
    towns: Vec<(String, String, bool)>,
}

/// The first step for a resident who came without a town in the link: pick the town.
async fn choose_town(s: &AppState, session: &Option<Session>) -> Response {
    let req = s.upstreams.request(&Bearer(None), rpb::ListTownsRequest {});
    let towns = match s.upstreams.registry().list_town_directory(req).await {
        Ok(r) => r.into_inner().towns,
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let towns = towns.into_iter().map(|t| (t.code, format!("{} · {}", t.county_name, t.name), false)).collect();
    page(ChooseTownPage { nav: session.as_ref().and_then(nav), towns })
}

pub async fn submit_form(
    State(s): State<AppState>,
    MaybeSession(session): MaybeSession,
    parts: Parts,
    Query(q): Query<TownQuery>,
) -> Response {
    let town = q.town.or_else(|| session.as_ref().and_then(|s| s.principal.town.clone()));
    let Some(town) = town.filter(|t| !t.trim().is_empty()) else {
        return choose_town(&s, &session).await;
    };
    let (secret, cookie) = page_form_secret(&session, &parts, s.secure_cookies);
    let body = submit_page(&s, &session, &town, &secret, None).await;
    with_cookie(cookie, body)
}

pub async fn submit(
    State(s): State<AppState>,
    MaybeSession(session): MaybeSession,
    parts: Parts,
    body: Bytes,
) -> Response {
    let mut f = form(&body);
    let csrf = f.remove("csrf").unwrap_or_default();
    let Some(secret) = posted_form_ok(&session, &parts, &csrf) else { return forbidden_form() };
    let town = f.get("town").cloned().unwrap_or_default();
    let input = dpb::SubmitComplaintRequest {
        town: town.clone(),
        estate_id: f.get("estate_id").cloned().unwrap_or_default(),
        category: wire::<Category>("category", f.get("category").map(String::as_str).unwrap_or("")).unwrap_or(0),
        description: f.get("description").cloned().unwrap_or_default(),
        reporter_name: f.get("reporter_name").cloned().unwrap_or_default(),
        reporter_phone: f.get("reporter_phone").cloned().unwrap_or_default(),
        anonymous: f.get("anonymous").is_some_and(|v| v == "true"),
        idempotency_key: format!("console-{}", csrf_for(&format!("{secret}:{}", String::from_utf8_lossy(&body)))),
        ..Default::default()
    };
    let b = match &session {
        Some(sess) => bearer(sess),
        None => match anonymous(&s, &town) {
            Some(b) => b,
            None => return (StatusCode::INTERNAL_SERVER_ERROR, "签名失败").into_response(),
        },
    };
    match s.upstreams.dispatch().submit_complaint(s.upstreams.request(&b, input)).await {
        Ok(t) => {
            let code = t.into_inner().tracking_code;
            Redirect::to(&format!("/console/track?code={code}&new=1")).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            let message = match e.0.field.as_deref() {
                Some("description") => "请填写问题描述（不超过2000字）。".to_owned(),
                Some("reporter_phone") => "电话号码格式不正确。".to_owned(),
                Some("estate_id") => "请选择小区。".to_owned(),
                _ => say(&e),
            };
            refused_form(submit_page(&s, &session, &town, &secret, Some(message)).await, &e)
        }
    }
}

pub struct Tracked {
    code: String,
    estate: String,
    category: &'static str,
    status: &'static str,
    unit: String,
    deadline: String,
    satisfaction: &'static str,
    /// The unit's reply (答复), once resolved.
    reply: String,
    /// Resolved and waiting for the reporter's word: the page offers confirm / dispute.
    awaiting_rating: bool,
    timeline: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "console/track.html")]
struct TrackPage {
    nav: Option<Nav>,
    code: String,
    csrf: String,
    tracked: Option<Tracked>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct TrackQuery {
    code: Option<String>,
    new: Option<String>,
    rated: Option<String>,
}

/// What a timeline line says to the public: the reporter's own word reads as theirs.
fn public_step(action: &str, to_status: i32) -> &'static str {
    match action {
        "confirm" => "居民确认办结",
        "dispute" => "居民有异议，重新办理",
        _ => label::<Status>(to_status),
    }
}

fn tracked(t: dpb::TrackedTicket) -> Tracked {
    Tracked {
        awaiting_rating: t.status == dpb::Status::Resolved as i32,
        code: t.tracking_code,
        estate: t.estate_name,
        category: label::<Category>(t.category),
        status: label::<Status>(t.status),
        unit: if t.unit_name.is_empty() { "待分派".to_owned() } else { t.unit_name },
        deadline: if t.resolve_by_ms > 0 { local_time(t.resolve_by_ms) } else { "—".to_owned() },
        satisfaction: if t.satisfaction == 0 { "" } else { label::<Satisfaction>(t.satisfaction) },
        reply: t.reply,
        timeline: t.timeline.iter().map(|e| (local_time(e.at_ms), public_step(&e.action, e.to_status))).collect(),
    }
}

fn not_found_or(e: tonic::Status) -> String {
    if matches!(e.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) {
        "没有找到这个查询码，请核对后再试。".to_owned()
    } else {
        say(&ApiError::from(e))
    }
}

/// Anyone with the code sees the ticket's progress, without personal data, and once it is
/// resolved may confirm or dispute the fix.
pub async fn track(
    State(s): State<AppState>,
    MaybeSession(session): MaybeSession,
    parts: Parts,
    Query(q): Query<TrackQuery>,
) -> Response {
    let code = q.code.unwrap_or_default().trim().to_owned();
    let (secret, cookie) = page_form_secret(&session, &parts, s.secure_cookies);
    let notice = match (q.new, q.rated.as_deref()) {
        (Some(_), _) => Some(format!("已受理。请记下查询码 {code}，凭它查询办理进度。")),
        (_, Some("dispute")) => Some("已收到您的意见，问题已退回责任单位重新办理。".to_owned()),
        (_, Some(_)) => Some("感谢您的评价，本件已办结。".to_owned()),
        _ => None,
    };
    let mut view = TrackPage {
        nav: session.as_ref().and_then(nav),
        code: code.clone(),
        csrf: csrf_for(&secret),
        tracked: None,
        error: None,
        notice,
    };
    if !code.is_empty() {
        let req = s.upstreams.request(&Bearer(None), dpb::TrackTicketRequest { tracking_code: code });
        match s.upstreams.dispatch().track_ticket(req).await {
            Ok(t) => view.tracked = Some(tracked(t.into_inner())),
            Err(e) => view.error = Some(not_found_or(e)),
        }
    }
    with_cookie(cookie, page(view))
}

/// The reporter's confirm or dispute, posted from the tracking page.
pub async fn rate(
    State(s): State<AppState>,
    MaybeSession(session): MaybeSession,
    parts: Parts,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let field = |name: &str| f.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    if posted_form_ok(&session, &parts, &field("csrf")).is_none() {
        return forbidden_form();
    }
    let code = field("code");
    let satisfaction = wire::<Satisfaction>("satisfaction", &field("satisfaction")).unwrap_or(0);
    let req = dpb::RateTicketRequest { tracking_code: code.clone(), satisfaction, note: field("note") };
    match s.upstreams.dispatch().rate_ticket(s.upstreams.request(&Bearer(None), req)).await {
        Ok(_) => {
            let rated = if satisfaction == dpb::Satisfaction::NotSatisfied as i32 { "dispute" } else { "confirm" };
            Redirect::to(&format!("/console/track?code={code}&rated={rated}")).into_response()
        }
        Err(e) => {
            let message = match (e.code(), ApiError::from(e.clone()).0.field.as_deref()) {
                (_, Some("satisfaction")) => "请选择满意程度。".to_owned(),
                (_, Some("note")) => "不满意时请写明还有什么问题（不超过2000字）。".to_owned(),
                (tonic::Code::FailedPrecondition, _) => "本件目前不在待评价状态。".to_owned(),
                _ => not_found_or(e),
            };
            let (secret, cookie) = page_form_secret(&session, &parts, s.secure_cookies);
            let req = s.upstreams.request(&Bearer(None), dpb::TrackTicketRequest { tracking_code: code.clone() });
            let found = s.upstreams.dispatch().track_ticket(req).await.ok().map(|t| tracked(t.into_inner()));
            let view = TrackPage {
                nav: session.as_ref().and_then(nav),
                code,
                csrf: csrf_for(&secret),
                tracked: found,
                error: Some(message),
                notice: None,
            };
            unprocessable(with_cookie(cookie, page(view)))
        }
    }
}
