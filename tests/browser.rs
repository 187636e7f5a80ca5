//! The console in a real browser: headless Chromium driven over WebDriver (chromedriver), each
//! role in its own browser session. A resident reports from a phone-sized window and tracks the
//! code; the property company accepts and resolves from its queue; a forged form (its CSRF field
//! removed) is refused; the police cannot open the company's ticket; the town office sees its
//! dashboard and verifies. Screenshots of each main page go to `test-artifacts/screenshots/`
//! (not committed) for a person to look at. A second run is the clerk's month on a phone-sized
//! window — an overdue ticket reassigned, an inspection recorded, the bulletin published and
//! printed — a resident confirming a fix by code, forged public forms, and the county's reading.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium chromium-driver`); skipped without
//! them unless WUGUAN_REQUIRE_BROWSER=1, which CI sets.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Store, TestStack};

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n))).find(|p| p.is_file())
}

struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Option<Driver> {
    let required = std::env::var("WUGUAN_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(driver), Some(chromium)) =
        (find_program(&["chromedriver"]), find_program(&["chromium", "chromium-browser", "google-chrome"]))
    else {
        assert!(!required, "chromium and chromedriver are required (WUGUAN_REQUIRE_BROWSER=1)");
        eprintln!("skipping: chromium or chromedriver is not installed");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    // Owned at once, so it is killed and reaped however the test ends.
    let driver = Driver { child: child.unwrap(), url: format!("http://127.0.0.1:{port}"), chromium };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok_and(|r| r.status().is_success()) {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

/// A fresh browser (its own cookies) in a window of the given size.
async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "chrome".into());
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": driver.chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     format!("--window-size={width},{height}"), "--lang=zh-CN"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

async fn shot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn fill(client: &Client, css: &str, text: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).click().await.unwrap();
}

async fn sign_in(client: &Client, base: &str, username: &str) {
    client.goto(&format!("{base}/console/login")).await.unwrap();
    fill(client, "input[name=username]", username).await;
    fill(client, "input[name=password]", "demo").await;
    click(client, "form.stack button[type=submit]").await;
}

/// Waits (a few seconds at most) for the page to contain `needle`: a click that submits a form
/// returns before the next page has loaded.
async fn wait_for(client: &Client, needle: &str) -> String {
    let mut source = String::new();
    for _ in 0..50 {
        source = client.source().await.unwrap();
        if source.contains(needle) {
            return source;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}:\n{source}");
}

async fn text(client: &Client) -> String {
    client.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_completes_its_flow_in_chromium() {
    let Some(driver) = start_driver().await else { return };
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let estate = t.company_estate().await;
    let base = t.base.clone();

    // A resident on a phone reports a problem and gets a tracking code.
    let phone = browser(&driver, 390, 844).await;
    phone.goto(&format!("{base}/console/submit?town=zhongxing")).await.unwrap();
    shot(&phone, "resident-submit-phone").await;
    click(&phone, &format!("select[name=estate_id] option[value='{estate}']")).await;
    click(&phone, "select[name=category] option[value=repair]").await;
    fill(&phone, "textarea[name=description]", "单元门禁坏了，陌生人随意进出（浏览器测试）").await;
    fill(&phone, "input[name=reporter_phone]", "13812345678").await;
    click(&phone, "form.stack button[type=submit]").await;
    wait_for(&phone, "tracking-code").await;
    let code = phone.find(Locator::Id("tracking-code")).await.unwrap().text().await.unwrap();
    let tracked = text(&phone).await;
    assert!(tracked.contains("已受理") && tracked.contains("已派单"), "{tracked}");
    shot(&phone, "resident-tracked-phone").await;

    // The property company accepts from its queue, then resolves.
    let company = browser(&driver, 1280, 900).await;
    sign_in(&company, &base, "zhongxing.property_company").await;
    wait_for(&company, "我的待办").await;
    company.goto(&format!("{base}/console/tickets?open_only=true")).await.unwrap();
    shot(&company, "unit-queue").await;
    let link = company.find(Locator::LinkText(&code)).await.expect("our ticket in the queue");
    link.click().await.unwrap();
    let ticket_url = company.current_url().await.unwrap().to_string();
    // A forged form (no CSRF field) is refused.
    company
        .execute("document.querySelector('form[action$=\"/accept\"] input[name=csrf]').remove()", vec![])
        .await
        .unwrap();
    fill(&company, "form[action$='/accept'] textarea[name=measures]", "伪造的提交").await;
    click(&company, "form[action$='/accept'] button[type=submit]").await;
    wait_for(&company, "表单已失效").await;
    company.goto(&ticket_url).await.unwrap();
    fill(&company, "form[action$='/accept'] textarea[name=measures]", "更换门禁读卡器").await;
    click(&company, "form[action$='/accept'] button[type=submit]").await;
    wait_for(&company, "已提交").await;
    let page = text(&company).await;
    assert!(page.contains("办理中") && page.contains("更换门禁读卡器"), "{page}");
    shot(&company, "unit-ticket-accepted").await;
    fill(&company, "form[action$='/resolve'] textarea[name=measures_taken]", "读卡器已更换，门禁恢复").await;
    // The reply starts from the template's headings; the unit writes after each.
    let reply = "办理结果：读卡器已更换，门禁恢复\n办理单位及人员：恒安物业 钱经理\n办理依据：物业服务合同第十二条";
    let reply_box = company.find(Locator::Css("form[action$='/resolve'] textarea[name=reply]")).await.unwrap();
    let prefilled = reply_box.prop("value").await.unwrap().unwrap_or_default();
    assert!(prefilled.starts_with("办理结果："), "the form starts from the template: {prefilled:?}");
    reply_box.clear().await.unwrap();
    reply_box.send_keys(reply).await.unwrap();
    click(&company, "form[action$='/resolve'] button[type=submit]").await;
    wait_for(&company, "已办结").await;

    // The police cannot open the company's ticket.
    let police = browser(&driver, 1280, 900).await;
    sign_in(&police, &base, "zhongxing.police").await;
    wait_for(&police, "我的待办").await;
    police.goto(&ticket_url).await.unwrap();
    wait_for(&police, "没有找到").await;

    // The town office: the dashboard, the board, and verifies the fix.
    let office = browser(&driver, 1280, 900).await;
    sign_in(&office, &base, "zhongxing.town_office").await;
    wait_for(&office, "镇物管办工作台").await;
    let home = text(&office).await;
    assert!(home.contains("镇物管办工作台") && home.contains("今日新增"), "{home}");
    assert!(office.find(Locator::Css("svg.chart rect")).await.is_ok(), "the weekly chart is drawn");
    shot(&office, "office-dashboard").await;
    office.goto(&format!("{base}/console/tickets")).await.unwrap();
    shot(&office, "office-board").await;
    office.goto(&ticket_url).await.unwrap();
    click(&office, "form[action$='/verify'] select[name=satisfaction] option[value=satisfied]").await;
    fill(&office, "form[action$='/verify'] textarea[name=note]", "电话回访，群众满意").await;
    click(&office, "form[action$='/verify'] button[type=submit]").await;
    wait_for(&office, "已核实").await;
    shot(&office, "office-ticket-verified").await;

    // The resident sees it done.
    phone.goto(&format!("{base}/console/track?code={code}")).await.unwrap();
    assert!(text(&phone).await.contains("已核实"));

    for client in [phone, company, police, office] {
        client.close().await.unwrap();
    }
    t.stop().await;
}

/// What the clerk must manage on a phone-sized window: find an overdue ticket and
/// reassign it, record an inspection, publish and print the month's bulletin; the office's other
/// pages; a resident confirms a fix by code; forged public forms are refused; the county reads
/// its towns and the written report on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_works_the_month_on_a_phone_and_the_county_reads_it() {
    let Some(driver) = start_driver().await else { return };
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let base = t.base.clone();

    // The clerk, on a phone: the overdue tickets, one reassigned to the police by name.
    let clerk = browser(&driver, 390, 844).await;
    sign_in(&clerk, &base, "zhongxing.town_office").await;
    wait_for(&clerk, "镇物管办工作台").await;
    shot(&clerk, "office-dashboard-phone").await;
    clerk.goto(&format!("{base}/console/tickets")).await.unwrap();
    click(&clerk, "input[name=overdue]").await;
    click(&clerk, "form.inline button[type=submit]").await;
    for _ in 0..50 {
        if clerk.current_url().await.unwrap().as_str().contains("overdue=true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&clerk, "已超期").await;
    shot(&clerk, "office-overdue-phone").await;
    let first = clerk.find(Locator::Css("tbody tr td a")).await.expect("an overdue ticket");
    first.click().await.unwrap();
    wait_for(&clerk, "四定").await;
    // It says which deadline passed: the resolution's or the response's.
    let page = text(&clerk).await;
    assert!(page.contains("办结超期") || page.contains("响应超期"), "an overdue ticket's page says so: {page}");
    let police = clerk
        .find(Locator::XPath("//form[contains(@action,'/reassign')]//option[text()='众兴派出所']"))
        .await
        .expect("the police among the units");
    police.click().await.unwrap();
    fill(&clerk, "form[action$='/reassign'] textarea[name=note]", "属治安问题，改派派出所").await;
    click(&clerk, "form[action$='/reassign'] button[type=submit]").await;
    wait_for(&clerk, "已提交").await;
    assert!(text(&clerk).await.contains("众兴派出所"));
    shot(&clerk, "office-reassigned-phone").await;

    // Records this week's inspection with a finding sent for rectification.
    clerk.goto(&format!("{base}/console/inspections")).await.unwrap();
    fill(&clerk, "textarea[name=f0_description]", "楼道堆放杂物，堵塞消防通道（浏览器督查）").await;
    click(&clerk, "form.stack button[type=submit]").await;
    wait_for(&clerk, "已记录").await;
    shot(&clerk, "office-inspection-recorded-phone").await;

    // Publishes last month's bulletin and opens the printable page.
    clerk.goto(&format!("{base}/console/bulletins")).await.unwrap();
    click(&clerk, "form[action$='/publish'] button[type=submit]").await;
    wait_for(&clerk, "已发布第 2 版").await;
    shot(&clerk, "office-bulletin-phone").await;
    click(&clerk, "a[href*='/print']").await;
    wait_for(&clerk, "物业管理工作通报").await;
    shot(&clerk, "office-bulletin-print-phone").await;

    // The office's other pages, each drawn for a person to look at.
    for (path, needle, name) in [
        ("/console/supervision", "查成效", "office-supervision"),
        ("/console/estates", "小区台账", "office-estates"),
        ("/console/estates/import", "导入小区台账", "office-estates-import"),
        ("/console/assessments", "全年考核", "office-assessment"),
        ("/console/rubric", "考核细则", "office-rubric"),
        ("/console/routing", "派单规则", "office-routing"),
        ("/console/units", "责任单位与责任人", "office-units"),
        ("/console/accounts", "账号管理", "office-accounts"),
        ("/console/password", "修改密码", "office-password"),
    ] {
        clerk.goto(&format!("{base}{path}")).await.unwrap();
        wait_for(&clerk, needle).await;
        shot(&clerk, &format!("{name}-phone")).await;
    }

    // A resident confirms a resolved fix by its code; a forged rating is refused.
    let (_, created) = t
        .send(
            reqwest::Method::POST,
            "/api/v1/complaints",
            None,
            Some(serde_json::json!({"town": "zhongxing", "category": "sanitation", "anonymous": true,
                "estate_id": t.company_estate().await,
                "description": "垃圾桶满溢（浏览器评价测试）"})),
        )
        .await;
    let (id, code) = (created["id"].as_str().unwrap(), created["tracking_code"].as_str().unwrap());
    let company = t.login("zhongxing.property_company").await;
    t.post(&format!("/api/v1/complaints/{id}/accept"), &company, serde_json::json!({"measures": "清运"})).await;
    let resolution = serde_json::json!({"measures_taken": "已清运",
        "reply": "办理结果：已清运\n办理单位及人员：恒安物业\n办理依据：物业服务合同"});
    t.post(&format!("/api/v1/complaints/{id}/resolve"), &company, resolution).await;
    let phone = browser(&driver, 390, 844).await;
    phone.goto(&format!("{base}/console/track?code={code}")).await.unwrap();
    wait_for(&phone, "问题解决了吗").await;
    shot(&phone, "resident-rate-phone").await;
    phone.execute("document.querySelector('#rate input[name=csrf]').remove()", vec![]).await.unwrap();
    click(&phone, "#rate input[value=satisfied]").await;
    click(&phone, "#rate button[type=submit]").await;
    wait_for(&phone, "表单已失效").await;
    phone.goto(&format!("{base}/console/track?code={code}")).await.unwrap();
    click(&phone, "#rate input[value=satisfied]").await;
    click(&phone, "#rate button[type=submit]").await;
    wait_for(&phone, "感谢您的评价").await;
    assert!(text(&phone).await.contains("居民确认办结"));
    shot(&phone, "resident-rated-phone").await;
    // The public complaint form refuses a forgery too.
    phone.goto(&format!("{base}/console/submit?town=zhongxing")).await.unwrap();
    phone.execute("document.querySelector('form.stack input[name=csrf]').remove()", vec![]).await.unwrap();
    fill(&phone, "textarea[name=description]", "伪造的反映").await;
    click(&phone, "form.stack button[type=submit]").await;
    wait_for(&phone, "表单已失效").await;

    // The county, on a desktop: every town side by side, then a town's written report.
    let county = browser(&driver, 1280, 900).await;
    sign_in(&county, &base, "county.admin").await;
    wait_for(&county, "全县各镇情况").await;
    shot(&county, "county-overview").await;
    click(&county, "a[href^='/console/report?town=zhongxing']").await;
    wait_for(&county, "书面报告").await;
    shot(&county, "county-report").await;
    county.goto(&format!("{base}/console/bulletins?town=zhongxing")).await.unwrap();
    wait_for(&county, "已发布（第 2 版）").await;
    shot(&county, "county-bulletin").await;

    for client in [clerk, phone, county] {
        client.close().await.unwrap();
    }
    t.stop().await;
}
