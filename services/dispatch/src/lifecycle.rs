//! The ticket lifecycle: received → assigned → accepted → resolved → verified → closed, with
//! reject, reassign, extend, reopen and escalate. Each action checks who may take it and from
//! which status, and yields the new ticket and the events that record it (the timeline).

use crate::model::*;
use crate::reply::ReplyTemplate;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::local_time::local_minute;
use wuguan_platform::{ErrorCode, Principal, Role, ServiceError};

pub enum Action {
    /// The assigned unit signs for the ticket (签收).
    Sign,
    Accept {
        measures: String,
    },
    /// The assigned unit returns the ticket (退单) within its return window, giving one of the
    /// town's return reasons (the caller resolved its label) and its own words.
    Reject {
        reason_label: String,
        reason: String,
    },
    /// The town office does not accept a return (审定): back to the same unit, deadlines kept.
    OverruleReturn {
        note: String,
    },
    /// The new assignment is resolved by the caller (it needs the registry).
    Reassign {
        assignment: Box<Assignment>,
        note: String,
    },
    Extend {
        resolve_by_ms: i64,
        note: String,
    },
    /// The assigned unit asks to move its resolution deadline (延期申请).
    RequestExtension {
        resolve_by_ms: i64,
        reason: String,
    },
    /// The town office approves the pending request (the deadline moves) or refuses it.
    DecideExtension {
        approve: bool,
        note: String,
    },
    Progress {
        note: String,
    },
    /// The unit reports it done, with its reply to the reporter written to the town's template
    /// (答复规范); the callback (回访) falls due at `callback_by_ms`.
    Resolve {
        measures_taken: String,
        reply: String,
        template: Box<ReplyTemplate>,
        callback_by_ms: i64,
    },
    Verify {
        satisfaction: Satisfaction,
        note: String,
    },
    /// The reporter's own rating, taken on the strength of the tracking code (the caller has
    /// checked it): satisfied confirms the fix, not satisfied disputes it and needs a reason.
    Rate {
        satisfaction: Satisfaction,
        note: String,
    },
    Reopen {
        reason: String,
    },
    Escalate {
        note: String,
    },
}

const SUPERVISORS: &[Role] = &[Role::TownOffice, Role::County];
const MAX_NOTE_CHARS: usize = 2000;
/// The furthest a deadline may be moved, from now.
const MAX_EXTENSION_MS: i64 = 90 * DAY_MS;

/// "：note" after a fixed text, or nothing when there is no note.
fn colon_then(note: &str) -> String {
    if note.is_empty() { String::new() } else { format!("：{note}") }
}

fn required_text(field: &str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("{field} is required")));
    }
    if v.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::invalid(field, format!("{field} must be at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(v.to_owned())
}

fn optional_text(field: &str, value: &str) -> ServiceResult<String> {
    if value.trim().is_empty() { Ok(String::new()) } else { required_text(field, value) }
}

/// Whether the principal acts for the ticket's assigned unit.
pub fn is_assignee(p: &Principal, t: &Ticket) -> bool {
    match (&p.unit, &t.assignment) {
        (Some(unit), Some(a)) => *unit == a.unit_id,
        _ => false,
    }
}

pub fn is_co_handler(p: &Principal, t: &Ticket) -> bool {
    match (&p.unit, &t.assignment) {
        (Some(unit), Some(a)) => a.co_handler_unit_ids.contains(unit),
        _ => false,
    }
}

/// The reporter, signed in, acting on their own ticket.
pub fn is_submitter(p: &Principal, t: &Ticket) -> bool {
    !t.submitted_by.is_empty() && p.subject == t.submitted_by && p.is_one_of(&[Role::Resident, Role::OwnerRep])
}

fn require_status(t: &Ticket, allowed: &[Status], action: &str) -> ServiceResult<()> {
    if allowed.contains(&t.status) {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorCode::FailedPrecondition,
            format!("cannot {action} a ticket that is {}", t.status.as_str()),
        ))
    }
}

fn deny(action: &str) -> ServiceError {
    ServiceError::permission_denied(format!("you may not {action} this ticket"))
}

/// A fresh response window as long as the first one, counted from `now`.
fn renewed_respond_by(t: &Ticket, now: i64) -> i64 {
    let window = t.assignment.as_ref().map(|a| a.respond_by_ms - t.created_at_ms).unwrap_or(DAY_MS).max(HOUR_MS);
    now + window
}

/// A fresh resolution window as long as the unit's first one, counted from `now` (at least a day).
fn renewed_resolve_by(t: &Ticket, now: i64) -> i64 {
    let window = t
        .assignment
        .as_ref()
        .map(|a| a.resolve_by_ms - if a.assigned_at_ms != 0 { a.assigned_at_ms } else { t.created_at_ms })
        .unwrap_or(DAY_MS)
        .max(DAY_MS);
    now + window
}

/// Back to the unit (重办): the reporter is not satisfied, or the office or community reopens it.
/// It must respond again and gets a new deadline; the redo is counted.
fn send_back_for_redo(t: &Ticket, n: &mut Ticket, now: i64) {
    n.status = Status::Reopened;
    n.responded_at_ms = None;
    n.redo_count = t.redo_count + 1;
    n.callback_by_ms = None;
    // A new deadline earns a new warning.
    n.warned_at_ms = None;
    let respond_by = renewed_respond_by(t, now);
    let resolve_by = renewed_resolve_by(t, now);
    if let Some(a) = n.assignment.as_mut() {
        a.respond_by_ms = respond_by;
        a.resolve_by_ms = resolve_by.max(respond_by);
    }
}

pub fn apply(t: &Ticket, action: Action, p: &Principal, now: i64) -> ServiceResult<(Ticket, Vec<TicketEvent>)> {
    let mut n = t.clone();
    n.updated_at_ms = now;
    let from = t.status;
    let actor = p.subject.as_str();
    let mut events = Vec::new();
    match action {
        Action::Sign => {
            if !is_assignee(p, t) {
                return Err(deny("sign for"));
            }
            require_status(t, &[Status::Assigned, Status::Reopened], "sign for")?;
            if t.assignment.as_ref().is_some_and(|a| a.signed_at_ms.is_some()) {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "the ticket is already signed for"));
            }
            if let Some(a) = n.assignment.as_mut() {
                a.signed_at_ms = Some(now);
            }
            events.push(TicketEvent::new(&n, TicketAction::Sign, Some(from), actor, now, ""));
        }
        Action::Accept { measures } => {
            if !is_assignee(p, t) {
                return Err(deny("accept"));
            }
            require_status(t, &[Status::Assigned, Status::Reopened], "accept")?;
            let measures = required_text("measures", &measures)?;
            n.status = Status::Accepted;
            n.responded_at_ms = Some(now);
            if let Some(a) = n.assignment.as_mut() {
                a.measures = measures.clone();
                // Taking it up is signing for it, if the unit had not.
                a.signed_at_ms.get_or_insert(now);
            }
            events.push(TicketEvent::new(&n, TicketAction::Accept, Some(from), actor, now, &measures));
        }
        Action::Reject { reason_label, reason } => {
            if !is_assignee(p, t) {
                return Err(deny("reject"));
            }
            require_status(t, &[Status::Assigned, Status::Reopened], "reject")?;
            let reason = required_text("reason", &reason)?;
            let window = t.assignment.as_ref().map(|a| a.return_by_ms).unwrap_or(0);
            if window != 0 && now > window {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    format!("the return window closed at {}", local_minute(window)),
                ));
            }
            let reason = format!("{reason_label}：{reason}");
            // A rejected ticket goes back to the town office, which supervises it (level 1).
            n.status = Status::Rejected;
            n.pending_extension = None;
            if n.level == 0 {
                n.level = 1;
                n.escalated_l1_at_ms = Some(now);
            }
            events.push(TicketEvent::new(&n, TicketAction::Reject, Some(from), actor, now, &reason));
        }
        Action::OverruleReturn { note } => {
            if !p.is_one_of(SUPERVISORS) {
                return Err(deny("overrule the return of"));
            }
            require_status(t, &[Status::Rejected], "overrule the return of")?;
            if t.assignment.is_none() {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "the ticket has no unit to go back to"));
            }
            let note = required_text("note", &note)?;
            // Back to the same unit, whose clock never stopped: the deadlines stay as they were.
            n.status = Status::Assigned;
            events.push(TicketEvent::new(&n, TicketAction::OverruleReturn, Some(from), actor, now, &note));
        }
        Action::Reassign { assignment, note } => {
            if !p.is_one_of(SUPERVISORS) {
                return Err(deny("reassign"));
            }
            if !t.status.is_open() {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "only an open ticket can be reassigned"));
            }
            let note = optional_text("note", &note)?;
            n.status = Status::Assigned;
            n.responded_at_ms = None;
            // What the previous unit asked for, or was warned of, is not the new unit's.
            n.pending_extension = None;
            n.warned_at_ms = None;
            let detail = format!(
                "→ {} ({}){}",
                assignment.unit_name,
                assignment.person_name,
                if note.is_empty() { String::new() } else { format!(": {note}") }
            );
            n.assignment = Some(*assignment);
            events.push(TicketEvent::new(&n, TicketAction::Reassign, Some(from), actor, now, &detail));
        }
        Action::Extend { resolve_by_ms, note } => {
            if !p.is_one_of(SUPERVISORS) {
                return Err(deny("extend"));
            }
            if !t.status.is_open() {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "only an open ticket can be extended"));
            }
            let note = required_text("note", &note)?;
            let current = t.assignment.as_ref().map(|a| a.resolve_by_ms).unwrap_or(0);
            if resolve_by_ms <= current.max(now) {
                return Err(ServiceError::invalid(
                    "resolve_by",
                    "the new deadline must be later than the current one and in the future",
                ));
            }
            if resolve_by_ms > now + MAX_EXTENSION_MS {
                return Err(ServiceError::invalid("resolve_by", "a deadline may be extended by at most 90 days"));
            }
            if let Some(a) = n.assignment.as_mut() {
                a.resolve_by_ms = resolve_by_ms;
            }
            // The office set the deadline itself: a request waiting for it is settled.
            n.pending_extension = None;
            events.push(TicketEvent::new(&n, TicketAction::Extend, Some(from), actor, now, &note));
        }
        Action::RequestExtension { resolve_by_ms, reason } => {
            if !is_assignee(p, t) {
                return Err(deny("request an extension for"));
            }
            require_status(t, &[Status::Assigned, Status::Accepted, Status::Reopened], "request an extension for")?;
            if t.pending_extension.is_some() {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "an extension request is already waiting for the town office's decision",
                ));
            }
            let current = t.assignment.as_ref().map(|a| a.resolve_by_ms).unwrap_or(0);
            // Asked for in time or not at all: a late request would excuse what is already late.
            if now >= current {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "an extension must be requested before the deadline; it has passed",
                ));
            }
            let reason = required_text("reason", &reason)?;
            if resolve_by_ms <= current {
                return Err(ServiceError::invalid(
                    "resolve_by",
                    "the deadline asked for must be later than the current one",
                ));
            }
            if resolve_by_ms > now + MAX_EXTENSION_MS {
                return Err(ServiceError::invalid("resolve_by", "a deadline may be extended by at most 90 days"));
            }
            n.pending_extension = Some(ExtensionRequest {
                resolve_by_ms,
                reason: reason.clone(),
                requested_by: actor.to_owned(),
                requested_at_ms: now,
            });
            let note = format!("申请延至 {}：{reason}", local_minute(resolve_by_ms));
            events.push(TicketEvent::new(&n, TicketAction::RequestExtension, Some(from), actor, now, &note));
        }
        Action::DecideExtension { approve, note } => {
            if !p.is_one_of(SUPERVISORS) {
                return Err(deny("decide an extension request for"));
            }
            let Some(request) = t.pending_extension.clone() else {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "no extension request is waiting"));
            };
            n.pending_extension = None;
            if approve {
                let note = optional_text("note", &note)?;
                if let Some(a) = n.assignment.as_mut() {
                    a.resolve_by_ms = request.resolve_by_ms;
                }
                n.warned_at_ms = None;
                let text = format!("延至 {}{}", local_minute(request.resolve_by_ms), colon_then(&note));
                events.push(TicketEvent::new(&n, TicketAction::ApproveExtension, Some(from), actor, now, &text));
            } else {
                let note = required_text("note", &note)?;
                events.push(TicketEvent::new(&n, TicketAction::RefuseExtension, Some(from), actor, now, &note));
            }
        }
        Action::Progress { note } => {
            if !(is_assignee(p, t) || is_co_handler(p, t) || p.is_one_of(SUPERVISORS)) {
                return Err(deny("add progress to"));
            }
            if !t.status.is_open() {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "progress can only be added to an open ticket",
                ));
            }
            let note = required_text("note", &note)?;
            events.push(TicketEvent::new(&n, TicketAction::Progress, Some(from), actor, now, &note));
        }
        Action::Resolve { measures_taken, reply, template, callback_by_ms } => {
            if !is_assignee(p, t) {
                return Err(deny("resolve"));
            }
            require_status(t, &[Status::Accepted], "resolve")?;
            let measures_taken = required_text("measures_taken", &measures_taken)?;
            n.reply = template.checked_reply(&reply)?;
            n.callback_by_ms = Some(callback_by_ms);
            n.status = Status::Resolved;
            // Done in time after all: nothing left to decide.
            n.pending_extension = None;
            n.resolved_at_ms = Some(now);
            events.push(TicketEvent::new(&n, TicketAction::Resolve, Some(from), actor, now, &measures_taken));
        }
        Action::Verify { satisfaction, note } => {
            if !(is_submitter(p, t) || p.is_one_of(&[Role::TownOffice, Role::County, Role::Community])) {
                return Err(deny("verify"));
            }
            require_status(t, &[Status::Resolved], "verify")?;
            let note = optional_text("note", &note)?;
            events = rate_fix(t, &mut n, satisfaction, &note, TicketAction::Verify, actor, now);
        }
        Action::Rate { satisfaction, note } => {
            require_status(t, &[Status::Resolved], "rate")?;
            let note = if satisfaction == Satisfaction::NotSatisfied {
                required_text("note", &note)?
            } else {
                optional_text("note", &note)?
            };
            let action =
                if satisfaction == Satisfaction::NotSatisfied { TicketAction::Dispute } else { TicketAction::Confirm };
            events = rate_fix(t, &mut n, satisfaction, &note, action, actor, now);
        }
        Action::Reopen { reason } => {
            if !(is_submitter(p, t) || p.is_one_of(&[Role::TownOffice, Role::County, Role::Community])) {
                return Err(deny("reopen"));
            }
            require_status(t, &[Status::Resolved, Status::Verified, Status::Closed], "reopen")?;
            let reason = required_text("reason", &reason)?;
            n.satisfaction = None;
            send_back_for_redo(t, &mut n, now);
            events.push(TicketEvent::new(&n, TicketAction::Reopen, Some(from), actor, now, &reason));
        }
        Action::Escalate { note } => {
            if !p.is_one_of(SUPERVISORS) {
                return Err(deny("escalate"));
            }
            if !t.status.is_open() {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "only an open ticket can be escalated"));
            }
            if t.level >= MAX_LEVEL {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "the ticket is already at the county level",
                ));
            }
            let note = required_text("note", &note)?;
            escalate_one_level(&mut n, now);
            events.push(TicketEvent::new(&n, TicketAction::Escalate, Some(from), actor, now, &note));
        }
    }
    Ok((n, events))
}

/// Records how satisfied the reporter is with a resolved ticket's fix: satisfied (or basically)
/// verifies and closes it; not satisfied reopens it and the unit must respond again.
fn rate_fix(
    t: &Ticket,
    n: &mut Ticket,
    satisfaction: Satisfaction,
    note: &str,
    action: TicketAction,
    actor: &str,
    now: i64,
) -> Vec<TicketEvent> {
    n.satisfaction = Some(satisfaction);
    let label =
        format!("{}{}", satisfaction.label_zh(), if note.is_empty() { String::new() } else { format!(": {note}") });
    if satisfaction == Satisfaction::NotSatisfied {
        send_back_for_redo(t, n, now);
        vec![TicketEvent::new(n, action, Some(t.status), actor, now, &label)]
    } else {
        n.status = Status::Verified;
        let rated = TicketEvent::new(n, action, Some(t.status), actor, now, &label);
        n.status = Status::Closed;
        vec![rated, TicketEvent::new(n, TicketAction::Close, Some(Status::Verified), actor, now, "")]
    }
}

/// Raises the ticket one level, stamping when it reached it.
pub fn escalate_one_level(t: &mut Ticket, now: i64) {
    t.level = (t.level + 1).min(MAX_LEVEL);
    match t.level {
        1 => t.escalated_l1_at_ms = Some(now),
        _ => {
            t.escalated_l2_at_ms = Some(now);
            t.county_report = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, unit: Option<&str>, subject: &str) -> Principal {
        Principal {
            subject: subject.into(),
            role,
            town: Some("t".into()),
            county: "c".into(),
            unit: unit.map(Into::into),
            estate: None,
        }
    }

    fn ticket() -> Ticket {
        let complaint = Complaint {
            town: "t".into(),
            county: "c".into(),
            estate_id: "e".into(),
            estate_name: "阳光花园".into(),
            category: Category::Repair,
            source: Source::Resident,
            description: "电梯坏了".into(),
            reporter: Reporter { name: "王".into(), phone: "13812345678".into(), anonymous: false },
            submitted_by: "zhongxing.resident".into(),
            reported_at_ms: 0,
        };
        Ticket {
            id: "t1".into(),
            tracking_code: "ABC".into(),
            status: Status::Assigned,
            assignment: Some(Assignment {
                unit_type: "property_company".into(),
                unit_id: "pc".into(),
                unit_name: "恒安物业".into(),
                person_id: "p".into(),
                person_name: "钱经理".into(),
                respond_by_ms: DAY_MS,
                resolve_by_ms: 7 * DAY_MS,
                measures: String::new(),
                co_handler_unit_ids: vec![],
                sign_by_ms: HOUR_MS,
                signed_at_ms: None,
                assigned_at_ms: 0,
                return_by_ms: 2 * DAY_MS,
            }),
            ..Ticket::received(complaint, 0)
        }
    }

    /// Resolving with the built-in template, the callback due two days in.
    fn resolve(reply: &str) -> Action {
        Action::Resolve {
            measures_taken: "已更换".into(),
            reply: reply.into(),
            template: Box::new(ReplyTemplate::built_in("t", Category::Repair)),
            callback_by_ms: 2 * DAY_MS,
        }
    }

    #[test]
    fn happy_path_to_closed() {
        let unit = principal(Role::PropertyCompany, Some("pc"), "pc.user");
        let resident = principal(Role::Resident, None, "zhongxing.resident");
        let (t, _) = apply(&ticket(), Action::Accept { measures: "更换配件".into() }, &unit, 10).unwrap();
        assert_eq!((t.status, t.responded_at_ms), (Status::Accepted, Some(10)));
        let (t, _) =
            apply(&t, resolve("办理结果：已更换\n办理单位及人员：恒安物业\n办理依据：合同"), &unit, 20).unwrap();
        assert_eq!(
            (t.callback_by_ms, t.reply.as_str()),
            (Some(2 * DAY_MS), "办理结果：已更换\n办理单位及人员：恒安物业\n办理依据：合同")
        );
        assert_eq!(t.status, Status::Resolved);
        let (t, events) =
            apply(&t, Action::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }, &resident, 30)
                .unwrap();
        assert_eq!(t.status, Status::Closed);
        assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["verify", "close"]);
    }

    #[test]
    fn the_unit_signs_once_and_accepting_signs_too() {
        let unit = principal(Role::PropertyCompany, Some("pc"), "pc.user");
        assert!(ticket().assignment.unwrap().sign_for_late(2 * HOUR_MS));
        let (t, events) = apply(&ticket(), Action::Sign, &unit, 10).unwrap();
        let a = t.assignment.clone().unwrap();
        assert_eq!((t.status, a.signed_at_ms), (Status::Assigned, Some(10)));
        assert!(!a.sign_for_late(2 * HOUR_MS));
        assert_eq!(events[0].action, "sign");
        let err = apply(&t, Action::Sign, &unit, 20).err().unwrap();
        assert_eq!(err.code, ErrorCode::FailedPrecondition);
        let (t, _) = apply(&t, Action::Accept { measures: "更换配件".into() }, &unit, 30).unwrap();
        assert_eq!(t.assignment.unwrap().signed_at_ms, Some(10), "signing stays when it was signed for");
        let (t, _) = apply(&ticket(), Action::Accept { measures: "更换配件".into() }, &unit, 40).unwrap();
        assert_eq!(t.assignment.unwrap().signed_at_ms, Some(40), "accepting without signing signs");
        let other = principal(Role::Police, Some("police"), "police.user");
        assert_eq!(apply(&ticket(), Action::Sign, &other, 1).err().unwrap().code, ErrorCode::PermissionDenied);
    }

    #[test]
    fn an_extension_moves_the_deadline_only_when_the_office_approves() {
        let unit = principal(Role::PropertyCompany, Some("pc"), "pc.user");
        let office = principal(Role::TownOffice, None, "office");
        let ask = |t: &Ticket, by: i64, at: i64| {
            apply(t, Action::RequestExtension { resolve_by_ms: by, reason: "等待业主表决维修资金".into() }, &unit, at)
        };
        let (t, events) = ask(&ticket(), 10 * DAY_MS, DAY_MS).unwrap();
        assert_eq!(t.pending_extension.as_ref().map(|r| r.resolve_by_ms), Some(10 * DAY_MS));
        assert_eq!(t.assignment.as_ref().unwrap().resolve_by_ms, 7 * DAY_MS, "asking moves nothing");
        assert_eq!(events[0].action, "request_extension");
        assert_eq!(ask(&t, 11 * DAY_MS, DAY_MS).err().unwrap().code, ErrorCode::FailedPrecondition, "one at a time");
        let refuse = Action::DecideExtension { approve: false, note: String::new() };
        assert_eq!(apply(&t, refuse, &office, 2 * DAY_MS).err().unwrap().field.as_deref(), Some("note"));
        let refuse = Action::DecideExtension { approve: false, note: "理由不充分".into() };
        let (refused, _) = apply(&t, refuse, &office, 2 * DAY_MS).unwrap();
        assert_eq!((refused.pending_extension.clone(), refused.assignment.unwrap().resolve_by_ms), (None, 7 * DAY_MS));
        let approve = Action::DecideExtension { approve: true, note: String::new() };
        let (approved, events) = apply(&t, approve, &office, 2 * DAY_MS).unwrap();
        assert_eq!((approved.pending_extension, approved.assignment.unwrap().resolve_by_ms), (None, 10 * DAY_MS));
        assert_eq!(events[0].action, "approve_extension");
        // Refusals: after the deadline, not later than it, not the unit's ticket, nothing to decide.
        assert_eq!(ask(&ticket(), 10 * DAY_MS, 7 * DAY_MS).err().unwrap().code, ErrorCode::FailedPrecondition);
        assert_eq!(ask(&ticket(), 6 * DAY_MS, DAY_MS).err().unwrap().field.as_deref(), Some("resolve_by"));
        let other = principal(Role::Police, Some("police"), "police.user");
        let by_other = Action::RequestExtension { resolve_by_ms: 10 * DAY_MS, reason: "x".into() };
        assert_eq!(apply(&ticket(), by_other, &other, DAY_MS).err().unwrap().code, ErrorCode::PermissionDenied);
        let nothing = Action::DecideExtension { approve: true, note: String::new() };
        assert_eq!(apply(&ticket(), nothing, &office, DAY_MS).err().unwrap().code, ErrorCode::FailedPrecondition);
    }

    #[test]
    fn only_the_assigned_unit_acts() {
        let other = principal(Role::Police, Some("police"), "police.user");
        let err = apply(&ticket(), Action::Accept { measures: "x".into() }, &other, 1).err().unwrap();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        let resident = principal(Role::Resident, None, "someone.else");
        let mut resolved = ticket();
        resolved.status = Status::Resolved;
        let err = apply(
            &resolved,
            Action::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() },
            &resident,
            1,
        )
        .err()
        .unwrap();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
    }

    #[test]
    fn not_satisfied_reopens_with_a_fresh_response_window() {
        let mut t = ticket();
        t.status = Status::Resolved;
        t.responded_at_ms = Some(5);
        let office = principal(Role::TownOffice, None, "office");
        let (t, _) = apply(
            &t,
            Action::Verify { satisfaction: Satisfaction::NotSatisfied, note: "没修好".into() },
            &office,
            100 * DAY_MS,
        )
        .unwrap();
        assert_eq!(t.status, Status::Reopened);
        assert_eq!(t.responded_at_ms, None);
        assert_eq!(t.redo_count, 1, "a redo is counted (重办)");
        let a = t.assignment.clone().unwrap();
        assert_eq!(a.respond_by_ms, 101 * DAY_MS);
        // A new resolution deadline as long as the first (seven days from dispatch).
        assert_eq!(a.resolve_by_ms, 107 * DAY_MS);
        // Reopened again later by the office: a second redo.
        let mut t = t;
        t.status = Status::Closed;
        let (t, _) = apply(&t, Action::Reopen { reason: "问题复发".into() }, &office, 200 * DAY_MS).unwrap();
        assert_eq!((t.status, t.redo_count), (Status::Reopened, 2));
    }

    #[test]
    fn reject_goes_to_level_one_and_escalation_stops_at_the_county() {
        let unit = principal(Role::PropertyCompany, Some("pc"), "pc.user");
        let reject = || Action::Reject {
            reason_label: ReturnReason::NotOurRemit.label_zh().into(),
            reason: "不属于我方".into(),
        };
        let (t, events) = apply(&ticket(), reject(), &unit, 1).unwrap();
        assert_eq!((t.status, t.level), (Status::Rejected, 1));
        assert_eq!(events[0].note, "非本单位职责：不属于我方");
        // Past the return window (two days here) a return is refused.
        assert_eq!(apply(&ticket(), reject(), &unit, 3 * DAY_MS).err().unwrap().code, ErrorCode::FailedPrecondition);
        // The office does not accept it: back to the unit, deadlines as they were.
        let office = principal(Role::TownOffice, None, "office");
        let overrule = |note: &str| Action::OverruleReturn { note: note.into() };
        assert_eq!(apply(&t, overrule(" "), &office, 2).err().unwrap().field.as_deref(), Some("note"));
        assert_eq!(apply(&t, overrule("属物业职责"), &unit, 2).err().unwrap().code, ErrorCode::PermissionDenied);
        let (back, _) = apply(&t, overrule("属物业职责"), &office, 2).unwrap();
        assert_eq!((back.status, back.assignment.clone()), (Status::Assigned, t.assignment.clone()));
        assert_eq!(apply(&back, overrule("x"), &office, 3).err().unwrap().code, ErrorCode::FailedPrecondition);
        let office = principal(Role::TownOffice, None, "office");
        let (t, _) = apply(&t, Action::Escalate { note: "拒不整改".into() }, &office, 2).unwrap();
        assert_eq!(t.level, 2);
        assert!(t.county_report);
        let err = apply(&t, Action::Escalate { note: "again".into() }, &office, 3).err().unwrap();
        assert_eq!(err.code, ErrorCode::FailedPrecondition);
    }

    #[test]
    fn wrong_status_and_missing_text_are_refused() {
        let unit = principal(Role::PropertyCompany, Some("pc"), "pc.user");
        let err = apply(&ticket(), resolve("办理结果：x\n办理单位及人员：x\n办理依据：x"), &unit, 1).err().unwrap();
        assert_eq!(err.code, ErrorCode::FailedPrecondition);
        let mut accepted = ticket();
        accepted.status = Status::Accepted;
        let err = apply(&accepted, resolve("已修好"), &unit, 1).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("reply"), "a resolution without the template's headings");
        let err = apply(&ticket(), Action::Accept { measures: "  ".into() }, &unit, 1).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("measures"));
    }

    #[test]
    fn supervision_checks_follow_the_source() {
        let mut t = ticket();
        // Just assigned, inside its deadlines: progress, not accountability.
        assert_eq!(t.supervision(0), SupervisionCheck::Progress);
        // Not signed for within its hour, though the response is not due yet: accountability.
        assert_eq!(t.supervision(2 * HOUR_MS), SupervisionCheck::Accountability);
        // Not taken up past its response deadline: accountability.
        assert_eq!(t.supervision(8 * DAY_MS), SupervisionCheck::Accountability);
        t.status = Status::Accepted;
        t.responded_at_ms = Some(1);
        assert_eq!(t.supervision(2), SupervisionCheck::Progress);
        assert_eq!(t.supervision(8 * DAY_MS), SupervisionCheck::Cause);
        t.status = Status::Rejected;
        assert_eq!(t.supervision(0), SupervisionCheck::Cause);
        t.status = Status::Closed;
        assert_eq!(t.supervision(0), SupervisionCheck::Effect);
    }
}
