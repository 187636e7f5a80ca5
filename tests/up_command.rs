//! `wuguan up` as a user runs it: a real process that prints its URLs, serves the demo,
//! stops cleanly on SIGTERM, and keeps what was written across a restart.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Up {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path) -> Up {
    start_with(data_dir, &[])
}

/// `wuguan up` with settings of its own (flags), on free ports.
fn start_with(data_dir: &std::path::Path, settings: &[&str]) -> Up {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wuguan"))
        .arg("up")
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "--registry-listen",
            "127.0.0.1:0",
            "--dispatch-listen",
            "127.0.0.1:0",
            "--assessment-listen",
            "127.0.0.1:0",
            "--gateway-listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(settings)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data_dir.join("up-stderr.log")).unwrap())
        .spawn()
        .expect("spawn wuguan up");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            let stderr = std::fs::read_to_string(data_dir.join("up-stderr.log")).unwrap_or_default();
            panic!("wuguan up ended before printing its URLs: {printed}\n{stderr}");
        };
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.trim().strip_prefix("gateway") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // The demo accounts follow the URLs.
    for _ in 0..20 {
        match lines.next() {
            Some(Ok(line)) => printed.push_str(&line),
            _ => break,
        }
        if printed.contains("anhe.property_company") {
            break;
        }
    }
    assert!(printed.contains("zhongxing.town_office"), "{printed}");
    std::thread::spawn(move || for _ in lines {});
    Up { child, base }
}

fn stop(mut up: Up) {
    let status = Command::new("kill").arg("-TERM").arg(up.child.id().to_string()).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(exit) = up.child.try_wait().unwrap() {
            assert!(exit.success(), "wuguan up exited with {exit}");
            return;
        }
        if Instant::now() > deadline {
            let _ = up.child.kill();
            panic!("wuguan up did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The town office's sign-in answer (token, lifetime).
async fn sign_in(http: &reqwest::Client, base: &str) -> Value {
    http.post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "zhongxing.town_office", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    sign_in(http, base).await["access_token"].as_str().unwrap().to_owned()
}

async fn summary(http: &reqwest::Client, base: &str, token: &str) -> Value {
    http.get(format!("{base}/api/v1/towns/zhongxing/summary"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn up_serves_the_demo_stops_on_sigterm_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    let up = start(dir.path());
    let health = http.get(format!("{}/healthz", up.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let token = login(&http, &up.base).await;
    assert_eq!(summary(&http, &up.base, &token).await["residents"], 57_694);
    let communities: Value = http
        .get(format!("{}/api/v1/towns/zhongxing/communities", up.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = http
        .post(format!("{}/api/v1/towns/zhongxing/estates", up.base))
        .bearer_auth(&token)
        .json(&json!({
            "community_id": communities["items"][0]["id"], "name": "重启后仍在的小区",
            "planned_floor_area_m2": 1000, "built_floor_area_m2": 1000, "designed_households": 10,
            "occupied_households": 10, "residents": 30
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    stop(up);

    // Restart on the same data: the demo is not loaded twice and the new estate is still there.
    // The settings a one-machine office changes reach the services: here the token lifetime.
    let up = start_with(dir.path(), &["--token-ttl-secs", "600", "--sweep-interval-secs", "5"]);
    let signed_in = sign_in(&http, &up.base).await;
    assert_eq!(signed_in["expires_in"], 600, "{signed_in}");
    let token = signed_in["access_token"].as_str().unwrap().to_owned();
    let s = summary(&http, &up.base, &token).await;
    assert_eq!(s["estates"], 66, "{s}");
    assert_eq!(s["residents"], 57_694 + 30);
    stop(up);
}

/// SIGKILL in the middle of intake: every complaint that was acknowledged (201) is there
/// after a restart, exactly once.
#[tokio::test]
async fn acknowledged_complaints_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut up = start(dir.path());
    let token = login(&http, &up.base).await;
    let estates: Value = http
        .get(format!("{}/api/v1/towns/zhongxing/estates?page_size=5", up.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let estate = estates["items"][0]["id"].as_str().unwrap().to_owned();

    // Submit concurrently and kill the process while submissions are in flight.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (http, base, token, estate) = (http.clone(), up.base.clone(), token.clone(), estate.clone());
        tasks.push(tokio::spawn(async move {
            // Spread the submissions out so the kill lands in the middle of them.
            tokio::time::sleep(Duration::from_millis(i * 5)).await;
            let resp = http
                .post(format!("{base}/api/v1/complaints"))
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("kill-test-{i}"))
                .json(&json!({"town": "zhongxing", "estate_id": estate, "category": "repair", "description": format!("断电测试 {i}")}))
                .send()
                .await;
            match resp {
                Ok(r) if r.status() == 201 => Some(r.json::<Value>().await.ok()?["id"].as_str()?.to_owned()),
                _ => None,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    up.child.kill().unwrap();
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Some(id) = t.await.unwrap() {
            acknowledged.push(id);
        }
    }
    let _ = up.child.wait();
    assert!(!acknowledged.is_empty(), "some submissions should have been acknowledged before the kill");
    assert!(acknowledged.len() < 60, "the kill should have cut some submissions off");

    let up = start(dir.path());
    let token = login(&http, &up.base).await;
    let mut all_ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let url = format!("{}/api/v1/complaints?source=town_office&page_size=500&page_token={page_token}", up.base);
        let page: Value = http.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        all_ids.extend(page["items"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()));
        match page["next_page_token"].as_str() {
            Some(t) => page_token = t.to_owned(),
            None => break,
        }
    }
    for id in &acknowledged {
        assert_eq!(all_ids.iter().filter(|x| *x == id).count(), 1, "acknowledged ticket {id} lost or doubled");
    }
    stop(up);
}

/// `up --help` lists every setting a service takes, so an operator finds them without reading
/// the per-service subcommands.
#[test]
fn up_help_lists_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_wuguan")).args(["up", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--data-dir",
        "--registry-database-url",
        "--dispatch-database-url",
        "--assessment-database-url",
        "--db-max-connections",
        "--max-concurrent-requests",
        "--request-timeout-secs",
        "--sweep-interval-secs",
        "--level-one-window-secs",
        "--outbox-interval-secs",
        "--token-ttl-secs",
        "--public-requests-per-minute",
        "--client-ip-header",
    ] {
        assert!(help.contains(flag), "{flag} missing from `wuguan up --help`:\n{help}");
    }
    // And the environment variable each one reads.
    for env in ["WUGUAN_TOKEN_TTL_SECS", "WUGUAN_SWEEP_INTERVAL_SECS", "WUGUAN_LEVEL_ONE_WINDOW_SECS"] {
        assert!(help.contains(env), "{env} missing:\n{help}");
    }
}
