//! Demo inspections for Zhongxing: six weeks of weekly inspections (每周一督查), three estates a
//! week, open and unannounced, with findings — some of which became complaints through the
//! outbox — and next week's plan. Loaded on first start when the town has no inspections.

use crate::model::*;
use crate::rubric;
use crate::store::AssessmentStore;
use chrono::Datelike;
use wuguan_platform::db::now_ms;
use wuguan_platform::paging::Page;
use wuguan_platform::registry_client::RegistryClient;

pub const TOWN: &str = "zhongxing";

const FINDINGS: &[(&str, &str, &str, bool)] = &[
    ("sanitation.garbage", "垃圾桶满溢，未及时清运", "sanitation", true),
    ("security.guards", "夜间门岗无人值守", "security", true),
    ("fire_safety", "消防通道堆放杂物", "property_service", true),
    ("greening", "绿化带有枯死苗木", "property_service", false),
    ("records", "巡查记录不完整", "other", false),
    ("maintenance.facilities", "单元门禁损坏", "repair", true),
];

pub async fn load<S: AssessmentStore>(store: &S, registry: &RegistryClient) -> anyhow::Result<bool> {
    if !store.list_inspections(TOWN, None, None, None, &Page::first(1)).await?.is_empty() {
        return Ok(false);
    }
    let estates = registry.estate_ids(TOWN).await.map_err(|e| anyhow::anyhow!("listing estates: {e:?}"))?;
    anyhow::ensure!(!estates.is_empty(), "the registry has no estates for {TOWN}");
    let rubric = rubric::default_rubric(TOWN);
    let today = chrono::Utc::now().date_naive();
    let mut n = 0usize;
    for week in (1..=6).rev() {
        let monday = today - chrono::Duration::days(7 * week);
        for slot in 0..3 {
            let estate_id = &estates[(week as usize * 7 + slot * 13) % estates.len()];
            let facts = registry.estate_facts(estate_id).await.map_err(|e| anyhow::anyhow!("estate facts: {e:?}"))?;
            let date = monday + chrono::Duration::days(slot as i64);
            let picked: Vec<&(&str, &str, &str, bool)> =
                (0..(n % 3)).map(|k| &FINDINGS[(n + k * 2) % FINDINGS.len()]).collect();
            let given = vec![ItemScore { item: "owner_satisfaction".into(), score: 5.0 + (n % 4) as f64 }];
            let finding_items: Vec<(String, usize)> =
                picked.iter().enumerate().map(|(i, f)| (f.0.to_owned(), i)).collect();
            let (item_scores, total, deductions) = rubric::score(&rubric, &given, &finding_items)?;
            let findings = picked
                .iter()
                .zip(deductions)
                .map(|(f, deduction)| Finding {
                    id: new_id(),
                    item: f.0.into(),
                    description: f.1.into(),
                    category: f.2.into(),
                    open_ticket: f.3,
                    deduction,
                    delivery: if f.3 { Delivery::Pending } else { Delivery::None },
                    ticket_id: None,
                    delivery_error: String::new(),
                })
                .collect();
            let inspection = Inspection {
                id: new_id(),
                town: TOWN.into(),
                estate_id: estate_id.clone(),
                estate_name: facts.estate_name.clone(),
                date: date.to_string(),
                kind: if n % 4 == 3 { InspectionKind::Unannounced } else { InspectionKind::Open },
                focus: InspectionFocus::Key,
                inspector: "zhongxing.town_office".into(),
                rubric_version: rubric.version,
                item_scores,
                total_score: total,
                grade: rubric.grade(total).to_owned(),
                plan_id: None,
                created_at_ms: now_ms(),
                findings,
            };
            store.record_inspection(&inspection, None, None).await?;
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
            })
            .await?;
    }
    Ok(true)
}
