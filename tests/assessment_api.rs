//! Inspections end to end through the gateway on both stores, and the reliable hand-off of
//! findings to dispatch when dispatch is down.

mod support;

use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use support::{Store, TestStack, assert_error};
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::{Principal, Role};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::assessment::v1::assessment_service_client::AssessmentServiceClient;

async fn suite(store: Store) {
    let Some(t) = TestStack::start(store).await else { return };
    let office = t.login("zhongxing.town_office").await;
    let company = t.login("zhongxing.property_company").await;
    let anhe = t.login("anhe.town_office").await;
    let estates =
        t.get_all("/api/v1/towns/zhongxing/estates?management_mode=property_company&page_size=100", &office).await;
    let estate = estates[0]["id"].as_str().unwrap().to_owned();
    let anhe_estate = t.get_all("/api/v1/towns/anhe/estates", &anhe).await[0]["id"].as_str().unwrap().to_owned();

    // The default rubric, then an edited version.
    let (status, rubric) = t.get("/api/v1/towns/zhongxing/rubric", &office).await;
    assert_eq!(status, StatusCode::OK, "{rubric}");
    assert_eq!((rubric["version"].as_i64(), rubric["total_points"].as_f64()), (Some(0), Some(100.0)));
    let mut items = rubric["items"].clone();
    items[0]["max_points"] = json!(-1);
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/rubric",
            Some(&office),
            Some(json!({"items": items, "bands": rubric["bands"]})),
        )
        .await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "items[0].max_points"
    );
    let (status, _) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/rubric",
            Some(&company),
            Some(json!({"items": rubric["items"], "bands": rubric["bands"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v1) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/rubric",
            Some(&office),
            Some(json!({"items": rubric["items"], "bands": rubric["bands"]})),
        )
        .await;
    assert_eq!((status, v1["version"].as_i64()), (StatusCode::OK, Some(1)), "{v1}");
    assert_eq!(v1["rules"], rubric["rules"], "rules left out keep the current version's");
    assert!(rubric["rules"]["vetoes"].as_array().unwrap().iter().any(|v| v["condition"] == "major_incidents"));
    let mut rules = rubric["rules"].clone();
    rules["dispatch_deductions"][0]["metric"] = json!("weather");
    let (status, body) = t
        .send(
            Method::PUT,
            "/api/v1/towns/zhongxing/rubric",
            Some(&office),
            Some(json!({"items": rubric["items"], "bands": rubric["bands"], "rules": rules})),
        )
        .await;
    assert_eq!(
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
        "rules.dispatch_deductions[0].metric"
    );
    // The league table's weights (红黑榜) are rubric data too: defaults, refusals by field, a version.
    let league = &rubric["rules"]["league"];
    assert_eq!(league["min_tickets"], 5, "{rubric}");
    let weight_of = |l: &Value, indicator: &str| {
        l["weights"].as_array().unwrap().iter().find(|w| w["indicator"] == indicator).map(|w| w["weight"].clone())
    };
    assert_eq!(weight_of(league, "on_time"), Some(json!(30.0)), "{league}");
    for (bad, field) in [
        (
            json!({"min_tickets": 5, "weights": [{"indicator": "speed", "weight": 10}]}),
            "rules.league.weights[0].indicator",
        ),
        (
            json!({"min_tickets": 5, "weights": [{"indicator": "volume", "weight": 10}]}),
            "rules.league.weights[0].indicator",
        ),
        (
            json!({"min_tickets": 5, "weights": [{"indicator": "redo", "weight": 101}]}),
            "rules.league.weights[0].weight",
        ),
        (json!({"min_tickets": 5, "weights": [{"indicator": "redo", "weight": 0}]}), "rules.league.weights"),
    ] {
        let mut rules = rubric["rules"].clone();
        rules["league"] = bad;
        let body = json!({"items": rubric["items"], "bands": rubric["bands"], "rules": rules});
        let (status, answer) = t.send(Method::PUT, "/api/v1/towns/zhongxing/rubric", Some(&office), Some(body)).await;
        assert_eq!(assert_error(status, &answer, StatusCode::BAD_REQUEST, "invalid_argument")["field"], field);
    }
    let (_, anhe_rubric) = t.get("/api/v1/towns/anhe/rubric", &anhe).await;
    assert_eq!(anhe_rubric["version"], 0, "another town keeps its own rubric");

    // A week's plan: unannounced inspections stay hidden from the inspected units.
    let today = chrono::Utc::now().date_naive();
    let (status, open_plan) = t
        .post(
            "/api/v1/towns/zhongxing/inspection-plans",
            &office,
            json!({"estate_id": estate, "date": today.to_string(), "kind": "open", "focus": "key"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{open_plan}");
    let (_, secret_plan) = t
        .post(
            "/api/v1/towns/zhongxing/inspection-plans",
            &office,
            json!({"estate_id": estate, "date": today.to_string(), "kind": "unannounced", "focus": "key"}),
        )
        .await;
    let office_view = t.get_all("/api/v1/towns/zhongxing/inspection-plans", &office).await;
    assert!(office_view.iter().any(|p| p["id"] == secret_plan["id"]));
    let company_view = t.get_all("/api/v1/towns/zhongxing/inspection-plans", &company).await;
    assert!(
        company_view.iter().any(|p| p["id"] == open_plan["id"]),
        "the company serves this estate and sees open plans"
    );
    assert!(company_view.iter().all(|p| p["id"] != secret_plan["id"]), "unannounced plans are hidden");
    let (status, _) = t
        .post(
            "/api/v1/towns/zhongxing/inspection-plans",
            &company,
            json!({"estate_id": estate, "date": today.to_string(), "kind": "open", "focus": "key"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Record the inspection: scores, findings, and the finding that becomes a complaint.
    let body = json!({
        "estate_id": estate, "date": today.to_string(), "kind": "open", "focus": "key",
        "plan_id": open_plan["id"],
        "scores": {"greening": 6},
        "findings": [
            {"item": "fire_safety", "description": "3号楼消防通道堆放纸箱（测试）", "category": "property_service", "open_ticket": true},
            {"item": "sanitation.garbage", "description": "垃圾桶满溢", "category": "sanitation", "open_ticket": false}
        ]
    });
    let record = |key: &'static str, body: Value| {
        t.http
            .post(format!("{}/api/v1/towns/zhongxing/inspections", t.base))
            .bearer_auth(&office)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let resp = record("inspection-1", body.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let inspection: Value = resp.json().await.unwrap();
    assert_eq!(inspection["rubric_version"], 1);
    assert_eq!(inspection["total_score"], 91.0, "{inspection}");
    assert_eq!(inspection["grade"], "excellent");
    assert_eq!(inspection["scores"]["fire_safety"], 5.0);
    let findings = inspection["findings"].as_array().unwrap();
    assert_eq!(findings[0]["delivery"], "delivered", "{inspection}");
    let ticket_id = findings[0]["ticket_id"].as_str().expect("the finding has its complaint").to_owned();
    assert_eq!((findings[1]["delivery"].as_str(), findings[1]["ticket_id"].as_str()), (Some("none"), None));
    let (status, complaint) = t.get(&format!("/api/v1/complaints/{ticket_id}"), &office).await;
    assert_eq!(status, StatusCode::OK, "{complaint}");
    assert_eq!(
        (complaint["source"].as_str(), complaint["category"].as_str()),
        (Some("inspection"), Some("property_service"))
    );
    assert_eq!(complaint["assignment"]["unit_type"], "property_company");
    // The problem comes first (a board shows the first 40 characters), then the rubric item in
    // its own words: never the item's code.
    let description = complaint["description"].as_str().unwrap();
    assert!(
        description.starts_with("3号楼消防通道堆放纸箱（测试）") && description.contains("消防安全"),
        "{description}"
    );
    assert!(!description.contains("fire_safety"), "{description}");

    // A retry with the same key is the same inspection, and no second complaint.
    let again: Value = record("inspection-1", body.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(again["id"], inspection["id"]);
    assert_eq!(again["findings"][0]["ticket_id"].as_str(), Some(ticket_id.as_str()));
    let from_inspections = t.get_all("/api/v1/complaints?source=inspection&page_size=500", &office).await;
    assert_eq!(
        from_inspections
            .iter()
            .filter(|c| c["description"].as_str().unwrap_or("").contains("消防通道堆放纸箱（测试）"))
            .count(),
        1
    );

    // The plan is done, and a follow-up is planned for next week.
    let plans = t.get_all("/api/v1/towns/zhongxing/inspection-plans", &office).await;
    let done = plans.iter().find(|p| p["id"] == open_plan["id"]).unwrap();
    assert_eq!(done["inspection_id"], inspection["id"]);
    let next_week = (today + chrono::Duration::days(7)).to_string();
    assert!(
        plans
            .iter()
            .any(|p| p["focus"] == "follow_up" && p["date"] == next_week.as_str() && p["estate_id"] == estate.as_str())
    );

    // 四查: the follow-up plan says what to check on: the ticketed finding by its ticket's state
    // (inside its deadlines, taken up or not → progress; not taken up past them → accountability;
    // resolved → effect), the other on site.
    let follow_up = plans
        .iter()
        .find(|p| p["focus"] == "follow_up" && p["follows"] == inspection["id"])
        .unwrap_or_else(|| panic!("a follow-up of the inspection: {plans:?}"));
    let checks_path = format!("/api/v1/inspection-plans/{}/checks", follow_up["id"].as_str().unwrap());
    let check_of = |checks: &Value, item: &str| {
        checks["checks"].as_array().unwrap().iter().find(|c| c["item"] == item).unwrap_or_else(|| panic!("{checks}"))
            ["check"]
            .clone()
    };
    let (status, checks) = t.get(&checks_path, &company).await;
    assert_eq!(status, StatusCode::OK, "{checks}");
    assert_eq!((&checks["follows"], checks["estate_id"].as_str()), (&inspection["id"], Some(estate.as_str())));
    // Just dispatched, inside its deadlines: its progress is what to check, nobody is to blame yet.
    assert_eq!(check_of(&checks, "fire_safety"), "check_progress");
    assert_eq!(check_of(&checks, "sanitation.garbage"), "check_on_site");
    let act = |action: &str| format!("/api/v1/complaints/{ticket_id}/{action}");
    let (status, body) = t.post(&act("accept"), &company, json!({"measures": "清理通道，张贴禁止堆放告示"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, checks) = t.get(&checks_path, &office).await;
    assert_eq!(check_of(&checks, "fire_safety"), "check_progress");
    let (status, body) = t
        .post(
            &act("resolve"),
            &company,
            json!({"measures_taken": "纸箱已清运",
        "reply": "办理结果：纸箱已清运\n办理单位及人员：恒安物业 钱经理\n办理依据：《消防法》第二十八条"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, checks) = t.get(&checks_path, &office).await;
    assert_eq!(check_of(&checks, "fire_safety"), "check_effect");
    let labels: Vec<&str> =
        checks["checks"].as_array().unwrap().iter().map(|c| c["check_label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"查成效") && labels.contains(&"现场复查"), "{labels:?}");
    // Recorded from its plan, the follow-up keeps what it checked on.
    let (status, recorded) = t
        .post(
            "/api/v1/towns/zhongxing/inspections",
            &office,
            json!({"estate_id": estate, "date": today.to_string(), "kind": "open", "focus": "follow_up", "plan_id": follow_up["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["follow_up_of"], inspection["id"]);
    let (status, checks) =
        t.get(&format!("/api/v1/inspections/{}/checks", recorded["id"].as_str().unwrap()), &office).await;
    assert_eq!((status, check_of(&checks, "fire_safety")), (StatusCode::OK, json!("check_effect")));
    // A key inspection is no follow-up; another town sees nothing.
    let (status, body) =
        t.get(&format!("/api/v1/inspections/{}/checks", inspection["id"].as_str().unwrap()), &office).await;
    assert_error(status, &body, StatusCode::CONFLICT, "failed_precondition");
    let (status, _) = t.get(&checks_path, &anhe).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Reading: the serving company sees it; another town does not.
    let (status, seen) = t.get(&format!("/api/v1/inspections/{}", inspection["id"].as_str().unwrap()), &company).await;
    assert_eq!((status, seen["id"].clone()), (StatusCode::OK, inspection["id"].clone()));
    let (status, _) = t.get(&format!("/api/v1/inspections/{}", inspection["id"].as_str().unwrap()), &anhe).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let listed = t.get_all(&format!("/api/v1/towns/zhongxing/inspections?estate_id={estate}"), &office).await;
    assert!(listed.iter().any(|i| i["id"] == inspection["id"]));

    // Bad input names the field and writes nothing.
    let base = json!({"estate_id": estate, "date": today.to_string(), "kind": "open", "focus": "key"});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"scores": {"nonsense": 1}}), "item_scores[0].item"),
        (json!({"scores": {"greening": 9}}), "item_scores[0].score"),
        (json!({"findings": [{"item": "greening", "description": "x", "category": "noise"}]}), "findings[0].category"),
        (json!({"findings": [{"item": "nope", "description": "x", "category": "repair"}]}), "findings[0].item"),
        (
            json!({"findings": [{"item": "greening", "description": " ", "category": "repair"}]}),
            "findings[0].description",
        ),
        (json!({"date": "tomorrow"}), "date"),
        (json!({"kind": "secret"}), "kind"),
        (json!({"focus": "all"}), "focus"),
        (json!({"estate_id": anhe_estate}), "estate_id"),
        (json!({"plan_id": secret_plan["id"].as_str().unwrap().replace('-', "")}), "plan_id"),
    ];
    let before = t.get_all("/api/v1/towns/zhongxing/inspections", &office).await.len();
    for (patch, field) in cases {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (status, resp) = t.post("/api/v1/towns/zhongxing/inspections", &office, b.clone()).await;
        assert_eq!(
            assert_error(status, &resp, StatusCode::BAD_REQUEST, "invalid_argument")["field"],
            field,
            "{b} → {resp}"
        );
    }
    assert_eq!(t.get_all("/api/v1/towns/zhongxing/inspections", &office).await.len(), before);
    let (status, _) = t.post("/api/v1/towns/zhongxing/inspections", &company, base.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t.post("/api/v1/towns/zhongxing/inspections", &anhe, base.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    bulletins(&t, &office, &company).await;
    annual(&t, &office, &company, &anhe).await;
    t.stop().await;
}

/// 半年和全年考核: last year's demo leaves an urban-management unit with overdue tickets (a veto)
/// and an estate in poor shape with its property company; this year's estates are assessed
/// provisionally; a recorded major security incident disqualifies the estate and its committee.
async fn annual(t: &TestStack, office: &str, company: &str, anhe: &str) {
    // The demo's "last year" is the town's (UTC+8) calendar year.
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().year();
    let (status, a) = t.get(&format!("/api/v1/towns/zhongxing/assessments/{}", year - 1), office).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!((a["period"].as_str(), a["provisional"].as_bool()), (Some("annual"), Some(false)));
    let failing = a["disqualified"].as_array().unwrap();
    let urban = failing
        .iter()
        .find(|s| s["subject_type"] == "unit" && s["name"].as_str().unwrap_or("").contains("城管"))
        .unwrap_or_else(|| panic!("urban management should fail last year: {a}"));
    assert_eq!(urban["advanced_unit_eligible"], false);
    assert!(urban["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("超期")), "{urban}");
    assert!(urban["responsible_person"].as_str().is_some_and(|p| !p.is_empty()));
    let poor = failing.iter().find(|s| s["subject_type"] == "estate").unwrap_or_else(|| panic!("{a}"));
    assert_eq!((poor["boutique_estate_eligible"].as_bool(), poor["grade"].as_str()), (Some(false), Some("fail")));
    let company_of_poor =
        failing.iter().find(|s| s["subject_type"] == "property_company").unwrap_or_else(|| panic!("{a}"));
    assert_eq!(company_of_poor["boutique_estate_eligible"], false);
    let subjects = a["subjects"].as_array().unwrap();
    assert!(subjects.iter().any(|s| s["passed"] == true), "the holiday security work passes");
    assert!(subjects.iter().any(|s| s["subject_type"] == "neighbourhood_committee"), "{a}");

    // Creation targets and coverage come from the registry.
    let (_, coverage) = t.get("/api/v1/towns/zhongxing/coverage", office).await;
    let targets = &a["targets"];
    assert_eq!(targets["old_estates"], coverage["old_estates"], "{targets} vs {coverage}");
    assert_eq!(targets["coverage_rate"], coverage["coverage_rate"]);
    let listed = targets["estates"].as_array().unwrap();
    assert_eq!(
        listed.len() as u64,
        targets["boutique_target"].as_u64().unwrap() + targets["standard_target"].as_u64().unwrap()
    );
    assert!(
        targets["boutique_target"].as_u64() > Some(0) && targets["standard_target"].as_u64() > Some(0),
        "{targets}"
    );
    assert!(listed.iter().filter(|e| e["reached"] == true).all(|e| e["score"].as_f64() >= Some(80.0)));

    let (status, now) = t.get(&format!("/api/v1/towns/zhongxing/assessments/{year}?period=annual"), office).await;
    assert_eq!((status, now["provisional"].as_bool()), (StatusCode::OK, Some(true)));
    let estates: Vec<&Value> =
        now["subjects"].as_array().unwrap().iter().filter(|s| s["subject_type"] == "estate").collect();
    assert!(!estates.is_empty(), "{now}");
    assert!(estates.iter().all(|e| e["boutique_estate_eligible"].is_boolean()));

    // A major security incident: validated, office only, idempotent, and a veto.
    let target = estates.iter().find(|e| e["passed"] == true).unwrap_or_else(|| panic!("{now}"));
    let estate_id = target["subject_id"].as_str().unwrap();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().to_string();
    let incident =
        json!({"estate_id": estate_id, "date": today, "description": "地下车库电动车充电起火，一人受伤（测试）"});
    let cases = [
        (json!({"estate_id": estate_id, "date": "yesterday", "description": "x"}), "date"),
        (json!({"estate_id": estate_id, "date": today, "description": "  "}), "description"),
        (json!({"estate_id": "no-such-estate", "date": today, "description": "x"}), "estate_id"),
        (json!({"estate_id": estate_id, "date": today}), "description"),
    ];
    for (body, field) in cases {
        let (status, resp) = t.post("/api/v1/towns/zhongxing/incidents", office, body).await;
        assert_eq!(assert_error(status, &resp, StatusCode::BAD_REQUEST, "invalid_argument")["field"], field);
    }
    let (status, _) = t.post("/api/v1/towns/zhongxing/incidents", company, incident.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let record = || {
        t.http
            .post(format!("{}/api/v1/towns/zhongxing/incidents", t.base))
            .bearer_auth(office)
            .header("Idempotency-Key", "incident-1")
            .json(&incident)
            .send()
    };
    let first: Value = record().await.unwrap().json().await.unwrap();
    let again: Value = record().await.unwrap().json().await.unwrap();
    assert_eq!((first["id"].is_string(), &first["id"]), (true, &again["id"]), "{first}");
    let listed = t.get_all("/api/v1/towns/zhongxing/incidents", office).await;
    assert_eq!(listed.iter().filter(|i| i["estate_id"] == estate_id).count(), 1);
    assert!(t.get_all("/api/v1/towns/anhe/incidents", anhe).await.is_empty(), "another town sees none of it");
    let (_, now) = t.get(&format!("/api/v1/towns/zhongxing/assessments/{year}"), office).await;
    let vetoed = now["disqualified"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject_id"] == estate_id)
        .unwrap_or_else(|| panic!("the incident vetoes the estate: {now}"));
    assert!(vetoed["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("重大安全事故")));
    assert!(
        now["disqualified"].as_array().unwrap().iter().any(|s| s["subject_type"] == "neighbourhood_committee"
            && s["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("重大安全事故"))),
        "{now}"
    );

    let (status, body) = t.get(&format!("/api/v1/towns/zhongxing/assessments/{year}?period=q3"), office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "period");
    let (status, body) = t.get("/api/v1/towns/zhongxing/assessments/last", office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "year");
    let (status, _) = t.get(&format!("/api/v1/towns/zhongxing/assessments/{year}"), anhe).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every subject kind is ranked on its own: ranks from 1, best first, best and worst called out.
/// 红黑榜: every rate from its own counts, ranked units in score order with the best red and the
/// worst black, units under the minimum listed after them unranked.
fn check_league(bulletin: &Value) {
    let league = bulletin["league"].as_array().unwrap();
    assert!(!league.is_empty(), "the demo's units have a league table: {bulletin}");
    let ranked: Vec<&Value> = league.iter().filter(|r| r["rank"].as_u64() > Some(0)).collect();
    assert!(ranked.len() >= 2, "{bulletin}");
    for (i, r) in ranked.iter().enumerate() {
        assert_eq!(r["rank"], i + 1, "{r}");
        assert!(r["tickets"].as_u64().unwrap() >= 5 && r["score"].is_f64(), "{r}");
        if i > 0 {
            assert!(ranked[i - 1]["score"].as_f64() >= r["score"].as_f64(), "best first: {bulletin}");
        }
        let returned = r["returned"].as_f64().unwrap() / r["tickets"].as_f64().unwrap();
        assert!((r["return_rate"].as_f64().unwrap() - returned).abs() < 1e-4, "回退率 = returned / tickets: {r}");
    }
    assert_eq!((ranked[0]["standing"].as_str(), ranked[0]["standing_label"].as_str()), (Some("red"), Some("红榜")));
    assert_eq!(ranked.last().unwrap()["standing"], "black");
    for r in league.iter().skip(ranked.len()) {
        assert_eq!((r["rank"].as_u64(), r["standing"].as_str()), (Some(0), Some("unranked")), "{r}");
        assert!(r["score"].is_null() && r["tickets"].as_u64().unwrap() < 5, "{r}");
    }
}

fn check_rankings(bulletin: &Value) {
    let rankings = bulletin["rankings"].as_array().unwrap();
    for kind in ["estate", "property_company", "neighbourhood_committee", "unit"] {
        let ranked: Vec<&Value> = rankings.iter().filter(|r| r["subject_type"] == kind).collect();
        assert!(!ranked.is_empty(), "{kind} should be ranked: {bulletin}");
        for (i, r) in ranked.iter().enumerate() {
            assert!(
                r["subject_id"].is_string()
                    && r["name"].is_string()
                    && r["score"].is_number()
                    && r["grade"].is_string()
            );
            assert_eq!(r["rank"], i + 1, "{kind}: {bulletin}");
            if i > 0 {
                assert!(ranked[i - 1]["score"].as_f64() >= r["score"].as_f64(), "ranked best first");
            }
        }
        if ranked.len() >= 2 {
            assert_eq!(ranked[0]["standing"], "best");
            assert_eq!(ranked[ranked.len() - 1]["standing"], "worst");
        }
    }
}

/// 每月一通报: the demo published last month's; a draft of the running month is for the office;
/// publishing makes immutable versions everyone in the town may read; a printable page; in
/// December the year's disqualified are named.
async fn bulletins(t: &TestStack, office: &str, company: &str) {
    let today = chrono::Utc::now().date_naive();
    let this_month = today.format("%Y-%m").to_string();
    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(1)).format("%Y-%m").to_string();
    let path = format!("/api/v1/towns/zhongxing/bulletins/{last_month}");

    let (status, demo) = t.get(&path, company).await;
    assert_eq!(status, StatusCode::OK, "{demo}");
    assert_eq!((demo["status"].as_str(), demo["version"].as_i64()), (Some("published"), Some(1)), "{demo}");
    assert_eq!(demo["published_by"], "zhongxing.town_office");
    check_rankings(&demo);
    assert!(!demo["unit_rates"].as_array().unwrap().is_empty(), "{demo}");
    assert!(!demo["named_units"].as_array().unwrap().is_empty(), "the demo has overdue or escalated tickets: {demo}");
    assert!(demo["findings"].as_array().unwrap().iter().any(|f| f["findings"].as_u64() > Some(0)), "{demo}");
    check_league(&demo);

    let draft_path = format!("/api/v1/towns/zhongxing/bulletins/{this_month}");
    let (status, draft) = t.get(&draft_path, office).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!((draft["status"].as_str(), draft["version"].as_i64()), (Some("draft"), Some(0)));
    assert!(draft["rankings"].as_array().unwrap().iter().any(|r| r["subject_type"] == "estate"), "{draft}");
    // Drafts are for the office: for a unit a month not published yet has no bulletin (404, as
    // the console says 本月通报尚未发布).
    let (status, body) = t.get(&draft_path, company).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post(&format!("{draft_path}/publish"), office, json!({})).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "month");
    let (status, body) = t.get("/api/v1/towns/zhongxing/bulletins/2025-13", office).await;
    let error = assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument");
    assert_eq!(error["field"], "month");
    // English for machines, Chinese for people: the same error says what to correct in Chinese.
    assert!(error["message_zh"].as_str().is_some_and(|m| m.contains("「月份」")), "{body}");
    let (status, _) = t.post(&format!("{path}/publish"), company, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, again) = t.post(&format!("{path}/publish"), office, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!((again["status"].as_str(), again["version"].as_i64()), (Some("published"), Some(2)));
    let ids = |b: &Value| -> Vec<Value> {
        b["rankings"].as_array().unwrap().iter().map(|r| r["subject_id"].clone()).collect()
    };
    let (mut before, mut after) = (ids(&demo), ids(&again));
    before.sort_by_key(|v| v.to_string());
    after.sort_by_key(|v| v.to_string());
    assert_eq!(before, after, "the same subjects ranked");
    let (_, latest) = t.get(&path, company).await;
    assert_eq!(latest["version"], 2, "the newest published version is what readers see");

    // The county reads its towns' bulletins; another county's principal finds no such town.
    let county = t.login("county.admin").await;
    let (status, read) = t.get(&path, &county).await;
    assert_eq!((status, read["version"].as_i64()), (StatusCode::OK, Some(2)));
    let signer = TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let stranger = Principal {
        subject: "other.county".into(),
        role: Role::County,
        town: None,
        county: "elsewhere".into(),
        unit: None,
        estate: None,
    };
    let stranger = signer.sign(&stranger, Duration::from_secs(600)).unwrap();
    let (status, _) = t.get(&path, &stranger).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another county's town is not found");
    let (status, _) = t.get("/api/v1/towns/zhongxing/incidents", &stranger).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The printable page (A4, Chinese), and a bad format named.
    let page = t.http.get(format!("{}{path}?format=html", t.base)).bearer_auth(company).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = page.text().await.unwrap();
    assert!(page.contains("众兴镇") && page.contains("物业管理工作通报") && page.contains("第 2 版"), "{page}");
    assert!(page.contains("小区排名") && page.contains("物业公司排名") && page.contains("三率"), "{page}");
    let best = latest["rankings"].as_array().unwrap().iter().find(|r| r["subject_type"] == "estate").unwrap();
    assert!(page.contains(best["name"].as_str().unwrap()), "{page}");
    let (status, body) = t.get(&format!("{path}?format=pdf"), office).await;
    assert_eq!(assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_argument")["field"], "format");

    // December closes the year: its bulletin names the disqualified with responsible persons.
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().year() - 1;
    let (status, december) = t.get(&format!("/api/v1/towns/zhongxing/bulletins/{year}-12"), office).await;
    assert_eq!(status, StatusCode::OK, "{december}");
    assert_eq!(december["assessment_period"], "annual");
    let named = december["disqualified"].as_array().unwrap();
    assert!(
        named.iter().any(|d| d["subject_type"] == "unit" && d["name"].as_str().unwrap().contains("城管")),
        "{december}"
    );
    assert!(named.iter().all(|d| d["responsible_person"].is_string() && !d["reasons"].as_array().unwrap().is_empty()));
    let (_, october) = t.get(&format!("/api/v1/towns/zhongxing/bulletins/{year}-10"), office).await;
    assert!(october.get("assessment_period").is_none() && october["disqualified"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspections_on_sqlite() {
    suite(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspections_on_postgres() {
    suite(Store::Postgres).await;
}

async fn start_assessment(
    t: &TestStack,
    db_url: &str,
    dispatch_url: String,
    token: String,
) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let (listener, addr) = wuguan_platform::serving::bind("127.0.0.1:0").await.unwrap();
    let config = wuguan_assessment::server::AssessmentConfig {
        database_url: db_url.to_owned(),
        migrate: true,
        jwt_public_key: t.dir.path().join("jwt-public.pem"),
        registry_url: t.registry_url(),
        dispatch_url,
        service_token: token,
        load_demo: false,
        pool: Default::default(),
        limits: Default::default(),
        outbox_interval: Duration::from_millis(100),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(wuguan_assessment::server::run(
        config,
        listener,
        async move {
            let _ = stop_rx.await;
        },
        ready_tx,
    ));
    ready_rx.await.expect("assessment ready");
    (format!("http://{addr}"), stop_tx, task)
}

async fn get_inspection(url: &str, token: &str, id: &str) -> pb::Inspection {
    let mut client = AssessmentServiceClient::connect(url.to_owned()).await.unwrap();
    let mut req = tonic::Request::new(pb::GetInspectionRequest { id: id.to_owned() });
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    client.get_inspection(req).await.unwrap().into_inner()
}

/// Dispatch down while a finding is recorded: the ticket is delayed, not lost; delivered once
/// dispatch is back; and a repeated delivery (a crash between dispatch's answer and the mark)
/// finds the same ticket rather than making a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_reach_dispatch_after_an_outage_exactly_once() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let signer = TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let sign = |role, subject: &str, town: Option<&str>| {
        let p = Principal {
            subject: subject.into(),
            role,
            town: town.map(Into::into),
            county: "demo".into(),
            unit: None,
            estate: None,
        };
        signer.sign(&p, Duration::from_secs(600)).unwrap()
    };
    let office = sign(Role::TownOffice, "zhongxing.town_office", Some("zhongxing"));
    let service = sign(Role::County, "wuguan-assessment", None);
    let estate = t
        .get_all("/api/v1/towns/zhongxing/estates?page_size=1", &t.login("zhongxing.town_office").await)
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = wuguan_testkit::sqlite_db();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };

    let (url, stop, task) = start_assessment(&t, &db.url, dead, service.clone()).await;
    let mut client = AssessmentServiceClient::connect(url.clone()).await.unwrap();
    let mut req = tonic::Request::new(pb::RecordInspectionRequest {
        town: "zhongxing".into(),
        estate_id: estate.clone(),
        date: chrono::Utc::now().date_naive().to_string(),
        kind: pb::InspectionKind::Unannounced as i32,
        focus: pb::InspectionFocus::Key as i32,
        findings: vec![pb::FindingInput {
            item: "security.guards".into(),
            description: "夜间门岗无人值守".into(),
            category: wuguan_proto::dispatch::v1::Category::Security as i32,
            open_ticket: true,
        }],
        ..Default::default()
    });
    req.metadata_mut().insert("authorization", format!("Bearer {office}").parse().unwrap());
    let recorded = client.record_inspection(req).await.expect("recorded while dispatch is down").into_inner();
    assert_eq!(recorded.findings[0].delivery, pb::Delivery::Pending as i32);
    assert!(recorded.findings[0].ticket_id.is_empty());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // Dispatch reachable again: the outbox delivers.
    let wait_delivered = |url: String| {
        let office = office.clone();
        let id = recorded.id.clone();
        async move {
            for _ in 0..100 {
                let i = get_inspection(&url, &office, &id).await;
                if i.findings[0].delivery == pb::Delivery::Delivered as i32 {
                    return i.findings[0].ticket_id.clone();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("finding never delivered");
        }
    };
    let (url, stop, task) = start_assessment(&t, &db.url, t.dispatch_url(), service.clone()).await;
    let ticket = wait_delivered(url.clone()).await;
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // Pretend the mark was lost in a crash: delivering again must not make a second ticket.
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE findings SET delivery = 'pending', ticket_id = NULL").execute(&pool).await.unwrap();
    pool.close().await;
    let (url, stop, task) = start_assessment(&t, &db.url, t.dispatch_url(), service).await;
    let again = wait_delivered(url).await;
    assert_eq!(again, ticket, "the same ticket, not a second one");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    let office_http = t.login("zhongxing.town_office").await;
    let (status, complaint) = t.get(&format!("/api/v1/complaints/{ticket}"), &office_http).await;
    assert_eq!((status, complaint["source"].as_str()), (StatusCode::OK, Some("inspection")));
    assert_eq!(complaint["assignment"]["unit_type"], "police");
    t.stop().await;
}
