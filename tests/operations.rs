//! Operating wuguan: `wuguan backup` of a running SQLite deployment restores into a working
//! stack; `wuguan migrate` then services with migrations off (and their refusal of an old
//! schema); the metrics endpoints after traffic; the admin port; `wuguan health`.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use support::{Store, TestStack};
use wuguan::stack::{Stack, StackConfig};
use wuguan_platform::db::PoolConfig;

fn wuguan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wuguan"))
}

async fn submit(t: &TestStack, description: &str) -> serde_json::Value {
    let office = t.login("zhongxing.town_office").await;
    let estate = t.get_all("/api/v1/towns/zhongxing/estates?page_size=5", &office).await[0]["id"].clone();
    let (status, ticket) = t
        .post(
            "/api/v1/complaints",
            &office,
            json!({"town": "zhongxing", "estate_id": estate, "category": "repair", "description": description,
                "reporter_name": "王先生", "reporter_phone": "13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket
}

/// A backup taken while the stack runs holds every acknowledged write and starts as a stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_running_stack_restores() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let ticket = submit(&t, "备份前提交的诉求：单元门禁损坏").await;
    let copy = tempfile::tempdir().unwrap();
    let target = copy.path().join("backup");
    let written = wuguan::backup::backup(t.dir.path(), &target).await.unwrap();
    for name in ["registry.db", "dispatch.db", "assessment.db", "jwt-private.pem", "jwt-public.pem"] {
        assert!(written.contains(&target.join(name)), "{name} in {written:?}");
    }
    let err = wuguan::backup::backup(t.dir.path(), &target).await.unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    t.stop().await;

    // The copy is a data directory: a stack starts on it and finds the ticket.
    let mut config = StackConfig::sqlite(target.clone(), "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0");
    config.load_demo = false;
    let restored = Stack::start(config).await.unwrap();
    let code = ticket["tracking_code"].as_str().unwrap();
    let resp = reqwest::get(format!("http://{}/api/v1/track/{code}", restored.gateway_addr)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tracked: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(tracked["tracking_code"], code);
    restored.stop().await.unwrap();

    let status = wuguan()
        .args(["backup", "--data-dir"])
        .arg(copy.path().join("nowhere"))
        .arg("--to")
        .arg(copy.path().join("b2"))
        .status()
        .unwrap();
    assert!(!status.success(), "nothing to back up is an error");
}

async fn migrate_once(url: &str) {
    // A service that does not migrate refuses a database `wuguan migrate` has not prepared.
    let err = wuguan_dispatch::server::connect_database(url, PoolConfig::default(), false).await.unwrap_err();
    assert!(err.to_string().contains("wuguan migrate"), "{err}");
    let out = wuguan().args(["migrate", "--dispatch-database-url", url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dispatch: migrated"));
    let db = wuguan_dispatch::server::connect_database(url, PoolConfig::default(), false).await.unwrap();
    db.close().await;
    // Migrating again changes nothing and succeeds.
    assert!(wuguan().args(["migrate", "--dispatch-database-url", url]).status().unwrap().success());
}

#[tokio::test]
async fn migrate_then_serve_without_migrating_on_sqlite() {
    let db = wuguan_testkit::sqlite_db();
    migrate_once(&db.url).await;
    let out = wuguan().arg("migrate").output().unwrap();
    assert!(!out.status.success(), "migrate without a database URL is an error");
}

#[tokio::test]
async fn migrate_then_serve_without_migrating_on_postgres() {
    let Some(db) = wuguan_testkit::pg_db().await else { return };
    migrate_once(&db.url).await;
}

/// After traffic, the gateway's `/metrics` and a service's admin port expose the named series;
/// the admin `/healthz` follows the service's gRPC health; `wuguan health` checks an endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_endpoints() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    submit(&t, "指标测试：路灯不亮").await;
    let office = t.login("zhongxing.town_office").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/rubric", &office).await;
    assert_eq!(status, StatusCode::OK);
    // A console page too: its series names the route template, not the ticket id.
    let console =
        reqwest::get(format!("{}/console/tickets/00000000-0000-0000-0000-000000000000", t.base)).await.unwrap();
    assert!(console.url().path() == "/console/login", "redirected to sign in: {}", console.url());

    let scrape = |url: String| async move {
        let resp = reqwest::get(url).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    };
    // Not on the public listener: metrics describe the whole deployment's traffic.
    let public = reqwest::get(format!("{}/metrics", t.base)).await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let metrics_addr = t.stack.as_ref().unwrap().metrics_addr.expect("the test stack serves metrics");
    let gateway = scrape(format!("http://{metrics_addr}/metrics")).await;
    for series in [
        r#"wuguan_http_requests_total{method="POST",route="/api/v1/complaints",status="201"}"#,
        r#"wuguan_http_request_duration_seconds_bucket{route="/api/v1/auth/login""#,
        r#"wuguan_http_requests_total{method="GET",route="/console/tickets/{id}",status="303"}"#,
        r#"wuguan_grpc_requests_total{method="/wuguan.dispatch.v1.DispatchService/SubmitComplaint",code="Ok"}"#,
        r#"wuguan_grpc_request_duration_seconds_bucket{method="/wuguan.registry.v1.AccountService/Authenticate""#,
        "wuguan_tickets_open{",
        "wuguan_tickets_overdue",
        "wuguan_outbox_pending",
        r#"wuguan_db_pool_connections{service="dispatch",state="in_use"}"#,
    ] {
        assert!(gateway.contains(series), "{series} missing from:\n{gateway}");
    }
    // No personal data in metrics: ids and phone numbers never become labels.
    assert!(!gateway.contains("13812345678") && !gateway.contains("王先生"), "{gateway}");

    // A service's admin port: the same registry of series, and health from its gRPC server.
    let dispatch_addr = t.stack.as_ref().unwrap().dispatch_addr;
    let (listener, admin_addr) = wuguan_platform::serving::bind("127.0.0.1:0").await.unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let admin = tokio::spawn(wuguan_platform::admin::serve(listener, dispatch_addr, async move {
        let _ = stop_rx.await;
    }));
    let service = scrape(format!("http://{admin_addr}/metrics")).await;
    assert!(service.contains("wuguan_grpc_requests_total"), "{service}");
    assert_eq!(reqwest::get(format!("http://{admin_addr}/healthz")).await.unwrap().status(), StatusCode::OK);
    let healthy = wuguan().args(["health", &format!("http://{admin_addr}/healthz")]).status().unwrap();
    assert!(healthy.success());
    assert_eq!(reqwest::get(format!("{}/livez", t.base)).await.unwrap().status(), StatusCode::OK);

    t.stop().await;
    // The service is gone: its admin port says so, and `wuguan health` fails.
    assert_eq!(
        reqwest::get(format!("http://{admin_addr}/healthz")).await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let unhealthy = wuguan().args(["health", &format!("http://{admin_addr}/healthz")]).status().unwrap();
    assert!(!unhealthy.success());
    let _ = stop_tx.send(());
    admin.await.unwrap().unwrap();
}

/// A real county from nothing: `wuguan init-county` makes the county and its administrator; the
/// administrator adds a town, its town office unit and a town-office account over the API, and
/// that account works in its own town only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_county_starts_with_init_county() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    let password_file = dir.path().join("admin-password");
    std::fs::write(&password_file, "first-pass-2026\n").unwrap();
    let init = |username: &str| {
        wuguan()
            .args(["init-county", "--registry-database-url", &url, "--code", "shuyang", "--name", "沭阳县"])
            .args(["--admin-username", username, "--admin-password-file"])
            .arg(&password_file)
            .output()
            .unwrap()
    };
    let out = init("shuyang.admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sign in as shuyang.admin"));
    let again = init("shuyang.admin");
    assert!(!again.status.success(), "an existing administrator is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));

    let mut config =
        StackConfig::sqlite(dir.path().to_path_buf(), "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0");
    config.load_demo = false;
    config.county = "shuyang".into();
    let stack = Stack::start(config).await.unwrap();
    let base = format!("http://{}", stack.gateway_addr);
    let http = reqwest::Client::new();
    let login = |username: &'static str, password: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let resp = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{username}");
            resp.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let post = |token: String, path: &'static str, body: serde_json::Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let resp = http.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
            (resp.status(), resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let admin = login("shuyang.admin", "first-pass-2026").await;
    let (status, body) = post(admin.clone(), "/api/v1/towns", json!({"code": "Bad Code", "name": "新镇"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("code")), "{body}");
    let (status, town) = post(admin.clone(), "/api/v1/towns", json!({"code": "xinzhen", "name": "新镇"})).await;
    assert_eq!(status, StatusCode::CREATED, "{town}");
    assert_eq!((town["name"].as_str(), town["county"].as_str()), (Some("新镇"), Some("shuyang")), "{town}");
    let (status, _) = post(admin.clone(), "/api/v1/towns", json!({"code": "xinzhen", "name": "又一个"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, unit) =
        post(admin.clone(), "/api/v1/towns/xinzhen/units", json!({"unit_type": "town_office", "name": "新镇物管办"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    let (status, account) = post(
        admin.clone(),
        "/api/v1/towns/xinzhen/accounts",
        json!({"username": "xinzhen.office", "password": "office-pass-1", "role": "town_office", "unit_id": unit["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let office = login("xinzhen.office", "office-pass-1").await;
    let towns: serde_json::Value =
        http.get(format!("{base}/api/v1/towns")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(towns["items"].as_array().unwrap().len(), 1, "{towns}");
    let (status, _) = post(office, "/api/v1/towns", json!({"code": "other", "name": "别的镇"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the county adds towns");
    stack.stop().await.unwrap();
}
