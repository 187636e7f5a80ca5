//! SQL implementation of [`AssessmentStore`] for SQLite and Postgres (one macro, as in the
//! other services).

use super::AssessmentStore;
use crate::model::*;
use sqlx::{FromRow, PgPool, SqlitePool};
use wuguan_platform::ErrorCode;
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

#[derive(serde::Serialize, serde::Deserialize)]
struct RubricBody {
    items: Vec<RubricItem>,
    bands: GradeBands,
    #[serde(default)]
    dispatch_deductions: Vec<DispatchDeduction>,
    #[serde(default)]
    vetoes: Vec<Veto>,
    #[serde(default)]
    league: LeagueRules,
}

const INCIDENT_COLUMNS: &str = "id, town, estate_id, estate_name, date, description, recorded_by, created_at";

#[derive(FromRow)]
struct IncidentRow {
    id: String,
    town: String,
    estate_id: String,
    estate_name: String,
    date: String,
    description: String,
    recorded_by: String,
    created_at: i64,
}

impl From<IncidentRow> for Incident {
    fn from(r: IncidentRow) -> Incident {
        Incident {
            id: r.id,
            town: r.town,
            estate_id: r.estate_id,
            estate_name: r.estate_name,
            date: r.date,
            description: r.description,
            recorded_by: r.recorded_by,
            created_at_ms: r.created_at,
        }
    }
}

#[derive(FromRow)]
struct RubricRow {
    town: String,
    version: i64,
    body: String,
    created_by: String,
    created_at: i64,
}

impl TryFrom<RubricRow> for Rubric {
    type Error = ServiceError;
    fn try_from(r: RubricRow) -> ServiceResult<Rubric> {
        let body: RubricBody = serde_json::from_str(&r.body).map_err(ServiceError::internal)?;
        Ok(Rubric {
            town: r.town,
            version: r.version,
            items: body.items,
            bands: body.bands,
            dispatch_deductions: body.dispatch_deductions,
            vetoes: body.vetoes,
            league: body.league,
            created_by: r.created_by,
            created_at_ms: r.created_at,
        })
    }
}

#[derive(FromRow)]
struct PlanRow {
    id: String,
    town: String,
    estate_id: String,
    date: String,
    kind: String,
    focus: String,
    planned_by: String,
    inspection_id: Option<String>,
    reason: String,
    follows: Option<String>,
}

fn corrupt(column: &str, value: &str) -> ServiceError {
    ServiceError::internal(format!("unexpected value {value:?} in {column}"))
}

impl TryFrom<PlanRow> for Plan {
    type Error = ServiceError;
    fn try_from(r: PlanRow) -> ServiceResult<Plan> {
        Ok(Plan {
            kind: InspectionKind::parse(&r.kind).ok_or_else(|| corrupt("inspection_plans.kind", &r.kind))?,
            focus: InspectionFocus::parse(&r.focus).ok_or_else(|| corrupt("inspection_plans.focus", &r.focus))?,
            id: r.id,
            town: r.town,
            estate_id: r.estate_id,
            date: r.date,
            planned_by: r.planned_by,
            inspection_id: r.inspection_id,
            reason: r.reason,
            follows: r.follows,
        })
    }
}

#[derive(FromRow)]
struct InspectionRow {
    id: String,
    town: String,
    estate_id: String,
    estate_name: String,
    date: String,
    kind: String,
    focus: String,
    inspector: String,
    rubric_version: i64,
    item_scores: String,
    total_score: f64,
    grade: String,
    plan_id: Option<String>,
    created_at: i64,
    follow_up_of: Option<String>,
}

#[derive(FromRow)]
struct FindingRow {
    id: String,
    inspection_id: String,
    item: String,
    description: String,
    category: String,
    open_ticket: bool,
    deduction: f64,
    delivery: String,
    ticket_id: Option<String>,
    delivery_error: String,
}

impl TryFrom<FindingRow> for Finding {
    type Error = ServiceError;
    fn try_from(r: FindingRow) -> ServiceResult<Finding> {
        Ok(Finding {
            delivery: Delivery::parse(&r.delivery).ok_or_else(|| corrupt("findings.delivery", &r.delivery))?,
            id: r.id,
            item: r.item,
            description: r.description,
            category: r.category,
            open_ticket: r.open_ticket,
            deduction: r.deduction,
            ticket_id: r.ticket_id,
            delivery_error: r.delivery_error,
        })
    }
}

fn inspection_from(r: InspectionRow, findings: Vec<Finding>) -> ServiceResult<Inspection> {
    Ok(Inspection {
        kind: InspectionKind::parse(&r.kind).ok_or_else(|| corrupt("inspections.kind", &r.kind))?,
        focus: InspectionFocus::parse(&r.focus).ok_or_else(|| corrupt("inspections.focus", &r.focus))?,
        item_scores: serde_json::from_str(&r.item_scores).map_err(ServiceError::internal)?,
        id: r.id,
        town: r.town,
        estate_id: r.estate_id,
        estate_name: r.estate_name,
        date: r.date,
        inspector: r.inspector,
        rubric_version: r.rubric_version,
        findings,
        total_score: r.total_score,
        grade: r.grade,
        plan_id: r.plan_id,
        created_at_ms: r.created_at,
        follow_up_of: r.follow_up_of,
    })
}

const INSPECTION_COLUMNS: &str = "id, town, estate_id, estate_name, date, kind, focus, inspector, rubric_version, \
     item_scores, total_score, grade, plan_id, created_at, follow_up_of";
const FINDING_COLUMNS: &str =
    "id, inspection_id, item, description, category, open_ticket, deduction, delivery, ticket_id, delivery_error";

/// `date` within [from, to] (either bound may be absent), bound, never formatted in.
macro_rules! push_dates {
    ($q:expr, $from:expr, $to:expr) => {
        if let Some(f) = $from {
            $q.push(" AND date >= ").push_bind(f.to_owned());
        }
        if let Some(t) = $to {
            $q.push(" AND date <= ").push_bind(t.to_owned());
        }
    };
}

/// Keyset paging in id order: rows after the page token, one more than the page holds.
macro_rules! push_page {
    ($q:expr, $page:expr) => {
        if let Some(after) = &$page.after {
            $q.push(" AND id > ").push_bind(after.clone());
        }
        $q.push(" ORDER BY id LIMIT ").push_bind($page.fetch_limit());
    };
}

macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        impl $store {
            wuguan_platform::db_spans! { $db;
            /// Claims an idempotency key for `resource_id` in `tx`: None when this request is the
            /// first with the key, else the id of what the first request made.
            async fn claim_key(
                tx: &mut sqlx::Transaction<'_, $db>,
                scope: &str,
                key: &str,
                resource_id: &str,
            ) -> ServiceResult<Option<String>> {
                let claimed = sqlx::query(
                    "INSERT INTO assessment_keys (scope, idempotency_key, resource_id, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (scope, idempotency_key) DO NOTHING",
                )
                .bind(scope)
                .bind(key)
                .bind(resource_id)
                .bind(now_ms())
                .execute(&mut **tx)
                .await?;
                if claimed.rows_affected() == 1 {
                    return Ok(None);
                }
                let first: String =
                    sqlx::query_scalar("SELECT resource_id FROM assessment_keys WHERE scope = $1 AND idempotency_key = $2")
                        .bind(scope)
                        .bind(key)
                        .fetch_one(&mut **tx)
                        .await?;
                Ok(Some(first))
            }

            async fn insert_plan_tx(tx: &mut sqlx::Transaction<'_, $db>, p: &Plan) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO inspection_plans (id, town, estate_id, date, kind, focus, planned_by, inspection_id, reason, created_at, follows) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&p.id)
                .bind(&p.town)
                .bind(&p.estate_id)
                .bind(&p.date)
                .bind(p.kind.as_str())
                .bind(p.focus.as_str())
                .bind(&p.planned_by)
                .bind(&p.inspection_id)
                .bind(&p.reason)
                .bind(now_ms())
                .bind(&p.follows)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn findings_of(&self, ids: &[String]) -> ServiceResult<Vec<(String, Finding)>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(FINDING_COLUMNS).push(" FROM findings WHERE inspection_id IN (");
                let mut sep = q.separated(", ");
                for id in ids {
                    sep.push_bind(id.clone());
                }
                q.push(") ORDER BY id");
                let rows: Vec<FindingRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map(|r| {
                        let owner = r.inspection_id.clone();
                        Finding::try_from(r).map(|f| (owner, f))
                    })
                    .collect()
            }

            async fn with_findings(&self, rows: Vec<InspectionRow>) -> ServiceResult<Vec<Inspection>> {
                let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                let mut findings = self.findings_of(&ids).await?;
                rows.into_iter()
                    .map(|r| {
                        let (mine, rest): (Vec<_>, Vec<_>) = findings.drain(..).partition(|(owner, _)| *owner == r.id);
                        findings = rest;
                        inspection_from(r, mine.into_iter().map(|(_, f)| f).collect())
                    })
                    .collect()
            }
            }
        }

        impl AssessmentStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn current_rubric(&self, town: &str) -> ServiceResult<Option<Rubric>> {
                let row: Option<RubricRow> = sqlx::query_as(
                    "SELECT town, version, body, created_by, created_at FROM rubrics WHERE town = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(town)
                .fetch_optional(&self.pool)
                .await?;
                row.map(Rubric::try_from).transpose()
            }

            async fn rubric_version(&self, town: &str, version: i64) -> ServiceResult<Option<Rubric>> {
                let row: Option<RubricRow> = sqlx::query_as(
                    "SELECT town, version, body, created_by, created_at FROM rubrics WHERE town = $1 AND version = $2",
                )
                .bind(town)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                row.map(Rubric::try_from).transpose()
            }

            async fn insert_rubric(&self, r: &Rubric) -> ServiceResult<Rubric> {
                let body = serde_json::to_string(&RubricBody {
                    items: r.items.clone(),
                    bands: r.bands,
                    dispatch_deductions: r.dispatch_deductions.clone(),
                    vetoes: r.vetoes.clone(),
                    league: r.league.clone(),
                })
                    .map_err(ServiceError::internal)?;
                let now = now_ms();
                let mut tx = self.pool.begin().await?;
                let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM rubrics WHERE town = $1")
                    .bind(&r.town)
                    .fetch_one(&mut *tx)
                    .await?;
                let version = latest.unwrap_or(0) + 1;
                let inserted = sqlx::query(
                    "INSERT INTO rubrics (town, version, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&r.town)
                .bind(version)
                .bind(body)
                .bind(&r.created_by)
                .bind(now)
                .execute(&mut *tx)
                .await;
                if let Err(e) = inserted {
                    if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                        return Err(ServiceError::new(ErrorCode::Aborted, "the rubric was edited meanwhile; reload it"));
                    }
                    return Err(e.into());
                }
                tx.commit().await?;
                Ok(Rubric { version, created_at_ms: now, ..r.clone() })
            }

            async fn insert_plan(&self, plan: &Plan) -> ServiceResult<()> {
                let mut tx = self.pool.begin().await?;
                Self::insert_plan_tx(&mut tx, plan).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_plan(&self, id: &str) -> ServiceResult<Option<Plan>> {
                let row: Option<PlanRow> = sqlx::query_as(
                    "SELECT id, town, estate_id, date, kind, focus, planned_by, inspection_id, reason, follows FROM inspection_plans WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(Plan::try_from).transpose()
            }

            async fn list_plans(
                &self,
                town: &str,
                from: Option<&str>,
                to: Option<&str>,
                with_unannounced: bool,
                page: &Page,
            ) -> ServiceResult<Vec<Plan>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, town, estate_id, date, kind, focus, planned_by, inspection_id, reason, follows FROM inspection_plans WHERE town = ",
                );
                q.push_bind(town.to_owned());
                push_dates!(q, from, to);
                if !with_unannounced {
                    // Unannounced plans stay hidden until the inspection is recorded.
                    q.push(" AND (kind <> 'unannounced' OR inspection_id IS NOT NULL)");
                }
                push_page!(q, page);
                let rows: Vec<PlanRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Plan::try_from).collect()
            }

            async fn record_inspection(
                &self,
                i: &Inspection,
                follow_up: Option<&Plan>,
                key: Option<(&str, &str)>,
            ) -> ServiceResult<Inspection> {
                let mut tx = self.pool.begin().await?;
                if let Some((scope, key)) = key
                    && let Some(first) = Self::claim_key(&mut tx, scope, key, &i.id).await?
                {
                    drop(tx);
                    return self.get_inspection(&first).await?.ok_or_else(|| ServiceError::not_found("inspection"));
                }
                let scores = serde_json::to_string(&i.item_scores).map_err(ServiceError::internal)?;
                sqlx::query(
                    "INSERT INTO inspections (id, town, estate_id, estate_name, date, kind, focus, inspector, rubric_version, \
                     item_scores, total_score, grade, plan_id, created_at, follow_up_of) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(&i.id)
                .bind(&i.town)
                .bind(&i.estate_id)
                .bind(&i.estate_name)
                .bind(&i.date)
                .bind(i.kind.as_str())
                .bind(i.focus.as_str())
                .bind(&i.inspector)
                .bind(i.rubric_version)
                .bind(scores)
                .bind(i.total_score)
                .bind(&i.grade)
                .bind(&i.plan_id)
                .bind(i.created_at_ms)
                .bind(&i.follow_up_of)
                .execute(&mut *tx)
                .await?;
                for f in &i.findings {
                    sqlx::query(
                        "INSERT INTO findings (id, inspection_id, town, item, description, category, open_ticket, deduction, delivery, \
                         ticket_id, delivery_error, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12)",
                    )
                    .bind(&f.id)
                    .bind(&i.id)
                    .bind(&i.town)
                    .bind(&f.item)
                    .bind(&f.description)
                    .bind(&f.category)
                    .bind(f.open_ticket)
                    .bind(f.deduction)
                    .bind(f.delivery.as_str())
                    .bind(&f.ticket_id)
                    .bind(&f.delivery_error)
                    .bind(i.created_at_ms)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(plan_id) = &i.plan_id {
                    let done = sqlx::query(
                        "UPDATE inspection_plans SET inspection_id = $1 WHERE id = $2 AND town = $3 AND inspection_id IS NULL",
                    )
                    .bind(&i.id)
                    .bind(plan_id)
                    .bind(&i.town)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(ServiceError::invalid("plan_id", "no open plan with this id in this town"));
                    }
                }
                if let Some(plan) = follow_up {
                    Self::insert_plan_tx(&mut tx, plan).await?;
                }
                tx.commit().await?;
                Ok(i.clone())
            }

            async fn get_inspection(&self, id: &str) -> ServiceResult<Option<Inspection>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(INSPECTION_COLUMNS).push(" FROM inspections WHERE id = ").push_bind(id.to_owned());
                let rows: Vec<InspectionRow> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(self.with_findings(rows).await?.pop())
            }

            async fn list_inspections(
                &self,
                town: &str,
                estate_id: Option<&str>,
                from: Option<&str>,
                to: Option<&str>,
                page: &Page,
            ) -> ServiceResult<Vec<Inspection>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(INSPECTION_COLUMNS).push(" FROM inspections WHERE town = ").push_bind(town.to_owned());
                if let Some(e) = estate_id {
                    q.push(" AND estate_id = ").push_bind(e.to_owned());
                }
                push_dates!(q, from, to);
                push_page!(q, page);
                let rows: Vec<InspectionRow> = q.build_query_as().fetch_all(&self.pool).await?;
                self.with_findings(rows).await
            }

            async fn record_incident(&self, i: &Incident, key: Option<(&str, &str)>) -> ServiceResult<Incident> {
                let mut tx = self.pool.begin().await?;
                if let Some((scope, key)) = key
                    && let Some(first) = Self::claim_key(&mut tx, scope, key, &i.id).await?
                {
                    drop(tx);
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                    q.push(INCIDENT_COLUMNS).push(" FROM incidents WHERE id = ").push_bind(first);
                    let row: IncidentRow = q.build_query_as().fetch_one(&self.pool).await?;
                    return Ok(row.into());
                }
                sqlx::query(
                    "INSERT INTO incidents (id, town, estate_id, estate_name, date, description, recorded_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&i.id)
                .bind(&i.town)
                .bind(&i.estate_id)
                .bind(&i.estate_name)
                .bind(&i.date)
                .bind(&i.description)
                .bind(&i.recorded_by)
                .bind(i.created_at_ms)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(i.clone())
            }

            async fn list_incidents(
                &self,
                town: &str,
                from: Option<&str>,
                to: Option<&str>,
                page: &Page,
            ) -> ServiceResult<Vec<Incident>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(INCIDENT_COLUMNS).push(" FROM incidents WHERE town = ").push_bind(town.to_owned());
                push_dates!(q, from, to);
                push_page!(q, page);
                let rows: Vec<IncidentRow> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Incident::from).collect())
            }

            async fn latest_bulletin(&self, town: &str, month: &str) -> ServiceResult<Option<Vec<u8>>> {
                let body: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT body FROM bulletins WHERE town = $1 AND month = $2 ORDER BY version DESC LIMIT 1",
                )
                .bind(town)
                .bind(month)
                .fetch_optional(&self.pool)
                .await?;
                Ok(body)
            }

            async fn next_bulletin_version(&self, town: &str, month: &str) -> ServiceResult<i64> {
                let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM bulletins WHERE town = $1 AND month = $2")
                    .bind(town)
                    .bind(month)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(latest.unwrap_or(0) + 1)
            }

            async fn insert_bulletin(
                &self,
                town: &str,
                month: &str,
                version: i64,
                body: &[u8],
                published_by: &str,
                published_at_ms: i64,
            ) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO bulletins (town, month, version, body, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(town)
                .bind(month)
                .bind(version)
                .bind(body)
                .bind(published_by)
                .bind(published_at_ms)
                .execute(&self.pool)
                .await
                .map_err(|e| {
                    if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                        ServiceError::new(ErrorCode::Aborted, "this bulletin was published meanwhile; reload it")
                    } else {
                        e.into()
                    }
                })?;
                Ok(())
            }

            async fn pending_findings(&self, limit: i64) -> ServiceResult<Vec<PendingFinding>> {
                let rows: Vec<(String, String, String, String, String, bool, f64, String, Option<String>, String, String, String, String, String)> =
                    sqlx::query_as(
                        "SELECT f.id, f.item, f.description, f.category, f.delivery, f.open_ticket, f.deduction, f.delivery_error, \
                         f.ticket_id, i.town, i.estate_id, i.estate_name, i.date, f.inspection_id \
                         FROM findings f JOIN inspections i ON i.id = f.inspection_id \
                         WHERE f.delivery = 'pending' ORDER BY f.id LIMIT $1",
                    )
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(id, item, description, category, delivery, open_ticket, deduction, delivery_error, ticket_id, town, estate_id, estate_name, date, _)| {
                        Ok(PendingFinding {
                            finding: Finding {
                                delivery: Delivery::parse(&delivery).ok_or_else(|| corrupt("findings.delivery", &delivery))?,
                                id,
                                item,
                                description,
                                category,
                                open_ticket,
                                deduction,
                                ticket_id,
                                delivery_error,
                            },
                            town,
                            estate_id,
                            estate_name,
                            date,
                        })
                    })
                    .collect()
            }

            async fn mark_delivered(&self, finding_id: &str, ticket_id: &str) -> ServiceResult<()> {
                sqlx::query("UPDATE findings SET delivery = 'delivered', ticket_id = $1, delivery_error = '', attempts = attempts + 1 WHERE id = $2")
                    .bind(ticket_id)
                    .bind(finding_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn count_pending_findings(&self) -> ServiceResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM findings WHERE delivery = 'pending'").fetch_one(&self.pool).await?)
            }

            async fn mark_attempt_failed(&self, finding_id: &str, error: &str, give_up: bool) -> ServiceResult<()> {
                sqlx::query("UPDATE findings SET delivery = $1, delivery_error = $2, attempts = attempts + 1 WHERE id = $3 AND delivery = 'pending'")
                    .bind(if give_up { "failed" } else { "pending" })
                    .bind(error)
                    .bind(finding_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
            }
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);
