//! Half-year and annual assessment (半年和全年考核) in the console: who fails and why, named
//! with the responsible person; progress on the creation targets; every subject's score.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::label_of_name;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::Datelike;
use wuguan_proto::assessment::v1 as apb;
use wuguan_proto::vocab::assessment::{Grade, SubjectType};

/// (kind, name, score, reasons, responsible person).
type Disqualified = (&'static str, String, String, String, String);
/// (kind, name, score, grade, verdict).
type Subject = (&'static str, String, String, &'static str, &'static str);

#[derive(Template)]
#[template(path = "console/assessment.html")]
struct AssessmentPage {
    nav: Option<Nav>,
    towns: Vec<(String, String, bool)>,
    year: i32,
    period: String,
    period_label: &'static str,
    provisional: bool,
    disqualified: Vec<Disqualified>,
    targets: Vec<(&'static str, String)>,
    subjects: Vec<Subject>,
}

#[derive(serde::Deserialize, Default)]
pub struct PeriodQuery {
    year: Option<i32>,
    period: Option<String>,
    town: Option<String>,
}

pub async fn assessment(State(s): State<AppState>, session: Session, Query(q): Query<PeriodQuery>) -> Response {
    let today = wuguan_platform::local_time::local_date(wuguan_platform::db::now_ms());
    // By default the last complete year.
    let year = q.year.unwrap_or(today.year() - 1);
    let period = q.period.unwrap_or_else(|| "annual".to_owned());
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let req = apb::GetAssessmentRequest { town: town.clone(), year, period: period.clone() };
    let a = match s.upstreams.assessment().get_assessment(s.upstreams.request(&bearer(&session), req)).await {
        Ok(a) => a.into_inner(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let t = a.targets.unwrap_or_default();
    let targets = vec![
        ("精品小区：达标 / 目标", format!("{} / {}", t.boutique_reached, t.boutique_target)),
        ("规范小区：达标 / 目标", format!("{} / {}", t.standard_reached, t.standard_target)),
        ("老旧小区物业管理覆盖", format!("{:.0}%", t.coverage_rate * 100.0)),
        ("未覆盖的老旧小区", t.uncovered_estates.len().to_string()),
    ];
    page(AssessmentPage {
        nav: nav(&session),
        towns: town_choices(&s, &session, &town).await,
        year,
        period_label: match period.as_str() {
            "h1" => "上半年",
            "h2" => "下半年",
            _ => "全年",
        },
        period,
        provisional: a.provisional,
        disqualified: a
            .disqualified
            .iter()
            .map(|d| {
                (
                    label_of_name::<SubjectType>(&d.subject_type),
                    d.name.clone(),
                    format!("{:.1}", d.score),
                    d.reasons.join("；"),
                    d.responsible_person.clone(),
                )
            })
            .collect(),
        targets,
        subjects: a
            .subjects
            .iter()
            .map(|d| {
                let verdict = if d.passed { "合格" } else { "不合格" };
                (
                    label_of_name::<SubjectType>(&d.subject_type),
                    d.name.clone(),
                    format!("{:.1}", d.score),
                    label_of_name::<Grade>(&d.grade),
                    verdict,
                )
            })
            .collect(),
    })
}
