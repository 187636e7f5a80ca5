//! Estates: create (idempotent), update with its change log, lists, CSV import.

use super::*;
use crate::store::EstateStore;

macro_rules! estates_store {
    ($store:ident, $db:ty) => {
        impl EstateStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn create_estate(&self, town: &str, data: &EstateData, ctx: &WriteContext) -> ServiceResult<Estate> {
                let scope = format!("{town}/estate");
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_estate(&id).await?.ok_or_else(|| ServiceError::not_found("estate"));
                }
                let id = new_id();
                let now = now_ms();
                let mut tx = self.pool.begin().await?;
                Self::insert_estate(&mut tx, &id, town, data, now)
                    .await
                    .map_err(|e| unique_violation(e, "name", "an estate with this name"))?;
                Self::record_change(&mut tx, &id, town, &ctx.actor, "create", &crate::validate::diff(None, data), now).await?;
                match Self::remember_key(&mut tx, &scope, ctx, &id).await {
                    Ok(()) => {}
                    // A concurrent retry with the same key won: return its result.
                    Err(e) if is_unique_violation(&e) => {
                        drop(tx);
                        if let Some(first) = self.idempotent_result(&scope, ctx).await? {
                            return self.get_estate(&first).await?.ok_or_else(|| ServiceError::not_found("estate"));
                        }
                        return Err(e.into());
                    }
                    Err(e) => return Err(e.into()),
                }
                tx.commit().await?;
                Ok(Estate { id, town: town.to_owned(), data: data.clone(), version: 1, created_at_ms: now, updated_at_ms: now })
            }

            async fn get_estate(&self, id: &str) -> ServiceResult<Option<Estate>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(ESTATE_COLUMNS).push(" FROM estates WHERE id = ").push_bind(id.to_owned());
                let row: Option<EstateRow> = q.build_query_as().fetch_optional(&self.pool).await?;
                row.map(Estate::try_from).transpose()
            }

            async fn update_estate(
                &self,
                id: &str,
                expected_version: i64,
                data: &EstateData,
                ctx: &WriteContext,
            ) -> ServiceResult<Estate> {
                let current = self.get_estate(id).await?.ok_or_else(|| ServiceError::not_found("estate"))?;
                let changes = crate::validate::diff(Some(&current.data), data);
                if changes.is_empty() {
                    return Ok(current);
                }
                let now = now_ms();
                let mut tx = self.pool.begin().await?;
                let written = Self::write_estate(&mut tx, id, expected_version, data, now)
                    .await
                    .map_err(|e| unique_violation(e, "name", "an estate with this name"))?;
                if !written {
                    return Err(ServiceError::new(
                        wuguan_platform::ErrorCode::Aborted,
                        "the estate was changed by someone else; reload it and try again",
                    ));
                }
                Self::record_change(&mut tx, id, &current.town, &ctx.actor, "update", &changes, now).await?;
                tx.commit().await?;
                Ok(Estate {
                    data: data.clone(),
                    version: expected_version + 1,
                    updated_at_ms: now,
                    ..current
                })
            }

            async fn list_estates(&self, town: &str, f: &EstateFilter, page: &Page) -> ServiceResult<Vec<Estate>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(ESTATE_COLUMNS).push(" FROM estates WHERE town = ").push_bind(town.to_owned());
                if let Some(v) = &f.community_id {
                    q.push(" AND community_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.property_company_id {
                    q.push(" AND property_company_id = ").push_bind(v.clone());
                }
                if let Some(v) = f.management_mode {
                    q.push(" AND management_mode = ").push_bind(v.as_str());
                }
                if let Some(v) = f.is_old_estate {
                    q.push(" AND is_old_estate = ").push_bind(v);
                }
                if let Some(v) = f.target {
                    q.push(" AND target = ").push_bind(v.as_str());
                }
                if let Some(v) = &f.name_contains {
                    // instr/strpos differ between dialects; LIKE with escaped wildcards is common to both.
                    let escaped = v.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                    q.push(" AND name LIKE ").push_bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<EstateRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Estate::try_from).collect()
            }

            async fn all_estates(&self, town: &str) -> ServiceResult<Vec<Estate>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(ESTATE_COLUMNS).push(" FROM estates WHERE town = ").push_bind(town.to_owned()).push(" ORDER BY id");
                let rows: Vec<EstateRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Estate::try_from).collect()
            }

            async fn list_estate_changes(&self, estate_id: &str, page: &Page) -> ServiceResult<Vec<EstateChange>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, estate_id, actor, at_ms, action, changes FROM estate_changes WHERE estate_id = ",
                );
                q.push_bind(estate_id.to_owned());
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<ChangeRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(EstateChange::try_from).collect()
            }

            async fn import_estates(&self, town: &str, rows: &[ImportRow], ctx: &WriteContext) -> ServiceResult<(u32, u32)> {
                let now = now_ms();
                let (mut created, mut updated) = (0u32, 0u32);
                let mut tx = self.pool.begin().await?;
                for row in rows {
                    match &row.existing {
                        None => {
                            let id = new_id();
                            Self::insert_estate(&mut tx, &id, town, &row.data, now)
                                .await
                                .map_err(|e| unique_violation(e, "name", "an estate with this name"))?;
                            let changes = crate::validate::diff(None, &row.data);
                            Self::record_change(&mut tx, &id, town, &ctx.actor, "import", &changes, now).await?;
                            created += 1;
                        }
                        Some(existing) => {
                            let changes = crate::validate::diff(Some(&existing.data), &row.data);
                            if changes.is_empty() {
                                continue;
                            }
                            if !Self::write_estate(&mut tx, &existing.id, existing.version, &row.data, now).await? {
                                return Err(ServiceError::new(
                                    wuguan_platform::ErrorCode::Aborted,
                                    "an estate changed during the import; run it again",
                                ));
                            }
                            Self::record_change(&mut tx, &existing.id, town, &ctx.actor, "import", &changes, now).await?;
                            updated += 1;
                        }
                    }
                }
                tx.commit().await?;
                Ok((created, updated))
            }
            }
        }
    };
}

estates_store!(SqliteStore, sqlx::Sqlite);
estates_store!(PgStore, sqlx::Postgres);
