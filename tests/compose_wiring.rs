//! deploy/compose.yaml, run for real without a container engine: every wuguan service starts as
//! its own process with exactly the command and environment the compose file gives it — secrets
//! as files, service host names mapped to 127.0.0.1 ports, a throwaway Postgres for the
//! postgres container, two dispatch replicas, the one-shot `migrate` first and each service only
//! once the one before passes its compose health check. A renamed flag or variable fails here.
//!
//! The compose file points the services at the OpenTelemetry collector; here an OTLP receiver
//! in the test takes its place, so the same run checks tracing: one complaint through the
//! gateway is one trace across the gateway, dispatch (with its database span) and the registry,
//! and a caller's `traceparent` is honoured.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wuguan_platform::identity::{KeyPair, TokenSigner};
use wuguan_platform::{Principal, Role};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};

/// (service.name, trace id as hex, span name) of every span received.
type Spans = Arc<Mutex<Vec<(String, String, String)>>>;

struct Receiver(Spans);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref())
                .and_then(|v| match &v.value {
                    Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                let trace: String = span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                spans.push((service.clone(), trace, span.name.clone()));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A service process started as compose would start it.
struct Process {
    name: String,
    child: std::process::Child,
    /// Container port → the 127.0.0.1 port standing in for it.
    ports: BTreeMap<u16, u16>,
    log: std::path::PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Harness {
    compose: Value,
    secrets: std::path::PathBuf,
    /// `host:port` as services address each other → `127.0.0.1:port`.
    hosts: BTreeMap<String, String>,
    dir: std::path::PathBuf,
}

impl Harness {
    /// A compose value with the secrets' paths and the service host names rewritten.
    fn rewrite(&self, value: &str, ports: &BTreeMap<u16, u16>) -> String {
        let mut v = value.replace("/run/secrets/", &format!("{}/", self.secrets.display()));
        for (from, to) in &self.hosts {
            v = v.replace(from, to);
        }
        for (container, local) in ports {
            for host in ["0.0.0.0", "127.0.0.1"] {
                v = v.replace(&format!("{host}:{container}"), &format!("127.0.0.1:{local}"));
            }
        }
        v
    }

    fn start(&self, service: &str, replica: usize, ports: BTreeMap<u16, u16>) -> Process {
        let spec = &self.compose["services"][service];
        let command: Vec<String> = spec["command"]
            .as_array()
            .unwrap_or_else(|| panic!("{service} has a command"))
            .iter()
            .map(|a| self.rewrite(a.as_str().unwrap(), &ports))
            .collect();
        let log = self.dir.join(format!("{service}-{replica}.log"));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wuguan"));
        // Only what compose gives the container (plus PATH): nothing leaks from the test's env.
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        for (key, value) in spec["environment"].as_object().into_iter().flatten() {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            cmd.env(key, self.rewrite(&value, &ports));
        }
        // Flush spans quickly (the SDK's own variable; not a wuguan setting).
        cmd.env("OTEL_BSP_SCHEDULE_DELAY", "100");
        cmd.args(&command).current_dir(&self.dir).stdout(std::fs::File::create(&log).unwrap());
        cmd.stderr(std::fs::OpenOptions::new().append(true).open(&log).unwrap());
        let child = cmd.spawn().unwrap();
        Process { name: format!("{service}-{replica}"), child, ports, log }
    }

    /// Runs the service's compose health check (rewritten) until it passes.
    async fn wait_healthy(&self, p: &mut Process) {
        let check: Vec<String> = self.compose["services"][p.name.rsplit_once('-').unwrap().0]["healthcheck"]["test"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1) // "CMD"
            .map(|a| self.rewrite(a.as_str().unwrap(), &p.ports))
            .collect();
        assert_eq!(check[0], "wuguan", "health checks use the binary in the image");
        for _ in 0..300 {
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("{} exited with {status}:\n{}", p.name, std::fs::read_to_string(&p.log).unwrap_or_default());
            }
            let ok = tokio::process::Command::new(env!("CARGO_BIN_EXE_wuguan"))
                .args(&check[1..])
                .output()
                .await
                .is_ok_and(|o| o.status.success());
            if ok {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{} never became healthy:\n{}", p.name, std::fs::read_to_string(&p.log).unwrap_or_default());
    }
}

fn compose() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/compose.yaml")).unwrap();
    let mut yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    yaml.apply_merge().unwrap();
    serde_json::to_value(yaml).unwrap()
}

fn sigterm(p: &Process) {
    let _ = std::process::Command::new("kill").args(["-TERM", &p.child.id().to_string()]).status();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_services_run_as_written_and_trace_one_complaint() {
    let compose = compose();
    assert_eq!(compose["services"]["dispatch"]["deploy"]["replicas"], 2, "two dispatch replicas");
    let (Some(registry_db), Some(dispatch_db), Some(assessment_db)) =
        (wuguan_testkit::pg_db().await, wuguan_testkit::pg_db().await, wuguan_testkit::pg_db().await)
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    let (private_key, _) = KeyPair::ensure_in_dir(&secrets).unwrap();
    let signer = TokenSigner::from_file(&private_key).unwrap();
    let token = |subject: &str| {
        let p = Principal {
            subject: subject.into(),
            role: Role::County,
            town: None,
            county: "demo".into(),
            unit: None,
            estate: None,
        };
        signer.sign(&p, Duration::from_secs(3600)).unwrap()
    };
    for (name, content) in [
        ("registry-database-url", registry_db.url.clone()),
        ("dispatch-database-url", dispatch_db.url.clone()),
        ("assessment-database-url", assessment_db.url.clone()),
        ("dispatch-token", token("wuguan-dispatch")),
        ("assessment-token", token("wuguan-assessment")),
        ("postgres-password", "unused: the test's Postgres trusts local connections".into()),
    ] {
        // As init-secrets.sh writes them: one line.
        std::fs::write(secrets.join(name), format!("{content}\n")).unwrap();
    }

    // The collector's stand-in.
    let spans: Spans = Arc::default();
    let (listener, otlp_addr) = wuguan_platform::serving::bind("127.0.0.1:0").await.unwrap();
    let receiver = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Receiver(spans.clone())))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    let (registry_port, dispatch_ports, assessment_port, gateway_port) =
        (free_port(), [free_port(), free_port()], free_port(), free_port());
    let mut hosts = BTreeMap::new();
    hosts.insert("registry:50051".to_owned(), format!("127.0.0.1:{registry_port}"));
    // Compose's DNS spreads calls over both replicas; here they go to the second, which did not
    // load the demo and so asks the registry for what it routes.
    hosts.insert("dispatch:50052".to_owned(), format!("127.0.0.1:{}", dispatch_ports[1]));
    hosts.insert("assessment:50053".to_owned(), format!("127.0.0.1:{assessment_port}"));
    hosts.insert("otel-collector:4317".to_owned(), otlp_addr.to_string());
    let h = Harness { compose, secrets, hosts, dir: dir.path().to_path_buf() };

    // migrate runs to completion first; then each service once the one before is healthy.
    let mut migrate = h.start("migrate", 1, BTreeMap::new());
    let status = tokio::task::block_in_place(|| migrate.child.wait()).unwrap();
    assert!(status.success(), "migrate: {}", std::fs::read_to_string(&migrate.log).unwrap_or_default());
    let mut running = Vec::new();
    for (service, replica, ports) in [
        ("registry", 1, [(50051, registry_port), (9090, free_port())]),
        ("dispatch", 1, [(50052, dispatch_ports[0]), (9090, free_port())]),
        ("dispatch", 2, [(50052, dispatch_ports[1]), (9090, free_port())]),
        ("assessment", 1, [(50053, assessment_port), (9090, free_port())]),
        ("gateway", 1, [(8080, gateway_port), (9090, free_port())]),
    ] {
        let mut p = h.start(service, replica, ports.into_iter().collect());
        h.wait_healthy(&mut p).await;
        running.push(p);
    }

    // A complaint through the gateway, in 安和镇 (whose estates no demo step has routed yet).
    let base = format!("http://127.0.0.1:{gateway_port}");
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "anhe.town_office", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let office = login["access_token"].as_str().unwrap_or_else(|| panic!("login: {login}")).to_owned();
    let estates: Value = http
        .get(format!("{base}/api/v1/towns/anhe/estates"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let estate = estates["items"][0]["id"].as_str().unwrap_or_else(|| panic!("{estates}")).to_owned();
    let submit = |traceparent: Option<&'static str>| {
        let mut req = http.post(format!("{base}/api/v1/complaints")).bearer_auth(&office).json(&json!({
            "town": "anhe", "estate_id": estate, "category": "security", "description": "夜间有陌生人翻越围墙（测试）"
        }));
        if let Some(tp) = traceparent {
            req = req.header("traceparent", tp);
        }
        req.send()
    };
    let resp = submit(None).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    let ticket: Value = resp.json().await.unwrap();
    assert_eq!(ticket["assignment"]["unit_type"], "police", "routed with the registry's facts: {ticket}");
    // A caller's trace context is honoured.
    let outside = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resp = submit(Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);

    // Stop everything as compose would (SIGTERM), which also flushes the last spans.
    for p in running.iter().rev() {
        sigterm(p);
    }
    for p in running.iter_mut().rev() {
        let _ = tokio::task::block_in_place(|| p.child.wait());
    }
    receiver.abort();

    let spans = spans.lock().unwrap().clone();
    let submit_traces: Vec<String> = spans
        .iter()
        .filter(|(service, _, name)| service == "wuguan-gateway" && name == "POST /api/v1/complaints")
        .map(|(_, trace, _)| trace.clone())
        .collect();
    assert_eq!(submit_traces.len(), 2, "two submissions traced by the gateway: {spans:?}");
    let ours = submit_traces.iter().find(|t| *t != outside).unwrap();
    let in_trace =
        |service: &str, name: &str| spans.iter().any(|(s, t, n)| s == service && t == ours && n.contains(name));
    assert!(in_trace("wuguan-dispatch", "DispatchService/SubmitComplaint"), "dispatch in the trace: {spans:?}");
    assert!(in_trace("wuguan-registry", "RegistryService/GetEstateRoutingFacts"), "registry in the trace: {spans:?}");
    assert!(in_trace("wuguan-dispatch", "insert_ticket"), "with the database span: {spans:?}");
    assert!(submit_traces.iter().any(|t| t == outside), "the caller's traceparent is the trace: {spans:?}");
    // The gateway's JSON access log carries the trace id, and no reporter's personal data.
    let gateway_log = std::fs::read_to_string(&running.iter().find(|p| p.name == "gateway-1").unwrap().log).unwrap();
    let line = gateway_log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["span"]["trace_id"] == ours.as_str())
        .unwrap_or_else(|| panic!("a JSON log line with trace id {ours}:\n{gateway_log}"));
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(
        spans.iter().any(|(s, t, _)| s == "wuguan-dispatch" && t == outside),
        "and dispatch continues it: {spans:?}"
    );
}
