//! Accounts in the console: anyone signed in changes their own password; the town office lists
//! its town's accounts, opens one for a unit's staff (or an owner representative, or another
//! clerk) and sets a new password for someone who lost theirs. The registry decides who may.

use super::common::*;
use super::session::{SESSION_COOKIE, Session, clear_cookie, set_cookie};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use wuguan_platform::Role;
use wuguan_proto::common::v1::PageRequest;
use wuguan_proto::registry::v1 as rpb;

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn password_form(session: Session, Query(q): Query<DoneQuery>) -> Response {
    page(PasswordPage {
        nav: nav(&session),
        csrf: session.csrf.clone(),
        error: None,
        notice: q.done.map(|_| "密码已修改。下次登录请使用新密码。"),
    })
}

pub async fn change_password(
    State(s): State<AppState>,
    client: crate::public_limit::SignInClient,
    session: Session,
    body: Bytes,
) -> Response {
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let refused = |message: &str| {
        unprocessable(page(PasswordPage {
            nav: nav(&session),
            csrf: session.csrf.clone(),
            error: Some(message.to_owned()),
            notice: None,
        }))
    };
    if field("new_password") != field("repeat_password") {
        return refused("两次输入的新密码不一致。");
    }
    let req =
        rpb::ChangePasswordRequest { current_password: field("current_password"), new_password: field("new_password") };
    match s.upstreams.accounts().change_password(s.upstreams.request(&bearer(&session), req)).await {
        // The new password voided every token of the account, this browser's too: sign it in
        // again with the new one, so only the other sessions end.
        Ok(_) => {
            let again = crate::routes::auth::authenticate(
                &s,
                &client,
                session.principal.subject.clone(),
                field("new_password"),
            );
            let token = match again.await {
                Ok(account) => crate::routes::auth::session_token(&s, account).ok(),
                Err(_) => None,
            };
            match token {
                Some(token) => (
                    [set_cookie(SESSION_COOKIE, &token, s.token_ttl, s.secure_cookies)],
                    Redirect::to("/console/password?done=1"),
                )
                    .into_response(),
                None => {
                    ([clear_cookie(SESSION_COOKIE, s.secure_cookies)], Redirect::to("/console/login")).into_response()
                }
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            match (e.0.field.as_deref(), e.0.message.as_str()) {
                (Some("current_password"), _) => refused("当前密码不正确。"),
                (Some("new_password"), m) if m.contains("differ") => refused("新密码不能与当前密码相同。"),
                (Some("new_password"), _) => refused("新密码至少 8 个字符。"),
                _ => refused(&say(&e)),
            }
        }
    }
}

/// The roles a town office opens accounts for, with their Chinese names.
const ROLES: [Role; 7] = [
    Role::Police,
    Role::UrbanManagement,
    Role::PropertyCompany,
    Role::Community,
    Role::OwnerRep,
    Role::TownOffice,
    Role::Resident,
];

/// (username, display name, role, unit name, stopped).
type AccountRow = (String, String, &'static str, String, bool);

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    nav: Option<Nav>,
    /// The town whose accounts these are; the county chooses it.
    town: String,
    towns: Vec<(String, String, bool)>,
    csrf: String,
    accounts: Vec<AccountRow>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    /// The town's estates, for an owner representative's account.
    estates: Vec<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
    /// The town's service tokens: (id, name, unit name, expires (local date), revoked at (local)).
    service_tokens: Vec<(String, String, String, String, Option<String>)>,
    /// A service token just minted, shown this once.
    minted: Option<String>,
}

async fn render(
    s: &AppState,
    session: &Session,
    town: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    render_with(s, session, town, error, notice, None).await
}

/// A local date and time of the town's zone, for the page.
fn local(ms: i64) -> String {
    wuguan_platform::local_time::local_minute(ms)
}

async fn render_with(
    s: &AppState,
    session: &Session,
    town: &str,
    error: Option<String>,
    notice: Option<String>,
    minted: Option<String>,
) -> Response {
    let b = bearer(session);
    let town = town.to_owned();
    let req = rpb::ListUnitsRequest {
        town: town.clone(),
        page: Some(PageRequest { page_size: 500, page_token: String::new() }),
        ..Default::default()
    };
    let units: Vec<(String, String)> = match s.upstreams.registry().list_units(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().units.into_iter().map(|u| (u.id, u.name)).collect(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let req = rpb::ListEstatesRequest {
        town: town.clone(),
        page: Some(PageRequest { page_size: 500, page_token: String::new() }),
        ..Default::default()
    };
    let estates: Vec<(String, String)> = match s.upstreams.registry().list_estates(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().estates.into_iter().map(|e| (e.id, e.name)).collect(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let mut accounts = Vec::new();
    let mut token = String::new();
    // A town has tens of accounts; a few pages cover it.
    for _ in 0..10 {
        let req = rpb::ListAccountsRequest {
            town: town.clone(),
            page: Some(PageRequest { page_size: 500, page_token: token.clone() }),
        };
        match s.upstreams.accounts().list_accounts(s.upstreams.request(&b, req)).await {
            Ok(r) => {
                let r = r.into_inner();
                accounts.extend(r.accounts);
                token = r.page.unwrap_or_default().next_page_token;
                if token.is_empty() {
                    break;
                }
            }
            Err(e) => return refused(&ApiError::from(e), "/console"),
        }
    }
    let req = rpb::ListServiceTokensRequest {
        town: town.clone(),
        page: Some(PageRequest { page_size: 100, page_token: String::new() }),
    };
    let service_tokens = match s.upstreams.accounts().list_service_tokens(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().tokens,
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let unit_name = |id: &str| units.iter().find(|u| u.0 == id).map(|u| u.1.clone()).unwrap_or_default();
    let service_tokens = service_tokens
        .into_iter()
        .map(|t| {
            let revoked = (t.revoked_at_ms != 0).then(|| local(t.revoked_at_ms));
            (t.id, t.name, unit_name(&t.unit_id), local(t.expires_at_ms), revoked)
        })
        .collect();
    let rows = accounts
        .into_iter()
        .map(|a| {
            let role = Role::from_wire(a.role).ok().flatten().map(Role::label_zh).unwrap_or("—");
            (a.username, a.display_name, role, unit_name(&a.unit_id), a.disabled)
        })
        .collect();
    let view = AccountsPage {
        nav: nav(session),
        towns: town_choices(s, session, &town).await,
        town,
        csrf: session.csrf.clone(),
        accounts: rows,
        roles: ROLES.iter().map(|r| (r.as_str(), r.label_zh())).collect(),
        units,
        estates,
        notice,
        error,
        service_tokens,
        minted,
    };
    if view.error.is_some() { unprocessable(page(view)) } else { page(view) }
}

/// Mints a service token for another department's system; the page shows it this once.
pub async fn mint_service_token(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "服务令牌") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let days = match field("days").as_str() {
        "" => 0,
        d => match d.parse::<u32>() {
            Ok(d) => d,
            Err(_) => {
                return render(&s, &session, &town, Some("有效天数应为 1 至 366 的整数。".to_owned()), None).await;
            }
        },
    };
    let req =
        rpb::CreateServiceTokenRequest { name: field("name"), town: town.clone(), unit_id: field("unit_id"), days };
    let record = match s.upstreams.accounts().create_service_token(s.upstreams.request(&bearer(&session), req)).await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            let e = ApiError::from(e);
            let message = match e.0.field.as_deref() {
                Some("name") => "系统名称为 3 至 64 个字母、数字或 . _ -，例如 hotline-12345。".to_owned(),
                Some("days") => "有效天数应为 1 至 366 的整数。".to_owned(),
                Some("unit_id") => "请选择本镇的责任单位。".to_owned(),
                _ => say(&e),
            };
            return render(&s, &session, &town, Some(message), None).await;
        }
    };
    match crate::routes::service_tokens::sign(&s, &record) {
        Ok(token) => {
            let notice = format!(
                "已为 {} 生成服务令牌，有效至 {}。令牌只显示这一次，请复制后交给对方系统的管理员。",
                record.name,
                local(record.expires_at_ms)
            );
            render_with(&s, &session, &town, None, Some(notice), Some(token)).await
        }
        Err(_) => render(&s, &session, &town, Some("生成令牌失败，请稍后再试。".to_owned()), None).await,
    }
}

/// Revokes a service token: the system it was given to can no longer call wuguan.
pub async fn revoke_service_token(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "服务令牌") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let req = rpb::RevokeServiceTokenRequest { id: f.get("id").map(|v| v.trim().to_owned()).unwrap_or_default() };
    match s.upstreams.accounts().revoke_service_token(s.upstreams.request(&bearer(&session), req)).await {
        Ok(t) => {
            let notice = format!("已吊销 {} 的服务令牌：对方系统随即不能再调用。", t.into_inner().name);
            render(&s, &session, &town, None, Some(notice)).await
        }
        Err(e) => render(&s, &session, &town, Some(say(&ApiError::from(e))), None).await,
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    town: Option<String>,
    created: Option<String>,
    reset: Option<String>,
    new_town: Option<String>,
    stopped: Option<String>,
    restarted: Option<String>,
}

pub async fn accounts(State(s): State<AppState>, session: Session, Query(q): Query<NoticeQuery>) -> Response {
    if let Some(refused) = managers_only(&session, "账号") {
        return refused;
    }
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let notice = if let Some(u) = q.created {
        Some(format!("已开通账号 {u}。请把用户名和初始密码交给本人，并提醒登录后修改密码。"))
    } else if let Some(u) = q.reset {
        Some(format!("已为 {u} 设置新密码。"))
    } else if let Some(u) = q.stopped {
        Some(format!("已停用 {u}：不能再登录，已登录的会话也随即失效。"))
    } else if let Some(u) = q.restarted {
        Some(format!("已启用 {u}。"))
    } else {
        q.new_town.map(|_| {
            format!("已新增 {town}。下一步：在“责任人”页为其添加责任单位（镇物管办、派出所、城管等），再在此为镇物管办开通账号。")
        })
    };
    render(&s, &session, &town, None, notice).await
}

/// What the registry's refusal of an account form means, in Chinese.
fn explain(e: &ApiError) -> String {
    match (e.0.code, e.0.field.as_deref()) {
        (wuguan_platform::ErrorCode::AlreadyExists, _) => "这个用户名已被使用。".to_owned(),
        (_, Some("username")) => "用户名为 3 至 64 个字母、数字或 . _ -。".to_owned(),
        (_, Some("password" | "new_password")) => "密码至少 8 个字符。".to_owned(),
        (_, Some("unit_id")) => "请选择本镇的责任单位。".to_owned(),
        (_, Some("role")) => "请选择角色。".to_owned(),
        (wuguan_platform::ErrorCode::NotFound, _) => "没有这个账号。".to_owned(),
        _ => say(e),
    }
}

pub async fn create(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "账号") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let role = Role::parse(&field("role")).filter(|r| ROLES.contains(r));
    let Some(role) = role else {
        return render(&s, &session, &town, Some("请选择角色。".to_owned()), None).await;
    };
    let req = rpb::CreateAccountRequest {
        username: field("username"),
        // Passwords are taken as typed: spaces may be part of them.
        password: f.get("password").cloned().unwrap_or_default(),
        role: role.to_wire() as i32,
        town: town.clone(),
        unit_id: field("unit_id"),
        display_name: field("display_name"),
        estate_id: field("estate_id"),
    };
    match s.upstreams.accounts().create_account(s.upstreams.request(&bearer(&session), req)).await {
        Ok(a) => {
            Redirect::to(&format!("/console/accounts?town={town}&created={}", a.into_inner().username)).into_response()
        }
        Err(e) => render(&s, &session, &town, Some(explain(&ApiError::from(e))), None).await,
    }
}

pub async fn reset(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "账号") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let req = rpb::ResetPasswordRequest {
        username: f.get("username").map(|v| v.trim().to_owned()).unwrap_or_default(),
        new_password: f.get("new_password").cloned().unwrap_or_default(),
    };
    match s.upstreams.accounts().reset_password(s.upstreams.request(&bearer(&session), req)).await {
        Ok(a) => {
            Redirect::to(&format!("/console/accounts?town={town}&reset={}", a.into_inner().username)).into_response()
        }
        Err(e) => render(&s, &session, &town, Some(explain(&ApiError::from(e))), None).await,
    }
}

/// Stops or restarts an account (staff who left, or came back).
pub async fn stop_or_restart(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "账号") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let disabled = f.get("stop").is_some_and(|v| v == "true");
    let req = rpb::SetAccountDisabledRequest {
        username: f.get("username").map(|v| v.trim().to_owned()).unwrap_or_default(),
        disabled,
    };
    match s.upstreams.accounts().set_account_disabled(s.upstreams.request(&bearer(&session), req)).await {
        Ok(a) => {
            let what = if disabled { "stopped" } else { "restarted" };
            Redirect::to(&format!("/console/accounts?town={town}&{what}={}", a.into_inner().username)).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            let message = if e.0.field.as_deref() == Some("username") {
                "不能停用自己的账号。".to_owned()
            } else {
                explain(&e)
            };
            render(&s, &session, &town, Some(message), None).await
        }
    }
}
