//! Reporters' personal information (PIPL: accessed on need and traceably, kept no longer than
//! necessary): the record of every read of a phone number in full, each town's retention
//! period, and erasing a reporter's name and number — at their request or past that period.

use crate::model::{Ticket, TicketEvent};
use wuguan_platform::error::{ServiceError, ServiceResult};
use wuguan_platform::{Principal, Role};
use wuguan_proto::vocab::dispatch::TicketAction;

/// Days after closing a town keeps reporters' names and numbers unless it sets its own.
pub const DEFAULT_RETENTION_DAYS: u32 = 730;
/// What a town may set: a month at least (callbacks and disputes need the number), ten years
/// at most.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 30..=3650;

/// One read of a reporter's phone number in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataRead {
    pub id: String,
    pub town: String,
    pub ticket_id: String,
    pub reader: String,
    pub role: Role,
    /// "ticket" (GetTicket) or "watch" (WatchTickets).
    pub channel: &'static str,
    pub at_ms: i64,
}

impl PersonalDataRead {
    pub fn of(p: &Principal, t: &Ticket, channel: &'static str, at_ms: i64) -> Self {
        PersonalDataRead {
            id: crate::model::new_id(),
            town: t.town.clone(),
            ticket_id: t.id.clone(),
            reader: p.subject.clone(),
            role: p.role,
            channel,
            at_ms,
        }
    }
}

/// Whether reading `t` in full is a read of someone else's personal data worth recording: a
/// number is there and the reader is not the reporter.
pub fn is_recorded_read(p: &Principal, t: &Ticket) -> bool {
    !t.reporter.phone.is_empty() && t.submitted_by != p.subject
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacySettings {
    pub town: String,
    pub retention_days: u32,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

impl PrivacySettings {
    /// A town's settings as it set them, or the default.
    pub fn or_default(town: &str, stored: Option<PrivacySettings>) -> PrivacySettings {
        stored.unwrap_or_else(|| PrivacySettings {
            town: town.to_owned(),
            retention_days: DEFAULT_RETENTION_DAYS,
            updated_by: String::new(),
            updated_at_ms: 0,
        })
    }

    pub fn checked_days(days: u32) -> ServiceResult<u32> {
        if RETENTION_DAYS.contains(&days) {
            Ok(days)
        } else {
            Err(ServiceError::invalid(
                "retention_days",
                format!("retention_days must be between {} and {}", RETENTION_DAYS.start(), RETENTION_DAYS.end()),
            ))
        }
    }
}

/// The ticket without its reporter's name and number, and the timeline's record of it.
pub fn erased(t: &Ticket, actor: &str, note: &str, now: i64) -> Option<(Ticket, TicketEvent)> {
    if t.reporter.name.is_empty() && t.reporter.phone.is_empty() {
        return None;
    }
    let mut n = t.clone();
    n.reporter.name.clear();
    n.reporter.phone.clear();
    n.updated_at_ms = now;
    let event = TicketEvent::new(&n, TicketAction::ErasePersonalData, Some(t.status), actor, now, note);
    Some((n, event))
}
