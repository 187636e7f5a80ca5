//! Monthly bulletins (每月一通报) over HTTP: the draft computed on demand, published versions,
//! and a printable Chinese page (`?format=html`).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, QueryParams};
use crate::routes::assessments::AssessedView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::registry::v1 as rpb;

#[derive(Serialize)]
pub struct RankingView {
    pub subject_type: String,
    pub subject_id: String,
    pub name: String,
    pub score: f64,
    pub grade: String,
    pub change: Option<f64>,
    pub rank: u32,
    pub inspections: u32,
    /// `best` or `worst` within its subject type; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standing: Option<String>,
    pub dispatch_deduction: f64,
}

#[derive(Serialize)]
pub struct NamedUnitView {
    pub unit_id: String,
    pub unit_name: String,
    pub overdue: u32,
    pub escalated: u32,
}

#[derive(Serialize)]
pub struct UnitRatesView {
    pub unit_id: String,
    pub unit_name: String,
    pub tickets: u32,
    /// Null when nothing is due or rated yet.
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

#[derive(Serialize)]
pub struct AreaFindingsView {
    pub area: String,
    pub findings: u32,
    pub tickets: u32,
}

#[derive(Serialize)]
pub struct BulletinView {
    pub town: String,
    pub month: String,
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
            published_by: (!b.published_by.is_empty()).then_some(b.published_by),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FormatParam {
    /// `json` (default) or `html`, a printable page.
    format: Option<String>,
}

pub async fn get_bulletin(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, month)): Path<(String, String)>,
    QueryParams(q): QueryParams<FormatParam>,
) -> ApiResult<Response> {
    let html = match q.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::invalid("format", "format must be json or html")),
    };
    let req = s.upstreams.request(&bearer, pb::GetBulletinRequest { town: town.clone(), month });
    let bulletin = BulletinView::from(s.upstreams.assessment().get_bulletin(req).await?.into_inner());
    if !html {
        return Ok(Json(bulletin).into_response());
    }
    // The page names the town in Chinese; the code will do if the registry cannot say.
    let town_req = s.upstreams.request(&bearer, rpb::GetTownRequest { town: town.clone() });
    let town_name = match s.upstreams.registry().get_town(town_req).await {
        Ok(t) => t.into_inner().name,
        Err(_) => town,
    };
    let page = crate::printable::bulletin(&town_name, &bulletin);
    Ok(([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

pub async fn publish_bulletin(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, month)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<BulletinView>)> {
    let resp = s
        .upstreams
        .assessment()
        .publish_bulletin(s.upstreams.request(&bearer, pb::PublishBulletinRequest { town, month }))
        .await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}
