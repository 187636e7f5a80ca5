//! The daily digest (每日督办提醒): by responsible unit, every open ticket with a step overdue and
//! every one due within the next hours — signing for it, responding or resolving — for the town
//! office to chase before the deadlines pass, and the office's own callbacks to reporters (回访)
//! due or late. Shown by the API and the console until notifications deliver it.

use crate::views::complaints::instant;
use crate::vocab::name;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::dispatch::{Category, DueStep, Status};

#[derive(Serialize, ToSchema)]
pub struct DigestItem {
    pub id: String,
    pub tracking_code: String,
    pub estate_name: String,
    #[schema(value_type = Category)]
    pub category: &'static str,
    #[schema(value_type = Status)]
    pub status: &'static str,
    /// The earliest step due.
    #[schema(value_type = DueStep)]
    pub step: &'static str,
    #[serde(skip)]
    pub due_step: DueStep,
    #[schema(format = DateTime)]
    pub due: Option<String>,
    #[serde(skip)]
    pub due_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DigestUnit {
    pub unit_id: String,
    pub unit_name: String,
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    pub person_name: String,
    /// A step already late, most overdue first.
    pub overdue: Vec<DigestItem>,
    /// A step due within the digest's hours, soonest first.
    pub due_soon: Vec<DigestItem>,
}

/// The town office's own step: calling reporters back on resolved complaints (回访).
#[derive(Serialize, ToSchema, Default)]
pub struct DigestCallbacks {
    /// Past their time, most overdue first: overdue for the town office.
    pub overdue: Vec<DigestItem>,
    /// Due within the digest's hours, soonest first.
    pub due_soon: Vec<DigestItem>,
}

#[derive(Serialize, ToSchema)]
pub struct DigestView {
    pub town: String,
    #[schema(format = DateTime)]
    pub generated_at: Option<String>,
    pub hours: u32,
    /// Units with the most overdue first.
    pub units: Vec<DigestUnit>,
    /// Callbacks the town office owes (empty in a unit's own digest).
    pub callbacks: DigestCallbacks,
    /// True when there were more tickets than one digest lists (the rest: the complaints list).
    pub truncated: bool,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    /// How far ahead "due soon" looks, 1-168 hours (24 when left out).
    pub hours: Option<u32>,
}

/// The earliest step of an open ticket that is due, with when; a resolved one's callback.
fn earliest_step(t: &pb::Ticket) -> Option<(DueStep, i64)> {
    if t.status == i32::from(pb::Status::Resolved) {
        return (t.callback_by_ms != 0).then_some((DueStep::Callback, t.callback_by_ms));
    }
    let a = t.assignment.as_ref()?;
    let waiting = matches!(pb::Status::try_from(t.status), Ok(pb::Status::Assigned | pb::Status::Reopened));
    let mut steps = Vec::with_capacity(3);
    if waiting && a.signed_at_ms == 0 && a.sign_by_ms != 0 {
        steps.push((DueStep::Sign, a.sign_by_ms));
    }
    if t.responded_at_ms == 0 {
        steps.push((DueStep::Respond, a.respond_by_ms));
    }
    steps.push((DueStep::Resolve, a.resolve_by_ms));
    steps.into_iter().min_by_key(|(_, due)| *due)
}

/// The digest of `tickets` (open with a step due, or resolved with the callback due, before
/// `now_ms` + `hours`), by unit; callbacks listed only when `with_callbacks` (the office's).
pub fn digest(
    town: String,
    tickets: Vec<pb::Ticket>,
    now_ms: i64,
    hours: u32,
    truncated: bool,
    with_callbacks: bool,
) -> DigestView {
    let mut units: Vec<DigestUnit> = Vec::new();
    let mut callbacks = DigestCallbacks::default();
    for t in tickets {
        let (Some((step, due_ms)), Some(a)) = (earliest_step(&t), t.assignment.as_ref()) else { continue };
        let item = DigestItem {
            id: t.id.clone(),
            tracking_code: t.tracking_code.clone(),
            estate_name: t.estate_name.clone(),
            category: name::<Category>(t.category),
            status: name::<Status>(t.status),
            step: step.as_str(),
            due_step: step,
            due: instant(due_ms),
            due_ms,
        };
        if step == DueStep::Callback {
            if with_callbacks {
                if due_ms < now_ms { callbacks.overdue.push(item) } else { callbacks.due_soon.push(item) }
            }
            continue;
        }
        let unit = match units.iter_mut().position(|u| u.unit_id == a.unit_id) {
            Some(i) => &mut units[i],
            None => {
                units.push(DigestUnit {
                    unit_id: a.unit_id.clone(),
                    unit_name: a.unit_name.clone(),
                    unit_type: name::<UnitType>(a.unit_type),
                    person_name: a.person_name.clone(),
                    overdue: Vec::new(),
                    due_soon: Vec::new(),
                });
                units.last_mut().expect("just pushed")
            }
        };
        if due_ms < now_ms { unit.overdue.push(item) } else { unit.due_soon.push(item) }
    }
    for u in &mut units {
        u.overdue.sort_by_key(|i| i.due_ms);
        u.due_soon.sort_by_key(|i| i.due_ms);
    }
    units.sort_by(|a, b| b.overdue.len().cmp(&a.overdue.len()).then(b.due_soon.len().cmp(&a.due_soon.len())));
    callbacks.overdue.sort_by_key(|i| i.due_ms);
    callbacks.due_soon.sort_by_key(|i| i.due_ms);
    DigestView { town, generated_at: instant(now_ms), hours, units, callbacks, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(id: &str, unit: &str, status: pb::Status, sign_by: i64, respond_by: i64, resolve_by: i64) -> pb::Ticket {
        pb::Ticket {
            id: id.into(),
            status: i32::from(status),
            assignment: Some(pb::Assignment {
                unit_id: unit.into(),
                unit_name: format!("{unit} 单位"),
                sign_by_ms: sign_by,
                respond_by_ms: respond_by,
                resolve_by_ms: resolve_by,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn each_ticket_is_listed_once_under_its_unit_by_its_earliest_step() {
        let now = 1_000_000;
        let mut tickets = vec![
            // Not signed for and past it: overdue, for signing.
            ticket("a", "u1", pb::Status::Assigned, now - 10, now + 50, now + 500),
            // Accepted, resolution due soon.
            pb::Ticket {
                responded_at_ms: now - 100,
                ..ticket("b", "u1", pb::Status::Accepted, 0, now - 200, now + 30)
            },
            // Another unit, response late.
            ticket("c", "u2", pb::Status::Assigned, now - 400, now - 5, now + 900),
        ];
        // "c" was signed for in time: its response is what is late.
        tickets[2].assignment.as_mut().unwrap().signed_at_ms = now - 300;
        // Resolved by u1, the callback late: the office's, not the unit's.
        tickets
            .push(pb::Ticket { callback_by_ms: now - 1, ..ticket("d", "u1", pb::Status::Resolved, 0, 0, now - 900) });
        let units_own = digest("t".into(), tickets.clone(), now, 24, false, false);
        assert!(units_own.callbacks.overdue.is_empty(), "a unit's digest has no callbacks");
        let d = digest("t".into(), tickets, now, 24, false, true);
        assert_eq!(
            d.callbacks.overdue.iter().map(|i| (i.id.as_str(), i.due_step)).collect::<Vec<_>>(),
            vec![("d", DueStep::Callback)]
        );
        assert_eq!(d.units.len(), 2);
        let u1 = d.units.iter().find(|u| u.unit_id == "u1").unwrap();
        assert_eq!(
            u1.overdue.iter().map(|i| (i.id.as_str(), i.due_step)).collect::<Vec<_>>(),
            vec![("a", DueStep::Sign)]
        );
        assert_eq!(
            u1.due_soon.iter().map(|i| (i.id.as_str(), i.due_step)).collect::<Vec<_>>(),
            vec![("b", DueStep::Resolve)]
        );
        let u2 = d.units.iter().find(|u| u.unit_id == "u2").unwrap();
        assert_eq!(
            u2.overdue.iter().map(|i| (i.id.as_str(), i.due_step)).collect::<Vec<_>>(),
            vec![("c", DueStep::Respond)]
        );
    }
}
