//! The per-address limit on requests that need no sign-in: beyond it, 429 with `Retry-After`
//! (JSON for the API, a page in Chinese for the console); signed-in work goes on; a client
//! cannot escape by naming another address when no proxy header is configured.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Store, TestStack, assert_error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_requests_are_limited_per_address_and_signed_in_work_is_not() {
    let t = TestStack::start_limited(Store::Sqlite, 5).await.unwrap();
    // Signing in has its own quota per account and address: it takes none of the five.
    let office = t.login("zhongxing.town_office").await;
    for _ in 0..5 {
        let (status, _) = t.send(Method::GET, "/api/v1/track/ABCDEFGHJK", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let resp = t.http.get(format!("{}/api/v1/track/ABCDEFGHJK", t.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_error(StatusCode::TOO_MANY_REQUESTS, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");

    // The same address: anonymous complaints and the console's public pages wait too.
    let complaint = json!({"town": "zhongxing", "estate_id": t.company_estate_with(&office).await,
                           "category": "repair", "description": "限流测试", "anonymous": true});
    let (status, _) = t.send(Method::POST, "/api/v1/complaints", None, Some(complaint.clone())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let page = t.http.get(format!("{}/console/track?code=ABCDEFGHJK", t.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("操作太频繁"));
    // Naming another address does not help: no proxy header is trusted here.
    let forged = t
        .http
        .get(format!("{}/api/v1/track/ABCDEFGHJK", t.base))
        .header("x-forwarded-for", "198.51.100.9")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::TOO_MANY_REQUESTS);

    // Colleagues behind the same address still sign in (an office shares one NAT address) ...
    let sign_in = |username: &'static str| {
        t.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": "demo"})))
    };
    let (status, body) = sign_in("zhongxing.police").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // ... but one account from one address is held to its own quota.
    for i in 1..wuguan_gateway::public_limit::SIGN_INS_PER_MINUTE {
        let (status, body) = sign_in("zhongxing.police").await;
        assert_eq!(status, StatusCode::OK, "attempt {i}: {body}");
    }
    let (status, body) = sign_in("zhongxing.police").await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let (status, body) = sign_in("zhongxing.community").await;
    assert_eq!(status, StatusCode::OK, "another account is not held back: {body}");

    // Signed-in work is not held back: the same complaint with the office's token goes through.
    let (status, summary) = t.get("/api/v1/towns/zhongxing/summary", &office).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let (status, created) = t.post("/api/v1/complaints", &office, complaint).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    t.stop().await;
}

/// Anonymous callers' idempotency keys are their own: a second visitor (another address behind
/// the trusted proxy) who sends the same key and body gets a ticket of their own, never the first
/// visitor's ticket and tracking code; the first visitor's retry still returns theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_idempotency_keys_are_one_callers_own() {
    let t = TestStack::start_configured(Store::Sqlite, |c| c.client_ip_header = Some("x-forwarded-for".into()))
        .await
        .unwrap();
    let office = t.login("zhongxing.town_office").await;
    let complaint = json!({"town": "zhongxing", "estate_id": t.company_estate_with(&office).await,
                           "category": "repair", "description": "楼道灯坏了", "reporter_name": "张女士",
                           "reporter_phone": "13900001111"});
    let submit = |address: &'static str| {
        let request = t
            .http
            .post(format!("{}/api/v1/complaints", t.base))
            .header("x-forwarded-for", address)
            .header("Idempotency-Key", "my-first-complaint")
            .json(&complaint);
        async move {
            let resp = request.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, first) = submit("203.0.113.7").await;
    assert!(status.is_success(), "{status} {first}");
    let (status, retried) = submit("203.0.113.7").await;
    assert!(status.is_success(), "{status} {retried}");
    assert_eq!(retried["id"], first["id"], "the same caller's retry returns its ticket");
    let (status, other) = submit("198.51.100.23").await;
    assert!(status.is_success(), "{status} {other}");
    assert_ne!(other["id"], first["id"], "another caller never receives the first caller's ticket");
    assert_ne!(other["tracking_code"], first["tracking_code"]);
    assert!(first["tracking_code"].is_string());
}

/// Wrong passwords lock the client that guessed, not the account: its owner signs in from
/// another address meanwhile; and an unknown username locks exactly like a real one, so the
/// answers never tell whether an account exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_lock_holds_back_the_guessing_client_only_and_tells_nothing() {
    let t = TestStack::start_configured(Store::Sqlite, |c| {
        c.public_requests_per_minute = 0;
        c.client_ip_header = Some("x-forwarded-for".into());
    })
    .await
    .unwrap();
    let sign_in = |from: &'static str, username: &'static str, password: &'static str| {
        t.http
            .post(format!("{}/api/v1/auth/login", t.base))
            .header("x-forwarded-for", from)
            .json(&json!({"username": username, "password": password}))
            .send()
    };
    let answers = |username: &'static str| async move {
        let mut messages = Vec::new();
        for _ in 0..6 {
            let resp = sign_in("198.51.100.7", username, "guess-1234").await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
            let body: serde_json::Value = resp.json().await.unwrap();
            messages.push(body["error"]["message"].as_str().unwrap().to_owned());
        }
        messages
    };
    let real = answers("zhongxing.police").await;
    let unknown = answers("zhongxing.nobody").await;
    assert_eq!(real, unknown, "an unknown username is answered exactly like a real one");
    assert!(real[4].contains("locked") && real[5].contains("locked") && !real[3].contains("locked"), "{real:?}");
    // Locked from the guesser's address, even with the right password ...
    let resp = sign_in("198.51.100.7", "zhongxing.police", "demo").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // ... while the station signs in from its own.
    let resp = sign_in("203.0.113.20", "zhongxing.police", "demo").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    t.stop().await;
}

/// A signed-in resident is held to a household's pace of complaints (20 an hour, as a burst);
/// the town office, entering what the hotline took, is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_resident_cannot_flood_a_town_and_staff_are_not_held_back() {
    let t = TestStack::start_limited(Store::Sqlite, 60).await.unwrap();
    let office = t.login("zhongxing.town_office").await;
    let estate = t.company_estate_with(&office).await;
    let resident = t.login("zhongxing.resident").await;
    let submit = |token: String, n: usize| {
        let estate = estate.clone();
        let t = &t;
        async move {
            t.http
                .post(format!("{}/api/v1/complaints", t.base))
                .bearer_auth(token)
                .header("idempotency-key", format!("flood-{n}"))
                .json(&json!({"town": "zhongxing", "estate_id": estate, "category": "repair",
                              "description": format!("第 {n} 次反映：楼道灯不亮")}))
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..wuguan_gateway::public_limit::PERSON_SUBMISSIONS_PER_HOUR as usize {
        let resp = submit(resident.clone(), n).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "complaint {n}: {}", resp.text().await.unwrap());
    }
    let resp = submit(resident.clone(), 999).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_error(StatusCode::TOO_MANY_REQUESTS, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    for n in 1000..1025 {
        let resp = submit(office.clone(), n).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "the office is not limited: {}", resp.text().await.unwrap());
    }
    t.stop().await;
}
