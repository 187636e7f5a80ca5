//! JSON shapes of inspections: plans, records with findings, and the four checks (四查).

use crate::vocab::name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::assessment::{Delivery, FollowUpCheckKind, Grade, InspectionFocus, InspectionKind};
use wuguan_proto::vocab::dispatch::{Category, Status};

#[derive(Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = InspectionKind)]
    pub kind: &'static str,
    #[schema(value_type = InspectionFocus)]
    pub focus: &'static str,
    pub planned_by: String,
    pub inspection_id: Option<String>,
    pub reason: String,
    /// Follow-ups: the inspection whose findings it checks on (see `/checks`).
    pub follows: Option<String>,
}

impl From<pb::PlannedInspection> for PlanView {
    fn from(p: pb::PlannedInspection) -> Self {
        PlanView {
            id: p.id,
            town: p.town,
            estate_id: p.estate_id,
            date: p.date,
            kind: name::<InspectionKind>(p.kind),
            focus: name::<InspectionFocus>(p.focus),
            planned_by: p.planned_by,
            inspection_id: (!p.inspection_id.is_empty()).then_some(p.inspection_id),
            reason: p.reason,
            follows: (!p.follows.is_empty()).then_some(p.follows),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FindingView {
    pub id: String,
    pub item: String,
    pub description: String,
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub open_ticket: bool,
    /// The complaint's id once dispatch has it.
    pub ticket_id: Option<String>,
    #[schema(value_type = Delivery)]
    pub delivery: &'static str,
    pub delivery_error: Option<String>,
    pub deduction: f64,
}

#[derive(Serialize, ToSchema)]
pub struct InspectionView {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    pub estate_name: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = InspectionKind)]
    pub kind: &'static str,
    #[schema(value_type = InspectionFocus)]
    pub focus: &'static str,
    pub inspector: String,
    pub rubric_version: i64,
    pub scores: BTreeMap<String, f64>,
    pub total_score: f64,
    #[schema(value_type = Grade)]
    pub grade: String,
    pub findings: Vec<FindingView>,
    pub plan_id: Option<String>,
    pub follow_up_of: Option<String>,
}

impl From<pb::Inspection> for InspectionView {
    fn from(i: pb::Inspection) -> Self {
        InspectionView {
            id: i.id,
            town: i.town,
            estate_id: i.estate_id,
            estate_name: i.estate_name,
            date: i.date,
            kind: name::<InspectionKind>(i.kind),
            focus: name::<InspectionFocus>(i.focus),
            inspector: i.inspector,
            rubric_version: i.rubric_version,
            scores: i.item_scores.into_iter().map(|s| (s.item, s.score)).collect(),
            total_score: i.total_score,
            grade: i.grade,
            findings: i
                .findings
                .into_iter()
                .map(|f| FindingView {
                    id: f.id,
                    item: f.item,
                    description: f.description,
                    category: name::<Category>(f.category),
                    open_ticket: f.open_ticket,
                    ticket_id: (!f.ticket_id.is_empty()).then_some(f.ticket_id),
                    delivery: name::<Delivery>(f.delivery),
                    delivery_error: (!f.delivery_error.is_empty()).then_some(f.delivery_error),
                    deduction: f.deduction,
                })
                .collect(),
            plan_id: (!i.plan_id.is_empty()).then_some(i.plan_id),
            follow_up_of: (!i.follow_up_of.is_empty()).then_some(i.follow_up_of),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    pub item: String,
    pub description: String,
    #[schema(value_type = Category)]
    pub category: String,
    #[serde(default)]
    pub open_ticket: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    pub estate_id: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = InspectionKind)]
    pub kind: String,
    #[schema(value_type = InspectionFocus)]
    pub focus: String,
    /// Item code → points. A scored item keeps its score (its findings deduct nothing more);
    /// items left out start at full marks less the per-finding points of their findings.
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
    #[serde(default)]
    pub findings: Vec<FindingInput>,
    pub plan_id: Option<String>,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub estate_id: Option<String>,
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub estate_id: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = InspectionKind)]
    pub kind: String,
    #[schema(value_type = InspectionFocus)]
    pub focus: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckView {
    pub finding_id: String,
    pub item: String,
    pub description: String,
    pub ticket_id: Option<String>,
    #[schema(value_type = Option<Status>)]
    pub ticket_status: Option<&'static str>,
    pub overdue: bool,
    #[schema(value_type = FollowUpCheckKind)]
    pub check: String,
    pub check_label: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChecksView {
    pub follows: String,
    pub follows_date: String,
    pub estate_id: String,
    pub estate_name: String,
    pub checks: Vec<CheckView>,
}

impl From<pb::FollowUpChecks> for ChecksView {
    fn from(c: pb::FollowUpChecks) -> Self {
        ChecksView {
            follows: c.follows,
            follows_date: c.follows_date,
            estate_id: c.estate_id,
            estate_name: c.estate_name,
            checks: c
                .checks
                .into_iter()
                .map(|k| CheckView {
                    finding_id: k.finding_id,
                    item: k.item,
                    description: k.description,
                    ticket_id: (!k.ticket_id.is_empty()).then_some(k.ticket_id),
                    ticket_status: (k.ticket_status != 0).then(|| name::<Status>(k.ticket_status)),
                    overdue: k.overdue,
                    check: k.check,
                    check_label: k.check_label,
                })
                .collect(),
        }
    }
}
