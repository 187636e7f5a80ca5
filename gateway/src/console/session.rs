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
        let principal = state.verifier.verify(&token).map_err(|_| {
            ([clear_cookie(SESSION_COOKIE, state.secure_cookies)], Redirect::to("/console/login")).into_response()
        })?;
        let name = state.verifier.verify_claims(&token).ok().and_then(|c| c.name).filter(|n| !n.trim().is_empty());
        Ok(Session { csrf: csrf_for(&token), token, principal, name, path: parts.uri.path().to_owned() })
    }
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
