//! Starting assessment: database and migrations, registry and dispatch clients, the outbox loop
//! that hands findings to dispatch, and the gRPC server.

use crate::grpc::{AssessmentGrpc, SERVICE_NAMES};
use crate::outbox::Outbox;
use crate::store::{AssessmentStore, PgStore, SqliteStore};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::serving::{self, Limits, lazy_channel};
use wuguan_registry_client::RegistryClient;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct AssessmentConfig {
    pub database_url: String,
    /// Migrate on start (the default); false: only check the schema is current.
    pub migrate: bool,
    pub jwt_public_key: PathBuf,
    pub registry_url: String,
    pub dispatch_url: String,
    /// Assessment's own county-wide token, for the registry and for handing findings to dispatch.
    pub service_token: String,
    /// Load the demo inspections on first start (needs the registry's demo data).
    pub load_demo: bool,
    pub pool: PoolConfig,
    pub limits: Limits,
    pub outbox_interval: Duration,
}

pub async fn open_database(url: &str, pool: PoolConfig) -> anyhow::Result<Db> {
    connect_database(url, pool, true).await
}

/// Connects and migrates, or with `migrate` false only checks the schema is this release's
/// (deployments where `wuguan migrate` runs once per upgrade).
pub async fn connect_database(url: &str, pool: PoolConfig, migrate: bool) -> anyhow::Result<Db> {
    let db = Db::connect(url, pool).await?;
    db.prepare(migrate, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(db)
}

pub async fn run(
    config: AssessmentConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let verifier = TokenVerifier::from_file(&config.jwt_public_key)?;
    let db = connect_database(&config.database_url, config.pool, config.migrate).await?;
    let pool_metrics = wuguan_platform::metrics::watch_pool(db.clone(), "assessment");
    tracing::info!(store = db.kind(), addr = %listener.local_addr()?, "assessment starting");
    let result = match db {
        Db::Sqlite(pool) => serve(Arc::new(SqliteStore::new(pool)), verifier, &config, listener, shutdown, ready).await,
        Db::Postgres(pool) => serve(Arc::new(PgStore::new(pool)), verifier, &config, listener, shutdown, ready).await,
    };
    pool_metrics.abort();
    result
}

async fn serve<S: AssessmentStore>(
    store: Arc<S>,
    verifier: TokenVerifier,
    config: &AssessmentConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let registry = Arc::new(RegistryClient::new(lazy_channel(&config.registry_url)?, config.service_token.clone()));
    let outbox: Outbox<S> = Outbox {
        store: store.clone(),
        dispatch: lazy_channel(&config.dispatch_url)?,
        token: config.service_token.clone(),
        wake: Arc::new(tokio::sync::Notify::new()),
    };
    if config.load_demo && crate::demo::load(store.as_ref(), &registry).await? {
        // Hand the demo findings to dispatch before reporting ready, so the demo is complete
        // (and settled) when `up` says it is running.
        match tokio::time::timeout(Duration::from_secs(10), outbox.deliver_pending()).await {
            Ok(Ok(n)) => tracing::info!(tickets = n, "demo inspections loaded"),
            _ => tracing::warn!("demo inspections loaded; their tickets will follow"),
        }
        let sources = crate::scoring::Sources {
            store: store.as_ref(),
            registry: &registry,
            dispatch: &outbox.dispatch,
            token: &outbox.token,
        };
        if let Err(e) = crate::demo::publish_last_month(&sources).await {
            tracing::warn!(error = %e, "the demo bulletin for last month was not published");
        }
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let revocations = tokio::spawn(wuguan_platform::revocation::keep_in_sync(
        verifier.revocations(),
        registry.clone(),
        stop_rx.clone(),
    ));
    let grpc = AssessmentGrpc::new(store, verifier, registry, outbox.clone());
    let outbox_task = tokio::spawn(outbox.run(config.outbox_interval, stop_rx));
    let _ = ready.send(());
    let shutdown = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let result = serving::serve_grpc(
        listener,
        grpc.routes(config.limits.max_message_bytes),
        SERVICE_NAMES,
        config.limits,
        shutdown,
    )
    .await;
    let _ = outbox_task.await;
    let _ = revocations.await;
    result
}
