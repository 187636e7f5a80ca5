//! The monthly bulletin (每月一通报): every subject kind ranked (estates, property companies,
//! neighbourhood committees, units) with the change from the previous month and the best and
//! worst called out, findings by area, units named for overdue or escalated tickets, every
//! unit's three rates, and in June and December those the period's assessment disqualifies.

use crate::model::*;
use crate::scoring::{GroupScore, PeriodScores, Sources, UnitScore, round1, score_period};
use crate::store::AssessmentStore;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_proto::assessment::v1 as pb;

/// (first day, last day) of a `YYYY-MM` month.
pub fn month_bounds(month: &str) -> ServiceResult<(NaiveDate, NaiveDate)> {
    let first = wuguan_platform::fields::month("month", month)?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| ServiceError::invalid("month", "month out of range"))?;
    Ok((first, next - chrono::Duration::days(1)))
}

/// A scored subject before ranking.
struct Entry {
    id: String,
    name: String,
    score: f64,
    inspections: u32,
    dispatch_deduction: f64,
}

fn estate_entries(p: &PeriodScores) -> Vec<Entry> {
    p.estates
        .iter()
        .map(|e| Entry {
            id: e.id.clone(),
            name: e.name.clone(),
            score: e.score,
            inspections: e.inspections,
            dispatch_deduction: e.dispatch_deduction,
        })
        .collect()
}

fn group_entries(groups: &[GroupScore]) -> Vec<Entry> {
    groups
        .iter()
        .map(|g| Entry {
            id: g.id.clone(),
            name: g.name.clone(),
            score: g.score,
            inspections: g.inspections,
            dispatch_deduction: 0.0,
        })
        .collect()
}

fn unit_entries(units: &[UnitScore]) -> Vec<Entry> {
    units
        .iter()
        .map(|u| Entry {
            id: u.tally.key.clone(),
            name: u.tally.name.clone(),
            score: u.score,
            inspections: 0,
            dispatch_deduction: 0.0,
        })
        .collect()
}

/// Ranks one subject kind best first, with the change from the previous month and the best and
/// worst called out (when there are at least two).
fn rank(subject_type: &str, rubric: &Rubric, now: Vec<Entry>, before: Vec<Entry>) -> Vec<pb::Ranking> {
    let before: BTreeMap<String, f64> = before.into_iter().map(|e| (e.id, e.score)).collect();
    let mut ranked: Vec<pb::Ranking> = now
        .into_iter()
        .map(|e| pb::Ranking {
            subject_type: subject_type.to_owned(),
            grade: rubric.grade(e.score).to_owned(),
            change: before.get(&e.id).map(|prev| round1(e.score - prev)),
            subject_id: e.id,
            name: e.name,
            score: e.score,
            rank: 0,
            inspections: e.inspections,
            standing: String::new(),
            dispatch_deduction: e.dispatch_deduction,
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    if ranked.len() >= 2 {
        ranked[0].standing = "best".into();
        if let Some(last) = ranked.last_mut() {
            last.standing = "worst".into();
        }
    }
    ranked
}

/// The assessment a month closes: June the first half-year, December the year.
pub fn closing_period(month: NaiveDate) -> Option<&'static str> {
    match month.month() {
        6 => Some("h1"),
        12 => Some("annual"),
        _ => None,
    }
}

pub async fn compute<S: AssessmentStore>(
    src: &Sources<'_, S>,
    rubric: &Rubric,
    town: &str,
    month: &str,
) -> ServiceResult<pb::Bulletin> {
    let (first, last) = month_bounds(month)?;
    let (prev_first, prev_last) = month_bounds(&(first - chrono::Duration::days(1)).format("%Y-%m").to_string())?;
    let now = score_period(src, rubric, town, first, last).await?;
    let before = score_period(src, rubric, town, prev_first, prev_last).await?;

    let mut rankings = rank("estate", rubric, estate_entries(&now), estate_entries(&before));
    rankings.extend(rank("property_company", rubric, group_entries(&now.companies), group_entries(&before.companies)));
    rankings.extend(rank(
        "neighbourhood_committee",
        rubric,
        group_entries(&now.committees),
        group_entries(&before.committees),
    ));
    rankings.extend(rank("unit", rubric, unit_entries(&now.units), unit_entries(&before.units)));

    let mut areas: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for f in now.inspections.iter().flat_map(|i| &i.findings) {
        let area = rubric.item(&f.item).map(|i| i.area.clone()).unwrap_or_else(|| "other".into());
        let e = areas.entry(area).or_default();
        e.0 += 1;
        e.1 += u32::from(f.open_ticket);
    }
    let named_units = now
        .units
        .iter()
        .filter(|u| u.tally.overdue > 0 || u.tally.escalated > 0)
        .map(|u| pb::NamedUnit {
            unit_id: u.tally.key.clone(),
            unit_name: u.tally.name.clone(),
            overdue: u.tally.overdue,
            escalated: u.tally.escalated,
        })
        .collect();
    let unit_rates = now
        .units
        .iter()
        .map(|u| {
            let rates = wuguan_platform::rates::of_tally(&u.tally);
            pb::UnitRates {
                unit_id: u.tally.key.clone(),
                unit_name: u.tally.name.clone(),
                tickets: u.tally.tickets,
                response_rate: rates.response,
                resolution_rate: rates.resolution,
                satisfaction_rate: rates.satisfaction,
            }
        })
        .collect();
    let work = crate::scoring::unit_work(src.dispatch, src.token, town, first, last).await?;
    let league = crate::league::table(work, &rubric.league);
    let (disqualified, assessment_period) = match closing_period(first) {
        Some(period) => (crate::annual::assess(src, rubric, town, first.year(), period).await?.disqualified, period),
        None => (Vec::new(), ""),
    };
    Ok(pb::Bulletin {
        town: town.to_owned(),
        month: first.format("%Y-%m").to_string(),
        status: "draft".into(),
        version: 0,
        rankings,
        named_units,
        unit_rates,
        findings: areas
            .into_iter()
            .map(|(area, (findings, tickets))| pb::AreaFindings { area, findings, tickets })
            .collect(),
        inspections: now.inspections.len() as u32,
        published_by: String::new(),
        published_at_ms: 0,
        disqualified,
        assessment_period: assessment_period.to_owned(),
        league,
        rubric_version: rubric.version,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_have_bounds() {
        let (a, b) = super::month_bounds("2025-02").unwrap();
        assert_eq!((a.to_string(), b.to_string()), ("2025-02-01".into(), "2025-02-28".into()));
        let (_, b) = super::month_bounds("2024-12").unwrap();
        assert_eq!(b.to_string(), "2024-12-31");
        assert_eq!(super::month_bounds("2024-13").unwrap_err().field.as_deref(), Some("month"));
    }
}
