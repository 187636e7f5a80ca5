//! Delivers findings that ask for a ticket to dispatch. The finding row is the outbox entry
//! (written in the inspection's transaction) and its id is the idempotency key, so delivery can
//! be retried — from here, after a restart, or from another replica — without doubling a ticket.

use crate::model::*;
use crate::store::AssessmentStore;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;
use wuguan_platform::error::ServiceResult;
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const BATCH: i64 = 100;

enum Attempt {
    Delivered,
    /// Dispatch refused this finding for good.
    Refused,
    /// Dispatch could not be reached or was overloaded: try later.
    Unreachable,
}

pub struct Outbox<S> {
    pub store: Arc<S>,
    pub dispatch: Channel,
    /// Assessment's own token for dispatch (role `county`).
    pub token: String,
    pub wake: Arc<tokio::sync::Notify>,
}

impl<S> Clone for Outbox<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            dispatch: self.dispatch.clone(),
            token: self.token.clone(),
            wake: self.wake.clone(),
        }
    }
}

fn category_of(s: &str) -> dpb::Category {
    dpb::Category::from_str_name(&format!("CATEGORY_{}", s.to_ascii_uppercase())).unwrap_or(dpb::Category::Other)
}

/// A finding as the ticket's description: the problem first, so a board that shows the first
/// forty characters shows what is wrong, then where it came from in the rubric's own words.
pub fn finding_description(p: &PendingFinding, rubric: &Rubric) -> String {
    let item =
        rubric.items.iter().find(|i| i.code == p.finding.item).map_or("考核细则外事项", |i| i.name.as_str());
    format!("{}（{} 督查发现 · {}）", p.finding.description.trim(), p.date, item)
}

impl<S: AssessmentStore> Outbox<S> {
    /// One attempt for one finding.
    async fn deliver(&self, p: &PendingFinding) -> ServiceResult<Attempt> {
        let rubric = match self.store.current_rubric(&p.town).await? {
            Some(r) => r,
            None => crate::rubric::default_rubric(&p.town),
        };
        let mut req = tonic::Request::new(dpb::SubmitComplaintRequest {
            town: p.town.clone(),
            estate_id: p.estate_id.clone(),
            category: category_of(&p.finding.category) as i32,
            source: dpb::Source::Inspection as i32,
            description: finding_description(p, &rubric),
            idempotency_key: p.finding.id.clone(),
            ..Default::default()
        });
        req.set_timeout(CALL_TIMEOUT);
        if let Ok(v) = format!("Bearer {}", self.token).parse() {
            req.metadata_mut().insert("authorization", v);
        }
        wuguan_platform::telemetry::inject_current_context(req.metadata_mut());
        match DispatchServiceClient::new(self.dispatch.clone()).submit_complaint(req).await {
            Ok(resp) => {
                self.store.mark_delivered(&p.finding.id, &resp.into_inner().id).await?;
                Ok(Attempt::Delivered)
            }
            Err(status) => {
                // Refused on its merits: retrying cannot help. Anything else: try again later.
                let give_up = matches!(
                    status.code(),
                    tonic::Code::InvalidArgument
                        | tonic::Code::NotFound
                        | tonic::Code::PermissionDenied
                        | tonic::Code::AlreadyExists
                );
                tracing::warn!(finding = %p.finding.id, code = ?status.code(), give_up, "finding not delivered to dispatch");
                self.store.mark_attempt_failed(&p.finding.id, status.message(), give_up).await?;
                Ok(if give_up { Attempt::Refused } else { Attempt::Unreachable })
            }
        }
    }

    /// Delivers what is pending; returns how many were delivered. Stops at the first transport
    /// failure: dispatch is down, the rest would fail too.
    pub async fn deliver_pending(&self) -> ServiceResult<usize> {
        let mut delivered = 0;
        for p in self.store.pending_findings(BATCH).await? {
            match self.deliver(&p).await? {
                Attempt::Delivered => delivered += 1,
                Attempt::Refused => {}
                Attempt::Unreachable => break,
            }
        }
        Ok(delivered)
    }

    pub async fn run(self, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.deliver_pending().await {
                tracing::warn!(error = %e, "outbox pass failed; will retry");
            }
            if let Ok(pending) = self.store.count_pending_findings().await {
                metrics::gauge!("wuguan_outbox_pending").set(pending as f64);
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.wake.notified() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}
