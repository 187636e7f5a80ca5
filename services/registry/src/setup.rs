//! A real county's first step, before anyone can sign in: the county and its first
//! administrator (a county account). From there the administrator adds the towns
//! (`CreateTown`), their units, persons and town-office accounts over the API. Run by the
//! operator against the registry's database (`wuguan init-county`).

use crate::model::Account;
use crate::store::{PgStore, RegistryStore, SqliteStore};
use wuguan_platform::Role;
use wuguan_platform::db::{Db, PoolConfig};

/// A county or town code: 2 to 32 lower-case letters, digits, '-' or '_' (it appears in URLs).
pub fn valid_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Creates (or renames) the county and creates its administrator account. Refuses a username
/// already taken, so running it again cannot take over an account.
pub async fn init_county<S: RegistryStore>(
    store: &S,
    code: &str,
    name: &str,
    admin_username: &str,
    admin_password: &str,
) -> anyhow::Result<Account> {
    anyhow::ensure!(valid_code(code), "county code must be 2–32 lower-case letters, digits, '-' or '_'");
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 100,
        "county name is required (at most 100 characters)"
    );
    let username = admin_username.trim();
    anyhow::ensure!(
        (3..=64).contains(&username.len())
            && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
        "username must be 3–64 characters of letters, digits, '.', '_' or '-'"
    );
    anyhow::ensure!(admin_password.chars().count() >= 8, "the password must be at least 8 characters");
    anyhow::ensure!(store.find_account(username).await?.is_none(), "the username {username} is taken");
    store.upsert_county(code, name).await?;
    let password = admin_password.to_owned();
    let hash = tokio::task::spawn_blocking(move || crate::password::hash(&password)).await??;
    let account = Account {
        username: username.to_owned(),
        role: Role::County,
        town: None,
        county: code.to_owned(),
        unit_id: None,
        estate_id: None,
        display_name: format!("{name}管理员"),
        disabled: false,
    };
    Ok(store.create_account(&account, &hash).await?)
}

/// [`init_county`] on the database at `url` (migrated first).
pub async fn init_county_at(
    url: &str,
    code: &str,
    name: &str,
    admin_username: &str,
    admin_password: &str,
) -> anyhow::Result<Account> {
    let db = crate::server::open_database(url, PoolConfig { max_connections: 2, ..PoolConfig::default() }).await?;
    let result = match &db {
        Db::Sqlite(pool) => {
            init_county(&SqliteStore::new(pool.clone()), code, name, admin_username, admin_password).await
        }
        Db::Postgres(pool) => {
            init_county(&PgStore::new(pool.clone()), code, name, admin_username, admin_password).await
        }
    };
    db.close().await;
    result
}

/// Records a service token minted offline (`wuguan token --registry-database-url …`) so that the
/// county sees it in its list and can revoke it; returns its id, the token's `jti`.
pub async fn record_service_token_at(url: &str, token: &crate::model::ServiceTokenRecord) -> anyhow::Result<()> {
    use crate::store::TokenStore;
    let db = crate::server::open_database(url, PoolConfig { max_connections: 2, ..PoolConfig::default() }).await?;
    let result = match &db {
        Db::Sqlite(pool) => SqliteStore::new(pool.clone()).create_service_token(token).await,
        Db::Postgres(pool) => PgStore::new(pool.clone()).create_service_token(token).await,
    };
    db.close().await;
    Ok(result?)
}
