//! JSON shapes of complaints (tickets): snake_case enum values, RFC 3339 instants; routing
//! rules, statistics, the supervision view and the written report to the county.

use crate::error::ApiError;
use crate::vocab::name;
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::dispatch::{
    Category, EventRemark, LimitUnit, RouteTarget, Satisfaction, Source, Status, SupervisionCheck, TicketAction,
};

pub fn instant(ms: i64) -> Option<String> {
    (ms != 0)
        .then(|| chrono::DateTime::from_timestamp_millis(ms).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)))
        .flatten()
}

pub fn parse_instant(field: &str, s: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).map(|d| d.timestamp_millis()).map_err(|_| {
        ApiError::invalid(field, format!("{field} must be an RFC 3339 instant, e.g. 2026-11-30T18:00:00+08:00"))
    })
}

/// The person named in an assignment (the ledger's own `PersonView` is a different shape).
#[derive(Serialize, ToSchema)]
#[schema(as = AssignedPersonView)]
pub struct PersonView {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentView {
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    pub unit_id: String,
    pub unit_name: String,
    pub person: PersonView,
    /// The resolution deadline (定时间).
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    #[schema(format = DateTime)]
    pub respond_by: Option<String>,
    /// 签收时限: when the unit must have signed for it (null for tickets from before sign-for).
    #[schema(format = DateTime)]
    pub sign_by: Option<String>,
    /// When the unit signed for it (or accepted it); null until then.
    #[schema(format = DateTime)]
    pub signed_at: Option<String>,
    /// When this unit was given it (dispatch); null for tickets from before it was recorded.
    #[schema(format = DateTime)]
    pub assigned_at: Option<String>,
    /// The end of the unit's window to return it (退单时限: 2 working days from dispatch).
    #[schema(format = DateTime)]
    pub return_by: Option<String>,
    /// Planned measures (定措施), set when the unit accepts.
    pub measures: String,
    pub co_handler_unit_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExtensionView {
    /// The deadline asked for.
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    pub reason: String,
    pub requested_by: String,
    #[schema(format = DateTime)]
    pub requested_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReporterView {
    pub name: String,
    pub phone: String,
    pub anonymous: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    #[schema(value_type = TicketAction)]
    pub action: String,
    #[schema(value_type = Option<Status>)]
    pub from_status: Option<&'static str>,
    #[schema(value_type = Status)]
    pub to_status: &'static str,
    pub actor: Option<String>,
    #[schema(format = DateTime)]
    pub at: Option<String>,
    pub note: Option<String>,
    pub level: u32,
    /// What the system recorded, as `EventRemark` names (labels: `GET /api/v1/vocabulary`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remarks: Vec<RemarkView>,
}

#[derive(Serialize, ToSchema)]
pub struct RemarkView {
    #[schema(value_type = EventRemark)]
    pub remark: &'static str,
    /// The kind of unit a `no_unit_of_type` remark is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<UnitType>)]
    pub unit_type: Option<&'static str>,
}

impl From<pb::TicketEvent> for EventView {
    fn from(e: pb::TicketEvent) -> Self {
        EventView {
            action: e.action,
            from_status: (e.from_status != 0).then(|| name::<Status>(e.from_status)),
            to_status: name::<Status>(e.to_status),
            actor: (!e.actor.is_empty()).then_some(e.actor),
            at: instant(e.at_ms),
            note: (!e.note.is_empty()).then_some(e.note),
            level: e.level,
            remarks: e
                .remarks
                .into_iter()
                .map(|r| RemarkView {
                    remark: name::<EventRemark>(r.code),
                    unit_type: (r.unit_type != 0).then(|| name::<UnitType>(r.unit_type)),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: String,
    pub town: String,
    pub tracking_code: String,
    pub estate_id: String,
    pub estate_name: String,
    #[schema(value_type = Category)]
    pub category: &'static str,
    #[schema(value_type = Source)]
    pub source: &'static str,
    pub description: String,
    #[schema(value_type = Status)]
    pub status: &'static str,
    pub level: u32,
    pub assignment: Option<AssignmentView>,
    pub reporter: Option<ReporterView>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
    #[schema(format = DateTime)]
    pub responded_at: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    #[schema(value_type = Option<Satisfaction>)]
    pub satisfaction: Option<&'static str>,
    pub overdue: bool,
    #[schema(value_type = SupervisionCheck)]
    pub supervision: &'static str,
    pub county_report: bool,
    /// An open complaint about the same estate and category from the week before.
    pub possible_repeat_of: Option<String>,
    pub merged_into: Option<String>,
    /// The unit's extension request awaiting the town office, if any (延期申请).
    pub pending_extension: Option<ExtensionView>,
    /// When it reached the town office (level 1) and the county (level 2).
    #[schema(format = DateTime)]
    pub reached_town_at: Option<String>,
    #[schema(format = DateTime)]
    pub reached_county_at: Option<String>,
    /// The unit's reply to the reporter (答复), once resolved.
    pub reply: Option<String>,
    /// When the callback to the reporter (回访) is due, once resolved.
    #[schema(format = DateTime)]
    pub callback_by: Option<String>,
    /// Resolved and not yet called back past that time: overdue for the town office.
    pub callback_overdue: bool,
    /// Times a dissatisfied reporter sent it back to the unit (重办).
    pub redo_count: u32,
    /// When the unit was warned that its time was running out (临期预警).
    #[schema(format = DateTime)]
    pub warned_at: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<EventView>,
}

impl From<pb::Ticket> for ComplaintView {
    fn from(t: pb::Ticket) -> Self {
        ComplaintView {
            id: t.id,
            town: t.town,
            tracking_code: t.tracking_code,
            estate_id: t.estate_id,
            estate_name: t.estate_name,
            category: name::<Category>(t.category),
            source: name::<Source>(t.source),
            description: t.description,
            status: name::<Status>(t.status),
            level: t.level,
            assignment: t.assignment.map(|a| AssignmentView {
                unit_type: name::<UnitType>(a.unit_type),
                unit_id: a.unit_id,
                unit_name: a.unit_name,
                person: PersonView { id: (!a.person_id.is_empty()).then_some(a.person_id), name: a.person_name },
                deadline: instant(a.resolve_by_ms),
                respond_by: instant(a.respond_by_ms),
                sign_by: instant(a.sign_by_ms),
                signed_at: instant(a.signed_at_ms),
                assigned_at: instant(a.assigned_at_ms),
                return_by: instant(a.return_by_ms),
                measures: a.measures,
                co_handler_unit_ids: a.co_handler_unit_ids,
            }),
            reporter: t.reporter.map(|r| ReporterView { name: r.name, phone: r.phone, anonymous: r.anonymous }),
            created_at: instant(t.created_at_ms),
            updated_at: instant(t.updated_at_ms),
            responded_at: instant(t.responded_at_ms),
            resolved_at: instant(t.resolved_at_ms),
            satisfaction: (t.satisfaction != 0).then(|| name::<Satisfaction>(t.satisfaction)),
            overdue: t.overdue,
            supervision: name::<SupervisionCheck>(t.supervision),
            county_report: t.county_report,
            possible_repeat_of: (!t.possible_repeat_of.is_empty()).then_some(t.possible_repeat_of),
            merged_into: (!t.merged_into.is_empty()).then_some(t.merged_into),
            pending_extension: t.pending_extension.map(|r| ExtensionView {
                deadline: instant(r.resolve_by_ms),
                reason: r.reason,
                requested_by: r.requested_by,
                requested_at: instant(r.requested_at_ms),
            }),
            reached_town_at: instant(t.reached_town_at_ms),
            reached_county_at: instant(t.reached_county_at_ms),
            reply: (!t.reply.is_empty()).then_some(t.reply),
            callback_by: instant(t.callback_by_ms),
            callback_overdue: t.callback_overdue,
            redo_count: t.redo_count,
            warned_at: instant(t.warned_at_ms),
            timeline: t.timeline.into_iter().map(EventView::from).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    pub town: String,
    pub estate_id: String,
    #[schema(value_type = Category)]
    pub category: String,
    #[schema(value_type = Option<Source>)]
    pub source: Option<String>,
    pub description: String,
    #[serde(default)]
    pub reporter_name: String,
    #[serde(default)]
    pub reporter_phone: String,
    #[serde(default)]
    pub anonymous: bool,
    /// For records entered after the fact (town office, systems).
    #[schema(format = DateTime)]
    pub reported_at: Option<String>,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub town: Option<String>,
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    pub estate_id: Option<String>,
    pub unit_id: Option<String>,
    pub level: Option<u32>,
    pub overdue: Option<bool>,
    #[param(value_type = Option<Source>)]
    pub source: Option<String>,
    /// YYYY-MM-DD, local date, inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    #[serde(default)]
    pub open_only: bool,
    /// Only complaints flagged as possible repeats and not yet merged.
    #[serde(default)]
    pub possible_repeats: bool,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackedView {
    pub tracking_code: String,
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub estate_name: String,
    #[schema(value_type = Status)]
    pub status: &'static str,
    pub level: u32,
    pub unit_name: String,
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    #[schema(value_type = Option<Satisfaction>)]
    pub satisfaction: Option<&'static str>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    /// The unit's reply to the reporter (答复), once resolved.
    pub reply: Option<String>,
    pub timeline: Vec<EventView>,
}

impl From<pb::TrackedTicket> for TrackedView {
    fn from(t: pb::TrackedTicket) -> Self {
        TrackedView {
            tracking_code: t.tracking_code,
            category: name::<Category>(t.category),
            estate_name: t.estate_name,
            status: name::<Status>(t.status),
            level: t.level,
            unit_name: t.unit_name,
            deadline: instant(t.resolve_by_ms),
            satisfaction: (t.satisfaction != 0).then(|| name::<Satisfaction>(t.satisfaction)),
            created_at: instant(t.created_at_ms),
            reply: (!t.reply.is_empty()).then_some(t.reply),
            timeline: t.timeline.into_iter().map(EventView::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    #[schema(value_type = Category)]
    pub category: &'static str,
    #[schema(value_type = RouteTarget)]
    pub target: &'static str,
    /// 定时间: the response limit, an amount of `response_unit`.
    pub response_amount: u32,
    #[schema(value_type = LimitUnit)]
    pub response_unit: &'static str,
    pub resolution_amount: u32,
    #[schema(value_type = LimitUnit)]
    pub resolution_unit: &'static str,
    /// 签收时限: how long the unit has to sign for an assignment.
    pub sign_amount: u32,
    #[schema(value_type = LimitUnit)]
    pub sign_unit: &'static str,
    pub initial_level: u32,
    pub owner_reps_co_handle: bool,
    pub customised: bool,
}

impl From<pb::RoutingRule> for RuleView {
    fn from(r: pb::RoutingRule) -> Self {
        RuleView {
            category: name::<Category>(r.category),
            target: name::<RouteTarget>(r.target),
            response_amount: r.response_amount,
            response_unit: limit_unit(r.response_unit),
            resolution_amount: r.resolution_amount,
            resolution_unit: limit_unit(r.resolution_unit),
            sign_amount: r.sign_amount,
            sign_unit: limit_unit(r.sign_unit),
            initial_level: r.initial_level,
            owner_reps_co_handle: r.owner_reps_co_handle,
            customised: r.customised,
        }
    }
}

/// A limit's unit by name; unspecified on the wire is minutes, what amounts always were.
pub fn limit_unit(wire: i32) -> &'static str {
    if wire == 0 { LimitUnit::Minutes.as_str() } else { name::<LimitUnit>(wire) }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[schema(value_type = RouteTarget)]
    pub target: String,
    /// 签收时限: how long to sign for an assignment, in `sign_unit`; left out, the category's own
    /// (1 working hour for security and illegal construction, 1 working day otherwise).
    #[serde(default)]
    pub sign_amount: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<LimitUnit>)]
    pub sign_unit: Option<String>,
    /// How long to respond, in `response_unit` (`response_minutes` is read as minutes).
    #[serde(alias = "response_minutes")]
    pub response_amount: u32,
    /// minutes (the default), working_hours or working_days.
    #[serde(default)]
    #[schema(value_type = Option<LimitUnit>)]
    pub response_unit: Option<String>,
    #[serde(alias = "resolution_minutes")]
    pub resolution_amount: u32,
    #[serde(default)]
    #[schema(value_type = Option<LimitUnit>)]
    pub resolution_unit: Option<String>,
    #[serde(default)]
    pub initial_level: u32,
    #[serde(default)]
    pub owner_reps_co_handle: bool,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    pub estate_id: Option<String>,
    pub unit_id: Option<String>,
    #[param(format = Date)]
    pub from: String,
    #[param(format = Date)]
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatsView {
    pub town: String,
    pub from: String,
    pub to: String,
    pub count: u32,
    pub previous_period_count: u32,
    pub previous_year_count: u32,
    pub pop_change_pct: Option<f64>,
    pub yoy_change_pct: Option<f64>,
    /// The three rates: null when nothing is due or rated yet.
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    /// Tickets whose response / resolution deadline has not come yet: not counted in the rates.
    pub response_pending: u32,
    pub resolution_pending: u32,
    pub overdue: u32,
    pub escalated_level_1: u32,
    pub escalated_level_2: u32,
}

impl From<pb::ComplaintStats> for StatsView {
    fn from(s: pb::ComplaintStats) -> Self {
        StatsView {
            town: s.town,
            from: s.from_date,
            to: s.to_date,
            count: s.count,
            previous_period_count: s.previous_period_count,
            previous_year_count: s.previous_year_count,
            pop_change_pct: s.pop_change_pct,
            yoy_change_pct: s.yoy_change_pct,
            response_rate: s.response_rate,
            resolution_rate: s.resolution_rate,
            satisfaction_rate: s.satisfaction_rate,
            response_pending: s.response_pending,
            resolution_pending: s.resolution_pending,
            overdue: s.overdue,
            escalated_level_1: s.escalated_level_1,
            escalated_level_2: s.escalated_level_2,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleView>,
}

#[derive(Serialize, ToSchema)]
pub struct SupervisionGroup {
    pub label: &'static str,
    pub count: usize,
    pub items: Vec<ComplaintView>,
}

#[derive(Serialize, ToSchema)]
pub struct SupervisionView {
    pub town: String,
    pub groups: BTreeMap<&'static str, SupervisionGroup>,
    /// More open tickets exist than one view holds.
    pub truncated: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    #[param(format = Date)]
    pub from: String,
    #[param(format = Date)]
    pub to: String,
    /// `json` (default) or `html`, a printable page.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CountyReport {
    pub town: String,
    pub town_name: String,
    pub from: String,
    pub to: String,
    pub title: String,
    /// The document number (文号) and the local date it is issued.
    pub number: String,
    pub issued: String,
    /// Matters that reached the county within the period.
    pub count: usize,
    pub tickets: Vec<ComplaintView>,
    /// Matters that reached the county before the period and were still open at its end (结转).
    pub carried_over_count: usize,
    pub carried_over: Vec<ComplaintView>,
}
