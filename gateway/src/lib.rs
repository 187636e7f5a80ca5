//! wuguan gateway: HTTP/JSON under `/api/v1` in front of the gRPC services. It signs tokens at
//! sign-in and otherwise passes the caller's token on; the services authorise every call.

pub mod console;
pub mod error;
pub mod error_zh;
pub mod extract;
pub mod header_limit;
pub mod openapi;
pub mod printable;
pub mod public_limit;
pub mod revocations;
pub mod routes;
pub mod security_headers;
pub mod ticket_action;
pub mod token_first;
pub mod upstream;
pub mod views;
pub mod vocab;
pub mod written_report;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use wuguan_platform::identity::{TokenSigner, TokenVerifier};

pub use upstream::Upstreams;

/// Largest JSON body accepted.
pub const MAX_JSON_BODY_BYTES: usize = 256 * 1024;
/// Requests the gateway works on at once.
pub const MAX_CONCURRENT_REQUESTS: usize = 1024;
/// Largest CSV import accepted.
pub const MAX_IMPORT_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub registry_url: String,
    pub dispatch_url: String,
    pub assessment_url: String,
    pub jwt_private_key: std::path::PathBuf,
    /// More public keys to trust besides the private key's own: the services' key file, which
    /// during a signing-key rotation holds the previous key too. None: only its own.
    pub jwt_public_key: Option<std::path::PathBuf>,
    pub token_ttl: Duration,
    pub request_timeout: Duration,
    /// Requests needing no sign-in allowed per client address per minute; 0: no limit.
    pub public_requests_per_minute: u32,
    /// The header a reverse proxy puts the client's address in (e.g. `x-forwarded-for`); None:
    /// the connection's peer address.
    pub client_ip_header: Option<String>,
    /// Mark the console's cookies `Secure` (sent over HTTPS only): on whenever the gateway is
    /// reached through HTTPS, as every deployment behind a TLS proxy is.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub upstreams: Upstreams,
    pub signer: TokenSigner,
    pub verifier: TokenVerifier,
    pub token_ttl: Duration,
    pub public_limit: Option<std::sync::Arc<public_limit::PublicLimit>>,
    /// The header a trusted reverse proxy puts the client's address in (see GatewayConfig).
    pub client_ip_header: Option<HeaderName>,
    /// The console's cookies carry `Secure` (see GatewayConfig).
    pub secure_cookies: bool,
    /// A secret of this deployment (derived from the signing key, so every replica has it)
    /// that binds a console session's CSRF token to the session, not to one token of it: a
    /// refreshed cookie leaves the forms already open valid.
    pub session_secret: std::sync::Arc<str>,
}

impl AppState {
    pub fn new(config: &GatewayConfig) -> anyhow::Result<Self> {
        let client_ip_header = match config.client_ip_header.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => Some(
                HeaderName::try_from(h.to_ascii_lowercase())
                    .map_err(|e| anyhow::anyhow!("client IP header {h:?}: {e}"))?,
            ),
            None => None,
        };
        let private_pem = std::fs::read_to_string(&config.jwt_private_key)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", config.jwt_private_key.display()))?;
        let mut public_pem = wuguan_platform::identity::KeyPair::public_pem_of(&private_pem)?;
        if let Some(path) = &config.jwt_public_key {
            let trusted =
                std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
            public_pem = format!("{public_pem}\n{trusted}");
        }
        Ok(Self {
            upstreams: Upstreams::new(
                &config.registry_url,
                &config.dispatch_url,
                &config.assessment_url,
                config.request_timeout,
            )?,
            signer: TokenSigner::from_pem(&private_pem)?,
            verifier: TokenVerifier::from_public_pem(&public_pem)?,
            token_ttl: config.token_ttl,
            public_limit: public_limit::PublicLimit::new(config.public_requests_per_minute, client_ip_header.clone()),
            client_ip_header,
            secure_cookies: config.secure_cookies,
            session_secret: console::session::csrf_for(&format!("session-secret:{private_pem}")).into(),
        })
    }
}

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    // Every API route comes from `openapi`'s registration, which is also the document.
    let (import, _) = openapi::import_routes().split_for_parts();
    let import = import
        .route_layer(axum::middleware::from_fn(token_first::require))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), public_limit::limit_public))
        .route_layer(axum::middleware::from_fn(route_metrics))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BODY_BYTES));
    let (api, _) = openapi::api_routes().split_for_parts();
    let api = api
        // Liveness: the process answers; unlike /healthz it does not depend on the services.
        .route("/livez", get(|| async { "alive" }))
        .route_layer(axum::middleware::from_fn(token_first::require))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), public_limit::limit_public))
        .route_layer(axum::middleware::from_fn(route_metrics))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY_BYTES));

    // Beyond this many requests in flight the gateway refuses at once (503, Retry-After)
    // instead of queueing without bound.
    let shed = tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(|_: tower::BoxError| async {
            error::ApiError::new(wuguan_platform::ErrorCode::ResourceExhausted, "the server is busy; retry shortly")
        }))
        .load_shed()
        .concurrency_limit(MAX_CONCURRENT_REQUESTS);
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(import)
        .merge(api)
        .merge(
            console::router()
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), public_limit::limit_public))
                .route_layer(axum::middleware::from_fn(route_metrics))
                .layer(axum::middleware::from_fn_with_state(state.clone(), console::session::slide_session))
                .layer(DefaultBodyLimit::max(MAX_JSON_BODY_BYTES)),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(wuguan_platform::ErrorCode::InvalidArgument, "method not allowed for this route")
        })
        .with_state(state)
        .layer(axum::middleware::from_fn(security_headers::add))
        .layer(axum::middleware::from_fn(header_limit::bound_headers))
        .layer(shed)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(http::StatusCode::GATEWAY_TIMEOUT, request_timeout))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    let span = tracing::info_span!(
                        "http",
                        otel.name = %format!("{} {}", req.method(), req.uri().path()),
                        http.method = %req.method(),
                        http.path = %req.uri().path(),
                        request_id = %request_id,
                        trace_id = tracing::field::Empty,
                    );
                    wuguan_platform::telemetry::set_parent_from_headers(&span, req.headers());
                    span
                })
                // One access-log line per request (status, latency; with the span's trace id in JSON).
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Counts and times each request by its route template (after routing, so ids in paths do not
/// multiply the series).
async fn route_metrics(
    matched: Option<axum::extract::MatchedPath>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = matched.map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let resp = next.run(req).await;
    wuguan_platform::metrics::record_http(method.as_str(), &route, resp.status().as_u16(), started);
    resp
}

/// Serves the gateway on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    config: GatewayConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    wuguan_platform::metrics::install();
    let state = AppState::new(&config)?;
    tracing::info!(addr = %listener.local_addr()?, "gateway starting");
    let (stop_sync, stopped) = tokio::sync::watch::channel(false);
    let sync = tokio::spawn(wuguan_platform::revocation::keep_in_sync(
        state.verifier.revocations(),
        revocations::GatewayFeed { upstreams: state.upstreams.clone(), signer: state.signer.clone() },
        stopped,
    ));
    // The peer address reaches handlers (the public limit keys on it).
    let app = router(state, config.request_timeout).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    let _ = stop_sync.send(true);
    let _ = sync.await;
    Ok(served?)
}
