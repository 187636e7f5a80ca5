//! Serving gRPC the same way in every service: bind first (port 0 allowed), then serve the bound
//! listener with health and reflection, limits (timeout → load-shed → concurrency), a span per
//! call continuing the caller's trace, and a graceful drain that flips health to NOT_SERVING.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub request_timeout: Duration,
    pub max_concurrent_requests: usize,
    /// Largest request message a service accepts.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            max_message_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Binds `addr` (e.g. `127.0.0.1:0`) and returns the listener and the real address.
pub async fn bind(addr: &str) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Serves `routes` on `listener` until `shutdown` resolves. `service_names` are the fully
/// qualified gRPC service names reported by health checking.
pub async fn serve_grpc(
    listener: TcpListener,
    routes: Routes,
    service_names: &[&str],
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    for name in service_names {
        reporter.set_service_status(*name, ServingStatus::Serving).await;
    }
    reporter.set_service_status("", ServingStatus::Serving).await;

    // Both reflection versions: grpcurl and Python's grpcio-reflection still speak v1alpha.
    let reflection_v1 = reflection_for(service_names, "grpc.reflection.v1.ServerReflection").build_v1()?;
    let reflection_v1alpha =
        reflection_for(service_names, "grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?;

    let routes = routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);
    let names: Vec<String> = service_names.iter().map(|s| s.to_string()).collect();
    let drain = async move {
        shutdown.await;
        // Tell load balancers first, then stop taking calls.
        for name in &names {
            reporter.set_service_status(name, ServingStatus::NotServing).await;
        }
        reporter.set_service_status("", ServingStatus::NotServing).await;
        tracing::info!("draining gRPC server");
    };

    let limits_layer = tower::ServiceBuilder::new()
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limits.max_concurrent_requests))
        .into_inner();

    tonic::transport::Server::builder()
        .timeout(limits.request_timeout)
        .trace_fn(|req: &http::Request<()>| {
            let span = tracing::info_span!(
                "grpc",
                otel.name = %req.uri().path(),
                rpc.system = "grpc",
                rpc.method = %req.uri().path(),
                trace_id = tracing::field::Empty,
            );
            crate::telemetry::set_parent_from_headers(&span, req.headers());
            span
        })
        .layer(RpcMetricsLayer)
        .layer(limits_layer)
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), drain)
        .await?;
    Ok(())
}

/// Reflection that advertises what this port serves — its own services, health and reflection
/// itself — not every service the shared descriptor set happens to describe.
fn reflection_for(service_names: &[&str], reflection_name: &str) -> tonic_reflection::server::Builder<'static> {
    let builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(wuguan_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name(reflection_name);
    service_names.iter().fold(builder, |builder, name| builder.with_service_name(*name))
}

/// A gRPC channel that connects on first use, so a service can start before its upstreams.
pub fn lazy_channel(url: &str) -> anyhow::Result<tonic::transport::Channel> {
    Ok(tonic::transport::Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .connect_lazy())
}

/// Counts and times every RPC (outermost, so refusals under load are counted too).
#[derive(Clone, Copy)]
struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> RpcMetrics<S> {
        RpcMetrics { inner }
    }
}

#[derive(Clone)]
struct RpcMetrics<S> {
    inner: S,
}

impl<S, B, RB> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = req.uri().path().to_owned();
        let started = std::time::Instant::now();
        let call = self.inner.call(req);
        Box::pin(async move {
            let result = call.await;
            // Errors are in the headers (trailers-only responses); a success sends its status
            // in the trailers, after this point.
            let code = match &result {
                Ok(resp) => resp
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map(|c| format!("{:?}", tonic::Code::from(c)))
                    .unwrap_or_else(|| "Ok".to_owned()),
                Err(_) => "Refused".to_owned(),
            };
            crate::metrics::record_rpc(&method, &code, started);
            result
        })
    }
}
