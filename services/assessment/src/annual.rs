//! Half-year and annual assessment (半年和全年考核). A subject fails below the pass band or on a
//! veto (repeated overdue tickets, or tickets raised to the county); failing costs the year's
//! advanced-unit eligibility (取消评优) and, for estates and their property companies, the
//! boutique-estate selection (取消精品小区评选资格), and names it with its responsible person.

use crate::bulletin::{inspections_between, tally_units, tickets_between};
use crate::model::*;
use crate::store::AssessmentStore;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use tonic::transport::Channel;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::local_time::day_start_ms;
use wuguan_platform::registry_client::RegistryClient;
use wuguan_proto::assessment::v1 as pb;

/// Overdue tickets in the period at which a unit fails regardless of its rates.
pub const VETO_OVERDUE: u32 = 3;
/// Tickets escalated to the county at which a unit fails regardless of its rates.
pub const VETO_COUNTY: u32 = 2;

pub fn period_bounds(year: i32, period: &str) -> ServiceResult<(NaiveDate, NaiveDate)> {
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::invalid("year", "year must be between 2000 and 2100"));
    }
    let d = |m, day| NaiveDate::from_ymd_opt(year, m, day).ok_or_else(|| ServiceError::invalid("year", "bad year"));
    match period {
        "" | "annual" => Ok((d(1, 1)?, d(12, 31)?)),
        "h1" => Ok((d(1, 1)?, d(6, 30)?)),
        "h2" => Ok((d(7, 1)?, d(12, 31)?)),
        _ => Err(ServiceError::invalid("period", "period must be annual, h1 or h2")),
    }
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 { 1.0 } else { f64::from(n) / f64::from(d) }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[allow(clippy::too_many_arguments)]
pub async fn assess<S: AssessmentStore>(
    store: &S,
    registry: &RegistryClient,
    dispatch: &Channel,
    token: &str,
    rubric: &Rubric,
    town: &str,
    year: i32,
    period: &str,
) -> ServiceResult<pb::Assessment> {
    let (from, to) = period_bounds(year, period)?;
    let inspections = inspections_between(store, town, &from.to_string(), &to.to_string()).await?;
    let mut subjects = Vec::new();

    // Estates, and their property companies over the estates they serve.
    let mut estates: BTreeMap<String, (String, f64, u32)> = BTreeMap::new();
    for i in &inspections {
        let e = estates.entry(i.estate_id.clone()).or_insert((i.estate_name.clone(), 0.0, 0));
        e.1 += i.total_score;
        e.2 += 1;
    }
    let mut companies: BTreeMap<String, (String, String, Vec<f64>)> = BTreeMap::new();
    for (id, (name, sum, n)) in &estates {
        let score = round1(sum / f64::from(*n));
        let passed = score >= rubric.bands.pass;
        let facts = registry.estate_facts(id).await.ok();
        let company = facts.as_ref().and_then(|f| f.unit_of_type("property_company").cloned());
        let community = facts.as_ref().and_then(|f| f.unit_of_type("community").cloned());
        let person = company.as_ref().or(community.as_ref()).map(|u| u.person_name.clone()).unwrap_or_default();
        if let Some(c) = &company {
            companies
                .entry(c.unit_id.clone())
                .or_insert((c.unit_name.clone(), c.person_name.clone(), Vec::new()))
                .2
                .push(score);
        }
        subjects.push(pb::AssessedSubject {
            subject_type: "estate".into(),
            subject_id: id.clone(),
            name: name.clone(),
            score,
            grade: rubric.grade(score).into(),
            passed,
            advanced_unit_eligible: passed,
            boutique_estate_eligible: Some(passed),
            reasons: if passed {
                vec![]
            } else {
                vec![format!("督查平均得分 {score} 低于合格线 {}", rubric.bands.pass)]
            },
            responsible_person: person,
        });
    }
    for (id, (name, person, scores)) in companies {
        let score = round1(scores.iter().sum::<f64>() / scores.len() as f64);
        let failing_estates = scores.iter().filter(|s| **s < rubric.bands.pass).count();
        let passed = score >= rubric.bands.pass && failing_estates == 0;
        let mut reasons = Vec::new();
        if score < rubric.bands.pass {
            reasons.push(format!("所服务小区平均得分 {score} 低于合格线"));
        }
        if failing_estates > 0 {
            reasons.push(format!("{failing_estates} 个所服务小区考核不合格"));
        }
        subjects.push(pb::AssessedSubject {
            subject_type: "property_company".into(),
            subject_id: id,
            name,
            score,
            grade: rubric.grade(score).into(),
            passed,
            advanced_unit_eligible: passed,
            boutique_estate_eligible: Some(passed),
            reasons,
            responsible_person: person,
        });
    }

    // Every unit on complaint handling: the three rates, with vetoes.
    let tickets = tickets_between(dispatch, token, town, day_start_ms(from), day_start_ms(to) + 86_400_000).await?;
    let units = tally_units(&tickets);
    for (id, u) in units {
        let score = round1(
            (ratio(u.in_time, u.tickets) + ratio(u.resolved, u.tickets) + ratio(u.satisfied, u.rated)) / 3.0 * 100.0,
        );
        let mut reasons = Vec::new();
        if score < rubric.bands.pass {
            reasons.push(format!("诉求办理得分 {score} 低于合格线"));
        }
        if u.overdue >= VETO_OVERDUE {
            reasons.push(format!("{} 件诉求超期未办（一票否决）", u.overdue));
        }
        if u.raised_to_county >= VETO_COUNTY {
            reasons.push(format!("{} 件诉求升级至县级督办（一票否决）", u.raised_to_county));
        }
        let passed = reasons.is_empty();
        subjects.push(pb::AssessedSubject {
            subject_type: "unit".into(),
            subject_id: id,
            name: u.name,
            score,
            grade: rubric.grade(score).into(),
            passed,
            advanced_unit_eligible: passed,
            boutique_estate_eligible: None,
            reasons,
            responsible_person: u.person,
        });
    }
    let disqualified = subjects.iter().filter(|s| !s.passed).cloned().collect();
    Ok(pb::Assessment {
        town: town.to_owned(),
        year,
        period: if period.is_empty() { "annual".into() } else { period.to_owned() },
        from_date: from.to_string(),
        to_date: to.to_string(),
        provisional: to >= chrono::Utc::now().date_naive(),
        subjects,
        disqualified,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn periods() {
        let (a, b) = super::period_bounds(2025, "h2").unwrap();
        assert_eq!((a.to_string(), b.to_string()), ("2025-07-01".into(), "2025-12-31".into()));
        assert_eq!(super::period_bounds(2025, "q3").unwrap_err().field.as_deref(), Some("period"));
        assert_eq!(super::period_bounds(1999, "annual").unwrap_err().field.as_deref(), Some("year"));
    }
}
