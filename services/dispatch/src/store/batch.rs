//! What one group-committed intake batch writes (see `crate::group_commit`): which of its
//! complaints are new, which repeat a key, which are possible repeats of which — and how each
//! backend writes it. Postgres writes the whole batch as one statement (data-modifying WITH,
//! one array per column), committed on its own: one round trip, and one text whatever the batch
//! size, so it is prepared once per connection (sqlx sends an unprepared statement in two round
//! trips: parse and describe, then execute). SQLite, in process, has no round trips to save and
//! no data-modifying WITH: it writes statement by statement in one write transaction, listing
//! the rows (`VALUES`).

use super::NewTicket;
use super::sql::OPEN_STATUSES;
use crate::model::*;
use sqlx::QueryBuilder;
use wuguan_platform::db::now_ms;

/// What differs per backend for every store method: how many intake writers, and how a
/// change's events are inserted.
pub(super) trait IntakeSql: sqlx::Database + Sized {
    /// Batches written at once (`DispatchStore::INTAKE_WRITERS`).
    const INTAKE_WRITERS: usize;
    /// Events with their tickets' towns, in one statement.
    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self>;
}

/// Whether `t` may repeat `earlier` of the same batch: same estate and category, within its window.
fn repeats(t: &Ticket, earlier: &Ticket, since_ms: i64) -> bool {
    earlier.town == t.town
        && earlier.estate_id == t.estate_id
        && earlier.category == t.category
        && earlier.created_at_ms >= since_ms
}

/// The complaints of the batch still to be written, in order.
fn fresh<'a>(batch: &'a [NewTicket], written: &[Written]) -> Vec<&'a NewTicket> {
    batch.iter().zip(written).filter(|(_, w)| matches!(w, Written::Fresh)).map(|(item, _)| item).collect()
}

/// For each complaint to be written, the id of the first earlier one in the batch about the
/// same estate and category within its window: what it repeats when nothing stored does.
fn batch_firsts(fresh: &[&NewTicket]) -> Vec<Option<String>> {
    fresh
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let since = item.repeats_since_ms?;
            let t = &item.ticket;
            fresh[..k].iter().map(|e| &e.ticket).find(|e| repeats(t, e, since)).map(|e| e.id.clone())
        })
        .collect()
}

/// Applies what the one statement wrote: each complaint to be written is stored (with the
/// repeat the database found), or its key was already taken.
pub(super) fn apply_whole_batch(
    batch: &[NewTicket],
    written: &mut [Written],
    rows: Vec<(String, Option<String>)>,
) -> Result<(), sqlx::Error> {
    let mut stored: std::collections::HashMap<String, Option<String>> = rows.into_iter().collect();
    for (item, w) in batch.iter().zip(written.iter_mut()) {
        if !matches!(w, Written::Fresh) {
            continue;
        }
        *w = match stored.remove(&item.ticket.id) {
            Some(repeat_of) => Written::Stored(Box::new(Ticket { repeat_of, ..item.ticket.clone() })),
            None if item.key.is_some() => Written::KeyTaken,
            None => return Err(sqlx::Error::Protocol(format!("ticket {} was not written", item.ticket.id))),
        };
    }
    Ok(())
}

const CLAIM_KEYS: &str = "INSERT INTO intake_keys (scope, idempotency_key, request_hash, ticket_id, created_at) ";
const CLAIMED: &str = " ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING ticket_id";
const TICKET_INSERT: &str = "INSERT INTO tickets (id, town, county, tracking_code, estate_id, estate_name, category, \
     source, description, status, level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, \
     measures, co_handlers, reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, \
     responded_at, resolved_at, satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, repeat_of, \
     merged_into, sign_by, signed_at, assigned_at, return_by) ";
const EVENT_INSERT: &str = "INSERT INTO ticket_events (id, ticket_id, town, action, from_status, to_status, actor, at_ms, note, level, remarks, unit_id) ";

/// The earliest open, unmerged ticket about lookup `u`'s estate and category since its moment:
/// an index range read of tickets_repeat_lookup that stops at the first open row.
fn repeat_subquery() -> String {
    format!(
        "(SELECT t.id FROM tickets t WHERE t.town = u.town AND t.estate_id = u.estate_id AND t.category = u.category \
         AND t.created_at >= u.since_ms AND t.merged_into IS NULL AND t.status IN {OPEN_STATUSES} \
         ORDER BY t.created_at, t.id LIMIT 1)"
    )
}

impl IntakeSql for sqlx::Sqlite {
    // One writer: SQLite has one, and a second batch would only wait for its lock.
    const INTAKE_WRITERS: usize = 1;

    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self> {
        sqlite_insert_events(events)
    }
}

impl super::SqliteStore {
    /// The batch statement by statement in one write transaction.
    pub(super) async fn write_and_commit(&self, batch: &[NewTicket]) -> Result<Vec<Written>, sqlx::Error> {
        let mut written = plan_keys(batch);
        // Write-first (BEGIN IMMEDIATE): a deferred transaction that reads before it writes
        // cannot take the write lock if another writer got in between.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let keyed: Vec<(&crate::store::IntakeKey, &str)> = batch
            .iter()
            .zip(&written)
            .filter(|(_, w)| matches!(w, Written::Fresh))
            .filter_map(|(item, _)| item.key.as_ref().map(|k| (k, item.ticket.id.as_str())))
            .collect();
        if !keyed.is_empty() {
            let claimed: std::collections::HashSet<String> = sqlite_claim_keys(&keyed, now_ms())
                .build_query_scalar()
                .persistent(false)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            for (item, w) in batch.iter().zip(written.iter_mut()) {
                if item.key.is_some() && matches!(w, Written::Fresh) && !claimed.contains(&item.ticket.id) {
                    *w = Written::KeyTaken;
                }
            }
        }
        let mut tickets: Vec<(usize, Ticket)> = batch
            .iter()
            .enumerate()
            .filter(|(i, _)| matches!(written[*i], Written::Fresh))
            .map(|(i, item)| (i, item.ticket.clone()))
            .collect();
        if tickets.is_empty() {
            tx.commit().await?;
            return Ok(written);
        }
        let lookups = RepeatLookups::of(batch, &tickets);
        if !lookups.keys.is_empty() {
            let found: Vec<(i64, Option<String>)> =
                sqlite_repeat_lookup(&lookups.keys).build_query_as().persistent(false).fetch_all(&mut *tx).await?;
            lookups.mark(&mut tickets, found, batch_firsts(&fresh(batch, &written)));
        }
        sqlite_insert_tickets(&tickets).build().persistent(false).execute(&mut *tx).await?;
        let events: Vec<(&str, &TicketEvent)> =
            tickets.iter().flat_map(|(i, t)| batch[*i].events.iter().map(move |e| (t.town.as_str(), e))).collect();
        if !events.is_empty() {
            sqlite_insert_events(&events).build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        for (i, t) in tickets {
            written[i] = Written::Stored(Box::new(t));
        }
        Ok(written)
    }
}

fn sqlite_claim_keys(keys: &[(&crate::store::IntakeKey, &str)], at_ms: i64) -> QueryBuilder<sqlx::Sqlite> {
    let mut q = QueryBuilder::new(CLAIM_KEYS);
    q.push_values(keys, |mut row, (k, ticket_id)| {
        row.push_bind(k.scope.clone())
            .push_bind(k.key.clone())
            .push_bind(k.request_hash.clone())
            .push_bind(ticket_id.to_string())
            .push_bind(at_ms);
    });
    q.push(CLAIMED);
    q
}

/// `(n, the oldest open ticket's id or NULL)` for each lookup `n`.
fn sqlite_repeat_lookup(keys: &[RepeatKey]) -> QueryBuilder<sqlx::Sqlite> {
    let mut q = QueryBuilder::new("SELECT u.n, ");
    q.push(repeat_subquery()).push(" FROM (SELECT -1 AS n, '' AS town, '' AS estate_id, '' AS category, 0 AS since_ms");
    // The first row names the columns (SQLite's VALUES cannot) and matches nothing.
    for (n, k) in keys.iter().enumerate() {
        q.push(" UNION ALL SELECT ").push_bind(n as i64);
        q.push(", ").push_bind(k.town.clone());
        q.push(", ").push_bind(k.estate_id.clone());
        q.push(", ").push_bind(k.category);
        q.push(", ").push_bind(k.since_ms);
    }
    q.push(") AS u WHERE u.n >= 0");
    q
}

fn sqlite_insert_tickets(tickets: &[(usize, Ticket)]) -> QueryBuilder<sqlx::Sqlite> {
    let mut q = QueryBuilder::new(TICKET_INSERT);
    q.push_values(tickets, |mut row, (_, t)| {
        let a = t.assignment.as_ref();
        row.push_bind(t.id.clone())
            .push_bind(t.town.clone())
            .push_bind(t.county.clone())
            .push_bind(t.tracking_code.clone())
            .push_bind(t.estate_id.clone())
            .push_bind(t.estate_name.clone())
            .push_bind(t.category.as_str())
            .push_bind(t.source.as_str())
            .push_bind(t.description.clone())
            .push_bind(t.status.as_str())
            .push_bind(i64::from(t.level))
            .push_bind(a.map(|a| a.unit_type.clone()))
            .push_bind(a.map(|a| a.unit_id.clone()))
            .push_bind(a.map(|a| a.unit_name.clone()))
            .push_bind(a.map(|a| a.person_id.clone()))
            .push_bind(a.map(|a| a.person_name.clone()))
            .push_bind(a.map(|a| a.respond_by_ms))
            .push_bind(a.map(|a| a.resolve_by_ms))
            .push_bind(a.map(|a| a.measures.clone()).unwrap_or_default())
            .push_bind(a.map(|a| a.co_handler_unit_ids.join(",")).unwrap_or_default())
            .push_bind(t.reporter.name.clone())
            .push_bind(t.reporter.phone.clone())
            .push_bind(t.reporter.anonymous)
            .push_bind(t.submitted_by.clone())
            .push_bind(t.created_at_ms)
            .push_bind(t.updated_at_ms)
            .push_bind(t.responded_at_ms)
            .push_bind(t.resolved_at_ms)
            .push_bind(t.satisfaction.map(|s| s.as_str()))
            .push_bind(t.escalated_l1_at_ms)
            .push_bind(t.escalated_l2_at_ms)
            .push_bind(t.county_report)
            .push_bind(t.version)
            .push_bind(t.repeat_of.clone())
            .push_bind(t.merged_into.clone())
            .push_bind(a.map(|a| a.sign_by_ms).filter(|ms| *ms != 0))
            .push_bind(a.and_then(|a| a.signed_at_ms))
            .push_bind(a.map(|a| a.assigned_at_ms).filter(|ms| *ms != 0))
            .push_bind(a.map(|a| a.return_by_ms).filter(|ms| *ms != 0));
    });
    q
}

fn sqlite_insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<sqlx::Sqlite> {
    let mut q = QueryBuilder::new(EVENT_INSERT);
    q.push_values(events, |mut row, (town, e)| {
        row.push_bind(e.id.clone())
            .push_bind(e.ticket_id.clone())
            .push_bind(town.to_string())
            .push_bind(e.action.clone())
            .push_bind(e.from_status.map(|s| s.as_str()))
            .push_bind(e.to_status.as_str())
            .push_bind(e.actor.clone())
            .push_bind(e.at_ms)
            .push_bind(e.note.clone())
            .push_bind(i64::from(e.level))
            .push_bind(Remark::encode(&e.remarks))
            .push_bind(e.unit_id.clone());
    });
    q
}

/// One array per column, bound as a Postgres array.
fn column<T, R>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

impl IntakeSql for sqlx::Postgres {
    // Two cores: while one batch waits for its commit to reach the disk, others are written.
    const INTAKE_WRITERS: usize = 4;

    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self> {
        let mut q = QueryBuilder::new(EVENT_INSERT);
        q.push("SELECT * FROM UNNEST(");
        push_event_arrays(&mut q, events);
        q.push(")");
        q
    }
}

impl super::PgStore {
    /// The whole batch as one statement, committed on its own.
    pub(super) async fn write_and_commit(&self, batch: &[NewTicket]) -> Result<Vec<Written>, sqlx::Error> {
        let mut written = plan_keys(batch);
        let rows: Vec<(String, Option<String>)> =
            pg_whole_batch(batch, &written, now_ms()).build_query_as().persistent(true).fetch_all(&self.pool).await?;
        apply_whole_batch(batch, &mut written, rows)?;
        Ok(written)
    }
}

/// Keys, repeat lookups, tickets and events in one statement; returns `(id, repeat_of)` of each
/// ticket written.
fn pg_whole_batch(batch: &[NewTicket], written: &[Written], at_ms: i64) -> QueryBuilder<sqlx::Postgres> {
    let fresh = fresh(batch, written);
    let tickets: Vec<&Ticket> = fresh.iter().map(|item| &item.ticket).collect();
    let events: Vec<(&str, &TicketEvent)> =
        fresh.iter().flat_map(|item| item.events.iter().map(move |e| (item.ticket.town.as_str(), e))).collect();
    let mut q = QueryBuilder::new("WITH u AS (SELECT * FROM UNNEST(");
    push_ticket_arrays(&mut q, &tickets);
    q.push(", ").push_bind(column(&fresh, |i| i.key.as_ref().map(|k| k.scope.clone()))).push("::text[]");
    q.push(", ").push_bind(column(&fresh, |i| i.key.as_ref().map(|k| k.key.clone()))).push("::text[]");
    q.push(", ").push_bind(column(&fresh, |i| i.key.as_ref().map(|k| k.request_hash.clone()))).push("::text[]");
    q.push(", ").push_bind(column(&fresh, |i| i.repeats_since_ms)).push("::int8[]");
    q.push(", ").push_bind(batch_firsts(&fresh)).push("::text[]");
    q.push(
            ") AS u (id, town, county, tracking_code, estate_id, estate_name, category, source, description, status, \
             level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, measures, co_handlers, \
             reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, responded_at, resolved_at, \
             satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, repeat_of, merged_into, \
             sign_by, signed_at, assigned_at, return_by, key_scope, key_name, key_hash, since_ms, batch_first)), ",
        );
    // A concurrent retry with the same key waits on the claim here; one that finds it
    // claimed gets nothing back, and its first ticket is looked up after the statement.
    q.push(
        "claimed AS (INSERT INTO intake_keys (scope, idempotency_key, request_hash, ticket_id, created_at) \
             SELECT key_scope, key_name, key_hash, id, ",
    );
    q.push_bind(at_ms);
    q.push(
        " FROM u WHERE key_scope IS NOT NULL ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING ticket_id), \
             fresh AS (SELECT u.*, CASE WHEN u.since_ms IS NULL THEN NULL ELSE ",
    );
    q.push(repeat_subquery());
    q.push(
        " END AS stored_repeat FROM u WHERE u.key_scope IS NULL OR u.id IN (SELECT ticket_id FROM claimed)), \
             inserted AS (",
    );
    q.push(TICKET_INSERT);
    q.push(
            "SELECT id, town, county, tracking_code, estate_id, estate_name, category, source, description, status, \
             level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, measures, co_handlers, \
             reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, responded_at, resolved_at, \
             satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, \
             CASE WHEN since_ms IS NULL THEN repeat_of \
                  ELSE COALESCE(stored_repeat, CASE WHEN batch_first IN (SELECT id FROM fresh) THEN batch_first END) END, \
             merged_into, sign_by, signed_at, assigned_at, return_by FROM fresh RETURNING id, repeat_of), \
             events AS (",
        );
    q.push(EVENT_INSERT);
    q.push("SELECT e.* FROM UNNEST(");
    push_event_arrays(&mut q, &events);
    q.push(
        ") AS e (id, ticket_id, town, action, from_status, to_status, actor, at_ms, note, level, remarks, unit_id) \
             WHERE e.ticket_id IN (SELECT id FROM inserted)) SELECT id, repeat_of FROM inserted",
    );
    q
}

/// What became of one complaint of a batch.
#[derive(Debug)]
pub(super) enum Written {
    /// To be written (before the transaction), or not written after all.
    Fresh,
    Stored(Box<Ticket>),
    /// Its key was already stored: the first ticket is looked up after commit.
    KeyTaken,
    /// An earlier complaint of the same batch had the same key and body: same outcome.
    SameKeyAs(usize),
    /// An earlier complaint of the same batch had the same key and another body.
    Conflict,
}

/// Keys repeated within a batch: the first use is written, the others follow it.
pub(super) fn plan_keys(batch: &[NewTicket]) -> Vec<Written> {
    let mut first: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    batch
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Some(k) = &item.key else { return Written::Fresh };
            match first.entry((k.scope.as_str(), k.key.as_str())) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                    Written::Fresh
                }
                std::collections::hash_map::Entry::Occupied(e) => {
                    let j = *e.get();
                    match &batch[j].key {
                        Some(earlier) if earlier.request_hash == k.request_hash => Written::SameKeyAs(j),
                        _ => Written::Conflict,
                    }
                }
            }
        })
        .collect()
}

/// One possible-repeat lookup: an estate and category from a moment on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RepeatKey {
    town: String,
    estate_id: String,
    category: &'static str,
    since_ms: i64,
}

/// The distinct lookups of a batch's new tickets, and which one each ticket needs.
pub(super) struct RepeatLookups {
    pub(super) keys: Vec<RepeatKey>,
    of_ticket: Vec<Option<usize>>,
}

impl RepeatLookups {
    pub(super) fn of(batch: &[NewTicket], tickets: &[(usize, Ticket)]) -> Self {
        let mut keys = Vec::new();
        let of_ticket = tickets
            .iter()
            .map(|(i, t)| {
                let since_ms = batch[*i].repeats_since_ms?;
                let k = RepeatKey {
                    town: t.town.clone(),
                    estate_id: t.estate_id.clone(),
                    category: t.category.as_str(),
                    since_ms,
                };
                Some(keys.iter().position(|x| *x == k).unwrap_or_else(|| {
                    keys.push(k);
                    keys.len() - 1
                }))
            })
            .collect();
        Self { keys, of_ticket }
    }

    /// Marks each new ticket a possible repeat of the open ticket stored earlier, or else of
    /// the first one earlier in this batch about the same estate and category.
    pub(super) fn mark(
        self,
        tickets: &mut [(usize, Ticket)],
        found: Vec<(i64, Option<String>)>,
        batch_firsts: Vec<Option<String>>,
    ) {
        let mut stored: Vec<Option<String>> = vec![None; self.keys.len()];
        for (n, id) in found {
            if let Some(slot) = usize::try_from(n).ok().and_then(|n| stored.get_mut(n)) {
                *slot = id;
            }
        }
        for ((lookup, (_, t)), first) in self.of_ticket.iter().zip(tickets.iter_mut()).zip(batch_firsts) {
            if let Some(n) = *lookup {
                t.repeat_of = stored[n].clone().or(first);
            }
        }
    }
}

/// The 39 ticket columns as arrays, comma-separated, in TICKET_INSERT's order.
fn push_ticket_arrays(q: &mut QueryBuilder<sqlx::Postgres>, tickets: &[&Ticket]) {
    fn a(t: &Ticket) -> Option<&Assignment> {
        t.assignment.as_ref()
    }
    macro_rules! arrays {
            ($($ty:literal => $f:expr),+ $(,)?) => {
                let mut first = true;
                $(
                    if !first { q.push(", "); }
                    first = false;
                    q.push_bind(column(tickets, |t| $f(*t))).push(concat!("::", $ty, "[]"));
                )+
                let _ = first;
            };
        }
    arrays!(
        "text" => |t: &Ticket| t.id.clone(),
        "text" => |t: &Ticket| t.town.clone(),
        "text" => |t: &Ticket| t.county.clone(),
        "text" => |t: &Ticket| t.tracking_code.clone(),
        "text" => |t: &Ticket| t.estate_id.clone(),
        "text" => |t: &Ticket| t.estate_name.clone(),
        "text" => |t: &Ticket| t.category.as_str().to_owned(),
        "text" => |t: &Ticket| t.source.as_str().to_owned(),
        "text" => |t: &Ticket| t.description.clone(),
        "text" => |t: &Ticket| t.status.as_str().to_owned(),
        "int8" => |t: &Ticket| i64::from(t.level),
        "text" => |t: &Ticket| a(t).map(|a| a.unit_type.clone()),
        "text" => |t: &Ticket| a(t).map(|a| a.unit_id.clone()),
        "text" => |t: &Ticket| a(t).map(|a| a.unit_name.clone()),
        "text" => |t: &Ticket| a(t).map(|a| a.person_id.clone()),
        "text" => |t: &Ticket| a(t).map(|a| a.person_name.clone()),
        "int8" => |t: &Ticket| a(t).map(|a| a.respond_by_ms),
        "int8" => |t: &Ticket| a(t).map(|a| a.resolve_by_ms),
        "text" => |t: &Ticket| a(t).map(|a| a.measures.clone()).unwrap_or_default(),
        "text" => |t: &Ticket| a(t).map(|a| a.co_handler_unit_ids.join(",")).unwrap_or_default(),
        "text" => |t: &Ticket| t.reporter.name.clone(),
        "text" => |t: &Ticket| t.reporter.phone.clone(),
        "bool" => |t: &Ticket| t.reporter.anonymous,
        "text" => |t: &Ticket| t.submitted_by.clone(),
        "int8" => |t: &Ticket| t.created_at_ms,
        "int8" => |t: &Ticket| t.updated_at_ms,
        "int8" => |t: &Ticket| t.responded_at_ms,
        "int8" => |t: &Ticket| t.resolved_at_ms,
        "text" => |t: &Ticket| t.satisfaction.map(|s| s.as_str().to_owned()),
        "int8" => |t: &Ticket| t.escalated_l1_at_ms,
        "int8" => |t: &Ticket| t.escalated_l2_at_ms,
        "bool" => |t: &Ticket| t.county_report,
        "int8" => |t: &Ticket| t.version,
        "text" => |t: &Ticket| t.repeat_of.clone(),
        "text" => |t: &Ticket| t.merged_into.clone(),
        "int8" => |t: &Ticket| a(t).map(|a| a.sign_by_ms).filter(|ms| *ms != 0),
        "int8" => |t: &Ticket| a(t).and_then(|a| a.signed_at_ms),
        "int8" => |t: &Ticket| a(t).map(|a| a.assigned_at_ms).filter(|ms| *ms != 0),
        "int8" => |t: &Ticket| a(t).map(|a| a.return_by_ms).filter(|ms| *ms != 0),
    );
}

/// The 11 event columns as arrays, comma-separated, in EVENT_INSERT's order.
fn push_event_arrays(q: &mut QueryBuilder<sqlx::Postgres>, events: &[(&str, &TicketEvent)]) {
    q.push_bind(column(events, |(_, e)| e.id.clone())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.ticket_id.clone())).push("::text[], ");
    q.push_bind(column(events, |(town, _)| town.to_string())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.action.clone())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.from_status.map(|s| s.as_str().to_owned()))).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.to_status.as_str().to_owned())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.actor.clone())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.at_ms)).push("::int8[], ");
    q.push_bind(column(events, |(_, e)| e.note.clone())).push("::text[], ");
    q.push_bind(column(events, |(_, e)| i64::from(e.level))).push("::int8[], ");
    q.push_bind(column(events, |(_, e)| Remark::encode(&e.remarks))).push("::text[], ");
    q.push_bind(column(events, |(_, e)| e.unit_id.clone())).push("::text[]");
}
