//! `GET /healthz`: 200 only when every upstream service reports SERVING.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let upstreams = [
        ("registry", state.upstreams.registry.clone()),
        ("dispatch", state.upstreams.dispatch.clone()),
        ("assessment", state.upstreams.assessment.clone()),
    ];
    let mut all_ok = true;
    let mut report = serde_json::Map::new();
    for (name, channel) in upstreams {
        let mut req = tonic::Request::new(HealthCheckRequest { service: String::new() });
        req.set_timeout(std::time::Duration::from_secs(2));
        let status = match HealthClient::new(channel).check(req).await {
            Ok(resp) if resp.get_ref().status == ServingStatus::Serving as i32 => "serving",
            Ok(_) => "not_serving",
            Err(_) => "unreachable",
        };
        all_ok &= status == "serving";
        report.insert(name.to_owned(), json!(status));
    }
    let code = if all_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(json!({ "status": if all_ok { "ok" } else { "degraded" }, "services": report })))
}
