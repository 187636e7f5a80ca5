//! Half-year and annual assessment (半年和全年考核) over HTTP, with the creation targets, and the
//! major security incidents (重大安全事故) the rubric's veto counts.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams};
use crate::views::Page;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wuguan_proto::assessment::v1 as pb;

#[derive(Serialize)]
pub struct AssessedView {
    pub subject_type: String,
    pub subject_id: String,
    pub name: String,
    pub score: f64,
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

#[derive(Serialize)]
pub struct TargetEstateView {
    estate_id: String,
    name: String,
    target: String,
    score: Option<f64>,
    reached: bool,
}

#[derive(Serialize, Default)]
pub struct TargetsView {
    boutique_target: u32,
    boutique_reached: u32,
    standard_target: u32,
    standard_reached: u32,
    estates: Vec<TargetEstateView>,
    old_estates: u32,
    old_estates_covered: u32,
    coverage_rate: f64,
    uncovered_estates: Vec<String>,
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

#[derive(Serialize)]
pub struct AssessmentView {
    town: String,
    year: i32,
    period: String,
    from: String,
    to: String,
    provisional: bool,
    subjects: Vec<AssessedView>,
    disqualified: Vec<AssessedView>,
    targets: TargetsView,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeriodParam {
    period: Option<String>,
}

pub async fn get_assessment(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, year)): Path<(String, String)>,
    QueryParams(q): QueryParams<PeriodParam>,
) -> ApiResult<Json<AssessmentView>> {
    let year: i32 = year.parse().map_err(|_| ApiError::invalid("year", "year must be a number such as 2025"))?;
    let req = pb::GetAssessmentRequest { town, year, period: q.period.unwrap_or_default() };
    let a = s.upstreams.assessment().get_assessment(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(AssessmentView {
        town: a.town,
        year: a.year,
        period: a.period,
        from: a.from_date,
        to: a.to_date,
        provisional: a.provisional,
        subjects: a.subjects.into_iter().map(AssessedView::from).collect(),
        disqualified: a.disqualified.into_iter().map(AssessedView::from).collect(),
        targets: a.targets.map(TargetsView::from).unwrap_or_default(),
    }))
}

#[derive(Serialize)]
pub struct IncidentView {
    id: String,
    town: String,
    estate_id: String,
    estate_name: String,
    date: String,
    description: String,
    recorded_by: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    estate_id: String,
    date: String,
    description: String,
}

pub async fn record_incident(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<IncidentInput>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    let req = pb::RecordIncidentRequest {
        town,
        estate_id: input.estate_id,
        date: input.date,
        description: input.description,
        idempotency_key: key,
    };
    let resp = s.upstreams.assessment().record_incident(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    from: Option<String>,
    to: Option<String>,
    page_size: Option<u32>,
    page_token: Option<String>,
}

pub async fn list_incidents(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentView>>> {
    let req = pb::ListIncidentsRequest {
        town,
        from_date: q.from.unwrap_or_default(),
        to_date: q.to.unwrap_or_default(),
        page: Some(wuguan_proto::common::v1::PageRequest {
            page_size: q.page_size.unwrap_or(0),
            page_token: q.page_token.unwrap_or_default(),
        }),
    };
    let resp = s.upstreams.assessment().list_incidents(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.incidents.into_iter().map(IncidentView::from).collect(), resp.page)))
}
