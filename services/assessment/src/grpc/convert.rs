//! Assessment wire types ⇄ domain types.

use crate::model::*;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::dispatch::v1 as dpb;

pub fn kind_to_pb(k: InspectionKind) -> pb::InspectionKind {
    match k {
        InspectionKind::Open => pb::InspectionKind::Open,
        InspectionKind::Unannounced => pb::InspectionKind::Unannounced,
    }
}

pub fn kind_from_pb(v: i32) -> ServiceResult<InspectionKind> {
    match pb::InspectionKind::try_from(v) {
        Ok(pb::InspectionKind::Open) => Ok(InspectionKind::Open),
        Ok(pb::InspectionKind::Unannounced) => Ok(InspectionKind::Unannounced),
        Ok(pb::InspectionKind::Unspecified) => {
            Err(ServiceError::invalid("kind", "kind is required: open or unannounced"))
        }
        Err(_) => Err(ServiceError::invalid("kind", format!("unknown kind {v}"))),
    }
}

pub fn focus_to_pb(f: InspectionFocus) -> pb::InspectionFocus {
    match f {
        InspectionFocus::Key => pb::InspectionFocus::Key,
        InspectionFocus::FollowUp => pb::InspectionFocus::FollowUp,
    }
}

pub fn focus_from_pb(v: i32) -> ServiceResult<InspectionFocus> {
    match pb::InspectionFocus::try_from(v) {
        Ok(pb::InspectionFocus::Key) => Ok(InspectionFocus::Key),
        Ok(pb::InspectionFocus::FollowUp) => Ok(InspectionFocus::FollowUp),
        Ok(pb::InspectionFocus::Unspecified) => {
            Err(ServiceError::invalid("focus", "focus is required: key or follow_up"))
        }
        Err(_) => Err(ServiceError::invalid("focus", format!("unknown focus {v}"))),
    }
}

/// A dispatch category as its snake_case name; INVALID_ARGUMENT naming `field` otherwise.
pub fn category_name(field: &str, v: i32) -> ServiceResult<String> {
    match dpb::Category::try_from(v) {
        Ok(dpb::Category::Unspecified) => Err(ServiceError::invalid(field, format!("{field} is required"))),
        Ok(c) => Ok(c.as_str_name().trim_start_matches("CATEGORY_").to_ascii_lowercase()),
        Err(_) => Err(ServiceError::invalid(field, format!("unknown {field} {v}"))),
    }
}

fn category_value(s: &str) -> i32 {
    dpb::Category::from_str_name(&format!("CATEGORY_{}", s.to_ascii_uppercase())).map(|c| c as i32).unwrap_or(0)
}

fn delivery_to_pb(d: Delivery) -> pb::Delivery {
    match d {
        Delivery::None => pb::Delivery::None,
        Delivery::Pending => pb::Delivery::Pending,
        Delivery::Delivered => pb::Delivery::Delivered,
        Delivery::Failed => pb::Delivery::Failed,
    }
}

pub fn plan(p: Plan) -> pb::PlannedInspection {
    pb::PlannedInspection {
        id: p.id,
        town: p.town,
        estate_id: p.estate_id,
        date: p.date,
        kind: kind_to_pb(p.kind) as i32,
        focus: focus_to_pb(p.focus) as i32,
        planned_by: p.planned_by,
        inspection_id: p.inspection_id.unwrap_or_default(),
        reason: p.reason,
        follows: p.follows.unwrap_or_default(),
    }
}

pub fn inspection(i: Inspection) -> pb::Inspection {
    pb::Inspection {
        id: i.id,
        town: i.town,
        estate_id: i.estate_id,
        estate_name: i.estate_name,
        date: i.date,
        kind: kind_to_pb(i.kind) as i32,
        focus: focus_to_pb(i.focus) as i32,
        inspector: i.inspector,
        rubric_version: i.rubric_version,
        item_scores: i.item_scores.into_iter().map(|s| pb::ItemScore { item: s.item, score: s.score }).collect(),
        findings: i
            .findings
            .into_iter()
            .map(|f| pb::Finding {
                category: category_value(&f.category),
                id: f.id,
                item: f.item,
                description: f.description,
                open_ticket: f.open_ticket,
                ticket_id: f.ticket_id.unwrap_or_default(),
                delivery: delivery_to_pb(f.delivery) as i32,
                delivery_error: f.delivery_error,
                deduction: f.deduction,
            })
            .collect(),
        total_score: i.total_score,
        grade: i.grade,
        plan_id: i.plan_id.unwrap_or_default(),
        created_at_ms: i.created_at_ms,
        follow_up_of: i.follow_up_of.unwrap_or_default(),
    }
}

pub fn rubric(r: Rubric) -> pb::Rubric {
    let total_points = r.total_points();
    pb::Rubric {
        town: r.town,
        version: r.version,
        items: r
            .items
            .into_iter()
            .map(|i| pb::RubricItem {
                code: i.code,
                area: i.area,
                name: i.name,
                max_points: i.max_points,
                deduction_per_finding: i.deduction_per_finding,
            })
            .collect(),
        bands: Some(pb::GradeBands { excellent: r.bands.excellent, good: r.bands.good, pass: r.bands.pass }),
        created_by: r.created_by,
        created_at_ms: r.created_at_ms,
        total_points,
        rules: Some(pb::RubricRules {
            dispatch_deductions: r
                .dispatch_deductions
                .into_iter()
                .map(|d| pb::DispatchDeduction { item: d.item, metric: d.metric, points: d.points })
                .collect(),
            vetoes: r.vetoes.into_iter().map(|v| pb::Veto { condition: v.condition, threshold: v.threshold }).collect(),
        }),
    }
}

pub fn rules_from_pb(r: pb::RubricRules) -> (Vec<DispatchDeduction>, Vec<Veto>) {
    let deductions = r
        .dispatch_deductions
        .into_iter()
        .map(|d| DispatchDeduction {
            item: d.item.trim().to_owned(),
            metric: d.metric.trim().to_owned(),
            points: d.points,
        })
        .collect();
    let vetoes = r
        .vetoes
        .into_iter()
        .map(|v| Veto { condition: v.condition.trim().to_owned(), threshold: v.threshold })
        .collect();
    (deductions, vetoes)
}

pub fn incident(i: Incident) -> pb::Incident {
    pb::Incident {
        id: i.id,
        town: i.town,
        estate_id: i.estate_id,
        estate_name: i.estate_name,
        date: i.date,
        description: i.description,
        recorded_by: i.recorded_by,
        created_at_ms: i.created_at_ms,
    }
}
