//! Scores of one period for every subject kind, shared by the monthly bulletin and the
//! half-year/annual assessment:
//! - estates: the average of their inspections' totals, less the rubric's dispatch deductions
//!   for the estate's tickets (each item never below zero);
//! - property companies and neighbourhood committees: the average over the estates they serve;
//! - units of the five parties: complaint handling, the mean of the three rates × 100.
//!
//! Dispatch's counts come from its `TallyTickets` RPC (aggregated in its database), so the cost
//! of a period does not grow with the number of tickets read over the wire.

use crate::model::*;
use crate::store::AssessmentStore;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use tonic::transport::Channel;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::paging::{MAX_PAGE_SIZE, Page};
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use wuguan_registry_client::{RegistryClient, UnitContact};

/// Pages of inspections (or incidents) read at most for one period: 100,000 rows.
const MAX_PAGES: usize = 200;

/// Where a period's records come from.
pub struct Sources<'a, S> {
    pub store: &'a S,
    pub registry: &'a RegistryClient,
    pub dispatch: &'a Channel,
    /// Assessment's own token for dispatch.
    pub token: &'a str,
}

#[derive(Debug, Clone)]
pub struct EstateScore {
    pub id: String,
    pub name: String,
    pub score: f64,
    pub inspections: u32,
    /// Points taken for dispatch's counts.
    pub dispatch_deduction: f64,
    pub incidents: u32,
    pub company: Option<UnitContact>,
    pub committee: Option<UnitContact>,
}

/// A property company or neighbourhood committee, scored over the estates it serves.
#[derive(Debug, Clone)]
pub struct GroupScore {
    pub id: String,
    pub name: String,
    pub person: String,
    pub score: f64,
    pub inspections: u32,
    /// Ids of its scored estates.
    pub estates: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct UnitScore {
    pub tally: dpb::TicketTally,
    pub score: f64,
}

pub struct PeriodScores {
    pub inspections: Vec<Inspection>,
    pub estates: Vec<EstateScore>,
    pub companies: Vec<GroupScore>,
    pub committees: Vec<GroupScore>,
    pub units: Vec<UnitScore>,
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Complaint handling out of 100: the mean of the response, resolution and satisfaction rates,
/// as `wuguan_platform::rates` defines them (tickets not yet due are pending, not failures).
/// A rate with nothing to count — no response or resolution due yet, no rating — scores full
/// marks: there is nothing to hold against the unit. The bulletin prints that rate as "—".
pub fn unit_score(t: &dpb::TicketTally) -> f64 {
    let r = wuguan_platform::rates::of_tally(t);
    let rates = r.response.unwrap_or(1.0) + r.resolution.unwrap_or(1.0) + r.satisfaction.unwrap_or(1.0);
    round1(rates / 3.0 * 100.0)
}

fn metric_count(t: &dpb::TicketTally, metric: DispatchMetric) -> u32 {
    match metric {
        DispatchMetric::OverdueTicket => t.overdue,
        DispatchMetric::LateResponse => t.late_responses,
        DispatchMetric::CountyEscalation => t.raised_to_county,
        DispatchMetric::NotSatisfied => t.not_satisfied,
        DispatchMetric::RepeatComplaint => t.repeats,
    }
}

/// An estate's period score: (score, dispatch deduction). Each item's dispatch deductions are
/// capped at what the item scored on average in the inspections, so no item goes below zero.
pub fn estate_score(rubric: &Rubric, inspections: &[&Inspection], tally: Option<&dpb::TicketTally>) -> (f64, f64) {
    if inspections.is_empty() {
        return (0.0, 0.0);
    }
    let n = inspections.len() as f64;
    let average = inspections.iter().map(|i| i.total_score).sum::<f64>() / n;
    let mut deducted = 0.0;
    if let Some(tally) = tally {
        let mut wanted: BTreeMap<&str, f64> = BTreeMap::new();
        for d in &rubric.dispatch_deductions {
            let Some(metric) = DispatchMetric::parse(&d.metric) else { continue };
            *wanted.entry(d.item.as_str()).or_default() += d.points * f64::from(metric_count(tally, metric));
        }
        for (item, points) in wanted {
            let scored: Vec<f64> = inspections
                .iter()
                .filter_map(|i| i.item_scores.iter().find(|s| s.item == item))
                .map(|s| s.score)
                .collect();
            let item_average = if scored.is_empty() {
                rubric.item(item).map(|i| i.max_points).unwrap_or(0.0)
            } else {
                scored.iter().sum::<f64>() / scored.len() as f64
            };
            deducted += points.min(item_average);
        }
    }
    (round1((average - deducted).max(0.0)), round1(deducted))
}

/// Every row of a keyset-paged store list, up to `MAX_PAGES` pages.
async fn all_pages<T, F, Fut>(mut list: F, id_of: impl Fn(&T) -> String) -> ServiceResult<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<Vec<T>>>,
{
    let mut out = Vec::new();
    let mut page = Page::first(MAX_PAGE_SIZE);
    for _ in 0..MAX_PAGES {
        let mut rows = list(page.clone()).await?;
        let next = page.finish(&mut rows, &id_of).next_page_token;
        out.extend(rows);
        if next.is_empty() {
            break;
        }
        page.after = Some(next);
    }
    Ok(out)
}

pub async fn inspections_between<S: AssessmentStore>(
    store: &S,
    town: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<Inspection>> {
    let (from, to) = (from.to_string(), to.to_string());
    all_pages(
        |page| {
            let (from, to) = (from.clone(), to.clone());
            async move { store.list_inspections(town, None, Some(&from), Some(&to), &page).await }
        },
        |i: &Inspection| i.id.clone(),
    )
    .await
}

pub async fn incidents_between<S: AssessmentStore>(
    store: &S,
    town: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<Incident>> {
    let (from, to) = (from.to_string(), to.to_string());
    all_pages(
        |page| {
            let (from, to) = (from.clone(), to.clone());
            async move { store.list_incidents(town, Some(&from), Some(&to), &page).await }
        },
        |i: &Incident| i.id.clone(),
    )
    .await
}

/// A request to dispatch as assessment, with a deadline and the trace context.
fn to_dispatch<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.set_timeout(std::time::Duration::from_secs(30));
    if let Ok(v) = format!("Bearer {token}").parse() {
        req.metadata_mut().insert("authorization", v);
    }
    wuguan_platform::telemetry::inject_current_context(req.metadata_mut());
    req
}

fn dispatch_unavailable(s: tonic::Status) -> ServiceError {
    ServiceError::new(wuguan_platform::ErrorCode::Unavailable, format!("dispatch: {}", s.message()))
}

/// Dispatch's counts per unit and per estate for tickets created in the period (one scan).
pub async fn tally(
    dispatch: &Channel,
    token: &str,
    town: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<dpb::TallyTicketsResponse> {
    let req = dpb::TallyTicketsRequest { town: town.to_owned(), from_date: from.to_string(), to_date: to.to_string() };
    let resp = DispatchServiceClient::new(dispatch.clone())
        .tally_tickets(to_dispatch(req, token))
        .await
        .map_err(dispatch_unavailable)?;
    Ok(resp.into_inner())
}

/// What each unit did in the period, for the league table.
pub async fn unit_work(
    dispatch: &Channel,
    token: &str,
    town: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<dpb::UnitWork>> {
    let req = dpb::TallyUnitWorkRequest { town: town.to_owned(), from_date: from.to_string(), to_date: to.to_string() };
    let resp = DispatchServiceClient::new(dispatch.clone())
        .tally_unit_work(to_dispatch(req, token))
        .await
        .map_err(dispatch_unavailable)?;
    Ok(resp.into_inner().units)
}

fn group_scores(estates: &[EstateScore], unit_of: impl Fn(&EstateScore) -> Option<&UnitContact>) -> Vec<GroupScore> {
    let mut groups: BTreeMap<String, GroupScore> = BTreeMap::new();
    for e in estates {
        let Some(unit) = unit_of(e) else { continue };
        let g = groups.entry(unit.unit_id.clone()).or_insert_with(|| GroupScore {
            id: unit.unit_id.clone(),
            name: unit.unit_name.clone(),
            person: unit.person_name.clone(),
            score: 0.0,
            inspections: 0,
            estates: Vec::new(),
        });
        g.score += e.score;
        g.inspections += e.inspections;
        g.estates.push(e.id.clone());
    }
    groups
        .into_values()
        .map(|mut g| {
            g.score = round1(g.score / g.estates.len() as f64);
            g
        })
        .collect()
}

/// Every subject's score for the period [from, to] (local dates, inclusive).
pub async fn score_period<S: AssessmentStore>(
    src: &Sources<'_, S>,
    rubric: &Rubric,
    town: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<PeriodScores> {
    let inspections = inspections_between(src.store, town, from, to).await?;
    let incidents = incidents_between(src.store, town, from, to).await?;
    let tallies = tally(src.dispatch, src.token, town, from, to).await?;
    let by_estate: BTreeMap<String, dpb::TicketTally> =
        tallies.estates.into_iter().map(|t| (t.key.clone(), t)).collect();
    let units: Vec<UnitScore> =
        tallies.units.into_iter().map(|tally| UnitScore { score: unit_score(&tally), tally }).collect();

    let mut inspected: BTreeMap<&str, Vec<&Inspection>> = BTreeMap::new();
    for i in &inspections {
        inspected.entry(i.estate_id.as_str()).or_default().push(i);
    }
    let mut estates = Vec::with_capacity(inspected.len());
    for (id, list) in inspected {
        let (score, dispatch_deduction) = estate_score(rubric, &list, by_estate.get(id));
        // Facts are cached; an estate the registry cannot describe is still scored.
        let facts = src.registry.estate_facts(id).await.ok();
        estates.push(EstateScore {
            id: id.to_owned(),
            name: list[0].estate_name.clone(),
            score,
            inspections: list.len() as u32,
            dispatch_deduction,
            incidents: incidents.iter().filter(|x| x.estate_id == id).count() as u32,
            company: facts.as_ref().and_then(|f| f.unit_of_type("property_company").cloned()),
            committee: facts.as_ref().and_then(|f| f.unit_of_type("community").cloned()),
        });
    }
    let companies = group_scores(&estates, |e| e.company.as_ref());
    let committees = group_scores(&estates, |e| e.committee.as_ref());
    Ok(PeriodScores { inspections, estates, companies, committees, units })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rubric::default_rubric;

    fn inspection(total: f64, complaint_handling: f64) -> Inspection {
        Inspection {
            id: new_id(),
            town: "t".into(),
            estate_id: "e".into(),
            estate_name: "阳光花园".into(),
            date: "2026-01-05".into(),
            kind: InspectionKind::Open,
            focus: InspectionFocus::Key,
            inspector: "office".into(),
            rubric_version: 0,
            item_scores: vec![ItemScore { item: "complaint_handling".into(), score: complaint_handling }],
            findings: vec![],
            total_score: total,
            grade: String::new(),
            plan_id: None,
            created_at_ms: 0,
            follow_up_of: None,
        }
    }

    #[test]
    fn dispatch_deductions_come_off_the_item_and_stop_at_zero() {
        let rubric = default_rubric("t");
        let a = inspection(90.0, 10.0);
        let b = inspection(80.0, 6.0);
        let none = estate_score(&rubric, &[&a, &b], None);
        assert_eq!(none, (85.0, 0.0));
        // One overdue (2) and one late response (1) off complaint handling (average 8).
        let tally = dpb::TicketTally { overdue: 1, late_responses: 1, ..Default::default() };
        assert_eq!(estate_score(&rubric, &[&a, &b], Some(&tally)), (82.0, 3.0));
        // Ten overdue tickets would take 20 points, but complaint handling only has 8.
        let tally = dpb::TicketTally { overdue: 10, not_satisfied: 1, ..Default::default() };
        // owner_satisfaction is not in these inspections' scores: capped at its 8 points.
        assert_eq!(estate_score(&rubric, &[&a, &b], Some(&tally)), (75.0, 10.0));
    }

    #[test]
    fn units_score_on_the_three_rates() {
        let t = dpb::TicketTally {
            tickets: 4,
            responded_in_time: 2,
            late_responses: 2,
            resolved: 3,
            resolution_due: 4,
            rated: 2,
            satisfied: 1,
            ..Default::default()
        };
        assert_eq!(unit_score(&t), round1((0.5 + 0.75 + 0.5) / 3.0 * 100.0));
        assert_eq!(unit_score(&dpb::TicketTally::default()), 100.0);
        // New tickets, none due yet: nothing held against the unit (the day they arrive).
        let fresh = dpb::TicketTally { tickets: 5, ..Default::default() };
        assert_eq!(unit_score(&fresh), 100.0);
    }
}
