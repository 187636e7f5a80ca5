//! Starting the registry: connect and migrate its database, load the demo data when asked,
//! and serve gRPC on an already-bound listener until shutdown.

use crate::grpc::{RegistryGrpc, SERVICE_NAMES};
use crate::store::{PgStore, RegistryStore, SqliteStore};
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
pub struct RegistryConfig {
    pub database_url: String,
    /// Migrate on start (the default); false: only check the schema is current.
    pub migrate: bool,
    pub jwt_public_key: PathBuf,
    pub load_demo: bool,
    pub pool: PoolConfig,
    pub limits: Limits,
}

/// Connects to the database and brings its schema up to date.
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

/// Serves the registry on `listener` until `shutdown` resolves, then drains; sends on `ready`
/// once migrations and the demo load are done and the server is about to take calls.
pub async fn run(
    config: RegistryConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let verifier = TokenVerifier::from_file(&config.jwt_public_key)?;
    let db = connect_database(&config.database_url, config.pool, config.migrate).await?;
    let pool_metrics = wuguan_platform::metrics::watch_pool(db.clone(), "registry");
    tracing::info!(store = db.kind(), addr = %listener.local_addr()?, "registry starting");
    let result = match db {
        Db::Sqlite(pool) => serve(SqliteStore::new(pool), verifier, &config, listener, shutdown, ready).await,
        Db::Postgres(pool) => serve(PgStore::new(pool), verifier, &config, listener, shutdown, ready).await,
    };
    pool_metrics.abort();
    result
}

async fn serve<S: RegistryStore>(
    store: S,
    verifier: TokenVerifier,
    config: &RegistryConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    if config.load_demo && crate::demo::load(&store).await? {
        tracing::info!("demo data loaded");
    }
    let store = Arc::new(store);
    let (stop_sync, stopped) = tokio::sync::watch::channel(false);
    let sync = tokio::spawn(wuguan_platform::revocation::keep_in_sync(
        verifier.revocations(),
        crate::revocations::StoreFeed(store.clone()),
        stopped,
    ));
    let routes = RegistryGrpc::new(store, verifier).routes(config.limits.max_message_bytes);
    let _ = ready.send(());
    let served = serving::serve_grpc(listener, routes, SERVICE_NAMES, config.limits, shutdown).await;
    let _ = stop_sync.send(true);
    let _ = sync.await;
    served
}
