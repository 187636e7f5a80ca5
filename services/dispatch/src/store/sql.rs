//! SQL implementation of [`DispatchStore`] for SQLite and Postgres, instantiated by a macro
//! (as in the registry): identical statements, each checked against its own driver.

use super::batch::{IntakeSql, Written};
use super::{DispatchStore, Escalated, IntakeKey, NewTicket};
use crate::calendar::{CalendarDay, OfficeHours, YearCalendar};
use crate::model::*;
use crate::reply::ReplyTemplate;
use crate::return_reasons::TownReturnReason;
use sqlx::{FromRow, PgPool, SqlitePool};
use wuguan_platform::ErrorCode;
use wuguan_platform::db::now_ms;
use wuguan_platform::error::{ServiceError, ServiceResult};
use wuguan_platform::paging::Page;

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
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

pub(super) const TICKET_COLUMNS: &str = "id, town, county, tracking_code, estate_id, estate_name, category, source, description, \
     status, level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, measures, \
     co_handlers, reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, responded_at, \
     resolved_at, satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, repeat_of, merged_into, \
     sign_by, signed_at, extension_until, extension_reason, extension_by, extension_at, assigned_at, return_by, \
     reply, callback_by, redo_count, warned_at";

/// Statuses of an open ticket, as SQL.
pub(super) const OPEN_STATUSES: &str = "('received', 'assigned', 'accepted', 'rejected', 'reopened')";

#[derive(FromRow)]
pub(super) struct TicketRow {
    id: String,
    town: String,
    county: String,
    tracking_code: String,
    estate_id: String,
    estate_name: String,
    category: String,
    source: String,
    description: String,
    status: String,
    level: i64,
    unit_type: Option<String>,
    unit_id: Option<String>,
    unit_name: Option<String>,
    person_id: Option<String>,
    person_name: Option<String>,
    respond_by: Option<i64>,
    resolve_by: Option<i64>,
    measures: String,
    co_handlers: String,
    reporter_name: String,
    reporter_phone: String,
    anonymous: bool,
    submitted_by: String,
    created_at: i64,
    updated_at: i64,
    responded_at: Option<i64>,
    resolved_at: Option<i64>,
    satisfaction: Option<String>,
    escalated_l1_at: Option<i64>,
    escalated_l2_at: Option<i64>,
    county_report: bool,
    version: i64,
    repeat_of: Option<String>,
    merged_into: Option<String>,
    sign_by: Option<i64>,
    signed_at: Option<i64>,
    extension_until: Option<i64>,
    extension_reason: Option<String>,
    extension_by: Option<String>,
    extension_at: Option<i64>,
    assigned_at: Option<i64>,
    return_by: Option<i64>,
    reply: Option<String>,
    callback_by: Option<i64>,
    redo_count: i64,
    warned_at: Option<i64>,
}

pub(super) fn corrupt(column: &str, value: &str) -> ServiceError {
    ServiceError::internal(format!("unexpected value {value:?} in {column}"))
}

impl TryFrom<TicketRow> for Ticket {
    type Error = ServiceError;
    fn try_from(r: TicketRow) -> ServiceResult<Ticket> {
        let assignment = match r.unit_id {
            Some(unit_id) => Some(Assignment {
                unit_type: r.unit_type.unwrap_or_default(),
                unit_id,
                unit_name: r.unit_name.unwrap_or_default(),
                person_id: r.person_id.unwrap_or_default(),
                person_name: r.person_name.unwrap_or_default(),
                respond_by_ms: r.respond_by.unwrap_or(0),
                resolve_by_ms: r.resolve_by.unwrap_or(0),
                measures: r.measures,
                co_handler_unit_ids: r.co_handlers.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                sign_by_ms: r.sign_by.unwrap_or(0),
                signed_at_ms: r.signed_at,
                assigned_at_ms: r.assigned_at.unwrap_or(0),
                return_by_ms: r.return_by.unwrap_or(0),
            }),
            None => None,
        };
        Ok(Ticket {
            category: Category::parse(&r.category).ok_or_else(|| corrupt("tickets.category", &r.category))?,
            source: Source::parse(&r.source).ok_or_else(|| corrupt("tickets.source", &r.source))?,
            status: Status::parse(&r.status).ok_or_else(|| corrupt("tickets.status", &r.status))?,
            satisfaction: match r.satisfaction {
                Some(s) => Some(Satisfaction::parse(&s).ok_or_else(|| corrupt("tickets.satisfaction", &s))?),
                None => None,
            },
            id: r.id,
            town: r.town,
            county: r.county,
            tracking_code: r.tracking_code,
            estate_id: r.estate_id,
            estate_name: r.estate_name,
            description: r.description,
            level: u32::try_from(r.level).unwrap_or(0),
            assignment,
            reporter: Reporter { name: r.reporter_name, phone: r.reporter_phone, anonymous: r.anonymous },
            submitted_by: r.submitted_by,
            created_at_ms: r.created_at,
            updated_at_ms: r.updated_at,
            responded_at_ms: r.responded_at,
            resolved_at_ms: r.resolved_at,
            escalated_l1_at_ms: r.escalated_l1_at,
            escalated_l2_at_ms: r.escalated_l2_at,
            county_report: r.county_report,
            repeat_of: r.repeat_of,
            merged_into: r.merged_into,
            pending_extension: r.extension_until.map(|resolve_by_ms| ExtensionRequest {
                resolve_by_ms,
                reason: r.extension_reason.unwrap_or_default(),
                requested_by: r.extension_by.unwrap_or_default(),
                requested_at_ms: r.extension_at.unwrap_or(0),
            }),
            reply: r.reply.unwrap_or_default(),
            callback_by_ms: r.callback_by,
            redo_count: u32::try_from(r.redo_count).unwrap_or(0),
            warned_at_ms: r.warned_at,
            version: r.version,
        })
    }
}

#[derive(FromRow)]
struct EventRow {
    id: String,
    ticket_id: String,
    action: String,
    from_status: Option<String>,
    to_status: String,
    actor: String,
    at_ms: i64,
    note: String,
    level: i64,
    remarks: String,
    unit_id: Option<String>,
}

impl TryFrom<EventRow> for TicketEvent {
    type Error = ServiceError;
    fn try_from(r: EventRow) -> ServiceResult<TicketEvent> {
        Ok(TicketEvent {
            from_status: match r.from_status {
                Some(s) => Some(Status::parse(&s).ok_or_else(|| corrupt("ticket_events.from_status", &s))?),
                None => None,
            },
            to_status: Status::parse(&r.to_status).ok_or_else(|| corrupt("ticket_events.to_status", &r.to_status))?,
            id: r.id,
            ticket_id: r.ticket_id,
            action: r.action,
            actor: r.actor,
            at_ms: r.at_ms,
            note: r.note,
            level: u32::try_from(r.level).unwrap_or(0),
            remarks: Remark::decode(&r.remarks).map_err(|part| corrupt("ticket_events.remarks", &part))?,
            unit_id: r.unit_id,
        })
    }
}

#[derive(FromRow)]
struct RuleRow {
    town: String,
    category: String,
    target: String,
    response_amount: i64,
    response_unit: String,
    resolution_amount: i64,
    resolution_unit: String,
    sign_amount: Option<i64>,
    sign_unit: Option<String>,
    initial_level: i64,
    owner_reps_co_handle: bool,
}

/// A limit stored as its amount and unit columns.
fn stored_limit(amount: i64, unit: &str, column: &str) -> ServiceResult<TimeLimit> {
    Ok(TimeLimit {
        amount: u32::try_from(amount).unwrap_or(0),
        unit: LimitUnit::parse(unit).ok_or_else(|| corrupt(column, unit))?,
    })
}

impl TryFrom<RuleRow> for RoutingRule {
    type Error = ServiceError;
    fn try_from(r: RuleRow) -> ServiceResult<RoutingRule> {
        let category = Category::parse(&r.category).ok_or_else(|| corrupt("routing_rules.category", &r.category))?;
        let sign = match (r.sign_amount, r.sign_unit) {
            (Some(amount), Some(unit)) => stored_limit(amount, &unit, "routing_rules.sign_unit")?,
            // Overrides saved before sign-for limits existed keep the category's.
            _ => crate::routing::default_rule(&r.town, category).sign,
        };
        Ok(RoutingRule {
            category,
            target: RouteTarget::parse(&r.target).ok_or_else(|| corrupt("routing_rules.target", &r.target))?,
            response: stored_limit(r.response_amount, &r.response_unit, "routing_rules.response_unit")?,
            resolution: stored_limit(r.resolution_amount, &r.resolution_unit, "routing_rules.resolution_unit")?,
            sign,
            town: r.town,
            initial_level: u32::try_from(r.initial_level).unwrap_or(0),
            owner_reps_co_handle: r.owner_reps_co_handle,
            customised: true,
        })
    }
}

#[derive(FromRow)]
struct CalendarYearRow {
    year: i64,
    office_start_minute: i64,
    office_end_minute: i64,
    updated_by: String,
    updated_at: i64,
}

#[derive(FromRow)]
struct CalendarDayRow {
    year: i64,
    day: String,
    kind: String,
    name: String,
}

/// The town's stored years, each with its days.
fn calendar_from_rows(
    town: &str,
    years: Vec<CalendarYearRow>,
    days: Vec<CalendarDayRow>,
) -> ServiceResult<Vec<YearCalendar>> {
    let minute = |v: i64, column: &str| u32::try_from(v).map_err(|_| corrupt(column, &v.to_string()));
    let mut out = Vec::with_capacity(years.len());
    for y in years {
        out.push(YearCalendar {
            town: town.to_owned(),
            year: i32::try_from(y.year).map_err(|_| corrupt("calendar_years.year", &y.year.to_string()))?,
            days: Vec::new(),
            office: OfficeHours {
                start_minute: minute(y.office_start_minute, "calendar_years.office_start_minute")?,
                end_minute: minute(y.office_end_minute, "calendar_years.office_end_minute")?,
            },
            source: CalendarSource::Town,
            updated_at_ms: y.updated_at,
            updated_by: y.updated_by,
        });
    }
    for d in days {
        let Some(year) = out.iter_mut().find(|y| i64::from(y.year) == d.year) else { continue };
        year.days.push(CalendarDay {
            date: chrono::NaiveDate::parse_from_str(&d.day, "%Y-%m-%d")
                .map_err(|_| corrupt("calendar_days.day", &d.day))?,
            kind: DayKind::parse(&d.kind).ok_or_else(|| corrupt("calendar_days.kind", &d.kind))?,
            name: d.name,
        });
    }
    Ok(out)
}

/// An event the sweep records on a ticket it changed in place (an escalation, a warning): the
/// status stays, the actor is the system.
fn sweep_event(
    ticket_id: &str,
    action: TicketAction,
    status: &str,
    level: u32,
    unit_id: Option<String>,
    now: i64,
    remarks: Vec<Remark>,
) -> ServiceResult<TicketEvent> {
    let status = Status::parse(status).ok_or_else(|| corrupt("tickets.status", status))?;
    Ok(TicketEvent {
        id: new_id(),
        ticket_id: ticket_id.to_owned(),
        action: action.as_str().into(),
        from_status: Some(status),
        to_status: status,
        actor: "system".into(),
        at_ms: now,
        note: String::new(),
        level,
        remarks,
        unit_id,
    })
}

fn changed_meanwhile() -> ServiceError {
    ServiceError::new(ErrorCode::Aborted, "the ticket changed meanwhile; reload it and try again")
}

fn key_conflict() -> ServiceError {
    ServiceError::already_exists("idempotency_key", "this idempotency key was already used for a different complaint")
}

macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        impl $store {
            wuguan_platform::db_spans! { $db;
            /// A change's events, all in one statement: one round trip, however many.
            async fn insert_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                town: &str,
                events: &[TicketEvent],
            ) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                let events: Vec<(&str, &TicketEvent)> = events.iter().map(|e| (town, e)).collect();
                <$db as IntakeSql>::insert_events(&events).build().execute(&mut **tx).await?;
                Ok(())
            }

            /// Writes every mutable column if the row is still at `expected_version`.
            async fn write_ticket(
                tx: &mut sqlx::Transaction<'_, $db>,
                expected_version: i64,
                t: &Ticket,
            ) -> Result<bool, sqlx::Error> {
                let a = t.assignment.as_ref();
                // Each column beside its value: the builder numbers the placeholders, so no value
                // can be bound to another column's position.
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE tickets SET version = version + 1");
                wuguan_platform::set_columns!(q,
                    "status" => t.status.as_str(),
                    "level" => i64::from(t.level),
                    "unit_type" => a.map(|a| a.unit_type.clone()),
                    "unit_id" => a.map(|a| a.unit_id.clone()),
                    "unit_name" => a.map(|a| a.unit_name.clone()),
                    "person_id" => a.map(|a| a.person_id.clone()),
                    "person_name" => a.map(|a| a.person_name.clone()),
                    "respond_by" => a.map(|a| a.respond_by_ms),
                    "resolve_by" => a.map(|a| a.resolve_by_ms),
                    "sign_by" => a.map(|a| a.sign_by_ms).filter(|ms| *ms != 0),
                    "signed_at" => a.and_then(|a| a.signed_at_ms),
                    "assigned_at" => a.map(|a| a.assigned_at_ms).filter(|ms| *ms != 0),
                    "return_by" => a.map(|a| a.return_by_ms).filter(|ms| *ms != 0),
                    "extension_until" => t.pending_extension.as_ref().map(|r| r.resolve_by_ms),
                    "extension_reason" => t.pending_extension.as_ref().map(|r| r.reason.clone()),
                    "extension_by" => t.pending_extension.as_ref().map(|r| r.requested_by.clone()),
                    "extension_at" => t.pending_extension.as_ref().map(|r| r.requested_at_ms),
                    "measures" => a.map(|a| a.measures.clone()).unwrap_or_default(),
                    "co_handlers" => a.map(|a| a.co_handler_unit_ids.join(",")).unwrap_or_default(),
                    "updated_at" => t.updated_at_ms,
                    "responded_at" => t.responded_at_ms,
                    "resolved_at" => t.resolved_at_ms,
                    "satisfaction" => t.satisfaction.map(|s| s.as_str()),
                    "escalated_l1_at" => t.escalated_l1_at_ms,
                    "escalated_l2_at" => t.escalated_l2_at_ms,
                    "county_report" => t.county_report,
                    "estate_name" => &t.estate_name,
                    "county" => &t.county,
                    "merged_into" => &t.merged_into,
                    "repeat_of" => &t.repeat_of,
                    "reply" => (!t.reply.is_empty()).then(|| t.reply.clone()),
                    "callback_by" => t.callback_by_ms,
                    "redo_count" => i64::from(t.redo_count),
                    "warned_at" => t.warned_at_ms,
                    // Erased at the reporter's request or past the retention period.
                    "reporter_name" => &t.reporter.name,
                    "reporter_phone" => &t.reporter.phone,
                );
                q.push(" WHERE id = ").push_bind(&t.id).push(" AND version = ").push_bind(expected_version);
                let done = q.build().execute(&mut **tx).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn existing_for_key(&self, key: &IntakeKey) -> ServiceResult<Option<Ticket>> {
                let row: Option<(String, String)> = sqlx::query_as(
                    "SELECT request_hash, ticket_id FROM intake_keys WHERE scope = $1 AND idempotency_key = $2",
                )
                .bind(&key.scope)
                .bind(&key.key)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    None => Ok(None),
                    Some((hash, _)) if hash != key.request_hash => Err(key_conflict()),
                    Some((_, id)) => self.get_ticket(&id).await,
                }
            }

            /// Writes a batch of complaints and commits it, each backend its own way (`batch.rs`);
            /// what became of each (a key already taken is looked up afterwards, by `outcomes`).
            async fn write_batch(&self, batch: &[NewTicket]) -> Result<Vec<Written>, sqlx::Error> {
                self.write_and_commit(batch).await
            }

            /// Each complaint's outcome, once its batch is committed.
            async fn outcomes(&self, batch: &[NewTicket], written: Vec<Written>) -> Vec<ServiceResult<Ticket>> {
                let mut out: Vec<ServiceResult<Ticket>> = Vec::with_capacity(batch.len());
                for (item, w) in batch.iter().zip(written) {
                    let outcome = match (w, &item.key) {
                        (Written::Stored(t), _) => Ok(*t),
                        (Written::KeyTaken, Some(key)) => self.existing_for_key(key).await.and_then(|t| t.ok_or_else(key_conflict)),
                        (Written::SameKeyAs(first), _) => out[first].clone(),
                        (Written::Conflict, _) => Err(key_conflict()),
                        (Written::Fresh | Written::KeyTaken, _) => Err(ServiceError::internal("a complaint of the batch was not written")),
                    };
                    out.push(outcome);
                }
                out
            }

            /// (unit id, name, type) of the town's units among `ids`, as its tickets name them: the
            /// units the timeline counts may hold none of the period's tickets.
            async fn unit_names(
                &self,
                town: &str,
                ids: impl Iterator<Item = &str>,
            ) -> Result<Vec<(String, Option<String>, Option<String>)>, sqlx::Error> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT unit_id, MAX(unit_name) AS unit_name, MAX(unit_type) AS unit_type FROM tickets WHERE town = ",
                );
                q.push_bind(town.to_owned()).push(" AND unit_id IN (");
                let mut list = q.separated(", ");
                // An empty list would not parse.
                list.push_bind(String::new());
                for id in ids {
                    list.push_bind(id.to_owned());
                }
                q.push(") GROUP BY unit_id");
                q.build_query_as().fetch_all(&self.pool).await
            }

            /// Warns the unit holding one ticket that its time is running out (临期预警), if no
            /// other replica has; returns whether it did.
            async fn warn_if_still(&self, id: &str, now: i64) -> ServiceResult<bool> {
                let mut tx = self.pool.begin().await?;
                let row: Option<(String, String, Option<String>, i64)> = sqlx::query_as(
                    "UPDATE tickets SET warned_at = $1, updated_at = $1, version = version + 1 \
                     WHERE id = $2 AND warned_at IS NULL AND status IN ('assigned', 'accepted', 'reopened') \
                     RETURNING status, town, unit_id, level",
                )
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((status, town, unit_id, level)) = row else { return Ok(false) };
                let level = u32::try_from(level).unwrap_or(0);
                let event = sweep_event(id, TicketAction::Warn, &status, level, unit_id, now, Vec::new())?;
                Self::insert_events(&mut tx, &town, std::slice::from_ref(&event)).await?;
                tx.commit().await?;
                Ok(true)
            }

            /// Escalates one ticket from `from_level` if it is still there; returns whether it did.
            async fn escalate_if_still(&self, id: &str, from_level: u32, now: i64, why: EventRemark) -> ServiceResult<bool> {
                let mut tx = self.pool.begin().await?;
                let to_level = from_level + 1;
                let row: Option<(String, String, Option<String>)> = if to_level == 1 {
                    sqlx::query_as(
                        "UPDATE tickets SET level = 1, escalated_l1_at = $1, updated_at = $1, version = version + 1 \
                         WHERE id = $2 AND level = 0 RETURNING status, town, unit_id",
                    )
                    .bind(now)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                } else {
                    sqlx::query_as(
                        "UPDATE tickets SET level = 2, escalated_l2_at = $1, county_report = $3, updated_at = $1, version = version + 1 \
                         WHERE id = $2 AND level = 1 RETURNING status, town, unit_id",
                    )
                    .bind(now)
                    .bind(id)
                    .bind(true)
                    .fetch_optional(&mut *tx)
                    .await?
                };
                // Another replica got there first: its update re-checked `level` under the row lock.
                let Some((status, town, unit_id)) = row else { return Ok(false) };
                let event = sweep_event(id, TicketAction::Escalate, &status, to_level, unit_id, now, vec![Remark::of(why)])?;
                Self::insert_events(&mut tx, &town, std::slice::from_ref(&event)).await?;
                tx.commit().await?;
                Ok(true)
            }
            }
        }

        impl DispatchStore for $store {
            const INTAKE_WRITERS: usize = <$db as IntakeSql>::INTAKE_WRITERS;

            wuguan_platform::db_spans! { $db;
            async fn insert_tickets(&self, batch: &[NewTicket]) -> Vec<ServiceResult<Ticket>> {
                match self.write_batch(batch).await {
                    Ok(written) => self.outcomes(batch, written).await,
                    Err(e) if batch.len() > 1 => {
                        // One complaint's failure (a constraint, a value the database refuses)
                        // must not fail the ones that happened to share its transaction.
                        tracing::warn!(error = %e, complaints = batch.len(), "batched intake failed: writing its complaints one by one");
                        let mut out = Vec::with_capacity(batch.len());
                        for item in batch {
                            let one = std::slice::from_ref(item);
                            let outcome = match self.write_batch(one).await {
                                Ok(written) => self.outcomes(one, written).await.pop().unwrap_or_else(|| Err(ServiceError::internal("no outcome"))),
                                Err(e) => Err(e.into()),
                            };
                            out.push(outcome);
                        }
                        out
                    }
                    Err(e) => vec![Err(e.into())],
                }
            }

            async fn insert_ticket(&self, t: &Ticket, events: &[TicketEvent], key: Option<&IntakeKey>) -> ServiceResult<Ticket> {
                let one = NewTicket { ticket: t.clone(), events: events.to_vec(), key: key.cloned(), repeats_since_ms: None };
                self.insert_tickets(std::slice::from_ref(&one)).await.pop().unwrap_or_else(|| Err(ServiceError::internal("no outcome")))
            }

            async fn get_ticket(&self, id: &str) -> ServiceResult<Option<Ticket>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS).push(" FROM tickets WHERE id = ").push_bind(id.to_owned());
                let row: Option<TicketRow> = q.build_query_as().fetch_optional(&self.pool).await?;
                row.map(Ticket::try_from).transpose()
            }

            async fn find_by_tracking_code(&self, code: &str) -> ServiceResult<Option<Ticket>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS).push(" FROM tickets WHERE tracking_code = ").push_bind(code.to_owned());
                let row: Option<TicketRow> = q.build_query_as().fetch_optional(&self.pool).await?;
                row.map(Ticket::try_from).transpose()
            }

            async fn list_tickets(&self, town: &str, f: &TicketFilter, page: &Page) -> ServiceResult<Vec<Ticket>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS).push(" FROM tickets WHERE town = ").push_bind(town.to_owned());
                push_filter!(q, f);
                if let Some(after) = &page.after {
                    q.push(" AND id < ").push_bind(after.clone());
                }
                // Newest first: ids are time-ordered.
                q.push(" ORDER BY id DESC LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Ticket::try_from).collect()
            }

            async fn tickets_created_between(&self, town: &str, f: &TicketFilter, from_ms: i64, to_ms: i64) -> ServiceResult<Vec<Ticket>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS).push(" FROM tickets WHERE town = ").push_bind(town.to_owned());
                push_filter!(q, f);
                q.push(" AND created_at >= ").push_bind(from_ms);
                q.push(" AND created_at < ").push_bind(to_ms);
                q.push(" ORDER BY id LIMIT 200000");
                let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Ticket::try_from).collect()
            }

            async fn save_transition(&self, expected_version: i64, t: &Ticket, events: &[TicketEvent]) -> ServiceResult<Ticket> {
                let mut tx = self.pool.begin().await?;
                if !Self::write_ticket(&mut tx, expected_version, t).await? {
                    return Err(changed_meanwhile());
                }
                Self::insert_events(&mut tx, &t.town, events).await?;
                tx.commit().await?;
                Ok(Ticket { version: expected_version + 1, ..t.clone() })
            }

            async fn save_transitions(&self, changes: &[(i64, Ticket, Vec<TicketEvent>)]) -> ServiceResult<()> {
                let mut tx = self.pool.begin().await?;
                for (expected_version, t, events) in changes {
                    if !Self::write_ticket(&mut tx, *expected_version, t).await? {
                        return Err(changed_meanwhile());
                    }
                    Self::insert_events(&mut tx, &t.town, events).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn timeline(&self, ticket_id: &str) -> ServiceResult<Vec<TicketEvent>> {
                let rows: Vec<EventRow> = sqlx::query_as(
                    "SELECT id, ticket_id, action, from_status, to_status, actor, at_ms, note, level, remarks, unit_id FROM ticket_events \
                     WHERE ticket_id = $1 ORDER BY at_ms, id LIMIT 1000",
                )
                .bind(ticket_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TicketEvent::try_from).collect()
            }

            async fn routing_overrides(&self, town: &str) -> ServiceResult<Vec<RoutingRule>> {
                let rows: Vec<RuleRow> = sqlx::query_as(
                    "SELECT town, category, target, response_amount, response_unit, resolution_amount, resolution_unit, \
                     sign_amount, sign_unit, initial_level, owner_reps_co_handle FROM routing_rules \
                     WHERE town = $1 ORDER BY category",
                )
                .bind(town)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(RoutingRule::try_from).collect()
            }

            async fn set_routing_rule(&self, r: &RoutingRule, actor: &str) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO routing_rules (town, category, target, response_amount, response_unit, resolution_amount, \
                     resolution_unit, sign_amount, sign_unit, initial_level, owner_reps_co_handle, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (town, category) DO UPDATE SET target = excluded.target, \
                     response_amount = excluded.response_amount, response_unit = excluded.response_unit, \
                     resolution_amount = excluded.resolution_amount, resolution_unit = excluded.resolution_unit, \
                     sign_amount = excluded.sign_amount, sign_unit = excluded.sign_unit, \
                     initial_level = excluded.initial_level, owner_reps_co_handle = excluded.owner_reps_co_handle, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&r.town)
                .bind(r.category.as_str())
                .bind(r.target.as_str())
                .bind(i64::from(r.response.amount))
                .bind(r.response.unit.as_str())
                .bind(i64::from(r.resolution.amount))
                .bind(r.resolution.unit.as_str())
                .bind(i64::from(r.sign.amount))
                .bind(r.sign.unit.as_str())
                .bind(i64::from(r.initial_level))
                .bind(r.owner_reps_co_handle)
                .bind(actor)
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn calendar_years(&self, town: &str) -> ServiceResult<Vec<YearCalendar>> {
                let years: Vec<CalendarYearRow> = sqlx::query_as(
                    "SELECT year, office_start_minute, office_end_minute, updated_by, updated_at \
                     FROM calendar_years WHERE town = $1 ORDER BY year",
                )
                .bind(town)
                .fetch_all(&self.pool)
                .await?;
                let days: Vec<CalendarDayRow> =
                    sqlx::query_as("SELECT year, day, kind, name FROM calendar_days WHERE town = $1 ORDER BY day")
                        .bind(town)
                        .fetch_all(&self.pool)
                        .await?;
                calendar_from_rows(town, years, days)
            }

            async fn set_calendar_year(&self, c: &YearCalendar) -> ServiceResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO calendar_years (town, year, office_start_minute, office_end_minute, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (town, year) DO UPDATE SET \
                     office_start_minute = excluded.office_start_minute, office_end_minute = excluded.office_end_minute, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&c.town)
                .bind(i64::from(c.year))
                .bind(i64::from(c.office.start_minute))
                .bind(i64::from(c.office.end_minute))
                .bind(&c.updated_by)
                .bind(c.updated_at_ms)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM calendar_days WHERE town = $1 AND year = $2")
                    .bind(&c.town)
                    .bind(i64::from(c.year))
                    .execute(&mut *tx)
                    .await?;
                if !c.days.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO calendar_days (town, year, day, kind, name) ");
                    q.push_values(&c.days, |mut row, d| {
                        row.push_bind(&c.town)
                            .push_bind(i64::from(c.year))
                            .push_bind(d.date.format("%Y-%m-%d").to_string())
                            .push_bind(d.kind.as_str())
                            .push_bind(&d.name);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn escalate_overdue(&self, now: i64, window: i64, limit: i64) -> ServiceResult<Vec<Escalated>> {
                let mut out = Vec::new();
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, level, responded_at, respond_by, signed_at IS NULL AND sign_by < ",
                );
                q.push_bind(now);
                q.push(" AND status IN ('assigned', 'reopened') FROM tickets WHERE status IN ");
                q.push(OPEN_STATUSES);
                q.push(" AND unit_id IS NOT NULL AND ((level = 0) OR (level = 1 AND escalated_l1_at < ")
                    .push_bind(now - window)
                    .push(")) AND ((responded_at IS NULL AND respond_by < ")
                    .push_bind(now)
                    .push(") OR resolve_by < ")
                    .push_bind(now)
                    // Not signed for in time (签收超时) escalates like a late response.
                    .push(" OR (signed_at IS NULL AND sign_by < ")
                    .push_bind(now)
                    .push(" AND status IN ('assigned', 'reopened'))) ORDER BY id LIMIT ")
                    .push_bind(limit);
                let candidates: Vec<(String, i64, Option<i64>, Option<i64>, Option<bool>)> =
                    q.build_query_as().fetch_all(&self.pool).await?;
                for (id, level, responded_at, respond_by, sign_late) in candidates {
                    let level = u32::try_from(level).unwrap_or(0);
                    let why = match level {
                        0 if sign_late == Some(true) => EventRemark::SignForOverdue,
                        0 if responded_at.is_none() && respond_by.is_some_and(|r| r < now) => EventRemark::ResponseOverdue,
                        0 => EventRemark::ResolutionOverdue,
                        _ => EventRemark::StillOverdue,
                    };
                    if self.escalate_if_still(&id, level, now, why).await? {
                        out.push(Escalated { ticket_id: id, level: level + 1 });
                    }
                }
                Ok(out)
            }

            async fn unrouted(&self, limit: i64) -> ServiceResult<Vec<Ticket>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS)
                    .push(" FROM tickets WHERE unit_id IS NULL AND status = 'received' ORDER BY id LIMIT ")
                    .push_bind(limit);
                let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Ticket::try_from).collect()
            }

            async fn events_after(&self, town: &str, after_id: &str, limit: i64) -> ServiceResult<Vec<TicketEvent>> {
                let rows: Vec<EventRow> = sqlx::query_as(
                    "SELECT id, ticket_id, action, from_status, to_status, actor, at_ms, note, level, remarks, unit_id FROM ticket_events \
                     WHERE town = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(town)
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TicketEvent::try_from).collect()
            }

            async fn count_tickets(&self, town: &str) -> ServiceResult<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE town = $1")
                    .bind(town)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n as u64)
            }

            async fn open_ticket_counts(&self, now_ms: i64) -> ServiceResult<Vec<(String, i64, i64, i64)>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT status, level, COUNT(*), SUM(CASE WHEN unit_id IS NOT NULL AND ((responded_at IS NULL AND respond_by < ");
                q.push_bind(now_ms).push(") OR resolve_by < ").push_bind(now_ms).push(") THEN 1 ELSE 0 END) FROM tickets WHERE status IN ");
                q.push(OPEN_STATUSES).push(" GROUP BY status, level");
                Ok(q.build_query_as::<(String, i64, i64, i64)>().fetch_all(&self.pool).await?)
            }

            async fn tally(
                &self,
                town: &str,
                county: Option<&str>,
                range_ms: (i64, i64),
                now_ms: i64,
            ) -> ServiceResult<Vec<TallyRow>> {
                let sql = super::tally::tally_sql::<$db>(county.is_some(), range_ms, now_ms);
                let mut q = sqlx::query_as::<_, TallyRow>(sqlx::AssertSqlSafe(sql)).bind(town);
                if let Some(county) = county {
                    q = q.bind(county);
                }
                // Unprepared: planned per call, it sees the period's actual bounds.
                Ok(q.persistent(false).fetch_all(&self.pool).await?)
            }

            async fn unit_work(
                &self,
                town: &str,
                county: Option<&str>,
                (from, to): (i64, i64),
                now: i64,
            ) -> ServiceResult<Vec<UnitWork>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(UNIT_EVENT_COUNTS);
                q.push_bind(town).push(" AND at_ms >= ").push_bind(from).push(" AND at_ms < ").push_bind(to);
                q.push(" AND unit_id IS NOT NULL");
                if let Some(county) = county {
                    q.push(" AND ticket_id IN (SELECT id FROM tickets WHERE county = ").push_bind(county).push(")");
                }
                q.push(" GROUP BY unit_id");
                let events: Vec<UnitEventCounts> = q.build_query_as().fetch_all(&self.pool).await?;
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT unit_id, MAX(unit_name) AS unit_name, MAX(unit_type) AS unit_type, ");
                q.push("SUM(CASE WHEN sign_by IS NOT NULL AND (signed_at IS NOT NULL OR sign_by < ").push_bind(now);
                q.push(") THEN 1 ELSE 0 END) AS sign_due, ");
                q.push("SUM(CASE WHEN signed_at <= sign_by THEN 1 ELSE 0 END) AS signed_in_time, ");
                q.push("SUM(CASE WHEN status IN ('resolved', 'verified', 'closed') OR resolve_by < ").push_bind(now);
                q.push(" THEN 1 ELSE 0 END) AS resolution_due, ");
                q.push(
                    "SUM(CASE WHEN status IN ('resolved', 'verified', 'closed') AND resolved_at <= resolve_by THEN 1 ELSE 0 END) AS resolved_in_time, \
                     SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END) AS rated, \
                     SUM(CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END) AS satisfied \
                     FROM tickets WHERE town = ",
                );
                q.push_bind(town).push(" AND created_at >= ").push_bind(from).push(" AND created_at < ").push_bind(to);
                q.push(" AND unit_id IS NOT NULL AND merged_into IS NULL");
                if let Some(county) = county {
                    q.push(" AND county = ").push_bind(county);
                }
                q.push(" GROUP BY unit_id");
                let held: Vec<UnitTicketCounts> = q.build_query_as().fetch_all(&self.pool).await?;
                let names = self.unit_names(town, events.iter().map(|e| e.unit_id.as_str())).await?;
                Ok(merge_unit_work(events, held, names))
            }

            async fn return_counts(
                &self,
                town: &str,
                county: Option<&str>,
                (from, to): (i64, i64),
            ) -> ServiceResult<Vec<ReturnCount>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT t.category, e.unit_id, \
                     SUM(CASE WHEN e.action = 'reject' THEN 1 ELSE 0 END) AS returns, \
                     SUM(CASE WHEN e.action = 'overrule_return' THEN 1 ELSE 0 END) AS overruled \
                     FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e.town = ",
                );
                q.push_bind(town).push(" AND e.at_ms >= ").push_bind(from).push(" AND e.at_ms < ").push_bind(to);
                q.push(" AND e.unit_id IS NOT NULL AND e.action IN ('reject', 'overrule_return')");
                if let Some(county) = county {
                    q.push(" AND t.county = ").push_bind(county);
                }
                q.push(" GROUP BY t.category, e.unit_id ORDER BY returns DESC, t.category, e.unit_id LIMIT 1000");
                let rows: Vec<(String, String, i64, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
                let names = self.unit_names(town, rows.iter().map(|r| r.1.as_str())).await?;
                rows.into_iter()
                    .map(|(category, unit_id, returns, overruled)| {
                        let (unit_name, unit_type) = names
                            .iter()
                            .find(|(id, _, _)| *id == unit_id)
                            .map(|(_, n, t)| (n.clone().unwrap_or_default(), t.clone().unwrap_or_default()))
                            .unwrap_or_default();
                        Ok(ReturnCount {
                            category: Category::parse(&category).ok_or_else(|| corrupt("tickets.category", &category))?,
                            unit_id,
                            unit_name,
                            unit_type,
                            returns: u32::try_from(returns).unwrap_or(0),
                            overruled: u32::try_from(overruled).unwrap_or(0),
                        })
                    })
                    .collect()
            }

            async fn return_reasons(&self, town: &str) -> ServiceResult<Vec<TownReturnReason>> {
                let rows: Vec<(String, String, bool)> = sqlx::query_as(
                    "SELECT code, label, active FROM return_reasons WHERE town = $1 ORDER BY position",
                )
                .bind(town)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(code, label, active)| TownReturnReason { built_in: ReturnReason::parse(&code).is_some(), code, label, active })
                    .collect())
            }

            async fn set_return_reasons(&self, town: &str, reasons: &[TownReturnReason], by: &str, at_ms: i64) -> ServiceResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM return_reasons WHERE town = $1").bind(town).execute(&mut *tx).await?;
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO return_reasons (town, position, code, label, active, updated_by, updated_at) ",
                );
                q.push_values(reasons.iter().enumerate(), |mut row, (i, r)| {
                    row.push_bind(town.to_owned())
                        .push_bind(i as i64)
                        .push_bind(r.code.clone())
                        .push_bind(r.label.clone())
                        .push_bind(r.active)
                        .push_bind(by.to_owned())
                        .push_bind(at_ms);
                });
                q.build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reply_templates(&self, town: &str) -> ServiceResult<Vec<ReplyTemplate>> {
                let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT category, headings, guidance, updated_by, updated_at FROM reply_templates WHERE town = $1 ORDER BY category",
                )
                .bind(town)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(category, headings, guidance, updated_by, updated_at_ms)| {
                        Ok(ReplyTemplate {
                            town: town.to_owned(),
                            category: Category::parse(&category).ok_or_else(|| corrupt("reply_templates.category", &category))?,
                            headings: headings.lines().map(str::to_owned).collect(),
                            guidance,
                            customised: true,
                            updated_by,
                            updated_at_ms,
                        })
                    })
                    .collect()
            }

            async fn set_reply_template(&self, t: &ReplyTemplate) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO reply_templates (town, category, headings, guidance, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (town, category) DO UPDATE SET \
                     headings = excluded.headings, guidance = excluded.guidance, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&t.town)
                .bind(t.category.as_str())
                .bind(t.headings.join("\n"))
                .bind(&t.guidance)
                .bind(&t.updated_by)
                .bind(t.updated_at_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn warn_nearly_due(&self, now: i64, percent: u32, limit: i64) -> ServiceResult<Vec<String>> {
                // The predicate of the tickets_to_warn index (migration 0013), word for word, so the
                // planner reads only the open, unwarned tickets whose deadline is still ahead.
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id FROM tickets WHERE warned_at IS NULL AND status IN ('assigned', 'accepted', 'reopened') \
                     AND resolve_by > ",
                );
                q.push_bind(now);
                q.push(" AND assigned_at IS NOT NULL AND (").push_bind(now);
                q.push(" - assigned_at) * 100 >= ").push_bind(i64::from(percent));
                q.push(" * (resolve_by - assigned_at) ORDER BY resolve_by LIMIT ").push_bind(limit);
                let candidates: Vec<String> = q.build_query_scalar().fetch_all(&self.pool).await?;
                let mut warned = Vec::new();
                for id in candidates {
                    if self.warn_if_still(&id, now).await? {
                        warned.push(id);
                    }
                }
                Ok(warned)
            }
            }
        }
    };
}

/// Per unit, what it did in the period as the timeline records it.
const UNIT_EVENT_COUNTS: &str = "SELECT unit_id, \
     SUM(CASE WHEN action IN ('assign', 'reassign') THEN 1 ELSE 0 END) AS dispatched, \
     SUM(CASE WHEN action = 'reject' THEN 1 ELSE 0 END) AS returned, \
     SUM(CASE WHEN action = 'resolve' THEN 1 ELSE 0 END) AS resolved, \
     SUM(CASE WHEN to_status = 'reopened' AND from_status IN ('resolved', 'verified', 'closed') THEN 1 ELSE 0 END) AS redone, \
     SUM(CASE WHEN action = 'request_extension' THEN 1 ELSE 0 END) AS extension_requests \
     FROM ticket_events WHERE town = ";

#[derive(FromRow)]
struct UnitEventCounts {
    unit_id: String,
    dispatched: i64,
    returned: i64,
    resolved: i64,
    redone: i64,
    extension_requests: i64,
}

#[derive(FromRow)]
struct UnitTicketCounts {
    unit_id: String,
    unit_name: Option<String>,
    unit_type: Option<String>,
    sign_due: i64,
    signed_in_time: i64,
    resolution_due: i64,
    resolved_in_time: i64,
    rated: i64,
    satisfied: i64,
}

/// One row per unit that appears in either count, ordered by unit id.
fn merge_unit_work(
    events: Vec<UnitEventCounts>,
    held: Vec<UnitTicketCounts>,
    names: Vec<(String, Option<String>, Option<String>)>,
) -> Vec<UnitWork> {
    use std::collections::BTreeMap;
    let count = |v: i64| u32::try_from(v).unwrap_or(0);
    let mut units: BTreeMap<String, UnitWork> = BTreeMap::new();
    fn entry<'a>(
        units: &'a mut BTreeMap<String, UnitWork>,
        id: &str,
        name: Option<String>,
        unit_type: Option<String>,
    ) -> &'a mut UnitWork {
        let w = units.entry(id.to_owned()).or_insert_with(|| UnitWork { unit_id: id.to_owned(), ..Default::default() });
        if w.unit_name.is_empty() {
            w.unit_name = name.unwrap_or_default();
            w.unit_type = unit_type.unwrap_or_default();
        }
        w
    }
    for (id, name, unit_type) in names {
        entry(&mut units, &id, name, unit_type);
    }
    for e in events {
        let w = entry(&mut units, &e.unit_id, None, None);
        w.dispatched = count(e.dispatched);
        w.returned = count(e.returned);
        w.resolved = count(e.resolved);
        w.redone = count(e.redone);
        w.extension_requests = count(e.extension_requests);
    }
    for h in held {
        let w = entry(&mut units, &h.unit_id, h.unit_name, h.unit_type);
        w.sign_due = count(h.sign_due);
        w.signed_in_time = count(h.signed_in_time);
        w.resolution_due = count(h.resolution_due);
        w.resolved_in_time = count(h.resolved_in_time);
        w.rated = count(h.rated);
        w.satisfied = count(h.satisfied);
    }
    units.into_values().collect()
}

/// Appends the filter's conditions (all bound, never formatted in).
macro_rules! push_filter {
    ($q:ident, $f:ident) => {
        if let Some(v) = $f.status {
            $q.push(" AND status = ").push_bind(v.as_str());
        }
        if let Some(v) = $f.category {
            $q.push(" AND category = ").push_bind(v.as_str());
        }
        if let Some(v) = &$f.estate_id {
            $q.push(" AND estate_id = ").push_bind(v.clone());
        }
        if let Some(v) = &$f.unit_id {
            $q.push(" AND unit_id = ").push_bind(v.clone());
        }
        if let Some(v) = $f.level {
            $q.push(" AND level = ").push_bind(i64::from(v));
        }
        if let Some(v) = $f.source {
            $q.push(" AND source = ").push_bind(v.as_str());
        }
        if let Some(v) = $f.from_ms {
            $q.push(" AND created_at >= ").push_bind(v);
        }
        if let Some(v) = $f.to_ms {
            $q.push(" AND created_at < ").push_bind(v);
        }
        if $f.open_only {
            $q.push(" AND status IN ").push(OPEN_STATUSES);
        }
        if $f.possible_repeats {
            $q.push(" AND repeat_of IS NOT NULL AND merged_into IS NULL");
        }
        if let Some(v) = &$f.submitted_by {
            $q.push(" AND submitted_by = ").push_bind(v.clone());
        }
        if let Some(v) = $f.reached_county_from_ms {
            $q.push(" AND escalated_l2_at >= ").push_bind(v);
        }
        if let Some(v) = $f.reached_county_to_ms {
            $q.push(" AND escalated_l2_at < ").push_bind(v);
        }
        if let Some(v) = $f.open_at_ms {
            $q.push(" AND (status IN ").push(OPEN_STATUSES);
            $q.push(" OR resolved_at >= ").push_bind(v).push(")");
        }
        if let Some(v) = $f.due_before_ms {
            $q.push(" AND ((status IN ").push(OPEN_STATUSES);
            $q.push(" AND unit_id IS NOT NULL AND ((responded_at IS NULL AND respond_by < ").push_bind(v);
            $q.push(") OR resolve_by < ").push_bind(v);
            $q.push(" OR (signed_at IS NULL AND sign_by < ").push_bind(v);
            $q.push(" AND status IN ('assigned', 'reopened')))) OR (status = 'resolved' AND callback_by < ")
                .push_bind(v);
            $q.push("))");
        }
        if let Some(overdue) = $f.overdue {
            $q.push(if overdue { " AND " } else { " AND NOT " });
            $q.push("(status IN ").push(OPEN_STATUSES);
            $q.push(" AND unit_id IS NOT NULL AND ((responded_at IS NULL AND respond_by < ").push_bind($f.now_ms);
            $q.push(") OR resolve_by < ").push_bind($f.now_ms).push("))");
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);
