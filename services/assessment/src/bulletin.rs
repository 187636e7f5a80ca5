//! The monthly bulletin (每月一通报): estates ranked by their inspections' scores with the change
//! from the previous month, findings by area, units named for overdue or escalated tickets and
//! every unit's three rates — computed from assessment's records and dispatch's tickets.

use crate::model::*;
use crate::store::AssessmentStore;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use tonic::transport::Channel;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::local_time::day_start_ms;
use wuguan_platform::paging::{MAX_PAGE_SIZE, Page};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

/// Pages read at most per source, so one bulletin stays bounded.
const MAX_PAGES: usize = 40;

/// (first day, last day) of a `YYYY-MM` month.
pub fn month_bounds(month: &str) -> ServiceResult<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid("month", "month must be YYYY-MM"))?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| ServiceError::invalid("month", "month out of range"))?;
    Ok((first, next - chrono::Duration::days(1)))
}

pub async fn inspections_between<S: AssessmentStore>(
    store: &S,
    town: &str,
    from: &str,
    to: &str,
) -> ServiceResult<Vec<Inspection>> {
    let mut out = Vec::new();
    let mut page = Page::first(MAX_PAGE_SIZE);
    for _ in 0..MAX_PAGES {
        let mut rows = store.list_inspections(town, None, Some(from), Some(to), &page).await?;
        let next = page.finish(&mut rows, |i| i.id.clone()).next_page_token;
        out.extend(rows);
        if next.is_empty() {
            break;
        }
        page.after = Some(next);
    }
    Ok(out)
}

/// Average inspection score per estate: (name, average, count).
fn estate_scores(inspections: &[Inspection]) -> BTreeMap<String, (String, f64, u32)> {
    let mut acc: BTreeMap<String, (String, f64, u32)> = BTreeMap::new();
    for i in inspections {
        let e = acc.entry(i.estate_id.clone()).or_insert((i.estate_name.clone(), 0.0, 0));
        e.1 += i.total_score;
        e.2 += 1;
    }
    for v in acc.values_mut() {
        v.1 = (v.1 / f64::from(v.2) * 10.0).round() / 10.0;
    }
    acc
}

pub async fn tickets_between(
    dispatch: &Channel,
    token: &str,
    town: &str,
    from_ms: i64,
    to_ms: i64,
) -> ServiceResult<Vec<dpb::Ticket>> {
    let mut client = DispatchServiceClient::new(dispatch.clone());
    let mut out = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_PAGES {
        let mut req = tonic::Request::new(dpb::ListTicketsRequest {
            town: town.to_owned(),
            from_ms,
            to_ms,
            page: Some(wuguan_proto::common::v1::PageRequest {
                page_size: MAX_PAGE_SIZE,
                page_token: page_token.clone(),
            }),
            ..Default::default()
        });
        req.set_timeout(std::time::Duration::from_secs(10));
        if let Ok(v) = format!("Bearer {token}").parse() {
            req.metadata_mut().insert("authorization", v);
        }
        let resp = client
            .list_tickets(req)
            .await
            .map_err(|s| {
                ServiceError::new(wuguan_platform::ErrorCode::Unavailable, format!("dispatch: {}", s.message()))
            })?
            .into_inner();
        out.extend(resp.tickets);
        page_token = resp.page.unwrap_or_default().next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    Ok(out)
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 { 0.0 } else { (f64::from(n) / f64::from(d) * 10_000.0).round() / 10_000.0 }
}

/// One unit's complaint handling over a set of tickets.
#[derive(Debug, Default)]
pub struct UnitTally {
    pub name: String,
    /// The person named on the unit's latest assignment.
    pub person: String,
    pub tickets: u32,
    pub in_time: u32,
    pub resolved: u32,
    pub rated: u32,
    pub satisfied: u32,
    pub overdue: u32,
    pub escalated: u32,
    /// Escalated to the county (county matters from intake — building quality, missing
    /// facilities — start there by design and do not count).
    pub raised_to_county: u32,
}

/// Tallies tickets by their assigned unit.
pub fn tally_units(tickets: &[dpb::Ticket]) -> BTreeMap<String, UnitTally> {
    let mut units: BTreeMap<String, UnitTally> = BTreeMap::new();
    for t in tickets {
        let Some(a) = &t.assignment else { continue };
        let u = units.entry(a.unit_id.clone()).or_default();
        u.name = a.unit_name.clone();
        u.person = a.person_name.clone();
        u.tickets += 1;
        u.in_time += u32::from(t.responded_at_ms > 0 && t.responded_at_ms <= a.respond_by_ms);
        let status = dpb::Status::try_from(t.status).unwrap_or(dpb::Status::Unspecified);
        u.resolved += u32::from(matches!(status, dpb::Status::Resolved | dpb::Status::Verified | dpb::Status::Closed));
        if t.satisfaction != 0 {
            u.rated += 1;
            u.satisfied += u32::from(t.satisfaction != dpb::Satisfaction::NotSatisfied as i32);
        }
        u.overdue += u32::from(t.overdue);
        u.escalated += u32::from(t.level >= 1);
        let county_from_intake = matches!(
            dpb::Category::try_from(t.category),
            Ok(dpb::Category::BuildingQuality | dpb::Category::MissingFacilities)
        );
        u.raised_to_county += u32::from(t.level >= 2 && !county_from_intake);
    }
    units
}

pub async fn compute<S: AssessmentStore>(
    store: &S,
    dispatch: &Channel,
    token: &str,
    rubric: &Rubric,
    town: &str,
    month: &str,
) -> ServiceResult<pb::Bulletin> {
    let (first, last) = month_bounds(month)?;
    let (prev_first, prev_last) = month_bounds(&(first - chrono::Duration::days(1)).format("%Y-%m").to_string())?;
    let current = inspections_between(store, town, &first.to_string(), &last.to_string()).await?;
    let previous = inspections_between(store, town, &prev_first.to_string(), &prev_last.to_string()).await?;
    let before = estate_scores(&previous);
    let mut rankings: Vec<pb::Ranking> = estate_scores(&current)
        .into_iter()
        .map(|(id, (name, score, count))| pb::Ranking {
            subject_type: "estate".into(),
            grade: rubric.grade(score).to_owned(),
            change: before.get(&id).map(|(_, prev, _)| ((score - prev) * 10.0).round() / 10.0),
            subject_id: id,
            name,
            score,
            rank: 0,
            inspections: count,
        })
        .collect();
    rankings
        .sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.name.cmp(&b.name)));
    for (i, r) in rankings.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }

    let mut areas: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for f in current.iter().flat_map(|i| &i.findings) {
        let area = rubric.item(&f.item).map(|i| i.area.clone()).unwrap_or_else(|| "other".into());
        let e = areas.entry(area).or_default();
        e.0 += 1;
        e.1 += u32::from(f.open_ticket);
    }

    let tickets = tickets_between(dispatch, token, town, day_start_ms(first), day_start_ms(last) + 86_400_000).await?;
    let units = tally_units(&tickets);
    let named_units = units
        .iter()
        .filter(|(_, u)| u.overdue > 0 || u.escalated > 0)
        .map(|(id, u)| pb::NamedUnit {
            unit_id: id.clone(),
            unit_name: u.name.clone(),
            overdue: u.overdue,
            escalated: u.escalated,
        })
        .collect();
    let unit_rates = units
        .iter()
        .map(|(id, u)| pb::UnitRates {
            unit_id: id.clone(),
            unit_name: u.name.clone(),
            tickets: u.tickets,
            response_rate: ratio(u.in_time, u.tickets),
            resolution_rate: ratio(u.resolved, u.tickets),
            satisfaction_rate: ratio(u.satisfied, u.rated),
        })
        .collect();
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
        inspections: current.len() as u32,
        published_by: String::new(),
        published_at_ms: 0,
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
