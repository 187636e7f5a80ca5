//! Assessment's domain types: rubrics, plans, inspections, findings.

use serde::{Deserialize, Serialize};
use wuguan_platform::string_enum;

string_enum!(
    InspectionKind {
        Open = "open" / "明查",
        Unannounced = "unannounced" / "暗访",
    }
);

string_enum!(
    InspectionFocus {
        Key = "key" / "重点",
        FollowUp = "follow_up" / "跟踪",
    }
);

string_enum!(
    /// Where a finding's ticket stands.
    Delivery {
        None = "none" / "无需派单",
        Pending = "pending" / "待派单",
        Delivered = "delivered" / "已派单",
        Failed = "failed" / "派单失败",
    }
);

string_enum!(
    /// What dispatch counts for an estate that a rubric can deduct points for.
    DispatchMetric {
        OverdueTicket = "overdue_ticket" / "诉求超期未办",
        LateResponse = "late_response" / "诉求响应超时",
        CountyEscalation = "county_escalation" / "诉求升级县级督办",
        NotSatisfied = "not_satisfied" / "群众不满意评价",
        RepeatComplaint = "repeat_complaint" / "重复投诉",
    }
);

string_enum!(
    /// Conditions that fail a subject whatever its score (一票否决): a unit's tickets overdue
    /// in the period; a unit's tickets raised to the county by supervision; major security
    /// incidents recorded at an estate, which fail the estate, its property company and its
    /// neighbourhood committee.
    VetoCondition {
        OverdueTickets = "overdue_tickets" / "诉求超期未办",
        CountyEscalations = "county_escalations" / "诉求升级县级督办",
        MajorIncidents = "major_incidents" / "发生重大安全事故",
    }
);

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

string_enum!(
    /// The source's four checks on a finding at a follow-up (一查成效、二查进度、三查原因、四查责任),
    /// from its ticket: done → its effect; in progress → its progress; refused or late → the
    /// cause; not taken up → who is accountable. A finding without a ticket is checked on site;
    /// one whose ticket dispatch does not have yet waits for it.
    FollowUpCheck {
        Effect = "check_effect" / "查成效",
        Progress = "check_progress" / "查进度",
        Cause = "check_cause" / "查原因",
        Accountability = "check_accountability" / "查责任",
        OnSite = "check_on_site" / "现场复查",
        Pending = "pending_ticket" / "待派单",
    }
);

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
