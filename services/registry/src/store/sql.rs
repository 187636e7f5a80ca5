//! SQL implementation of [`RegistryStore`], instantiated for SQLite and for Postgres by the
//! `sql_store!` macro. The statements are identical on both: `$n` placeholders, TEXT/BIGINT/
//! BOOLEAN columns; a macro instead of generics over `sqlx::Database` keeps the code readable
//! while the compiler still checks each instantiation against its own driver.

use super::{ImportRow, RegistryStore, WriteContext};
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
            /// The id a previous write with this key produced, if any.
            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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
            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn write_estate(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                expected_version: i64,
                d: &EstateData,
                now: i64,
            ) -> Result<bool, sqlx::Error> {
                let done = sqlx::query(
                    "UPDATE estates SET community_id = $1, name = $2, address = $3, planned_floor_area_m2 = $4, \
                     built_floor_area_m2 = $5, designed_households = $6, occupied_households = $7, residents = $8, \
                     is_old_estate = $9, management_mode = $10, property_company_id = $11, owners_committee = $12, \
                     target = $13, guards = $14, cameras = $15, access_control = $16, fences_and_gates = $17, \
                     version = version + 1, updated_at = $18 WHERE id = $19 AND version = $20",
                )
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
                .bind(id)
                .bind(expected_version)
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

        impl RegistryStore for $store {
            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn upsert_county(&self, code: &str, name: &str) -> ServiceResult<()> {
                sqlx::query("INSERT INTO counties (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = excluded.name")
                    .bind(code)
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn upsert_town(&self, town: &Town) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO towns (code, name, county, time_zone) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, county = excluded.county, time_zone = excluded.time_zone",
                )
                .bind(&town.code)
                .bind(&town.name)
                .bind(&town.county)
                .bind(&town.time_zone)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_town(&self, code: &str) -> ServiceResult<Option<Town>> {
                let row: Option<TownRow> = sqlx::query_as(
                    "SELECT t.code, t.name, t.county, c.name AS county_name, t.time_zone \
                     FROM towns t JOIN counties c ON c.code = t.county WHERE t.code = $1",
                )
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Town::from))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn list_towns(&self) -> ServiceResult<Vec<Town>> {
                let rows: Vec<TownRow> = sqlx::query_as(
                    "SELECT t.code, t.name, t.county, c.name AS county_name, t.time_zone \
                     FROM towns t JOIN counties c ON c.code = t.county ORDER BY t.code",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Town::from).collect())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn create_unit(&self, unit: &Unit, ctx: &WriteContext) -> ServiceResult<Unit> {
                let scope = format!("{}/unit", unit.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_unit(&id).await?.ok_or_else(|| ServiceError::not_found("unit"));
                }
                let mut tx = self.pool.begin().await?;
                Self::insert_unit(&mut tx, unit).await.map_err(|e| unique_violation(e, "name", "a unit with this name"))?;
                Self::remember_key(&mut tx, &scope, ctx, &unit.id).await?;
                tx.commit().await?;
                Ok(unit.clone())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_unit(&self, id: &str) -> ServiceResult<Option<Unit>> {
                let row: Option<UnitRow> =
                    sqlx::query_as("SELECT id, town, unit_type, name, ref_id FROM units WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(Unit::try_from).transpose()
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn list_units(&self, town: &str, unit_type: Option<UnitType>, page: &Page) -> ServiceResult<Vec<Unit>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT id, town, unit_type, name, ref_id FROM units WHERE town = ");
                q.push_bind(town.to_owned());
                if let Some(t) = unit_type {
                    q.push(" AND unit_type = ").push_bind(t.as_str());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<UnitRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Unit::try_from).collect()
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn create_person(&self, person: &Person, ctx: &WriteContext) -> ServiceResult<Person> {
                let scope = format!("{}/person", person.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    let row: PersonRow = sqlx::query_as(
                        "SELECT id, town, unit_id, name, title, phone, designated FROM persons WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                    return Ok(row.into());
                }
                let mut tx = self.pool.begin().await?;
                if person.designated {
                    // One designated person per unit: the newest designation wins.
                    sqlx::query("UPDATE persons SET designated = $1 WHERE unit_id = $2")
                        .bind(false)
                        .bind(&person.unit_id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO persons (id, town, unit_id, name, title, phone, designated, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&person.id)
                .bind(&person.town)
                .bind(&person.unit_id)
                .bind(&person.name)
                .bind(&person.title)
                .bind(&person.phone)
                .bind(person.designated)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                Self::remember_key(&mut tx, &scope, ctx, &person.id).await?;
                tx.commit().await?;
                Ok(person.clone())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_person(&self, id: &str) -> ServiceResult<Option<Person>> {
                let row: Option<PersonRow> = sqlx::query_as(
                    "SELECT id, town, unit_id, name, title, phone, designated FROM persons WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Person::from))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn update_person(&self, person: &Person) -> ServiceResult<Person> {
                sqlx::query("UPDATE persons SET name = $1, title = $2, phone = $3 WHERE id = $4")
                    .bind(&person.name)
                    .bind(&person.title)
                    .bind(&person.phone)
                    .bind(&person.id)
                    .execute(&self.pool)
                    .await?;
                Ok(person.clone())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn remove_person(&self, id: &str) -> ServiceResult<bool> {
                // One statement: a person designated meanwhile is not removed.
                let done = sqlx::query("DELETE FROM persons WHERE id = $1 AND designated = $2")
                    .bind(id)
                    .bind(false)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn designate_person(&self, person: &Person) -> ServiceResult<Person> {
                // One statement: exactly this person of the unit is designated afterwards.
                sqlx::query("UPDATE persons SET designated = (id = $1) WHERE unit_id = $2")
                    .bind(&person.id)
                    .bind(&person.unit_id)
                    .execute(&self.pool)
                    .await?;
                Ok(Person { designated: true, ..person.clone() })
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn list_persons(&self, town: &str, unit_id: Option<&str>, page: &Page) -> ServiceResult<Vec<Person>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, town, unit_id, name, title, phone, designated FROM persons WHERE town = ",
                );
                q.push_bind(town.to_owned());
                if let Some(unit) = unit_id {
                    q.push(" AND unit_id = ").push_bind(unit.to_owned());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<PersonRow> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Person::from).collect())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn create_community(&self, c: &Community, ctx: &WriteContext) -> ServiceResult<Community> {
                let scope = format!("{}/community", c.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_community(&id).await?.ok_or_else(|| ServiceError::not_found("community"));
                }
                let now = now_ms();
                let unit = Unit {
                    id: c.unit_id.clone(),
                    town: c.town.clone(),
                    unit_type: UnitType::Community,
                    name: c.name.clone(),
                    ref_id: Some(c.id.clone()),
                };
                let mut tx = self.pool.begin().await?;
                Self::insert_unit(&mut tx, &unit).await.map_err(|e| unique_violation(e, "name", "a unit with this name"))?;
                sqlx::query(
                    "INSERT INTO communities (id, town, name, party_secretary, unit_id, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
                )
                .bind(&c.id)
                .bind(&c.town)
                .bind(&c.name)
                .bind(&c.party_secretary)
                .bind(&c.unit_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, "name", "a community with this name"))?;
                Self::remember_key(&mut tx, &scope, ctx, &c.id).await?;
                tx.commit().await?;
                Ok(Community { version: 1, ..c.clone() })
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_community(&self, id: &str) -> ServiceResult<Option<Community>> {
                let row: Option<CommunityRow> = sqlx::query_as(
                    "SELECT id, town, name, party_secretary, unit_id, version FROM communities WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Community::from))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn list_communities(&self, town: &str, page: &Page) -> ServiceResult<Vec<Community>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, town, name, party_secretary, unit_id, version FROM communities WHERE town = ",
                );
                q.push_bind(town.to_owned());
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<CommunityRow> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Community::from).collect())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn create_property_company(&self, c: &PropertyCompany, ctx: &WriteContext) -> ServiceResult<PropertyCompany> {
                let scope = format!("{}/property_company", c.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_property_company(&id).await?.ok_or_else(|| ServiceError::not_found("property company"));
                }
                let now = now_ms();
                let unit = Unit {
                    id: c.unit_id.clone(),
                    town: c.town.clone(),
                    unit_type: UnitType::PropertyCompany,
                    name: c.name.clone(),
                    ref_id: Some(c.id.clone()),
                };
                let mut tx = self.pool.begin().await?;
                Self::insert_unit(&mut tx, &unit).await.map_err(|e| unique_violation(e, "name", "a unit with this name"))?;
                sqlx::query(
                    "INSERT INTO property_companies (id, town, name, contact_person, contact_phone, unit_id, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
                )
                .bind(&c.id)
                .bind(&c.town)
                .bind(&c.name)
                .bind(&c.contact_person)
                .bind(&c.contact_phone)
                .bind(&c.unit_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, "name", "a property company with this name"))?;
                Self::remember_key(&mut tx, &scope, ctx, &c.id).await?;
                tx.commit().await?;
                Ok(PropertyCompany { version: 1, ..c.clone() })
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_property_company(&self, id: &str) -> ServiceResult<Option<PropertyCompany>> {
                let row: Option<CompanyRow> = sqlx::query_as(
                    "SELECT id, town, name, contact_person, contact_phone, unit_id, version FROM property_companies WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(PropertyCompany::from))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn list_property_companies(&self, town: &str, page: &Page) -> ServiceResult<Vec<PropertyCompany>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, town, name, contact_person, contact_phone, unit_id, version FROM property_companies WHERE town = ",
                );
                q.push_bind(town.to_owned());
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<CompanyRow> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(PropertyCompany::from).collect())
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn get_estate(&self, id: &str) -> ServiceResult<Option<Estate>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(ESTATE_COLUMNS).push(" FROM estates WHERE id = ").push_bind(id.to_owned());
                let row: Option<EstateRow> = q.build_query_as().fetch_optional(&self.pool).await?;
                row.map(Estate::try_from).transpose()
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn all_estates(&self, town: &str) -> ServiceResult<Vec<Estate>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(ESTATE_COLUMNS).push(" FROM estates WHERE town = ").push_bind(town.to_owned()).push(" ORDER BY id");
                let rows: Vec<EstateRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Estate::try_from).collect()
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn count_communities(&self, town: &str) -> ServiceResult<u32> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM communities WHERE town = $1")
                    .bind(town)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n as u32)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn count_property_companies(&self, town: &str) -> ServiceResult<u32> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM property_companies WHERE town = $1")
                    .bind(town)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n as u32)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn town_wide_units(&self, town: &str) -> ServiceResult<Vec<UnitContact>> {
                let rows: Vec<UnitRow> = sqlx::query_as(
                    "SELECT id, town, unit_type, name, ref_id FROM units WHERE town = $1 AND ref_id IS NULL ORDER BY id",
                )
                .bind(town)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let unit = Unit::try_from(row)?;
                    let person = self.designated_person(&unit.id).await?;
                    out.push(UnitContact { unit, person });
                }
                Ok(out)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn unit_contact(&self, unit_id: &str) -> ServiceResult<Option<UnitContact>> {
                let Some(unit) = self.get_unit(unit_id).await? else { return Ok(None) };
                let person = self.designated_person(&unit.id).await?;
                Ok(Some(UnitContact { unit, person }))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn find_account(&self, username: &str) -> ServiceResult<Option<(Account, String)>> {
                let row: Option<AccountRow> = sqlx::query_as(
                    "SELECT username, password_hash, role, town, county, unit_id, estate_id, display_name, disabled FROM accounts WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
                row.map(<(Account, String)>::try_from).transpose()
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn set_password_hash(&self, username: &str, password_hash: &str) -> ServiceResult<bool> {
                let done = sqlx::query(
                    "UPDATE accounts SET password_hash = $1, failed_sign_ins = 0, locked_until = 0 WHERE username = $2",
                )
                .bind(password_hash)
                .bind(username)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn sign_in_locked_until(&self, username: &str) -> ServiceResult<Option<i64>> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT locked_until FROM accounts WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(until,)| until))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn record_failed_sign_in(&self, username: &str, limit: u32, lock_until: i64) -> ServiceResult<i64> {
                // One statement, so concurrent failures on several replicas all count. SET
                // expressions read the row as it was.
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE accounts SET \
                       failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $1 THEN 0 ELSE failed_sign_ins + 1 END, \
                       locked_until = CASE WHEN failed_sign_ins + 1 >= $1 THEN $2 ELSE locked_until END \
                     WHERE username = $3 RETURNING locked_until",
                )
                .bind(i64::from(limit))
                .bind(lock_until)
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(until,)| until).unwrap_or(0))
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn set_account_disabled(&self, username: &str, disabled: bool) -> ServiceResult<bool> {
                let done = sqlx::query("UPDATE accounts SET disabled = $1 WHERE username = $2")
                    .bind(disabled)
                    .bind(username)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
            async fn clear_failed_sign_ins(&self, username: &str) -> ServiceResult<()> {
                sqlx::query("UPDATE accounts SET failed_sign_ins = 0 WHERE username = $1 AND failed_sign_ins <> 0")
                    .bind(username)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        impl $store {
            #[tracing::instrument(level = "info", skip_all, fields(otel.kind = "client", db.system = <$db as wuguan_platform::db::DbSystem>::NAME))]
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
    };
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);
