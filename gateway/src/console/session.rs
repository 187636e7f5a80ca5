//! Console sessions: the same signed token the API uses, kept in an HttpOnly, SameSite=Strict
//! cookie, and a CSRF token every form carries. The CSRF token is a hash of the session token:
//! a page of another site can neither read the cookie nor compute the hash, so it cannot forge
//! a form; public forms (a resident's complaint) use a per-visitor cookie the same way.

use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};
use std::time::Duration;
use wuguan_platform::Principal;

pub const SESSION_COOKIE: &str = "wuguan_session";
/// A random per-visitor value for public forms (no sign-in).
pub const VISITOR_COOKIE: &str = "wuguan_visitor";

pub struct Session {
    pub token: String,
    pub principal: Principal,
    pub csrf: String,
    /// The account's display name (众兴镇物管办 周天照), from the token.
    pub name: Option<String>,
    /// The page asked for, so the navigation can mark it.
    pub path: String,
}

pub fn csrf_for(secret: &str) -> String {
    let digest = Sha256::digest(format!("wuguan-console-csrf:{secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time comparison, so a wrong token reveals nothing by its timing.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A console cookie: HttpOnly, SameSite=Strict, and `Secure` when the gateway is reached over
/// HTTPS (`secure`, from its configuration).
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> (http::HeaderName, String) {
    let cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/console")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .build();
    (http::header::SET_COOKIE, cookie.to_string())
}

pub fn clear_cookie(name: &str, secure: bool) -> (http::HeaderName, String) {
    let cookie = Cookie::build((name.to_owned(), String::new()))
        .path("/console")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    (http::header::SET_COOKIE, cookie.to_string())
}

impl FromRequestParts<AppState> for Session {
    /// Not signed in (or the token expired): to the sign-in page.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            cookie_value(parts, SESSION_COOKIE).ok_or_else(|| Redirect::to("/console/login").into_response())?;
        let claims = state.verifier.verify_claims(&token).map_err(|_| {
            ([clear_cookie(SESSION_COOKIE, state.secure_cookies)], Redirect::to("/console/login")).into_response()
        })?;
        let csrf = csrf_for(&format!(
            "{}:{}:{}:{}",
            state.session_secret,
            claims.sub,
            claims.auth_time.unwrap_or(claims.iat),
            claims.ver.unwrap_or(0)
        ));
        let name = claims.name.clone().filter(|n| !n.trim().is_empty());
        let principal = Principal {
            subject: claims.sub,
            role: claims.role,
            town: claims.town,
            county: claims.county,
            unit: claims.unit,
            estate: claims.estate,
        };
        Ok(Session { csrf, token, principal, name, path: parts.uri.path().to_owned() })
    }
}

/// Keeps a console session alive while it is used: when less than half of its token's life is
/// left, the response carries a fresh token for the same session (sign-in tokens are short; a
/// session is refreshed for at most `MAX_SESSION` after signing in). A response that sets or
/// clears the session cookie itself (signing in or out, a new password) is left as it is.
pub async fn slide_session(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let fresh = cookie_value(&parts, SESSION_COOKIE).and_then(|token| {
        let c = state.verifier.verify_claims(&token).ok()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        let left = c.exp.saturating_sub(now);
        (left * 2 < c.exp.saturating_sub(c.iat)).then(|| state.signer.refresh(&c, state.token_ttl).ok()).flatten()
    });
    let mut resp = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let sets_session = resp
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&format!("{SESSION_COOKIE}="))));
    if let Some(token) = fresh
        && !sets_session
        && let (name, value) = set_cookie(SESSION_COOKIE, &token, state.token_ttl, state.secure_cookies)
        && let Ok(value) = http::HeaderValue::from_str(&value)
    {
        resp.headers_mut().append(name, value);
    }
    resp
}

/// The signed-in session if there is one (public pages).
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeSession(Session::from_request_parts(parts, state).await.ok()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csrf_is_bound_to_the_secret() {
        let a = super::csrf_for("token-a");
        assert_eq!(a, super::csrf_for("token-a"));
        assert_ne!(a, super::csrf_for("token-b"));
        assert!(super::csrf_matches(&a, &a));
        assert!(!super::csrf_matches(&a, &super::csrf_for("token-b")));
        assert!(!super::csrf_matches(&a, ""));
    }
}
