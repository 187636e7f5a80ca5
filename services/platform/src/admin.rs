//! A service's admin HTTP port: `/healthz` answers 200 while the service's own gRPC health
//! check says SERVING (so it turns 503 while draining), `/metrics` the Prometheus text.
//! Kept off the gRPC port so scrapers and probes need no gRPC client.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The gateway's admin port: `/metrics` only (its health is the public `/healthz`). Metrics stay
/// off the public listener: they describe the whole deployment's traffic.
pub async fn serve_metrics(
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::metrics::install();
    let app = Router::new().route("/metrics", get(|| async { crate::metrics::render() }));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

pub async fn serve(
    listener: TcpListener,
    grpc_addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::metrics::install();
    // The gRPC port may listen on every interface; ask it over loopback.
    let target = SocketAddr::new(
        if grpc_addr.ip().is_unspecified() { std::net::Ipv4Addr::LOCALHOST.into() } else { grpc_addr.ip() },
        grpc_addr.port(),
    );
    let channel = crate::serving::lazy_channel(&format!("http://{target}"))?;
    let app = Router::new().route("/metrics", get(|| async { crate::metrics::render() })).route(
        "/healthz",
        get(move || {
            let channel = channel.clone();
            async move {
                let mut request = tonic::Request::new(tonic_health::pb::HealthCheckRequest { service: String::new() });
                request.set_timeout(std::time::Duration::from_secs(2));
                match HealthClient::new(channel).check(request).await {
                    Ok(r) if r.get_ref().status == ServingStatus::Serving as i32 => (StatusCode::OK, "serving"),
                    _ => (StatusCode::SERVICE_UNAVAILABLE, "not serving"),
                }
                .into_response()
            }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
