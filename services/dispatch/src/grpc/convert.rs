//! Dispatch wire types ⇄ domain types, and the checks on enum fields from the wire.

use crate::model::*;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::privacy::mask_phone;
use wuguan_proto::common::v1 as common;
use wuguan_proto::dispatch::v1 as pb;

macro_rules! enum_map {
    ($to:ident, $from:ident, $domain:ident, $wire:ty, { $($d:ident <=> $w:ident),+ $(,)? }) => {
        pub fn $to(v: $domain) -> $wire {
            match v { $($domain::$d => <$wire>::$w),+ }
        }
        /// `Ok(None)` for UNSPECIFIED; INVALID_ARGUMENT naming `field` for unknown values.
        pub fn $from(field: &str, v: i32) -> ServiceResult<Option<$domain>> {
            match <$wire>::try_from(v) {
                Ok(<$wire>::Unspecified) => Ok(None),
                $(Ok(<$wire>::$w) => Ok(Some($domain::$d)),)+
                Err(_) => Err(ServiceError::invalid(field, format!("unknown {field} {v}"))),
            }
        }
    };
}

enum_map!(category_to_pb, category_from_pb, Category, pb::Category, {
    Security <=> Security, IllegalConstruction <=> IllegalConstruction, IllegalRenovation <=> IllegalRenovation,
    StructuralDamage <=> StructuralDamage, IllegalStall <=> IllegalStall, Sanitation <=> Sanitation, Repair <=> Repair,
    PropertyService <=> PropertyService, PropertyFees <=> PropertyFees, OwnersCommittee <=> OwnersCommittee,
    NeighbourDispute <=> NeighbourDispute, BuildingQuality <=> BuildingQuality, MissingFacilities <=> MissingFacilities,
    Other <=> Other,
});
enum_map!(source_to_pb, source_from_pb, Source, pb::Source, {
    Resident <=> Resident, OwnerRep <=> OwnerRep, Inspection <=> Inspection, Hotline <=> Hotline,
    Department <=> Department, TownOffice <=> TownOffice,
});
enum_map!(status_to_pb, status_from_pb, Status, pb::Status, {
    Received <=> Received, Assigned <=> Assigned, Accepted <=> Accepted, Resolved <=> Resolved,
    Verified <=> Verified, Closed <=> Closed, Rejected <=> Rejected, Reopened <=> Reopened,
});
enum_map!(satisfaction_to_pb, satisfaction_from_pb, Satisfaction, pb::Satisfaction, {
    Satisfied <=> Satisfied, BasicallySatisfied <=> BasicallySatisfied, NotSatisfied <=> NotSatisfied,
});
enum_map!(target_to_pb, target_from_pb, RouteTarget, pb::RouteTarget, {
    Police <=> Police, UrbanManagement <=> UrbanManagement, PropertyCompany <=> PropertyCompany,
    Community <=> Community, ConstructionBureau <=> ConstructionBureau, TownOffice <=> TownOffice,
});

pub fn supervision_to_pb(s: SupervisionCheck) -> pb::SupervisionCheck {
    match s {
        SupervisionCheck::Effect => pb::SupervisionCheck::Effect,
        SupervisionCheck::Progress => pb::SupervisionCheck::Progress,
        SupervisionCheck::Cause => pb::SupervisionCheck::Cause,
        SupervisionCheck::Accountability => pb::SupervisionCheck::Accountability,
    }
}

pub fn unit_type_to_pb(s: &str) -> common::UnitType {
    match s {
        "community" => common::UnitType::Community,
        "urban_management" => common::UnitType::UrbanManagement,
        "police" => common::UnitType::Police,
        "property_company" => common::UnitType::PropertyCompany,
        "owner_reps" => common::UnitType::OwnerReps,
        "construction_bureau" => common::UnitType::ConstructionBureau,
        "developer" => common::UnitType::Developer,
        "town_office" => common::UnitType::TownOffice,
        "county" => common::UnitType::County,
        _ => common::UnitType::Unspecified,
    }
}

/// A unit type from the wire as the registry names it; None for UNSPECIFIED.
pub fn unit_type_from_pb(field: &str, v: i32) -> ServiceResult<Option<&'static str>> {
    let t = common::UnitType::try_from(v).map_err(|_| ServiceError::invalid(field, format!("unknown {field} {v}")))?;
    Ok(match t {
        common::UnitType::Unspecified => None,
        common::UnitType::Community => Some("community"),
        common::UnitType::UrbanManagement => Some("urban_management"),
        common::UnitType::Police => Some("police"),
        common::UnitType::PropertyCompany => Some("property_company"),
        common::UnitType::OwnerReps => Some("owner_reps"),
        common::UnitType::ConstructionBureau => Some("construction_bureau"),
        common::UnitType::Developer => Some("developer"),
        common::UnitType::TownOffice => Some("town_office"),
        common::UnitType::County => Some("county"),
    })
}

pub fn event(e: TicketEvent) -> pb::TicketEvent {
    pb::TicketEvent {
        id: e.id,
        ticket_id: e.ticket_id,
        action: e.action,
        from_status: e.from_status.map(|s| status_to_pb(s) as i32).unwrap_or(0),
        to_status: status_to_pb(e.to_status) as i32,
        actor: e.actor,
        at_ms: e.at_ms,
        note: e.note,
        level: e.level,
    }
}

pub fn ticket(t: Ticket, show_phone: bool, now_ms: i64, timeline: Vec<TicketEvent>) -> pb::Ticket {
    let overdue = t.is_overdue(now_ms);
    let supervision = supervision_to_pb(t.supervision(now_ms)) as i32;
    pb::Ticket {
        overdue,
        supervision,
        id: t.id,
        town: t.town,
        tracking_code: t.tracking_code,
        estate_id: t.estate_id,
        estate_name: t.estate_name,
        category: category_to_pb(t.category) as i32,
        source: source_to_pb(t.source) as i32,
        description: t.description,
        status: status_to_pb(t.status) as i32,
        level: t.level,
        assignment: t.assignment.map(|a| pb::Assignment {
            unit_type: unit_type_to_pb(&a.unit_type) as i32,
            unit_id: a.unit_id,
            unit_name: a.unit_name,
            person_id: a.person_id,
            person_name: a.person_name,
            respond_by_ms: a.respond_by_ms,
            resolve_by_ms: a.resolve_by_ms,
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
        satisfaction: t.satisfaction.map(|s| satisfaction_to_pb(s) as i32).unwrap_or(0),
        county_report: t.county_report,
        timeline: timeline.into_iter().map(event).collect(),
        submitted_by: t.submitted_by,
        possible_repeat_of: t.repeat_of.unwrap_or_default(),
        merged_into: t.merged_into.unwrap_or_default(),
    }
}

pub fn rule(r: RoutingRule) -> pb::RoutingRule {
    pb::RoutingRule {
        town: r.town,
        category: category_to_pb(r.category) as i32,
        target: target_to_pb(r.target) as i32,
        response_minutes: r.response_minutes,
        resolution_minutes: r.resolution_minutes,
        initial_level: r.initial_level,
        owner_reps_co_handle: r.owner_reps_co_handle,
        customised: r.customised,
    }
}

pub fn tally(t: Tally) -> pb::TicketTally {
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let c = t.counts;
    pb::TicketTally {
        unit_type: if t.unit_type.is_empty() { 0 } else { unit_type_to_pb(&t.unit_type) as i32 },
        key: t.key,
        name: t.name,
        person_name: t.person_name,
        tickets: n(c.tickets),
        responded_in_time: n(c.responded_in_time),
        resolved: n(c.resolved),
        rated: n(c.rated),
        satisfied: n(c.satisfied),
        not_satisfied: n(c.not_satisfied),
        overdue: n(c.overdue),
        late_responses: n(c.late_responses),
        escalated: n(c.escalated),
        raised_to_county: n(c.raised_to_county),
        repeats: n(c.repeats),
    }
}
