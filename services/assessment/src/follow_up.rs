//! Follow-up inspections (跟踪督查) and the source's four checks on what the inspection before
//! found: done → check the effect (查成效); in progress → check progress (查进度); refused or
//! late → check the cause (查原因); not taken up past its deadline → check accountability (查责任). The check
//! comes from each finding's ticket as dispatch has it now.

use crate::model::*;
use crate::store::AssessmentStore;
use tonic::transport::Channel;
use wuguan_platform::ErrorCode;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::paging::{MAX_PAGE_SIZE, Page};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

/// The estate's latest inspection before `date` that found something: what a follow-up checks.
pub async fn previous_with_findings<S: AssessmentStore>(
    store: &S,
    town: &str,
    estate_id: &str,
    date: &str,
) -> ServiceResult<Option<Inspection>> {
    // An estate sees a few dozen inspections a year: one page covers years of them.
    let page = Page::first(MAX_PAGE_SIZE);
    let earlier = store.list_inspections(town, Some(estate_id), None, Some(date), &page).await?;
    Ok(earlier
        .into_iter()
        .filter(|i| i.date.as_str() < date && !i.findings.is_empty())
        .max_by(|a, b| (a.date.as_str(), a.created_at_ms).cmp(&(b.date.as_str(), b.created_at_ms))))
}

/// The check that applies to a finding, from its ticket (None: no ticket).
pub fn check_for(finding: &Finding, ticket: Option<&dpb::Ticket>) -> FollowUpCheck {
    match (finding.open_ticket, ticket) {
        (false, _) => FollowUpCheck::OnSite,
        (true, None) => FollowUpCheck::Pending,
        (true, Some(t)) => match dpb::SupervisionCheck::try_from(t.supervision) {
            Ok(dpb::SupervisionCheck::Effect) => FollowUpCheck::Effect,
            Ok(dpb::SupervisionCheck::Progress) => FollowUpCheck::Progress,
            Ok(dpb::SupervisionCheck::Cause) => FollowUpCheck::Cause,
            _ => FollowUpCheck::Accountability,
        },
    }
}

async fn ticket(dispatch: &Channel, token: &str, id: &str) -> ServiceResult<dpb::Ticket> {
    let mut req = tonic::Request::new(dpb::GetTicketRequest { id: id.to_owned() });
    req.set_timeout(std::time::Duration::from_secs(5));
    if let Ok(v) = format!("Bearer {token}").parse() {
        req.metadata_mut().insert("authorization", v);
    }
    wuguan_platform::telemetry::inject_current_context(req.metadata_mut());
    DispatchServiceClient::new(dispatch.clone())
        .get_ticket(req)
        .await
        .map(|r| r.into_inner())
        .map_err(|s| ServiceError::new(ErrorCode::Unavailable, format!("dispatch: {}", s.message())))
}

/// The four checks on every finding of `previous`.
pub async fn checks(dispatch: &Channel, token: &str, previous: &Inspection) -> ServiceResult<pb::FollowUpChecks> {
    let mut checks = Vec::with_capacity(previous.findings.len());
    for f in &previous.findings {
        let t = match &f.ticket_id {
            Some(id) => Some(ticket(dispatch, token, id).await?),
            None => None,
        };
        let check = check_for(f, t.as_ref());
        checks.push(pb::FollowUpCheck {
            finding_id: f.id.clone(),
            item: f.item.clone(),
            description: f.description.clone(),
            ticket_id: f.ticket_id.clone().unwrap_or_default(),
            ticket_status: t.as_ref().map(|t| t.status).unwrap_or_default(),
            overdue: t.as_ref().is_some_and(|t| t.overdue),
            check: check.as_str().to_owned(),
            check_label: check.label_zh().to_owned(),
        });
    }
    Ok(pb::FollowUpChecks {
        follows: previous.id.clone(),
        follows_date: previous.date.clone(),
        estate_id: previous.estate_id.clone(),
        estate_name: previous.estate_name.clone(),
        checks,
    })
}
