//! Group commit for intake: complaints submitted at the same moment are written in one
//! transaction, and each caller is answered only after that transaction has committed —
//! acknowledged still means durable, but a burst pays for one commit (one WAL flush, one
//! fsync) instead of one per complaint, and its statements are per batch, not per row (on
//! Postgres the whole batch is one statement: `store/batch.rs`).
//!
//! A writer task per shard takes whatever is queued (up to `MAX_BATCH`) as soon as it is free,
//! so a lone submission waits for nobody and batches grow only with the load. Complaints are
//! sharded by estate and category: the repeats of one outage reach the same writer, in order,
//! and the first of them is the one the others are marked repeats of.

use crate::model::*;
use crate::store::{DispatchStore, NewTicket};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::{ErrorCode, ServiceError};

/// Complaints written in one transaction at most: well inside both databases' limit on bound
/// values (35 per ticket), and more than the concurrency that fills a commit.
pub const MAX_BATCH: usize = 128;
/// Complaints waiting for a writer, per shard; beyond it submitters wait to be queued (the
/// server's concurrency limit refuses the excess long before).
const QUEUE_DEPTH: usize = 1024;

struct Pending {
    item: NewTicket,
    reply: oneshot::Sender<ServiceResult<Ticket>>,
    /// The submitting request's span: the batch's database work shows in its trace.
    span: tracing::Span,
}

pub struct GroupCommit {
    shards: Vec<mpsc::Sender<Pending>>,
}

impl GroupCommit {
    /// Starts the store's writer tasks (`DispatchStore::INTAKE_WRITERS`); they end when the
    /// last handle is dropped, after writing what was queued.
    pub fn start<S: DispatchStore>(store: Arc<S>) -> Self {
        let writers =
            std::env::var("WUGUAN_INTAKE_WRITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(S::INTAKE_WRITERS);
        let shards = (0..writers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
                tokio::spawn(write_batches(store.clone(), rx));
                tx
            })
            .collect();
        Self { shards }
    }

    /// Stores one complaint with whatever else is waiting; returns once it is committed.
    pub async fn insert(&self, item: NewTicket) -> ServiceResult<Ticket> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&item.ticket.town, &item.ticket.estate_id, item.ticket.category.as_str()).hash(&mut h);
        let shard = &self.shards[(h.finish() % self.shards.len() as u64) as usize];
        let (reply, answer) = oneshot::channel();
        shard.send(Pending { item, reply, span: tracing::Span::current() }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> ServiceError {
    ServiceError::new(ErrorCode::Unavailable, "intake is stopping; try again shortly")
}

async fn write_batches<S: DispatchStore>(store: Arc<S>, mut queue: mpsc::Receiver<Pending>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (items, answers): (Vec<NewTicket>, Vec<_>) = waiting.drain(..).map(|p| (p.item, (p.reply, p.span))).unzip();
        let span = tracing::info_span!(parent: &answers[0].1, "group_commit", complaints = items.len());
        for (_, other) in &answers[1..] {
            span.follows_from(other);
        }
        let count = items.len();
        // Its own task, so a panic in one batch answers that batch with an error and the
        // writer goes on with the next.
        let store = store.clone();
        let outcomes = match tokio::spawn(async move { store.insert_tickets(&items).await }.instrument(span)).await {
            Ok(outcomes) if outcomes.len() == count => outcomes,
            Ok(_) => (0..count).map(|_| Err(ServiceError::internal("batch outcome count"))).collect(),
            Err(e) => (0..count).map(|_| Err(ServiceError::internal(format!("intake batch: {e}")))).collect(),
        };
        for ((reply, _), outcome) in answers.into_iter().zip(outcomes) {
            // A caller that gave up still has its complaint stored; its retry finds it by key.
            let _ = reply.send(outcome);
        }
    }
}
