//! Reporters' personal information (PIPL): the phone number in full only on a ticket's own page,
//! to those who need it, each such read recorded and listed for the town office; lists mask it;
//! the reporter's name and number deleted at their request with a record of it; the town's
//! retention period set and read. (The retention job itself: dispatch's store conformance.)

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{Store, TestStack, assert_error};

async fn suite(store: Store) {
    let Some(t) = TestStack::start(store).await else { return };
    let office = t.login("zhongxing.town_office").await;
    let company = t.login("zhongxing.property_company").await;
    let resident = t.login("zhongxing.resident").await;
    let estate = t.company_estate_with(&office).await;
    let (status, created) = t
        .post(
            "/api/v1/complaints",
            &resident,
            json!({"town": "zhongxing", "estate_id": estate, "category": "repair", "description": "楼道灯坏了",
                   "reporter_name": "王先生", "reporter_phone": "13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/complaints/{id}");
    assert_eq!(created["reporter"]["phone"], "13812345678", "the reporter sees their own");

    // Lists mask the number, even for the office and the assigned unit.
    for token in [&office, &company] {
        let listed = t.get_all("/api/v1/complaints?town=zhongxing&page_size=100", token).await;
        let row = listed.iter().find(|r| r["id"] == id).expect("listed");
        assert_eq!(row["reporter"]["phone"], "138****5678", "{row}");
    }
    // The ticket's page shows it in full to those who need it; each such read is recorded.
    for token in [&company, &office] {
        let (status, full) = t.get(&path, token).await;
        assert_eq!((status, full["reporter"]["phone"].as_str()), (StatusCode::OK, Some("13812345678")), "{full}");
    }
    let (_, own) = t.get(&path, &resident).await;
    assert_eq!(own["reporter"]["phone"], "13812345678");
    let reads = t.get_all(&format!("/api/v1/towns/zhongxing/personal-data-reads?ticket_id={id}"), &office).await;
    let who: Vec<(&str, &str, &str)> = reads
        .iter()
        .map(|r| (r["reader"].as_str().unwrap(), r["role"].as_str().unwrap(), r["channel"].as_str().unwrap()))
        .collect();
    assert_eq!(
        who,
        [
            ("zhongxing.town_office", "town_office", "ticket"),
            ("zhongxing.property_company", "property_company", "ticket")
        ],
        "newest first; the reporter's own reads are not recorded"
    );
    assert!(reads.iter().all(|r| r["at"].is_string()));
    // The record is the office's (and the county's) to read, within its own town.
    let (status, body) = t.get("/api/v1/towns/zhongxing/personal-data-reads", &company).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let anhe = t.login("anhe.town_office").await;
    let (status, body) = t.get("/api/v1/towns/zhongxing/personal-data-reads", &anhe).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let county = t.login("county.admin").await;
    let (status, body) = t.get("/api/v1/towns/zhongxing/personal-data-reads", &county).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The retention period: the default, bounds, who sets it.
    let (status, privacy) = t.get("/api/v1/towns/zhongxing/privacy", &company).await;
    assert_eq!((status, privacy["retention_days"].as_u64()), (StatusCode::OK, Some(730)), "{privacy}");
    for days in [0, 10, 4000] {
        let (status, body) = t.put("/api/v1/towns/zhongxing/privacy", &office, json!({"retention_days": days})).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "retention_days");
    }
    let (status, body) = t.put("/api/v1/towns/zhongxing/privacy", &company, json!({"retention_days": 90})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, privacy) = t.put("/api/v1/towns/zhongxing/privacy", &office, json!({"retention_days": 365})).await;
    assert_eq!(status, StatusCode::OK, "{privacy}");
    assert_eq!(
        (privacy["retention_days"].as_u64(), privacy["updated_by"].as_str()),
        (Some(365), Some("zhongxing.town_office"))
    );

    // Erasure at the reporter's request: the office only, with the reason, once.
    let erase = format!("{path}/erase-personal-data");
    let (status, body) = t.post(&erase, &company, json!({"reason": "本人来电要求"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&erase, &office, json!({"reason": "  "})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reason");
    let (status, erased) = t.post(&erase, &office, json!({"reason": "本人 12 月 7 日来电要求"})).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!((erased["reporter"]["name"].as_str(), erased["reporter"]["phone"].as_str()), (Some(""), Some("")));
    let (_, full) = t.get(&path, &office).await;
    let last = full["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("erase_personal_data"), Some("zhongxing.town_office"))
    );
    assert!(last["note"].as_str().unwrap().contains("本人 12 月 7 日来电要求"), "{last}");
    let (status, body) = t.post(&erase, &office, json!({"reason": "再次"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "id");
    // Nothing left to read: the ticket's page reads are no longer recorded.
    let before = t.get_all(&format!("/api/v1/towns/zhongxing/personal-data-reads?ticket_id={id}"), &office).await.len();
    t.get(&path, &company).await;
    let after = t.get_all(&format!("/api/v1/towns/zhongxing/personal-data-reads?ticket_id={id}"), &office).await.len();
    assert_eq!(before, after);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_on_sqlite() {
    suite(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_on_postgres() {
    suite(Store::Postgres).await;
}
