//! Demo inspections for Zhongxing: last year's monthly inspections (for its annual assessment,
//! with an estate that fails), six weeks of weekly inspections (每周一督查), three estates a
//! week, open and unannounced, with findings — some of which became complaints through the
//! outbox — next week's plan, and last month's published bulletin. Loaded on first start when
//! the town has no inspections.

use crate::model::*;
use crate::rubric;
use crate::scoring::Sources;
use crate::store::AssessmentStore;
use chrono::Datelike;
use wuguan_platform::db::now_ms;
use wuguan_platform::paging::Page;
use wuguan_registry_client::{EstateFacts, RegistryClient};

pub const TOWN: &str = "zhongxing";

const FINDINGS: &[(&str, &str, &str, bool)] = &[
    ("sanitation.garbage", "垃圾桶满溢，未及时清运", "sanitation", true),
    ("security.guards", "夜间门岗无人值守", "security", true),
    ("fire_safety", "消防通道堆放杂物", "property_service", true),
    ("greening", "绿化带有枯死苗木", "property_service", false),
    ("records", "巡查记录不完整", "other", false),
    ("maintenance.facilities", "单元门禁损坏", "repair", true),
];

/// Item scores of an estate the inspectors keep finding in poor shape.
const POOR_SHAPE: &[(&str, f64)] = &[
    ("sanitation.public_areas", 3.0),
    ("sanitation.garbage", 0.0),
    ("security.guards", 1.0),
    ("security.cameras_access", 3.0),
    ("maintenance.facilities", 5.0),
    ("greening", 3.0),
    ("records", 2.0),
];

fn inspection(
    rubric: &Rubric,
    facts: &EstateFacts,
    date: chrono::NaiveDate,
    given: Vec<ItemScore>,
    picked: &[&(&str, &str, &str, bool)],
    unannounced: bool,
    tickets: bool,
) -> anyhow::Result<Inspection> {
    let finding_items: Vec<(String, usize)> = picked.iter().enumerate().map(|(i, f)| (f.0.to_owned(), i)).collect();
    let (item_scores, total, deductions) = rubric::score(rubric, &given, &finding_items)?;
    let findings = picked
        .iter()
        .zip(deductions)
        .map(|(f, deduction)| {
            let open_ticket = tickets && f.3;
            Finding {
                id: new_id(),
                item: f.0.into(),
                description: f.1.into(),
                category: f.2.into(),
                open_ticket,
                deduction,
                delivery: if open_ticket { Delivery::Pending } else { Delivery::None },
                ticket_id: None,
                delivery_error: String::new(),
            }
        })
        .collect();
    Ok(Inspection {
        id: new_id(),
        town: TOWN.into(),
        estate_id: facts.estate_id.clone(),
        estate_name: facts.estate_name.clone(),
        date: date.to_string(),
        kind: if unannounced { InspectionKind::Unannounced } else { InspectionKind::Open },
        focus: InspectionFocus::Key,
        inspector: "zhongxing.town_office".into(),
        rubric_version: rubric.version,
        item_scores,
        total_score: total,
        grade: rubric.grade(total).to_owned(),
        plan_id: None,
        created_at_ms: now_ms(),
        findings,
        follow_up_of: None,
    })
}

pub async fn load<S: AssessmentStore>(store: &S, registry: &RegistryClient) -> anyhow::Result<bool> {
    if !store.list_inspections(TOWN, None, None, None, &Page::first(1)).await?.is_empty() {
        return Ok(false);
    }
    let estates = registry.estate_ids(TOWN).await.map_err(|e| anyhow::anyhow!("listing estates: {e:?}"))?;
    anyhow::ensure!(!estates.is_empty(), "the registry has no estates for {TOWN}");
    let facts_of = |id: &str| {
        let id = id.to_owned();
        async move { registry.estate_facts(&id).await.map_err(|e| anyhow::anyhow!("estate facts: {e:?}")) }
    };
    let rubric = rubric::default_rubric(TOWN);
    let today = chrono::Utc::now().date_naive();

    // Last year, for its annual assessment: two estates a month, one of them in poor shape
    // every time (it fails, and so does its property company). Findings of that year are
    // recorded without tickets; the year's complaints come from dispatch's demo.
    let last_year = today.year() - 1;
    let poor = facts_of(&estates[3 % estates.len()]).await?;
    for month in 1..=12u32 {
        let first = chrono::NaiveDate::from_ymd_opt(last_year, month, 1).unwrap_or(today);
        let good = facts_of(&estates[(month as usize * 5) % estates.len()]).await?;
        let given = vec![ItemScore { item: "owner_satisfaction".into(), score: 6.0 + f64::from(month % 3) }];
        let picked: Vec<_> = FINDINGS.iter().skip(month as usize % FINDINGS.len()).take(1).collect();
        store
            .record_inspection(
                &inspection(&rubric, &good, first + chrono::Duration::days(9), given, &picked, false, false)?,
                None,
                None,
            )
            .await?;
        let given = POOR_SHAPE.iter().map(|(item, score)| ItemScore { item: (*item).into(), score: *score }).collect();
        let picked: Vec<_> = FINDINGS.iter().take(2).collect();
        store
            .record_inspection(
                &inspection(&rubric, &poor, first + chrono::Duration::days(16), given, &picked, month % 2 == 0, false)?,
                None,
                None,
            )
            .await?;
    }

    // The last six weeks: three estates a week, some findings becoming complaints. The third
    // of each week is one of the estates of the town's first property company — the company the
    // demo's property-company account acts for — so that account has findings and scores to read.
    let mut first_company_estates = Vec::new();
    let mut first_company: Option<String> = None;
    for id in &estates {
        let facts = facts_of(id).await?;
        if let Some(company) = facts.property_company_id.clone() {
            // Ids are time-ordered (UUIDv7): the smallest is the company created first.
            if first_company.as_ref().is_none_or(|first| company < *first) {
                first_company = Some(company.clone());
                first_company_estates.clear();
            }
            if first_company.as_ref() == Some(&company) {
                first_company_estates.push(id.clone());
            }
        }
    }
    let mut n = 0usize;
    for week in (1..=6).rev() {
        let monday = today - chrono::Duration::days(7 * week);
        for slot in 0..3 {
            let estate = match (slot, first_company_estates.is_empty()) {
                (2, false) => &first_company_estates[week as usize % first_company_estates.len()],
                _ => &estates[(week as usize * 7 + slot * 13) % estates.len()],
            };
            let facts = facts_of(estate).await?;
            let date = monday + chrono::Duration::days(slot as i64);
            let picked: Vec<&(&str, &str, &str, bool)> =
                (0..(n % 3)).map(|k| &FINDINGS[(n + k * 2) % FINDINGS.len()]).collect();
            let given = vec![ItemScore { item: "owner_satisfaction".into(), score: 5.0 + (n % 4) as f64 }];
            let record = inspection(&rubric, &facts, date, given, &picked, n % 4 == 3, true)?;
            store.record_inspection(&record, None, None).await?;
            n += 1;
        }
    }
    // Next week's plan.
    let next_monday = today + chrono::Duration::days(8 - i64::from(today.weekday().number_from_monday()));
    for slot in 0..3 {
        store
            .insert_plan(&Plan {
                id: new_id(),
                town: TOWN.into(),
                estate_id: estates[(slot * 17 + 5) % estates.len()].clone(),
                date: (next_monday + chrono::Duration::days(slot as i64)).to_string(),
                kind: if slot == 2 { InspectionKind::Unannounced } else { InspectionKind::Open },
                focus: InspectionFocus::Key,
                planned_by: "zhongxing.town_office".into(),
                inspection_id: None,
                reason: String::new(),
                follows: None,
            })
            .await?;
    }
    Ok(true)
}

/// Publishes the last complete month's bulletin as the town office would have, unless one is
/// already published. Needs dispatch (for its counts) and the registry.
pub async fn publish_last_month<S: AssessmentStore>(src: &Sources<'_, S>) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let last_month = (today.with_day(1).unwrap_or(today) - chrono::Duration::days(1)).format("%Y-%m").to_string();
    if store_has_bulletin(src.store, &last_month).await? {
        return Ok(());
    }
    let rubric = src.store.current_rubric(TOWN).await?.unwrap_or_else(|| rubric::default_rubric(TOWN));
    let mut bulletin = crate::bulletin::compute(src, &rubric, TOWN, &last_month).await?;
    bulletin.version = 1;
    bulletin.status = "published".into();
    bulletin.published_by = "zhongxing.town_office".into();
    bulletin.published_at_ms = now_ms();
    let body = prost::Message::encode_to_vec(&bulletin);
    src.store.insert_bulletin(TOWN, &last_month, 1, &body, &bulletin.published_by, bulletin.published_at_ms).await?;
    Ok(())
}

async fn store_has_bulletin<S: AssessmentStore>(store: &S, month: &str) -> anyhow::Result<bool> {
    Ok(store.latest_bulletin(TOWN, month).await?.is_some())
}
