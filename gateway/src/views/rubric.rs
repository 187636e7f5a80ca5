//! JSON shapes of the rubric (考核细则): items, grade bands, dispatch deductions and vetoes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::assessment::{DispatchMetric, LeagueIndicator, RubricArea, VetoCondition};

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricItemView {
    pub code: String,
    #[schema(value_type = RubricArea)]
    pub area: String,
    pub name: String,
    pub max_points: f64,
    pub deduction_per_finding: f64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BandsView {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
}

#[derive(Serialize, ToSchema)]
pub struct RubricView {
    pub town: String,
    pub version: i64,
    pub total_points: f64,
    pub items: Vec<RubricItemView>,
    pub bands: Option<BandsView>,
    pub rules: RulesView,
    pub created_by: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeductionView {
    pub item: String,
    #[schema(value_type = DispatchMetric)]
    pub metric: String,
    pub points: f64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VetoView {
    #[schema(value_type = VetoCondition)]
    pub condition: String,
    pub threshold: u32,
}

#[derive(Serialize, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesView {
    #[serde(default)]
    pub dispatch_deductions: Vec<DeductionView>,
    #[serde(default)]
    pub vetoes: Vec<VetoView>,
    /// The league table's scoring (红黑榜); absent in an edit: keep the current version's.
    #[serde(default)]
    pub league: Option<LeagueRulesView>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeagueWeightView {
    #[schema(value_type = LeagueIndicator)]
    pub indicator: String,
    pub weight: f64,
}

/// Each indicator in its good direction as a percentage, weighed by these; units with fewer
/// tickets in the month than `min_tickets` are listed, not ranked.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeagueRulesView {
    pub min_tickets: u32,
    pub weights: Vec<LeagueWeightView>,
}

impl From<pb::RubricRules> for RulesView {
    fn from(r: pb::RubricRules) -> Self {
        RulesView {
            dispatch_deductions: r
                .dispatch_deductions
                .into_iter()
                .map(|d| DeductionView { item: d.item, metric: d.metric, points: d.points })
                .collect(),
            vetoes: r.vetoes.into_iter().map(|v| VetoView { condition: v.condition, threshold: v.threshold }).collect(),
            league: r.league.map(|l| LeagueRulesView {
                min_tickets: l.min_tickets,
                weights: l
                    .weights
                    .into_iter()
                    .map(|w| LeagueWeightView {
                        indicator: crate::vocab::name::<LeagueIndicator>(w.indicator).to_owned(),
                        weight: w.weight,
                    })
                    .collect(),
            }),
        }
    }
}

impl From<pb::Rubric> for RubricView {
    fn from(r: pb::Rubric) -> Self {
        RubricView {
            town: r.town,
            version: r.version,
            total_points: r.total_points,
            items: r
                .items
                .into_iter()
                .map(|i| RubricItemView {
                    code: i.code,
                    area: i.area,
                    name: i.name,
                    max_points: i.max_points,
                    deduction_per_finding: i.deduction_per_finding,
                })
                .collect(),
            bands: r.bands.map(|b| BandsView { excellent: b.excellent, good: b.good, pass: b.pass }),
            rules: r.rules.map(RulesView::from).unwrap_or_default(),
            created_by: r.created_by,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricInput {
    pub items: Vec<RubricItemView>,
    pub bands: BandsView,
    /// Absent: keep the current version's deductions and vetoes.
    pub rules: Option<RulesView>,
}
