//! The HTTP API end to end: the whole stack in-process, on SQLite and on Postgres.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Store, TestStack, assert_error};

async fn suite(store: Store) {
    let Some(t) = TestStack::start(store).await else {
        return;
    };
    health_and_openapi(&t).await;
    sign_in(&t).await;
    summary_and_coverage(&t).await;
    town_isolation(&t).await;
    auth_failures(&t).await;
    estate_writes(&t).await;
    pagination(&t).await;
    csv_round_trip(&t).await;
    limits_and_unknown_routes(&t).await;
    people_and_phones(&t).await;
    passwords(&t).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_on_sqlite() {
    suite(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_on_postgres() {
    suite(Store::Postgres).await;
}

async fn health_and_openapi(t: &TestStack) {
    let (status, body) = t.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["services"]["registry"], "serving");

    let (status, doc) = t.send(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&doc, wuguan_gateway::openapi::document(), "the served document is the one the tests check against");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "operationId {id} is used twice");
            let responses = op["responses"].as_object().unwrap();
            let success = responses.keys().find(|k| k.starts_with('2')).expect("a success response");
            if success != "204" {
                assert!(
                    responses[success]["content"]
                        .as_object()
                        .is_some_and(|c| c.values().all(|m| m.get("schema").is_some())),
                    "{method} {path}: its {success} response has no schema"
                );
            }
            assert!(responses.contains_key("4XX"), "{method} {path}: errors undocumented");
            // Every documented operation is routed: without a token it is 401 or 400, never
            // "no such route" (and `send` checks the answer against the document).
            let concrete: String = path
                .split('/')
                .map(|seg| match seg {
                    "{town}" => "zhongxing",
                    s if s.starts_with('{') => "x",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = t.send(m, &concrete, None, Some(json!({}))).await;
            assert_ne!(body["error"]["message"], "no such route", "{method} {path} is not routed");
            assert!(status.as_u16() < 500, "{method} {path}: {status} {body}");
        }
    }
    assert!(operation_ids.len() >= 70, "{operation_ids:?}");
    let operation = |id: &str| -> Value {
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .find(|op| op["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"))
            .clone()
    };
    let parameters = |id: &str| -> Vec<String> {
        operation(id)["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    // Every list takes the page parameters; filters, ranges and formats are declared.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let schema = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap_or("");
        if schema.starts_with("#/components/schemas/Page_") {
            let names = parameters(get["operationId"].as_str().unwrap());
            assert!(
                names.contains(&"page_size".to_owned()) && names.contains(&"page_token".to_owned()),
                "{path}: {names:?}"
            );
        }
    }
    for (id, expected) in [
        ("list_complaints", &["status", "category", "estate_id", "unit_id", "source", "from", "to", "open_only"][..]),
        ("list_estates", &["management_mode", "is_old_estate", "target", "q"][..]),
        ("import_estates", &["town", "dry_run"][..]),
        ("get_bulletin", &["town", "month", "format"][..]),
        ("get_county_report", &["from", "to", "format"][..]),
        ("get_assessment", &["period"][..]),
        ("create_estate", &["Idempotency-Key"][..]),
    ] {
        let names = parameters(id);
        for name in expected {
            assert!(names.iter().any(|n| n == name), "{id} lacks the parameter {name}: {names:?}");
        }
    }
    // Bearer tokens unless an operation says otherwise: public ones declare no auth, and
    // submitting a complaint takes a token or none.
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    for id in
        ["login", "town_directory", "get_vocabulary", "track_complaint", "rate_complaint", "healthz", "get_openapi"]
    {
        assert_eq!(operation(id)["security"], json!([]), "{id} is public");
    }
    assert_eq!(operation("submit_complaint")["security"], json!([{}, {"bearer": []}]));
    assert!(operation("list_estates").get("security").is_none(), "list_estates needs a token");
    // No API route is registered outside the documented registration.
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/gateway/src/lib.rs")).unwrap();
    assert!(!lib.contains(".route(\"/api/"), "gateway/src/lib.rs routes an API path by hand");

    // The vocabulary is the contracts' own, without signing in: the same words the console prints.
    let (status, vocab) = t.send(Method::GET, "/api/v1/vocabulary", None, None).await;
    assert_eq!(status, StatusCode::OK, "{vocab}");
    let categories = vocab["enums"]["wuguan.dispatch.v1.Category"].as_array().expect("categories");
    assert_eq!(categories.len(), wuguan_proto::vocab::dispatch::Category::ALL.len(), "{categories:?}");
    assert!(categories.contains(&json!({"number": 13, "name": "missing_facilities", "label_zh": "配套设施缺失"})));
    assert!(categories.contains(&json!({"number": 6, "name": "sanitation", "label_zh": "环境卫生"})));
    let grades = vocab["enums"]["wuguan.assessment.v1.Grade"].as_array().expect("grades");
    assert_eq!(grades[0], json!({"number": 1, "name": "excellent", "label_zh": "优秀"}));
    // The document lists an enum field's names from the same source.
    let complaint = &doc["paths"]["/api/v1/complaints"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(complaint["$ref"], "#/components/schemas/SubmitInput");
    let submit = &doc["components"]["schemas"]["SubmitInput"];
    assert_eq!(submit["properties"]["category"]["$ref"], "#/components/schemas/Category");
    let names = doc["components"]["schemas"]["Category"]["enum"].as_array().expect("category enum");
    assert_eq!(names.len(), categories.len());
    assert!(names.contains(&json!("building_quality")));
}

async fn sign_in(t: &TestStack) {
    let (status, body) = t
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhongxing.town_office", "password": "wrong"})),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) =
        t.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "nobody", "password": "demo"}))).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) = t.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "x"}))).await;
    let err = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    assert!(err["message"].as_str().unwrap().contains("password"), "{body}");
    let (status, body) = t
        .send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "x", "password": "y", "extra": 1})))
        .await;
    let err = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    assert_eq!(err["field"], "extra");

    let token = t.login("zhongxing.police").await;
    let (status, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["role"].as_str(), me["town"].as_str()), (Some("police"), Some("zhongxing")));
    assert!(me["unit_id"].is_string());
}

async fn summary_and_coverage(t: &TestStack) {
    let token = t.login("zhongxing.town_office").await;
    let (status, s) = t.get("/api/v1/towns/zhongxing/summary", &token).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["estates"], 65);
    assert_eq!(s["planned_floor_area_m2"], 4_770_000);
    assert_eq!(s["built_floor_area_m2"], 3_750_000);
    assert_eq!(s["designed_households"], 33_873);
    assert_eq!(s["occupied_households"], 16_458);
    assert_eq!(s["residents"], 57_694);

    let (status, c) = t.get("/api/v1/towns/zhongxing/coverage", &token).await;
    assert_eq!(status, StatusCode::OK);
    let old = c["old_estates"].as_u64().unwrap();
    let covered = c["with_property_company"].as_u64().unwrap() + c["self_governed"].as_u64().unwrap();
    assert_eq!(c["uncovered"].as_u64().unwrap(), old - covered);
    assert_eq!(c["uncovered_estates"].as_array().unwrap().len() as u64, old - covered);
    let rate = c["coverage_rate"].as_f64().unwrap();
    assert!((rate - covered as f64 / old as f64).abs() < 1e-9);

    let county = t.login("county.admin").await;
    let (_, towns) = t.get("/api/v1/towns", &county).await;
    assert_eq!(towns["items"].as_array().unwrap().len(), 2);
    let (status, s) = t.get("/api/v1/towns/anhe/summary", &county).await;
    assert_eq!((status, s["estates"].as_u64()), (StatusCode::OK, Some(4)));
    let (status, _) = t.get("/api/v1/towns/zhongxing/summary", &county).await;
    assert_eq!(status, StatusCode::OK);
}

async fn town_isolation(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    let anhe = t.login("anhe.town_office").await;
    let estates = t.get_all("/api/v1/towns/zhongxing/estates?page_size=100", &zx).await;
    let estate_id = estates[0]["id"].as_str().unwrap().to_owned();
    let (_, communities) = t.get("/api/v1/towns/zhongxing/communities", &zx).await;
    let community_id = communities["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, companies) = t.get("/api/v1/towns/zhongxing/property-companies", &zx).await;
    let company_id = companies["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, units) = t.get("/api/v1/towns/zhongxing/units", &zx).await;
    let unit_id = units["items"][0]["id"].as_str().unwrap().to_owned();

    let (_, towns) = t.get("/api/v1/towns", &anhe).await;
    assert_eq!(towns["items"].as_array().unwrap().len(), 1);
    for path in [
        "/api/v1/towns/zhongxing".to_owned(),
        "/api/v1/towns/zhongxing/summary".to_owned(),
        "/api/v1/towns/zhongxing/coverage".to_owned(),
        "/api/v1/towns/zhongxing/estates".to_owned(),
        "/api/v1/towns/zhongxing/estates/export".to_owned(),
        "/api/v1/towns/zhongxing/communities".to_owned(),
        "/api/v1/towns/zhongxing/property-companies".to_owned(),
        "/api/v1/towns/zhongxing/units".to_owned(),
        "/api/v1/towns/zhongxing/persons".to_owned(),
        "/api/v1/towns/zhongxing/accounts".to_owned(),
        format!("/api/v1/estates/{estate_id}"),
        format!("/api/v1/estates/{estate_id}/changes"),
        format!("/api/v1/estates/{estate_id}/routing"),
        format!("/api/v1/communities/{community_id}"),
        format!("/api/v1/property-companies/{company_id}"),
        format!("/api/v1/units/{unit_id}"),
    ] {
        let (status, body) = t.get(&path, &anhe).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    // Writes into another town are 404 too, and change nothing.
    let (status, body) = t.patch(&format!("/api/v1/estates/{estate_id}"), &anhe, json!({"residents": 1})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post("/api/v1/towns/zhongxing/communities", &anhe, json!({"name": "入侵社区"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (_, after) = t.get(&format!("/api/v1/estates/{estate_id}"), &zx).await;
    assert_eq!(after["residents"], estates[0]["residents"]);
    // An estate cannot be created in one town under another town's community.
    let (_, anhe_communities) = t.get("/api/v1/towns/anhe/communities", &anhe).await;
    assert_eq!(anhe_communities["items"].as_array().unwrap().len(), 1);
    let (status, body) = t.post("/api/v1/towns/anhe/estates", &anhe, estate_body(&community_id, "越界小区")).await;
    let err = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    assert_eq!(err["field"], "community_id");
}

fn estate_body(community_id: &str, name: &str) -> Value {
    json!({
        "community_id": community_id,
        "name": name,
        "planned_floor_area_m2": 20000,
        "built_floor_area_m2": 20000,
        "designed_households": 200,
        "occupied_households": 150,
        "residents": 480,
        "is_old_estate": true
    })
}

async fn auth_failures(t: &TestStack) {
    let (status, body) = t.send(Method::GET, "/api/v1/towns/zhongxing/summary", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) = t.get("/api/v1/towns/zhongxing/summary", "not.a.token").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    // A token signed with another key is refused.
    let other = wuguan_platform::identity::KeyPair::generate().unwrap();
    let forged = wuguan_platform::identity::TokenSigner::from_pem(&other.private_pem)
        .unwrap()
        .sign(
            &wuguan_platform::Principal {
                subject: "x".into(),
                role: wuguan_platform::Role::County,
                town: None,
                county: "demo".into(),
                unit: None,
                estate: None,
            },
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let (status, body) = t.get("/api/v1/towns/zhongxing/summary", &forged).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");

    let police = t.login("zhongxing.police").await;
    let (_, communities) = t.get("/api/v1/towns/zhongxing/communities", &police).await;
    let community_id = communities["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) =
        t.post("/api/v1/towns/zhongxing/estates", &police, estate_body(&community_id, "警察建的小区")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.get("/api/v1/towns/zhongxing/accounts", &police).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
}

async fn estate_count(t: &TestStack, token: &str) -> usize {
    t.get_all("/api/v1/towns/zhongxing/estates?page_size=500", token).await.len()
}

async fn estate_writes(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    let (_, communities) = t.get("/api/v1/towns/zhongxing/communities", &zx).await;
    let community_id = communities["items"][0]["id"].as_str().unwrap().to_owned();
    let before = estate_count(t, &zx).await;

    // Bad input names the field and writes nothing.
    let mut bad = estate_body(&community_id, "坏数据小区");
    bad["built_floor_area_m2"] = json!(30000);
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "built_floor_area_m2"
    );
    let mut bad = estate_body(&community_id, "坏数据小区");
    bad["occupied_households"] = json!(201);
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "occupied_households"
    );
    let mut bad = estate_body(&community_id, "坏数据小区");
    bad["residents"] = json!("many");
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "residents");
    let mut bad = estate_body(&community_id, "坏数据小区");
    bad["management_mode"] = json!("company");
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "management_mode");
    let mut bad = estate_body(&community_id, "坏数据小区");
    bad["management_mode"] = json!("property_company");
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "property_company_id"
    );
    let mut bad = estate_body(&community_id, "");
    bad["name"] = json!("   ");
    let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, bad).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "name");
    // A name that reads differently from what it is (RTL override), or hides a NUL or a
    // zero-width character, is refused by field; nothing is written.
    for hidden in ["假\u{202E}区小", "阳光\u{0}花园", "阳光\u{200B}花园"] {
        let (status, body) = t.post("/api/v1/towns/zhongxing/estates", &zx, estate_body(&community_id, hidden)).await;
        let error = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
        assert_eq!(error["field"], "name", "{hidden:?}");
        assert!(error["message_zh"].as_str().unwrap().contains("不可见字符"), "{body}");
    }
    let (status, body) = t.send(Method::POST, "/api/v1/towns/zhongxing/estates", Some(&zx), None).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    let existing_name = t.get_all("/api/v1/towns/zhongxing/estates?page_size=1", &zx).await[0]["name"].clone();
    let (status, body) = t
        .post("/api/v1/towns/zhongxing/estates", &zx, estate_body(&community_id, existing_name.as_str().unwrap()))
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::CONFLICT, "already_exists")["field"], "name");
    assert_eq!(estate_count(t, &zx).await, before);

    // Create, retried with the same Idempotency-Key: one estate.
    let create = |key: &'static str| {
        t.http
            .post(format!("{}/api/v1/towns/zhongxing/estates", t.base))
            .bearer_auth(&zx)
            .header("Idempotency-Key", key)
            .json(&estate_body(&community_id, "新建老旧小区"))
            .send()
    };
    let first = create("estate-create-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second: Value = create("estate-create-1").await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["target"], "standard");
    assert_eq!(first["management_mode"], "none");
    assert_eq!(first["owners_committee"], "none");
    assert_eq!(first["property_company_id"], Value::Null);
    assert_eq!(estate_count(t, &zx).await, before + 1);

    // Patch with a stale version conflicts; a good patch is recorded in the history.
    let id = first["id"].as_str().unwrap();
    let (status, body) =
        t.patch(&format!("/api/v1/estates/{id}"), &zx, json!({"residents": 500, "expected_version": 7})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "aborted");
    let (_, companies) = t.get("/api/v1/towns/zhongxing/property-companies", &zx).await;
    let company_id = companies["items"][0]["id"].as_str().unwrap();
    let (status, patched) = t
        .patch(
            &format!("/api/v1/estates/{id}"),
            &zx,
            json!({"residents": 500, "management_mode": "property_company", "property_company_id": company_id,
                   "security": {"guards": 2}, "expected_version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!((patched["residents"].as_i64(), patched["version"].as_i64()), (Some(500), Some(2)));
    assert_eq!(patched["security"]["guards"], 2);
    let (status, body) = t.patch(&format!("/api/v1/estates/{id}"), &zx, json!({"planned_floor_area_m2": -5})).await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "planned_floor_area_m2"
    );
    let history = t.get_all(&format!("/api/v1/estates/{id}/changes"), &zx).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["actor"], "zhongxing.town_office");
    let fields: Vec<&str> =
        history[1]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["residents", "management_mode", "property_company_id", "guards"]);

    // Routing facts name the estate's community and company units with their persons.
    let (status, facts) = t.get(&format!("/api/v1/estates/{id}/routing"), &zx).await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> =
        facts["units"].as_array().unwrap().iter().map(|u| u["unit_type"].as_str().unwrap()).collect();
    for expected in
        ["community", "property_company", "police", "urban_management", "town_office", "construction_bureau"]
    {
        assert!(types.contains(&expected), "{expected} missing from {types:?}");
    }
    assert!(facts["units"].as_array().unwrap().iter().all(|u| u["person_name"].is_string()));

    // Other ledger creates.
    let (status, c) =
        t.post("/api/v1/towns/zhongxing/communities", &zx, json!({"name": "新城社区", "party_secretary": "王"})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, u) =
        t.post("/api/v1/towns/zhongxing/units", &zx, json!({"unit_type": "developer", "name": "某开发公司"})).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let (status, body) = t.post("/api/v1/towns/zhongxing/units", &zx, json!({"unit_type": "army", "name": "x"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "unit_type");
    let (status, p) = t
        .post(
            "/api/v1/towns/zhongxing/persons",
            &zx,
            json!({"unit_id": u["id"], "name": "赵经理", "phone": "13912345678", "designated": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, body) = t
        .post("/api/v1/towns/zhongxing/persons", &zx, json!({"unit_id": u["id"], "name": "钱", "phone": "call me"}))
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "phone");
    let (status, a) = t
        .post(
            "/api/v1/towns/zhongxing/accounts",
            &zx,
            json!({"username": "zhongxing.dev1", "password": "longenough", "role": "property_company", "unit_id": u["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (status, token) = t
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhongxing.dev1", "password": "longenough"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let (status, body) = t
        .post("/api/v1/towns/zhongxing/accounts", &zx, json!({"username": "x", "password": "short", "role": "police"}))
        .await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "username");
}

async fn pagination(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    let all = t.get_all("/api/v1/towns/zhongxing/estates?page_size=10", &zx).await;
    let mut ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "a page repeated an estate");
    assert!(n >= 65);
    let (status, page) = t.get("/api/v1/towns/zhongxing/estates?page_size=100000", &zx).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().unwrap().len() <= 500);
    let (status, body) = t.get("/api/v1/towns/zhongxing/estates?page_size=abc", &zx).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "page_size");
    let (status, body) = t.get("/api/v1/towns/zhongxing/estates?page_token=%27%20OR%201%3D1", &zx).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "page_token");
    let (status, body) = t.get("/api/v1/towns/zhongxing/estates?colour=red", &zx).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "colour");
    let (status, body) = t.get("/api/v1/towns/zhongxing/estates?target=gold", &zx).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "target");
    let boutique = t.get_all("/api/v1/towns/zhongxing/estates?target=boutique", &zx).await;
    assert!(!boutique.is_empty());
    assert!(
        boutique.iter().all(|e| e["target"] == "boutique" && e["planned_floor_area_m2"].as_i64().unwrap() >= 100_000)
    );
    let old = t.get_all("/api/v1/towns/zhongxing/estates?is_old_estate=true&management_mode=none", &zx).await;
    assert!(!old.is_empty());
    assert!(old.iter().all(|e| e["is_old_estate"] == true && e["management_mode"] == "none"));
}

async fn csv_round_trip(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    let before = estate_count(t, &zx).await;
    let resp =
        t.http.get(format!("{}/api/v1/towns/zhongxing/estates/export", t.base)).bearer_auth(&zx).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    assert!(csv.contains("小区名称(name)"));
    assert_eq!(csv.trim_end().lines().count(), before + 1);

    let import = |body: String, dry_run: bool| {
        t.http
            .post(format!("{}/api/v1/towns/zhongxing/estates/import?dry_run={dry_run}", t.base))
            .bearer_auth(&zx)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    // Importing the export changes nothing.
    let resp = import(csv.clone(), false).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!((body["created"].as_u64(), body["updated"].as_u64()), (Some(0), Some(0)), "{body}");

    // One new row and one bad row: the bad row is reported by line and field; nothing is written.
    let header = csv.lines().next().unwrap();
    let community = "城东社区";
    let good = format!("导入新小区,{community},新路1号,30000,30000,300,200,650,是,无,,未成立,规范小区,0,0,否,是");
    let bad = format!("导入坏小区,{community},新路2号,30000,40000,300,200,650,是,无,,未成立,规范小区,0,0,否,是");
    let resp = import(format!("{header}\n{good}\n{bad}\n"), false).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_argument");
    assert_eq!(body["errors"][0]["line"], 3, "{body}");
    assert_eq!(body["errors"][0]["field"], "built_floor_area_m2");
    assert_eq!(estate_count(t, &zx).await, before);

    // English headers, a dry run, then the real import.
    let english = "name,community,planned_floor_area_m2,built_floor_area_m2,designed_households,occupied_households,residents,is_old_estate\n\
                   导入新小区,城东社区,30000,30000,300,200,650,true\n";
    let body: Value = import(english.to_owned(), true).await.unwrap().json().await.unwrap();
    assert_eq!((body["created"].as_u64(), body["dry_run"].as_bool()), (Some(1), Some(true)), "{body}");
    assert_eq!(estate_count(t, &zx).await, before);
    let body: Value = import(english.to_owned(), false).await.unwrap().json().await.unwrap();
    assert_eq!(body["created"], 1, "{body}");
    assert_eq!(estate_count(t, &zx).await, before + 1);

    // A name that a spreadsheet would run as a formula exports as text, and imports back as typed.
    let formula = "name,community,planned_floor_area_m2,built_floor_area_m2,designed_households,occupied_households,residents,is_old_estate\n\
                   =1+2+3,城东社区,30000,30000,300,200,650,true\n";
    let body: Value = import(formula.to_owned(), false).await.unwrap().json().await.unwrap();
    assert_eq!(body["created"], 1, "{body}");
    let export = || async {
        let url = format!("{}/api/v1/towns/zhongxing/estates/export", t.base);
        t.http.get(url).bearer_auth(&zx).send().await.unwrap().text().await.unwrap()
    };
    let exported = export().await;
    assert!(exported.lines().any(|l| l.starts_with("'=1+2+3,")), "{exported}");
    assert!(!exported.lines().any(|l| l.starts_with("=1+2+3")), "no cell starts a formula");
    let body: Value = import(exported, false).await.unwrap().json().await.unwrap();
    assert_eq!((body["created"].as_u64(), body["updated"].as_u64()), (Some(0), Some(0)), "{body}");

    let resp = import("小区名称,颜色\n甲,红\n".to_owned(), false).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let police = t.login("zhongxing.police").await;
    let resp = t
        .http
        .post(format!("{}/api/v1/towns/zhongxing/estates/import", t.base))
        .bearer_auth(&police)
        .header("content-type", "text/csv")
        .body(english.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Only a CSV's content types are read: a JSON body (or a form) sent here is refused unread.
    for content_type in ["application/json", "application/x-www-form-urlencoded"] {
        let resp = t
            .http
            .post(format!("{}/api/v1/towns/zhongxing/estates/import", t.base))
            .bearer_auth(&zx)
            .header("content-type", content_type)
            .body(english.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "content-type");
    }
}

async fn limits_and_unknown_routes(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    // Without a token: 401 before any input is judged (a stranger learns nothing from which
    // field is wrong); the operations open to all still judge theirs.
    for path in [
        "/api/v1/towns/zhongxing/stats/complaints?from=not-a-date",
        "/api/v1/towns/zhongxing/county-report?from=0000-01-01&unknown=1",
        "/api/v1/complaints?page_token=zzzz",
    ] {
        let (status, body) = t.send(Method::GET, path, None, None).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let (status, body) = t.send(Method::POST, "/api/v1/towns/zhongxing/estates/import", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    // A page token the list did not give is refused, not read as "from the start".
    for token in ["zzzz", "0193b3c4-0000-7000-8000-000000000000", "x.00000000"] {
        let (status, body) = t.get(&format!("/api/v1/complaints?town=zhongxing&page_token={token}"), &zx).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "page_token");
    }
    // Years no record can have: refused, nothing drafted or written.
    let estate = t.company_estate_with(&zx).await;
    for (date, month) in [("0000-01-01", "0000-01"), ("9999-12-31", "9999-12")] {
        let incident = json!({"estate_id": estate, "date": date, "description": "年份测试"});
        let (status, body) = t.post("/api/v1/towns/zhongxing/incidents", &zx, incident).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "date");
        let (status, body) = t.get(&format!("/api/v1/towns/zhongxing/bulletins/{month}"), &zx).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "month");
        let (status, body) =
            t.get(&format!("/api/v1/towns/zhongxing/stats/complaints?from={date}&to=2026-01-01"), &zx).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "from");
    }
    let (_, incidents) = t.get("/api/v1/towns/zhongxing/incidents?from=2000-01-01&to=2000-12-31", &zx).await;
    assert_eq!(incidents["items"].as_array().map(Vec::len), Some(0), "{incidents}");
    let huge = "x".repeat(wuguan_gateway::MAX_JSON_BODY_BYTES + 1);
    let (status, body) = t.post("/api/v1/towns/zhongxing/communities", &zx, json!({"name": huge})).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let (status, body) = t.get("/api/v1/no/such/route", &zx).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // A body is one JSON value, sent as JSON: trailing bytes and look-alike types are refused.
    let communities = t.get_all("/api/v1/towns/zhongxing/communities", &zx).await.len();
    let post_raw = |content_type: &'static str, body: &'static str| {
        let url = format!("{}/api/v1/towns/zhongxing/communities", t.base);
        t.http.post(url).bearer_auth(&zx).header("content-type", content_type).body(body).send()
    };
    let resp = post_raw("application/json", r#"{"name": "尾巴社区"} trailing"#).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["field"], "body");
    let resp = post_raw("application/json-evil", r#"{"name": "冒充社区"}"#).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(t.get_all("/api/v1/towns/zhongxing/communities", &zx).await.len(), communities, "nothing written");
    let (status, body) = t.send(Method::DELETE, "/api/v1/towns/zhongxing/estates", Some(&zx), None).await;
    assert!(status.is_client_error(), "{status} {body}");
    assert!(body["error"]["code"].is_string());
    let resp = t.http.get(format!("{}/healthz", t.base)).send().await.unwrap();
    assert!(resp.headers().contains_key("x-request-id"));

    // Oversized credentials are refused at the gateway (431, naming the header) while everyone
    // else's requests, sent at the same time over the same gateway, are answered as usual.
    let oversized = |bytes: usize| {
        let token = "x".repeat(bytes);
        let http = t.http.clone();
        let url = format!("{}/api/v1/towns/zhongxing/estates", t.base);
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let legitimate = || {
        let (http, url, token) = (t.http.clone(), format!("{}/api/v1/towns/zhongxing/estates", t.base), zx.clone());
        async move { http.get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    for bytes in [16 * 1024, 100 * 1024] {
        let (refused, others) =
            tokio::join!(oversized(bytes), futures::future::join_all((0..20).map(|_| legitimate())));
        assert_eq!(refused.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "{bytes} bytes");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(
            (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
            (Some("invalid_argument"), Some("authorization"))
        );
        assert!(body["error"]["message_zh"].as_str().unwrap().contains("登录凭证"), "{body}");
        assert!(others.iter().all(|s| *s == StatusCode::OK), "{others:?}");
    }
    let mut many = reqwest::header::HeaderMap::new();
    for k in 0..40 {
        many.insert(
            reqwest::header::HeaderName::from_bytes(format!("x-filler-{k}").as_bytes()).unwrap(),
            "y".repeat(500).parse().unwrap(),
        );
    }
    let resp = t
        .http
        .get(format!("{}/api/v1/towns/zhongxing/estates", t.base))
        .headers(many)
        .bearer_auth(&zx)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

async fn people_and_phones(t: &TestStack) {
    let zx = t.login("zhongxing.town_office").await;
    let resident = t.login("zhongxing.resident").await;
    let staff_view = t.get_all("/api/v1/towns/zhongxing/persons", &zx).await;
    let resident_view = t.get_all("/api/v1/towns/zhongxing/persons", &resident).await;
    assert_eq!(staff_view.len(), resident_view.len());
    let phone = staff_view[0]["phone"].as_str().unwrap();
    assert!(phone.len() == 11 && phone.chars().all(|c| c.is_ascii_digit()), "{phone}");
    let masked = resident_view[0]["phone"].as_str().unwrap();
    assert!(masked.contains("****"), "{masked}");
    assert_ne!(phone, masked);

    // Designating another person of the unit: exactly one designated afterwards.
    let unit = staff_view[0]["unit_id"].as_str().unwrap();
    let (status, added) = t
        .post(
            "/api/v1/towns/zhongxing/persons",
            &zx,
            json!({"unit_id": unit, "name": "孙副所长", "phone": "13900001111", "designated": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let designate = format!("/api/v1/persons/{}/designate", added["id"].as_str().unwrap());
    let (status, body) = t.post(&designate, &t.login("anhe.town_office").await, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post(&designate, &resident, json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = t.post(&designate, &zx, json!({})).await;
    assert_eq!((status, &body["designated"]), (StatusCode::OK, &json!(true)), "{body}");
    let unit_people = t.get_all(&format!("/api/v1/towns/zhongxing/persons?unit_id={unit}"), &zx).await;
    let designated: Vec<&str> =
        unit_people.iter().filter(|p| p["designated"] == true).map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(designated, vec!["孙副所长"]);
    let (status, body) = t.post("/api/v1/persons/no-such-person/designate", &zx, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Corrected, then removed — but never the designated person.
    let person = format!("/api/v1/persons/{}", added["id"].as_str().unwrap());
    let (status, body) = t.patch(&person, &zx, json!({"name": "孙副所长", "phone": "call me"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "phone");
    let (status, body) =
        t.patch(&person, &zx, json!({"name": "孙所长", "title": "所长", "phone": "13900002222"})).await;
    assert_eq!((status, body["phone"].as_str()), (StatusCode::OK, Some("13900002222")), "{body}");
    let (status, body) = t.send(Method::DELETE, &person, Some(&zx), None).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let other = unit_people.iter().find(|p| p["designated"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    let (status, body) = t.send(Method::DELETE, &format!("/api/v1/persons/{other}"), Some(&resident), None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, _) = t.send(Method::DELETE, &format!("/api/v1/persons/{other}"), Some(&zx), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = t.get_all(&format!("/api/v1/towns/zhongxing/persons?unit_id={unit}"), &zx).await;
    assert!(left.iter().all(|p| p["id"] != other.as_str()), "{left:?}");
}

/// Anyone changes their own password (knowing the current one); the town office sets a new one
/// for its town's accounts only; the county for its county's.
async fn passwords(t: &TestStack) {
    let login = |username: &'static str, password: &'static str| async move {
        t.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password})))
            .await
            .0
    };
    let police = t.login("zhongxing.police").await;
    let change = |token: String, body: Value| async move { t.post("/api/v1/me/password", &token, body).await };
    let (status, body) =
        change(police.clone(), json!({"current_password": "wrong-one", "new_password": "police-2026"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "current_password");
    let (status, body) = change(police.clone(), json!({"current_password": "demo", "new_password": "short"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "new_password");
    let (status, body) = change(police.clone(), json!({"current_password": "demo"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "new_password");
    let (status, body) = t
        .send(Method::POST, "/api/v1/me/password", None, Some(json!({"current_password": "demo", "new_password": "x"})))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) =
        change(police.clone(), json!({"current_password": "demo", "new_password": "police-2026"})).await;
    assert_eq!((status, body["username"].as_str()), (StatusCode::OK, Some("zhongxing.police")), "{body}");
    assert_eq!(login("zhongxing.police", "demo").await, StatusCode::UNAUTHORIZED, "the old password no longer works");
    assert_eq!(login("zhongxing.police", "police-2026").await, StatusCode::OK);

    // The town office resets it back; another town's office cannot see the account; units may not.
    let office = t.login("zhongxing.town_office").await;
    let reset = |token: String, username: &'static str, body: Value| async move {
        t.post(&format!("/api/v1/accounts/{username}/password"), &token, body).await
    };
    let (status, body) =
        reset(t.login("anhe.town_office").await, "zhongxing.police", json!({"new_password": "anhe-tries"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) =
        reset(t.login("zhongxing.community").await, "zhongxing.police", json!({"new_password": "12345678"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "permission_denied");
    let (status, body) = reset(office.clone(), "county.admin", json!({"new_password": "office-tries"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = reset(office.clone(), "zhongxing.police", json!({"new_password": "1234"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "new_password");
    let (status, body) = reset(office.clone(), "zhongxing.police", json!({"new_password": "demo-demo"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(login("zhongxing.police", "demo-demo").await, StatusCode::OK);
    // The county may reset any account of its county (8 characters at least, like everyone's).
    let (status, body) =
        reset(t.login("county.admin").await, "zhongxing.police", json!({"new_password": "demo"})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "new_password");
    let (status, _) =
        reset(t.login("county.admin").await, "zhongxing.police", json!({"new_password": "county-set-1"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login("zhongxing.police", "county-set-1").await, StatusCode::OK);
    // Nobody resets their own password: a stolen token must not become a permanent takeover.
    for (token, username) in
        [(office.clone(), "zhongxing.town_office"), (t.login("county.admin").await, "county.admin")]
    {
        let (status, body) = reset(token, username, json!({"new_password": "taken-over-1"})).await;
        assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "username");
    }
    assert_eq!(login("zhongxing.town_office", "taken-over-1").await, StatusCode::UNAUTHORIZED);

    // Staff who left: the office stops the account (it cannot sign in, even with the right
    // password), then restarts it; nobody stops their own; other towns' are absent.
    let (status, body) = t.post("/api/v1/accounts/zhongxing.police/disable", &office, json!({})).await;
    assert_eq!((status, &body["disabled"]), (StatusCode::OK, &json!(true)), "{body}");
    let (status, body) = t
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhongxing.police", "password": "county-set-1"})),
        )
        .await;
    let err = assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(err["message"].as_str().unwrap().contains("stopped"), "{body}");
    assert_eq!(login("zhongxing.police", "wrong-pass").await, StatusCode::UNAUTHORIZED);
    let listed = t.get_all("/api/v1/towns/zhongxing/accounts", &office).await;
    assert!(listed.iter().any(|a| a["username"] == "zhongxing.police" && a["disabled"] == true));
    let (status, _) = t.post("/api/v1/accounts/zhongxing.police/enable", &office, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login("zhongxing.police", "county-set-1").await, StatusCode::OK);
    let (status, body) = t.post("/api/v1/accounts/zhongxing.town_office/disable", &office, json!({})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "username");
    let (status, body) = t.post("/api/v1/accounts/anhe.police/disable", &office, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post("/api/v1/accounts/zhongxing.police/explode", &office, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Guessing: the fifth wrong password in a row from one client locks that client out of the
    // account, even with the right one, until the office sets a new password (tests/rate_limits.rs:
    // other clients are not). A success in between starts the count again.
    for _ in 0..4 {
        assert_eq!(login("zhongxing.resident", "guess-1234").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("zhongxing.resident", "demo").await, StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(login("zhongxing.resident", "guess-1234").await, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = t
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhongxing.resident", "password": "guess-5"})),
        )
        .await;
    let err = assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(err["message"].as_str().unwrap().contains("locked"), "{body}");
    assert_eq!(login("zhongxing.resident", "demo").await, StatusCode::UNAUTHORIZED, "locked even for the right one");
    let (status, _) = reset(office.clone(), "zhongxing.resident", json!({"new_password": "unlocked-1"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login("zhongxing.resident", "unlocked-1").await, StatusCode::OK, "a new password lifts the lock");
}

/// The response check in `support` is not a formality: a body that drifted from its schema, a
/// status the document does not list and an undocumented route each fail it.
#[test]
fn the_document_check_refuses_what_the_document_does_not_describe() {
    use support::openapi_check::response_is_documented;
    let fails = |f: fn()| std::panic::catch_unwind(f).is_err();
    let town = json!({"code": "zhongxing", "name": "众兴镇", "county": "sy", "county_name": "泗阳县", "time_zone": "Asia/Shanghai"});
    response_is_documented("GET", "/api/v1/towns/zhongxing", 200, Some(&town));
    assert!(fails(|| response_is_documented("GET", "/api/v1/towns/zhongxing", 200, Some(&json!({"code": 5})))));
    // The same tracked complaint, with an RFC 3339 deadline and then with words for one.
    fn tracked(deadline: &str) -> Value {
        json!({"tracking_code": "A", "category": "repair", "estate_name": "e", "status": "assigned", "level": 0,
            "unit_name": "u", "deadline": deadline, "satisfaction": null, "created_at": null, "timeline": []})
    }
    response_is_documented("GET", "/api/v1/track/A", 200, Some(&tracked("2026-12-20T10:00:00Z")));
    assert!(fails(|| response_is_documented("GET", "/api/v1/track/A", 200, Some(&tracked("tomorrow")))));
    assert!(fails(|| {
        let mut unknown_status = tracked("2026-12-20T10:00:00Z");
        unknown_status["status"] = json!("lost");
        response_is_documented("GET", "/api/v1/track/A", 200, Some(&unknown_status))
    }));
    assert!(fails(|| response_is_documented("GET", "/api/v1/towns/zhongxing", 201, None)));
    assert!(fails(|| response_is_documented("GET", "/api/v1/nowhere", 200, Some(&json!({})))));
    assert!(fails(|| response_is_documented("DELETE", "/api/v1/towns/zhongxing", 200, Some(&json!({})))));
}
