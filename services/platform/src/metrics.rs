//! Metrics: one Prometheus recorder per process (the `metrics` facade), rendered by the
//! gateway's `/metrics` and each service's admin port. The OpenTelemetry collector scrapes these
//! endpoints and forwards the series over OTLP (see `deploy/otel-collector.yaml`).
//!
//! Series (all prefixed `wuguan_`): `grpc_requests_total` / `grpc_request_duration_seconds`
//! (per RPC and status), `http_requests_total` / `http_request_duration_seconds` (per gateway
//! route), `tickets_open` (by status and level), `tickets_overdue`, `escalations_total`,
//! `complaints_submitted_total`, `outbox_pending`, `db_pool_connections` (in use, idle, max).

use crate::db::Db;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds, from a cached read to a county-wide annual assessment.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process's recorder (once; later calls reuse it) and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .expect("latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be set (tests embedding the library): keep rendering ours.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The Prometheus text exposition of every series recorded so far.
pub fn render() -> String {
    let handle = install();
    handle.run_upkeep();
    handle.render()
}

/// Records one finished gRPC call.
pub fn record_rpc(method: &str, code: &str, started: Instant) {
    let labels = [("method", method.to_owned()), ("code", code.to_owned())];
    metrics::counter!("wuguan_grpc_requests_total", &labels).increment(1);
    metrics::histogram!("wuguan_grpc_request_duration_seconds", "method" => method.to_owned())
        .record(started.elapsed().as_secs_f64());
}

/// Records one finished HTTP request on a gateway route (the route template, not the path, so
/// ids do not multiply the series).
pub fn record_http(method: &str, route: &str, status: u16, started: Instant) {
    let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
    metrics::counter!("wuguan_http_requests_total", &labels).increment(1);
    metrics::histogram!("wuguan_http_request_duration_seconds", "route" => route.to_owned())
        .record(started.elapsed().as_secs_f64());
}

/// Samples the connection pool every few seconds until the returned task is aborted.
pub fn watch_pool(db: Db, service: &'static str) -> tokio::task::JoinHandle<()> {
    install();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let (size, idle, max) = match &db {
                Db::Sqlite(p) => (p.size(), p.num_idle() as u32, p.options().get_max_connections()),
                Db::Postgres(p) => (p.size(), p.num_idle() as u32, p.options().get_max_connections()),
            };
            let gauge = |state: &'static str, v: u32| {
                metrics::gauge!("wuguan_db_pool_connections", "service" => service, "state" => state).set(f64::from(v));
            };
            gauge("in_use", size.saturating_sub(idle));
            gauge("idle", idle);
            gauge("max", max);
        }
    })
}
