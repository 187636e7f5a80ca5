//! Half-year and annual assessment (半年和全年考核). A subject fails below the pass band or on
//! one of the rubric's vetoes (一票否决): repeated overdue tickets or tickets raised to the county
//! for units, a major security incident for an estate, its property company and its
//! neighbourhood committee. Failing costs the year's advanced-unit eligibility (取消评优) and, for
//! estates and their property companies, the boutique-estate selection (取消精品小区评选资格), and
//! names the subject with its responsible person. The assessment also reports progress on the
//! two creation targets and old-estate coverage from the registry.

use crate::model::*;
use crate::scoring::{PeriodScores, Sources, score_period};
use crate::store::AssessmentStore;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::registry::v1 as rpb;

pub fn period_bounds(year: i32, period: &str) -> ServiceResult<(NaiveDate, NaiveDate)> {
    if !wuguan_platform::fields::YEARS.contains(&year) {
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

fn subject(
    rubric: &Rubric,
    subject_type: &str,
    id: &str,
    name: &str,
    score: f64,
    reasons: Vec<String>,
    person: &str,
) -> pb::AssessedSubject {
    let passed = reasons.is_empty();
    let boutique_applies = matches!(subject_type, "estate" | "property_company");
    pb::AssessedSubject {
        subject_type: subject_type.to_owned(),
        subject_id: id.to_owned(),
        name: name.to_owned(),
        score,
        grade: rubric.grade(score).into(),
        passed,
        advanced_unit_eligible: passed,
        boutique_estate_eligible: boutique_applies.then_some(passed),
        reasons,
        responsible_person: person.to_owned(),
    }
}

/// Every subject with its verdict, in the order estates, property companies, committees, units.
pub fn judge(rubric: &Rubric, scores: &PeriodScores) -> Vec<pb::AssessedSubject> {
    let pass = rubric.bands.pass;
    let below = |score: f64, what: &str| (score < pass).then(|| format!("{what} {score} 低于合格线 {pass}"));
    let incident_veto = rubric.veto(VetoCondition::MajorIncidents);
    let vetoed_by_incident = |incidents: u32| incident_veto.is_some_and(|t| incidents >= t);
    let mut out = Vec::new();

    let mut failing_estates = BTreeSet::new();
    let mut incident_estates = BTreeSet::new();
    for e in &scores.estates {
        let mut reasons: Vec<String> = below(e.score, "督查得分").into_iter().collect();
        if vetoed_by_incident(e.incidents) {
            reasons.push(format!("发生 {} 起重大安全事故（一票否决）", e.incidents));
            incident_estates.insert(e.id.as_str());
        }
        if !reasons.is_empty() {
            failing_estates.insert(e.id.as_str());
        }
        let person = e.company.as_ref().or(e.committee.as_ref()).map(|u| u.person_name.as_str()).unwrap_or_default();
        out.push(subject(rubric, "estate", &e.id, &e.name, e.score, reasons, person));
    }
    for c in &scores.companies {
        let mut reasons: Vec<String> = below(c.score, "所服务小区平均得分").into_iter().collect();
        let failing = c.estates.iter().filter(|id| failing_estates.contains(id.as_str())).count();
        if failing > 0 {
            reasons.push(format!("{failing} 个所服务小区考核不合格"));
        }
        out.push(subject(rubric, "property_company", &c.id, &c.name, c.score, reasons, &c.person));
    }
    for c in &scores.committees {
        let mut reasons: Vec<String> = below(c.score, "辖区小区平均得分").into_iter().collect();
        let incidents = c.estates.iter().filter(|id| incident_estates.contains(id.as_str())).count();
        if incidents > 0 {
            reasons.push(format!("{incidents} 个辖区小区发生重大安全事故（一票否决）"));
        }
        out.push(subject(rubric, "neighbourhood_committee", &c.id, &c.name, c.score, reasons, &c.person));
    }
    let overdue_veto = rubric.veto(VetoCondition::OverdueTickets);
    let county_veto = rubric.veto(VetoCondition::CountyEscalations);
    for u in &scores.units {
        let t = &u.tally;
        let mut reasons: Vec<String> = below(u.score, "诉求办理得分").into_iter().collect();
        if overdue_veto.is_some_and(|v| t.overdue >= v) {
            reasons.push(format!("{} 件诉求超期未办（一票否决）", t.overdue));
        }
        if county_veto.is_some_and(|v| t.raised_to_county >= v) {
            reasons.push(format!("{} 件诉求升级至县级督办（一票否决）", t.raised_to_county));
        }
        out.push(subject(rubric, "unit", &t.key, &t.name, u.score, reasons, &t.person_name));
    }
    out
}

/// Creation targets: an estate aiming at boutique reaches it at the excellent band, one aiming
/// at standard at the good band, in both cases without failing; plus old-estate coverage.
async fn targets<S>(
    src: &Sources<'_, S>,
    rubric: &Rubric,
    town: &str,
    subjects: &[pb::AssessedSubject],
) -> ServiceResult<pb::TargetProgress> {
    let unavailable = |e| ServiceError::new(wuguan_platform::ErrorCode::Unavailable, format!("registry: {e:?}"));
    let estates = src.registry.estates(town).await.map_err(unavailable)?;
    let coverage = src.registry.coverage(town).await.map_err(unavailable)?;
    let mut progress = pb::TargetProgress {
        old_estates: coverage.old_estates,
        old_estates_covered: coverage.with_property_company + coverage.self_governed,
        coverage_rate: coverage.coverage_rate,
        uncovered_estates: coverage.uncovered_estates.into_iter().map(|e| e.name).collect(),
        ..Default::default()
    };
    for e in estates {
        let (target, band) = match rpb::EstateTarget::try_from(e.target) {
            Ok(rpb::EstateTarget::Boutique) => ("boutique", rubric.bands.excellent),
            Ok(rpb::EstateTarget::Standard) => ("standard", rubric.bands.good),
            _ => continue,
        };
        let assessed = subjects.iter().find(|s| s.subject_type == "estate" && s.subject_id == e.id);
        let reached = assessed.is_some_and(|s| s.passed && s.score >= band);
        if target == "boutique" {
            progress.boutique_target += 1;
            progress.boutique_reached += u32::from(reached);
        } else {
            progress.standard_target += 1;
            progress.standard_reached += u32::from(reached);
        }
        progress.estates.push(pb::TargetEstate {
            estate_id: e.id,
            name: e.name,
            target: target.into(),
            score: assessed.map(|s| s.score),
            reached,
        });
    }
    Ok(progress)
}

pub async fn assess<S: AssessmentStore>(
    src: &Sources<'_, S>,
    rubric: &Rubric,
    town: &str,
    year: i32,
    period: &str,
) -> ServiceResult<pb::Assessment> {
    let (from, to) = period_bounds(year, period)?;
    let scores = score_period(src, rubric, town, from, to).await?;
    let subjects = judge(rubric, &scores);
    let targets = targets(src, rubric, town, &subjects).await?;
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
        targets: Some(targets),
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
