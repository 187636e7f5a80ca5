//! Database connection: SQLite (the embedded default) or Postgres, chosen by the URL.
//! Each service owns its own database and passes its two migration sets.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user@host/db`.
    pub async fn connect(url: &str, pool: PoolConfig) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // WAL with FULL sync: an acknowledged write survives a crash or power loss.
            let options = if in_memory {
                options
            } else {
                options.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Full)
            };
            // An in-memory database exists once per connection: keep exactly one.
            let max = if in_memory { 1 } else { pool.max_connections };
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(pool.acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(pool.max_connections)
                .acquire_timeout(pool.acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!("database URL must start with sqlite: or postgres:, got {url:?}")
        }
    }

    /// Applies this release's migrations. Migrations a newer release already applied are
    /// tolerated, so the previous release keeps starting during a rolling upgrade (migrations
    /// only add: tables, nullable columns, indexes).
    pub async fn migrate(&self, sqlite: &Migrator, postgres: &Migrator) -> anyhow::Result<()> {
        let tolerant = |m: &Migrator| {
            let mut t = Migrator::with_migrations(m.iter().cloned().collect());
            t.set_ignore_missing(true);
            t
        };
        match self {
            Db::Sqlite(pool) => tolerant(sqlite).run(pool).await?,
            Db::Postgres(pool) => tolerant(postgres).run(pool).await?,
        }
        Ok(())
    }

    /// Checks, changing nothing, that every migration of this release has been applied (by
    /// `wuguan migrate`); a service started with migrations turned off refuses an older schema.
    pub async fn check_migrated(&self, sqlite: &Migrator, postgres: &Migrator) -> anyhow::Result<()> {
        const APPLIED: &str = "SELECT version FROM _sqlx_migrations WHERE success";
        // A database never migrated has no table: nothing is applied.
        let (wanted, applied): (&Migrator, Vec<i64>) = match self {
            Db::Sqlite(pool) => (sqlite, sqlx::query_scalar(APPLIED).fetch_all(pool).await.unwrap_or_default()),
            Db::Postgres(pool) => (postgres, sqlx::query_scalar(APPLIED).fetch_all(pool).await.unwrap_or_default()),
        };
        let missing: Vec<i64> = wanted
            .iter()
            .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
            .map(|m| m.version)
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "the database lacks this release's migrations {missing:?}: run `wuguan migrate` first \
                 (or let the service migrate with WUGUAN_MIGRATE=true)"
            );
        }
        Ok(())
    }

    /// Migrates, or (when `migrate` is false) checks that the schema is current.
    pub async fn prepare(&self, migrate: bool, sqlite: &Migrator, postgres: &Migrator) -> anyhow::Result<()> {
        if migrate { self.migrate(sqlite, postgres).await } else { self.check_migrated(sqlite, postgres).await }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch: how every table stores instants, identically on both stores.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Gives every `async fn` of a store's impl block the same client span (`level = info`,
/// `otel.kind = client`, `db.system` of the driver), defined once here instead of as an
/// attribute on each method:
///
/// ```ignore
/// impl DispatchStore for $store {
///     wuguan_platform::db_spans! { $db;
///         async fn get_ticket(&self, id: &str) -> ServiceResult<Option<Ticket>> { … }
///     }
/// }
/// ```
#[macro_export]
macro_rules! db_spans {
    ($db:ty; $( $(#[$attr:meta])* $vis:vis async fn $name:ident $args:tt -> $ret:ty $body:block )* ) => {
        $(
            #[::tracing::instrument(
                level = "info",
                skip_all,
                fields(otel.kind = "client", db.system = <$db as $crate::db::DbSystem>::NAME)
            )]
            $(#[$attr])*
            $vis async fn $name $args -> $ret $body
        )*
    };
}

/// Appends `, column = <placeholder>` for each pair to an UPDATE being built with
/// `sqlx::QueryBuilder`, binding the value with it — each column written beside its value, so
/// none can be bound to another column's position. The caller starts the SET list:
///
/// ```ignore
/// let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE tickets SET version = version + 1");
/// wuguan_platform::set_columns!(q, "status" => t.status.as_str(), "level" => i64::from(t.level));
/// q.push(" WHERE id = ").push_bind(&t.id);
/// ```
#[macro_export]
macro_rules! set_columns {
    ($q:ident, $($column:literal => $value:expr),+ $(,)?) => {
        $( $q.push(concat!(", ", $column, " = ")).push_bind($value); )+
    };
}

/// The `db.system` name of a sqlx backend, for database spans.
pub trait DbSystem {
    const NAME: &'static str;
}

impl DbSystem for sqlx::Sqlite {
    const NAME: &'static str = "sqlite";
}

impl DbSystem for sqlx::Postgres {
    const NAME: &'static str = "postgresql";
}

#[cfg(test)]
mod span_tests {
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// Records every new span as "name field=value;…".
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
        fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, _: &tracing::span::Id, _: Context<'_, S>) {
            let mut line = format!("{} ", attrs.metadata().name());
            attrs.record(&mut |f: &tracing::field::Field, v: &dyn std::fmt::Debug| {
                line.push_str(&format!("{}={v:?};", f.name()))
            });
            self.0.lock().unwrap().push(line);
        }
    }

    struct Probe;

    impl Probe {
        crate::db_spans! { sqlx::Sqlite;
            /// Doc comments pass through.
            async fn count_rows(&self, table: &str) -> usize {
                table.len()
            }
        }
    }

    #[test]
    fn every_store_method_gets_a_client_span_naming_its_database() {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Recorder(spans.clone()));
        let n = tracing::subscriber::with_default(subscriber, || {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(Probe.count_rows("tickets"))
        });
        assert_eq!(n, 7);
        let spans = spans.lock().unwrap();
        assert_eq!(spans.as_slice(), ["count_rows otel.kind=\"client\";db.system=\"sqlite\";"], "{spans:?}");
    }
}
