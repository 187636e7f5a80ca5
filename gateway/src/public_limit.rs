//! The requests that need no sign-in — signing in, anonymous complaints, tracking and rating by
//! code, the town directory — are limited per client address, so that nobody can guess passwords
//! or flood a town's board from one machine. Signed-in traffic is not limited here (the
//! concurrency limit and the services' own checks cover it).
//!
//! Sign-ins are counted apart, per account and address: an office of thirty behind one NAT
//! address signs in without sharing one quota, while guessing one account's password from one
//! machine is held to `SIGN_INS_PER_MINUTE` (and the registry locks that client out of the
//! account after five wrong passwords in a row). Signed-in residents and owner
//! representatives are held to `PERSON_SUBMISSIONS_PER_HOUR` complaints.
//!
//! The client address is the connection's peer, or — behind a reverse proxy that sets it — the
//! first address of a configured header (`x-forwarded-for`, `x-real-ip`). Only configure the
//! header when such a proxy stands in front: otherwise a client could name any address.

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sign-in attempts a minute for one account from one address.
pub const SIGN_INS_PER_MINUTE: u32 = 10;

/// Complaints an hour from one signed-in resident or owner representative (a burst, refilled
/// evenly): more than any household reports, few enough that one account cannot flood a town's
/// board. Staff and other departments' systems are not limited here.
pub const PERSON_SUBMISSIONS_PER_HOUR: u32 = 20;

/// The largest sign-in body read to find the username (a login form or JSON is far smaller).
const MAX_SIGN_IN_BODY: usize = 16 * 1024;

pub struct PublicLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    sign_ins: DefaultKeyedRateLimiter<(String, IpAddr)>,
    /// Submissions per signed-in resident or owner representative (by subject).
    submissions: DefaultKeyedRateLimiter<String>,
    client_ip_header: Option<HeaderName>,
    checks: AtomicU64,
}

/// The caller's address: the trusted proxy header's first entry when one is configured, else the
/// connection's peer.
pub fn client_address(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    client_ip_header: Option<&HeaderName>,
) -> IpAddr {
    let from_header = client_ip_header.and_then(|name| {
        let value = headers.get(name)?.to_str().ok()?;
        value.split(',').next()?.trim().parse().ok()
    });
    from_header
        .or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// A hash of the caller's address: what the registry counts failed sign-ins under (with the
/// username), and what scopes an anonymous caller's idempotency keys — the address itself is
/// kept in neither.
pub fn client_tag(parts: &http::request::Parts, client_ip_header: Option<&HeaderName>) -> String {
    use sha2::Digest;
    let address = client_address(&parts.headers, &parts.extensions, client_ip_header);
    let digest = sha2::Sha256::digest(address.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The client a sign-in comes from (`client_tag`), for the registry's lock.
pub struct SignInClient(pub String);

impl axum::extract::FromRequestParts<crate::AppState> for SignInClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        s: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(SignInClient(client_tag(parts, s.client_ip_header.as_ref())))
    }
}

/// A one-off anonymous caller's tag: a hash of its address (the address itself is not kept in
/// the idempotency keys' scope), used by `wuguan_platform::identity::anonymous_subject`.
pub struct AnonymousCaller(pub String);

impl axum::extract::FromRequestParts<crate::AppState> for AnonymousCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        s: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let tag = client_tag(parts, s.client_ip_header.as_ref());
        Ok(AnonymousCaller(wuguan_platform::identity::anonymous_subject(&tag)))
    }
}

impl PublicLimit {
    /// `per_minute` requests a minute per address (as a burst, refilled evenly); None when 0.
    pub fn new(per_minute: u32, client_ip_header: Option<HeaderName>) -> Option<Arc<PublicLimit>> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(Arc::new(PublicLimit {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            sign_ins: DefaultKeyedRateLimiter::keyed(Quota::per_minute(NonZeroU32::new(SIGN_INS_PER_MINUTE)?)),
            submissions: DefaultKeyedRateLimiter::keyed(Quota::per_hour(NonZeroU32::new(PERSON_SUBMISSIONS_PER_HOUR)?)),
            client_ip_header,
            checks: AtomicU64::new(0),
        }))
    }

    fn client(&self, req: &Request) -> IpAddr {
        client_address(req.headers(), req.extensions(), self.client_ip_header.as_ref())
    }

    /// Ok, or how many seconds until the address may try again.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.forget_idle();
        self.limiter.check_key(&client).map_err(|not_until| wait_secs(&not_until))
    }

    /// Ok, or how many seconds until this account may be tried again from this address.
    fn check_sign_in(&self, username: &str, client: IpAddr) -> Result<(), u64> {
        self.forget_idle();
        // Case and spaces do not make another account.
        let key = (username.trim().to_lowercase(), client);
        self.sign_ins.check_key(&key).map_err(|not_until| wait_secs(&not_until))
    }

    /// Ok, or how many seconds until this person may submit again.
    fn check_submission(&self, subject: &str) -> Result<(), u64> {
        self.forget_idle();
        self.submissions.check_key(&subject.to_owned()).map_err(|not_until| wait_secs(&not_until))
    }

    /// Forget idle keys now and then, so the tables do not grow without bound.
    fn forget_idle(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.submissions.retain_recent();
            self.submissions.shrink_to_fit();
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            self.sign_ins.retain_recent();
            self.sign_ins.shrink_to_fit();
        }
    }
}

fn wait_secs(not_until: &governor::NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1)
}

fn is_sign_in(method: &Method, route: &str) -> bool {
    method == Method::POST && matches!(route, "/api/v1/auth/login" | "/console/login")
}

/// The username a sign-in body names: a JSON object's `username` or a form's field.
fn username_of(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        return v.get("username").and_then(|u| u.as_str()).unwrap_or_default().to_owned();
    }
    form_urlencoded::parse(body).find(|(k, _)| k == "username").map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// Whether a request is one that needs no sign-in. Anonymous complaints through the API are
/// those without credentials (with credentials the services authenticate them); the console's
/// public form, tracking and rating are limited whoever sends them.
fn is_public(method: &Method, route: &str, req: &Request) -> bool {
    match (method, route) {
        (&Method::POST, "/console/submit" | "/api/v1/track/{code}/rate" | "/console/track/rate") => true,
        (&Method::GET, "/api/v1/track/{code}" | "/console/track" | "/api/v1/directory/towns") => true,
        (&Method::POST, "/api/v1/complaints") => !req.headers().contains_key(header::AUTHORIZATION),
        _ => false,
    }
}

/// The signed-in resident or owner representative a complaint comes from, if it does: they are
/// held to `PERSON_SUBMISSIONS_PER_HOUR` (a token that does not verify is left to the service).
fn submitting_person(state: &AppState, method: &Method, route: &str, req: &Request) -> Option<String> {
    if method != Method::POST || route != "/api/v1/complaints" {
        return None;
    }
    let token = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?;
    let p = state.verifier.verify(token.trim()).ok()?;
    matches!(p.role, wuguan_platform::Role::Resident | wuguan_platform::Role::OwnerRep).then_some(p.subject)
}

/// Route middleware: refuses a public request beyond the address's quota with 429 and
/// `Retry-After` — JSON for the API, a page in Chinese for the console.
pub async fn limit_public(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let (Some(limit), Some(route)) = (state.public_limit.as_ref(), matched.as_ref().map(MatchedPath::as_str)) else {
        return next.run(req).await;
    };
    let client = limit.client(&req);
    let (req, checked) = if is_sign_in(req.method(), route) {
        // The username is in the body: read it (small, bounded) and hand the body on.
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_SIGN_IN_BODY).await else {
            return crate::error::ApiError::new(wuguan_platform::ErrorCode::PayloadTooLarge, "sign-in body too large")
                .into_response();
        };
        let checked = limit.check_sign_in(&username_of(&bytes), client);
        (Request::from_parts(parts, axum::body::Body::from(bytes)), checked)
    } else if is_public(req.method(), route, &req) {
        (req, limit.check(client))
    } else if let Some(person) = submitting_person(&state, req.method(), route, &req) {
        (req, limit.check_submission(&person))
    } else {
        return next.run(req).await;
    };
    match checked {
        Ok(()) => next.run(req).await,
        Err(retry_after) => {
            tracing::warn!(route, "public request refused: over the per-address limit");
            let retry = [(header::RETRY_AFTER, retry_after.to_string())];
            if route.starts_with("/console") {
                let page = format!(
                    "<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><link rel=stylesheet href=/console/static/console.css><main><p class=error>操作太频繁，请 {retry_after} 秒后再试。</p></main></html>"
                );
                (StatusCode::TOO_MANY_REQUESTS, retry, Html(page)).into_response()
            } else {
                let message = format!("too many requests from this address or account; retry after {retry_after} s");
                let body = crate::error::Body {
                    error: crate::error::Detail {
                        code: "rate_limited",
                        message: &message,
                        message_zh: format!("操作太频繁，请 {retry_after} 秒后再试。"),
                        field: None,
                    },
                };
                (StatusCode::TOO_MANY_REQUESTS, retry, axum::Json(body)).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(forwarded: Option<&str>, peer: Option<&str>) -> Request {
        let mut builder = Request::builder().uri("/api/v1/track/X");
        if let Some(f) = forwarded {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut req = builder.body(Body::empty()).unwrap();
        if let Some(p) = peer {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(p.parse().unwrap()));
        }
        req
    }

    #[test]
    fn the_client_is_the_peer_unless_a_proxy_header_is_configured() {
        let direct = PublicLimit::new(10, None).unwrap();
        let proxied = PublicLimit::new(10, Some(HeaderName::from_static("x-forwarded-for"))).unwrap();
        let req = request(Some("203.0.113.7, 10.0.0.1"), Some("10.0.0.1:4000"));
        assert_eq!(direct.client(&req), "10.0.0.1".parse::<IpAddr>().unwrap(), "a client cannot name itself");
        assert_eq!(proxied.client(&req), "203.0.113.7".parse::<IpAddr>().unwrap());
        let req = request(Some("not an address"), Some("10.0.0.2:4000"));
        assert_eq!(proxied.client(&req), "10.0.0.2".parse::<IpAddr>().unwrap(), "an unreadable header falls back");
        assert_eq!(direct.client(&request(None, None)), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert!(PublicLimit::new(0, None).is_none(), "0 turns the limit off");
    }

    #[test]
    fn each_address_has_its_own_quota() {
        let limit = PublicLimit::new(3, None).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("203.0.113.1".parse().unwrap(), "203.0.113.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limit.check(a).is_ok());
        }
        let retry_after = limit.check(a).unwrap_err();
        assert!((1..=20).contains(&retry_after), "one request back within 20 s: {retry_after}");
        assert!(limit.check(b).is_ok(), "another address is not held back");
    }

    #[test]
    fn sign_ins_count_per_account_and_address() {
        let limit = PublicLimit::new(3, None).unwrap();
        let office: IpAddr = "203.0.113.9".parse().unwrap();
        // Thirty colleagues behind one address each sign in, far past the public quota of 3.
        for i in 0..30 {
            assert!(limit.check_sign_in(&format!("zhongxing.staff{i}"), office).is_ok(), "colleague {i}");
        }
        assert!(limit.check(office).is_ok(), "sign-ins do not use up the address's public quota");
        // One account from one address is held back after SIGN_INS_PER_MINUTE tries.
        for _ in 0..SIGN_INS_PER_MINUTE {
            assert!(limit.check_sign_in("zhongxing.town_office", office).is_ok());
        }
        assert!(
            limit.check_sign_in(" Zhongxing.Town_Office ", office).is_err(),
            "case and spaces are the same account"
        );
        let elsewhere: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(limit.check_sign_in("zhongxing.town_office", elsewhere).is_ok());
    }

    #[test]
    fn the_username_is_read_from_json_or_a_form() {
        assert_eq!(username_of(br#"{"username":"a.b","password":"x"}"#), "a.b");
        assert_eq!(username_of(b"csrf=1&username=%E5%BC%A0.x&password=y"), "张.x");
        assert_eq!(username_of(b""), "");
    }
}
