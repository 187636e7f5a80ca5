//! The supervision sweep every dispatch replica runs: escalate overdue tickets (exactly once
//! per level, whichever replica gets there first) and route tickets that came in while the
//! registry was unreachable.

use crate::intake::Dispatcher;
use crate::model::Status;
use crate::registry_client::FactsError;
use crate::store::DispatchStore;
use std::time::Duration;
use wuguan_platform::db::now_ms;
use wuguan_platform::error::ServiceResult;

#[derive(Debug, Clone, Copy)]
pub struct SweepConfig {
    pub interval: Duration,
    /// How long a ticket may stay overdue at level 1 before it goes to the county.
    pub level_one_window: Duration,
    /// After this share (per cent) of its time to resolve, the unit is warned once (临期预警);
    /// 100: never (the deadline itself escalates).
    pub warn_at_percent: u32,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            level_one_window: Duration::from_secs(24 * 3600),
            warn_at_percent: 75,
        }
    }
}

const BATCH: i64 = 500;

/// One pass; returns (escalations, tickets routed). Warnings before breach go out first: a
/// ticket warned and escalated in the same pass reads in that order on its timeline.
pub async fn sweep_once<S: DispatchStore>(
    dispatcher: &Dispatcher<S>,
    config: &SweepConfig,
) -> ServiceResult<(usize, usize)> {
    let (store, registry) = (dispatcher.store(), dispatcher.registry());
    let now = now_ms();
    if config.warn_at_percent < 100 {
        let warned = store.warn_nearly_due(now, config.warn_at_percent, BATCH).await?;
        metrics::counter!("wuguan_warnings_total").increment(warned.len() as u64);
    }
    let escalated = store.escalate_overdue(now, config.level_one_window.as_millis() as i64, BATCH).await?;
    for e in &escalated {
        tracing::info!(ticket = %e.ticket_id, level = e.level, "ticket escalated");
        metrics::counter!("wuguan_escalations_total", "level" => e.level.to_string()).increment(1);
    }
    record_open_tickets(store, now).await;
    let mut routed = 0;
    for mut ticket in store.unrouted(BATCH).await? {
        match registry.estate_facts(&ticket.estate_id).await {
            Ok(facts) if facts.town == ticket.town => {
                let version = ticket.version;
                ticket.estate_name = facts.estate_name.clone();
                if !facts.county.is_empty() {
                    ticket.county = facts.county.clone();
                }
                let events = dispatcher.route_ticket(&mut ticket, &facts, now).await?;
                if !events.is_empty() {
                    ticket.updated_at_ms = now;
                    // Another replica may have routed it meanwhile: that is fine.
                    if store.save_transition(version, &ticket, &events).await.is_ok() {
                        routed += 1;
                    }
                }
            }
            Ok(_) | Err(FactsError::NotFound) => {
                tracing::warn!(ticket = %ticket.id, "ticket names an estate the registry does not know; left for the town office");
            }
            Err(FactsError::Unavailable(_)) => break,
        }
    }
    Ok((escalated.len(), routed))
}

/// Gauges of open tickets by status and level, and of overdue ones, as every replica sees them
/// (the same numbers: dashboards take the max over replicas).
async fn record_open_tickets<S: DispatchStore>(store: &S, now: i64) {
    let Ok(rows) = store.open_ticket_counts(now).await else { return };
    let mut overdue = 0;
    for status in [Status::Received, Status::Assigned, Status::Accepted, Status::Rejected, Status::Reopened] {
        for level in 0..=2i64 {
            let count = rows.iter().find(|r| r.0 == status.as_str() && r.1 == level).map(|r| r.2).unwrap_or(0);
            metrics::gauge!("wuguan_tickets_open", "status" => status.as_str(), "level" => level.to_string())
                .set(count as f64);
        }
    }
    for r in &rows {
        overdue += r.3;
    }
    metrics::gauge!("wuguan_tickets_overdue").set(overdue as f64);
}

/// How often the retention pass runs: personal data is kept for months or years, so an hour
/// late is nothing, and the pass reads every closed ticket that still holds data.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// The actor the timeline names for what the retention pass erased.
pub const RETENTION_ACTOR: &str = "system (retention)";

/// Erases reporters' names and numbers from closed tickets past their town's retention period
/// (`crate::privacy`), each with a timeline event, at most `BATCH` a pass. Returns how many.
pub async fn erase_past_retention<S: DispatchStore>(store: &S, now: i64) -> ServiceResult<usize> {
    let due = store.tickets_past_retention(now, crate::privacy::DEFAULT_RETENTION_DAYS, BATCH).await?;
    let mut erased = 0;
    for t in due {
        let Some((next, event)) =
            crate::privacy::erased(&t, RETENTION_ACTOR, "保存期限已满，已删除报告人姓名和电话", now)
        else {
            continue;
        };
        // Another replica may have erased it meanwhile: that is fine.
        if store.save_transition(t.version, &next, &[event]).await.is_ok() {
            erased += 1;
        }
    }
    if erased > 0 {
        tracing::info!(tickets = erased, "reporters' personal data erased past the retention period");
        metrics::counter!("wuguan_personal_data_erased_total").increment(erased as u64);
    }
    Ok(erased)
}

pub async fn run<S: DispatchStore>(
    dispatcher: Dispatcher<S>,
    config: SweepConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // The gauges exist from the start, not only after the first sweep.
    record_open_tickets(dispatcher.store(), now_ms()).await;
    let mut retention_due = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(config.interval) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(e) = sweep_once(&dispatcher, &config).await {
            tracing::warn!(error = %e, "supervision sweep failed; will retry");
        }
        if std::time::Instant::now() >= retention_due {
            match erase_past_retention(dispatcher.store(), now_ms()).await {
                // A full batch: more may be due; look again at the next sweep.
                Ok(n) if n >= BATCH as usize => {}
                Ok(_) => retention_due = std::time::Instant::now() + RETENTION_EVERY,
                Err(e) => tracing::warn!(error = %e, "retention pass failed; will retry"),
            }
        }
    }
}
