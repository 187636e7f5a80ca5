//! `GET /healthz`: 200 only when every upstream service reports SERVING.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// What `/healthz` answers, 200 or 503 alike.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthView {
    /// `ok` when every service is serving, `degraded` otherwise.
    pub status: &'static str,
    /// Each service's state: `serving`, `not_serving` or `unreachable`.
    pub services: BTreeMap<&'static str, &'static str>,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "ops",
    summary = "200 when every upstream service is serving; 503 with the same body otherwise",
    responses((status = 200, description = "every service serving", body = crate::routes::health::HealthView), (status = 503, description = "some service is not serving", body = crate::routes::health::HealthView)),
    security(),
)]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<HealthView>) {
    let upstreams = [
        ("registry", state.upstreams.registry.clone()),
        ("dispatch", state.upstreams.dispatch.clone()),
        ("assessment", state.upstreams.assessment.clone()),
    ];
    let mut all_ok = true;
    let mut services = BTreeMap::new();
    for (name, channel) in upstreams {
        let mut req = tonic::Request::new(HealthCheckRequest { service: String::new() });
        req.set_timeout(std::time::Duration::from_secs(2));
        let status = match HealthClient::new(channel).check(req).await {
            Ok(resp) if resp.get_ref().status == ServingStatus::Serving as i32 => "serving",
            Ok(_) => "not_serving",
            Err(_) => "unreachable",
        };
        all_ok &= status == "serving";
        services.insert(name, status);
    }
    let code = if all_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(HealthView { status: if all_ok { "ok" } else { "degraded" }, services }))
}
