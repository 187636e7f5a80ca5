//! The web console over real HTTP (as a browser without scripts uses it): a resident submits and
//! tracks without signing in; the assigned unit accepts and resolves from its queue; the town
//! office sees the dashboard and verifies; forms without the CSRF token are refused; a unit
//! cannot open another unit's ticket; the session cookie is HttpOnly and SameSite.

mod support;

use chrono::Datelike;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use support::{Store, TestStack};

/// A cookie-keeping client that does not follow redirects, so each step can be checked.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, base: base.to_owned(), cookies: BTreeMap::new() }
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String, Option<String>) {
        let resp =
            self.http.get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep(&resp);
        let location = resp.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (resp.status(), resp.text().await.unwrap(), location)
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, Option<String>) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&resp);
        let location = resp.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (resp.status(), resp.text().await.unwrap(), location)
    }

    async fn sign_in(&mut self, username: &str) {
        self.sign_in_with(username, "demo").await;
    }

    async fn sign_in_with(&mut self, username: &str, password: &str) {
        let (status, page, _) = self.get("/console/login").await;
        assert_eq!(status, StatusCode::OK);
        let resp = {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("csrf", csrf(&page).as_str()), ("username", username), ("password", password)])
                .finish();
            self.http
                .post(format!("{}/console/login", self.base))
                .header(COOKIE, self.cookie_header())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        };
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in redirects");
        let session = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with("wuguan_session="))
            .expect("a session cookie");
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
        self.keep(&resp);
    }
}

/// The quoted value that follows the last of `markers`, each looked for after the one before
/// (`&amp;` read as `&`): e.g. a person's id after their unit's heading and `name="person_id" value="`.
fn value_after(page: &str, markers: &[&str]) -> String {
    let mut rest = page;
    for marker in markers {
        rest = rest.split_once(marker).unwrap_or_else(|| panic!("{marker:?} after {markers:?} in:\n{page}")).1;
    }
    rest.split('"').next().unwrap().replace("&amp;", "&")
}

/// The page's CSRF token (every form carries the same one).
fn csrf(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).unwrap_or_else(|| panic!("a CSRF field in:\n{page}"));
    page[at + r#"name="csrf" value=""#.len()..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_work_their_flows_in_the_console() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let office_api = t.login("zhongxing.town_office").await;
    // An estate the demo property company (恒安) serves.
    let estate = t.company_estate().await;

    // What the system records on a timeline reads in Chinese: a county-level matter says so.
    let (status, county_matter) = t
        .post(
            "/api/v1/complaints",
            &office_api,
            serde_json::json!({"town": "zhongxing", "estate_id": estate, "category": "missing_facilities",
                               "description": "小区缺少消防通道（控制台测试）"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{county_matter}");
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    let (status, page, _) = office.get(&format!("/console/tickets/{}", county_matter["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("县级协调事项，书面报告县领导"), "{page}");
    assert!(!page.contains("county-level") && !page.contains("escalated"), "{page}");
    // The header names the office and the person, not the login; the navigation marks the page.
    assert!(page.contains("众兴镇物管办 · 周天照") && !page.contains("zhongxing.town_office"), "{page}");
    assert!(page.contains("<a href=\"/console/tickets\" aria-current=\"page\">"), "{page}");
    assert_eq!(page.matches("aria-current").count(), 1, "{page}");

    // A resident, not signed in, reports a problem from the public form and tracks it.
    let mut resident = Browser::new(&t.base);
    // Someone who opens the gateway's address lands on the console.
    let (status, _, location) = resident.get("/").await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location.as_deref(), Some("/console"));
    let (status, form, _) = resident.get("/console/submit?town=zhongxing").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(form.contains("我要反映问题") && form.contains(&estate), "the town's estates to choose from");
    // Every category of the contract, including the two the speech names as a main source of
    // complaints, with the contract's labels.
    for (value, label) in
        [("building_quality", "房屋质量"), ("missing_facilities", "配套设施缺失"), ("sanitation", "环境卫生")]
    {
        assert!(form.contains(&format!("<option value=\"{value}\">{label}</option>")), "{value} missing: {form}");
    }
    let token = csrf(&form);
    let description = "楼道灯坏了两周，晚上很黑（控制台测试）";
    let fields = [
        ("town", "zhongxing"),
        ("estate_id", estate.as_str()),
        ("category", "repair"),
        ("description", description),
        ("reporter_phone", "13812345678"),
    ];
    let (status, _, _) = resident.post("/console/submit", &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form without its CSRF token is refused");
    let mut with_token = fields.to_vec();
    with_token.push(("csrf", token.as_str()));
    let (status, _, location) = resident.post("/console/submit", &with_token).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.starts_with("/console/track?code="), "{location}");
    let (status, tracked, _) = resident.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    let code = location.trim_start_matches("/console/track?code=").split('&').next().unwrap().to_owned();
    assert!(tracked.contains("已受理") && tracked.contains(&code) && tracked.contains("已派单"), "{tracked}");
    assert!(!tracked.contains("13812345678"), "tracking shows no personal data");
    let (_, unknown, _) = resident.get("/console/track?code=NOPE0000").await;
    assert!(unknown.contains("没有找到"), "{unknown}");
    let (status, _, location) = resident.get("/console/tickets").await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/login")),
        "staff pages need sign-in"
    );

    // The property company finds it in its queue, accepts with measures and resolves it.
    let ticket_id = t.get_all("/api/v1/complaints?town=zhongxing&page_size=100", &office_api).await;
    let ticket_id =
        ticket_id.iter().find(|c| c["tracking_code"] == code.as_str()).unwrap()["id"].as_str().unwrap().to_owned();
    let mut company = Browser::new(&t.base);
    company.sign_in("zhongxing.property_company").await;
    // Its home: its own scores in the published bulletins and what inspectors found at its estates.
    let (status, home, _) = company.get("/console").await;
    assert_eq!(status, StatusCode::OK, "{home}");
    let scores = home.split("<table id=\"own-scores\">").nth(1).unwrap_or_else(|| panic!("own scores: {home}"));
    assert!(scores.contains("物业服务（所管小区）"), "{scores}");
    let findings = home.split("<table id=\"findings\">").nth(1).unwrap_or_else(|| panic!("findings: {home}"));
    assert!(findings.contains("已派单"), "{findings}");
    let (status, queue, _) = company.get("/console/tickets?open_only=true").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("我的待办") && queue.contains(&code) && queue.contains("剩余"), "{queue}");
    let page_path = format!("/console/tickets/{ticket_id}");
    let (status, page, _) = company.get(&page_path).await;
    assert_eq!(status, StatusCode::OK);
    // The unit handling it may call the reporter back.
    assert!(page.contains("接单（定措施）") && page.contains("定责任人") && page.contains("13812345678"), "{page}");
    let token = csrf(&page);
    // 签收 first: the page says by when, then when it was signed for.
    assert!(page.contains(">签收</button>") && page.contains("待签收，时限"), "{page}");
    // It may return it (退单) with one of the contract's reasons.
    assert!(page.contains(">退单</button>") && page.contains(">非本单位职责</option>"), "{page}");
    let (status, _, location) = company.post(&format!("{page_path}/sign"), &[("csrf", token.as_str())]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("{page_path}?done=sign").as_str())));
    let (_, page, _) = company.get(&page_path).await;
    assert!(page.contains("已签收") && !page.contains(">签收</button>"), "{page}");
    // 延期申请: the unit asks, the office approves, the deadline moves.
    let later = (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(20)).format("%Y-%m-%dT18:00");
    let later = later.to_string();
    let (status, _, _) = company
        .post(
            &format!("{page_path}/request_extension"),
            &[("csrf", token.as_str()), ("deadline", later.as_str()), ("reason", "灯具需统一采购")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = company.get(&page_path).await;
    assert!(
        page.contains("待审批") && page.contains("灯具需统一采购") && !page.contains(">申请延期</button>"),
        "{page}"
    );
    let mut approver = Browser::new(&t.base);
    approver.sign_in("zhongxing.town_office").await;
    let (_, office_page, _) = approver.get(&page_path).await;
    assert!(office_page.contains(">批准延期</button>") && office_page.contains(">不予延期</button>"), "{office_page}");
    let office_token = csrf(&office_page);
    let (status, _, _) = approver
        .post(&format!("{page_path}/approve_extension"), &[("csrf", office_token.as_str()), ("note", "")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = company.get(&page_path).await;
    let shown_deadline = later.replace('T', " ");
    assert!(!page.contains("待审批") && page.contains("批准延期") && page.contains(&shown_deadline), "{page}");
    let (status, _, _) = company.post(&format!("{page_path}/accept"), &[("measures", "更换楼道灯")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, location) =
        company.post(&format!("{page_path}/accept"), &[("csrf", token.as_str()), ("measures", "更换楼道灯")]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(format!("{page_path}?done=accept").as_str()))
    );
    let (_, page, _) = company.get(&format!("{page_path}?done=accept")).await;
    assert!(page.contains("已提交") && page.contains("更换楼道灯") && page.contains("办理中"), "{page}");
    // The resolve form starts from the town's reply template (答复规范), one heading a line.
    assert!(page.contains("name=\"reply\"") && page.contains("办理结果：\n办理单位及人员：\n办理依据："), "{page}");
    let reply = "办理结果：已更换 6 盏灯\n办理单位及人员：恒安物业 钱经理\n办理依据：物业服务合同";
    let (status, page, _) = company
        .post(
            &format!("{page_path}/resolve"),
            &[("csrf", token.as_str()), ("measures_taken", "已更换 6 盏灯"), ("reply", "灯修好了")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a reply without the template's headings is refused: {page}");
    assert!(page.contains("缺少“办理结果”一项"), "the page says which heading is missing: {page}");
    let (status, _, _) = company
        .post(
            &format!("{page_path}/resolve"),
            &[("csrf", token.as_str()), ("measures_taken", "已更换 6 盏灯"), ("reply", reply)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = company.get(page_path.as_str()).await;
    assert!(page.contains("答复") && page.contains("物业服务合同") && page.contains("待回访"), "{page}");
    // Refused by the service (a second accept): the page says why instead of failing.
    let (status, page, _) =
        company.post(&format!("{page_path}/accept"), &[("csrf", token.as_str()), ("measures", "再次接单")]).await;
    // The ticket's state stands in the way: 409, what the API answers for the same refusal.
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("class=\"error\""), "{page}");

    // Another unit cannot open the company's ticket.
    let mut police = Browser::new(&t.base);
    police.sign_in("zhongxing.police").await;
    let (status, _, _) = police.get(&page_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The town office: the dashboard, then verifies the fix.
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    let (status, home, _) = office.get("/console").await;
    assert_eq!(status, StatusCode::OK, "{home}");
    assert!(home.contains("镇物管办工作台") && home.contains("今日新增") && home.contains("及时响应率"), "{home}");
    assert!(home.contains("<svg class=\"chart\"") && home.contains("未办结问题最多的小区"), "{home}");
    // Weekly inspections: the office records one whose finding becomes a ticket; units may not.
    let (status, inspections, _) = office.get("/console/inspections").await;
    assert_eq!(status, StatusCode::OK, "{inspections}");
    assert!(inspections.contains("每周督查") && inspections.contains("记录一次督查"), "{inspections}");
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().to_string();
    let finding = [
        ("csrf", csrf(&inspections)),
        ("estate_id", estate.clone()),
        ("date", today),
        ("kind", "open".into()),
        ("focus", "key".into()),
        ("plan_id", String::new()),
        ("f0_item", "fire_safety".into()),
        ("f0_description", "消防通道堆放杂物（控制台督查）".into()),
        ("f0_category", "property_service".into()),
        ("f0_ticket", "true".into()),
    ];
    let finding: Vec<(&str, &str)> = finding.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, location) = office.post("/console/inspections", &finding).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.starts_with("/console/inspections?recorded="), "{location}");
    let (_, recorded, _) = office.get(&location).await;
    assert!(recorded.contains("已记录") && recorded.contains("其中 1 个派单整改"), "{recorded}");
    // Its follow-up is planned; the four checks say what to look at on return.
    let checks = value_after(&recorded, &["href=\"/console/inspections/checks?plan="]);
    let (status, four, _) = office.get(&format!("/console/inspections/checks?plan={checks}")).await;
    assert_eq!(status, StatusCode::OK, "{four}");
    assert!(four.contains("跟踪督查四查") && four.contains("查责任"), "{four}");
    let (status, _, _) = company.get("/console/inspections").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The office puts next week's unannounced visit on the plan.
    let next_week =
        ((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive() + chrono::Duration::days(7)).to_string();
    let plan = [
        ("csrf", csrf(&inspections)),
        ("estate_id", estate.clone()),
        ("date", next_week.clone()),
        ("kind", "unannounced".into()),
        ("focus", "key".into()),
    ];
    let plan: Vec<(&str, &str)> = plan.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, location) = office.post("/console/inspections/plan", &plan).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("/console/inspections?planned={next_week}"))));
    let (_, planned, _) = office.get(&format!("/console/inspections?planned={next_week}")).await;
    assert!(planned.contains(&format!("<td>{next_week}</td>")) && planned.contains("暗访"), "{planned}");
    let bad: Vec<(&str, &str)> = plan.iter().map(|(k, v)| if *k == "date" { (*k, "明天") } else { (*k, *v) }).collect();
    let (status, refused, _) = office.post("/console/inspections/plan", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("请填写有效的督查日期"), "{refused}");

    // Reassigning an open ticket: the office picks the unit by name.
    let (_, created) = t
        .post(
            "/api/v1/complaints",
            &office_api,
            serde_json::json!({"town": "zhongxing", "estate_id": estate, "category": "repair", "description": "改派测试：路面塌陷"}),
        )
        .await;
    let open_path = format!("/console/tickets/{}", created["id"].as_str().unwrap());
    let (_, open_page, _) = office.get(&open_path).await;
    let police_option = open_page
        .split("<option value=\"")
        .find(|o| o.contains(">众兴派出所<"))
        .unwrap_or_else(|| panic!("the police among the units to reassign to: {open_page}"));
    let police_id = police_option.split('"').next().unwrap();
    let (status, _, _) = office
        .post(
            &format!("{open_path}/reassign"),
            &[("csrf", csrf(&open_page).as_str()), ("unit_id", police_id), ("note", "属治安问题")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, reassigned, _) = office.get(&open_path).await;
    assert!(reassigned.contains("<dd>众兴派出所</dd>"), "{reassigned}");

    let (_, page, _) = office.get(&page_path).await;
    assert!(page.contains("核实") && page.contains("已办结"), "{page}");
    let token = csrf(&page);
    let (status, _, _) = office
        .post(
            &format!("{page_path}/verify"),
            &[("csrf", token.as_str()), ("satisfaction", "satisfied"), ("note", "回访满意")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, tracked, _) = resident.get(&format!("/console/track?code={code}")).await;
    assert!(tracked.contains("已核实"), "{tracked}");

    // The month's bulletin: the demo published last month's; the office publishes a new version
    // and prints it; a unit reads what was published, never a draft.
    let (status, bulletin, _) = office.get("/console/bulletins").await;
    assert_eq!(status, StatusCode::OK, "{bulletin}");
    assert!(
        bulletin.contains("已发布（第 1 版）") && bulletin.contains("小区排名") && bulletin.contains("责任单位排名"),
        "{bulletin}"
    );
    let month = value_after(&bulletin, &["name=\"month\" type=\"month\" value=\""]);
    let publish = format!("/console/bulletins/{month}/publish");
    let (status, _, _) = office.post(&publish, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, location) = office.post(&publish, &[("csrf", token.as_str())]).await;
    assert_eq!(
        (status, location),
        (StatusCode::SEE_OTHER, Some(format!("/console/bulletins?month={month}&published=2")))
    );
    let (_, printable, _) = office.get(&format!("/console/bulletins/{month}/print")).await;
    assert!(printable.contains("物业管理工作通报") && printable.contains("第 2 版"), "{printable}");
    let (status, read, _) = company.get("/console/bulletins").await;
    assert!(status == StatusCode::OK && read.contains("已发布（第 2 版）") && !read.contains("/publish"), "{read}");
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let (status, _, _) = company.get(&format!("/console/bulletins?month={this_month}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is for the office");
    // A bad month reads in Chinese, with the API's status; so does a mistyped address.
    let (status, page, _) = office.get("/console/bulletins?month=2025-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("「月份」") && !page.contains("YYYY-MM") && !page.contains("must"), "{page}");
    let (status, page, _) = office.get("/console/tickets?overdue=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("「超期」") && !page.contains("invalid") && !page.contains("Failed"), "{page}");

    // The estate ledger: search, an estate's page with its figures, inspections and tickets, export.
    let (status, ledger, _) = office.get("/console/estates?q=%E9%98%B3%E5%85%89").await;
    assert_eq!(status, StatusCode::OK, "{ledger}");
    assert!(ledger.contains("小区台账") && ledger.contains(&format!("/console/estates/{estate}")), "{ledger}");
    let (status, estate_page, _) = office.get(&format!("/console/estates/{estate}")).await;
    assert_eq!(status, StatusCode::OK, "{estate_page}");
    assert!(estate_page.contains("规划建筑面积") && estate_page.contains("技防（监控 / 门禁）"), "{estate_page}");
    let inspected_today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().to_string();
    assert!(
        estate_page.contains(&format!("<td>{inspected_today}</td><td>明查</td>")),
        "today's inspection: {estate_page}"
    );
    assert!(estate_page.contains(&code), "the resident's complaint is on its estate's page");
    let (status, csv, _) = office.get("/console/estates/export").await;
    assert!(status == StatusCode::OK && csv.lines().count() > 60, "the ledger exports: {csv}");

    // Last year's assessment: the failing units named with their responsible persons.
    let (status, assessed, _) = office.get("/console/assessments").await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    assert!(
        assessed.contains("全年考核") && assessed.contains("城管中队") && assessed.contains("超期未办"),
        "{assessed}"
    );
    assert!(assessed.contains("精品小区：达标 / 目标"), "{assessed}");
    let (status, _, _) = office.get("/console/assessments?year=2025&period=q3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The county: its towns side by side, each town's board and its written report.
    let mut county = Browser::new(&t.base);
    county.sign_in("county.admin").await;
    let (status, overview, _) = county.get("/console").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert!(
        overview.contains("全县各镇情况") && overview.contains("众兴镇") && overview.contains("安和镇"),
        "{overview}"
    );
    // Overdue and open at county level are states now, not counts of the month's new tickets.
    let overdue = t.get_all("/api/v1/complaints?town=zhongxing&overdue=true&open_only=true", &office_api).await.len();
    let county_level = t.get_all("/api/v1/complaints?town=zhongxing&level=2&open_only=true", &office_api).await.len();
    assert!(overdue > 0 && county_level > 0, "the demo has overdue and county-level tickets");
    let row = overview.split("<tr>").find(|r| r.contains("众兴镇")).expect("众兴镇's row");
    assert!(row.contains(&format!(">{overdue}</td>")), "{overdue} overdue: {row}");
    assert!(row.contains(&format!("level=2&amp;open_only=true\">{county_level}</a>")), "{county_level}: {row}");
    let report = value_after(&overview, &["href=\"/console/report?"]);
    let (status, written, _) = county.get(&format!("/console/report?{report}")).await;
    assert!(status == StatusCode::OK && written.contains("书面报告") && written.contains("定措施"), "{written}");
    let (status, board, _) = county.get("/console/tickets?town=anhe").await;
    assert!(status == StatusCode::OK && board.contains("诉求台账"), "{board}");

    // Signing out needs the token too, and ends the session — everywhere: a copy of the
    // cookie (another browser, a stolen token) stops working on the services and the console.
    let copied = office.cookies["wuguan_session"].clone();
    let (status, _, _) = office.post("/console/logout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = office.post("/console/logout", &[("csrf", token.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, location) = office.get("/console").await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/login")));
    let mut elsewhere = Browser::new(&t.base);
    elsewhere.cookies.insert("wuguan_session".into(), copied.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (api, _) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &copied).await;
        let (_, _, location) = elsewhere.get("/console").await;
        if api == StatusCode::UNAUTHORIZED && location.as_deref() == Some("/console/login") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the copied session still works: {api} {location:?}");
        elsewhere.cookies.insert("wuguan_session".into(), copied.clone());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let (status, css, _) = office.get("/console/static/console.css").await;
    assert!(status == StatusCode::OK && css.contains("--brand"), "assets are served by the gateway");
    t.stop().await;
}

/// A resident confirms or disputes a fix from the tracking page; the office works the four
/// checks and merges a repeat from the supervision view; the county reads any of its towns'
/// boards, bulletins and assessments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_rate_the_office_supervises_and_the_county_reads_each_town() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    // A page a resident or an owner representative may not use refuses with the API's status, in
    // Chinese: never a 502, 400 or "not published" where the API says 403.
    let today = chrono::Utc::now().date_naive();
    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(1)).format("%Y-%m").to_string();
    let year = today.format("%Y").to_string();
    let pairs = [
        (format!("/console/bulletins?month={last_month}"), format!("/api/v1/towns/zhongxing/bulletins/{last_month}")),
        ("/console/supervision".to_owned(), "/api/v1/towns/zhongxing/supervision".to_owned()),
        (format!("/console/assessments?year={year}"), format!("/api/v1/towns/zhongxing/assessments/{year}")),
        ("/console/rubric".to_owned(), "/api/v1/towns/zhongxing/rubric".to_owned()),
    ];
    for who in ["zhongxing.resident", "zhongxing.owner_rep"] {
        let api = t.login(who).await;
        let mut console = Browser::new(&t.base);
        console.sign_in(who).await;
        for (page, call) in &pairs {
            let (api_status, body) = t.get(call, &api).await;
            let (status, html, _) = console.get(page).await;
            assert_eq!(status, api_status, "{who} {page} vs {call}: {body} / {html}");
            if !status.is_success() {
                assert!(html.contains("class=error"), "the Chinese refusal page: {who} {page}: {html}");
                assert!(!html.contains("denied") && !html.contains("permission"), "{who} {page}: {html}");
            }
        }
    }
    let office_api = t.login("zhongxing.town_office").await;
    let company_api = t.login("zhongxing.property_company").await;
    let estate = t.company_estate().await;
    let submit = |description: &'static str| {
        let body = serde_json::json!({"town": "zhongxing", "estate_id": estate, "category": "sanitation",
                                      "description": description, "anonymous": true});
        t.send(reqwest::Method::POST, "/api/v1/complaints", None, Some(body))
    };
    let (_, first) = submit("垃圾桶满了没人清（评价测试）").await;
    let (id, code) = (first["id"].as_str().unwrap().to_owned(), first["tracking_code"].as_str().unwrap().to_owned());
    let resolve = |measures: &'static str| {
        let (company_api, id) = (company_api.clone(), id.clone());
        let t = &t;
        async move {
            t.post(&format!("/api/v1/complaints/{id}/accept"), &company_api, serde_json::json!({"measures": "清运"}))
                .await;
            let (status, body) = t
                .post(
                    &format!("/api/v1/complaints/{id}/resolve"),
                    &company_api,
                    serde_json::json!({"measures_taken": measures,
                        "reply": format!("办理结果：{measures}\n办理单位及人员：恒安物业\n办理依据：物业服务合同")}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };

    // A resident who comes without a town in the link picks it from the public directory.
    let mut resident = Browser::new(&t.base);
    let (status, choose, _) = resident.get("/console/submit").await;
    assert_eq!(status, StatusCode::OK, "{choose}");
    assert!(choose.contains("<option value=\"zhongxing\"") && choose.contains("安和镇"), "{choose}");
    let (status, directory) = t.send(reqwest::Method::GET, "/api/v1/directory/towns", None, None).await;
    assert_eq!(status, StatusCode::OK, "{directory}");
    let names: Vec<&str> = directory["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"众兴镇") && names.contains(&"安和镇"), "{directory}");

    // Before the fix there is nothing to rate; after it, the tracking page asks.
    let (_, before, _) = resident.get(&format!("/console/track?code={code}")).await;
    assert!(!before.contains("问题解决了吗"), "{before}");
    resolve("已清运").await;
    let (status, asked, _) = resident.get(&format!("/console/track?code={code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(asked.contains("问题解决了吗") && asked.contains("不满意（退回重新办理）"), "{asked}");
    let token = csrf(&asked);
    let dispute = [("code", code.as_str()), ("satisfaction", "not_satisfied"), ("note", "第二天又满了")];
    let (status, _, _) = resident.post("/console/track/rate", &dispute).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a rating without its CSRF token is refused");
    let (status, page, _) = resident
        .post("/console/track/rate", &[("csrf", token.as_str()), ("code", &code), ("satisfaction", "not_satisfied")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不满意时请写明"), "a dispute needs its reason: {page}");
    let mut with_token = dispute.to_vec();
    with_token.push(("csrf", token.as_str()));
    let (status, _, location) = resident.post("/console/track/rate", &with_token).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, disputed, _) = resident.get(&location.unwrap()).await;
    assert!(disputed.contains("已收到您的意见") && disputed.contains("居民有异议，重新办理"), "{disputed}");
    assert!(!disputed.contains("问题解决了吗"), "reopened: nothing to rate now");
    resolve("已加派清运车次").await;
    let (status, _, location) = resident
        .post("/console/track/rate", &[("csrf", token.as_str()), ("code", &code), ("satisfaction", "satisfied")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, confirmed, _) = resident.get(&location.unwrap()).await;
    assert!(confirmed.contains("感谢您的评价") && confirmed.contains("居民确认办结"), "{confirmed}");
    assert!(confirmed.contains("<dd id=\"satisfaction\">满意</dd>"), "{confirmed}");

    // The office's supervision view: the four checks, and a repeat merged into its original.
    let (_, original) = submit("楼下垃圾堆了三天（重复测试）").await;
    let (_, repeat) = submit("楼下垃圾还在（重复测试）").await;
    assert_eq!(repeat["possible_repeat_of"], original["id"], "{repeat}");
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    let (status, view, _) = office.get("/console/supervision").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    for check in ["查成效", "查进度", "查原因", "查责任", "疑似重复"] {
        assert!(view.contains(check), "{check} in {view}");
    }
    assert!(view.contains(&code), "the confirmed ticket is checked for its effect: {view}");
    let repeat_code = repeat["tracking_code"].as_str().unwrap();
    let merge = format!("/console/tickets/{}/merge", repeat["id"].as_str().unwrap());
    assert!(view.contains(&merge) && view.contains(repeat_code), "{view}");
    let (status, _, location) = office
        .post(
            &merge,
            &[("csrf", csrf(&view).as_str()), ("into", original["id"].as_str().unwrap()), ("return", "supervision")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/supervision?done=merge#repeats")));
    let (_, after, _) = office.get("/console/supervision?done=merge").await;
    assert!(after.contains("已合并") && !after.contains(&merge), "{after}");
    let (_, merged) = t.get(&format!("/api/v1/complaints/{}", repeat["id"].as_str().unwrap()), &office_api).await;
    assert_eq!((merged["status"].as_str(), &merged["merged_into"]), (Some("closed"), &original["id"]));
    let mut company = Browser::new(&t.base);
    company.sign_in("zhongxing.property_company").await;
    let (status, _, _) = company.get("/console/supervision").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "supervision is the office's and the county's");

    // The county reads another town's board, supervision, bulletin and assessment by choosing it.
    let mut county = Browser::new(&t.base);
    county.sign_in("county.admin").await;
    let (_, overview, _) = county.get("/console").await;
    assert!(overview.contains("/console/bulletins?town=anhe") && overview.contains("/console/assessments?town=anhe"));
    let (status, board, _) = county.get("/console/tickets?town=anhe").await;
    assert!(status == StatusCode::OK && board.contains("<option value=\"anhe\" selected>安和镇</option>"), "{board}");
    let (status, level_two, _) = county.get("/console/tickets?town=zhongxing&level=2").await;
    assert!(status == StatusCode::OK && level_two.contains("<option value=\"2\" selected>"), "{level_two}");
    assert!(level_two.contains("tag l2") && !level_two.contains("tag l1"), "only level-2 tickets: {level_two}");
    let (status, view, _) = county.get("/console/supervision?town=anhe").await;
    assert!(status == StatusCode::OK && view.contains("查责任") && !view.contains(&code), "{view}");
    let (status, bulletin, _) = county.get("/console/bulletins?town=zhongxing").await;
    assert_eq!(status, StatusCode::OK, "{bulletin}");
    assert!(bulletin.contains("已发布（第 1 版）") && bulletin.contains("小区排名"), "{bulletin}");
    assert!(!bulletin.contains("/publish"), "publishing is the town office's: {bulletin}");
    let (status, bulletin, _) = county.get("/console/bulletins?town=anhe").await;
    assert!(status == StatusCode::OK && bulletin.contains("草稿（未发布）"), "{bulletin}");
    let print = value_after(&bulletin, &["href=\"/console/bulletins/"]);
    assert!(print.ends_with("/print?town=anhe"), "{print}");
    let (status, printable, _) = county.get(&format!("/console/bulletins/{print}")).await;
    assert!(status == StatusCode::OK && printable.contains("安和镇"), "{printable}");
    let (status, assessed, _) = county.get("/console/assessments?town=anhe").await;
    assert!(status == StatusCode::OK && assessed.contains("全年考核"), "{assessed}");
    // A town's own staff cannot read another town by asking for it.
    let (_, own, _) = office.get("/console/bulletins?town=anhe").await;
    assert!(!own.contains("安和镇"), "{own}");
    t.stop().await;
}

/// `multipart/form-data` as a browser sends a file upload.
fn multipart(fields: &[(&str, &str)], file: &str) -> (String, String) {
    let boundary = "----wuguanConsoleTestBoundary7MA4YWxk";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"estates.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The office keeps the ledger in the console: edits an estate (refusals name the field and keep
/// the input; a stale form does not overwrite), adds one, imports a spreadsheet with errors
/// shown by line and field; the estate page shows the monthly scores and the change history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_keeps_the_estate_ledger_in_the_console() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let office_api = t.login("zhongxing.town_office").await;
    let last_month = {
        let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        let first = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1)
            .unwrap();
        (first - chrono::Duration::days(1)).format("%Y-%m").to_string()
    };
    // An estate the demo inspected last month, so its published bulletin scores it.
    let (_, bulletin) = t.get(&format!("/api/v1/towns/zhongxing/bulletins/{last_month}"), &office_api).await;
    let ranked = bulletin["rankings"].as_array().unwrap().iter().find(|r| r["subject_type"] == "estate").unwrap();
    let id = ranked["subject_id"].as_str().unwrap().to_owned();
    let (_, estate) = t.get(&format!("/api/v1/estates/{id}"), &office_api).await;
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    // The ledger ends in a totals row, every number for people grouped by thousands: the
    // town's figures from the speech (477万 m² planned, 16,458 of 33,873 households, 57,694 people).
    let (status, ledger, _) = office.get("/console/estates").await;
    assert_eq!(status, StatusCode::OK, "{ledger}");
    let totals = ledger.split("id=\"ledger-totals\"").nth(1).unwrap_or_else(|| panic!("totals row: {ledger}"));
    let totals = totals.split("</tr>").next().unwrap();
    for figure in ["4,770,000", "16,458 / 33,873", "57,694"] {
        assert!(totals.contains(figure), "{figure} missing: {totals}");
    }

    // The estate page: last month's published score, and the way to edit.
    let (_, before, _) = office.get(&format!("/console/estates/{id}")).await;
    assert!(before.contains("月度通报得分") && before.contains(&format!("/console/estates/{id}/edit")), "{before}");
    let scores = before.split("<table id=\"scores\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(scores.contains(&format!(">{last_month}</a>")), "the demo's published month is scored: {scores}");

    let edit = format!("/console/estates/{id}/edit");
    let (status, form, _) = office.get(&edit).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let value_of = |page: &str, name: &str| -> String {
        let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("{name} in {page}"));
        page[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let residents = value_of(&form, "residents");
    assert_eq!(residents, estate["residents"].as_i64().unwrap().to_string());
    // Every field as the form holds it, as a browser would post it.
    let mut fields: Vec<(String, String)> = [
        "version",
        "name",
        "address",
        "planned_floor_area_m2",
        "built_floor_area_m2",
        "designed_households",
        "occupied_households",
        "residents",
        "guards",
        "cameras",
    ]
    .iter()
    .map(|n| (n.to_string(), value_of(&form, n)))
    .collect();
    let selected = |page: &str, name: &str| -> String {
        let select = page.split(&format!("<select name=\"{name}\"")).nth(1).unwrap().split("</select>").next().unwrap();
        let option =
            select.split("<option value=\"").find(|o| o.contains("selected")).unwrap_or_else(|| panic!("{select}"));
        option.split('"').next().unwrap().to_owned()
    };
    for name in ["community_id", "management_mode", "property_company_id", "owners_committee", "target"] {
        fields.push((name.to_owned(), selected(&form, name)));
    }
    let post = |changes: &[(&str, &str)], csrf_token: Option<&str>| {
        let mut f = fields.clone();
        for (k, v) in changes {
            f.retain(|(name, _)| name != k);
            f.push((k.to_string(), v.to_string()));
        }
        if let Some(token) = csrf_token {
            f.push(("csrf".into(), token.into()));
        }
        f
    };
    let token = csrf(&form);
    let new_residents = (residents.parse::<i64>().unwrap() + 7).to_string();
    let (status, _, _) = office.post(&edit, &pairs(&post(&[("residents", &new_residents)], None))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an edit without its CSRF token is refused");
    let planned = value_of(&form, "planned_floor_area_m2");
    let too_big = (planned.parse::<i64>().unwrap() + 1).to_string();
    let (status, refused, _) =
        office.post(&edit, &pairs(&post(&[("built_floor_area_m2", &too_big)], Some(&token)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("「已建面积」不能大于「规划建筑面积」"),
        "the refusal names the fields in Chinese: {refused}"
    );
    assert!(refused.contains(&format!("value=\"{too_big}\"")) && refused.contains("class=\"invalid\""), "{refused}");
    let (status, refused, _) = office.post(&edit, &pairs(&post(&[("guards", "两个")], Some(&token)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("保安人数请填写不小于 0 的整数"), "{refused}");
    let (status, _, location) = office.post(&edit, &pairs(&post(&[("residents", &new_residents)], Some(&token)))).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(format!("/console/estates/{id}?saved=1").as_str()))
    );
    let (_, saved, _) = office.get(&format!("/console/estates/{id}?saved=1")).await;
    // Shown grouped by thousands (1,234), as every number for people.
    let shown = {
        let n = new_residents.as_str();
        let mut out = String::new();
        for (i, c) in n.chars().enumerate() {
            if i > 0 && (n.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(saved.contains("已保存") && saved.contains(&format!("<dd>{shown}</dd>")), "{saved}");
    let main = saved.split("<main>").nth(1).unwrap();
    assert!(main.contains(&format!("居住人口：{residents} → {new_residents}")), "the change is on record: {saved}");
    let title = saved.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    assert!(!title.contains('<'), "the title is text only: {title}");
    // The same form again (its version is now stale) does not overwrite the saved change.
    let (status, stale, _) = office.post(&edit, &pairs(&post(&[("residents", "1")], Some(&token)))).await;
    // A newer version stands in the way: 409, as the API answers a stale expected_version.
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(stale.contains("已被他人修改"), "{stale}");

    // A new estate from the same form.
    let (_, blank, _) = office.get("/console/estates/new").await;
    let community = value_after(&blank, &["<select name=\"community_id\"", "<option value=\""]);
    let new_estate = [
        ("csrf", token.as_str()),
        ("name", "控制台新建小区"),
        ("community_id", community.as_str()),
        ("planned_floor_area_m2", "20000"),
        ("built_floor_area_m2", "20000"),
        ("designed_households", "200"),
        ("occupied_households", "150"),
        ("residents", "420"),
        ("management_mode", "none"),
        ("owners_committee", "none"),
        ("target", "none"),
        ("guards", "0"),
        ("cameras", "4"),
        ("is_old_estate", "true"),
    ];
    let (status, refused, location) = office.post("/console/estates/new", &new_estate).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{refused}");
    let (_, created, _) = office.get(&location.unwrap()).await;
    assert!(created.contains("控制台新建小区") && created.contains("建档"), "{created}");

    // Import: a spreadsheet with a bad figure is refused whole, by line and field.
    let (_, communities) = t.get("/api/v1/towns/zhongxing/communities", &office_api).await;
    let community_name = communities["items"][0]["name"].as_str().unwrap();
    let header = "小区名称,所属社区,规划建筑面积(平方米),已建面积(平方米),设计户数,入住户数,入住人口";
    let bad = format!(
        "{header}\n导入甲小区,{community_name},30000,30000,300,200,600\n导入乙小区,{community_name},很大,100,10,5,12\n"
    );
    let (_, import_page, _) = office.get("/console/estates/import").await;
    assert!(import_page.contains("enctype=\"multipart/form-data\""), "{import_page}");
    let upload = |fields: Vec<(&'static str, String)>, file: String| {
        let http = office.http.clone();
        let url = format!("{}/console/estates/import", office.base);
        let cookies = office.cookie_header();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (content_type, body) = multipart(&fields, &file);
            let resp = http
                .post(url)
                .header(COOKIE, cookies)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.text().await.unwrap())
        }
    };
    let (status, _) = upload(vec![], bad.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an upload without its CSRF token is refused");
    let (status, problems) = upload(vec![("csrf", token.clone())], bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problems}");
    let table = problems.split("<table id=\"problems\">").nth(1).unwrap_or_else(|| panic!("{problems}"));
    assert!(table.contains("<td>第 3 行</td><td>规划建筑面积</td>"), "{table}");
    assert!(problems.contains("未写入任何数据"), "{problems}");
    let listed = |name: &'static str| {
        let office_api = office_api.clone();
        let t = &t;
        async move {
            t.get_all(&format!("/api/v1/towns/zhongxing/estates?q={name}&page_size=100"), &office_api)
                .await
                .iter()
                .any(|e| e["name"] == name)
        }
    };
    assert!(!listed("导入甲小区").await, "nothing of a refused import is written");
    let good = format!("{header}\n导入甲小区,{community_name},30000,30000,300,200,600\n");
    let (status, checked) = upload(vec![("csrf", token.clone()), ("dry_run", "true".into())], good.clone()).await;
    assert!(status == StatusCode::OK && checked.contains("检查通过，未写入：新增 1 个小区"), "{checked}");
    assert!(!listed("导入甲小区").await, "a check writes nothing");
    // A spreadsheet larger than a form (256 KiB) is still within the import's limit (4 MiB).
    let padded = format!("{good}{}", "\n".repeat(300 * 1024));
    let (status, checked) = upload(vec![("csrf", token.clone()), ("dry_run", "true".into())], padded).await;
    assert!(status == StatusCode::OK && checked.contains("检查通过"), "{status}: {checked}");
    let (status, imported) = upload(vec![("csrf", token.clone())], good).await;
    assert!(status == StatusCode::OK && imported.contains("已导入：新增 1 个小区"), "{imported}");
    assert!(listed("导入甲小区").await);

    // Units read the ledger's pages only as far as the services let them, and never edit.
    let mut company = Browser::new(&t.base);
    company.sign_in("zhongxing.property_company").await;
    for path in [edit.as_str(), "/console/estates/new", "/console/estates/import"] {
        let (status, _, _) = company.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    t.stop().await;
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The fields a browser would post from the form `id` as it stands: inputs (checkboxes only
/// when ticked), the selected option of each select, textareas.
fn form_fields(page: &str, id: &str) -> Vec<(String, String)> {
    let form = page.split(&format!("id=\"{id}\"")).nth(1).unwrap_or_else(|| panic!("form {id} in {page}"));
    let form = form.split("</form>").next().unwrap();
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))?;
        Some(tag[at + name.len() + 3..].split('"').next().unwrap().replace("&amp;", "&"))
    };
    let mut fields = Vec::new();
    for tag in form.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        if let Some(rest) = tag.strip_prefix("input") {
            let Some(name) = attr(rest, "name") else { continue };
            if attr(rest, "type").as_deref() == Some("checkbox") && !rest.contains(" checked") {
                continue;
            }
            fields.push((name, attr(rest, "value").unwrap_or_default()));
        } else if let Some(rest) = tag.strip_prefix("select") {
            let name = attr(rest, "name").unwrap();
            let select =
                form.split(&format!("<select name=\"{name}\"")).nth(1).unwrap().split("</select>").next().unwrap();
            let options: Vec<&str> = select.split("<option").skip(1).collect();
            let chosen = options.iter().find(|o| o.split('>').next().unwrap().contains("selected")).or(options.first());
            let value = chosen.and_then(|o| attr(o.split('>').next().unwrap(), "value")).unwrap_or_default();
            fields.push((name, value));
        }
    }
    fields
}

fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields.to_vec();
    for (k, v) in changes {
        out.retain(|(name, _)| name != k);
        out.push((k.to_string(), v.to_string()));
    }
    out
}

/// The office edits the rubric (a new version, refusals by row) and the routing rules (only
/// changed categories saved; a bad row saves nothing); units may not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_sets_the_rubric_and_the_routing_rules() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let office_api = t.login("zhongxing.town_office").await;
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;

    let (status, rubric, _) = office.get("/console/rubric").await;
    assert_eq!(status, StatusCode::OK, "{rubric}");
    assert!(rubric.contains("考核细则") && rubric.contains("一票否决") && rubric.contains("派单扣分"), "{rubric}");
    let fields = form_fields(&rubric, "rubric");
    let (_, before) = t.get("/api/v1/towns/zhongxing/rubric", &office_api).await;
    let items = before["items"].as_array().unwrap().len();
    let spare = items.to_string();
    let (status, _, _) = office.post("/console/rubric", &pairs(&with(&fields, &[("csrf", "")]))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refused, _) = office.post("/console/rubric", &pairs(&with(&fields, &[("i2_max", "0")]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("考核项目第 3 行：满分应大于 0"), "{refused}");
    assert!(refused.contains("name=\"i2_max\" value=\"0\""), "the input is kept: {refused}");
    let (status, refused, _) =
        office.post("/console/rubric", &pairs(&with(&fields, &[("pass", "85"), ("good", "80")]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("等级线应满足"), "{refused}");
    let new_item = [
        (format!("i{spare}_code"), "parking".to_owned()),
        (format!("i{spare}_area"), "maintenance".to_owned()),
        (format!("i{spare}_name"), "停车秩序".to_owned()),
        (format!("i{spare}_max"), "4".to_owned()),
        (format!("i{spare}_per"), "1".to_owned()),
    ];
    let new_item: Vec<(&str, &str)> = new_item.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut changes = new_item.clone();
    changes.push(("i0_max", "9"));
    changes.push(("excellent", "92"));
    let (status, _, location) = office.post("/console/rubric", &pairs(&with(&fields, &changes))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let (_, saved, _) = office.get(&location).await;
    assert!(saved.contains("已保存为第") && saved.contains("停车秩序"), "{saved}");
    let (_, after) = t.get("/api/v1/towns/zhongxing/rubric", &office_api).await;
    assert_eq!(after["items"].as_array().unwrap().len(), items + 1);
    assert_eq!(after["items"][0]["max_points"], 9.0);
    assert_eq!(after["bands"]["excellent"], 92.0);
    assert_eq!(after["version"].as_i64(), Some(before["version"].as_i64().unwrap() + 1));
    assert_eq!(after["rules"], before["rules"], "the rules are kept as they were");

    // 红黑榜 weights: refused by row in Chinese, saved as a new version.
    assert!(rubric.contains("责任单位红黑榜") && rubric.contains("按期办结率"), "{rubric}");
    let (status, refused, _) = office.post("/console/rubric", &pairs(&with(&fields, &[("league_redo", "101")]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("红黑榜：每项权重应在 0 到 100 之间") && refused.contains("value=\"101\""), "{refused}");
    let (status, _, _) = office
        .post("/console/rubric", &pairs(&with(&fields, &[("league_on_time", "40"), ("league_min_tickets", "3")])))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, league) = t.get("/api/v1/towns/zhongxing/rubric", &office_api).await;
    let league = &league["rules"]["league"];
    assert_eq!(league["min_tickets"], 3, "{league}");
    let on_time = league["weights"].as_array().unwrap().iter().find(|w| w["indicator"] == "on_time").unwrap();
    assert_eq!(on_time["weight"], 40.0, "{league}");

    let (status, routing, _) = office.get("/console/routing").await;
    assert_eq!(status, StatusCode::OK, "{routing}");
    // The demo's returns, by category and unit, under the rules (退单分析).
    assert!(routing.contains("退单分析") && routing.contains("id=\"returns\""), "{routing}");
    // 退单原因: a reason of the town's own added from the spare row, a built-in one switched off.
    let reasons = form_fields(&routing, "return-reasons");
    let spare = (0..40).find(|n| !reasons.iter().any(|(k, _)| k == &format!("r{n}_code"))).unwrap();
    let mut posted: Vec<(String, String)> =
        reasons.iter().filter(|(k, _)| k != "r2_active" && !k.starts_with(&format!("r{spare}_"))).cloned().collect();
    posted.push((format!("r{spare}_label"), "属物业公司维修范围".into()));
    posted.push((format!("r{spare}_active"), "true".into()));
    let posted: Vec<(&str, &str)> = posted.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, location) = office.post("/console/return-reasons", &posted).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/routing?reasons=saved")));
    let (_, listed) = t.get("/api/v1/towns/zhongxing/return-reasons", &office_api).await;
    let items = listed["items"].as_array().unwrap();
    assert!(items.iter().any(|r| r["code"] == "own_1" && r["label"] == "属物业公司维修范围"), "{listed}");
    assert_eq!(items[2]["active"], false, "{listed}");
    assert!(routing.contains("派单规则") && routing.contains("五方联动"), "{routing}");
    let fields = form_fields(&routing, "routing");
    let (status, refused, _) = office
        .post(
            "/console/routing",
            // Sanitation: 24 hours to respond, 1 hour to resolve.
            &pairs(&with(
                &fields,
                &[
                    ("repair_target", "community"),
                    ("sanitation_resolution_amount", "1"),
                    ("sanitation_resolution_unit", "hours"),
                ],
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("环境卫生：办结时限不能短于响应时限"), "{refused}");
    // The units offered are the contract's, in Chinese.
    assert!(routing.contains(">工作日</option>") && routing.contains(">自然日</option>"), "{routing}");
    let (_, unchanged) = t.get("/api/v1/towns/zhongxing/routing-rules", &office_api).await;
    let repair = |rules: &serde_json::Value| {
        rules["items"].as_array().unwrap().iter().find(|r| r["category"] == "repair").unwrap().clone()
    };
    assert_eq!(repair(&unchanged)["target"], "property_company", "a bad row saves nothing");
    let (status, _, location) = office
        .post(
            "/console/routing",
            &pairs(&with(
                &fields,
                &[
                    ("repair_target", "community"),
                    ("repair_response_amount", "2"),
                    ("repair_response_unit", "working_hours"),
                ],
            )),
        )
        .await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/routing?saved=1")));
    let (_, changed) = t.get("/api/v1/towns/zhongxing/routing-rules", &office_api).await;
    let rule = repair(&changed);
    assert_eq!(
        (rule["target"].as_str(), rule["response_amount"].as_u64(), rule["response_unit"].as_str()),
        (Some("community"), Some(2), Some("working_hours"))
    );
    assert_eq!(rule["customised"], true);
    let customised = changed["items"].as_array().unwrap().iter().filter(|r| r["customised"] == true).count();
    assert_eq!(customised, 1, "only the changed category is saved");

    // The daily digest, by unit.
    let (status, digest, _) = office.get("/console/digest").await;
    assert_eq!(status, StatusCode::OK, "{digest}");
    assert!(digest.contains("每日督办提醒") && digest.contains("已超期") && digest.contains("责任人"), "{digest}");

    // The working calendar: the national schedule until the office enters the year as lines.
    let (status, calendar, _) = office.get("/console/calendar?year=2026").await;
    assert_eq!(status, StatusCode::OK, "{calendar}");
    assert!(calendar.contains("工作日历 · 2026 年") && calendar.contains("国务院公布的放假安排"), "{calendar}");
    assert!(calendar.contains("2026-10-10 调休上班 国庆节"), "the form holds the year as lines: {calendar}");
    let fields = form_fields(&calendar, "calendar");
    let lines = "2026-10-01 放假 国庆节\n2026-10-02 放假 国庆节\n2026-10-07 休息";
    let (status, refused, _) = office.post("/console/calendar", &pairs(&with(&fields, &[("days", lines)]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("第 3 行：日期后请写“放假”或“调休上班”。"), "{refused}");
    let lines = "2026-10-01 放假 国庆节\n2026-10-09 调休上班 国庆节";
    let (status, refused, _) = office.post("/console/calendar", &pairs(&with(&fields, &[("days", lines)]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("第 2 行：") && refused.contains("只有周六、周日可设为调休上班日"), "{refused}");
    let lines = "2026-10-01 放假 国庆节\n2026-10-02 放假 国庆节\n2026-10-10 调休上班 国庆节";
    let (status, _, location) =
        office.post("/console/calendar", &pairs(&with(&fields, &[("days", lines), ("office_start", "09:00")]))).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/calendar?year=2026&saved=3")));
    let (_, saved) = t.get("/api/v1/towns/zhongxing/calendar?year=2026", &office_api).await;
    assert_eq!((saved["source"].as_str(), saved["office_start"].as_str()), (Some("town"), Some("09:00")), "{saved}");
    assert_eq!(saved["days"].as_array().unwrap().len(), 3);
    let (_, shown, _) = office.get("/console/calendar?year=2026&saved=3").await;
    assert!(shown.contains("已保存 2026 年的工作日历") && shown.contains("本镇设定"), "{shown}");
    let (_, later, _) = office.get("/console/calendar?year=2031").await;
    assert!(later.contains("2031 年的节假日安排尚未录入"), "{later}");

    // 答复规范: the office sets what a category's replies must say, one heading a line.
    let (status, templates, _) = office.get("/console/reply-templates").await;
    assert_eq!(status, StatusCode::OK, "{templates}");
    assert!(templates.contains("答复规范") && templates.contains("办理单位及人员"), "{templates}");
    let token = csrf(&templates);
    let (status, refused, _) = office
        .post(
            "/console/reply-templates",
            &[("csrf", token.as_str()), ("category", "illegal_stall"), ("headings", "处理结果\n处理结果")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("乱设摊点") && refused.contains("同一项目填写了两次"), "{refused}");
    let form = [
        ("csrf", token.as_str()),
        ("category", "illegal_stall"),
        ("headings", "处理结果\n执法依据"),
        ("guidance", "写明取缔的摊点数和执法文书编号"),
    ];
    let (status, _, location) = office.post("/console/reply-templates", &form).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/reply-templates?saved=illegal_stall"))
    );
    let (_, listed) = t.get("/api/v1/towns/zhongxing/reply-templates", &office_api).await;
    let stall = listed["items"].as_array().unwrap().iter().find(|i| i["category"] == "illegal_stall").unwrap();
    assert_eq!(stall["headings"], serde_json::json!(["处理结果", "执法依据"]), "{stall}");

    let mut company = Browser::new(&t.base);
    company.sign_in("zhongxing.property_company").await;
    // Its own digest: what of its tickets is overdue or falls due, no other unit's.
    let (status, own_digest, _) = company.get("/console/digest").await;
    assert_eq!(status, StatusCode::OK, "{own_digest}");
    assert!(own_digest.contains("到期提醒") && !own_digest.contains("众兴派出所"), "{own_digest}");
    let (status, calendar, _) = company.get("/console/calendar?year=2026").await;
    assert_eq!(status, StatusCode::OK);
    assert!(calendar.contains("2026-10-10") && !calendar.contains("id=\"calendar\""), "read only: {calendar}");
    let (_, read_only, _) = company.get("/console/routing").await;
    assert!(!read_only.contains("<button class=\"primary\" type=\"submit\">保存</button>"), "{read_only}");
    let token = csrf(&read_only);
    let (_, templates, _) = company.get("/console/reply-templates").await;
    assert!(templates.contains("执法依据") && !templates.contains("<textarea"), "read only: {templates}");
    for path in ["/console/routing", "/console/rubric", "/console/calendar", "/console/reply-templates"] {
        let (status, _, _) = company.post(path, &[("csrf", token.as_str())]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    t.stop().await;
}

/// Anyone signed in changes their password; the town office opens an account for a unit's staff,
/// sets a new password for someone who lost theirs and keeps each unit's responsible person;
/// units may not; repeated wrong passwords lock an account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_accounts_and_responsible_persons_in_the_console() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let sign_in_with = |username: &'static str, password: &'static str| {
        let t = &t;
        async move {
            t.send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await
            .0
        }
    };
    let mut police = Browser::new(&t.base);
    police.sign_in("zhongxing.police").await;
    let (status, form, _) = police.get("/console/password").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(form.contains("/console/password\">修改密码</a>"), "every page links to it: {form}");
    let token = csrf(&form);
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [
            ("csrf", token.clone()),
            ("current_password", current.into()),
            ("new_password", new.into()),
            ("repeat_password", repeat.into()),
        ]
    };
    let (status, _, _) = police.post("/console/password", &[("current_password", "demo"), ("new_password", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (fields, expected) in [
        (change("demo", "police-new-1", "police-new-2"), "两次输入的新密码不一致"),
        (change("wrong-pass", "police-new-1", "police-new-1"), "当前密码不正确"),
        (change("demo", "short", "short"), "新密码至少 8 个字符"),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page, _) = police.post("/console/password", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let fields = change("demo", "police-new-1", "police-new-1");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, location) = police.post("/console/password", &fields).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/password?done=1")));
    assert_eq!(sign_in_with("zhongxing.police", "police-new-1").await, StatusCode::OK);
    assert_eq!(sign_in_with("zhongxing.police", "demo").await, StatusCode::UNAUTHORIZED);

    // The office: its town's accounts, a new one for the police station, a reset.
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    let (status, page, _) = office.get("/console/accounts").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("zhongxing.police") && page.contains("派出所") && !page.contains("anhe."), "{page}");
    let police_unit = page
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains(">众兴派出所<"))
        .unwrap_or_else(|| panic!("the police station among the units: {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let token = csrf(&page);
    let new_account = [
        ("csrf", token.as_str()),
        ("username", "zhongxing.police.li"),
        ("display_name", "李警官"),
        ("role", "police"),
        ("unit_id", police_unit.as_str()),
        ("password", "first-pass-1"),
    ];
    let (status, refused, location) = office.post("/console/accounts", &new_account).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{refused}");
    let (_, created, _) = office.get(&location.unwrap()).await;
    assert!(created.contains("已开通账号 zhongxing.police.li") && created.contains("李警官"), "{created}");
    assert_eq!(sign_in_with("zhongxing.police.li", "first-pass-1").await, StatusCode::OK);
    let (status, taken, _) = office.post("/console/accounts", &new_account).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.contains("这个用户名已被使用"), "{taken}");
    let reset = [("csrf", token.as_str()), ("username", "zhongxing.police"), ("new_password", "reset-by-office")];
    let (status, _, location) = office.post("/console/accounts/reset", &reset).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/accounts?town=zhongxing&reset=zhongxing.police"))
    );
    assert_eq!(sign_in_with("zhongxing.police", "reset-by-office").await, StatusCode::OK);
    // The new officer leaves: stopped, the sign-in page says so.
    let stop = [("csrf", token.as_str()), ("username", "zhongxing.police.li"), ("stop", "true")];
    let (status, _, location) = office.post("/console/accounts/stop", &stop).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, stopped, _) = office.get(&location.unwrap()).await;
    assert!(stopped.contains("已停用 zhongxing.police.li") && stopped.contains("启用"), "{stopped}");
    let mut leaver = Browser::new(&t.base);
    let (_, login_page, _) = leaver.get("/console/login").await;
    let leaver_token = csrf(&login_page);
    let (_, refused, _) = leaver
        .post(
            "/console/login",
            &[("csrf", leaver_token.as_str()), ("username", "zhongxing.police.li"), ("password", "first-pass-1")],
        )
        .await;
    assert!(refused.contains("该账号已停用"), "{refused}");
    let other_town = [("csrf", token.as_str()), ("username", "anhe.police"), ("new_password", "reset-by-office")];
    let (status, refused, _) = office.post("/console/accounts/reset", &other_town).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("没有这个账号"), "{refused}");

    // A unit's staff manage no accounts.
    let (status, _, _) = police.get("/console/accounts").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The units and their responsible persons: a new deputy designated, then the chief again.
    let (status, units, _) = office.get("/console/units").await;
    assert_eq!(status, StatusCode::OK, "{units}");
    assert!(units.contains("派出所 · 众兴派出所") && units.contains("<span class=\"tag\">责任人</span>"), "{units}");
    let section = units.split("派出所 · 众兴派出所").nth(1).unwrap().split("</section>").next().unwrap();
    let unit_id = value_after(section, &["name=\"unit_id\" value=\""]);
    let add = [
        ("csrf", token.as_str()),
        ("unit_id", unit_id.as_str()),
        ("name", "周副所长"),
        ("title", "副所长"),
        ("phone", "13700001234"),
        ("designated", "true"),
    ];
    let (status, _, _) = office.post("/console/units/persons", &add[1..]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, location) = office.post("/console/units/persons", &add).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, added, _) = office.get(&location.unwrap()).await;
    assert!(added.contains("已添加 周副所长"), "{added}");
    let section = added.split("派出所 · 众兴派出所").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(section.contains("<td>周副所长</td><td>副所长</td><td>13700001234</td>"), "{section}");
    // The chief's "设为责任人" form (the designated deputy has none).
    let chief = value_after(section, &["action=\"/console/units/designate\"", "name=\"person_id\" value=\""]);
    let (status, _, location) =
        office.post("/console/units/designate", &[("csrf", token.as_str()), ("person_id", chief.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, back, _) = office.get(&location.unwrap()).await;
    assert!(back.contains("已设为责任人"), "{back}");
    // 周 moves on: his number corrected first, then removed (he is no longer the designated one).
    let deputy = value_after(&added, &["派出所 · 众兴派出所", "<td>周副所长</td>", "name=\"person_id\" value=\""]);
    let fix = [
        ("csrf", token.as_str()),
        ("person_id", deputy.as_str()),
        ("name", "周副所长"),
        ("title", "副所长"),
        ("phone", "13700009999"),
    ];
    let (status, _, location) = office.post("/console/units/persons/update", &fix).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, fixed, _) = office.get(&location.unwrap()).await;
    assert!(fixed.contains("周副所长 的信息已更新") && fixed.contains("13700009999"), "{fixed}");
    let remove = [("csrf", token.as_str()), ("person_id", deputy.as_str()), ("name", "周副所长")];
    let (status, refused, location) = office.post("/console/units/persons/remove", &remove).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", refused.split("class=\"error\">").nth(1).unwrap_or(""));
    let (_, removed, _) = office.get(&location.unwrap()).await;
    assert!(removed.contains("周副所长 已移除") && !removed.contains("13700009999"), "{removed}");
    let chief_remove = [("csrf", token.as_str()), ("person_id", chief.as_str()), ("name", "chief")];
    let (status, refused, _) = office.post("/console/units/persons/remove", &chief_remove).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("责任人不能直接移除"), "{refused}");
    let bad = [("csrf", token.as_str()), ("unit_id", unit_id.as_str()), ("name", "吴"), ("phone", "call me")];
    let (status, refused, _) = office.post("/console/units/persons", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("电话号码格式不正确"), "{refused}");
    // The reset ended the police browser's session (a stolen token ends with it): sign in anew.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while police.get("/console").await.2.as_deref() != Some("/console/login") {
        assert!(std::time::Instant::now() < deadline, "the session before the reset still works");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    police.sign_in_with("zhongxing.police", "reset-by-office").await;
    let (status, _, _) = police.get("/console/units").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The county adds a town, its town office unit and the office's first account.
    let mut county = Browser::new(&t.base);
    county.sign_in("county.admin").await;
    let (_, overview, _) = county.get("/console").await;
    let title = overview.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    assert!(!title.contains('<'), "the title is text only: {title}");
    let county_token = csrf(&overview);
    let (status, refused, _) =
        county.post("/console/towns", &[("csrf", county_token.as_str()), ("code", "Bad Code"), ("name", "新镇")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("代码为 2 至 32 个小写字母"), "{refused}");
    let (status, _, location) =
        county.post("/console/towns", &[("csrf", county_token.as_str()), ("code", "xinzhen"), ("name", "新镇")]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/accounts?town=xinzhen&new_town=1"))
    );
    let (_, next, _) = county.get("/console/accounts?town=xinzhen&new_town=1").await;
    assert!(
        next.contains("已新增 xinzhen") && next.contains("<option value=\"xinzhen\" selected>新镇</option>"),
        "{next}"
    );
    let (status, _, location) = county
        .post(
            "/console/units",
            &[
                ("csrf", county_token.as_str()),
                ("town", "xinzhen"),
                ("unit_type", "town_office"),
                ("name", "新镇物管办"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, units_page, _) = county.get(&location.unwrap()).await;
    assert!(
        units_page.contains("已新增责任单位 新镇物管办") && units_page.contains("镇物管办 · 新镇物管办"),
        "{units_page}"
    );
    let new_unit = value_after(&units_page, &["镇物管办 · 新镇物管办", "name=\"unit_id\" value=\""]);
    let first_account = [
        ("csrf", county_token.as_str()),
        ("town", "xinzhen"),
        ("username", "xinzhen.office"),
        ("role", "town_office"),
        ("unit_id", new_unit.as_str()),
        ("password", "xinzhen-pass-1"),
    ];
    let (status, refused, _) = county.post("/console/accounts", &first_account).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{refused}");
    let mut new_office = Browser::new(&t.base);
    new_office.sign_in_with("xinzhen.office", "xinzhen-pass-1").await;
    let (status, board, _) = new_office.get("/console/tickets").await;
    assert!(status == StatusCode::OK && board.contains("没有符合条件的诉求"), "a new town starts empty: {board}");

    // Five wrong passwords in a row: the sign-in page says this machine is locked out of the
    // account, that others are not, and what to do.
    let mut guesser = Browser::new(&t.base);
    let (_, login_page, _) = guesser.get("/console/login").await;
    let token = csrf(&login_page);
    let guess = [("csrf", token.as_str()), ("username", "zhongxing.owner_rep"), ("password", "guess-1234")];
    for _ in 0..4 {
        let (_, page, _) = guesser.post("/console/login", &guess).await;
        assert!(page.contains("用户名或密码不正确"), "{page}");
    }
    let (_, page, _) = guesser.post("/console/login", &guess).await;
    assert!(page.contains("本机登录该账号已暂停") && page.contains("镇物管办重设密码"), "{page}");
    t.stop().await;
}

/// Browsers keep the console to itself: no scripts or foreign resources, no framing, no type
/// sniffing, no Referer; the session and visitor cookies are `Secure` when the gateway is
/// configured for HTTPS (and HttpOnly, SameSite=Strict always).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_cookies_go_secure_behind_https() {
    let Some(t) = TestStack::start_configured(Store::Sqlite, |c| c.secure_cookies = true).await else { return };
    let client = reqwest::Client::new();
    for path in ["/console/login", "/api/v1/directory/towns", "/console/track"] {
        let response = client.get(format!("{}{path}", t.base)).send().await.unwrap();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src"), "no scripts are allowed at all: {csp}");
        assert_eq!(
            (header("x-frame-options"), header("x-content-type-options"), header("referrer-policy")),
            ("DENY".to_owned(), "nosniff".to_owned(), "no-referrer".to_owned()),
            "{path}"
        );
    }
    let login = client.get(format!("{}/console/login", t.base)).send().await.unwrap();
    let cookie = login.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    t.stop().await;
    // Without HTTPS in front (the one-machine default), the cookies cannot be Secure or the
    // browser would never send them back over http://.
    let Some(t) = TestStack::start(Store::Sqlite).await else { return };
    let login = client.get(format!("{}/console/login", t.base)).send().await.unwrap();
    let cookie = login.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(!cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    t.stop().await;
}

/// Sign-in tokens are short; a console session in use is renewed as it goes (a fresh cookie once
/// half the token's life has passed), and the forms already open stay valid across the renewal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_session_in_use_is_renewed_and_its_open_forms_stay_valid() {
    let Some(t) = TestStack::start_configured(Store::Sqlite, |c| {
        c.public_requests_per_minute = 0;
        c.token_ttl = std::time::Duration::from_secs(4);
    })
    .await
    else {
        return;
    };
    let mut clerk = Browser::new(&t.base);
    clerk.sign_in("zhongxing.town_office").await;
    let first = clerk.cookies["wuguan_session"].clone();
    let (status, page, _) = clerk.get("/console").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clerk.cookies["wuguan_session"], first, "not renewed while most of its life is left");
    let open_form = csrf(&page);
    // Token times are whole seconds: 3.2 s after issue at least 3 of its 4 have passed.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let (status, _, _) = clerk.get("/console/tickets").await;
    assert_eq!(status, StatusCode::OK);
    let renewed = clerk.cookies["wuguan_session"].clone();
    assert_ne!(renewed, first, "renewed past half its life");
    let (status, body) = t.get("/api/v1/me", &renewed).await;
    assert_eq!((status, body["username"].as_str()), (StatusCode::OK, Some("zhongxing.town_office")), "{body}");
    // The form opened before the renewal still carries a valid token.
    let (status, _, location) = clerk.post("/console/logout", &[("csrf", open_form.as_str())]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/login")));
    t.stop().await;
}

/// The town office mints a service token for the hotline's system on the accounts page (shown
/// once), the system calls with it, and revoking it on the same page ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_mints_and_revokes_a_service_token_in_the_console() {
    let Some(t) = TestStack::start(Store::Sqlite).await else { return };
    let mut office = Browser::new(&t.base);
    office.sign_in("zhongxing.town_office").await;
    let (status, page, _) = office.get("/console/accounts").await;
    assert!(status == StatusCode::OK && page.contains("服务令牌"), "{page}");
    let token = csrf(&page);
    let (status, refused, _) =
        office.post("/console/service-tokens", &[("csrf", token.as_str()), ("name", "x"), ("days", "30")]).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && refused.contains("系统名称为 3 至 64 个"), "{refused}");
    let (status, page, _) = office
        .post("/console/service-tokens", &[("csrf", token.as_str()), ("name", "hotline-12345"), ("days", "30")])
        .await;
    assert!(status == StatusCode::OK && page.contains("只显示这一次"), "{page}");
    let minted = value_after(&page, &["<pre class=\"token\">"]);
    let minted = minted.split('<').next().unwrap().to_owned();
    let (status, body) = t.get("/api/v1/complaints?town=zhongxing&page_size=1", &minted).await;
    assert_eq!(status, StatusCode::OK, "the hotline calls with it: {body}");
    let (_, again, _) = office.get("/console/accounts").await;
    assert!(!again.contains(&minted), "shown once only");
    let id = value_after(&again, &["action=\"/console/service-tokens/revoke\"", "name=\"id\" value=\""]);
    let (status, page, _) =
        office.post("/console/service-tokens/revoke", &[("csrf", token.as_str()), ("id", id.as_str())]).await;
    assert!(status == StatusCode::OK && page.contains("已吊销 hotline-12345"), "{page}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while t.get("/api/v1/complaints?town=zhongxing&page_size=1", &minted).await.0 != StatusCode::UNAUTHORIZED {
        assert!(std::time::Instant::now() < deadline, "the revoked token still works");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    t.stop().await;
}
