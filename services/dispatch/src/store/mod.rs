//! Dispatch storage behind one trait, with SQLite and Postgres implementations (`sql.rs`) and
//! one conformance suite (`tests/store_conformance.rs`).

mod batch;
mod privacy;
mod sql;
mod tally;

pub use sql::{PgStore, SqliteStore};

use crate::calendar::YearCalendar;
use crate::model::*;
use crate::reply::ReplyTemplate;
use crate::return_reasons::TownReturnReason;
use std::future::Future;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::paging::Page;

/// An intake idempotency key: per caller scope, with a hash of the request body.
#[derive(Debug, Clone)]
pub struct IntakeKey {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

/// A complaint ready to be stored: its ticket, its first events and the caller's key.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub ticket: Ticket,
    pub events: Vec<TicketEvent>,
    pub key: Option<IntakeKey>,
    /// Mark the ticket a possible repeat of the oldest open, unmerged ticket about the same
    /// estate and category created since then (one stored earlier, or one earlier in the same
    /// batch). None: no lookup (the demo loader).
    pub repeats_since_ms: Option<i64>,
}

/// What the escalation sweep did to one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalated {
    pub ticket_id: String,
    pub level: u32,
}

/// Reporters' personal information: reads of phone numbers, retention, erasure (see
/// `crate::privacy`).
pub trait PrivacyStore: Send + Sync + 'static {
    fn record_personal_data_read(
        &self,
        read: &crate::privacy::PersonalDataRead,
    ) -> impl Future<Output = ServiceResult<()>> + Send;
    /// The town's reads (of one ticket if given), newest first.
    fn list_personal_data_reads(
        &self,
        town: &str,
        ticket_id: Option<&str>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<crate::privacy::PersonalDataRead>>> + Send;
    fn privacy_settings(
        &self,
        town: &str,
    ) -> impl Future<Output = ServiceResult<Option<crate::privacy::PrivacySettings>>> + Send;
    fn set_privacy_settings(
        &self,
        settings: &crate::privacy::PrivacySettings,
    ) -> impl Future<Output = ServiceResult<()>> + Send;
    /// Closed tickets still holding a reporter's name or number whose town's retention period
    /// (or `default_days`) has passed by `now_ms`, oldest first, at most `limit`.
    fn tickets_past_retention(
        &self,
        now_ms: i64,
        default_days: u32,
        limit: i64,
    ) -> impl Future<Output = ServiceResult<Vec<Ticket>>> + Send;
}

pub trait DispatchStore: PrivacyStore + Send + Sync + 'static {
    /// How many intake batches may be written at once (see `group_commit`): one on SQLite,
    /// whose single writer would only make them queue for its lock.
    const INTAKE_WRITERS: usize;

    /// Inserts several complaints, each ticket with its first events, in one transaction: one
    /// durable commit for all of them. One outcome per complaint, in order. With a key: a retry
    /// with the same body returns the first ticket; another body is ALREADY_EXISTS. A complaint
    /// that cannot be written does not fail the others (the batch is then written one by one).
    fn insert_tickets(&self, batch: &[NewTicket]) -> impl Future<Output = Vec<ServiceResult<Ticket>>> + Send;
    /// One complaint, with no repeat lookup: `insert_tickets` of one.
    fn insert_ticket(
        &self,
        ticket: &Ticket,
        events: &[TicketEvent],
        key: Option<&IntakeKey>,
    ) -> impl Future<Output = ServiceResult<Ticket>> + Send;
    fn get_ticket(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Ticket>>> + Send;
    fn find_by_tracking_code(&self, code: &str) -> impl Future<Output = ServiceResult<Option<Ticket>>> + Send;
    fn list_tickets(
        &self,
        town: &str,
        filter: &TicketFilter,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Ticket>>> + Send;
    /// Tickets created in [from, to), for statistics.
    fn tickets_created_between(
        &self,
        town: &str,
        filter: &TicketFilter,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Future<Output = ServiceResult<Vec<Ticket>>> + Send;
    /// Writes `ticket` if it is still at `expected_version` (ABORTED otherwise) with its events.
    fn save_transition(
        &self,
        expected_version: i64,
        ticket: &Ticket,
        events: &[TicketEvent],
    ) -> impl Future<Output = ServiceResult<Ticket>> + Send;
    /// Several tickets' transitions in one transaction (a merge changes two).
    fn save_transitions(
        &self,
        changes: &[(i64, Ticket, Vec<TicketEvent>)],
    ) -> impl Future<Output = ServiceResult<()>> + Send;
    fn timeline(&self, ticket_id: &str) -> impl Future<Output = ServiceResult<Vec<TicketEvent>>> + Send;

    fn routing_overrides(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<RoutingRule>>> + Send;
    fn set_routing_rule(&self, rule: &RoutingRule, actor: &str) -> impl Future<Output = ServiceResult<()>> + Send;

    /// The years of its working calendar the town has set, each with its days.
    fn calendar_years(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<YearCalendar>>> + Send;
    /// Replaces one year of the town's calendar (its days and office hours) in one transaction.
    fn set_calendar_year(&self, calendar: &YearCalendar) -> impl Future<Output = ServiceResult<()>> + Send;

    /// Raises overdue tickets one level — exactly once per ticket and level, however many
    /// replicas sweep at the same time. Level 1 tickets go to level 2 when still overdue
    /// `level_one_window_ms` after reaching level 1.
    fn escalate_overdue(
        &self,
        now_ms: i64,
        level_one_window_ms: i64,
        limit: i64,
    ) -> impl Future<Output = ServiceResult<Vec<Escalated>>> + Send;
    /// Tickets accepted while the registry was unreachable, still waiting to be routed.
    fn unrouted(&self, limit: i64) -> impl Future<Output = ServiceResult<Vec<Ticket>>> + Send;
    /// Events of the town's tickets with ids after `after_id` (time-ordered), oldest first.
    fn events_after(
        &self,
        town: &str,
        after_id: &str,
        limit: i64,
    ) -> impl Future<Output = ServiceResult<Vec<TicketEvent>>> + Send;
    fn count_tickets(&self, town: &str) -> impl Future<Output = ServiceResult<u64>> + Send;
    /// Open tickets of every town by (status, level): (status, level, count, overdue now).
    fn open_ticket_counts(
        &self,
        now_ms: i64,
    ) -> impl Future<Output = ServiceResult<Vec<(String, i64, i64, i64)>>> + Send;
    /// One aggregate scan of the tickets created in [from, to) (of `county` only, when given),
    /// grouped by unit (with its person) and estate; merged tickets are left out.
    fn tally(
        &self,
        town: &str,
        county: Option<&str>,
        range_ms: (i64, i64),
        now_ms: i64,
    ) -> impl Future<Output = ServiceResult<Vec<TallyRow>>> + Send;
    /// Per unit over [from, to): its timeline events then (dispatched to it, returned, resolved,
    /// redone, extensions asked) and the tickets created then that it holds now (signed for and
    /// resolved in time, rated, satisfied), as asked at `now_ms`.
    fn unit_work(
        &self,
        town: &str,
        county: Option<&str>,
        range_ms: (i64, i64),
        now_ms: i64,
    ) -> impl Future<Output = ServiceResult<Vec<UnitWork>>> + Send;

    /// Returns made in [from, to) by category and by the unit that made them, with how many the
    /// town office overruled in the period; most returns first.
    fn return_counts(
        &self,
        town: &str,
        county: Option<&str>,
        range_ms: (i64, i64),
    ) -> impl Future<Output = ServiceResult<Vec<ReturnCount>>> + Send;

    /// The return reasons the town has set, in its order (none: it keeps the built-in list).
    fn return_reasons(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<TownReturnReason>>> + Send;
    /// Replaces the town's list in one transaction.
    fn set_return_reasons(
        &self,
        town: &str,
        reasons: &[TownReturnReason],
        by: &str,
        at_ms: i64,
    ) -> impl Future<Output = ServiceResult<()>> + Send;

    /// The reply templates the town has set (categories it has not set are left out).
    fn reply_templates(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<ReplyTemplate>>> + Send;
    fn set_reply_template(&self, template: &ReplyTemplate) -> impl Future<Output = ServiceResult<()>> + Send;

    /// Warns, once, each open ticket whose unit has used `percent` % of the time from its
    /// assignment to its resolution deadline, deadline not yet passed (an event `warn` on its
    /// timeline); exactly once however many replicas sweep. Returns the tickets warned.
    fn warn_nearly_due(
        &self,
        now_ms: i64,
        percent: u32,
        limit: i64,
    ) -> impl Future<Output = ServiceResult<Vec<String>>> + Send;
}
