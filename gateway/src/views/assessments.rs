//! JSON shapes of assessments (考核), creation targets, major incidents and monthly bulletins.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::assessment::{BulletinStatus, Grade, LeagueStanding, RubricArea, Standing, SubjectType};
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::registry::EstateTarget;

#[derive(Serialize, ToSchema)]
pub struct AssessedView {
    #[schema(value_type = SubjectType)]
    pub subject_type: String,
    pub subject_id: String,
    pub name: String,
    pub score: f64,
    #[schema(value_type = Grade)]
    pub grade: String,
    pub passed: bool,
    pub advanced_unit_eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boutique_estate_eligible: Option<bool>,
    pub reasons: Vec<String>,
    pub responsible_person: String,
}

impl From<pb::AssessedSubject> for AssessedView {
    fn from(s: pb::AssessedSubject) -> Self {
        AssessedView {
            subject_type: s.subject_type,
            subject_id: s.subject_id,
            name: s.name,
            score: s.score,
            grade: s.grade,
            passed: s.passed,
            advanced_unit_eligible: s.advanced_unit_eligible,
            boutique_estate_eligible: s.boutique_estate_eligible,
            reasons: s.reasons,
            responsible_person: s.responsible_person,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TargetEstateView {
    pub estate_id: String,
    pub name: String,
    #[schema(value_type = EstateTarget)]
    pub target: String,
    pub score: Option<f64>,
    pub reached: bool,
}

#[derive(Serialize, Default, ToSchema)]
pub struct TargetsView {
    pub boutique_target: u32,
    pub boutique_reached: u32,
    pub standard_target: u32,
    pub standard_reached: u32,
    pub estates: Vec<TargetEstateView>,
    pub old_estates: u32,
    pub old_estates_covered: u32,
    pub coverage_rate: f64,
    pub uncovered_estates: Vec<String>,
}

impl From<pb::TargetProgress> for TargetsView {
    fn from(t: pb::TargetProgress) -> Self {
        TargetsView {
            boutique_target: t.boutique_target,
            boutique_reached: t.boutique_reached,
            standard_target: t.standard_target,
            standard_reached: t.standard_reached,
            estates: t
                .estates
                .into_iter()
                .map(|e| TargetEstateView {
                    estate_id: e.estate_id,
                    name: e.name,
                    target: e.target,
                    score: e.score,
                    reached: e.reached,
                })
                .collect(),
            old_estates: t.old_estates,
            old_estates_covered: t.old_estates_covered,
            coverage_rate: t.coverage_rate,
            uncovered_estates: t.uncovered_estates,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentView {
    pub town: String,
    pub year: i32,
    pub period: String,
    pub from: String,
    pub to: String,
    pub provisional: bool,
    pub subjects: Vec<AssessedView>,
    pub disqualified: Vec<AssessedView>,
    pub targets: TargetsView,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodParam {
    pub period: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    pub estate_name: String,
    pub date: String,
    pub description: String,
    pub recorded_by: String,
}

impl From<pb::Incident> for IncidentView {
    fn from(i: pb::Incident) -> Self {
        IncidentView {
            id: i.id,
            town: i.town,
            estate_id: i.estate_id,
            estate_name: i.estate_name,
            date: i.date,
            description: i.description,
            recorded_by: i.recorded_by,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub estate_id: String,
    #[schema(format = Date)]
    pub date: String,
    pub description: String,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankingView {
    #[schema(value_type = SubjectType)]
    pub subject_type: String,
    pub subject_id: String,
    pub name: String,
    pub score: f64,
    #[schema(value_type = Grade)]
    pub grade: String,
    pub change: Option<f64>,
    pub rank: u32,
    pub inspections: u32,
    /// `best` or `worst` within its subject type; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Standing>)]
    pub standing: Option<String>,
    pub dispatch_deduction: f64,
}

#[derive(Serialize, ToSchema)]
pub struct NamedUnitView {
    pub unit_id: String,
    pub unit_name: String,
    pub overdue: u32,
    pub escalated: u32,
}

#[derive(Serialize, ToSchema)]
pub struct UnitRatesView {
    pub unit_id: String,
    pub unit_name: String,
    pub tickets: u32,
    /// Null when nothing is due or rated yet.
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

/// One unit's month on the league table (红黑榜): the rates are fractions, null when nothing
/// counts yet (formulas in the README and `LeagueIndicator`).
#[derive(Serialize, ToSchema)]
pub struct LeagueRowView {
    pub unit_id: String,
    pub unit_name: String,
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    /// 工单量: dispatched to the unit in the month.
    pub tickets: u32,
    pub timely_sign_for_rate: Option<f64>,
    pub return_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub redo_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub returned: u32,
    pub redone: u32,
    pub extension_requests: u32,
    /// Null when not ranked (too few tickets).
    pub score: Option<f64>,
    /// 0 when not ranked.
    pub rank: u32,
    /// red (红榜), black (黑榜), unranked, or null.
    #[schema(value_type = Option<LeagueStanding>)]
    pub standing: Option<&'static str>,
    pub standing_label: Option<&'static str>,
}

impl From<pb::LeagueRow> for LeagueRowView {
    fn from(r: pb::LeagueRow) -> Self {
        let standing = LeagueStanding::from_wire(r.standing).ok().flatten();
        LeagueRowView {
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            unit_type: crate::vocab::name::<UnitType>(r.unit_type),
            tickets: r.tickets,
            timely_sign_for_rate: r.timely_sign_for_rate,
            return_rate: r.return_rate,
            on_time_rate: r.on_time_rate,
            redo_rate: r.redo_rate,
            satisfaction_rate: r.satisfaction_rate,
            returned: r.returned,
            redone: r.redone,
            extension_requests: r.extension_requests,
            score: r.score,
            rank: r.rank,
            standing: standing.map(|s| s.as_str()),
            standing_label: standing.map(|s| s.label_zh()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AreaFindingsView {
    #[schema(value_type = RubricArea)]
    pub area: String,
    pub findings: u32,
    pub tickets: u32,
}

#[derive(Serialize, ToSchema)]
pub struct BulletinView {
    pub town: String,
    pub month: String,
    #[schema(value_type = BulletinStatus)]
    pub status: String,
    pub version: i64,
    pub inspections: u32,
    pub rankings: Vec<RankingView>,
    pub named_units: Vec<NamedUnitView>,
    pub unit_rates: Vec<UnitRatesView>,
    pub findings: Vec<AreaFindingsView>,
    /// `h1` in June, `annual` in December: the assessment whose disqualified are named here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_period: Option<String>,
    pub disqualified: Vec<AssessedView>,
    /// The responsible units' league table (红黑榜), ranked units first.
    pub league: Vec<LeagueRowView>,
    /// The rubric version whose league rules scored it.
    pub rubric_version: i64,
    pub published_by: Option<String>,
}

impl From<pb::Bulletin> for BulletinView {
    fn from(b: pb::Bulletin) -> Self {
        BulletinView {
            town: b.town,
            month: b.month,
            status: b.status,
            version: b.version,
            inspections: b.inspections,
            rankings: b
                .rankings
                .into_iter()
                .map(|r| RankingView {
                    subject_type: r.subject_type,
                    subject_id: r.subject_id,
                    name: r.name,
                    score: r.score,
                    grade: r.grade,
                    change: r.change,
                    rank: r.rank,
                    inspections: r.inspections,
                    standing: (!r.standing.is_empty()).then_some(r.standing),
                    dispatch_deduction: r.dispatch_deduction,
                })
                .collect(),
            named_units: b
                .named_units
                .into_iter()
                .map(|u| NamedUnitView {
                    unit_id: u.unit_id,
                    unit_name: u.unit_name,
                    overdue: u.overdue,
                    escalated: u.escalated,
                })
                .collect(),
            unit_rates: b
                .unit_rates
                .into_iter()
                .map(|u| UnitRatesView {
                    unit_id: u.unit_id,
                    unit_name: u.unit_name,
                    tickets: u.tickets,
                    response_rate: u.response_rate,
                    resolution_rate: u.resolution_rate,
                    satisfaction_rate: u.satisfaction_rate,
                })
                .collect(),
            findings: b
                .findings
                .into_iter()
                .map(|f| AreaFindingsView { area: f.area, findings: f.findings, tickets: f.tickets })
                .collect(),
            assessment_period: (!b.assessment_period.is_empty()).then_some(b.assessment_period),
            disqualified: b.disqualified.into_iter().map(AssessedView::from).collect(),
            league: b.league.into_iter().map(LeagueRowView::from).collect(),
            rubric_version: b.rubric_version,
            published_by: (!b.published_by.is_empty()).then_some(b.published_by),
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FormatParam {
    /// `json` (default) or `html`, a printable page.
    pub format: Option<String>,
}
