//! One conformance suite for dispatch storage, on SQLite and Postgres, including escalation
//! exactly once when two replicas sweep the same database at the same time.

use std::sync::Arc;
use wuguan_dispatch::calendar::{OfficeHours, YearCalendar};
use wuguan_dispatch::lifecycle::{self, Action};
use wuguan_dispatch::model::*;
use wuguan_dispatch::reply::ReplyTemplate;
use wuguan_dispatch::return_reasons::TownReturnReason;
use wuguan_dispatch::server::open_database;
use wuguan_dispatch::store::{DispatchStore, Escalated, IntakeKey, NewTicket, PgStore, SqliteStore};
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::paging::Page;
use wuguan_platform::{ErrorCode, Principal, Role};

fn ticket(town: &str, category: Category, created_at: i64, respond_in: i64, resolve_in: i64) -> Ticket {
    let complaint = Complaint {
        town: town.into(),
        county: "c".into(),
        estate_id: "estate-1".into(),
        estate_name: "阳光花园".into(),
        category,
        source: Source::Resident,
        description: "电梯坏了".into(),
        reporter: Reporter { name: "王先生".into(), phone: "13812345678".into(), anonymous: false },
        submitted_by: "zhongxing.resident".into(),
        reported_at_ms: created_at,
    };
    Ticket {
        status: Status::Assigned,
        assignment: Some(Assignment {
            unit_type: "property_company".into(),
            unit_id: "unit-pc".into(),
            unit_name: "恒安物业".into(),
            person_id: "p1".into(),
            person_name: "钱经理".into(),
            respond_by_ms: created_at + respond_in,
            resolve_by_ms: created_at + resolve_in,
            measures: String::new(),
            co_handler_unit_ids: vec!["unit-owners".into()],
            sign_by_ms: created_at + respond_in,
            signed_at_ms: None,
            assigned_at_ms: created_at,
            return_by_ms: created_at + 2 * DAY_MS,
        }),
        ..Ticket::received(complaint, created_at)
    }
}

fn submit_event(t: &Ticket) -> TicketEvent {
    TicketEvent::new(t, TicketAction::Submit, None, "tester", t.created_at_ms, "")
}

fn key(k: &str, hash: &str) -> IntakeKey {
    IntakeKey { scope: "t1/hotline".into(), key: k.into(), request_hash: hash.into() }
}

async fn conformance<S: DispatchStore>(store: S) {
    let now = 1_800_000_000_000i64;
    // Insert and read back, with the timeline.
    let a = ticket("t1", Category::Repair, now, HOUR_MS, DAY_MS);
    let stored = store.insert_ticket(&a, &[submit_event(&a)], None).await.unwrap();
    assert_eq!(stored, a);
    assert_eq!(store.get_ticket(&a.id).await.unwrap().unwrap(), a);
    assert_eq!(store.find_by_tracking_code(&a.tracking_code).await.unwrap().unwrap().id, a.id);
    assert!(store.get_ticket("nope").await.unwrap().is_none());
    assert_eq!(store.timeline(&a.id).await.unwrap().len(), 1);

    // Idempotent intake: same key and body → the first ticket; another body → ALREADY_EXISTS.
    let b = ticket("t1", Category::Security, now, HOUR_MS, DAY_MS);
    let first = store.insert_ticket(&b, &[submit_event(&b)], Some(&key("k1", "h1"))).await.unwrap();
    let retry = ticket("t1", Category::Security, now, HOUR_MS, DAY_MS);
    let again = store.insert_ticket(&retry, &[submit_event(&retry)], Some(&key("k1", "h1"))).await.unwrap();
    assert_eq!(again.id, first.id);
    let err = store.insert_ticket(&retry, &[submit_event(&retry)], Some(&key("k1", "other"))).await.unwrap_err();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::AlreadyExists, Some("idempotency_key")));
    assert_eq!(store.count_tickets("t1").await.unwrap(), 2);

    // Transitions with optimistic concurrency.
    let mut accepted = a.clone();
    accepted.status = Status::Accepted;
    accepted.responded_at_ms = Some(now + 1);
    let ev = TicketEvent::new(&accepted, TicketAction::Accept, Some(Status::Assigned), "pc", now + 1, "更换");
    let saved = store.save_transition(1, &accepted, &[ev]).await.unwrap();
    assert_eq!(saved.version, 2);
    let err = store.save_transition(1, &accepted, &[]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Aborted);
    let reread = store.get_ticket(&a.id).await.unwrap().unwrap();
    assert_eq!((reread.status, reread.version, reread.responded_at_ms), (Status::Accepted, 2, Some(now + 1)));

    // Every column a transition writes comes back as written: each one a different value, so a
    // value bound to another column's place would show.
    let fresh = ticket("t-every", Category::Repair, now, HOUR_MS, DAY_MS);
    let fresh = store.insert_ticket(&fresh, &[], None).await.unwrap();
    let mut every = fresh.clone();
    every.status = Status::Resolved;
    every.level = 2;
    every.assignment = Some(Assignment {
        unit_type: "police".into(),
        unit_id: "unit-police".into(),
        unit_name: "众兴派出所".into(),
        person_id: "p-police".into(),
        person_name: "孙所长".into(),
        respond_by_ms: now + 11,
        resolve_by_ms: now + 12,
        measures: "加强巡逻".into(),
        co_handler_unit_ids: vec!["unit-a".into(), "unit-b".into()],
        sign_by_ms: now + 18,
        signed_at_ms: Some(now + 19),
        assigned_at_ms: now + 20,
        return_by_ms: now + 21,
    });
    every.updated_at_ms = now + 13;
    every.responded_at_ms = Some(now + 14);
    every.resolved_at_ms = Some(now + 15);
    every.satisfaction = Some(Satisfaction::BasicallySatisfied);
    every.escalated_l1_at_ms = Some(now + 16);
    every.escalated_l2_at_ms = Some(now + 17);
    every.county_report = true;
    every.estate_name = "新名花园".into();
    every.county = "c2".into();
    every.merged_into = Some("ticket-x".into());
    every.repeat_of = Some("ticket-y".into());
    let written = store.save_transition(fresh.version, &every, &[]).await.unwrap();
    let back = store.get_ticket(&every.id).await.unwrap().unwrap();
    assert_eq!(back, Ticket { version: fresh.version + 1, ..every.clone() });
    assert_eq!(written, back);
    assert_eq!(reread.assignment.unwrap().co_handler_unit_ids, vec!["unit-owners".to_owned()]);
    let timeline = store.timeline(&a.id).await.unwrap();
    assert_eq!(timeline.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["submit", "accept"]);
    assert_eq!(timeline[1].from_status, Some(Status::Assigned));

    // Lists: newest first, filters, scoping by town, overdue as of a time.
    let other_town = ticket("t2", Category::Repair, now, HOUR_MS, DAY_MS);
    store.insert_ticket(&other_town, &[], None).await.unwrap();
    let all = store.list_tickets("t1", &TicketFilter::default(), &Page::first(50)).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].id > all[1].id);
    let security = TicketFilter { category: Some(Category::Security), ..Default::default() };
    assert_eq!(store.list_tickets("t1", &security, &Page::first(50)).await.unwrap().len(), 1);
    let by_unit =
        TicketFilter { unit_id: Some("unit-pc".into()), status: Some(Status::Accepted), ..Default::default() };
    assert_eq!(store.list_tickets("t1", &by_unit, &Page::first(50)).await.unwrap()[0].id, a.id);
    let overdue = TicketFilter { overdue: Some(true), now_ms: now + 2 * HOUR_MS, ..Default::default() };
    // `b` never responded within its hour; `a` responded and is within its day.
    assert_eq!(store.list_tickets("t1", &overdue, &Page::first(50)).await.unwrap()[0].id, first.id);
    let not_overdue = TicketFilter { overdue: Some(false), now_ms: now + 2 * HOUR_MS, ..Default::default() };
    assert_eq!(store.list_tickets("t1", &not_overdue, &Page::first(50)).await.unwrap()[0].id, a.id);
    let mine = TicketFilter { submitted_by: Some("someone.else".into()), ..Default::default() };
    assert!(store.list_tickets("t1", &mine, &Page::first(50)).await.unwrap().is_empty());
    let between = store.tickets_created_between("t1", &TicketFilter::default(), now, now + 1).await.unwrap();
    assert_eq!(between.len(), 2);
    assert!(store.tickets_created_between("t1", &TicketFilter::default(), now + 1, now + 2).await.unwrap().is_empty());

    // Routing overrides.
    assert!(store.routing_overrides("t1").await.unwrap().is_empty());
    let mut rule = wuguan_dispatch::routing::default_rule("t1", Category::Repair);
    rule.target = RouteTarget::Community;
    rule.customised = true;
    store.set_routing_rule(&rule, "office").await.unwrap();
    rule.response = TimeLimit { amount: 3, unit: LimitUnit::WorkingDays };
    store.set_routing_rule(&rule, "office").await.unwrap();
    assert_eq!(store.routing_overrides("t1").await.unwrap(), vec![rule]);
    assert!(store.routing_overrides("t2").await.unwrap().is_empty());

    // Working calendars: a year set replaces that year's days and hours whole, per town.
    assert!(store.calendar_years("t1").await.unwrap().is_empty());
    let mut year = YearCalendar::built_in("t1", 2026);
    year.office = OfficeHours { start_minute: 9 * 60, end_minute: 17 * 60 + 30 };
    year.updated_by = "office".into();
    year.updated_at_ms = now;
    let year = year.validated().unwrap();
    store.set_calendar_year(&year).await.unwrap();
    assert_eq!(store.calendar_years("t1").await.unwrap(), vec![year.clone()]);
    let mut fewer = year.clone();
    fewer.days.retain(|d| d.kind == DayKind::Holiday);
    fewer.updated_at_ms = now + 1;
    store.set_calendar_year(&fewer).await.unwrap();
    let mut next = YearCalendar::built_in("t1", 2027);
    next.updated_by = "office".into();
    let next = next.validated().unwrap();
    store.set_calendar_year(&next).await.unwrap();
    assert_eq!(store.calendar_years("t1").await.unwrap(), vec![fewer, next]);
    assert!(store.calendar_years("t2").await.unwrap().is_empty());

    // Unrouted tickets (registry was down at intake).
    let mut waiting = ticket("t1", Category::Other, now, HOUR_MS, DAY_MS);
    waiting.status = Status::Received;
    waiting.assignment = None;
    store.insert_ticket(&waiting, &[], None).await.unwrap();
    let unrouted = store.unrouted(10).await.unwrap();
    assert_eq!(unrouted.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), vec![waiting.id.clone()]);
    // Unrouted tickets are never escalated: there is nobody to be late.
    let escalated = store.escalate_overdue(now + 10 * DAY_MS, DAY_MS, 100).await.unwrap();
    assert!(escalated.iter().all(|e| e.ticket_id != waiting.id));
    // The sweep says why as a code (printed in Chinese by the reader), never as an English note.
    let first = escalated.first().expect("the overdue tickets rose a level");
    let timeline = store.timeline(&first.ticket_id).await.unwrap();
    let raised = timeline.iter().rev().find(|e| e.action == "escalate").expect("an escalate event");
    assert!(raised.note.is_empty(), "{raised:?}");
    assert!(
        matches!(
            raised.remarks.as_slice(),
            [Remark {
                code: EventRemark::SignForOverdue
                    | EventRemark::ResponseOverdue
                    | EventRemark::ResolutionOverdue
                    | EventRemark::StillOverdue,
                ..
            }]
        ),
        "{raised:?}"
    );
    // Remarks with a parameter survive the round trip through the store's column.
    let mut noted = submit_event(&waiting);
    noted.id = new_id();
    noted.remarks = vec![
        Remark { code: EventRemark::NoUnitOfType, unit_type: Some(UnitType::Police) },
        Remark::of(EventRemark::CountyMatter),
    ];
    let stored = store.get_ticket(&waiting.id).await.unwrap().expect("stored");
    let saved = store.save_transition(stored.version, &stored, std::slice::from_ref(&noted)).await.unwrap();
    let back = store.timeline(&saved.id).await.unwrap();
    assert_eq!(back.iter().find(|e| e.id == noted.id).map(|e| e.remarks.clone()), Some(noted.remarks.clone()));

    // Tallies per unit and per estate, counted by the database; merged tickets left out.
    let mut rated = ticket("t1", Category::Security, now, HOUR_MS, DAY_MS);
    if let Some(a) = rated.assignment.as_mut() {
        (a.unit_id, a.unit_name, a.unit_type) = ("unit-police".into(), "城东派出所".into(), "police".into());
    }
    rated.status = Status::Verified;
    rated.responded_at_ms = Some(now + 2 * HOUR_MS);
    rated.resolved_at_ms = Some(now + 3 * HOUR_MS);
    rated.satisfaction = Some(Satisfaction::NotSatisfied);
    rated.repeat_of = Some(a.id.clone());
    store.insert_ticket(&rated, &[], None).await.unwrap();
    let mut merged = ticket("t1", Category::Repair, now, HOUR_MS, DAY_MS);
    merged.merged_into = Some(a.id.clone());
    store.insert_ticket(&merged, &[], None).await.unwrap();
    let later = now + 10 * DAY_MS;
    let (units, estates) = sum_tallies(store.tally("t1", None, (now, now + 1), later).await.unwrap());
    let keys: Vec<_> = units.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, vec!["unit-pc", "unit-police"]);
    let expected_pc = Tally {
        key: "unit-pc".into(),
        name: "恒安物业".into(),
        unit_type: "property_company".into(),
        person_name: "钱经理".into(),
        counts: TallyCounts {
            tickets: 2,
            responded_in_time: 1,
            // Ten days on, both are past their resolution deadline unresolved.
            resolution_due: 2,
            overdue: 2,
            late_responses: 1,
            escalated: 2,
            ..Default::default()
        },
    };
    assert_eq!(units[0], expected_pc);
    // Counted when they were made, neither resolution is due yet: pending, not failed.
    let (at_intake, _) = sum_tallies(store.tally("t1", None, (now, now + 1), now).await.unwrap());
    assert_eq!(at_intake[0].counts.resolution_due, 0, "{:?}", at_intake[0]);
    let police = units[1].counts;
    assert_eq!(
        (police.tickets, police.resolved, police.rated, police.satisfied, police.not_satisfied, police.repeats),
        (1, 1, 1, 0, 1, 1)
    );
    assert_eq!((police.overdue, police.late_responses, police.responded_in_time), (0, 1, 0));
    assert_eq!(police.resolution_due, 1, "a resolved ticket is due whatever its deadline");
    // Every ticket counts for its estate, the unrouted one too.
    assert_eq!(estates.len(), 1);
    assert_eq!(
        (estates[0].key.as_str(), estates[0].name.as_str(), estates[0].counts.tickets),
        ("estate-1", "阳光花园", 4)
    );
    assert!(store.tally("t1", Some("elsewhere"), (now, now + 1), later).await.unwrap().is_empty());
    assert!(store.tally("t1", None, (now + 1, now + 2), later).await.unwrap().is_empty());
}

/// The tally of whole local days, read from the per-day counts the database keeps as tickets
/// change, equals the tally of the same tickets counted one by one (periods shorter than a day
/// are counted from the tickets themselves), whenever it is asked: before, between and after the
/// deadlines, after transitions, reassignment, a merge and an escalation sweep.
async fn day_counts<S: DispatchStore>(store: S) {
    use std::collections::BTreeMap;
    use wuguan_platform::local_time::day_number_start_ms;
    let day0 = day_number_start_ms(20_800);
    let at = |hours: i64| day0 + hours * HOUR_MS;
    let mut made = Vec::new();
    // Last moment of the day before, first of the period, a spread, last of the period, first after.
    for (k, created) in [day0 - 1, day0, at(5), at(30), at(47), at(71), day0 + 3 * DAY_MS - 1, day0 + 3 * DAY_MS]
        .into_iter()
        .enumerate()
    {
        let category = [Category::Repair, Category::Security, Category::BuildingQuality][k % 3];
        let mut t = ticket("t1", category, created, 2 * HOUR_MS, 3 * DAY_MS);
        if k == 2 {
            (t.status, t.assignment) = (Status::Received, None);
        }
        made.push(t);
    }
    // Written as one batch: Postgres sums a statement's rows per day row.
    let batch: Vec<NewTicket> = made
        .iter()
        .map(|t| NewTicket { ticket: t.clone(), events: vec![submit_event(t)], key: None, repeats_since_ms: None })
        .collect();
    for written in store.insert_tickets(&batch).await {
        written.unwrap();
    }
    let mut later = ticket("t1", Category::Repair, at(6), HOUR_MS, DAY_MS);
    later.repeat_of = Some(made[1].id.clone());
    store.insert_ticket(&later, &[], None).await.unwrap();

    let save = |t: Ticket| {
        let store = &store;
        async move {
            let version = store.get_ticket(&t.id).await.unwrap().unwrap().version;
            store.save_transition(version, &t, &[]).await.unwrap()
        }
    };
    // Responded in time, then resolved and rated.
    let mut t = made[1].clone();
    (t.status, t.responded_at_ms) = (Status::Accepted, Some(at(1)));
    let t = save(t).await;
    let mut t2 = t.clone();
    (t2.status, t2.resolved_at_ms, t2.satisfaction) = (Status::Closed, Some(at(3)), Some(Satisfaction::Satisfied));
    save(t2).await;
    // Responded late; another reassigned to a different unit; another merged into the first.
    let mut t = made[3].clone();
    (t.status, t.responded_at_ms) = (Status::Accepted, Some(at(40)));
    save(t).await;
    let mut t = made[4].clone();
    if let Some(a) = t.assignment.as_mut() {
        (a.unit_id, a.unit_name, a.unit_type) = ("unit-police".into(), "城东派出所".into(), "police".into());
    }
    save(t).await;
    let mut t = later.clone();
    t.merged_into = Some(made[1].id.clone());
    save(t).await;
    // Every deadline long past: the sweep raises what is still open.
    let escalated = store.escalate_overdue(day0 + 10 * DAY_MS, HOUR_MS, 100).await.unwrap();
    assert!(!escalated.is_empty());

    type Groups = BTreeMap<(Option<String>, String), TallyRow>;
    let grouped = |rows: Vec<TallyRow>| {
        let mut out = Groups::new();
        for r in rows {
            let entry = out
                .entry((r.unit_id.clone(), r.estate_id.clone()))
                .or_insert_with(|| TallyRow { counts: TallyCounts::default(), ..r.clone() });
            entry.counts += r.counts;
        }
        out
    };
    // Pieces of 10 hours never hold a whole local day: each is counted from the tickets.
    let by_pieces = |from: i64, to: i64, now: i64| {
        let store = &store;
        async move {
            let mut rows = Vec::new();
            let mut start = from;
            while start < to {
                let end = (start + 10 * HOUR_MS).min(to);
                rows.extend(store.tally("t1", None, (start, end), now).await.unwrap());
                start = end;
            }
            grouped(rows)
        }
    };
    let mut seen_overdue = Vec::new();
    for now in [at(-1), at(1), at(4), at(50), day0 + 10 * DAY_MS] {
        for (from, to) in [(day0, day0 + 3 * DAY_MS), (day0 - 3 * HOUR_MS, day0 + 3 * DAY_MS + 3 * HOUR_MS)] {
            let whole = grouped(store.tally("t1", None, (from, to), now).await.unwrap());
            assert_eq!(whole, by_pieces(from, to, now).await, "period {from}..{to} asked at {now}");
            let county = grouped(store.tally("t1", Some("c"), (from, to), now).await.unwrap());
            assert_eq!(county, whole);
            assert!(store.tally("t1", Some("elsewhere"), (from, to), now).await.unwrap().is_empty());
        }
        let whole = grouped(store.tally("t1", None, (day0, day0 + 3 * DAY_MS), now).await.unwrap());
        seen_overdue.push(whole.values().map(|r| r.counts.overdue).sum::<i64>());
        assert_eq!(whole.values().map(|r| r.counts.tickets).sum::<i64>(), 6, "the period's unmerged tickets");
    }
    // The answer moves with the moment of asking (nothing overdue before the deadlines).
    assert_eq!(seen_overdue.first(), Some(&0));
    assert!(seen_overdue.last().is_some_and(|n| *n > 0), "{seen_overdue:?}");
}

/// Complaints written together (group commit): possible repeats found among the stored tickets
/// and within the batch, keys repeated within the batch or already stored, and one complaint
/// the database refuses failing alone.
async fn batched_intake<S: DispatchStore>(store: S) {
    let now = 1_800_000_000_000i64;
    let since = now - REPEAT_WINDOW_MS;
    let item = |t: &Ticket, key: Option<IntakeKey>| NewTicket {
        ticket: t.clone(),
        events: vec![submit_event(t)],
        key,
        repeats_since_ms: Some(since),
    };
    let mut closed = ticket("b", Category::Repair, now - 2 * HOUR_MS, HOUR_MS, DAY_MS);
    closed.status = Status::Closed;
    store.insert_ticket(&closed, &[], None).await.unwrap();
    let open = ticket("b", Category::Repair, now - HOUR_MS, HOUR_MS, DAY_MS);
    store.insert_ticket(&open, &[], None).await.unwrap();
    let stale = ticket("b", Category::NeighbourDispute, since - 1, HOUR_MS, DAY_MS);
    store.insert_ticket(&stale, &[], None).await.unwrap();
    let earlier_key = ticket("b", Category::Sanitation, now - HOUR_MS, HOUR_MS, DAY_MS);
    let earlier_key = store.insert_ticket(&earlier_key, &[], Some(&key("k0", "h0"))).await.unwrap();

    let burst: Vec<Ticket> = (0..3).map(|_| ticket("b", Category::Repair, now, HOUR_MS, DAY_MS)).collect();
    let outage: Vec<Ticket> = (0..3).map(|_| ticket("b", Category::Security, now, HOUR_MS, DAY_MS)).collect();
    let mut elsewhere = ticket("b", Category::Security, now, HOUR_MS, DAY_MS);
    elsewhere.estate_id = "estate-2".into();
    let noise = ticket("b", Category::NeighbourDispute, now, HOUR_MS, DAY_MS);
    let keyed = ticket("b", Category::PropertyFees, now, HOUR_MS, DAY_MS);
    let keyed_again = ticket("b", Category::PropertyFees, now, HOUR_MS, DAY_MS);
    let keyed_other = ticket("b", Category::PropertyFees, now, HOUR_MS, DAY_MS);
    let retried = ticket("b", Category::Sanitation, now, HOUR_MS, DAY_MS);
    let misused = ticket("b", Category::Sanitation, now, HOUR_MS, DAY_MS);
    let mut unlooked = ticket("b", Category::Repair, now, HOUR_MS, DAY_MS);
    let batch = vec![
        item(&burst[0], None),
        item(&outage[0], None),
        item(&burst[1], None),
        item(&outage[1], None),
        item(&elsewhere, None),
        item(&outage[2], None),
        item(&burst[2], None),
        item(&noise, None),
        item(&keyed, Some(key("k1", "h1"))),
        item(&keyed_again, Some(key("k1", "h1"))),
        item(&keyed_other, Some(key("k1", "h2"))),
        item(&retried, Some(key("k0", "h0"))),
        item(&misused, Some(key("k0", "hx"))),
        NewTicket { repeats_since_ms: None, ..item(&unlooked, None) },
    ];
    let out = store.insert_tickets(&batch).await;
    assert_eq!(out.len(), batch.len());
    let ok = |n: usize| out[n].clone().unwrap_or_else(|e| panic!("complaint {n}: {e:?}"));
    // The burst repeats the open ticket stored earlier, not the closed one.
    for n in [0, 2, 6] {
        assert_eq!(ok(n).repeat_of.as_deref(), Some(open.id.as_str()), "burst complaint {n}");
    }
    // A new outage: the first of the batch is the original, the rest repeat it.
    assert_eq!(ok(1).repeat_of, None);
    assert_eq!(ok(3).repeat_of.as_deref(), Some(outage[0].id.as_str()));
    assert_eq!(ok(5).repeat_of.as_deref(), Some(outage[0].id.as_str()));
    assert_eq!(ok(4).repeat_of, None, "another estate is no repeat");
    assert_eq!(ok(7).repeat_of, None, "the earlier dispute is outside the window");
    assert_eq!(ok(13).repeat_of, None, "no lookup asked for");
    // Keys: the first use is stored, the same body again gets it back, another body is refused.
    assert_eq!(ok(8).id, keyed.id);
    assert_eq!(ok(9).id, keyed.id);
    let conflict = out[10].clone().unwrap_err();
    assert_eq!((conflict.code, conflict.field.as_deref()), (ErrorCode::AlreadyExists, Some("idempotency_key")));
    assert_eq!(ok(11).id, earlier_key.id, "a key stored by an earlier transaction");
    assert_eq!(out[12].clone().unwrap_err().code, ErrorCode::AlreadyExists);
    // What was returned is what is stored, with its first event.
    for n in [0, 1, 3, 4, 8, 13] {
        let t = ok(n);
        assert_eq!(store.get_ticket(&t.id).await.unwrap().as_ref(), Some(&t));
        assert_eq!(store.timeline(&t.id).await.unwrap().len(), 1, "complaint {n}");
    }
    for absent in [&keyed_again, &keyed_other, &retried, &misused] {
        assert!(store.get_ticket(&absent.id).await.unwrap().is_none());
    }
    assert_eq!(store.count_tickets("b").await.unwrap(), 4 + 10);

    // One complaint the database refuses (a tracking code already in use) fails alone.
    let fine = ticket("b", Category::IllegalStall, now, HOUR_MS, DAY_MS);
    unlooked.id = new_id();
    unlooked.tracking_code = open.tracking_code.clone();
    let also_fine = ticket("b", Category::IllegalStall, now, HOUR_MS, DAY_MS);
    let out = store.insert_tickets(&[item(&fine, None), item(&unlooked, None), item(&also_fine, None)]).await;
    assert!(out[1].is_err(), "{:?}", out[1]);
    assert_eq!(out[0].as_ref().unwrap().repeat_of, None);
    // Written one by one, the second stall complaint still finds the first.
    assert_eq!(out[2].as_ref().unwrap().repeat_of.as_deref(), Some(fine.id.as_str()));
    assert!(store.get_ticket(&unlooked.id).await.unwrap().is_none());
    assert_eq!(store.count_tickets("b").await.unwrap(), 4 + 10 + 2);
}

/// Two replicas write batches with the same keys at the same time: each key ends with one
/// ticket, and every caller gets that ticket back.
async fn batched_keys_once<S: DispatchStore>(replica_a: Arc<S>, replica_b: Arc<S>) {
    let now = 1_800_000_000_000i64;
    let batch = || -> Vec<NewTicket> {
        (0..40)
            .map(|n| {
                let t = ticket("k", Category::Repair, now, HOUR_MS, DAY_MS);
                NewTicket {
                    events: vec![submit_event(&t)],
                    ticket: t,
                    key: Some(key(&format!("key-{n}"), "same")),
                    repeats_since_ms: Some(now - REPEAT_WINDOW_MS),
                }
            })
            .collect()
    };
    let (a, b) = (batch(), batch());
    let (x, y) = tokio::join!(
        tokio::spawn(async move { replica_a.insert_tickets(&a).await }),
        tokio::spawn(async move { replica_b.insert_tickets(&b).await })
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    for (n, (x, y)) in x.iter().zip(&y).enumerate() {
        let (x, y) = (x.as_ref().unwrap(), y.as_ref().unwrap());
        assert_eq!(x.id, y.id, "key-{n}: both callers get the one ticket");
    }
}

/// Two replicas sweep the same database at once: every overdue ticket rises one level exactly
/// once, then (after the level-1 window) to the county exactly once.
async fn escalation_once<S: DispatchStore>(replica_a: Arc<S>, replica_b: Arc<S>) {
    let now = 1_800_000_000_000i64;
    let mut ids = Vec::new();
    for i in 0..20 {
        let t = ticket("t1", Category::Repair, now - DAY_MS, HOUR_MS, 2 * DAY_MS + i);
        replica_a.insert_ticket(&t, &[submit_event(&t)], None).await.unwrap();
        ids.push(t.id);
    }
    let on_time = ticket("t1", Category::Repair, now, HOUR_MS, DAY_MS);
    replica_a.insert_ticket(&on_time, &[], None).await.unwrap();

    let sweep =
        |store: Arc<S>, at: i64| tokio::spawn(async move { store.escalate_overdue(at, DAY_MS, 1000).await.unwrap() });
    let (x, y) = tokio::join!(sweep(replica_a.clone(), now), sweep(replica_b.clone(), now));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 20, "each overdue ticket escalated once, by one replica or the other");
    // Sweeping again changes nothing until the level-1 window has passed.
    assert!(replica_b.escalate_overdue(now + HOUR_MS, DAY_MS, 1000).await.unwrap().is_empty());

    let later = now + 2 * DAY_MS;
    let (x, y) = tokio::join!(sweep(replica_a.clone(), later), sweep(replica_b.clone(), later));
    let (x, y) = (x.unwrap(), y.unwrap());
    // The on-time ticket is overdue by now too and rises to level 1; the 20 rise to level 2.
    let to_county: Vec<_> = x.iter().chain(y.iter()).filter(|e| e.level == 2).collect();
    assert_eq!(to_county.len(), 20);
    assert!(replica_a.escalate_overdue(later, DAY_MS, 1000).await.unwrap().is_empty());

    for id in &ids {
        let t = replica_a.get_ticket(id).await.unwrap().unwrap();
        assert_eq!(t.level, 2);
        assert!(t.county_report);
        let escalations: Vec<u32> = replica_a
            .timeline(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "escalate")
            .map(|e| e.level)
            .collect();
        assert_eq!(escalations, vec![1, 2], "ticket {id}");
    }
}

/// An assignment not signed for (签收) by its limit rises to the town office like a late
/// response, saying so; one signed in time, or whose unit has taken it up, does not.
async fn sign_for_escalates<S: DispatchStore>(store: S) {
    let now = 1_800_000_000_000i64;
    // Respond within two days, resolve within a week: only the sign-for limit (a day) is past.
    let mut unsigned = ticket("t1", Category::Repair, now - 2 * DAY_MS + HOUR_MS, 4 * DAY_MS, 7 * DAY_MS);
    unsigned.assignment.as_mut().unwrap().sign_by_ms = now - DAY_MS;
    let mut signed = unsigned.clone();
    signed.id = new_id();
    signed.tracking_code = format!("{}S", unsigned.tracking_code);
    signed.assignment.as_mut().unwrap().signed_at_ms = Some(now - DAY_MS - HOUR_MS);
    let mut accepted = unsigned.clone();
    accepted.id = new_id();
    accepted.tracking_code = format!("{}A", unsigned.tracking_code);
    accepted.status = Status::Accepted;
    accepted.responded_at_ms = Some(now - DAY_MS - HOUR_MS);
    let mut not_yet = unsigned.clone();
    not_yet.id = new_id();
    not_yet.tracking_code = format!("{}N", unsigned.tracking_code);
    not_yet.assignment.as_mut().unwrap().sign_by_ms = now + HOUR_MS;
    for t in [&unsigned, &signed, &accepted, &not_yet] {
        store.insert_ticket(t, &[submit_event(t)], None).await.unwrap();
    }
    let back = store.get_ticket(&signed.id).await.unwrap().unwrap();
    assert_eq!(back.assignment, signed.assignment, "sign-for columns round-trip");
    let escalated = store.escalate_overdue(now, DAY_MS, 100).await.unwrap();
    assert_eq!(escalated, vec![Escalated { ticket_id: unsigned.id.clone(), level: 1 }]);
    let timeline = store.timeline(&unsigned.id).await.unwrap();
    let raised = timeline.iter().find(|e| e.action == "escalate").expect("an escalate event");
    assert_eq!(raised.remarks, vec![Remark::of(EventRemark::SignForOverdue)]);
    // Still not signed a day after reaching the town office: the county.
    let escalated = store.escalate_overdue(now + DAY_MS + HOUR_MS, DAY_MS, 100).await.unwrap();
    assert!(escalated.contains(&Escalated { ticket_id: unsigned.id.clone(), level: 2 }), "{escalated:?}");
}

fn acting(role: Role, unit: Option<&str>) -> Principal {
    Principal {
        subject: format!("{}.user", role.as_str()),
        role,
        town: Some("t1".into()),
        county: "c".into(),
        unit: unit.map(Into::into),
        estate: None,
    }
}

/// Stores a ticket assigned to unit-pc at its creation, with its submit and assign events.
async fn assigned<S: DispatchStore>(store: &S, created_at: i64, resolve_in: i64) -> Ticket {
    let t = ticket("t1", Category::Repair, created_at, HOUR_MS, resolve_in);
    let assign = TicketEvent::new(&t, TicketAction::Assign, Some(Status::Received), "system", created_at, "");
    store.insert_ticket(&t, &[submit_event(&t), assign], None).await.unwrap()
}

async fn act<S: DispatchStore>(store: &S, t: Ticket, action: Action, p: &Principal, at: i64) -> Ticket {
    let (next, events) = lifecycle::apply(&t, action, p, at).unwrap();
    store.save_transition(t.version, &next, &events).await.unwrap()
}

/// Warnings before breach go out once, at 75 % of the unit's time; the league table's counts
/// come from who did what when (events) and from the period's tickets.
async fn closed_loop<S: DispatchStore>(store: S) {
    let now = 1_800_000_000_000i64;
    // 8 of 10 days gone: warned. 5 of 10: not yet. Past its deadline: escalation's, not a warning.
    let late = assigned(&store, now - 8 * DAY_MS, 10 * DAY_MS).await;
    let half = assigned(&store, now - 5 * DAY_MS, 10 * DAY_MS).await;
    assigned(&store, now - 11 * DAY_MS, 10 * DAY_MS).await; // `past`: its deadline went by
    let returned = assigned(&store, now - HOUR_MS, 10 * DAY_MS).await;
    assert_eq!(store.warn_nearly_due(now, 75, 100).await.unwrap(), vec![late.id.clone()]);
    assert!(store.warn_nearly_due(now + 1, 75, 100).await.unwrap().is_empty(), "one warning per ticket");
    let warned = store.get_ticket(&late.id).await.unwrap().unwrap();
    assert_eq!(warned.warned_at_ms, Some(now));
    let timeline = store.timeline(&late.id).await.unwrap();
    let warning = timeline.iter().find(|e| e.action == "warn").expect("a warn event");
    assert_eq!((warning.unit_id.as_deref(), warning.to_status), (Some("unit-pc"), Status::Assigned));

    // The unit signs for `half` in time, resolves it with a reply, and the reporter is not
    // satisfied: it comes back (重办) with a new deadline. It returns another ticket (退单).
    let unit = acting(Role::PropertyCompany, Some("unit-pc"));
    let office = acting(Role::TownOffice, None);
    let at = half.created_at_ms;
    let t = act(&store, half, Action::Sign, &unit, at + HOUR_MS / 2).await;
    let t = act(&store, t, Action::Accept { measures: "更换门机".into() }, &unit, at + HOUR_MS).await;
    let template = ReplyTemplate::built_in("t1", Category::Repair);
    let reply = "办理结果：已更换门机\n办理单位及人员：恒安物业 钱经理\n办理依据：物业服务合同".to_owned();
    let resolve = Action::Resolve {
        measures_taken: "已更换".into(),
        reply: reply.clone(),
        template: Box::new(template),
        callback_by_ms: at + 3 * DAY_MS,
    };
    let t = act(&store, t, resolve, &unit, at + 2 * DAY_MS).await;
    assert_eq!((t.reply.as_str(), t.callback_by_ms), (reply.as_str(), Some(at + 3 * DAY_MS)));
    let not_satisfied = Action::Verify { satisfaction: Satisfaction::NotSatisfied, note: "还是坏的".into() };
    let t = act(&store, t, not_satisfied, &office, now).await;
    assert_eq!((t.status, t.redo_count, t.callback_by_ms), (Status::Reopened, 1, None));
    assert!(t.assignment.as_ref().unwrap().resolve_by_ms >= now + 10 * DAY_MS, "a new deadline as long as the first");
    let reject = Action::Reject { reason_label: "非本单位职责".into(), reason: "属供水公司".into() };
    act(&store, returned, reject, &unit, now).await;

    let work = store.unit_work("t1", None, (now - 30 * DAY_MS, now + DAY_MS), now).await.unwrap();
    let expected = UnitWork {
        unit_id: "unit-pc".into(),
        unit_name: "恒安物业".into(),
        unit_type: "property_company".into(),
        dispatched: 4,
        returned: 1,
        resolved: 1,
        redone: 1,
        extension_requests: 0,
        // Signed for in time: `half`; past the hour unsigned: `late` and `past`; `returned` not yet due.
        sign_due: 3,
        signed_in_time: 1,
        // Only `past` is past its deadline; `half` has a new one.
        resolution_due: 1,
        resolved_in_time: 0,
        rated: 1,
        satisfied: 0,
    };
    assert_eq!(work, vec![expected]);
    // The return, by category and unit: not overruled.
    let returns = store.return_counts("t1", None, (now - 30 * DAY_MS, now + DAY_MS)).await.unwrap();
    let returns: Vec<_> = returns
        .iter()
        .map(|r| (r.category, r.unit_id.as_str(), r.unit_name.as_str(), r.returns, r.overruled))
        .collect();
    assert_eq!(returns, vec![(Category::Repair, "unit-pc", "恒安物业", 1, 0)]);
    // Another county's view of the town, or another period, counts none of it.
    assert!(store.unit_work("t1", Some("other"), (now - 30 * DAY_MS, now + DAY_MS), now).await.unwrap().is_empty());
    assert!(store.unit_work("t1", None, (now + DAY_MS, now + 2 * DAY_MS), now).await.unwrap().is_empty());

    // Return reasons: the town's list, in its order, replaced whole.
    assert!(store.return_reasons("t1").await.unwrap().is_empty());
    let reason = |code: &str, label: &str, active: bool| TownReturnReason {
        code: code.into(),
        label: label.into(),
        built_in: code == "not_our_remit",
        active,
    };
    let list = vec![reason("water_company", "属供水公司", true), reason("not_our_remit", "非本单位职责", false)];
    store.set_return_reasons("t1", &list, "office", now).await.unwrap();
    store.set_return_reasons("t1", &list, "office", now).await.unwrap();
    assert_eq!(store.return_reasons("t1").await.unwrap(), list);
    assert!(store.return_reasons("t2").await.unwrap().is_empty());

    // Reply templates: a town's own replaces the built-in one for its category only.
    assert!(store.reply_templates("t1").await.unwrap().is_empty());
    let own = ReplyTemplate {
        headings: vec!["处理结果".into(), "法规依据".into()],
        customised: true,
        updated_by: "office".into(),
        updated_at_ms: now,
        ..ReplyTemplate::built_in("t1", Category::Security)
    };
    store.set_reply_template(&own).await.unwrap();
    store.set_reply_template(&own).await.unwrap();
    assert_eq!(store.reply_templates("t1").await.unwrap(), vec![own]);
    assert!(store.reply_templates("t2").await.unwrap().is_empty());
}

/// Reporters' names and numbers: kept while the town's retention period runs after closing,
/// erased by the retention pass after it (with a timeline event), the town's own period
/// honoured; reads of numbers recorded and listed per town and ticket.
async fn personal_data<S: DispatchStore>(store: S) {
    use wuguan_dispatch::privacy::{PersonalDataRead, PrivacySettings};
    let now = 1_800_000_000_000;
    let mut closed = ticket("t1", Category::Repair, now - 800 * DAY_MS, HOUR_MS, DAY_MS);
    closed.status = Status::Closed;
    closed.updated_at_ms = now - 800 * DAY_MS;
    store.insert_ticket(&closed, &[submit_event(&closed)], None).await.unwrap();
    let mut recent = ticket("t1", Category::Repair, now - 100 * DAY_MS, HOUR_MS, DAY_MS);
    recent.status = Status::Closed;
    recent.updated_at_ms = now - 100 * DAY_MS;
    store.insert_ticket(&recent, &[], None).await.unwrap();
    let open = ticket("t1", Category::Repair, now - 900 * DAY_MS, HOUR_MS, DAY_MS);
    store.insert_ticket(&open, &[], None).await.unwrap();
    let mut other_town = ticket("t2", Category::Repair, now - 100 * DAY_MS, HOUR_MS, DAY_MS);
    other_town.status = Status::Closed;
    other_town.updated_at_ms = now - 100 * DAY_MS;
    store.insert_ticket(&other_town, &[], None).await.unwrap();
    // t2 keeps data 90 days only.
    let t2 = PrivacySettings { town: "t2".into(), retention_days: 90, updated_by: "office".into(), updated_at_ms: now };
    store.set_privacy_settings(&t2).await.unwrap();
    assert_eq!(store.privacy_settings("t2").await.unwrap(), Some(t2));
    assert_eq!(store.privacy_settings("t1").await.unwrap(), None);

    assert_eq!(wuguan_dispatch::escalation::erase_past_retention(&store, now).await.unwrap(), 2);
    let name_and_phone = |t: Ticket| (t.reporter.name, t.reporter.phone);
    assert_eq!(name_and_phone(store.get_ticket(&closed.id).await.unwrap().unwrap()), (String::new(), String::new()));
    assert_eq!(
        name_and_phone(store.get_ticket(&other_town.id).await.unwrap().unwrap()),
        (String::new(), String::new())
    );
    let kept = ("王先生".to_owned(), "13812345678".to_owned());
    assert_eq!(name_and_phone(store.get_ticket(&recent.id).await.unwrap().unwrap()), kept, "within 730 days");
    assert_eq!(name_and_phone(store.get_ticket(&open.id).await.unwrap().unwrap()), kept, "not closed");
    let timeline = store.timeline(&closed.id).await.unwrap();
    let last = timeline.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor.as_str()), ("erase_personal_data", "system (retention)"));
    assert_eq!(wuguan_dispatch::escalation::erase_past_retention(&store, now).await.unwrap(), 0, "once");

    let reader = acting(Role::PropertyCompany, Some("unit-pc"));
    let first = PersonalDataRead::of(&reader, &recent, "ticket", now);
    store.record_personal_data_read(&first).await.unwrap();
    let second = PersonalDataRead::of(&reader, &open, "watch", now + 1);
    store.record_personal_data_read(&second).await.unwrap();
    let all = store.list_personal_data_reads("t1", None, &Page::first(10)).await.unwrap();
    assert_eq!(all, vec![second.clone(), first.clone()], "newest first");
    assert_eq!(store.list_personal_data_reads("t1", Some(&open.id), &Page::first(10)).await.unwrap(), vec![second]);
    assert!(store.list_personal_data_reads("t2", None, &Page::first(10)).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_personal_data() {
    let (_db, store, _) = sqlite_pair().await;
    personal_data(store).await;
}

#[tokio::test]
async fn postgres_personal_data() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    personal_data(store).await;
}

#[tokio::test]
async fn sqlite_closed_loop() {
    let (_db, store, _) = sqlite_pair().await;
    closed_loop(store).await;
}

#[tokio::test]
async fn postgres_closed_loop() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    closed_loop(store).await;
}

#[tokio::test]
async fn sqlite_sign_for_escalates() {
    let (_db, store, _) = sqlite_pair().await;
    sign_for_escalates(store).await;
}

#[tokio::test]
async fn postgres_sign_for_escalates() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    sign_for_escalates(store).await;
}

async fn sqlite_pair() -> (wuguan_testkit::SqliteDb, SqliteStore, SqliteStore) {
    let db = wuguan_testkit::sqlite_db();
    let Db::Sqlite(a) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    let Db::Sqlite(b) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    (db, SqliteStore::new(a), SqliteStore::new(b))
}

async fn pg_pair() -> Option<(wuguan_testkit::PgDb, PgStore, PgStore)> {
    let db = wuguan_testkit::pg_db().await?;
    let Db::Postgres(a) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    let Db::Postgres(b) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    Some((db, PgStore::new(a), PgStore::new(b)))
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let (_db, store, _) = sqlite_pair().await;
    conformance(store).await;
}

#[tokio::test]
async fn postgres_store_conforms() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    conformance(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_replicas_escalate_exactly_once() {
    let (_db, a, b) = sqlite_pair().await;
    escalation_once(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_replicas_escalate_exactly_once() {
    let Some((_db, a, b)) = pg_pair().await else { return };
    escalation_once(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test]
async fn sqlite_batched_intake() {
    let (_db, store, _) = sqlite_pair().await;
    batched_intake(store).await;
}

#[tokio::test]
async fn postgres_batched_intake() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    batched_intake(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_replicas_batch_the_same_keys_once() {
    let (_db, a, b) = sqlite_pair().await;
    batched_keys_once(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_replicas_batch_the_same_keys_once() {
    let Some((_db, a, b)) = pg_pair().await else { return };
    batched_keys_once(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test]
async fn sqlite_day_counts_agree_with_the_tickets() {
    let (_db, store, _) = sqlite_pair().await;
    day_counts(store).await;
}

#[tokio::test]
async fn postgres_day_counts_agree_with_the_tickets() {
    let Some((_db, store, _)) = pg_pair().await else { return };
    day_counts(store).await;
}
