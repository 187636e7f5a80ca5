//! What one group-committed intake batch writes (see `crate::group_commit`): which of its
//! complaints are new, which repeat a key, which are possible repeats of which — and how each
//! backend says the batch's statements. Postgres binds one array per column (`UNNEST`), so each
//! statement has one text whatever the batch size: prepared once per connection, one round
//! trip per statement (an unprepared statement costs two: parse and describe, then execute).
//! SQLite, in process, has no round trips to save and no arrays: it lists the rows (`VALUES`).

use super::NewTicket;
use super::sql::OPEN_STATUSES;
use crate::model::*;
use sqlx::QueryBuilder;

/// How an intake transaction starts and how its statements read, per backend.
pub(super) trait IntakeSql: sqlx::Database + Sized {
    /// Write-first on SQLite (BEGIN IMMEDIATE): a deferred transaction that reads before it
    /// writes cannot take the write lock if another writer got in between.
    const BEGIN: &'static str;
    /// Batches written at once (`DispatchStore::INTAKE_WRITERS`).
    const INTAKE_WRITERS: usize;
    /// Whether the batch statements are the same text for every size (worth preparing).
    const PREPARED: bool;
    /// Claims the keys (`scope, key, hash, ticket id`); returns the ticket ids claimed.
    fn claim_keys(keys: &[(&crate::store::IntakeKey, &str)], at_ms: i64) -> QueryBuilder<Self>;
    /// `(n, the oldest open ticket's id or NULL)` for each lookup `n`.
    fn repeat_lookup(keys: &[RepeatKey]) -> QueryBuilder<Self>;
    fn insert_tickets(tickets: &[(usize, Ticket)]) -> QueryBuilder<Self>;
    /// Events with their tickets' towns.
    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self>;
}

const CLAIM_KEYS: &str = "INSERT INTO intake_keys (scope, idempotency_key, request_hash, ticket_id, created_at) ";
const CLAIMED: &str = " ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING ticket_id";
const TICKET_INSERT: &str = "INSERT INTO tickets (id, town, county, tracking_code, estate_id, estate_name, category, \
     source, description, status, level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, \
     measures, co_handlers, reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, \
     responded_at, resolved_at, satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, repeat_of, \
     merged_into) ";
const EVENT_INSERT: &str = "INSERT INTO ticket_events (id, ticket_id, town, action, from_status, to_status, actor, at_ms, note, level, remarks) ";

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
    const BEGIN: &'static str = "BEGIN IMMEDIATE";
    // One writer: SQLite has one, and a second batch would only wait for its lock.
    const INTAKE_WRITERS: usize = 1;
    const PREPARED: bool = false;

    fn claim_keys(keys: &[(&crate::store::IntakeKey, &str)], at_ms: i64) -> QueryBuilder<Self> {
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

    fn repeat_lookup(keys: &[RepeatKey]) -> QueryBuilder<Self> {
        let mut q = QueryBuilder::new("SELECT u.n, ");
        q.push(repeat_subquery())
            .push(" FROM (SELECT -1 AS n, '' AS town, '' AS estate_id, '' AS category, 0 AS since_ms");
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

    fn insert_tickets(tickets: &[(usize, Ticket)]) -> QueryBuilder<Self> {
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
                .push_bind(t.merged_into.clone());
        });
        q
    }

    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self> {
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
                .push_bind(Remark::encode(&e.remarks));
        });
        q
    }
}

/// One array per column, bound as a Postgres array.
fn column<T, R>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

impl IntakeSql for sqlx::Postgres {
    const BEGIN: &'static str = "BEGIN";
    // Two cores: while one batch waits for its commit to reach the disk, others are written.
    const INTAKE_WRITERS: usize = 4;
    const PREPARED: bool = true;

    fn claim_keys(keys: &[(&crate::store::IntakeKey, &str)], at_ms: i64) -> QueryBuilder<Self> {
        let mut q = QueryBuilder::new(CLAIM_KEYS);
        q.push("SELECT u.*, ").push_bind(at_ms).push(" FROM UNNEST(");
        q.push_bind(column(keys, |(k, _)| k.scope.clone())).push("::text[], ");
        q.push_bind(column(keys, |(k, _)| k.key.clone())).push("::text[], ");
        q.push_bind(column(keys, |(k, _)| k.request_hash.clone())).push("::text[], ");
        q.push_bind(column(keys, |(_, id)| id.to_string())).push("::text[]) AS u");
        q.push(CLAIMED);
        q
    }

    fn repeat_lookup(keys: &[RepeatKey]) -> QueryBuilder<Self> {
        let mut q = QueryBuilder::new("SELECT u.n, ");
        q.push(repeat_subquery()).push(" FROM UNNEST(");
        q.push_bind((0..keys.len() as i64).collect::<Vec<i64>>()).push("::int8[], ");
        q.push_bind(column(keys, |k| k.town.clone())).push("::text[], ");
        q.push_bind(column(keys, |k| k.estate_id.clone())).push("::text[], ");
        q.push_bind(column(keys, |k| k.category.to_owned())).push("::text[], ");
        q.push_bind(column(keys, |k| k.since_ms)).push("::int8[]) AS u(n, town, estate_id, category, since_ms)");
        q
    }

    fn insert_tickets(tickets: &[(usize, Ticket)]) -> QueryBuilder<Self> {
        let a = |t: &Ticket| t.assignment.clone();
        let mut q = QueryBuilder::new(TICKET_INSERT);
        q.push("SELECT * FROM UNNEST(");
        macro_rules! arrays {
            ($($ty:literal => $f:expr),+ $(,)?) => {
                let mut first = true;
                $(
                    if !first { q.push(", "); }
                    first = false;
                    q.push_bind(column(tickets, |(_, t)| $f(t))).push(concat!("::", $ty, "[]"));
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
            "text" => |t: &Ticket| a(t).map(|a| a.unit_type),
            "text" => |t: &Ticket| a(t).map(|a| a.unit_id),
            "text" => |t: &Ticket| a(t).map(|a| a.unit_name),
            "text" => |t: &Ticket| a(t).map(|a| a.person_id),
            "text" => |t: &Ticket| a(t).map(|a| a.person_name),
            "int8" => |t: &Ticket| t.assignment.as_ref().map(|a| a.respond_by_ms),
            "int8" => |t: &Ticket| t.assignment.as_ref().map(|a| a.resolve_by_ms),
            "text" => |t: &Ticket| t.assignment.as_ref().map(|a| a.measures.clone()).unwrap_or_default(),
            "text" => |t: &Ticket| t.assignment.as_ref().map(|a| a.co_handler_unit_ids.join(",")).unwrap_or_default(),
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
        );
        q.push(")");
        q
    }

    fn insert_events(events: &[(&str, &TicketEvent)]) -> QueryBuilder<Self> {
        let mut q = QueryBuilder::new(EVENT_INSERT);
        q.push("SELECT * FROM UNNEST(");
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
        q.push_bind(column(events, |(_, e)| Remark::encode(&e.remarks))).push("::text[])");
        q
    }
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
    pub(super) fn mark(self, tickets: &mut [(usize, Ticket)], found: Vec<(i64, Option<String>)>) {
        let mut stored: Vec<Option<String>> = vec![None; self.keys.len()];
        for (n, id) in found {
            if let Some(slot) = usize::try_from(n).ok().and_then(|n| stored.get_mut(n)) {
                *slot = id;
            }
        }
        for (k, lookup) in self.of_ticket.iter().enumerate() {
            let Some(n) = *lookup else { continue };
            let since = self.keys[n].since_ms;
            let (earlier, rest) = tickets.split_at_mut(k);
            let t = &mut rest[0].1;
            t.repeat_of = stored[n].clone().or_else(|| {
                earlier
                    .iter()
                    .map(|(_, e)| e)
                    .find(|e| {
                        e.town == t.town
                            && e.estate_id == t.estate_id
                            && e.category == t.category
                            && e.created_at_ms >= since
                    })
                    .map(|e| e.id.clone())
            });
        }
    }
}
