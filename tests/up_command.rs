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
    let mut child = Command::new(env!("CARGO_BIN_EXE_wuguan"))
        .arg("up")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--registry-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn wuguan up");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let base = loop {
        let line = lines.next().expect("wuguan up printed its URLs").unwrap();
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

async fn login(http: &reqwest::Client, base: &str) -> String {
    let body: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "zhongxing.town_office", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
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
    let up = start(dir.path());
    let token = login(&http, &up.base).await;
    let s = summary(&http, &up.base, &token).await;
    assert_eq!(s["estates"], 66, "{s}");
    assert_eq!(s["residents"], 57_694 + 30);
    stop(up);
}
