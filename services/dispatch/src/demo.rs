//! Demo tickets for Zhongxing: the holiday security cases behind the source's −61.5% (26 in
//! 2024-10-01..08, 10 in 2025-10-01..08) and a spread of recent tickets in every status, some
//! overdue and escalated. Loaded on first start when the town has no tickets.

use crate::intake::Dispatcher;
use crate::lifecycle::{self, Action};
use crate::model::*;
use crate::reply::ReplyTemplate;
use crate::stats::day_start_ms;
use crate::store::DispatchStore;
use chrono::{Datelike, NaiveDate};
use wuguan_platform::db::now_ms;
use wuguan_platform::{Principal, Role};

pub const TOWN: &str = "zhongxing";
pub const HOLIDAY_CASES_2024: u32 = 26;
pub const HOLIDAY_CASES_2025: u32 = 10;

const DESCRIPTIONS: &[(Category, &str)] = &[
    (Category::Security, "夜间有陌生人撬单元门禁，请派出所巡查"),
    (Category::IllegalConstruction, "一楼住户在绿化带私搭乱建彩钢棚"),
    (Category::IllegalRenovation, "楼上装修拆除承重墙，噪音大且有安全隐患"),
    (Category::StructuralDamage, "住户装修破坏外墙保温层"),
    (Category::IllegalStall, "小区门口占道摆摊，影响通行"),
    (Category::Sanitation, "3号楼垃圾两天未清运，气味很大"),
    (Category::Repair, "2单元电梯故障，老人上下楼困难"),
    (Category::PropertyService, "物业保安夜间脱岗"),
    (Category::PropertyFees, "物业费收费标准未公示"),
    (Category::OwnersCommittee, "业主委员会任期已满，要求改选"),
    (Category::NeighbourDispute, "楼上漏水到楼下，协商不成"),
    (Category::BuildingQuality, "新交付房屋墙体开裂渗水"),
    (Category::MissingFacilities, "小区规划的健身场地和车棚至今未建"),
    (Category::Other, "小区路灯不亮，不知道该找谁"),
];

fn actor_for(t: &Ticket) -> Principal {
    Principal {
        subject: format!("demo.{}", t.assignment.as_ref().map(|a| a.unit_type.as_str()).unwrap_or("unit")),
        role: Role::Service,
        town: Some(t.town.clone()),
        county: t.county.clone(),
        unit: t.assignment.as_ref().map(|a| a.unit_id.clone()),
        estate: None,
    }
}

fn office(t: &Ticket) -> Principal {
    Principal {
        subject: "zhongxing.town_office".into(),
        role: Role::TownOffice,
        town: Some(t.town.clone()),
        county: t.county.clone(),
        unit: None,
        estate: None,
    }
}

/// Applies `action` at `at` and stores it.
async fn step<S: DispatchStore>(
    store: &S,
    t: Ticket,
    action: Action,
    who: &Principal,
    at: i64,
) -> anyhow::Result<Ticket> {
    let (next, events) = lifecycle::apply(&t, action, who, at)?;
    Ok(store.save_transition(t.version, &next, &events).await?)
}

#[allow(clippy::too_many_arguments)]
async fn submit<S: DispatchStore>(
    dispatcher: &Dispatcher<S>,
    estate_id: &str,
    category: Category,
    description: &str,
    source: Source,
    at: i64,
    seq: usize,
) -> anyhow::Result<Ticket> {
    let facts =
        dispatcher.registry().estate_facts(estate_id).await.map_err(|e| anyhow::anyhow!("estate facts: {e:?}"))?;
    let complaint = Complaint {
        town: facts.town.clone(),
        county: facts.county.clone(),
        estate_id: estate_id.to_owned(),
        estate_name: facts.estate_name.clone(),
        category,
        source,
        description: description.to_owned(),
        reporter: Reporter {
            name: format!("{}先生", ["张", "王", "李", "赵", "陈", "刘", "杨", "黄"][seq % 8]),
            phone: format!("139{:08}", 10_000_000 + seq * 7_919),
            anonymous: false,
        },
        submitted_by: if source == Source::Resident { "zhongxing.resident".into() } else { String::new() },
        reported_at_ms: at,
    };
    let mut t = Ticket::received(complaint, at);
    let mut events = vec![TicketEvent::new(&t, TicketAction::Submit, None, "demo-loader", at, source.label_zh())];
    events.extend(dispatcher.route_ticket(&mut t, &facts, at).await?);
    Ok(dispatcher.store().insert_ticket(&t, &events, None).await?)
}

/// The unit's resolution at `at`, its reply written to the built-in template (答复规范); the
/// callback falls due two days later.
fn resolve(t: &Ticket, measures_taken: &str, at: i64) -> Action {
    let template = ReplyTemplate::built_in(&t.town, t.category);
    let unit = t.assignment.as_ref().map(|a| format!("{} {}", a.unit_name, a.person_name)).unwrap_or_default();
    let reply = format!("办理结果：{measures_taken}\n办理单位及人员：{unit}\n办理依据：《物业管理条例》及物业服务合同");
    Action::Resolve {
        measures_taken: measures_taken.into(),
        reply,
        template: Box::new(template),
        callback_by_ms: at + 2 * DAY_MS,
    }
}

/// Accept, resolve and verify a ticket over the hours after `at`.
async fn close<S: DispatchStore>(store: &S, t: Ticket, at: i64, satisfaction: Satisfaction) -> anyhow::Result<Ticket> {
    let unit = actor_for(&t);
    let t = step(store, t, Action::Accept { measures: "到场核实并处置".into() }, &unit, at + HOUR_MS).await?;
    let t = {
        let action = resolve(&t, "已处置完毕", at + 6 * HOUR_MS);
        step(store, t, action, &unit, at + 6 * HOUR_MS)
    }
    .await?;
    let office = office(&t);
    step(store, t, Action::Verify { satisfaction, note: String::new() }, &office, at + 24 * HOUR_MS).await
}

/// Last month's league table (红黑榜): six tickets each for the police, the urban-management
/// squad, one estate's property company and its neighbourhood committee, handled in ways that
/// differ by unit — signed for late, returned and overruled, resolved late, redone after a
/// dissatisfied callback — so the bulletin has units to rank, a red and a black list.
async fn league_month<S: DispatchStore>(
    dispatcher: &Dispatcher<S>,
    estates: &[String],
    mut seq: usize,
) -> anyhow::Result<usize> {
    let store = dispatcher.store();
    // An estate with a property company, so that repairs go to it.
    let mut managed = estates[0].clone();
    for e in estates {
        if dispatcher.registry().estate_facts(e).await.is_ok_and(|f| f.property_company_id.is_some()) {
            managed = e.clone();
            break;
        }
    }
    let today = crate::stats::local_date(now_ms());
    let first_of_month = today.with_day(1).unwrap_or(today);
    let last_month = (first_of_month - chrono::Duration::days(1)).with_day(1).unwrap_or(first_of_month);
    let kinds = [Category::Security, Category::IllegalStall, Category::Repair, Category::NeighbourDispute];
    for i in 0..24usize {
        let (unit_kind, j) = (i % 4, i / 4);
        let category = kinds[unit_kind];
        let description = DESCRIPTIONS.iter().find(|(c, _)| *c == category).map(|(_, d)| *d).unwrap_or("");
        let at = day_start_ms(last_month) + (i as i64 * 26 / 24) * DAY_MS + 10 * HOUR_MS;
        let t = submit(dispatcher, &managed, category, description, Source::Hotline, at, seq).await?;
        seq += 1;
        let unit = actor_for(&t);
        let office = office(&t);
        // Each unit its own mix of the six ways a ticket goes.
        let t = match (j + unit_kind * j) % 6 {
            1 => step(store, t, Action::Sign, &unit, at + 3 * DAY_MS).await?,
            3 => {
                let ret = Action::Reject {
                    reason_label: ReturnReason::NotOurRemit.label_zh().into(),
                    reason: "不属本单位职责".into(),
                };
                let t = step(store, t, ret, &unit, at + HOUR_MS).await?;
                let overrule = Action::OverruleReturn { note: "属本单位职责范围，请继续办理".into() };
                step(store, t, overrule, &office, at + 2 * HOUR_MS).await?
            }
            _ => step(store, t, Action::Sign, &unit, at + HOUR_MS / 4).await?,
        };
        let t =
            step(store, t, Action::Accept { measures: "到场处置".into() }, &unit, at + 3 * DAY_MS + HOUR_MS).await?;
        let resolved_at = match (j + unit_kind * j) % 6 {
            // Resolved a fortnight on: late for every category.
            4 => at + 16 * DAY_MS,
            _ => at + 3 * DAY_MS + 2 * HOUR_MS,
        };
        let action = resolve(&t, "已处置完毕", resolved_at);
        let t = step(store, t, action, &unit, resolved_at).await?;
        let t = if (j + unit_kind * j) % 6 == 2 {
            // Not satisfied at the callback: redone (重办).
            let redo = Action::Verify { satisfaction: Satisfaction::NotSatisfied, note: "问题仍在".into() };
            let t = step(store, t, redo, &office, resolved_at + DAY_MS).await?;
            let t = step(store, t, Action::Accept { measures: "再次处置".into() }, &unit, resolved_at + DAY_MS).await?;
            let action = resolve(&t, "已再次处置", resolved_at + 2 * DAY_MS);
            step(store, t, action, &unit, resolved_at + 2 * DAY_MS).await?
        } else {
            t
        };
        let verify = Action::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() };
        step(store, t, verify, &office, resolved_at + 3 * DAY_MS).await?;
    }
    Ok(seq)
}

pub async fn load<S: DispatchStore>(dispatcher: &Dispatcher<S>) -> anyhow::Result<bool> {
    let (store, registry) = (dispatcher.store(), dispatcher.registry());
    if store.count_tickets(TOWN).await? > 0 {
        return Ok(false);
    }
    let estates = registry.estate_ids(TOWN).await.map_err(|e| anyhow::anyhow!("listing estates: {e:?}"))?;
    anyhow::ensure!(!estates.is_empty(), "the registry has no estates for {TOWN}: load its demo first");
    let mut seq = 0usize;

    // The two National Day / Mid-Autumn holidays (两节) the source compares.
    for (year, cases) in [(2024, HOLIDAY_CASES_2024), (2025, HOLIDAY_CASES_2025)] {
        for i in 0..cases as usize {
            let day = NaiveDate::from_ymd_opt(year, 10, 1 + (i % 8) as u32).unwrap_or_default();
            let at = day_start_ms(day) + (9 + (i as i64 * 5) % 12) * HOUR_MS;
            let estate = &estates[(i * 7 + year as usize) % estates.len()];
            let t = submit(dispatcher, estate, Category::Security, DESCRIPTIONS[0].1, Source::Hotline, at, seq).await?;
            close(store, t, at, Satisfaction::Satisfied).await?;
            seq += 1;
        }
    }

    // Last year: illegal building reported in June and never taken up, so that unit fails the
    // year's assessment on the overdue veto.
    let last_year = crate::stats::local_date(now_ms()).year() - 1;
    for i in 0..4usize {
        let day = NaiveDate::from_ymd_opt(last_year, 6, 10 + i as u32).unwrap_or_default();
        let at = day_start_ms(day) + 10 * HOUR_MS;
        let estate = &estates[(i * 5 + 3) % estates.len()];
        submit(dispatcher, estate, Category::IllegalConstruction, DESCRIPTIONS[1].1, Source::Resident, at, seq).await?;
        seq += 1;
    }

    seq = league_month(dispatcher, &estates, seq).await?;

    // Recent work: every status, some overdue (the sweep below escalates those).
    let now = now_ms();
    for i in 0..42usize {
        let (category, description) = DESCRIPTIONS[i % DESCRIPTIONS.len()];
        let days_ago = (42 - i as i64) % 40 + 1;
        let at = now - days_ago * DAY_MS - (i as i64 % 9) * HOUR_MS;
        let source = [Source::Resident, Source::Hotline, Source::OwnerRep, Source::Inspection][i % 4];
        let estate = &estates[(i * 11) % estates.len()];
        let t = submit(dispatcher, estate, category, description, source, at, seq).await?;
        seq += 1;
        let unit = actor_for(&t);
        match i % 8 {
            0 | 1 => {
                close(
                    store,
                    t,
                    at,
                    if i % 3 == 0 { Satisfaction::BasicallySatisfied } else { Satisfaction::Satisfied },
                )
                .await?;
            }
            2 => {
                // Signed for first (签收), taken up an hour later.
                let t = step(store, t, Action::Sign, &unit, at + HOUR_MS / 4).await?;
                let t = step(store, t, Action::Accept { measures: "安排人员处理".into() }, &unit, at + HOUR_MS).await?;
                {
                    let action = resolve(&t, "已处理，待核实", at + 5 * HOUR_MS);
                    step(store, t, action, &unit, at + 5 * HOUR_MS)
                }
                .await?;
            }
            3 => {
                let t = step(store, t, Action::Accept { measures: "制定整改方案".into() }, &unit, at + HOUR_MS).await?;
                let t =
                    step(store, t, Action::Progress { note: "已联系相关住户".into() }, &unit, at + DAY_MS / 2).await?;
                // The unit asks for a week more (延期申请): one waits, one approved, one refused.
                let deadline = t.assignment.as_ref().map(|a| a.resolve_by_ms).unwrap_or(at) + 7 * DAY_MS;
                let ask = Action::RequestExtension {
                    resolve_by_ms: deadline, reason: "需业主表决动用维修资金".into()
                };
                let t = step(store, t, ask, &unit, at + DAY_MS / 2 + HOUR_MS).await?;
                let office = office(&t);
                let decision = match i {
                    19 => Some(Action::DecideExtension { approve: true, note: "同意延期".into() }),
                    27 => Some(Action::DecideExtension { approve: false, note: "请按原时限办结".into() }),
                    _ => None,
                };
                if let Some(decision) = decision {
                    step(store, t, decision, &office, at + DAY_MS / 2 + 2 * HOUR_MS).await?;
                }
            }
            4 if i == 4 => {
                // Signed for, not yet taken up.
                step(store, t, Action::Sign, &unit, at + HOUR_MS / 2).await?;
            }
            4 => {} // assigned, never signed for or accepted: overdue unless very recent
            5 => {
                let reason_label = ReturnReason::NotOurRemit.label_zh().into();
                let ret = Action::Reject { reason_label, reason: "属于公共区域，应由社区协调".into() };
                let t = step(store, t, ret, &unit, at + 2 * HOUR_MS).await?;
                // One return the office does not accept (审定): back to the unit.
                if i == 13 {
                    let overrule = Action::OverruleReturn { note: "属本单位服务范围，请继续办理".into() };
                    let office = office(&t);
                    step(store, t, overrule, &office, at + 4 * HOUR_MS).await?;
                }
            }
            6 => {
                let t = close(store, t, at, Satisfaction::Satisfied).await?;
                let office = office(&t);
                step(store, t, Action::Reopen { reason: "问题复发".into() }, &office, at + 3 * DAY_MS).await?;
            }
            _ => {
                let t = step(store, t, Action::Accept { measures: "协调处理".into() }, &unit, at + HOUR_MS).await?;
                let t = {
                    let action = resolve(&t, "已协调", at + DAY_MS);
                    step(store, t, action, &unit, at + DAY_MS)
                }
                .await?;
                let office = office(&t);
                step(
                    store,
                    t,
                    Action::Verify { satisfaction: Satisfaction::NotSatisfied, note: "未解决".into() },
                    &office,
                    at + 2 * DAY_MS,
                )
                .await?;
            }
        }
    }
    store.escalate_overdue(now, 24 * HOUR_MS, 10_000).await?;
    // The units' warnings before breach (临期预警), as the first sweep would give them.
    store.warn_nearly_due(now, crate::escalation::SweepConfig::default().warn_at_percent, 10_000).await?;
    Ok(true)
}
