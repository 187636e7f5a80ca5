//! The town's rubric (考核细则) over HTTP: items with points and per-finding deductions, grade
//! bands, deductions from dispatch's counts and the vetoes (一票否决). Editing makes a version.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Bearer, JsonBody};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use wuguan_proto::assessment::v1 as pb;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricItemView {
    code: String,
    area: String,
    name: String,
    max_points: f64,
    deduction_per_finding: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandsView {
    excellent: f64,
    good: f64,
    pass: f64,
}

#[derive(Serialize)]
pub struct RubricView {
    town: String,
    version: i64,
    total_points: f64,
    items: Vec<RubricItemView>,
    bands: Option<BandsView>,
    rules: RulesView,
    created_by: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionView {
    item: String,
    metric: String,
    points: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VetoView {
    condition: String,
    threshold: u32,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RulesView {
    #[serde(default)]
    dispatch_deductions: Vec<DeductionView>,
    #[serde(default)]
    vetoes: Vec<VetoView>,
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
        }
    }
}

impl From<RulesView> for pb::RubricRules {
    fn from(r: RulesView) -> Self {
        pb::RubricRules {
            dispatch_deductions: r
                .dispatch_deductions
                .into_iter()
                .map(|d| pb::DispatchDeduction { item: d.item, metric: d.metric, points: d.points })
                .collect(),
            vetoes: r.vetoes.into_iter().map(|v| pb::Veto { condition: v.condition, threshold: v.threshold }).collect(),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricInput {
    items: Vec<RubricItemView>,
    bands: BandsView,
    /// Absent: keep the current version's deductions and vetoes.
    rules: Option<RulesView>,
}

pub async fn get_rubric(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<RubricView>> {
    let resp = s.upstreams.assessment().get_rubric(s.upstreams.request(&bearer, pb::GetRubricRequest { town })).await?;
    Ok(Json(resp.into_inner().into()))
}

pub async fn put_rubric(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<RubricInput>,
) -> ApiResult<Json<RubricView>> {
    let req = pb::UpdateRubricRequest {
        town,
        items: input
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
        bands: Some(pb::GradeBands {
            excellent: input.bands.excellent,
            good: input.bands.good,
            pass: input.bands.pass,
        }),
        rules: input.rules.map(pb::RubricRules::from),
    };
    let resp = s.upstreams.assessment().update_rubric(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}
