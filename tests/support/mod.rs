//! Starts the whole stack in-process on 127.0.0.1:0 with a fresh database, and talks to it
//! over real HTTP and gRPC.
#![allow(dead_code)]

pub mod openapi_check;

use reqwest::StatusCode;
use serde_json::Value;
use wuguan::stack::{Stack, StackConfig};

#[derive(Clone, Copy, Debug)]
pub enum Store {
    Sqlite,
    Postgres,
}

pub struct TestStack {
    pub stack: Option<Stack>,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    _pg: Vec<wuguan_testkit::PgDb>,
}

impl TestStack {
    /// The stack with the demo data, or None when the store is Postgres and none is available
    /// (and not required).
    pub async fn start(store: Store) -> Option<TestStack> {
        // Every test's traffic comes from 127.0.0.1; the per-address limit has its own test.
        TestStack::start_limited(store, 0).await
    }

    /// The stack with `public_requests_per_minute` requests needing no sign-in per address.
    pub async fn start_limited(store: Store, public_requests_per_minute: u32) -> Option<TestStack> {
        TestStack::start_configured(store, |config| config.public_requests_per_minute = public_requests_per_minute)
            .await
    }

    /// The stack with its configuration adjusted by `adjust` (before the stores are chosen).
    pub async fn start_configured(store: Store, adjust: impl FnOnce(&mut StackConfig)) -> Option<TestStack> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config =
            StackConfig::sqlite(dir.path().to_path_buf(), "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0");
        config.public_requests_per_minute = 0;
        config.metrics_listen = Some("127.0.0.1:0".into());
        adjust(&mut config);
        let mut pg = Vec::new();
        if let Store::Postgres = store {
            let registry_db = wuguan_testkit::pg_db().await?;
            let dispatch_db = wuguan_testkit::pg_db().await?;
            let assessment_db = wuguan_testkit::pg_db().await?;
            config.registry_database_url = registry_db.url.clone();
            config.dispatch_database_url = dispatch_db.url.clone();
            config.assessment_database_url = assessment_db.url.clone();
            pg = vec![registry_db, dispatch_db, assessment_db];
        }
        let stack = Stack::start(config).await.expect("stack starts");
        let base = format!("http://{}", stack.gateway_addr);
        Some(TestStack { stack: Some(stack), base, http: reqwest::Client::new(), dir, _pg: pg })
    }

    pub fn assessment_url(&self) -> String {
        format!("http://{}", self.stack.as_ref().unwrap().assessment_addr)
    }

    pub fn dispatch_url(&self) -> String {
        format!("http://{}", self.stack.as_ref().unwrap().dispatch_addr)
    }

    pub fn registry_url(&self) -> String {
        format!("http://{}", self.stack.as_ref().unwrap().registry_addr)
    }

    pub async fn stop(mut self) {
        if let Some(stack) = self.stack.take() {
            stack.stop().await.expect("stack stops cleanly");
        }
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": "demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method_name = method.clone();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        openapi_check::response_is_documented(method_name.as_str(), path, status.as_u16(), is_json.then_some(&value));
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, Some(token), Some(body)).await
    }

    /// Every item of a paginated list, following next_page_token.
    pub async fn get_all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..1000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &next {
                Some(t) => format!("{path}{sep}page_token={t}"),
                None => path.to_owned(),
            };
            let (status, body) = self.get(&url, token).await;
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            items.extend(body["items"].as_array().unwrap().iter().cloned());
            match body["next_page_token"].as_str() {
                Some(t) => next = Some(t.to_owned()),
                None => return items,
            }
        }
        panic!("pagination of {path} did not end");
    }

    /// An estate of 众兴 that the demo's property company (恒安, whose account is
    /// `zhongxing.property_company`) serves.
    pub async fn company_estate(&self) -> String {
        let office = self.login("zhongxing.town_office").await;
        self.company_estate_with(&office).await
    }

    /// The same, read with a token already in hand.
    pub async fn company_estate_with(&self, token: &str) -> String {
        let estates =
            self.get_all("/api/v1/towns/zhongxing/estates?management_mode=property_company&page_size=100", token).await;
        estates[0]["id"].as_str().unwrap().to_owned()
    }
}

/// Asserts the JSON error shape and returns the error object.
pub fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) -> Value {
    assert_eq!(status, expected, "body: {body}");
    let err = &body["error"];
    assert_eq!(err["code"], code, "body: {body}");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {body}");
    err.clone()
}
