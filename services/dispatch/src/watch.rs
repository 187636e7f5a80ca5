//! The ticket watch stream. It reads the (shared) event table rather than an in-process bus, so
//! a watcher connected to one replica sees what every replica records. Events are delivered
//! once they are a couple of seconds old: ids are time-ordered but commits can land slightly
//! out of order, and the lag lets every earlier commit arrive before the cursor passes it.

use crate::access::{can_see, can_see_phone};
use crate::grpc::convert;
use crate::model::*;
use crate::store::DispatchStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::Status as GrpcStatus;
use wuguan_platform::Principal;
use wuguan_platform::db::now_ms;
use wuguan_proto::dispatch::v1 as pb;

const POLL: Duration = Duration::from_millis(500);
const SETTLE_MS: u64 = 2_000;
const BATCH: i64 = 200;

/// The time a UUIDv7 id was made, in ms.
fn id_time_ms(id: &str) -> Option<u64> {
    let uuid = uuid::Uuid::parse_str(id).ok()?;
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    Some(secs * 1000 + u64::from(nanos) / 1_000_000)
}

/// A cursor just before `ms`: every id made at or after `ms` sorts after it.
pub fn cursor_at(ms: u64) -> String {
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    let mut bytes = *uuid::Uuid::new_v7(ts).as_bytes();
    // Zero the random part so the cursor sorts before any real id of that millisecond.
    bytes[6] &= 0xf0;
    bytes[7] = 0;
    bytes[8] &= 0xc0;
    bytes[9..].fill(0);
    uuid::Uuid::from_bytes(bytes).to_string()
}

pub struct WatchFilter {
    pub town: String,
    pub unit_type: Option<&'static str>,
    pub unit_id: Option<String>,
}

pub fn spawn<S: DispatchStore>(
    store: Arc<S>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    principal: Principal,
    filter: WatchFilter,
    mut cursor: String,
) -> mpsc::Receiver<Result<pb::TicketChange, GrpcStatus>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            if tx.is_closed() {
                return;
            }
            let settled_before = (now_ms() as u64).saturating_sub(SETTLE_MS);
            let events = match store.events_after(&filter.town, &cursor, BATCH).await {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(GrpcStatus::from(e))).await;
                    return;
                }
            };
            let mut delivered_all = true;
            for event in events {
                if id_time_ms(&event.id).is_none_or(|t| t > settled_before) {
                    delivered_all = false;
                    break;
                }
                cursor = event.id.clone();
                let ticket = match store.get_ticket(&event.ticket_id).await {
                    Ok(Some(t)) => t,
                    Ok(None) => continue,
                    Err(e) => {
                        let _ = tx.send(Err(GrpcStatus::from(e))).await;
                        return;
                    }
                };
                if !can_see(&principal, &ticket) || !matches(&filter, &ticket) {
                    continue;
                }
                // A system following the unit's tickets gets the number in full, each delivery a
                // recorded read (as on a ticket's page); one that cannot be recorded goes masked.
                let mut show = can_see_phone(&principal, &ticket);
                if show && crate::privacy::is_recorded_read(&principal, &ticket) {
                    let read = crate::privacy::PersonalDataRead::of(&principal, &ticket, "watch", now_ms());
                    show = store.record_personal_data_read(&read).await.is_ok();
                }
                let change = pb::TicketChange {
                    event: Some(convert::event(event)),
                    ticket: Some(convert::ticket(ticket, show, now_ms(), Vec::new())),
                };
                if tx.send(Ok(change)).await.is_err() {
                    return;
                }
            }
            let pause = if delivered_all { POLL } else { Duration::from_millis(200) };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                // Server stopping: end the stream so the server can drain.
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    });
    rx
}

fn matches(filter: &WatchFilter, t: &Ticket) -> bool {
    let a = t.assignment.as_ref();
    if let Some(unit) = &filter.unit_id
        && a.map(|a| &a.unit_id) != Some(unit)
        && !a.is_some_and(|a| a.co_handler_unit_ids.contains(unit))
    {
        return false;
    }
    match filter.unit_type {
        Some(ut) => a.is_some_and(|a| a.unit_type == ut),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_sorts_before_ids_of_its_millisecond_and_after_earlier_ones() {
        let now = 1_800_000_000_123u64;
        let cursor = cursor_at(now);
        let same_ms =
            uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, now / 1000, 123_000_000)).to_string();
        let earlier =
            uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, now / 1000, 122_000_000)).to_string();
        assert!(cursor < same_ms, "{cursor} vs {same_ms}");
        assert!(earlier < cursor);
        assert_eq!(id_time_ms(&same_ms), Some(now));
    }
}
