//! SQL implementation of the registry's stores, instantiated for SQLite and for Postgres by
//! macros: this file holds the pools, the row types and the helpers every aggregate shares
//! (`sql_store!`); `ledger.rs`, `estates.rs` and `accounts.rs` implement one store trait each. The statements are identical on both: `$n` placeholders, TEXT/BIGINT/
//! BOOLEAN columns; a macro instead of generics over `sqlx::Database` keeps the code readable
//! while the compiler still checks each instantiation against its own driver.

mod accounts;
mod estates;
mod ledger;
mod tokens;

use super::{ImportRow, WriteContext};
use crate::model::*;
use sqlx::{FromRow, PgPool, SqlitePool};
use wuguan_platform::Role;
use wuguan_platform::db::now_ms;
use wuguan_platform::error::{ServiceError, ServiceResult};
use wuguan_platform::paging::Page;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(FromRow)]
struct TownRow {
    code: String,
    name: String,
    county: String,
    county_name: String,
    time_zone: String,
}

impl From<TownRow> for Town {
    fn from(r: TownRow) -> Self {
        Town { code: r.code, name: r.name, county: r.county, county_name: r.county_name, time_zone: r.time_zone }
    }
}

#[derive(FromRow)]
struct UnitRow {
    id: String,
    town: String,
    unit_type: String,
    name: String,
    ref_id: Option<String>,
}

impl TryFrom<UnitRow> for Unit {
    type Error = ServiceError;
    fn try_from(r: UnitRow) -> ServiceResult<Unit> {
        Ok(Unit {
            unit_type: UnitType::parse(&r.unit_type).ok_or_else(|| corrupt("units.unit_type", &r.unit_type))?,
            id: r.id,
            town: r.town,
            name: r.name,
            ref_id: r.ref_id,
        })
    }
}

#[derive(FromRow)]
struct PersonRow {
    id: String,
    town: String,
    unit_id: String,
    name: String,
    title: String,
    phone: String,
    designated: bool,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            id: r.id,
            town: r.town,
            unit_id: r.unit_id,
            name: r.name,
            title: r.title,
            phone: r.phone,
            designated: r.designated,
        }
    }
}

#[derive(FromRow)]
struct CommunityRow {
    id: String,
    town: String,
    name: String,
    party_secretary: String,
    unit_id: String,
    version: i64,
}

impl From<CommunityRow> for Community {
    fn from(r: CommunityRow) -> Self {
        Community {
            id: r.id,
            town: r.town,
            name: r.name,
            party_secretary: r.party_secretary,
            unit_id: r.unit_id,
            version: r.version,
        }
    }
}

#[derive(FromRow)]
struct CompanyRow {
    id: String,
    town: String,
    name: String,
    contact_person: String,
    contact_phone: String,
    unit_id: String,
    version: i64,
}

impl From<CompanyRow> for PropertyCompany {
    fn from(r: CompanyRow) -> Self {
        PropertyCompany {
            id: r.id,
            town: r.town,
            name: r.name,
            contact_person: r.contact_person,
            contact_phone: r.contact_phone,
            unit_id: r.unit_id,
            version: r.version,
        }
    }
}

#[derive(FromRow)]
struct EstateRow {
    id: String,
    town: String,
    community_id: String,
    name: String,
    address: String,
    planned_floor_area_m2: i64,
    built_floor_area_m2: i64,
    designed_households: i64,
    occupied_households: i64,
    residents: i64,
    is_old_estate: bool,
    management_mode: String,
    property_company_id: Option<String>,
    owners_committee: String,
    target: String,
    guards: i64,
    cameras: i64,
    access_control: bool,
    fences_and_gates: bool,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<EstateRow> for Estate {
    type Error = ServiceError;
    fn try_from(r: EstateRow) -> ServiceResult<Estate> {
        Ok(Estate {
            data: EstateData {
                community_id: r.community_id,
                name: r.name,
                address: r.address,
                planned_floor_area_m2: r.planned_floor_area_m2,
                built_floor_area_m2: r.built_floor_area_m2,
                designed_households: r.designed_households,
                occupied_households: r.occupied_households,
                residents: r.residents,
                is_old_estate: r.is_old_estate,
                management_mode: ManagementMode::parse(&r.management_mode)
                    .ok_or_else(|| corrupt("estates.management_mode", &r.management_mode))?,
                property_company_id: r.property_company_id,
                owners_committee: OwnersCommittee::parse(&r.owners_committee)
                    .ok_or_else(|| corrupt("estates.owners_committee", &r.owners_committee))?,
                target: EstateTarget::parse(&r.target).ok_or_else(|| corrupt("estates.target", &r.target))?,
                security: SecurityProvision {
                    guards: u32::try_from(r.guards).unwrap_or(0),
                    cameras: u32::try_from(r.cameras).unwrap_or(0),
                    access_control: r.access_control,
                    fences_and_gates: r.fences_and_gates,
                },
            },
            id: r.id,
            town: r.town,
            version: r.version,
            created_at_ms: r.created_at,
            updated_at_ms: r.updated_at,
        })
    }
}

#[derive(FromRow)]
struct ChangeRow {
    id: String,
    estate_id: String,
    actor: String,
    at_ms: i64,
    action: String,
    changes: String,
}

impl TryFrom<ChangeRow> for EstateChange {
    type Error = ServiceError;
    fn try_from(r: ChangeRow) -> ServiceResult<EstateChange> {
        Ok(EstateChange {
            changes: serde_json::from_str(&r.changes).map_err(ServiceError::internal)?,
            id: r.id,
            estate_id: r.estate_id,
            actor: r.actor,
            at_ms: r.at_ms,
            action: r.action,
        })
    }
}

#[derive(FromRow)]
struct AccountRow {
    username: String,
    password_hash: String,
    role: String,
    town: Option<String>,
    county: String,
    unit_id: Option<String>,
    estate_id: Option<String>,
    display_name: String,
    disabled: bool,
}

impl TryFrom<AccountRow> for (Account, String) {
    type Error = ServiceError;
    fn try_from(r: AccountRow) -> ServiceResult<(Account, String)> {
        Ok((
            Account {
                role: Role::parse(&r.role).ok_or_else(|| corrupt("accounts.role", &r.role))?,
                username: r.username,
                town: r.town,
                county: r.county,
                unit_id: r.unit_id,
                estate_id: r.estate_id,
                display_name: r.display_name,
                disabled: r.disabled,
            },
            r.password_hash,
        ))
    }
}

fn corrupt(column: &str, value: &str) -> ServiceError {
    ServiceError::internal(format!("unexpected value {value:?} in {column}"))
}

/// Maps a unique-constraint violation to ALREADY_EXISTS on `field`.
fn unique_violation(err: sqlx::Error, field: &str, what: &str) -> ServiceError {
    if err.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        ServiceError::already_exists(field, format!("{what} already exists in this town"))
    } else {
        ServiceError::from(err)
    }
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}

const ESTATE_COLUMNS: &str = "id, town, community_id, name, address, planned_floor_area_m2, built_floor_area_m2, \
     designed_households, occupied_households, residents, is_old_estate, management_mode, property_company_id, \
     owners_committee, target, guards, cameras, access_control, fences_and_gates, version, created_at, updated_at";

macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        impl $store {
            wuguan_platform::db_spans! { $db;
            /// The id a previous write with this key produced, if any.
            async fn idempotent_result(&self, scope: &str, ctx: &WriteContext) -> ServiceResult<Option<String>> {
                let Some(key) = &ctx.idempotency_key else { return Ok(None) };
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT resource_id FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2",
                )
                .bind(scope)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(id)
            }

            async fn remember_key(
                tx: &mut sqlx::Transaction<'_, $db>,
                scope: &str,
                ctx: &WriteContext,
                resource_id: &str,
            ) -> Result<(), sqlx::Error> {
                if let Some(key) = &ctx.idempotency_key {
                    sqlx::query(
                        "INSERT INTO idempotency_keys (scope, idempotency_key, resource_id, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(scope)
                    .bind(key)
                    .bind(resource_id)
                    .bind(now_ms())
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// The first half of creating a record that is also a responsible unit (a neighbourhood
            /// committee, a property company): a transaction with its unit row written. The caller
            /// writes its own row in it and ends with [`Self::commit_create`].
            async fn begin_with_unit(
                &self,
                town: &str,
                unit_type: UnitType,
                unit_id: &str,
                name: &str,
                ref_id: &str,
            ) -> ServiceResult<sqlx::Transaction<'static, $db>> {
                let unit = Unit {
                    id: unit_id.to_owned(),
                    town: town.to_owned(),
                    unit_type,
                    name: name.to_owned(),
                    ref_id: Some(ref_id.to_owned()),
                };
                let mut tx = self.pool.begin().await?;
                Self::insert_unit(&mut tx, &unit).await.map_err(|e| unique_violation(e, "name", "a unit with this name"))?;
                Ok(tx)
            }

            /// Records the idempotency key of a create (so a retry returns `id`) and commits it.
            async fn commit_create(
                mut tx: sqlx::Transaction<'static, $db>,
                scope: &str,
                ctx: &WriteContext,
                id: &str,
            ) -> ServiceResult<()> {
                Self::remember_key(&mut tx, scope, ctx, id).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_unit(tx: &mut sqlx::Transaction<'_, $db>, unit: &Unit) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO units (id, town, unit_type, name, ref_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&unit.id)
                .bind(&unit.town)
                .bind(unit.unit_type.as_str())
                .bind(&unit.name)
                .bind(&unit.ref_id)
                .bind(now_ms())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_estate(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                town: &str,
                d: &EstateData,
                now: i64,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO estates (id, town, community_id, name, address, planned_floor_area_m2, \
                     built_floor_area_m2, designed_households, occupied_households, residents, is_old_estate, \
                     management_mode, property_company_id, owners_committee, target, guards, cameras, \
                     access_control, fences_and_gates, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $20)",
                )
                .bind(id)
                .bind(town)
                .bind(&d.community_id)
                .bind(&d.name)
                .bind(&d.address)
                .bind(d.planned_floor_area_m2)
                .bind(d.built_floor_area_m2)
                .bind(d.designed_households)
                .bind(d.occupied_households)
                .bind(d.residents)
                .bind(d.is_old_estate)
                .bind(d.management_mode.as_str())
                .bind(&d.property_company_id)
                .bind(d.owners_committee.as_str())
                .bind(d.target.as_str())
                .bind(i64::from(d.security.guards))
                .bind(i64::from(d.security.cameras))
                .bind(d.security.access_control)
                .bind(d.security.fences_and_gates)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Returns whether a row at `expected_version` was updated.
            async fn write_estate(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                expected_version: i64,
                d: &EstateData,
                now: i64,
            ) -> Result<bool, sqlx::Error> {
                // Each column beside its value (no positional placeholders to keep in step).
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE estates SET version = version + 1");
                wuguan_platform::set_columns!(q,
                    "community_id" => &d.community_id,
                    "name" => &d.name,
                    "address" => &d.address,
                    "planned_floor_area_m2" => d.planned_floor_area_m2,
                    "built_floor_area_m2" => d.built_floor_area_m2,
                    "designed_households" => d.designed_households,
                    "occupied_households" => d.occupied_households,
                    "residents" => d.residents,
                    "is_old_estate" => d.is_old_estate,
                    "management_mode" => d.management_mode.as_str(),
                    "property_company_id" => &d.property_company_id,
                    "owners_committee" => d.owners_committee.as_str(),
                    "target" => d.target.as_str(),
                    "guards" => i64::from(d.security.guards),
                    "cameras" => i64::from(d.security.cameras),
                    "access_control" => d.security.access_control,
                    "fences_and_gates" => d.security.fences_and_gates,
                    "updated_at" => now,
                );
                q.push(" WHERE id = ").push_bind(id).push(" AND version = ").push_bind(expected_version);
                let done = q.build().execute(&mut **tx).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_change(
                tx: &mut sqlx::Transaction<'_, $db>,
                estate_id: &str,
                town: &str,
                actor: &str,
                action: &str,
                changes: &[FieldChange],
                now: i64,
            ) -> ServiceResult<()> {
                let json = serde_json::to_string(changes).map_err(ServiceError::internal)?;
                sqlx::query(
                    "INSERT INTO estate_changes (id, estate_id, town, actor, at_ms, action, changes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(new_id())
                .bind(estate_id)
                .bind(town)
                .bind(actor)
                .bind(now)
                .bind(action)
                .bind(json)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
            }
        }

        impl $store {
            wuguan_platform::db_spans! { $db;
            async fn designated_person(&self, unit_id: &str) -> ServiceResult<Option<Person>> {
                let row: Option<PersonRow> = sqlx::query_as(
                    "SELECT id, town, unit_id, name, title, phone, designated FROM persons \
                     WHERE unit_id = $1 ORDER BY designated DESC, id LIMIT 1",
                )
                .bind(unit_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Person::from))
            }
            }
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);
