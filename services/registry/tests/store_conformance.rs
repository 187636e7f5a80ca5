//! One conformance suite for the registry's storage, run against SQLite and Postgres.

use wuguan_platform::ErrorCode;
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::paging::Page;
use wuguan_registry::model::*;
use wuguan_registry::server::open_database;
use wuguan_registry::store::{ImportRow, PgStore, RegistryStore, SqliteStore, WriteContext};

fn ctx(key: Option<&str>) -> WriteContext {
    WriteContext { actor: "tester".into(), idempotency_key: key.map(str::to_owned) }
}

fn estate_data(community_id: &str, name: &str, planned: i64) -> EstateData {
    EstateData {
        community_id: community_id.into(),
        name: name.into(),
        address: "测试路1号".into(),
        planned_floor_area_m2: planned,
        built_floor_area_m2: planned / 2,
        designed_households: 100,
        occupied_households: 50,
        residents: 160,
        is_old_estate: false,
        management_mode: ManagementMode::None,
        property_company_id: None,
        owners_committee: OwnersCommittee::None,
        target: derive_target(planned, false),
        security: SecurityProvision::default(),
    }
}

async fn seed_town<S: RegistryStore>(store: &S, code: &str) -> Community {
    store.upsert_county("c1", "县").await.unwrap();
    store
        .upsert_town(&Town {
            code: code.into(),
            name: format!("{code}镇"),
            county: "c1".into(),
            county_name: "县".into(),
            time_zone: "Asia/Shanghai".into(),
        })
        .await
        .unwrap();
    store
        .create_community(
            &Community {
                id: new_id(),
                town: code.into(),
                name: "城东社区".into(),
                party_secretary: "张".into(),
                unit_id: new_id(),
                version: 1,
            },
            &ctx(None),
        )
        .await
        .unwrap()
}

async fn conformance<S: RegistryStore>(store: S) {
    let community = seed_town(&store, "t1").await;
    let other_town_community = seed_town(&store, "t2").await;

    // Towns.
    let t1 = store.get_town("t1").await.unwrap().unwrap();
    assert_eq!((t1.county.as_str(), t1.county_name.as_str()), ("c1", "县"));
    assert_eq!(store.list_towns().await.unwrap().len(), 2);
    assert!(store.get_town("nowhere").await.unwrap().is_none());

    // Community creates its unit in the same transaction.
    let unit = store.get_unit(&community.unit_id).await.unwrap().unwrap();
    assert_eq!(unit.unit_type, UnitType::Community);
    assert_eq!(unit.ref_id.as_deref(), Some(community.id.as_str()));
    let dup = store
        .create_community(&Community { id: new_id(), unit_id: new_id(), ..community.clone() }, &ctx(None))
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert_eq!(store.count_communities("t1").await.unwrap(), 1);

    // Estates: create, get, unique names per town, same name allowed in another town.
    let a = store.create_estate("t1", &estate_data(&community.id, "甲小区", 120_000), &ctx(None)).await.unwrap();
    assert_eq!(a.version, 1);
    assert_eq!(store.get_estate(&a.id).await.unwrap().unwrap(), a);
    let err = store.create_estate("t1", &estate_data(&community.id, "甲小区", 1000), &ctx(None)).await.unwrap_err();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::AlreadyExists, Some("name")));
    store.create_estate("t2", &estate_data(&other_town_community.id, "甲小区", 1000), &ctx(None)).await.unwrap();

    // Idempotency: the same key returns the first result and writes nothing more.
    let first = store.create_estate("t1", &estate_data(&community.id, "乙小区", 5000), &ctx(Some("k1"))).await.unwrap();
    let again = store.create_estate("t1", &estate_data(&community.id, "乙小区", 5000), &ctx(Some("k1"))).await.unwrap();
    assert_eq!(first.id, again.id);
    // The key is scoped to the town.
    let other = store
        .create_estate("t2", &estate_data(&other_town_community.id, "乙小区", 5000), &ctx(Some("k1")))
        .await
        .unwrap();
    assert_ne!(other.id, first.id);

    for i in 0..5 {
        store.create_estate("t1", &estate_data(&community.id, &format!("丙{i}"), 1000 + i), &ctx(None)).await.unwrap();
    }
    assert_eq!(store.all_estates("t1").await.unwrap().len(), 7);
    assert_eq!(store.all_estates("t2").await.unwrap().len(), 2);

    // Pagination walks every estate exactly once, in id order.
    let mut seen = Vec::new();
    let mut page = Page::first(3);
    loop {
        let mut rows = store.list_estates("t1", &EstateFilter::default(), &page).await.unwrap();
        let next = page.finish(&mut rows, |e| e.id.clone()).next_page_token;
        assert!(rows.len() <= 3);
        seen.extend(rows.into_iter().map(|e| e.id));
        if next.is_empty() {
            break;
        }
        page.after = Some(next);
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);

    // Filters.
    let boutique = EstateFilter { target: Some(EstateTarget::Boutique), ..Default::default() };
    let rows = store.list_estates("t1", &boutique, &Page::first(50)).await.unwrap();
    assert_eq!(rows.iter().map(|e| e.data.name.as_str()).collect::<Vec<_>>(), vec!["甲小区"]);
    let by_name = EstateFilter { name_contains: Some("丙".into()), ..Default::default() };
    assert_eq!(store.list_estates("t1", &by_name, &Page::first(50)).await.unwrap().len(), 5);
    let wildcard = EstateFilter { name_contains: Some("%".into()), ..Default::default() };
    assert!(store.list_estates("t1", &wildcard, &Page::first(50)).await.unwrap().is_empty());

    // Update with optimistic concurrency, and its history.
    let mut changed = a.data.clone();
    changed.residents = 170;
    let updated = store.update_estate(&a.id, 1, &changed, &ctx(None)).await.unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.data.residents, 170);
    let stale = store.update_estate(&a.id, 1, &a.data, &ctx(None)).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::Aborted);
    // Every column an update writes comes back as written, each a different value, so a value
    // bound to another column's place would show (the community stays: it is a foreign key).
    let every = EstateData {
        name: "每列都改".into(),
        address: "改后路9号".into(),
        planned_floor_area_m2: 90_001,
        built_floor_area_m2: 80_002,
        designed_households: 703,
        occupied_households: 604,
        residents: 1_505,
        is_old_estate: true,
        management_mode: ManagementMode::SelfGoverned,
        owners_committee: OwnersCommittee::Formed,
        target: EstateTarget::Standard,
        security: SecurityProvision { guards: 7, cameras: 31, access_control: true, fences_and_gates: true },
        ..changed.clone()
    };
    let written = store.update_estate(&a.id, 2, &every, &ctx(None)).await.unwrap();
    let back = store.get_estate(&a.id).await.unwrap().unwrap();
    assert_eq!((back.version, &back.data), (3, &every));
    assert_eq!(written, back);
    let history = store.list_estate_changes(&a.id, &Page::first(50)).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].action, "create");
    assert_eq!(history[1].action, "update");
    assert_eq!(history[1].actor, "tester");
    assert_eq!(
        history[1].changes,
        vec![FieldChange { field: "residents".into(), old_value: "160".into(), new_value: "170".into() }]
    );
    // Back to the earlier fields: the import below relies on the name 甲小区.
    store.update_estate(&a.id, 3, &changed, &ctx(None)).await.unwrap();

    // Property company + its unit, persons with one designated per unit.
    let pc = store
        .create_property_company(
            &PropertyCompany {
                id: new_id(),
                town: "t1".into(),
                name: "恒安物业".into(),
                contact_person: "钱".into(),
                contact_phone: "0527-1".into(),
                unit_id: new_id(),
                version: 1,
            },
            &ctx(Some("pc-1")),
        )
        .await
        .unwrap();
    assert_eq!(store.count_property_companies("t1").await.unwrap(), 1);
    for (name, designated) in [("甲", true), ("乙", true)] {
        store
            .create_person(
                &Person {
                    id: new_id(),
                    town: "t1".into(),
                    unit_id: pc.unit_id.clone(),
                    name: name.into(),
                    title: "经理".into(),
                    phone: "13800000000".into(),
                    designated,
                },
                &ctx(None),
            )
            .await
            .unwrap();
    }
    let contact = store.unit_contact(&pc.unit_id).await.unwrap().unwrap();
    assert_eq!(contact.person.unwrap().name, "乙");
    let persons = store.list_persons("t1", Some(&pc.unit_id), &Page::first(10)).await.unwrap();
    assert_eq!(persons.iter().filter(|p| p.designated).count(), 1);
    // Designating 甲 again: only 甲 is designated, and new assignments go to 甲.
    let jia = persons.iter().find(|p| p.name == "甲").unwrap();
    assert_eq!(store.get_person(&jia.id).await.unwrap().as_ref(), Some(jia));
    assert!(store.designate_person(jia).await.unwrap().designated);
    let persons = store.list_persons("t1", Some(&pc.unit_id), &Page::first(10)).await.unwrap();
    let designated: Vec<&str> = persons.iter().filter(|p| p.designated).map(|p| p.name.as_str()).collect();
    assert_eq!(designated, vec!["甲"]);
    assert_eq!(store.unit_contact(&pc.unit_id).await.unwrap().unwrap().person.unwrap().name, "甲");
    assert!(store.get_person("nobody").await.unwrap().is_none());
    // Corrected, then the one not designated removed; the designated one stays.
    let yi = persons.iter().find(|p| p.name == "乙").unwrap();
    let fixed = Person { phone: "13900000000".into(), ..yi.clone() };
    store.update_person(&fixed).await.unwrap();
    assert_eq!(store.get_person(&yi.id).await.unwrap().unwrap().phone, "13900000000");
    assert!(!store.remove_person(&jia.id).await.unwrap(), "the designated person stays");
    assert!(store.remove_person(&yi.id).await.unwrap());
    assert!(store.get_person(&yi.id).await.unwrap().is_none());

    // Town-wide units exclude community / company units.
    let police = store
        .create_unit(
            &Unit {
                id: new_id(), town: "t1".into(), unit_type: UnitType::Police, name: "派出所".into(), ref_id: None
            },
            &ctx(None),
        )
        .await
        .unwrap();
    let wide = store.town_wide_units("t1").await.unwrap();
    assert_eq!(wide.iter().map(|u| u.unit.id.clone()).collect::<Vec<_>>(), vec![police.id.clone()]);
    let police_only = store.list_units("t1", Some(UnitType::Police), &Page::first(10)).await.unwrap();
    assert_eq!(police_only.len(), 1);

    // Import writes all rows in one transaction: a failing row leaves nothing behind.
    let before = store.all_estates("t1").await.unwrap().len();
    let rows = vec![
        ImportRow { existing: None, data: estate_data(&community.id, "导入一", 100) },
        ImportRow { existing: None, data: estate_data(&community.id, "甲小区", 100) },
    ];
    assert!(store.import_estates("t1", &rows, &ctx(None)).await.is_err());
    assert_eq!(store.all_estates("t1").await.unwrap().len(), before);
    let current_a = store.get_estate(&a.id).await.unwrap().unwrap();
    let mut a_changed = current_a.data.clone();
    a_changed.security.guards = 3;
    let rows = vec![
        ImportRow { existing: None, data: estate_data(&community.id, "导入一", 100) },
        ImportRow { existing: Some(current_a.clone()), data: a_changed },
        ImportRow { existing: Some(current_a.clone()), data: current_a.data.clone() },
    ];
    assert_eq!(store.import_estates("t1", &rows, &ctx(None)).await.unwrap(), (1, 1));
    assert_eq!(store.get_estate(&a.id).await.unwrap().unwrap().data.security.guards, 3);

    // Accounts.
    let account = Account {
        username: "t1.town_office".into(),
        role: wuguan_platform::Role::TownOffice,
        town: Some("t1".into()),
        county: "c1".into(),
        unit_id: None,
        estate_id: None,
        display_name: "物管办".into(),
        disabled: false,
    };
    store.create_account(&account, "hash").await.unwrap();
    let err = store.create_account(&account, "hash").await.unwrap_err();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::AlreadyExists, Some("username")));
    let (found, hash) = store.find_account("t1.town_office").await.unwrap().unwrap();
    assert_eq!((found, hash.as_str()), (account, "hash"));
    assert!(store.find_account("nobody").await.unwrap().is_none());
    assert_eq!(store.list_accounts("t1", &Page::first(10)).await.unwrap().len(), 1);
    assert!(store.list_accounts("t2", &Page::first(10)).await.unwrap().is_empty());
    assert!(store.set_password_hash("t1.town_office", "new-hash").await.unwrap());
    assert_eq!(store.find_account("t1.town_office").await.unwrap().unwrap().1, "new-hash");
    assert!(!store.set_password_hash("nobody", "new-hash").await.unwrap());
    // Failures count per (username, client) key: the third in a row locks that key only; the
    // count starts again; a new password lifts every client's lock on the username.
    let here = format!("{}|10.0.0.1", wuguan_platform::revocation::subject_key("t1.town_office"));
    let there = format!("{}|10.0.0.2", wuguan_platform::revocation::subject_key("t1.town_office"));
    assert_eq!(store.sign_in_locked_until(&here).await.unwrap(), 0);
    assert_eq!(store.record_failed_sign_in(&here, 3, 1_000).await.unwrap(), 0);
    store.clear_failed_sign_ins(&here).await.unwrap();
    for _ in 0..2 {
        assert_eq!(store.record_failed_sign_in(&here, 3, 1_000).await.unwrap(), 0);
    }
    assert_eq!(store.record_failed_sign_in(&here, 3, 1_000).await.unwrap(), 1_000);
    assert_eq!(store.sign_in_locked_until(&here).await.unwrap(), 1_000);
    assert_eq!(store.sign_in_locked_until(&there).await.unwrap(), 0, "another client is not locked");
    assert_eq!(store.record_failed_sign_in(&here, 3, 2_000).await.unwrap(), 1_000, "counting again");
    assert!(store.set_password_hash("t1.town_office", "newer-hash").await.unwrap());
    assert_eq!(store.sign_in_locked_until(&here).await.unwrap(), 0);
    // An unknown username counts the same way.
    let nobody = format!("{}|10.0.0.1", wuguan_platform::revocation::subject_key("nobody"));
    for _ in 0..2 {
        assert_eq!(store.record_failed_sign_in(&nobody, 3, 1_000).await.unwrap(), 0);
    }
    assert_eq!(store.record_failed_sign_in(&nobody, 3, 1_000).await.unwrap(), 1_000);
    assert!(store.set_account_disabled("t1.town_office", true).await.unwrap());
    assert!(store.find_account("t1.town_office").await.unwrap().unwrap().0.disabled);
    assert!(store.list_accounts("t1", &Page::first(10)).await.unwrap()[0].disabled);
    assert!(store.set_account_disabled("t1.town_office", false).await.unwrap());
    assert!(!store.find_account("t1.town_office").await.unwrap().unwrap().0.disabled);
    assert!(!store.set_account_disabled("nobody", true).await.unwrap());
}

/// The demo loader reproduces the source's figures exactly, on each store, and only once.
async fn demo_figures<S: RegistryStore>(store: S) {
    assert!(wuguan_registry::demo::load(&store).await.unwrap());
    assert!(!wuguan_registry::demo::load(&store).await.unwrap(), "second load must be a no-op");
    let estates = store.all_estates("zhongxing").await.unwrap();
    let s = TownSummary::over("zhongxing", &estates, 0, 0);
    assert_eq!(
        (
            s.estates,
            s.planned_floor_area_m2,
            s.built_floor_area_m2,
            s.designed_households,
            s.occupied_households,
            s.residents
        ),
        (65, 4_770_000, 3_750_000, 33_873, 16_458, 57_694)
    );
    let coverage = Coverage::over("zhongxing", &estates);
    assert!(coverage.old_estates > 0 && !coverage.uncovered.is_empty());
    assert_eq!(store.all_estates("anhe").await.unwrap().len(), 4);
}

async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(SqliteStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = wuguan_testkit::sqlite_db();
    let Db::Sqlite(pool) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    test(SqliteStore::new(pool)).await;
}

async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(PgStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = wuguan_testkit::pg_db().await else {
        return;
    };
    let Db::Postgres(pool) = open_database(&db.url, PoolConfig::default()).await.unwrap() else { unreachable!() };
    test(PgStore::new(pool.clone())).await;
    pool.close().await;
}

#[tokio::test]
async fn sqlite_store_conforms() {
    on_sqlite(conformance).await;
}

#[tokio::test]
async fn postgres_store_conforms() {
    on_postgres(conformance).await;
}

#[tokio::test]
async fn sqlite_demo_reproduces_the_source_figures() {
    on_sqlite(demo_figures).await;
}

#[tokio::test]
async fn postgres_demo_reproduces_the_source_figures() {
    on_postgres(demo_figures).await;
}
