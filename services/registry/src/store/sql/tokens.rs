//! What ends tokens before they expire: accounts' token versions, service tokens, and the feed
//! of revocations the services' verifiers read.

use super::*;
use crate::store::TokenStore;
use wuguan_platform::revocation::{FeedCursor, subject_key};

/// The feed key of an account: its username only as a hash.
pub fn account_key(username: &str) -> String {
    format!("a:{}", subject_key(username))
}

/// The feed key of a revoked service token.
pub fn service_token_key(id: &str) -> String {
    format!("t:{id}")
}

/// Raises an account's token version (the first change sets it to 1) and returns it; bound to
/// (`account_key`, now), run inside the transaction of the change that voids the tokens.
pub const RAISE_VERSION: &str = "INSERT INTO token_revocations (key, min_version, changed_at) VALUES ($1, 1, $2) \
     ON CONFLICT (key) DO UPDATE SET min_version = token_revocations.min_version + 1, changed_at = excluded.changed_at \
     RETURNING min_version";

#[derive(FromRow)]
struct ServiceTokenRow {
    id: String,
    name: String,
    role: String,
    town: Option<String>,
    county: String,
    unit_id: Option<String>,
    created_by: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    revoked_by: Option<String>,
}

impl TryFrom<ServiceTokenRow> for ServiceTokenRecord {
    type Error = ServiceError;
    fn try_from(r: ServiceTokenRow) -> ServiceResult<Self> {
        Ok(ServiceTokenRecord {
            role: Role::parse(&r.role).ok_or_else(|| corrupt("service_tokens.role", &r.role))?,
            id: r.id,
            name: r.name,
            town: r.town,
            county: r.county,
            unit_id: r.unit_id,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
        })
    }
}

const SERVICE_TOKEN_COLUMNS: &str =
    "id, name, role, town, county, unit_id, created_by, created_at, expires_at, revoked_at, revoked_by";

macro_rules! tokens_store {
    ($store:ident, $db:ty) => {
        impl TokenStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn token_version(&self, username: &str) -> ServiceResult<u64> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT min_version FROM token_revocations WHERE key = $1")
                    .bind(account_key(username))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(v,)| v.max(0) as u64).unwrap_or(0))
            }

            async fn raise_token_version(&self, username: &str) -> ServiceResult<u64> {
                let (version,): (i64,) = sqlx::query_as(RAISE_VERSION)
                    .bind(account_key(username))
                    .bind(now_ms())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(version.max(0) as u64)
            }

            async fn revocation_feed(&self, cursor: &FeedCursor, limit: usize) -> ServiceResult<Vec<RevocationRow>> {
                let rows: Vec<RevocationRow> = sqlx::query_as(
                    "SELECT key, min_version, changed_at FROM token_revocations \
                     WHERE changed_at > $1 OR (changed_at = $1 AND key > $2) \
                     ORDER BY changed_at, key LIMIT $3",
                )
                .bind(cursor.changed_at_ms)
                .bind(&cursor.key)
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows)
            }

            async fn create_service_token(&self, t: &ServiceTokenRecord) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO service_tokens (id, name, role, town, county, unit_id, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&t.id)
                .bind(&t.name)
                .bind(t.role.as_str())
                .bind(&t.town)
                .bind(&t.county)
                .bind(&t.unit_id)
                .bind(&t.created_by)
                .bind(t.created_at)
                .bind(t.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_service_token(&self, id: &str) -> ServiceResult<Option<ServiceTokenRecord>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(SERVICE_TOKEN_COLUMNS).push(" FROM service_tokens WHERE id = ").push_bind(id.to_owned());
                let row: Option<ServiceTokenRow> = q.build_query_as().fetch_optional(&self.pool).await?;
                row.map(ServiceTokenRecord::try_from).transpose()
            }

            async fn list_service_tokens(
                &self,
                county: &str,
                town: Option<&str>,
                page: &Page,
            ) -> ServiceResult<Vec<ServiceTokenRecord>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(SERVICE_TOKEN_COLUMNS).push(" FROM service_tokens WHERE county = ").push_bind(county.to_owned());
                if let Some(town) = town {
                    q.push(" AND town = ").push_bind(town.to_owned());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id < ").push_bind(after.clone());
                }
                q.push(" ORDER BY id DESC LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<ServiceTokenRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(ServiceTokenRecord::try_from).collect()
            }

            async fn revoke_service_token(&self, id: &str, by: &str) -> ServiceResult<bool> {
                let mut tx = self.pool.begin().await?;
                let now = now_ms();
                let done = sqlx::query(
                    "UPDATE service_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO token_revocations (key, min_version, changed_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET changed_at = excluded.changed_at",
                )
                .bind(service_token_key(id))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            }
        }
    };
}

tokens_store!(SqliteStore, sqlx::Sqlite);
tokens_store!(PgStore, sqlx::Postgres);
