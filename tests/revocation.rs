//! Revocation: signing out, a new password, a reset or stopping an account makes every token
//! issued before it fail — on the registry, dispatch, assessment and the gateway itself, within
//! the verifiers' sync interval — and the county's (or town office's) service tokens are named,
//! listed and revoked the same way. Sign-in tokens are short and refreshed within a session.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use support::{Store, TestStack, assert_error};

/// One read on each service, and the gateway's own check of the token.
const READS: [&str; 4] = [
    "/api/v1/towns/zhongxing/estates?page_size=1",     // registry
    "/api/v1/complaints?town=zhongxing&page_size=1",   // dispatch
    "/api/v1/towns/zhongxing/inspections?page_size=1", // assessment
    "/api/v1/me",                                      // the gateway
];

/// Every read answers 200 to `token`.
async fn accepted_everywhere(t: &TestStack, token: &str) {
    for path in READS {
        let (status, body) = t.get(path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

/// Every read refuses `token` with 401, within a few sync intervals of the change.
async fn refused_everywhere(t: &TestStack, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    for path in READS {
        loop {
            let (status, body) = t.get(path, token).await;
            if status == StatusCode::UNAUTHORIZED {
                assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
                break;
            }
            // Until the change reaches this verifier the answer is what the role gets (an owner
            // representative may not read inspections: 403).
            assert!(Instant::now() < deadline, "{path} still accepts a revoked token: {status} {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn sign_in(t: &TestStack, username: &str, password: &str) -> (StatusCode, serde_json::Value) {
    t.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password}))).await
}

async fn suite(store: Store) {
    let Some(t) = TestStack::start(store).await else { return };
    signing_out_ends_every_session_of_the_account(&t).await;
    passwords_and_stopping_end_sessions(&t).await;
    refresh_renews_a_session_but_not_a_revoked_one(&t).await;
    service_tokens_are_named_listed_and_revoked(&t).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_sqlite() {
    suite(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_postgres() {
    suite(Store::Postgres).await;
}

async fn signing_out_ends_every_session_of_the_account(t: &TestStack) {
    let laptop = t.login("zhongxing.police").await;
    let phone = t.login("zhongxing.police").await;
    let colleague = t.login("zhongxing.urban_management").await;
    accepted_everywhere(t, &laptop).await;
    accepted_everywhere(t, &phone).await;

    let (status, body) = t.send(Method::POST, "/api/v1/auth/logout", Some(&laptop), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    refused_everywhere(t, &laptop).await;
    refused_everywhere(t, &phone).await;
    // Another account's session is untouched; signing in again works at once.
    accepted_everywhere(t, &colleague).await;
    let again = t.login("zhongxing.police").await;
    accepted_everywhere(t, &again).await;
    // A revoked token cannot sign out again or anything else.
    let (status, body) = t.send(Method::POST, "/api/v1/auth/logout", Some(&laptop), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn passwords_and_stopping_end_sessions(t: &TestStack) {
    // Changing one's own password ends the sessions that used the old one, this one included.
    let before = t.login("zhongxing.community").await;
    let (status, body) = t
        .post("/api/v1/me/password", &before, json!({"current_password": "demo", "new_password": "新密码-2026-12"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    refused_everywhere(t, &before).await;
    let (status, body) = sign_in(t, "zhongxing.community", "新密码-2026-12").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = body["access_token"].as_str().unwrap().to_owned();
    accepted_everywhere(t, &after).await;

    // The town office sets a new password for someone who lost theirs (or whose token was
    // stolen): the old sessions end.
    let office = t.login("zhongxing.town_office").await;
    let (status, body) = t
        .post("/api/v1/accounts/zhongxing.community/password", &office, json!({"new_password": "办公室重设-1234"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    refused_everywhere(t, &after).await;
    accepted_everywhere(t, &office).await;

    // Stopping an account ends its sessions; restarting it does not bring them back.
    let rep = t.login("zhongxing.owner_rep").await;
    let (status, body) = t.post("/api/v1/accounts/zhongxing.owner_rep/disable", &office, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    refused_everywhere(t, &rep).await;
    let (status, body) = t.post("/api/v1/accounts/zhongxing.owner_rep/enable", &office, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &rep).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let fresh = t.login("zhongxing.owner_rep").await;
    let (status, body) = t.get("/api/v1/me", &fresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn refresh_renews_a_session_but_not_a_revoked_one(t: &TestStack) {
    let token = t.login("zhongxing.property_company").await;
    let (status, body) = t.send(Method::POST, "/api/v1/auth/refresh", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["access_token"].as_str().unwrap().to_owned();
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    accepted_everywhere(t, &renewed).await;
    // The renewed token is the same session: signing out with the first ends both.
    let (status, _) = t.send(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    refused_everywhere(t, &renewed).await;
    let (status, body) = t.send(Method::POST, "/api/v1/auth/refresh", Some(&renewed), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) = t.send(Method::POST, "/api/v1/auth/refresh", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn service_tokens_are_named_listed_and_revoked(t: &TestStack) {
    let office = t.login("zhongxing.town_office").await;
    let (status, body) = t
        .post("/api/v1/service-tokens", &office, json!({"name": "hotline-12345", "town": "zhongxing", "days": 30}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hotline = body["access_token"].as_str().unwrap().to_owned();
    let id = body["service_token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["service_token"]["role"], "service");
    assert_eq!(body["service_token"]["created_by"], "zhongxing.town_office");
    assert!(body["service_token"]["revoked_at"].is_null());
    // The system reads and submits with it.
    let (status, body) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &hotline).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Rotation: the successor first, then the old one revoked.
    let (status, body) =
        t.post("/api/v1/service-tokens", &office, json!({"name": "hotline-12345", "town": "zhongxing"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let successor = body["access_token"].as_str().unwrap().to_owned();
    let (status, listed) = t.get("/api/v1/service-tokens", &office).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let names: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hotline-12345", "hotline-12345"], "the town's tokens, and nothing else");
    // Nobody else's: another town's office sees none and cannot revoke it; a unit may not mint.
    let anhe = t.login("anhe.town_office").await;
    let (status, listed) = t.get("/api/v1/service-tokens", &anhe).await;
    assert_eq!((status, listed["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{listed}");
    let (status, body) = t.send(Method::DELETE, &format!("/api/v1/service-tokens/{id}"), Some(&anhe), None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let police = t.login("zhongxing.police").await;
    let (status, body) =
        t.post("/api/v1/service-tokens", &police, json!({"name": "police-system", "town": "zhongxing"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) =
        t.post("/api/v1/service-tokens", &anhe, json!({"name": "hotline-12345", "town": "zhongxing"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // Bad input names the field and writes nothing.
    for (input, field) in [
        (json!({"name": "x", "town": "zhongxing"}), "name"),
        (json!({"name": "有空格 的名字", "town": "zhongxing"}), "name"),
        (json!({"name": "hotline", "town": "zhongxing", "days": 367}), "days"),
        (json!({"name": "hotline", "town": ""}), "town"),
        (json!({"name": "hotline", "town": "zhongxing", "unit_id": "no-such-unit"}), "unit_id"),
    ] {
        let (status, body) = t.post("/api/v1/service-tokens", &office, input.clone()).await;
        let err = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
        assert_eq!(err["field"], field, "{input}: {body}");
    }
    let (_, listed) = t.get("/api/v1/service-tokens", &office).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "nothing written by the refusals");

    let (status, body) = t.send(Method::DELETE, &format!("/api/v1/service-tokens/{id}"), Some(&office), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].is_string() && body["revoked_by"] == "zhongxing.town_office", "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &hotline).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(status == StatusCode::OK && Instant::now() < deadline, "{status}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &successor).await;
    assert_eq!(status, StatusCode::OK, "the successor works on: {body}");
    // Revoking again keeps the first revocation.
    let (status, again) = t.send(Method::DELETE, &format!("/api/v1/service-tokens/{id}"), Some(&office), None).await;
    assert_eq!((status, &again["revoked_at"]), (StatusCode::OK, &body_revoked_at(t, &office, &id).await));
    // The county sees its county's tokens.
    let county = t.login("county.admin").await;
    let (status, listed) = t.get("/api/v1/service-tokens?town=zhongxing", &county).await;
    assert_eq!((status, listed["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{listed}");
}

/// The revocation time the list shows for token `id`.
async fn body_revoked_at(t: &TestStack, token: &str, id: &str) -> serde_json::Value {
    let (_, listed) = t.get("/api/v1/service-tokens", token).await;
    listed["items"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap()["revoked_at"].clone()
}
