//! Complaint dispatch end to end through the gateway, on SQLite and on Postgres: routing per
//! category and management mode, idempotent intake, the lifecycle by role, anonymous
//! submission and tracking, bad input, statistics, rules, supervision and the county report.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Store, TestStack, assert_error};

struct Ctx {
    office: String,
    managed_estate: String,
    unmanaged_estate: String,
    self_governed_estate: String,
    anhe_estate: String,
}

async fn setup(t: &TestStack) -> Ctx {
    let office = t.login("zhongxing.town_office").await;
    let first = |items: Vec<Value>| items[0]["id"].as_str().unwrap().to_owned();
    let (_, companies) = t.get("/api/v1/towns/zhongxing/property-companies", &office).await;
    let henan = companies["items"][0]["id"].as_str().unwrap().to_owned();
    let managed = t.get_all(&format!("/api/v1/towns/zhongxing/estates?property_company_id={henan}"), &office).await;
    let unmanaged = t.get_all("/api/v1/towns/zhongxing/estates?management_mode=none", &office).await;
    let self_governed = t.get_all("/api/v1/towns/zhongxing/estates?management_mode=self_governed", &office).await;
    let anhe = t.login("anhe.town_office").await;
    let anhe_estates = t.get_all("/api/v1/towns/anhe/estates", &anhe).await;
    Ctx {
        office,
        managed_estate: first(managed),
        unmanaged_estate: first(unmanaged),
        self_governed_estate: first(self_governed),
        anhe_estate: first(anhe_estates),
    }
}

fn complaint(estate: &str, category: &str) -> Value {
    json!({"town": "zhongxing", "estate_id": estate, "category": category,
           "description": "测试诉求", "reporter_name": "王先生", "reporter_phone": "13812345678"})
}

/// A resolution with a reply that fills the built-in template (答复规范).
fn resolution(measures: &str) -> Value {
    json!({"measures_taken": measures,
           "reply": format!("办理结果：{measures}\n办理单位及人员：恒安物业 钱经理\n办理依据：物业服务合同第十二条")})
}

async fn suite(store: Store) {
    let Some(t) = TestStack::start(store).await else { return };
    let c = setup(&t).await;
    routing_per_category_and_mode(&t, &c).await;
    lifecycle_and_roles(&t, &c).await;
    reject_reassign_extend_escalate(&t, &c).await;
    anonymous_and_tracking(&t, &c).await;
    idempotent_intake(&t, &c).await;
    bad_input(&t, &c).await;
    holiday_figure_and_stats(&t).await;
    rules_override(&t, &c).await;
    working_days_by_the_calendar(&t, &c).await;
    extension_requests(&t, &c).await;
    daily_digest(&t, &c).await;
    reply_templates(&t, &c).await;
    supervision_view(&t).await;
    repeats_and_merge(&t, &c).await;
    burst_on_one_estate(&t, &c).await;
    owner_representatives_co_handle(&t, &c).await;
    another_county_reaches_nothing(&t, &c).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_on_sqlite() {
    suite(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_on_postgres() {
    suite(Store::Postgres).await;
}

async fn routing_per_category_and_mode(t: &TestStack, c: &Ctx) {
    // (category, unit for a company-managed estate, for an unmanaged one, initial level)
    let expectations = [
        ("security", "police", "police", 0),
        ("illegal_construction", "urban_management", "urban_management", 0),
        ("illegal_renovation", "urban_management", "urban_management", 0),
        ("structural_damage", "urban_management", "urban_management", 0),
        ("illegal_stall", "urban_management", "urban_management", 0),
        ("sanitation", "property_company", "community", 0),
        ("repair", "property_company", "community", 0),
        ("property_service", "property_company", "community", 0),
        ("property_fees", "property_company", "community", 0),
        ("owners_committee", "community", "community", 0),
        ("neighbour_dispute", "community", "community", 0),
        ("building_quality", "construction_bureau", "construction_bureau", 2),
        ("missing_facilities", "construction_bureau", "construction_bureau", 2),
        ("other", "town_office", "town_office", 0),
    ];
    for (category, managed_unit, unmanaged_unit, level) in expectations {
        for (estate, unit) in [
            (&c.managed_estate, managed_unit),
            (&c.unmanaged_estate, unmanaged_unit),
            (&c.self_governed_estate, unmanaged_unit),
        ] {
            let (status, body) = t.post("/api/v1/complaints", &c.office, complaint(estate, category)).await;
            assert_eq!(status, StatusCode::CREATED, "{category}: {body}");
            assert_eq!(body["status"], "assigned", "{category}: {body}");
            let a = &body["assignment"];
            assert_eq!(a["unit_type"], unit, "{category} at {estate}: {body}");
            assert!(a["unit_id"].is_string() && a["unit_name"].is_string());
            assert!(a["person"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{body}");
            assert!(a["deadline"].is_string());
            assert_eq!(body["level"], level, "{category}");
            assert_eq!(body["county_report"], level == 2);
            assert_eq!(body["tracking_code"].as_str().unwrap().len(), 10);
        }
    }
    // Owners'-committee matters have the owner representatives as co-handlers.
    let (_, body) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "owners_committee")).await;
    assert_eq!(body["assignment"]["co_handler_unit_ids"].as_array().unwrap().len(), 1);
    // Deadlines follow the SLA: 2 h response for security, 24 h otherwise.
    let (_, sec) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "security")).await;
    let created = chrono::DateTime::parse_from_rfc3339(sec["created_at"].as_str().unwrap()).unwrap();
    let respond_by = chrono::DateTime::parse_from_rfc3339(sec["assignment"]["respond_by"].as_str().unwrap()).unwrap();
    assert_eq!((respond_by - created).num_minutes(), 120);
}

async fn lifecycle_and_roles(t: &TestStack, c: &Ctx) {
    let resident = t.login("zhongxing.resident").await;
    let company = t.login("zhongxing.property_company").await;
    let police = t.login("zhongxing.police").await;
    let county = t.login("county.admin").await;
    let anhe = t.login("anhe.town_office").await;

    let (status, created) = t.post("/api/v1/complaints", &resident, complaint(&c.managed_estate, "repair")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["source"], "resident");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/complaints/{id}");

    // Who sees it, and who sees the phone number.
    let (status, as_company) = t.get(&path, &company).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(as_company["reporter"]["phone"], "13812345678");
    let (_, as_office) = t.get(&path, &c.office).await;
    assert_eq!(as_office["reporter"]["phone"], "13812345678");
    let (status, as_county) = t.get(&path, &county).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(as_county["reporter"]["phone"], "138****5678");
    for (who, token) in [("police", &police), ("anhe", &anhe)] {
        let (status, body) = t.get(&path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} must not see it: {body}");
        let (status, _) = t.post(&format!("{path}/accept"), token, json!({"measures": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} must not act on it");
        let (status, _) = t.post(&format!("{path}/sign"), token, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} must not sign for it");
    }
    // A unit lists only its own tickets; a resident only theirs.
    let listed = t.get_all("/api/v1/complaints?page_size=100", &company).await;
    let company_unit = as_company["assignment"]["unit_id"].clone();
    assert!(listed.iter().all(|x| x["assignment"]["unit_id"] == company_unit));
    assert!(listed.iter().any(|x| x["id"] == id.as_str()));
    let (status, body) = t.get("/api/v1/complaints?unit_id=someone-else", &company).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let mine = t.get_all("/api/v1/complaints", &resident).await;
    assert!(mine.iter().any(|x| x["id"] == id.as_str()));

    // 签收: the unit has a working day from dispatch (a repair) to sign for it, once; signing
    // changes no status and moves no deadline.
    let assigned = &created["assignment"];
    assert!(assigned["signed_at"].is_null(), "{created}");
    let sign_by = chrono::DateTime::parse_from_rfc3339(assigned["sign_by"].as_str().unwrap()).unwrap();
    let created_at = chrono::DateTime::parse_from_rfc3339(created["created_at"].as_str().unwrap()).unwrap();
    assert!(sign_by > created_at && sign_by <= created_at + chrono::Duration::days(5), "{created}");
    let (status, body) = t.post(&format!("{path}/sign"), &resident, json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&format!("{path}/sign"), &company, json!({"note": "x"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "note");
    let (status, signed) = t.post(&format!("{path}/sign"), &company, json!({})).await;
    assert_eq!((status, signed["status"].as_str()), (StatusCode::OK, Some("assigned")), "{signed}");
    assert!(signed["assignment"]["signed_at"].is_string(), "{signed}");
    assert_eq!(signed["assignment"]["deadline"], created["assignment"]["deadline"]);
    let (status, body) = t.post(&format!("{path}/sign"), &company, json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");

    // Only the assigned unit accepts; the resident cannot resolve.
    let (status, body) = t.post(&format!("{path}/accept"), &resident, json!({"measures": "x"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&format!("{path}/accept"), &company, json!({"measures": ""})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "measures");
    let (status, body) = t.post(&format!("{path}/resolve"), &company, resolution("已修")).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let (status, body) = t.post(&format!("{path}/accept"), &company, json!({"measures": "更换电梯配件"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("accepted")), "{body}");
    assert_eq!(body["assignment"]["measures"], "更换电梯配件");
    let (status, _) = t.post(&format!("{path}/progress"), &company, json!({"note": "配件已订购"})).await;
    assert_eq!(status, StatusCode::OK);
    // The reply to the reporter must fill every heading of the template; it is what the
    // reporter reads, and the callback (回访) falls due with the resolution.
    let (status, body) = t.post(&format!("{path}/resolve"), &company, json!({"measures_taken": "已更换"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reply");
    let half = json!({"measures_taken": "已更换", "reply": "办理结果：已更换\n办理单位及人员：恒安物业\n办理依据："});
    let (status, body) = t.post(&format!("{path}/resolve"), &company, half).await;
    let err = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    assert!(err["message"].as_str().unwrap().contains("办理依据"), "{err}");
    let (_, body) = t.post(&format!("{path}/resolve"), &company, resolution("已更换")).await;
    assert_eq!(body["status"], "resolved");
    assert!(body["reply"].as_str().unwrap().starts_with("办理结果：已更换"), "{body}");
    assert!(body["callback_by"].is_string() && body["callback_overdue"] == false, "{body}");
    let (_, tracked) =
        t.send(Method::GET, &format!("/api/v1/track/{}", created["tracking_code"].as_str().unwrap()), None, None).await;
    assert_eq!(tracked["reply"], body["reply"], "the reporter reads the reply");
    // Not satisfied reopens; then satisfied closes.
    let (_, body) =
        t.post(&format!("{path}/verify"), &resident, json!({"satisfaction": "not_satisfied", "note": "还是坏"})).await;
    assert_eq!(
        (body["status"].as_str(), body["satisfaction"].as_str(), body["redo_count"].as_u64()),
        (Some("reopened"), Some("not_satisfied"), Some(1)),
        "a redo (重办) is counted: {body}"
    );
    assert!(body["callback_by"].is_null(), "{body}");
    t.post(&format!("{path}/accept"), &company, json!({"measures": "再次维修"})).await;
    t.post(&format!("{path}/resolve"), &company, resolution("彻底修好")).await;
    let (_, body) = t.post(&format!("{path}/verify"), &resident, json!({"satisfaction": "satisfied"})).await;
    assert_eq!(body["status"], "closed", "{body}");
    let (_, full) = t.get(&path, &c.office).await;
    let actions: Vec<&str> =
        full["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "submit", "assign", "sign", "accept", "progress", "resolve", "verify", "accept", "resolve", "verify",
            "close"
        ]
    );
    assert!(full["timeline"].as_array().unwrap().iter().all(|e| e["at"].is_string() && e["actor"].is_string()));
    // Reopening by the resident after closing.
    let (status, body) = t.post(&format!("{path}/reopen"), &resident, json!({"reason": "又坏了"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("reopened")));
}

async fn reject_reassign_extend_escalate(t: &TestStack, c: &Ctx) {
    let police = t.login("zhongxing.police").await;
    let urban = t.login("zhongxing.urban_management").await;
    let county = t.login("county.admin").await;
    let (_, created) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "security")).await;
    let path = format!("/api/v1/complaints/{}", created["id"].as_str().unwrap());

    let (status, body) = t.post(&format!("{path}/reject"), &police, json!({"reason": "属于违建，应由城管处理"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reason_code");
    let ret = json!({"reason_code": "not_our_remit", "reason": "属于违建，应由城管处理"});
    let (_, body) = t.post(&format!("{path}/reject"), &police, ret).await;
    assert_eq!((body["status"].as_str(), body["level"].as_u64()), (Some("rejected"), Some(1)), "{body}");
    assert!(body["assignment"]["return_by"].is_string(), "{body}");
    // 审定: a return the office does not accept goes back to the same unit, its clock never stopped.
    let (_, other) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "security")).await;
    let other_path = format!("/api/v1/complaints/{}", other["id"].as_str().unwrap());
    let (status, body) = t.post(&format!("{other_path}/overrule-return"), &c.office, json!({"note": "x"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let ret = json!({"reason_code": "insufficient_information", "reason": "未写明楼栋"});
    let (_, returned) = t.post(&format!("{other_path}/reject"), &police, ret).await;
    assert_eq!(returned["status"], "rejected", "{returned}");
    let (status, body) = t.post(&format!("{other_path}/overrule-return"), &police, json!({"note": "x"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&format!("{other_path}/overrule-return"), &c.office, json!({})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "note");
    let (status, back) = t
        .post(&format!("{other_path}/overrule-return"), &c.office, json!({"note": "地址已电话核实，请继续办理"}))
        .await;
    assert_eq!((status, back["status"].as_str()), (StatusCode::OK, Some("assigned")), "{back}");
    assert_eq!(back["assignment"], returned["assignment"], "same unit, same deadlines");
    let (_, full) = t.get(&other_path, &c.office).await;
    let notes: Vec<(&str, &str)> = full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["note"].as_str().unwrap()))
        .collect();
    assert!(notes.contains(&("reject", "信息不全，无法办理：未写明楼栋")), "{notes:?}");
    assert!(notes.iter().any(|(a, _)| *a == "overrule_return"), "{notes:?}");
    // 退单分析: security returned by the police twice here, once overruled.
    let (status, returns) = t.get("/api/v1/towns/zhongxing/returns", &c.office).await;
    assert_eq!(status, StatusCode::OK, "{returns}");
    let police_security = returns["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "security" && r["unit_type"] == "police")
        .cloned()
        .unwrap_or_else(|| panic!("{returns}"));
    assert_eq!(police_security["category_label"], "治安");
    let (n, overruled) = (police_security["returns"].as_u64().unwrap(), police_security["overruled"].as_u64().unwrap());
    assert!(n >= 2 && overruled >= 1 && police_security["upheld"].as_u64() == Some(n - overruled), "{police_security}");
    let (status, body) = t.get("/api/v1/towns/zhongxing/returns", &police).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.get("/api/v1/towns/zhongxing/returns?from=2026-13-01", &c.office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "from");

    // 退单原因 are the town's: it switches a built-in one off and adds its own; a return names one
    // that is on.
    let (_, reasons) = t.get("/api/v1/towns/zhongxing/return-reasons", &police).await;
    assert_eq!(reasons["customised"], false, "{reasons}");
    assert!(reasons["items"].as_array().unwrap().iter().all(|r| r["built_in"] == true && r["active"] == true));
    let put = |body: Value, who: String| async move {
        t.send(Method::PUT, "/api/v1/towns/zhongxing/return-reasons", Some(&who), Some(body)).await
    };
    let list = json!({"reasons": [
        {"code": "gas_company", "label": "属燃气公司职责", "active": true},
        {"code": "duplicate", "active": false}]});
    let (status, body) = put(list.clone(), police.clone()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) =
        put(json!({"reasons": [{"code": "Gas", "label": "燃气", "active": true}]}), c.office.clone()).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reasons[0].code");
    let (status, body) = put(json!({"reasons": [{"code": "gas", "active": true}]}), c.office.clone()).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reasons[0].label");
    let (status, saved) = put(list, c.office.clone()).await;
    assert_eq!((status, saved["customised"].as_bool()), (StatusCode::OK, Some(true)), "{saved}");
    let codes: Vec<(&str, bool)> = saved["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap(), r["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(codes[..2], [("gas_company", true), ("duplicate", false)], "{saved}");
    assert_eq!(saved["items"][1]["label"], "重复诉求", "a built-in reason keeps the contract's label");
    let (_, third) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "security")).await;
    let third_path = format!("/api/v1/complaints/{}", third["id"].as_str().unwrap());
    let off = json!({"reason_code": "duplicate", "reason": "与上一单重复"});
    let (status, body) = t.post(&format!("{third_path}/reject"), &police, off).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reason_code");
    let unknown = json!({"reason_code": "water_company", "reason": "x"});
    let (status, body) = t.post(&format!("{third_path}/reject"), &police, unknown).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reason_code");
    let own = json!({"reason_code": "gas_company", "reason": "燃气表漏气"});
    let (status, returned) = t.post(&format!("{third_path}/reject"), &police, own).await;
    assert_eq!((status, returned["status"].as_str()), (StatusCode::OK, Some("rejected")), "{returned}");
    let (_, full) = t.get(&third_path, &c.office).await;
    assert!(
        full["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "reject" && e["note"] == "属燃气公司职责：燃气表漏气"),
        "{full}"
    );
    // Back to the built-in list for the tests that follow.
    let builtin: Vec<Value> = ["not_our_remit", "wrong_estate", "duplicate", "insufficient_information", "other"]
        .iter()
        .map(|c| json!({"code": c, "active": true}))
        .collect();
    let (status, _) = put(json!({ "reasons": builtin }), c.office.clone()).await;
    assert_eq!(status, StatusCode::OK);
    // Past the two working days of its window, a return is refused.
    let mut old = complaint(&c.managed_estate, "security");
    old["reported_at"] = json!((chrono::Utc::now() - chrono::Duration::days(10)).to_rfc3339());
    old["description"] = json!("十天前的治安问题");
    let (_, old) = t.post("/api/v1/complaints", &c.office, old).await;
    let ret = json!({"reason_code": "not_our_remit", "reason": "x"});
    let (status, body) =
        t.post(&format!("/api/v1/complaints/{}/reject", old["id"].as_str().unwrap()), &police, ret).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");

    // Units cannot reassign; the town office can.
    let (_, units) = t.get("/api/v1/towns/zhongxing/units?unit_type=urban_management", &c.office).await;
    let urban_unit = units["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = t.post(&format!("{path}/reassign"), &police, json!({"unit_id": urban_unit})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = t.post(&format!("{path}/reassign"), &c.office, json!({"unit_id": "no-such-unit"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "unit_id");
    let (_, body) =
        t.post(&format!("{path}/reassign"), &c.office, json!({"unit_id": urban_unit, "note": "转城管"})).await;
    assert_eq!(body["status"], "assigned", "{body}");
    assert_eq!(body["assignment"]["unit_type"], "urban_management");
    assert!(body["assignment"]["person"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    let (_, body) = t.post(&format!("{path}/accept"), &urban, json!({"measures": "现场执法"})).await;
    assert_eq!(body["status"], "accepted", "{body}");

    let deadline = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    let (status, body) = t.post(&format!("{path}/extend"), &c.office, json!({"deadline": "soon", "note": "x"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "deadline");
    // A deadline in the past is refused on the body's own field, not dispatch's `resolve_by`.
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let (status, body) = t.post(&format!("{path}/extend"), &c.office, json!({"deadline": past, "note": "x"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "deadline");
    // A body that is not JSON at all names the body, not "?".
    let broken = t
        .http
        .post(format!("{}{path}/extend", t.base))
        .bearer_auth(&c.office)
        .header("content-type", "application/json")
        .body("{\"deadline\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let broken: serde_json::Value = broken.json().await.unwrap();
    assert_eq!(broken["error"]["field"], "body", "{broken}");
    let (status, body) =
        t.post(&format!("{path}/extend"), &c.office, json!({"deadline": deadline, "note": "需协调"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_deadline = chrono::DateTime::parse_from_rfc3339(body["assignment"]["deadline"].as_str().unwrap()).unwrap();
    assert!(new_deadline > chrono::Utc::now() + chrono::Duration::days(9));

    let (status, body) = t.post(&format!("{path}/escalate"), &urban, json!({"note": "x"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (_, body) = t.post(&format!("{path}/escalate"), &c.office, json!({"note": "久拖不决，报县"})).await;
    assert_eq!((body["level"].as_u64(), body["county_report"].as_bool()), (Some(2), Some(true)), "{body}");
    let (status, body) = t.post(&format!("{path}/escalate"), &c.office, json!({"note": "again"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");

    // A complaint received two months ago that reaches the county today.
    let mut old_complaint = complaint(&c.managed_estate, "repair");
    old_complaint["reported_at"] = json!((chrono::Utc::now() - chrono::Duration::days(60)).to_rfc3339());
    let (status, old) = t.post("/api/v1/complaints", &c.office, old_complaint).await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    let old_path = format!("/api/v1/complaints/{}", old["id"].as_str().unwrap());
    for note in ["逾期未办，镇级督办", "久拖不决，报县"] {
        let (status, body) = t.post(&format!("{old_path}/escalate"), &c.office, json!({"note": note})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // The written report to the county holds it, with its four fixes.
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={}", today - chrono::Duration::days(1), today + chrono::Duration::days(1));
    let (status, report) = t.get(&format!("/api/v1/towns/zhongxing/county-report?{range}"), &county).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let item = report["tickets"].as_array().unwrap().iter().find(|x| x["id"] == created["id"]).expect("in the report");
    assert!(item["assignment"]["deadline"].is_string());
    assert_eq!(item["assignment"]["measures"], "现场执法");
    assert!(item["assignment"]["unit_name"].is_string() && item["assignment"]["person"]["name"].is_string());
    assert!(report["tickets"].as_array().unwrap().iter().all(|x| x["level"] == 2));
    // It selects by when a matter reached the county, not when it was received.
    let listed =
        |list: &serde_json::Value, id: &serde_json::Value| list.as_array().unwrap().iter().any(|x| x["id"] == *id);
    assert!(listed(&report["tickets"], &old["id"]), "received 60 days ago, reached the county today: {report}");
    assert!(report["tickets"].as_array().unwrap().iter().all(|x| x["reached_county_at"].is_string()));
    // The next period's report carries over both, still open, and holds neither as new.
    let next = format!("from={}&to={}", today + chrono::Duration::days(2), today + chrono::Duration::days(3));
    let (status, later) = t.get(&format!("/api/v1/towns/zhongxing/county-report?{next}"), &county).await;
    assert_eq!(status, StatusCode::OK, "{later}");
    assert!(listed(&later["carried_over"], &created["id"]) && listed(&later["carried_over"], &old["id"]), "{later}");
    assert!(!listed(&later["tickets"], &created["id"]) && !listed(&later["tickets"], &old["id"]), "{later}");
    assert_eq!(later["carried_over_count"].as_u64(), Some(later["carried_over"].as_array().unwrap().len() as u64));
    // Sent by the town's office under its name, with a document number and an issue date.
    assert_eq!(report["town_name"], "众兴镇", "{report}");
    let number = report["number"].as_str().unwrap();
    assert!(number.starts_with("众兴镇物管办报〔") && number.ends_with("号"), "{number}");
    assert!(report["issued"].as_str().is_some_and(|d| d.len() == 10), "{report}");
    let page = t
        .http
        .get(format!("{}/api/v1/towns/zhongxing/county-report?{range}&format=html", t.base))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = page.text().await.unwrap();
    assert!(page.contains("书面报告") && page.contains("定措施") && page.contains("现场执法"), "{page}");
    assert!(page.contains(created["tracking_code"].as_str().unwrap()));
    assert!(page.contains("报送单位：众兴镇物管办") && page.contains(number), "{page}");
    assert!(page.contains("前期结转"), "{page}");
    // The deadline in the town's time to the minute, as the ticket page shows it; never UTC.
    let deadline = chrono::DateTime::parse_from_rfc3339(item["assignment"]["deadline"].as_str().unwrap()).unwrap();
    let local =
        (deadline.with_timezone(&chrono::Utc) + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string();
    assert!(page.contains(&local), "{local} missing: {page}");
    // (" UTC" as the old page printed it: a tracking code may hold the letters U, T, C.)
    assert!(!page.contains(" UTC"), "{page}");
}

async fn anonymous_and_tracking(t: &TestStack, c: &Ctx) {
    let body = json!({"town": "zhongxing", "estate_id": c.unmanaged_estate, "category": "sanitation",
                      "description": "垃圾没人清", "anonymous": true, "reporter_phone": "13900000000"});
    let (status, created) = t.send(Method::POST, "/api/v1/complaints", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["reporter"]["anonymous"], true);
    assert_eq!(created["reporter"]["phone"], "", "anonymous submissions keep no phone");
    let code = created["tracking_code"].as_str().unwrap();
    let (status, tracked) = t.send(Method::GET, &format!("/api/v1/track/{code}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{tracked}");
    assert_eq!(tracked["status"], "assigned");
    assert!(tracked.get("reporter").is_none() && tracked.get("description").is_none());
    assert!(tracked["timeline"].as_array().unwrap().iter().all(|e| e["actor"].is_null() && e["note"].is_null()));
    let (status, body) = t.send(Method::GET, "/api/v1/track/short", None, None).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "tracking_code");
    let (status, body) = t.send(Method::GET, "/api/v1/track/ABCDEFGHJK", None, None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // Without a token nobody can read it by id.
    let (status, _) =
        t.send(Method::GET, &format!("/api/v1/complaints/{}", created["id"].as_str().unwrap()), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    rating_by_tracking_code(t, c).await;
}

/// The reporter, holding only the code, disputes a fix (it reopens) and then confirms the second
/// (it closes); nothing else can be rated, and bad input names its field.
async fn rating_by_tracking_code(t: &TestStack, c: &Ctx) {
    let body = json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair",
                      "description": "单元门禁坏了", "anonymous": true});
    let (_, created) = t.send(Method::POST, "/api/v1/complaints", None, Some(body)).await;
    let (id, code) = (created["id"].as_str().unwrap(), created["tracking_code"].as_str().unwrap());
    let rate_path = format!("/api/v1/track/{code}/rate");
    let rate = |body: Value| t.send(Method::POST, &rate_path, None, Some(body));
    let (status, body) = rate(json!({"satisfaction": "satisfied"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let company = t.login("zhongxing.property_company").await;
    let resolve = |measures: &'static str| {
        let company = company.clone();
        async move {
            let (s1, _) =
                t.post(&format!("/api/v1/complaints/{id}/accept"), &company, json!({"measures": "更换门禁"})).await;
            let (s2, b) = t.post(&format!("/api/v1/complaints/{id}/resolve"), &company, resolution(measures)).await;
            assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{b}");
        }
    };
    resolve("已修好").await;
    let (status, body) = rate(json!({"satisfaction": "not_satisfied"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "note");
    let (status, body) = rate(json!({"satisfaction": "meh"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "satisfaction");
    let (status, body) =
        t.send(Method::POST, "/api/v1/track/ABCDEFGHJK/rate", None, Some(json!({"satisfaction": "satisfied"}))).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, disputed) = rate(json!({"satisfaction": "not_satisfied", "note": "刷卡还是开不了"})).await;
    assert_eq!((status, disputed["status"].as_str()), (StatusCode::OK, Some("reopened")), "{disputed}");
    assert_eq!(disputed["satisfaction"], "not_satisfied");
    let (_, seen) = t.get(&format!("/api/v1/complaints/{id}"), &c.office).await;
    let dispute = seen["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "dispute").expect("a dispute");
    assert!(dispute["note"].as_str().unwrap().contains("刷卡还是开不了"), "the office reads why: {seen}");
    resolve("已更换读卡器").await;
    let (status, confirmed) = rate(json!({"satisfaction": "basically_satisfied"})).await;
    assert_eq!((status, confirmed["status"].as_str()), (StatusCode::OK, Some("closed")), "{confirmed}");
    let actions: Vec<&str> =
        confirmed["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.ends_with(&["confirm", "close"]), "{actions:?}");
    let (status, body) = rate(json!({"satisfaction": "satisfied"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
}

async fn idempotent_intake(t: &TestStack, c: &Ctx) {
    let key = t.dir.path().join("jwt-private.pem");
    let signer = wuguan_platform::identity::TokenSigner::from_file(&key).unwrap();
    let hotline = signer
        .sign(
            &wuguan_platform::Principal {
                subject: "hotline-12345".into(),
                role: wuguan_platform::Role::Service,
                town: Some("zhongxing".into()),
                county: "demo".into(),
                unit: None,
                estate: None,
            },
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let (status, body) = t.post("/api/v1/complaints", &hotline, complaint(&c.managed_estate, "repair")).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "idempotency_key");
    let send = |key: &'static str, body: Value| {
        t.http
            .post(format!("{}/api/v1/complaints", t.base))
            .bearer_auth(&hotline)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("hotline-001", complaint(&c.managed_estate, "repair")).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["source"], "hotline");
    let second: Value =
        send("hotline-001", complaint(&c.managed_estate, "repair")).await.unwrap().json().await.unwrap();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["tracking_code"], first["tracking_code"]);
    let conflict = send("hotline-001", complaint(&c.managed_estate, "sanitation")).await.unwrap();
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    let body: Value = conflict.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (Some("already_exists"), Some("idempotency_key"))
    );
    // Exactly one ticket carries that tracking code's id.
    let all = t.get_all("/api/v1/complaints?source=hotline&page_size=500", &c.office).await;
    assert_eq!(all.iter().filter(|x| x["id"] == first["id"]).count(), 1);
}

async fn bad_input(t: &TestStack, c: &Ctx) {
    let resident = t.login("zhongxing.resident").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"town": "zhongxing", "estate_id": c.managed_estate, "description": "x"}), "category"),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "noise", "description": "x"}),
            "category",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "  "}),
            "description",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x".repeat(2001)}),
            "description",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "reporter_phone": "call me"}),
            "reporter_phone",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "reporter_name": "名".repeat(51)}),
            "reporter_name",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.anhe_estate, "category": "repair", "description": "x"}),
            "estate_id",
        ),
        (
            json!({"town": "zhongxing", "estate_id": "no-such-estate", "category": "repair", "description": "x"}),
            "estate_id",
        ),
        (json!({"town": "zhongxing", "estate_id": "bad id!", "category": "repair", "description": "x"}), "estate_id"),
        (json!({"town": "zhongxing", "estate_id": "", "category": "repair", "description": "x"}), "estate_id"),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "source": "inspection"}),
            "source",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "reported_at": "2020-01-01T00:00:00Z"}),
            "reported_at",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "reported_at": "1970-01-01T00:00:00Z"}),
            "reported_at",
        ),
        (
            json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": "repair", "description": "x", "priority": "high"}),
            "priority",
        ),
        (json!({"town": "zhongxing", "estate_id": c.managed_estate, "category": 7, "description": "x"}), "category"),
    ];
    let before = t.get_all("/api/v1/complaints?page_size=500", &c.office).await.len();
    for (body, field) in cases {
        let (status, resp) = t.post("/api/v1/complaints", &resident, body.clone()).await;
        let err = assert_error(status, &resp, StatusCode::BAD_REQUEST, "invalid_argument");
        assert_eq!(err["field"], field, "{body} → {resp}");
    }
    assert_eq!(t.get_all("/api/v1/complaints?page_size=500", &c.office).await.len(), before, "bad input wrote nothing");
    // Another town is not found, not forbidden.
    let (status, body) = t
        .post(
            "/api/v1/complaints",
            &resident,
            json!({"town": "anhe", "estate_id": c.anhe_estate, "category": "repair", "description": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    for query in ["status=lost", "category=noise", "level=x", "from=2025-13-01", "overdue=perhaps", "colour=red"] {
        let (status, body) = t.get(&format!("/api/v1/complaints?{query}"), &c.office).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    }
    let (status, body) = t.get("/api/v1/complaints?level=3", &c.office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "level");
    let (_, created) = t.post("/api/v1/complaints", &resident, complaint(&c.managed_estate, "repair")).await;
    let path = format!("/api/v1/complaints/{}", created["id"].as_str().unwrap());
    let (status, body) = t.post(&format!("{path}/verify"), &resident, json!({"satisfaction": "meh"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "satisfaction");
    let (status, body) = t.post(&format!("{path}/teleport"), &resident, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post(&format!("{path}/reject"), &resident, json!({"reason": "x", "extra": 1})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "extra");
}

async fn holiday_figure_and_stats(t: &TestStack) {
    let office = t.login("zhongxing.town_office").await;
    let (status, s) = t
        .get("/api/v1/towns/zhongxing/stats/complaints?category=security&from=2025-10-01&to=2025-10-08", &office)
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!((s["count"].as_u64(), s["previous_year_count"].as_u64()), (Some(10), Some(26)));
    assert_eq!(s["yoy_change_pct"], -61.5);
    for rate in ["response_rate", "resolution_rate", "satisfaction_rate"] {
        assert_eq!(s[rate], 1.0, "{rate}: {s}");
    }
    // Recent demo work has overdue and escalated tickets in it.
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(60);
    let (_, recent) = t.get(&format!("/api/v1/towns/zhongxing/stats/complaints?from={from}&to={today}"), &office).await;
    assert!(recent["count"].as_u64().unwrap() >= 40, "{recent}");
    assert!(recent["escalated_level_1"].as_u64().unwrap() > 0, "{recent}");
    assert!(recent["resolution_rate"].as_f64().unwrap() < 1.0);
    // No denominator, no rate: a period without complaints has null rates, not 0 %.
    let (_, empty) = t.get("/api/v1/towns/zhongxing/stats/complaints?from=2021-01-01&to=2021-01-07", &office).await;
    assert_eq!(empty["count"], 0, "{empty}");
    for rate in ["response_rate", "resolution_rate", "satisfaction_rate"] {
        assert!(empty[rate].is_null(), "{rate}: {empty}");
    }
    // A ticket inside its deadlines is pending, not a failure: today's figures count it apart.
    let estate = t.company_estate().await;
    let (status, created) = t
        .post(
            "/api/v1/complaints",
            &office,
            json!({"town": "zhongxing", "estate_id": estate, "category": "repair", "description": "新报：单元门禁坏了"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let local_today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (_, now) =
        t.get(&format!("/api/v1/towns/zhongxing/stats/complaints?from={local_today}&to={local_today}"), &office).await;
    assert!(now["response_pending"].as_u64().unwrap() >= 1, "{now}");
    assert!(now["resolution_pending"].as_u64().unwrap() >= 1, "{now}");
    assert!(now["resolution_pending"].as_u64() <= now["count"].as_u64(), "{now}");
    let (status, body) = t.get("/api/v1/towns/zhongxing/stats/complaints?from=2025-10-08&to=2025-10-01", &office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "to");
    let resident = t.login("zhongxing.resident").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/stats/complaints?from=2025-10-01&to=2025-10-08", &resident).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anhe = t.login("anhe.town_office").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/stats/complaints?from=2025-10-01&to=2025-10-08", &anhe).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn rules_override(t: &TestStack, c: &Ctx) {
    let (status, rules) = t.get("/api/v1/towns/zhongxing/routing-rules", &c.office).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rules["items"].as_array().unwrap().len(), 14);
    let police = t.login("zhongxing.police").await;
    let (status, _) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/repair",
            Some(&police),
            Some(json!({"target": "community", "response_amount": 60, "resolution_amount": 600})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/repair",
            Some(&c.office),
            Some(json!({"target": "community", "response_amount": 0, "resolution_amount": 600})),
        )
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "response_amount");
    // A day to respond and eight hours to resolve: refused across units, naming the second.
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/repair",
            Some(&c.office),
            Some(json!({"target": "community", "response_amount": 1, "response_unit": "working_days",
                        "resolution_amount": 8, "resolution_unit": "hours"})),
        )
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "resolution_amount");
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/repair",
            Some(&c.office),
            Some(json!({"target": "community", "response_amount": 1, "response_unit": "fortnights",
                        "resolution_amount": 8})),
        )
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "response_unit");
    let (status, rule) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/repair",
            Some(&c.office),
            // The names the amounts had before they carried a unit are still read, as minutes.
            Some(json!({"target": "community", "response_minutes": 60, "resolution_minutes": 600})),
        )
        .await;
    assert_eq!((status, rule["customised"].as_bool()), (StatusCode::OK, Some(true)), "{rule}");
    assert_eq!((rule["response_amount"].as_u64(), rule["response_unit"].as_str()), (Some(60), Some("minutes")));
    let default_security = rules["items"].as_array().unwrap().iter().find(|r| r["category"] == "security").unwrap();
    assert_eq!(
        (default_security["sign_amount"].as_u64(), default_security["sign_unit"].as_str()),
        (Some(1), Some("working_hours"))
    );
    assert_eq!(
        (rule["sign_amount"].as_u64(), rule["sign_unit"].as_str()),
        (Some(1), Some("working_days")),
        "repair's own sign-for limit when none is given"
    );
    assert_eq!(
        (default_security["response_amount"].as_u64(), default_security["response_unit"].as_str()),
        (Some(2), Some("hours"))
    );
    let (_, ticket) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "repair")).await;
    assert_eq!(ticket["assignment"]["unit_type"], "community", "the town's own rule applies");
    // Anhe keeps the defaults.
    let anhe = t.login("anhe.town_office").await;
    let (_, anhe_rules) = t.get("/api/v1/towns/anhe/routing-rules", &anhe).await;
    assert!(anhe_rules["items"].as_array().unwrap().iter().all(|r| r["customised"] == false));
}

/// A limit in working days counts by the town's calendar: the built-in national schedule, then
/// the town's own once it sets the year; the calendar refuses what cannot be, naming the field.
async fn working_days_by_the_calendar(t: &TestStack, c: &Ctx) {
    let (status, cal) = t.get("/api/v1/towns/zhongxing/calendar?year=2026", &c.office).await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    assert_eq!(
        (cal["source"].as_str(), cal["office_start"].as_str(), cal["office_end"].as_str()),
        (Some("national"), Some("08:30"), Some("17:30"))
    );
    let days = cal["days"].as_array().unwrap();
    assert!(days.iter().any(|d| d["date"] == "2026-10-10" && d["kind"] == "makeup_workday"), "{cal}");
    assert_eq!(
        days.iter().filter(|d| d["kind"] == "holiday" && d["date"].as_str().unwrap().starts_with("2026-10")).count(),
        7
    );
    let (status, rule) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/routing-rules/property_service",
            Some(&c.office),
            Some(json!({"target": "property_company", "response_amount": 1, "response_unit": "working_days",
                        "resolution_amount": 5, "resolution_unit": "working_days",
                        "sign_amount": 2, "sign_unit": "working_hours"})),
        )
        .await;
    assert_eq!((status, rule["resolution_unit"].as_str()), (StatusCode::OK, Some("working_days")), "{rule}");
    // Reported Wednesday 30 September 2026 at 10:00: 1-7 October off, the 10th (a Saturday)
    // worked, so five working days end on Tuesday 13 October at 10:00, and one on the 8th.
    let reported = |n: u32| {
        let mut body = complaint(&c.managed_estate, "property_service");
        body["reported_at"] = json!("2026-09-30T10:00:00+08:00");
        body["description"] = json!(format!("节前报修的物业服务问题 {n}"));
        body
    };
    let (status, ticket) = t.post("/api/v1/complaints", &c.office, reported(1)).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["assignment"]["deadline"], "2026-10-13T02:00:00Z", "{ticket}");
    assert_eq!(ticket["assignment"]["respond_by"], "2026-10-08T02:00:00Z", "{ticket}");
    // Two working hours to sign for it: 10:00 to 12:00 the same day.
    assert_eq!(ticket["assignment"]["sign_by"], "2026-09-30T04:00:00Z", "{ticket}");

    // The town drops the make-up Saturday: the same complaint now ends a day later.
    let mut town_days: Vec<Value> = days.iter().filter(|d| d["date"] != "2026-10-10").cloned().collect();
    let (status, saved) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/calendar",
            Some(&c.office),
            Some(json!({"year": 2026, "days": town_days, "office_start": "08:30", "office_end": "17:30"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!((saved["source"].as_str(), saved["updated_by"].as_str()), (Some("town"), Some("zhongxing.town_office")));
    assert_eq!(saved["days"].as_array().unwrap().len(), days.len() - 1);
    let (_, ticket) = t.post("/api/v1/complaints", &c.office, reported(2)).await;
    assert_eq!(ticket["assignment"]["deadline"], "2026-10-14T02:00:00Z", "{ticket}");
    let (_, read_back) = t.get("/api/v1/towns/zhongxing/calendar?year=2026", &c.office).await;
    assert_eq!(read_back["days"], saved["days"]);
    let (_, other_year) = t.get("/api/v1/towns/zhongxing/calendar?year=2025", &c.office).await;
    assert_eq!(other_year["source"], "national", "a town year replaces that year only");

    // Refusals name the field and write nothing.
    town_days.push(json!({"date": "2026-12-09", "kind": "makeup_workday", "name": "不存在的调休"}));
    let last = town_days.len() - 1;
    for (body, field) in [
        (json!({"year": 2026, "days": town_days}), format!("days[{last}].kind")),
        (json!({"year": 2026, "days": [{"date": "2027-01-01", "kind": "holiday"}]}), "days[0].date".to_owned()),
        (json!({"year": 2026, "days": [{"date": "2026-10-01", "kind": "day_off"}]}), "days[0].kind".to_owned()),
        (json!({"year": 2026, "days": [], "office_start": "18:00", "office_end": "09:00"}), "office_end".to_owned()),
        (json!({"year": 2026, "days": [], "office_start": "8点半"}), "office_start".to_owned()),
        (json!({"year": 1899, "days": []}), "year".to_owned()),
    ] {
        let (status, err) = t.send(Method::PUT, "/api/v1/towns/zhongxing/calendar", Some(&c.office), Some(body)).await;
        assert_eq!(assert_error(status, &err, StatusCode::BAD_REQUEST, "invalid_argument")["field"], field.as_str());
    }
    let (_, unchanged) = t.get("/api/v1/towns/zhongxing/calendar?year=2026", &c.office).await;
    assert_eq!(unchanged["days"], saved["days"]);
    let (status, err) = t.get("/api/v1/towns/zhongxing/calendar?year=12026", &c.office).await;
    assert_eq!(assert_error(status, &err, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "year");

    // Units read it; only the town office (or county) sets it; another town reaches nothing.
    let police = t.login("zhongxing.police").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/calendar", &police).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .send(Method::PUT, "/api/v1/towns/zhongxing/calendar", Some(&police), Some(json!({"year": 2026, "days": []})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anhe = t.login("anhe.town_office").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/calendar?year=2026", &anhe).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{status}");
    let (_, anhe_cal) = t.get("/api/v1/towns/anhe/calendar?year=2026", &anhe).await;
    assert_eq!(anhe_cal["source"], "national", "zhongxing's year is its own");
}

/// The unit asks for more time before its deadline; only the town office's approval moves it.
async fn extension_requests(t: &TestStack, c: &Ctx) {
    let company = t.login("zhongxing.property_company").await;
    // Sanitation: the company's (an earlier step sent repairs to the community).
    let (status, created) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "sanitation")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/complaints/{}", created["id"].as_str().unwrap());
    let deadline = created["assignment"]["deadline"].clone();
    let later = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ask = json!({"deadline": later, "reason": "需业主大会表决动用维修资金"});
    let requests = format!("{path}/extension-requests");
    let decision = format!("{path}/extension-requests/decision");

    let (status, body) = t.post(&requests, &company, json!({"deadline": "下个月", "reason": "x"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "deadline");
    let (status, body) = t.post(&requests, &company, json!({"deadline": later})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reason");
    let (status, body) = t.post(&requests, &c.office, ask.clone()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, asked) = t.post(&requests, &company, ask.clone()).await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["pending_extension"]["deadline"], later.as_str());
    assert_eq!(asked["assignment"]["deadline"], deadline, "asking moves nothing");
    let (status, body) = t.post(&requests, &company, ask.clone()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let (status, body) = t.post(&decision, &company, json!({"approve": true})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&decision, &c.office, json!({"approve": false})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "note");
    let (status, refused) = t.post(&decision, &c.office, json!({"approve": false, "note": "七日内可完成"})).await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert!(refused["pending_extension"].is_null() && refused["assignment"]["deadline"] == deadline, "{refused}");
    let (status, body) = t.post(&decision, &c.office, json!({"approve": true})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    t.post(&requests, &company, ask).await;
    let (status, approved) = t.post(&decision, &c.office, json!({"approve": true, "note": "同意"})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        (approved["assignment"]["deadline"].as_str(), approved["pending_extension"].is_null()),
        (Some(later.as_str()), true)
    );
    let (_, full) = t.get(&path, &c.office).await;
    let actions: Vec<&str> =
        full["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions[2..], ["request_extension", "refuse_extension", "request_extension", "approve_extension"]);

    // Past its deadline it is too late to ask.
    let mut old = complaint(&c.managed_estate, "sanitation");
    old["reported_at"] = json!((chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339());
    old["description"] = json!("上月的报修");
    let (_, late) = t.post("/api/v1/complaints", &c.office, old).await;
    let (status, body) = t
        .post(
            &format!("/api/v1/complaints/{}/extension-requests", late["id"].as_str().unwrap()),
            &company,
            json!({"deadline": later, "reason": "来不及"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
}

/// The daily digest: by unit, what is overdue and what falls due soon.
/// 答复规范: the town office sets what a category's replies must say; a resolution is held to
/// it; units read it; bad templates are refused by field.
async fn reply_templates(t: &TestStack, c: &Ctx) {
    let company = t.login("zhongxing.property_company").await;
    let (status, list) = t.get("/api/v1/towns/zhongxing/reply-templates", &company).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 14, "one per category");
    let sanitation = items.iter().find(|i| i["category"] == "sanitation").unwrap();
    assert_eq!(sanitation["headings"], json!(["办理结果", "办理单位及人员", "办理依据"]));
    assert_eq!(
        (sanitation["customised"].as_bool(), sanitation["category_label"].as_str()),
        (Some(false), Some("环境卫生"))
    );

    let put = |body: Value, who: String| async move {
        t.send(Method::PUT, "/api/v1/towns/zhongxing/reply-templates/sanitation", Some(&who), Some(body)).await
    };
    let (status, body) = put(json!({"headings": ["清运结果"]}), company.clone()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = put(json!({"headings": []}), c.office.clone()).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "headings");
    let (status, body) = put(json!({"headings": ["清运结果", "清运结果"]}), c.office.clone()).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "headings[1]");
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/reply-templates/weather",
            Some(&c.office),
            Some(json!({"headings": ["x"]})),
        )
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "category");
    let own = json!({"headings": ["清运结果", "复查情况"], "guidance": "写明清运量和复查时间"});
    let (status, saved) = put(own, c.office.clone()).await;
    assert_eq!((status, saved["customised"].as_bool()), (StatusCode::OK, Some(true)), "{saved}");
    assert!(saved["updated_by"].is_string(), "{saved}");

    // A sanitation complaint is now resolved by the town's headings, not the built-in ones.
    let (_, created) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "sanitation")).await;
    let path = format!("/api/v1/complaints/{}", created["id"].as_str().unwrap());
    t.post(&format!("{path}/accept"), &company, json!({"measures": "安排清运"})).await;
    let (status, body) = t.post(&format!("{path}/resolve"), &company, resolution("已清运")).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "reply");
    let reply = json!({"measures_taken": "已清运", "reply": "清运结果：清运垃圾 2 车\n复查情况：次日复查无堆放"});
    let (status, body) = t.post(&format!("{path}/resolve"), &company, reply).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("resolved")), "{body}");
    // Another town's list is its own.
    let anhe = t.login("anhe.town_office").await;
    let (_, theirs) = t.get("/api/v1/towns/anhe/reply-templates", &anhe).await;
    let theirs = theirs["items"].as_array().unwrap().iter().find(|i| i["category"] == "sanitation").cloned().unwrap();
    assert_eq!(theirs["customised"], false, "{theirs}");
}

async fn daily_digest(t: &TestStack, c: &Ctx) {
    let (status, digest) = t.get("/api/v1/towns/zhongxing/digest", &c.office).await;
    assert_eq!(status, StatusCode::OK, "{digest}");
    assert_eq!(digest["hours"], 24);
    let generated = chrono::DateTime::parse_from_rfc3339(digest["generated_at"].as_str().unwrap()).unwrap();
    let units = digest["units"].as_array().unwrap();
    assert!(
        units.iter().any(|u| !u["overdue"].as_array().unwrap().is_empty()),
        "the demo has overdue tickets: {digest}"
    );
    let mut seen = std::collections::HashSet::new();
    for u in units {
        for (list, late) in [("overdue", true), ("due_soon", false)] {
            for item in u[list].as_array().unwrap() {
                let due = chrono::DateTime::parse_from_rfc3339(item["due"].as_str().unwrap()).unwrap();
                assert_eq!(due <= generated, late, "{item}");
                // (to the second, as the API writes instants)
                assert!(due <= generated + chrono::Duration::hours(24), "{item}");
                assert!(["sign", "respond", "resolve"].contains(&item["step"].as_str().unwrap()), "{item}");
                assert!(seen.insert(item["id"].as_str().unwrap().to_owned()), "each ticket once: {item}");
            }
        }
    }
    // A complaint just received falls due within the day (signing for it, a repair's working day).
    let (_, fresh) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "sanitation")).await;
    let (_, week) = t.get("/api/v1/towns/zhongxing/digest?hours=168", &c.office).await;
    let listed = week["units"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["due_soon"].as_array().unwrap().iter().chain(u["overdue"].as_array().unwrap().iter()))
        .any(|i| i["id"] == fresh["id"]);
    assert!(listed, "{week}");
    // The office's callbacks (回访) to reporters of resolved complaints: the demo has some past
    // their time; a unit's own digest has none.
    let late_callbacks = digest["callbacks"]["overdue"].as_array().unwrap();
    assert!(!late_callbacks.is_empty(), "{digest}");
    assert!(late_callbacks.iter().all(|i| i["step"] == "callback" && i["status"] == "resolved"), "{digest}");
    let company = t.login("zhongxing.property_company").await;
    let (_, theirs) = t.get("/api/v1/towns/zhongxing/digest", &company).await;
    assert!(theirs["callbacks"]["overdue"].as_array().unwrap().is_empty(), "{theirs}");
    let (status, body) = t.get("/api/v1/towns/zhongxing/digest?hours=0", &c.office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "hours");
    let resident = t.login("zhongxing.resident").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/digest", &resident).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anhe = t.login("anhe.town_office").await;
    let (status, _) = t.get("/api/v1/towns/zhongxing/digest", &anhe).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn supervision_view(t: &TestStack) {
    let office = t.login("zhongxing.town_office").await;
    // The demo shows the closed loop's states: signed for and not yet taken up, and extension
    // requests waiting for the office.
    let open = t.get_all("/api/v1/complaints?open_only=true&page_size=500", &office).await;
    assert!(
        open.iter().any(|x| x["status"] == "assigned" && x["assignment"]["signed_at"].is_string()),
        "a demo ticket signed for but not accepted"
    );
    assert!(open.iter().any(|x| x["pending_extension"]["reason"].is_string()), "a demo extension request waiting");
    let (status, view) = t.get("/api/v1/towns/zhongxing/supervision", &office).await;
    assert_eq!(status, StatusCode::OK);
    for (key, label) in [
        ("check_effect", "查成效"),
        ("check_progress", "查进度"),
        ("check_cause", "查原因"),
        ("check_accountability", "查责任"),
    ] {
        let group = &view["groups"][key];
        assert_eq!(group["label"], label);
        assert!(group["count"].as_u64().unwrap() > 0, "{key} is empty");
        assert!(group["items"].as_array().unwrap().iter().all(|x| x["supervision"] == key));
    }
}

async fn repeats_and_merge(t: &TestStack, c: &Ctx) {
    let resident = t.login("zhongxing.resident").await;
    let (_, first) =
        t.post("/api/v1/complaints", &resident, complaint(&c.self_governed_estate, "neighbour_dispute")).await;
    let (_, second) =
        t.post("/api/v1/complaints", &c.office, complaint(&c.self_governed_estate, "neighbour_dispute")).await;
    let first_id = first["id"].as_str().unwrap();
    let second_id = second["id"].as_str().unwrap();
    // The earliest open complaint about the same estate and category is the one it may repeat.
    let repeat_of = second["possible_repeat_of"].as_str().expect("flagged as a possible repeat");
    let (_, original) = t.get(&format!("/api/v1/complaints/{repeat_of}"), &c.office).await;
    assert_eq!(original["estate_id"], first["estate_id"]);
    assert_eq!(original["category"], "neighbour_dispute");
    let flagged = t.get_all("/api/v1/complaints?possible_repeats=true&page_size=500", &c.office).await;
    assert!(flagged.iter().any(|x| x["id"] == second_id));

    let community = t.login("zhongxing.community").await;
    let (status, _) =
        t.post(&format!("/api/v1/complaints/{second_id}/merge"), &community, json!({"into": repeat_of})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        t.post(&format!("/api/v1/complaints/{second_id}/merge"), &c.office, json!({"into": second_id})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "into_id");
    // Both are new and inside their deadlines: in progress, not yet a matter of accountability.
    for id in [first_id, second_id] {
        let (_, ticket) = t.get(&format!("/api/v1/complaints/{id}"), &c.office).await;
        assert_eq!(ticket["supervision"], "check_progress", "{ticket}");
    }
    let count = |view: &serde_json::Value, key: &str| view["groups"][key]["count"].as_u64().unwrap();
    let (_, before) = t.get("/api/v1/towns/zhongxing/supervision", &c.office).await;
    let (status, merged) = t
        .post(
            &format!("/api/v1/complaints/{second_id}/merge"),
            &c.office,
            json!({"into": repeat_of, "note": "同一问题"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!((merged["status"].as_str(), merged["merged_into"].as_str()), (Some("closed"), Some(repeat_of)));
    // A merged repeat fixed nothing: it leaves the progress check and does not join the effect check.
    let (_, after) = t.get("/api/v1/towns/zhongxing/supervision", &c.office).await;
    assert_eq!(count(&after, "check_effect"), count(&before, "check_effect"), "{after}");
    assert_eq!(count(&after, "check_progress") + 1, count(&before, "check_progress"), "{after}");
    let (status, body) =
        t.post(&format!("/api/v1/complaints/{second_id}/merge"), &c.office, json!({"into": repeat_of})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let (_, kept) = t.get(&format!("/api/v1/complaints/{repeat_of}"), &c.office).await;
    assert!(kept["timeline"].as_array().unwrap().iter().any(|e| e["action"] == "merge"));
    let flagged = t.get_all("/api/v1/complaints?possible_repeats=true&page_size=500", &c.office).await;
    assert!(flagged.iter().all(|x| x["id"] != second_id), "a merged complaint is no longer flagged");
    let _ = first_id;
}

/// An owner representative's account belongs to an estate: they see its tickets, and as the
/// co-handler of an owners'-committee matter they add progress to it.
/// Many residents report the same outage at once (their submissions are written together, see
/// dispatch's group_commit): every one is stored, all point at one original, and concurrent
/// retries of one submission make one ticket.
async fn burst_on_one_estate(t: &TestStack, c: &Ctx) {
    let burst =
        (0..16).map(|_| t.post("/api/v1/complaints", &c.office, complaint(&c.unmanaged_estate, "illegal_stall")));
    let answers = futures::future::join_all(burst).await;
    let mut ids = std::collections::HashSet::new();
    let mut originals = std::collections::HashSet::new();
    for (status, ticket) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{ticket}");
        ids.insert(ticket["id"].as_str().unwrap().to_owned());
        // The original is the earliest open one: either an earlier ticket or one of the burst.
        let original = ticket["possible_repeat_of"].as_str().or(ticket["id"].as_str()).unwrap();
        originals.insert(original.to_owned());
    }
    assert_eq!(ids.len(), 16, "every complaint stored once");
    assert_eq!(originals.len(), 1, "one original for the whole burst: {answers:?}");
    let retry = || {
        t.http
            .post(format!("{}/api/v1/complaints", t.base))
            .bearer_auth(&c.office)
            .header("Idempotency-Key", "burst-retry-1")
            .json(&complaint(&c.unmanaged_estate, "illegal_stall"))
            .send()
    };
    let retries = futures::future::join_all((0..6).map(|_| retry())).await;
    let mut retried = std::collections::HashSet::new();
    for r in retries {
        let r = r.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        retried.insert(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(retried.len(), 1, "concurrent retries of one submission: one ticket");
}

async fn owner_representatives_co_handle(t: &TestStack, c: &Ctx) {
    let owner = t.login("zhongxing.owner_rep").await;
    let (_, me) = t.get("/api/v1/me", &owner).await;
    let estate = me["estate_id"].as_str().expect("the demo owner representative has an estate").to_owned();
    assert_eq!(me["display_name"], "业主代表 李淑芬", "{me}");
    let (status, matter) = t.post("/api/v1/complaints", &c.office, complaint(&estate, "owners_committee")).await;
    assert_eq!(status, StatusCode::CREATED, "{matter}");
    assert!(!matter["assignment"]["co_handler_unit_ids"].as_array().unwrap().is_empty(), "{matter}");
    let path = format!("/api/v1/complaints/{}", matter["id"].as_str().unwrap());
    let (status, seen) = t.get(&path, &owner).await;
    assert_eq!(status, StatusCode::OK, "a co-handler sees the ticket it is named on: {seen}");
    let (status, body) = t.post(&format!("{path}/progress"), &owner, json!({"note": "已召集业主代表协商"})).await;
    assert_eq!(status, StatusCode::OK, "and works it: {body}");
    // The phone number stays with those who call the reporter back.
    assert_ne!(seen["reporter"]["phone"], "13812345678", "{seen}");
    let listed = t.get_all("/api/v1/complaints?town=zhongxing&page_size=100", &owner).await;
    assert!(listed.iter().any(|x| x["id"] == matter["id"]), "their estate's tickets are listed");
    assert!(listed.iter().all(|x| x["estate_id"] == estate.as_str()), "and only those");
    // A ticket of another estate stays out of sight.
    let other = if c.managed_estate != estate { &c.managed_estate } else { &c.unmanaged_estate };
    let (_, elsewhere) = t.post("/api/v1/complaints", &c.office, complaint(other, "owners_committee")).await;
    let (status, _) = t.get(&format!("/api/v1/complaints/{}", elsewhere["id"].as_str().unwrap()), &owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only an owner representative's account has an estate, and it must be the town's.
    let account = |role: &str, estate: &str| {
        json!({"username": format!("test.{role}.{}", estate.len()), "password": "long-enough-1", "role": role,
               "display_name": "测试", "estate_id": estate})
    };
    let (status, body) = t.post("/api/v1/towns/zhongxing/accounts", &c.office, account("police", &estate)).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "estate_id");
    let (status, body) = t.post("/api/v1/towns/zhongxing/accounts", &c.office, account("owner_rep", "nope")).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "estate_id");
    let (status, body) = t.post("/api/v1/towns/zhongxing/accounts", &c.office, account("owner_rep", &estate)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["estate_id"], estate.as_str());
}

/// A principal of another county (a county administrator made with `wuguan init-county` looks
/// like this) reaches none of Zhongxing's complaints: every dispatch operation answers 404 as
/// for a town that does not exist, and nothing is written. The county's own administrator
/// naming a town that does not exist gets the same 404.
async fn another_county_reaches_nothing(t: &TestStack, c: &Ctx) {
    use wuguan_proto::dispatch::v1 as dpb;
    let signer = wuguan_platform::identity::TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let stranger = wuguan_platform::Principal {
        subject: "shuyang.admin".into(),
        role: wuguan_platform::Role::County,
        town: None,
        county: "shuyang".into(),
        unit: None,
        estate: None,
    };
    let stranger = signer.sign(&stranger, std::time::Duration::from_secs(600)).unwrap();
    let (status, ticket) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "repair")).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let path = format!("/api/v1/complaints/{}", ticket["id"].as_str().unwrap());
    let (_, rules_before) = t.get("/api/v1/towns/zhongxing/routing-rules", &c.office).await;
    let count = || async { t.get_all("/api/v1/complaints?town=zhongxing&page_size=200", &c.office).await.len() };
    let tickets_before = count().await;
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={today}", today - chrono::Duration::days(7));
    let rule = json!({"target": "community", "response_amount": 1, "resolution_amount": 1, "initial_level": 2});
    let mut back_dated = complaint(&c.managed_estate, "security");
    back_dated["reported_at"] = json!("2025-10-02T08:00:00+08:00");
    let operations: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, "/api/v1/complaints".into(), Some(back_dated)),
        (Method::GET, "/api/v1/complaints?town=zhongxing".into(), None),
        (Method::GET, path.clone(), None),
        (Method::POST, format!("{path}/accept"), Some(json!({"measures": "x"}))),
        (Method::POST, format!("{path}/reject"), Some(json!({"reason_code": "other", "reason": "x"}))),
        (
            Method::POST,
            format!("{path}/reassign"),
            Some(json!({"unit_id": ticket["assignment"]["unit_id"], "note": "x"})),
        ),
        (Method::POST, format!("{path}/extend"), Some(json!({"deadline": "2099-01-01T00:00:00+08:00", "note": "x"}))),
        (Method::POST, format!("{path}/progress"), Some(json!({"note": "x"}))),
        (Method::POST, format!("{path}/resolve"), Some(resolution("x"))),
        (Method::POST, format!("{path}/verify"), Some(json!({"satisfaction": "satisfied"}))),
        (Method::POST, format!("{path}/reopen"), Some(json!({"reason": "x"}))),
        (Method::POST, format!("{path}/escalate"), Some(json!({"note": "x"}))),
        (Method::POST, format!("{path}/merge"), Some(json!({"into": ticket["id"]}))),
        (Method::GET, "/api/v1/towns/zhongxing/routing-rules".into(), None),
        (Method::PUT, "/api/v1/towns/zhongxing/routing-rules/repair".into(), Some(rule.clone())),
        (Method::GET, "/api/v1/towns/zhongxing/reply-templates".into(), None),
        (Method::GET, "/api/v1/towns/zhongxing/returns".into(), None),
        (Method::GET, "/api/v1/towns/zhongxing/return-reasons".into(), None),
        (
            Method::PUT,
            "/api/v1/towns/zhongxing/return-reasons".into(),
            Some(json!({"reasons": [{"code": "other", "active": true}]})),
        ),
        (Method::PUT, "/api/v1/towns/zhongxing/reply-templates/repair".into(), Some(json!({"headings": ["结果"]}))),
        (Method::GET, format!("/api/v1/towns/zhongxing/stats/complaints?{range}"), None),
        (Method::GET, "/api/v1/towns/zhongxing/supervision".into(), None),
        (Method::GET, format!("/api/v1/towns/zhongxing/county-report?{range}"), None),
    ];
    for (method, target, body) in &operations {
        let (status, answer) = t.send(method.clone(), target, Some(&stranger), body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {target}: {answer}");
    }
    assert_eq!(count().await, tickets_before, "nothing was submitted");
    let (_, rules_after) = t.get("/api/v1/towns/zhongxing/routing-rules", &c.office).await;
    assert_eq!(rules_after, rules_before, "no rule was changed");
    let (_, seen) = t.get(&path, &c.office).await;
    assert_eq!(
        (seen["status"].as_str(), seen["level"].as_i64()),
        (ticket["status"].as_str(), ticket["level"].as_i64())
    );

    // Over gRPC too: the assessment's tally and the watch stream.
    let channel = tonic::transport::Endpoint::from_shared(t.dispatch_url()).unwrap().connect().await.unwrap();
    let mut client = dpb::dispatch_service_client::DispatchServiceClient::new(channel);
    fn authorised<T>(msg: T, token: &str) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        req
    }
    let tally = dpb::TallyTicketsRequest {
        town: "zhongxing".into(),
        from_date: "2025-01-01".into(),
        to_date: "2025-12-31".into(),
    };
    assert_eq!(client.tally_tickets(authorised(tally, &stranger)).await.unwrap_err().code(), tonic::Code::NotFound);
    let watch = dpb::WatchTicketsRequest { town: "zhongxing".into(), ..Default::default() };
    assert_eq!(client.watch_tickets(authorised(watch, &stranger)).await.unwrap_err().code(), tonic::Code::NotFound);

    // The county's own administrator: a town that does not exist is not found, not written.
    let county = t.login("county.admin").await;
    for (method, target, body) in [
        (Method::PUT, "/api/v1/towns/nosuchtown/routing-rules/repair", Some(rule)),
        (Method::GET, "/api/v1/towns/nosuchtown/routing-rules", None),
        (Method::GET, "/api/v1/complaints?town=nosuchtown", None),
        (Method::GET, "/api/v1/towns/nosuchtown/supervision", None),
    ] {
        let (status, answer) = t.send(method.clone(), target, Some(&county), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {target}: {answer}");
    }
    let (status, _) = t.get("/api/v1/towns/zhongxing/routing-rules", &county).await;
    assert_eq!(status, StatusCode::OK, "its own county's town");
}

/// 临期预警: with three quarters of its time gone and nothing resolved, the sweep warns the unit
/// once — on the timeline and the ticket, not on the public tracking page; a fresh complaint is
/// not warned.
async fn warnings_before_breach(store: Store) {
    let fast_sweep = |c: &mut wuguan::stack::StackConfig| c.sweep.interval = std::time::Duration::from_millis(200);
    let Some(t) = TestStack::start_configured(store, fast_sweep).await else { return };
    let c = setup(&t).await;
    // A repair (seven days to resolve) reported six days ago, and one reported now.
    let six_days_ago = (chrono::Utc::now() - chrono::Duration::days(6)).to_rfc3339();
    let mut old = complaint(&c.managed_estate, "repair");
    old["reported_at"] = json!(six_days_ago);
    let (status, old) = t.post("/api/v1/complaints", &c.office, old).await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    let (_, fresh) = t.post("/api/v1/complaints", &c.office, complaint(&c.managed_estate, "repair")).await;
    let path = format!("/api/v1/complaints/{}", old["id"].as_str().unwrap());
    let mut warned = Value::Null;
    for _ in 0..100 {
        let (_, now) = t.get(&path, &c.office).await;
        if now["warned_at"].is_string() {
            warned = now;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(warned["warned_at"].is_string(), "the sweep warned it within 10 s");
    let warnings = warned["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "warn").count();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (_, later) = t.get(&path, &c.office).await;
    let again = later["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "warn").count();
    assert_eq!((warnings, again), (1, 1), "one warning, however many sweeps: {later}");
    let (_, fresh_now) = t.get(&format!("/api/v1/complaints/{}", fresh["id"].as_str().unwrap()), &c.office).await;
    assert!(fresh_now["warned_at"].is_null(), "{fresh_now}");
    let code = old["tracking_code"].as_str().unwrap();
    let (_, tracked) = t.send(Method::GET, &format!("/api/v1/track/{code}"), None, None).await;
    assert!(tracked["timeline"].as_array().unwrap().iter().all(|e| e["action"] != "warn"), "{tracked}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_on_sqlite() {
    warnings_before_breach(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_on_postgres() {
    warnings_before_breach(Store::Postgres).await;
}
