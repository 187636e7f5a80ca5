//! Assessment wire types ⇄ domain types.

use crate::model::*;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::fields::required_enum;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::dispatch::Category;

/// A dispatch category as its snake_case name; INVALID_ARGUMENT naming `field` otherwise.
pub fn category_name(field: &str, v: i32) -> ServiceResult<String> {
    required_enum::<Category>(field, v).map(|c| c.as_str().to_owned())
}

fn category_value(s: &str) -> i32 {
    Category::parse(s).map(i32::from).unwrap_or(0)
}

pub fn plan(p: Plan) -> pb::PlannedInspection {
    pb::PlannedInspection {
        id: p.id,
        town: p.town,
        estate_id: p.estate_id,
        date: p.date,
        kind: i32::from(p.kind),
        focus: i32::from(p.focus),
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
        kind: i32::from(i.kind),
        focus: i32::from(i.focus),
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
                delivery: i32::from(f.delivery),
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
            league: Some(league(r.league)),
        }),
    }
}

pub fn league(l: LeagueRules) -> pb::LeagueRules {
    pb::LeagueRules {
        min_tickets: l.min_tickets,
        weights: l
            .weights
            .into_iter()
            .map(|w| pb::LeagueWeight {
                indicator: LeagueIndicator::parse(&w.indicator).map(i32::from).unwrap_or(0),
                weight: w.weight,
            })
            .collect(),
    }
}

/// League rules from the wire; an indicator that is not one of the contract's is refused by name.
pub fn league_from_pb(l: pb::LeagueRules) -> ServiceResult<LeagueRules> {
    let weights = l
        .weights
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let indicator =
                required_enum::<LeagueIndicator>(&format!("rules.league.weights[{i}].indicator"), w.indicator)?;
            Ok(LeagueWeight { indicator: indicator.as_str().to_owned(), weight: w.weight })
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    Ok(LeagueRules { min_tickets: l.min_tickets, weights })
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
