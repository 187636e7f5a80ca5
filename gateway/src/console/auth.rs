//! Signing in and out of the console (the same accounts as the API).

use super::common::*;
use super::session::{
    SESSION_COOKIE, Session, VISITOR_COOKIE, clear_cookie, cookie_value, csrf_for, csrf_matches, set_cookie,
};
use crate::AppState;
use crate::error::ApiError;
use crate::public_limit::SignInClient;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Duration;
use wuguan_platform::Role;
use wuguan_proto::registry::v1 as rpb;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    username: String,
    csrf: String,
}

/// A visitor's CSRF secret for public forms: the existing cookie, or a new one to set.
pub(super) fn visitor(parts_cookie: Option<String>, secure: bool) -> (String, Option<(http::HeaderName, String)>) {
    match parts_cookie {
        Some(v) if v.len() >= 32 => (v, None),
        _ => {
            let v = uuid::Uuid::new_v4().simple().to_string();
            let cookie = set_cookie(VISITOR_COOKIE, &v, Duration::from_secs(24 * 3600), secure);
            (v, Some(cookie))
        }
    }
}

pub async fn login_form(State(s): State<AppState>, parts: Parts) -> Response {
    let (secret, cookie) = visitor(cookie_value(&parts, VISITOR_COOKIE), s.secure_cookies);
    let body = page(LoginPage { nav: None, error: None, username: String::new(), csrf: csrf_for(&secret) });
    with_cookie(cookie, body)
}

pub async fn login(State(s): State<AppState>, client: SignInClient, parts: Parts, body: Bytes) -> Response {
    let f = form(&body);
    let secret = cookie_value(&parts, VISITOR_COOKIE).unwrap_or_default();
    if secret.is_empty() || !csrf_matches(&csrf_for(&secret), f.get("csrf").map(String::as_str).unwrap_or("")) {
        return forbidden_form();
    }
    let username = f.get("username").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let fail = |message: &str| {
        page(LoginPage {
            nav: None,
            error: Some(message.to_owned()),
            username: username.clone(),
            csrf: csrf_for(&secret),
        })
    };
    let account = match crate::routes::auth::authenticate(&s, &client, username.clone(), password).await {
        Ok(a) => a,
        Err(status) if status.code() == tonic::Code::Unauthenticated && status.message().contains("locked") => {
            return fail(
                "从本机连续登录失败次数过多，本机登录该账号已暂停 15 分钟（其他电脑不受影响）。可稍后再试，或请镇物管办重设密码。",
            );
        }
        Err(status) if status.code() == tonic::Code::Unauthenticated && status.message().contains("stopped") => {
            return fail("该账号已停用。如有疑问请联系镇物管办。");
        }
        Err(status) if status.code() == tonic::Code::Unauthenticated => return fail("用户名或密码不正确。"),
        Err(status) => return fail(&say(&ApiError::from(status))),
    };
    let Some(role) = Role::from_wire(account.role).ok().flatten() else {
        return fail("该账号没有角色，请联系管理员。");
    };
    let Ok(token) = crate::routes::auth::session_token(&s, account) else {
        return fail("登录失败，请稍后再试。");
    };
    let home = if matches!(role, Role::Resident | Role::OwnerRep) { "/console/submit" } else { "/console" };
    ([set_cookie(SESSION_COOKIE, &token, s.token_ttl, s.secure_cookies)], Redirect::to(home)).into_response()
}

pub async fn logout(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if signed_form(&session, &body).is_none() {
        return forbidden_form();
    }
    // Signing out ends the session everywhere, not only in this browser: the cookie's token
    // (and any copy of it) stops working on every service.
    let req = s.upstreams.request(&bearer(&session), rpb::SignOutRequest {});
    if let Err(e) = s.upstreams.accounts().sign_out(req).await {
        tracing::warn!(error = %e, "sign-out not recorded; the cookie is cleared all the same");
    }
    ([clear_cookie(SESSION_COOKIE, s.secure_cookies)], Redirect::to("/console/login")).into_response()
}
