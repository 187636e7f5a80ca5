//! Dispatch wire types ⇄ domain types, and the checks on enum fields from the wire.

use crate::calendar::{CalendarDay, OfficeHours, YearCalendar, format_hhmm, parse_hhmm};
use crate::model::*;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::fields::required_enum;
use wuguan_platform::privacy::mask_phone;
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::common::UnitType;

/// A unit type's wire value from the name the registry gives it.
pub fn unit_type_to_pb(s: &str) -> i32 {
    UnitType::parse(s).map(i32::from).unwrap_or(0)
}

pub fn event(e: TicketEvent) -> pb::TicketEvent {
    pb::TicketEvent {
        id: e.id,
        ticket_id: e.ticket_id,
        action: e.action,
        from_status: e.from_status.map(i32::from).unwrap_or(0),
        to_status: i32::from(e.to_status),
        actor: e.actor,
        at_ms: e.at_ms,
        note: e.note,
        level: e.level,
        remarks: e
            .remarks
            .into_iter()
            .map(|r| pb::Remark { code: i32::from(r.code), unit_type: r.unit_type.map(i32::from).unwrap_or(0) })
            .collect(),
        unit_id: e.unit_id.unwrap_or_default(),
    }
}

pub fn ticket(t: Ticket, show_phone: bool, now_ms: i64, timeline: Vec<TicketEvent>) -> pb::Ticket {
    let overdue = t.is_overdue(now_ms);
    let callback_overdue = t.callback_late(now_ms);
    let supervision = i32::from(t.supervision(now_ms));
    pb::Ticket {
        overdue,
        callback_overdue,
        supervision,
        id: t.id,
        town: t.town,
        tracking_code: t.tracking_code,
        estate_id: t.estate_id,
        estate_name: t.estate_name,
        category: i32::from(t.category),
        source: i32::from(t.source),
        description: t.description,
        status: i32::from(t.status),
        level: t.level,
        assignment: t.assignment.map(|a| pb::Assignment {
            unit_type: unit_type_to_pb(&a.unit_type),
            unit_id: a.unit_id,
            unit_name: a.unit_name,
            person_id: a.person_id,
            person_name: a.person_name,
            respond_by_ms: a.respond_by_ms,
            resolve_by_ms: a.resolve_by_ms,
            sign_by_ms: a.sign_by_ms,
            signed_at_ms: a.signed_at_ms.unwrap_or(0),
            assigned_at_ms: a.assigned_at_ms,
            return_by_ms: a.return_by_ms,
            measures: a.measures,
            co_handler_unit_ids: a.co_handler_unit_ids,
        }),
        reporter: Some(pb::Reporter {
            name: t.reporter.name,
            phone: if show_phone { t.reporter.phone } else { mask_phone(&t.reporter.phone) },
            anonymous: t.reporter.anonymous,
        }),
        created_at_ms: t.created_at_ms,
        updated_at_ms: t.updated_at_ms,
        responded_at_ms: t.responded_at_ms.unwrap_or(0),
        resolved_at_ms: t.resolved_at_ms.unwrap_or(0),
        satisfaction: t.satisfaction.map(i32::from).unwrap_or(0),
        county_report: t.county_report,
        timeline: timeline.into_iter().map(event).collect(),
        submitted_by: t.submitted_by,
        possible_repeat_of: t.repeat_of.unwrap_or_default(),
        merged_into: t.merged_into.unwrap_or_default(),
        pending_extension: t.pending_extension.map(|r| pb::ExtensionRequest {
            resolve_by_ms: r.resolve_by_ms,
            reason: r.reason,
            requested_by: r.requested_by,
            requested_at_ms: r.requested_at_ms,
        }),
        reached_town_at_ms: t.escalated_l1_at_ms.unwrap_or(0),
        reached_county_at_ms: t.escalated_l2_at_ms.unwrap_or(0),
        reply: t.reply,
        callback_by_ms: t.callback_by_ms.unwrap_or(0),
        redo_count: t.redo_count,
        warned_at_ms: t.warned_at_ms.unwrap_or(0),
    }
}

pub fn reply_template(t: crate::reply::ReplyTemplate) -> pb::ReplyTemplate {
    pb::ReplyTemplate {
        town: t.town,
        category: i32::from(t.category),
        headings: t.headings,
        guidance: t.guidance,
        customised: t.customised,
        updated_by: t.updated_by,
        updated_at_ms: t.updated_at_ms,
    }
}

/// The town's list as offered (`stored` is what it set; nothing stored is the built-in list).
pub fn return_reasons(stored: &[crate::return_reasons::TownReturnReason]) -> pb::ListReturnReasonsResponse {
    pb::ListReturnReasonsResponse {
        reasons: crate::return_reasons::effective(stored)
            .into_iter()
            .map(|r| pb::TownReturnReason { code: r.code, label: r.label, built_in: r.built_in, active: r.active })
            .collect(),
        customised: !stored.is_empty(),
    }
}

pub fn return_tally(r: ReturnCount) -> pb::ReturnTally {
    pb::ReturnTally {
        category: i32::from(r.category),
        unit_type: if r.unit_type.is_empty() { 0 } else { unit_type_to_pb(&r.unit_type) },
        unit_id: r.unit_id,
        unit_name: r.unit_name,
        returns: r.returns,
        overruled: r.overruled,
    }
}

pub fn unit_work(w: UnitWork) -> pb::UnitWork {
    pb::UnitWork {
        unit_type: if w.unit_type.is_empty() { 0 } else { unit_type_to_pb(&w.unit_type) },
        unit_id: w.unit_id,
        unit_name: w.unit_name,
        dispatched: w.dispatched,
        returned: w.returned,
        resolved: w.resolved,
        redone: w.redone,
        extension_requests: w.extension_requests,
        sign_due: w.sign_due,
        signed_in_time: w.signed_in_time,
        resolution_due: w.resolution_due,
        resolved_in_time: w.resolved_in_time,
        rated: w.rated,
        satisfied: w.satisfied,
    }
}

pub fn rule(r: RoutingRule) -> pb::RoutingRule {
    pb::RoutingRule {
        town: r.town,
        category: i32::from(r.category),
        target: i32::from(r.target),
        response_amount: r.response.amount,
        response_unit: i32::from(r.response.unit),
        resolution_amount: r.resolution.amount,
        resolution_unit: i32::from(r.resolution.unit),
        sign_amount: r.sign.amount,
        sign_unit: i32::from(r.sign.unit),
        initial_level: r.initial_level,
        owner_reps_co_handle: r.owner_reps_co_handle,
        customised: r.customised,
    }
}

pub fn tally(t: Tally) -> pb::TicketTally {
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let c = t.counts;
    pb::TicketTally {
        unit_type: if t.unit_type.is_empty() { 0 } else { unit_type_to_pb(&t.unit_type) },
        key: t.key,
        name: t.name,
        person_name: t.person_name,
        tickets: n(c.tickets),
        responded_in_time: n(c.responded_in_time),
        resolved: n(c.resolved),
        rated: n(c.rated),
        resolution_due: n(c.resolution_due),
        satisfied: n(c.satisfied),
        not_satisfied: n(c.not_satisfied),
        overdue: n(c.overdue),
        late_responses: n(c.late_responses),
        escalated: n(c.escalated),
        raised_to_county: n(c.raised_to_county),
        repeats: n(c.repeats),
    }
}

pub fn calendar(c: YearCalendar) -> pb::TownCalendar {
    pb::TownCalendar {
        town: c.town,
        year: c.year,
        days: c
            .days
            .into_iter()
            .map(|d| pb::CalendarDay {
                date: d.date.format("%Y-%m-%d").to_string(),
                kind: i32::from(d.kind),
                name: d.name,
            })
            .collect(),
        office_start: format_hhmm(c.office.start_minute),
        office_end: format_hhmm(c.office.end_minute),
        source: i32::from(c.source),
        updated_at_ms: c.updated_at_ms,
        updated_by: c.updated_by,
    }
}

/// A year's calendar as a town office sends it; `YearCalendar::validated` checks the rest.
pub fn calendar_from_pb(town: String, c: pb::TownCalendar, by: &str, now_ms: i64) -> ServiceResult<YearCalendar> {
    let mut days = Vec::with_capacity(c.days.len());
    for (i, d) in c.days.into_iter().enumerate() {
        let date = chrono::NaiveDate::parse_from_str(d.date.trim(), "%Y-%m-%d")
            .map_err(|_| ServiceError::invalid(format!("days[{i}].date"), "date must be YYYY-MM-DD"))?;
        let kind = required_enum::<DayKind>(&format!("days[{i}].kind"), d.kind)?;
        days.push(CalendarDay { date, kind, name: d.name });
    }
    let office = OfficeHours {
        start_minute: if c.office_start.is_empty() {
            OfficeHours::DEFAULT.start_minute
        } else {
            parse_hhmm("office_start", &c.office_start)?
        },
        end_minute: if c.office_end.is_empty() {
            OfficeHours::DEFAULT.end_minute
        } else {
            parse_hhmm("office_end", &c.office_end)?
        },
    };
    Ok(YearCalendar {
        town,
        year: c.year,
        days,
        office,
        source: CalendarSource::Town,
        updated_at_ms: now_ms,
        updated_by: by.to_owned(),
    })
}
