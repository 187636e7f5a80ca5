//! Accounts: creation, look-up, passwords, the sign-in lockout, disabling.

use super::tokens::{RAISE_VERSION, account_key};
use super::*;
use crate::store::AccountStore;

macro_rules! accounts_store {
    ($store:ident, $db:ty) => {
        impl AccountStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn create_account(&self, a: &Account, password_hash: &str) -> ServiceResult<Account> {
                sqlx::query(
                    "INSERT INTO accounts (username, password_hash, role, town, county, unit_id, display_name, created_at, estate_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&a.username)
                .bind(password_hash)
                .bind(a.role.as_str())
                .bind(&a.town)
                .bind(&a.county)
                .bind(&a.unit_id)
                .bind(&a.display_name)
                .bind(now_ms())
                .bind(&a.estate_id)
                .execute(&self.pool)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        ServiceError::already_exists("username", "this username is taken")
                    } else {
                        e.into()
                    }
                })?;
                Ok(a.clone())
            }

            async fn find_account(&self, username: &str) -> ServiceResult<Option<(Account, String)>> {
                let row: Option<AccountRow> = sqlx::query_as(
                    "SELECT username, password_hash, role, town, county, unit_id, estate_id, display_name, disabled FROM accounts WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
                row.map(<(Account, String)>::try_from).transpose()
            }

            async fn list_accounts(&self, town: &str, page: &Page) -> ServiceResult<Vec<Account>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT username, password_hash, role, town, county, unit_id, estate_id, display_name, disabled FROM accounts WHERE town = ",
                );
                q.push_bind(town.to_owned());
                if let Some(after) = &page.after {
                    q.push(" AND username > ").push_bind(after.clone());
                }
                q.push(" ORDER BY username LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<AccountRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| <(Account, String)>::try_from(r).map(|(a, _)| a)).collect()
            }

            async fn set_password_hash(&self, username: &str, password_hash: &str) -> ServiceResult<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE accounts SET password_hash = $1, failed_sign_ins = 0, locked_until = 0 WHERE username = $2",
                )
                .bind(password_hash)
                .bind(username)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(RAISE_VERSION).bind(account_key(username)).bind(now_ms()).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sign_in_failures WHERE key LIKE $1")
                    .bind(format!("{}|%", wuguan_platform::revocation::subject_key(username)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn sign_in_locked_until(&self, key: &str) -> ServiceResult<i64> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT locked_until FROM sign_in_failures WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(until,)| until).unwrap_or(0))
            }

            async fn record_failed_sign_in(&self, key: &str, limit: u32, lock_until: i64) -> ServiceResult<i64> {
                // One statement, so concurrent failures on several replicas all count. SET
                // expressions read the row as it was.
                let (until,): (i64,) = sqlx::query_as(
                    "INSERT INTO sign_in_failures (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $4) \
                     ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN sign_in_failures.failures + 1 >= $2 THEN 0 ELSE sign_in_failures.failures + 1 END, \
                       locked_until = CASE WHEN sign_in_failures.failures + 1 >= $2 THEN $3 ELSE sign_in_failures.locked_until END, \
                       updated_at = $4 \
                     RETURNING locked_until",
                )
                .bind(key)
                .bind(i64::from(limit))
                .bind(lock_until)
                .bind(now_ms())
                .fetch_one(&self.pool)
                .await?;
                Ok(until)
            }

            async fn set_account_disabled(&self, username: &str, disabled: bool) -> ServiceResult<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE accounts SET disabled = $1 WHERE username = $2")
                    .bind(disabled)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if disabled {
                    sqlx::query(RAISE_VERSION).bind(account_key(username)).bind(now_ms()).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn clear_failed_sign_ins(&self, key: &str) -> ServiceResult<()> {
                let forgotten = now_ms() - 24 * 3600 * 1000;
                sqlx::query("DELETE FROM sign_in_failures WHERE key = $1 OR (updated_at < $2 AND locked_until < $2)")
                    .bind(key)
                    .bind(forgotten)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
            }
        }
    };
}

accounts_store!(SqliteStore, sqlx::Sqlite);
accounts_store!(PgStore, sqlx::Postgres);
