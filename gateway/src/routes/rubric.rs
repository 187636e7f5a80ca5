//! The town's rubric (考核细则) over HTTP: items with points and per-finding deductions, grade
//! bands, deductions from dispatch's counts and the vetoes (一票否决). Editing makes a version.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Bearer, JsonBody};
use crate::views::rubric::*;
use crate::vocab::wire;
use axum::Json;
use axum::extract::{Path, State};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::vocab::assessment::LeagueIndicator;

impl RulesView {
    /// The rules as assessment takes them; an unknown league indicator is a 400 naming it.
    fn into_pb(self) -> ApiResult<pb::RubricRules> {
        let league = match self.league {
            None => None,
            Some(l) => {
                let weights = l
                    .weights
                    .into_iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let indicator =
                            wire::<LeagueIndicator>(&format!("rules.league.weights[{i}].indicator"), &w.indicator)?;
                        Ok(pb::LeagueWeight { indicator, weight: w.weight })
                    })
                    .collect::<ApiResult<Vec<_>>>()?;
                Some(pb::LeagueRules { min_tickets: l.min_tickets, weights })
            }
        };
        Ok(pb::RubricRules {
            dispatch_deductions: self
                .dispatch_deductions
                .into_iter()
                .map(|d| pb::DispatchDeduction { item: d.item, metric: d.metric, points: d.points })
                .collect(),
            vetoes: self
                .vetoes
                .into_iter()
                .map(|v| pb::Veto { condition: v.condition, threshold: v.threshold })
                .collect(),
            league,
        })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/rubric",
    operation_id = "get_rubric",
    tag = "assessment",
    summary = "The rubric in force",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = RubricView)),
)]
pub async fn get_rubric(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<RubricView>> {
    let resp = s.upstreams.assessment().get_rubric(s.upstreams.request(&bearer, pb::GetRubricRequest { town })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/rubric",
    operation_id = "put_rubric",
    tag = "assessment",
    summary = "Edit the rubric: a new version",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = RubricInput,
    responses((status = 200, description = "success", body = RubricView)),
)]
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
        rules: input.rules.map(RulesView::into_pb).transpose()?,
    };
    let resp = s.upstreams.assessment().update_rubric(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}
