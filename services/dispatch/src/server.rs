//! Starting dispatch: database and migrations, the registry client, the demo tickets when
//! asked, the supervision sweep, and the gRPC server on an already-bound listener.

use crate::escalation::{self, SweepConfig};
use crate::grpc::{DispatchGrpc, SERVICE_NAMES};
use crate::intake::Dispatcher;
use crate::registry_client::RegistryClient;
use crate::store::{DispatchStore, PgStore, SqliteStore};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::serving::{self, Limits};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct DispatchConfig {
    pub database_url: String,
    /// Migrate on start (the default); false: only check the schema is current.
    pub migrate: bool,
    pub jwt_public_key: PathBuf,
    pub registry_url: String,
    /// Dispatch's own token for the registry (role `county`, from `wuguan token --role county`).
    pub registry_token: String,
    pub load_demo: bool,
    pub pool: PoolConfig,
    pub limits: Limits,
    pub sweep: SweepConfig,
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
    config: DispatchConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let verifier = TokenVerifier::from_file(&config.jwt_public_key)?;
    let db = connect_database(&config.database_url, config.pool, config.migrate).await?;
    let pool_metrics = wuguan_platform::metrics::watch_pool(db.clone(), "dispatch");
    let channel = wuguan_platform::serving::lazy_channel(&config.registry_url)?;
    let registry = Arc::new(RegistryClient::new(channel, config.registry_token.clone()));
    tracing::info!(store = db.kind(), addr = %listener.local_addr()?, "dispatch starting");
    let result = match db {
        Db::Sqlite(pool) => {
            serve(Arc::new(SqliteStore::new(pool)), verifier, registry, &config, listener, shutdown, ready).await
        }
        Db::Postgres(pool) => {
            serve(Arc::new(PgStore::new(pool)), verifier, registry, &config, listener, shutdown, ready).await
        }
    };
    pool_metrics.abort();
    result
}

async fn serve<S: DispatchStore>(
    store: Arc<S>,
    verifier: TokenVerifier,
    registry: Arc<RegistryClient>,
    config: &DispatchConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let dispatcher = Dispatcher::new(store, registry.clone());
    if config.load_demo && crate::demo::load(&dispatcher).await? {
        tracing::info!("demo tickets loaded");
    }
    let sweeper = tokio::spawn(escalation::run(dispatcher.clone(), config.sweep, stop_rx.clone()));
    let revocations =
        tokio::spawn(wuguan_platform::revocation::keep_in_sync(verifier.revocations(), registry, stop_rx.clone()));
    let routes = DispatchGrpc::new(dispatcher, verifier, stop_rx).routes(config.limits.max_message_bytes);
    let _ = ready.send(());
    // Stopping ends the sweep and every watch stream, so the server can drain.
    let shutdown = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let result = serving::serve_grpc(listener, routes, SERVICE_NAMES, config.limits, shutdown).await;
    let _ = sweeper.await;
    let _ = revocations.await;
    result
}
