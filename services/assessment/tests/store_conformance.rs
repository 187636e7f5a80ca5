//! One conformance suite for assessment storage, on SQLite and Postgres: rubric versions,
//! plans, inspections with their findings (the outbox), published bulletins and incidents.

use wuguan_assessment::model::*;
use wuguan_assessment::rubric::default_rubric;
use wuguan_assessment::server::open_database;
use wuguan_assessment::store::{AssessmentStore, PgStore, SqliteStore};
use wuguan_platform::ErrorCode;
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::paging::Page;

fn plan(town: &str, date: &str, kind: InspectionKind) -> Plan {
    Plan {
        id: new_id(),
        town: town.into(),
        estate_id: "estate-1".into(),
        date: date.into(),
        kind,
        focus: InspectionFocus::Key,
        planned_by: "office".into(),
        inspection_id: None,
        reason: String::new(),
        follows: None,
    }
}

fn finding(item: &str, open_ticket: bool) -> Finding {
    Finding {
        id: new_id(),
        item: item.into(),
        description: "消防通道堆放杂物".into(),
        category: "property_service".into(),
        open_ticket,
        deduction: 5.0,
        delivery: if open_ticket { Delivery::Pending } else { Delivery::None },
        ticket_id: None,
        delivery_error: String::new(),
    }
}

fn inspection(town: &str, date: &str, plan_id: Option<String>, findings: Vec<Finding>) -> Inspection {
    Inspection {
        id: new_id(),
        town: town.into(),
        estate_id: "estate-1".into(),
        estate_name: "阳光花园".into(),
        date: date.into(),
        kind: InspectionKind::Open,
        focus: InspectionFocus::Key,
        inspector: "office".into(),
        rubric_version: 0,
        item_scores: vec![ItemScore { item: "fire_safety".into(), score: 5.0 }],
        findings,
        total_score: 95.0,
        grade: "excellent".into(),
        plan_id,
        created_at_ms: 1_800_000_000_000,
        follow_up_of: None,
    }
}

fn incident(town: &str, date: &str) -> Incident {
    Incident {
        id: new_id(),
        town: town.into(),
        estate_id: "estate-1".into(),
        estate_name: "阳光花园".into(),
        date: date.into(),
        description: "地下车库起火".into(),
        recorded_by: "office".into(),
        created_at_ms: 1_800_000_000_000,
    }
}

async fn rubrics<S: AssessmentStore>(store: &S) {
    assert!(store.current_rubric("t1").await.unwrap().is_none(), "no version until the town edits");
    let mut edited = default_rubric("t1");
    edited.created_by = "office".into();
    let v1 = store.insert_rubric(&edited).await.unwrap();
    assert_eq!(v1.version, 1);
    edited.vetoes.retain(|v| v.condition != "major_incidents");
    edited.dispatch_deductions[0].points = 4.0;
    let v2 = store.insert_rubric(&edited).await.unwrap();
    assert_eq!(v2.version, 2);
    let current = store.current_rubric("t1").await.unwrap().unwrap();
    assert_eq!((current.version, current.vetoes.len(), current.dispatch_deductions[0].points), (2, 2, 4.0));
    assert_eq!(current.items, edited.items);
    let first = store.rubric_version("t1", 1).await.unwrap().unwrap();
    assert_eq!((first.vetoes.len(), first.dispatch_deductions[0].points), (3, 2.0), "past versions keep their rules");
    assert!(store.rubric_version("t1", 3).await.unwrap().is_none());
    assert!(store.current_rubric("t2").await.unwrap().is_none(), "rubrics are per town");
}

async fn plans_and_inspections<S: AssessmentStore>(store: &S) {
    let open = plan("t1", "2026-03-02", InspectionKind::Open);
    let secret = plan("t1", "2026-03-03", InspectionKind::Unannounced);
    let elsewhere = plan("t2", "2026-03-02", InspectionKind::Open);
    for p in [&open, &secret, &elsewhere] {
        store.insert_plan(p).await.unwrap();
    }
    assert_eq!(store.get_plan(&open.id).await.unwrap().unwrap(), open);
    let all = store.list_plans("t1", None, None, true, &Page::first(50)).await.unwrap();
    assert_eq!(all.len(), 2);
    let for_units = store.list_plans("t1", None, None, false, &Page::first(50)).await.unwrap();
    assert_eq!(for_units.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![open.id.as_str()]);
    let day = store.list_plans("t1", Some("2026-03-03"), Some("2026-03-03"), true, &Page::first(50)).await.unwrap();
    assert_eq!(day.len(), 1);
    let first_page = store.list_plans("t1", None, None, true, &Page::first(1)).await.unwrap();
    assert_eq!(first_page.len(), 2, "one more than the page size tells there is a next page");

    // Recording the unannounced plan's inspection marks the plan done (and reveals it), adds
    // the follow-up plan and the findings, in one go; a retried key returns the first record.
    let done = inspection(
        "t1",
        "2026-03-03",
        Some(secret.id.clone()),
        vec![finding("fire_safety", true), finding("records", false)],
    );
    let follow_up = Plan {
        focus: InspectionFocus::FollowUp,
        follows: Some(done.id.clone()),
        ..plan("t1", "2026-03-10", InspectionKind::Open)
    };
    let stored = store.record_inspection(&done, Some(&follow_up), Some(("t1/office", "k1"))).await.unwrap();
    assert_eq!(stored.id, done.id);
    let retry = inspection("t1", "2026-03-03", None, vec![finding("fire_safety", true)]);
    let again = store.record_inspection(&retry, None, Some(("t1/office", "k1"))).await.unwrap();
    assert_eq!(again.id, done.id, "the same key returns the first inspection");
    let reread = store.get_inspection(&done.id).await.unwrap().unwrap();
    assert_eq!((reread.findings.len(), reread.item_scores.clone()), (2, done.item_scores.clone()));
    assert_eq!(store.get_plan(&secret.id).await.unwrap().unwrap().inspection_id.as_deref(), Some(done.id.as_str()));
    let for_units = store.list_plans("t1", None, None, false, &Page::first(50)).await.unwrap();
    assert!(for_units.iter().any(|p| p.id == secret.id), "a recorded unannounced plan is no secret any more");
    assert_eq!(store.get_plan(&follow_up.id).await.unwrap().unwrap().follows.as_deref(), Some(done.id.as_str()));

    let other = Inspection { follow_up_of: Some(done.id.clone()), ..inspection("t1", "2026-04-01", None, vec![]) };
    store.record_inspection(&other, None, None).await.unwrap();
    let reread = store.get_inspection(&other.id).await.unwrap().unwrap();
    assert_eq!(reread.follow_up_of.as_deref(), Some(done.id.as_str()), "a follow-up keeps what it checked on");
    store.record_inspection(&inspection("t2", "2026-03-03", None, vec![]), None, None).await.unwrap();
    let march =
        store.list_inspections("t1", None, Some("2026-03-01"), Some("2026-03-31"), &Page::first(50)).await.unwrap();
    assert_eq!(march.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec![done.id.as_str()]);
    assert_eq!(store.list_inspections("t1", Some("estate-1"), None, None, &Page::first(50)).await.unwrap().len(), 2);
    assert!(store.list_inspections("t1", Some("estate-2"), None, None, &Page::first(50)).await.unwrap().is_empty());

    // The outbox: the finding that asked for a ticket waits until dispatch has it.
    let pending = store.pending_findings(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let waiting = &pending[0];
    assert_eq!(
        (waiting.town.as_str(), waiting.estate_id.as_str(), waiting.date.as_str()),
        ("t1", "estate-1", "2026-03-03")
    );
    store.mark_attempt_failed(&waiting.finding.id, "dispatch unavailable", false).await.unwrap();
    assert_eq!(store.pending_findings(10).await.unwrap().len(), 1, "a failed attempt is retried");
    store.mark_delivered(&waiting.finding.id, "ticket-9").await.unwrap();
    assert!(store.pending_findings(10).await.unwrap().is_empty());
    let delivered = store.get_inspection(&done.id).await.unwrap().unwrap();
    let f = delivered.findings.iter().find(|f| f.id == waiting.finding.id).unwrap();
    assert_eq!((f.delivery, f.ticket_id.as_deref()), (Delivery::Delivered, Some("ticket-9")));

    let refused = inspection("t1", "2026-04-02", None, vec![finding("greening", true)]);
    store.record_inspection(&refused, None, None).await.unwrap();
    let id = store.pending_findings(10).await.unwrap()[0].finding.id.clone();
    store.mark_attempt_failed(&id, "no such category", true).await.unwrap();
    assert!(store.pending_findings(10).await.unwrap().is_empty(), "given up for good");
    let f = store.get_inspection(&refused.id).await.unwrap().unwrap().findings.remove(0);
    assert_eq!((f.delivery, f.delivery_error.as_str()), (Delivery::Failed, "no such category"));
}

async fn bulletins<S: AssessmentStore>(store: &S) {
    assert!(store.latest_bulletin("t1", "2026-03").await.unwrap().is_none());
    assert_eq!(store.next_bulletin_version("t1", "2026-03").await.unwrap(), 1);
    store.insert_bulletin("t1", "2026-03", 1, b"first", "office", 1).await.unwrap();
    let err = store.insert_bulletin("t1", "2026-03", 1, b"racing", "office", 2).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Aborted, "a version is published once");
    assert_eq!(store.next_bulletin_version("t1", "2026-03").await.unwrap(), 2);
    store.insert_bulletin("t1", "2026-03", 2, b"second", "office", 3).await.unwrap();
    assert_eq!(store.latest_bulletin("t1", "2026-03").await.unwrap().as_deref(), Some(&b"second"[..]));
    assert!(store.latest_bulletin("t2", "2026-03").await.unwrap().is_none());
    assert!(store.latest_bulletin("t1", "2026-04").await.unwrap().is_none());
}

async fn incidents<S: AssessmentStore>(store: &S) {
    let fire = incident("t1", "2026-05-10");
    let stored = store.record_incident(&fire, Some(("t1/office/incident", "i1"))).await.unwrap();
    assert_eq!(stored, fire);
    let retry = incident("t1", "2026-05-10");
    assert_eq!(store.record_incident(&retry, Some(("t1/office/incident", "i1"))).await.unwrap(), fire);
    store.record_incident(&incident("t1", "2026-06-01"), None).await.unwrap();
    store.record_incident(&incident("t2", "2026-05-10"), None).await.unwrap();
    let may = store.list_incidents("t1", Some("2026-05-01"), Some("2026-05-31"), &Page::first(50)).await.unwrap();
    assert_eq!(may, vec![fire]);
    assert_eq!(store.list_incidents("t1", None, None, &Page::first(50)).await.unwrap().len(), 2);
}

async fn conformance<S: AssessmentStore>(store: S) {
    rubrics(&store).await;
    plans_and_inspections(&store).await;
    bulletins(&store).await;
    incidents(&store).await;
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let db = wuguan_testkit::sqlite_db();
    let Db::Sqlite(pool) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    conformance(SqliteStore::new(pool)).await;
}

#[tokio::test]
async fn postgres_store_conforms() {
    let Some(db) = wuguan_testkit::pg_db().await else { return };
    let Db::Postgres(pool) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    conformance(PgStore::new(pool)).await;
}
