//! Assessment's domain types: rubrics, plans, inspections, findings.

use serde::{Deserialize, Serialize};
/// The vocabulary (names and Chinese labels) comes from the contracts: see `wuguan_proto::vocab`.
pub use wuguan_proto::vocab::assessment::{
    BulletinStatus, Delivery, DispatchMetric, FollowUpCheckKind as FollowUpCheck, Grade, InspectionFocus,
    InspectionKind, LeagueIndicator, LeagueStanding, RubricArea, Standing, SubjectType, VetoCondition,
};

/// One indicator's weight in the league table's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeagueWeight {
    /// A `LeagueIndicator`, snake_case.
    pub indicator: String,
    pub weight: f64,
}

/// How the monthly league table of units (红黑榜) is scored; see `LeagueRules` in the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeagueRules {
    pub min_tickets: u32,
    pub weights: Vec<LeagueWeight>,
}

impl Default for LeagueRules {
    /// Rubric versions saved before the league table existed read as the built-in rules.
    fn default() -> Self {
        crate::rubric::default_league()
    }
}

/// `points` off `item` for each ticket of the estate that dispatch counts under `metric`,
/// never taking the item below zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchDeduction {
    pub item: String,
    /// A `DispatchMetric`, snake_case.
    pub metric: String,
    pub points: f64,
}

/// A subject fails when the counted condition reaches `threshold` in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Veto {
    /// A `VetoCondition`, snake_case.
    pub condition: String,
    pub threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RubricItem {
    pub code: String,
    pub area: String,
    pub name: String,
    pub max_points: f64,
    pub deduction_per_finding: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradeBands {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rubric {
    pub town: String,
    /// 0 is the built-in default.
    pub version: i64,
    pub items: Vec<RubricItem>,
    pub bands: GradeBands,
    /// Versions stored before dispatch deductions and vetoes existed read as having none.
    #[serde(default)]
    pub dispatch_deductions: Vec<DispatchDeduction>,
    #[serde(default)]
    pub vetoes: Vec<Veto>,
    #[serde(default)]
    pub league: LeagueRules,
    pub created_by: String,
    pub created_at_ms: i64,
}

impl Rubric {
    pub fn total_points(&self) -> f64 {
        self.items.iter().map(|i| i.max_points).sum()
    }

    pub fn item(&self, code: &str) -> Option<&RubricItem> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The threshold of a veto condition, if the rubric has it.
    pub fn veto(&self, condition: VetoCondition) -> Option<u32> {
        self.vetoes.iter().find(|v| v.condition == condition.as_str()).map(|v| v.threshold)
    }

    pub fn grade(&self, score: f64) -> &'static str {
        if score >= self.bands.excellent {
            "excellent"
        } else if score >= self.bands.good {
            "good"
        } else if score >= self.bands.pass {
            "pass"
        } else {
            "fail"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    pub date: String,
    pub kind: InspectionKind,
    pub focus: InspectionFocus,
    pub planned_by: String,
    pub inspection_id: Option<String>,
    pub reason: String,
    /// For a follow-up: the inspection whose findings it checks on.
    pub follows: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub id: String,
    pub item: String,
    pub description: String,
    /// A dispatch category, snake_case.
    pub category: String,
    pub open_ticket: bool,
    pub deduction: f64,
    pub delivery: Delivery,
    pub ticket_id: Option<String>,
    pub delivery_error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    pub item: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    pub estate_name: String,
    pub date: String,
    pub kind: InspectionKind,
    pub focus: InspectionFocus,
    pub inspector: String,
    pub rubric_version: i64,
    pub item_scores: Vec<ItemScore>,
    pub findings: Vec<Finding>,
    pub total_score: f64,
    pub grade: String,
    pub plan_id: Option<String>,
    pub created_at_ms: i64,
    /// For a follow-up: the inspection whose findings it checked on.
    pub follow_up_of: Option<String>,
}

/// A major security incident (重大安全事故) recorded at an estate: a veto condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub town: String,
    pub estate_id: String,
    pub estate_name: String,
    pub date: String,
    pub description: String,
    pub recorded_by: String,
    pub created_at_ms: i64,
}

/// A finding waiting for its ticket, with what dispatch needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingFinding {
    pub finding: Finding,
    pub town: String,
    pub estate_id: String,
    pub estate_name: String,
    pub date: String,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
