//! Dispatch's domain types: tickets, their events, routing rules.

/// The vocabulary (names and Chinese labels) comes from the contracts: see `wuguan_proto::vocab`.
pub use wuguan_proto::vocab::common::UnitType;
pub use wuguan_proto::vocab::dispatch::{
    CalendarSource, Category, DayKind, EventRemark, LimitUnit, ReturnReason, RouteTarget, Satisfaction, Source, Status,
    SupervisionCheck, TicketAction,
};

pub use wuguan_platform::time_limit::TimeLimit;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The highest escalation level: the county.
pub const MAX_LEVEL: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub town: String,
    pub category: Category,
    pub target: RouteTarget,
    /// 定时间: how long the unit has to respond, and to resolve (counted from assignment).
    pub response: TimeLimit,
    pub resolution: TimeLimit,
    /// 签收时限: how long the unit has to sign for an assignment.
    pub sign: TimeLimit,
    pub initial_level: u32,
    pub owner_reps_co_handle: bool,
    pub customised: bool,
}

/// The four fixes: who, by when, doing what.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub unit_type: String,
    pub unit_id: String,
    pub unit_name: String,
    pub person_id: String,
    pub person_name: String,
    pub respond_by_ms: i64,
    pub resolve_by_ms: i64,
    pub measures: String,
    pub co_handler_unit_ids: Vec<String>,
    /// 签收时限: when the unit must have signed for it (0: no limit, tickets from before it).
    pub sign_by_ms: i64,
    /// When the unit signed for it (or accepted it without signing first).
    pub signed_at_ms: Option<i64>,
    /// When this unit was given it (0: a ticket from before this was recorded).
    pub assigned_at_ms: i64,
    /// The end of the unit's return window (退单时限; 0: none).
    pub return_by_ms: i64,
}

impl Assignment {
    /// Past its sign-for limit at `now_ms` and not signed for.
    pub fn sign_for_late(&self, now_ms: i64) -> bool {
        self.signed_at_ms.is_none() && self.sign_by_ms != 0 && self.sign_by_ms < now_ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    pub name: String,
    pub phone: String,
    pub anonymous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    pub town: String,
    pub county: String,
    pub tracking_code: String,
    pub estate_id: String,
    pub estate_name: String,
    pub category: Category,
    pub source: Source,
    pub description: String,
    pub status: Status,
    pub level: u32,
    /// None while routing waits for the registry.
    pub assignment: Option<Assignment>,
    pub reporter: Reporter,
    pub submitted_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub responded_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub satisfaction: Option<Satisfaction>,
    pub escalated_l1_at_ms: Option<i64>,
    pub escalated_l2_at_ms: Option<i64>,
    pub county_report: bool,
    /// An open ticket about the same estate and category from shortly before: maybe the same problem.
    pub repeat_of: Option<String>,
    /// Set when the town office merged this ticket into another.
    pub merged_into: Option<String>,
    /// The unit's request for more time, awaiting the town office (延期申请).
    pub pending_extension: Option<ExtensionRequest>,
    /// The reply to the reporter (答复), written on resolving from the town's template.
    pub reply: String,
    /// When the callback to the reporter (回访) is due: set on resolving.
    pub callback_by_ms: Option<i64>,
    /// Times a dissatisfied reporter sent it back to the unit (重办).
    pub redo_count: u32,
    /// When the sweep warned the unit that its time was running out (临期预警).
    pub warned_at_ms: Option<i64>,
    pub version: i64,
}

/// A unit's request to move its resolution deadline, until the town office decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRequest {
    /// The deadline asked for.
    pub resolve_by_ms: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_at_ms: i64,
}

/// How far back an open ticket about the same estate and category counts as a possible repeat.
pub const REPEAT_WINDOW_MS: i64 = 7 * DAY_MS;

/// What a complaint says when it arrives, before it is routed: the facts of a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub town: String,
    pub county: String,
    pub estate_id: String,
    pub estate_name: String,
    pub category: Category,
    pub source: Source,
    pub description: String,
    pub reporter: Reporter,
    /// The account that may later act as the reporter (rate, reopen); empty for none.
    pub submitted_by: String,
    /// When it was reported (a back-dated complaint keeps its own time).
    pub reported_at_ms: i64,
}

impl Ticket {
    /// A ticket just received: a fresh id and tracking code, nobody assigned yet, nothing done.
    pub fn received(c: Complaint, now_ms: i64) -> Ticket {
        Ticket {
            id: new_id(),
            town: c.town,
            county: c.county,
            tracking_code: new_tracking_code(),
            estate_id: c.estate_id,
            estate_name: c.estate_name,
            category: c.category,
            source: c.source,
            description: c.description,
            status: Status::Received,
            level: 0,
            assignment: None,
            reporter: c.reporter,
            submitted_by: c.submitted_by,
            created_at_ms: c.reported_at_ms,
            updated_at_ms: now_ms,
            responded_at_ms: None,
            resolved_at_ms: None,
            satisfaction: None,
            escalated_l1_at_ms: None,
            escalated_l2_at_ms: None,
            county_report: false,
            repeat_of: None,
            merged_into: None,
            pending_extension: None,
            reply: String::new(),
            callback_by_ms: None,
            redo_count: 0,
            warned_at_ms: None,
            version: 1,
        }
    }

    /// Resolved and still waiting for the callback to the reporter past its time.
    pub fn callback_late(&self, now_ms: i64) -> bool {
        self.status == Status::Resolved && self.callback_by_ms.is_some_and(|by| by < now_ms)
    }

    /// Late to respond or to resolve, and still open.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        let Some(a) = &self.assignment else { return false };
        if !self.status.is_open() {
            return false;
        }
        (self.responded_at_ms.is_none() && now_ms > a.respond_by_ms) || now_ms > a.resolve_by_ms
    }

    /// The source's four checks: done → its effect; being worked on → its progress; refused,
    /// or accepted and late → the cause; not taken up past its time → who is accountable. A
    /// ticket not taken up yet but inside its deadlines is in progress, not a failure.
    pub fn supervision(&self, now_ms: i64) -> SupervisionCheck {
        let overdue = self.is_overdue(now_ms);
        match self.status {
            s if s.is_done() => SupervisionCheck::Effect,
            Status::Rejected => SupervisionCheck::Cause,
            Status::Accepted if overdue => SupervisionCheck::Cause,
            Status::Accepted => SupervisionCheck::Progress,
            _ if overdue => SupervisionCheck::Accountability,
            // Nobody has even signed for it in time (签收超时).
            _ if self.assignment.as_ref().is_some_and(|a| a.sign_for_late(now_ms)) => SupervisionCheck::Accountability,
            _ => SupervisionCheck::Progress,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub id: String,
    pub ticket_id: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor: String,
    pub at_ms: i64,
    pub note: String,
    pub level: u32,
    /// What the system says about the event, as codes printed in the reader's words.
    pub remarks: Vec<Remark>,
    /// The unit holding the ticket after the event (who returned it, who it went to): what the
    /// league table counts per unit.
    pub unit_id: Option<String>,
}

/// One thing the system records on an event (`EventRemark`), with its parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remark {
    pub code: EventRemark,
    /// The kind of unit a `NoUnitOfType` remark is about.
    pub unit_type: Option<UnitType>,
}

impl Remark {
    pub const fn of(code: EventRemark) -> Self {
        Remark { code, unit_type: None }
    }

    /// The stored form of a list: `code` or `code:unit_type`, comma-separated.
    pub fn encode(remarks: &[Remark]) -> String {
        remarks
            .iter()
            .map(|r| match r.unit_type {
                Some(u) => format!("{}:{}", r.code.as_str(), u.as_str()),
                None => r.code.as_str().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The list back from its stored form; `None` names a part that is not a known code.
    pub fn decode(stored: &str) -> Result<Vec<Remark>, String> {
        stored
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|part| {
                let (code, unit) = part.split_once(':').map_or((part, None), |(c, u)| (c, Some(u)));
                let code = EventRemark::parse(code).ok_or_else(|| part.to_owned())?;
                let unit_type = unit.map(|u| UnitType::parse(u).ok_or_else(|| part.to_owned())).transpose()?;
                Ok(Remark { code, unit_type })
            })
            .collect()
    }
}

impl TicketEvent {
    pub fn new(
        ticket: &Ticket,
        action: TicketAction,
        from: Option<Status>,
        actor: &str,
        at_ms: i64,
        note: &str,
    ) -> Self {
        TicketEvent {
            id: new_id(),
            ticket_id: ticket.id.clone(),
            action: action.as_str().to_owned(),
            from_status: from,
            to_status: ticket.status,
            actor: actor.to_owned(),
            at_ms,
            note: note.to_owned(),
            level: ticket.level,
            remarks: Vec::new(),
            unit_id: ticket.assignment.as_ref().map(|a| a.unit_id.clone()),
        }
    }

    pub fn with_remarks(self, remarks: Vec<Remark>) -> Self {
        TicketEvent { remarks, ..self }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub category: Option<Category>,
    pub estate_id: Option<String>,
    pub unit_id: Option<String>,
    pub level: Option<u32>,
    pub source: Option<Source>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub open_only: bool,
    /// Only tickets this principal submitted (residents, owner representatives).
    pub submitted_by: Option<String>,
    /// Flagged as a possible repeat and not merged.
    pub possible_repeats: bool,
    /// Reached the county (level 2) in `[reached_county_from_ms, reached_county_to_ms)`.
    pub reached_county_from_ms: Option<i64>,
    pub reached_county_to_ms: Option<i64>,
    /// Still open at this instant: open now, or resolved at or after it.
    pub open_at_ms: Option<i64>,
    /// Late to respond or resolve as of `now_ms`.
    pub overdue: Option<bool>,
    /// Open, with a step due before this instant: signing for it, responding or resolving (the
    /// overdue included). What the daily digest lists.
    pub due_before_ms: Option<i64>,
    pub now_ms: i64,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A 10-character tracking code from an alphabet without look-alikes (no 0/O, 1/I/L).
pub fn new_tracking_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes.iter().take(10).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// Counts of the tickets created in a period that share a unit and an estate: one row of the
/// database's single aggregate scan. `Tally::sum` folds rows into the
/// per-unit and per-estate totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TallyRow {
    /// Absent for tickets not assigned yet.
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    pub unit_type: Option<String>,
    pub person_name: Option<String>,
    pub estate_id: String,
    pub estate_name: String,
    #[sqlx(flatten)]
    pub counts: TallyCounts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TallyCounts {
    pub tickets: i64,
    pub responded_in_time: i64,
    pub resolved: i64,
    pub resolution_due: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
    pub overdue: i64,
    pub late_responses: i64,
    pub escalated: i64,
    pub raised_to_county: i64,
    pub repeats: i64,
}

impl std::ops::AddAssign for TallyCounts {
    fn add_assign(&mut self, o: TallyCounts) {
        self.tickets += o.tickets;
        self.responded_in_time += o.responded_in_time;
        self.resolved += o.resolved;
        self.resolution_due += o.resolution_due;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
        self.not_satisfied += o.not_satisfied;
        self.overdue += o.overdue;
        self.late_responses += o.late_responses;
        self.escalated += o.escalated;
        self.raised_to_county += o.raised_to_county;
        self.repeats += o.repeats;
    }
}

/// What one unit did over a period (the league table's counts; see `DispatchStore::unit_work`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitWork {
    pub unit_id: String,
    pub unit_name: String,
    pub unit_type: String,
    pub dispatched: u32,
    pub returned: u32,
    pub resolved: u32,
    pub redone: u32,
    pub extension_requests: u32,
    pub sign_due: u32,
    pub signed_in_time: u32,
    pub resolution_due: u32,
    pub resolved_in_time: u32,
    pub rated: u32,
    pub satisfied: u32,
}

/// Returns of one category by one unit over a period (see `DispatchStore::return_counts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCount {
    pub category: Category,
    pub unit_id: String,
    pub unit_name: String,
    pub unit_type: String,
    pub returns: u32,
    pub overruled: u32,
}

/// One unit's or one estate's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub key: String,
    pub name: String,
    /// Units only.
    pub unit_type: String,
    /// Units only: a person named on the unit's assignments (of its busiest estate).
    pub person_name: String,
    pub counts: TallyCounts,
}

/// Per-unit (assigned tickets only) and per-estate totals, each ordered by key.
pub fn sum_tallies(rows: Vec<TallyRow>) -> (Vec<Tally>, Vec<Tally>) {
    use std::collections::BTreeMap;
    let mut units: BTreeMap<String, (Tally, i64)> = BTreeMap::new();
    let mut estates: BTreeMap<String, Tally> = BTreeMap::new();
    for row in rows {
        let e = estates.entry(row.estate_id.clone()).or_insert_with(|| Tally {
            key: row.estate_id.clone(),
            name: row.estate_name.clone(),
            ..Default::default()
        });
        e.counts += row.counts;
        let Some(unit_id) = row.unit_id else { continue };
        let (u, person_tickets) = units.entry(unit_id.clone()).or_insert_with(|| {
            (
                Tally {
                    key: unit_id,
                    name: row.unit_name.clone().unwrap_or_default(),
                    unit_type: row.unit_type.clone().unwrap_or_default(),
                    ..Default::default()
                },
                0,
            )
        });
        u.counts += row.counts;
        // Name the person of the estate where the unit had the most tickets.
        if row.counts.tickets > *person_tickets {
            *person_tickets = row.counts.tickets;
            u.person_name = row.person_name.unwrap_or_default();
        }
    }
    (units.into_values().map(|(t, _)| t).collect(), estates.into_values().collect())
}
