//! Towns, responsible units and their persons, neighbourhood committees and property companies.

use super::*;
use crate::store::LedgerStore;

macro_rules! ledger_store {
    ($store:ident, $db:ty) => {
        impl LedgerStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn upsert_county(&self, code: &str, name: &str) -> ServiceResult<()> {
                sqlx::query("INSERT INTO counties (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = excluded.name")
                    .bind(code)
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

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

            async fn list_towns(&self) -> ServiceResult<Vec<Town>> {
                let rows: Vec<TownRow> = sqlx::query_as(
                    "SELECT t.code, t.name, t.county, c.name AS county_name, t.time_zone \
                     FROM towns t JOIN counties c ON c.code = t.county ORDER BY t.code",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Town::from).collect())
            }

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

            async fn get_unit(&self, id: &str) -> ServiceResult<Option<Unit>> {
                let row: Option<UnitRow> =
                    sqlx::query_as("SELECT id, town, unit_type, name, ref_id FROM units WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(Unit::try_from).transpose()
            }

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

            async fn get_person(&self, id: &str) -> ServiceResult<Option<Person>> {
                let row: Option<PersonRow> = sqlx::query_as(
                    "SELECT id, town, unit_id, name, title, phone, designated FROM persons WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Person::from))
            }

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

            async fn remove_person(&self, id: &str) -> ServiceResult<bool> {
                // One statement: a person designated meanwhile is not removed.
                let done = sqlx::query("DELETE FROM persons WHERE id = $1 AND designated = $2")
                    .bind(id)
                    .bind(false)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn designate_person(&self, person: &Person) -> ServiceResult<Person> {
                // One statement: exactly this person of the unit is designated afterwards.
                sqlx::query("UPDATE persons SET designated = (id = $1) WHERE unit_id = $2")
                    .bind(&person.id)
                    .bind(&person.unit_id)
                    .execute(&self.pool)
                    .await?;
                Ok(Person { designated: true, ..person.clone() })
            }

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

            async fn create_community(&self, c: &Community, ctx: &WriteContext) -> ServiceResult<Community> {
                let scope = format!("{}/community", c.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_community(&id).await?.ok_or_else(|| ServiceError::not_found("community"));
                }
                let now = now_ms();
                let mut tx = self.begin_with_unit(&c.town, UnitType::Community, &c.unit_id, &c.name, &c.id).await?;
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
                Self::commit_create(tx, &scope, ctx, &c.id).await?;
                Ok(Community { version: 1, ..c.clone() })
            }

            async fn get_community(&self, id: &str) -> ServiceResult<Option<Community>> {
                let row: Option<CommunityRow> = sqlx::query_as(
                    "SELECT id, town, name, party_secretary, unit_id, version FROM communities WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Community::from))
            }

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

            async fn create_property_company(&self, c: &PropertyCompany, ctx: &WriteContext) -> ServiceResult<PropertyCompany> {
                let scope = format!("{}/property_company", c.town);
                if let Some(id) = self.idempotent_result(&scope, ctx).await? {
                    return self.get_property_company(&id).await?.ok_or_else(|| ServiceError::not_found("property company"));
                }
                let now = now_ms();
                let mut tx = self.begin_with_unit(&c.town, UnitType::PropertyCompany, &c.unit_id, &c.name, &c.id).await?;
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
                Self::commit_create(tx, &scope, ctx, &c.id).await?;
                Ok(PropertyCompany { version: 1, ..c.clone() })
            }

            async fn get_property_company(&self, id: &str) -> ServiceResult<Option<PropertyCompany>> {
                let row: Option<CompanyRow> = sqlx::query_as(
                    "SELECT id, town, name, contact_person, contact_phone, unit_id, version FROM property_companies WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(PropertyCompany::from))
            }

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

            async fn count_communities(&self, town: &str) -> ServiceResult<u32> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM communities WHERE town = $1")
                    .bind(town)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n as u32)
            }

            async fn count_property_companies(&self, town: &str) -> ServiceResult<u32> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM property_companies WHERE town = $1")
                    .bind(town)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n as u32)
            }

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

            async fn unit_contact(&self, unit_id: &str) -> ServiceResult<Option<UnitContact>> {
                let Some(unit) = self.get_unit(unit_id).await? else { return Ok(None) };
                let person = self.designated_person(&unit.id).await?;
                Ok(Some(UnitContact { unit, person }))
            }
            }
        }
    };
}

ledger_store!(SqliteStore, sqlx::Sqlite);
ledger_store!(PgStore, sqlx::Postgres);
