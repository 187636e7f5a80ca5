//! The demo data set: a synthetic but plausible ledger of Zhongxing town (众兴镇) whose 65
//! estates add up exactly to the figures in the source speech, plus a small second town, Anhe
//! (安和镇), so that isolation can be seen. Loaded by `wuguan up` on first start only.

use crate::model::*;
use crate::store::{RegistryStore, WriteContext};
use wuguan_platform::Role;

pub const COUNTY: &str = "demo";
pub const COUNTY_NAME: &str = "示范县";
pub const DEMO_PASSWORD: &str = "demo";

/// The figures the source gives for Zhongxing's county seat.
pub const ZHONGXING_ESTATES: usize = 65;
pub const ZHONGXING_PLANNED_M2: i64 = 4_770_000;
pub const ZHONGXING_BUILT_M2: i64 = 3_750_000;
pub const ZHONGXING_DESIGNED_HOUSEHOLDS: i64 = 33_873;
pub const ZHONGXING_OCCUPIED_HOUSEHOLDS: i64 = 16_458;
pub const ZHONGXING_RESIDENTS: i64 = 57_694;

/// Every demo account, as (username, role, display name). All have password `demo`.
pub const ACCOUNTS: &[(&str, Role, &str)] = &[
    ("county.admin", Role::County, "县建设局房管处"),
    ("zhongxing.town_office", Role::TownOffice, "众兴镇物管办 周天照"),
    ("zhongxing.police", Role::Police, "众兴派出所"),
    ("zhongxing.urban_management", Role::UrbanManagement, "众兴镇城管中队"),
    ("zhongxing.community", Role::Community, "城东社区"),
    ("zhongxing.property_company", Role::PropertyCompany, "恒安物业服务有限公司"),
    ("zhongxing.owner_rep", Role::OwnerRep, "业主代表 李淑芬"),
    ("zhongxing.resident", Role::Resident, "居民"),
    ("anhe.town_office", Role::TownOffice, "安和镇物管办"),
    ("anhe.police", Role::Police, "安和派出所"),
    ("anhe.community", Role::Community, "安和社区"),
    ("anhe.property_company", Role::PropertyCompany, "安和物业服务有限公司"),
];

/// A deterministic pseudo-random sequence, so the demo ledger is the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Uniform in [lo, hi].
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

/// Splits `total` in proportion to `weights` (largest remainder), never giving an item more
/// than its cap. The result sums to exactly `total` as long as the caps allow it.
fn apportion(total: i64, weights: &[f64], caps: &[i64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<i64> = exact.iter().zip(caps).map(|(x, cap)| (x.floor() as i64).min(*cap)).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.partial_cmp(&fa).unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut remaining = total - out.iter().sum::<i64>();
    while remaining > 0 {
        let before = remaining;
        for &i in &order {
            if remaining == 0 {
                break;
            }
            if out[i] < caps[i] {
                out[i] += 1;
                remaining -= 1;
            }
        }
        assert!(remaining < before, "caps too small to apportion {total}");
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Large,
    Regular,
    Old,
}

/// The 65 Zhongxing estates: (name, community index, class, data without ids).
pub struct DemoEstate {
    pub name: String,
    pub community: usize,
    pub company: Option<usize>,
    pub data: EstateData,
}

pub const ZHONGXING_COMMUNITIES: &[(&str, &str)] = &[
    ("城东社区", "张立新"),
    ("城西社区", "刘海燕"),
    ("城南社区", "陈国栋"),
    ("城北社区", "赵红梅"),
    ("中心社区", "孙建华"),
];

pub const ZHONGXING_COMPANIES: &[&str] = &[
    "恒安物业服务有限公司",
    "金盾物业服务有限公司",
    "安居物业服务有限公司",
    "佳和物业服务有限公司",
    "绿苑物业服务有限公司",
    "万家物业服务有限公司",
    "宏宇物业服务有限公司",
    "康乐物业服务有限公司",
    "瑞祥物业服务有限公司",
    "诚信物业服务有限公司",
    "顺达物业服务有限公司",
    "华庭物业服务有限公司",
];

pub fn zhongxing_estates() -> Vec<DemoEstate> {
    const PREFIXES: &[&str] =
        &["阳光", "锦绣", "翠湖", "金色", "幸福", "和谐", "书香", "御景", "东方", "滨河", "世纪", "紫荆", "盛世"];
    const SUFFIXES: &[&str] = &["花园", "华庭", "家园", "名苑", "小区"];
    let mut rng = Lcg(20_240_916);
    // 10 large (boutique), 20 old (standard), 35 regular.
    let classes: Vec<Class> = (0..ZHONGXING_ESTATES)
        .map(|i| match i % 13 {
            0 | 7 => Class::Large,
            2 | 5 | 9 | 11 => Class::Old,
            _ => Class::Regular,
        })
        .collect();
    debug_assert_eq!(classes.iter().filter(|c| **c == Class::Large).count(), 10);
    let raw_planned: Vec<f64> = classes
        .iter()
        .map(|c| match c {
            Class::Large => rng.range(170_000, 250_000) as f64,
            Class::Regular => rng.range(45_000, 80_000) as f64,
            Class::Old => rng.range(18_000, 42_000) as f64,
        })
        .collect();
    let n = ZHONGXING_ESTATES;
    let planned = apportion(ZHONGXING_PLANNED_M2, &raw_planned, &vec![i64::MAX; n]);
    let built_ratio: Vec<f64> = classes
        .iter()
        .map(|c| match c {
            Class::Large => rng.range(55, 75) as f64 / 100.0,
            Class::Regular => rng.range(80, 95) as f64 / 100.0,
            Class::Old => 1.0,
        })
        .collect();
    let built_w: Vec<f64> = planned.iter().zip(&built_ratio).map(|(p, r)| *p as f64 * r).collect();
    let built = apportion(ZHONGXING_BUILT_M2, &built_w, &planned);
    let area_per_household: Vec<f64> =
        classes.iter().map(|c| if *c == Class::Old { 95.0 } else { rng.range(130, 160) as f64 }).collect();
    let designed_w: Vec<f64> = planned.iter().zip(&area_per_household).map(|(p, a)| *p as f64 / a).collect();
    let designed = apportion(ZHONGXING_DESIGNED_HOUSEHOLDS, &designed_w, &vec![i64::MAX; n]);
    let occupancy: Vec<f64> = classes
        .iter()
        .map(|c| match c {
            Class::Large => rng.range(25, 40) as f64 / 100.0,
            Class::Regular => rng.range(45, 60) as f64 / 100.0,
            Class::Old => rng.range(75, 90) as f64 / 100.0,
        })
        .collect();
    let occupied_w: Vec<f64> = designed.iter().zip(&occupancy).map(|(d, o)| *d as f64 * o).collect();
    let occupied = apportion(ZHONGXING_OCCUPIED_HOUSEHOLDS, &occupied_w, &designed);
    let residents_w: Vec<f64> = occupied.iter().map(|o| *o as f64 * rng.range(32, 38) as f64 / 10.0).collect();
    let residents = apportion(ZHONGXING_RESIDENTS, &residents_w, &vec![i64::MAX; n]);

    let mut old_seen = 0;
    let mut company_turn = 0;
    (0..n)
        .map(|i| {
            let class = classes[i];
            let name = format!("{}{}", PREFIXES[i % PREFIXES.len()], SUFFIXES[i / PREFIXES.len()]);
            let is_old = class == Class::Old;
            // Of the 20 old estates: 5 have no property management yet, 4 govern themselves.
            let mode = if is_old {
                old_seen += 1;
                match old_seen % 5 {
                    0 => ManagementMode::None,
                    3 if old_seen < 20 => ManagementMode::SelfGoverned,
                    _ => ManagementMode::PropertyCompany,
                }
            } else {
                ManagementMode::PropertyCompany
            };
            let company = (mode == ManagementMode::PropertyCompany).then(|| {
                company_turn += 1;
                (company_turn - 1) % ZHONGXING_COMPANIES.len()
            });
            let owners_committee = match (class, i % 4) {
                (Class::Old, 0) => OwnersCommittee::Reorganise,
                (Class::Old, _) => OwnersCommittee::None,
                (_, 3) => OwnersCommittee::None,
                (Class::Large, 2) | (Class::Regular, 1) => OwnersCommittee::Reorganise,
                _ => OwnersCommittee::Formed,
            };
            let security = match class {
                Class::Large => SecurityProvision {
                    guards: rng.range(8, 20) as u32,
                    cameras: rng.range(40, 120) as u32,
                    access_control: true,
                    fences_and_gates: true,
                },
                Class::Regular => SecurityProvision {
                    guards: rng.range(2, 8) as u32,
                    cameras: rng.range(10, 40) as u32,
                    access_control: i % 3 != 0,
                    fences_and_gates: true,
                },
                Class::Old => SecurityProvision {
                    guards: rng.range(0, 2) as u32,
                    cameras: rng.range(0, 6) as u32,
                    access_control: false,
                    fences_and_gates: i % 2 == 0,
                },
            };
            DemoEstate {
                name,
                community: i % ZHONGXING_COMMUNITIES.len(),
                company,
                data: EstateData {
                    community_id: String::new(),
                    name: String::new(),
                    address: format!("众兴镇{}路{}号", ["人民", "建设", "淮海", "文化", "幸福"][i % 5], 10 + i * 7),
                    planned_floor_area_m2: planned[i],
                    built_floor_area_m2: built[i],
                    designed_households: designed[i],
                    occupied_households: occupied[i],
                    residents: residents[i],
                    is_old_estate: is_old,
                    management_mode: mode,
                    property_company_id: None,
                    owners_committee,
                    target: derive_target(planned[i], is_old),
                    security,
                },
            }
        })
        .collect()
}

struct TownSeed<'a> {
    code: &'a str,
    name: &'a str,
    communities: &'a [(&'a str, &'a str)],
    companies: &'a [&'a str],
    /// (unit type, unit name, person name, person title)
    units: &'a [(UnitType, &'a str, &'a str, &'a str)],
    estates: Vec<DemoEstate>,
}

fn anhe_estates() -> Vec<DemoEstate> {
    let figures = [
        ("安和新村", 36_000, 36_000, 380, 310, 1_050, true, ManagementMode::None, None),
        ("河畔人家", 88_000, 70_000, 620, 300, 1_020, false, ManagementMode::PropertyCompany, Some(0)),
        ("安和花苑", 120_000, 80_000, 850, 260, 880, false, ManagementMode::PropertyCompany, Some(1)),
        ("老街小区", 22_000, 22_000, 240, 210, 700, true, ManagementMode::SelfGoverned, None),
    ];
    figures
        .into_iter()
        .map(|(name, planned, built, designed, occupied, residents, old, mode, company)| DemoEstate {
            name: name.to_owned(),
            community: 0,
            company,
            data: EstateData {
                community_id: String::new(),
                name: String::new(),
                address: "安和镇".into(),
                planned_floor_area_m2: planned,
                built_floor_area_m2: built,
                designed_households: designed,
                occupied_households: occupied,
                residents,
                is_old_estate: old,
                management_mode: mode,
                property_company_id: None,
                owners_committee: OwnersCommittee::None,
                target: derive_target(planned, old),
                security: SecurityProvision::default(),
            },
        })
        .collect()
}

/// Loads the demo county unless it is already there. Returns whether it loaded anything.
pub async fn load<S: RegistryStore>(store: &S) -> anyhow::Result<bool> {
    if store.get_town("zhongxing").await?.is_some() {
        return Ok(false);
    }
    store.upsert_county(COUNTY, COUNTY_NAME).await?;
    let password_hash = tokio::task::spawn_blocking(|| crate::password::hash(DEMO_PASSWORD)).await??;
    let ctx = WriteContext { actor: "demo-loader".into(), idempotency_key: None };

    let zhongxing_units: &[(UnitType, &str, &str, &str)] = &[
        (UnitType::TownOffice, "众兴镇物管办", "周天照", "物管办主任"),
        (UnitType::Police, "众兴派出所", "吴振华", "副所长"),
        (UnitType::UrbanManagement, "众兴镇城管中队", "郑永强", "中队长"),
        (UnitType::ConstructionBureau, "县建设局房管处", "冯志远", "处长"),
        (UnitType::Developer, "开发建设单位(经建设局协调)", "褚明", "联络员"),
        (UnitType::OwnerReps, "众兴镇业主代表", "卫丽君", "业主代表"),
    ];
    let anhe_units: &[(UnitType, &str, &str, &str)] = &[
        (UnitType::TownOffice, "安和镇物管办", "蒋文", "物管办主任"),
        (UnitType::Police, "安和派出所", "沈涛", "所长"),
        (UnitType::UrbanManagement, "安和镇城管中队", "韩磊", "中队长"),
    ];
    let seeds = [
        TownSeed {
            code: "zhongxing",
            name: "众兴镇",
            communities: ZHONGXING_COMMUNITIES,
            companies: ZHONGXING_COMPANIES,
            units: zhongxing_units,
            estates: zhongxing_estates(),
        },
        TownSeed {
            code: "anhe",
            name: "安和镇",
            communities: &[("安和社区", "杨帆")],
            companies: &["安和物业服务有限公司", "河畔物业服务有限公司"],
            units: anhe_units,
            estates: anhe_estates(),
        },
    ];

    for (town_index, seed) in seeds.into_iter().enumerate() {
        store
            .upsert_town(&Town {
                code: seed.code.into(),
                name: seed.name.into(),
                county: COUNTY.into(),
                county_name: COUNTY_NAME.into(),
                time_zone: "Asia/Shanghai".into(),
            })
            .await?;
        let mut phone_seq = 13_800_000_000i64 + town_index as i64 * 1_000_000;
        let mut next_phone = || {
            phone_seq += 1_357;
            phone_seq.to_string()
        };
        let mut units_by_type = std::collections::HashMap::new();
        for (unit_type, name, person, title) in seed.units {
            let unit = store
                .create_unit(
                    &Unit {
                        id: new_id(),
                        town: seed.code.into(),
                        unit_type: *unit_type,
                        name: (*name).into(),
                        ref_id: None,
                    },
                    &ctx,
                )
                .await?;
            add_person(store, &unit, person, title, next_phone(), &ctx).await?;
            units_by_type.insert(*unit_type, unit.id);
        }
        let mut communities = Vec::new();
        for (name, secretary) in seed.communities {
            let c = store
                .create_community(
                    &Community {
                        id: new_id(),
                        town: seed.code.into(),
                        name: (*name).into(),
                        party_secretary: (*secretary).into(),
                        unit_id: new_id(),
                        version: 1,
                    },
                    &ctx,
                )
                .await?;
            let unit = store.get_unit(&c.unit_id).await?.ok_or_else(|| anyhow::anyhow!("community unit missing"))?;
            add_person(store, &unit, secretary, "社区书记(第一责任人)", next_phone(), &ctx).await?;
            communities.push(c);
        }
        let mut companies = Vec::new();
        for (i, name) in seed.companies.iter().enumerate() {
            let manager =
                format!("{}经理", ["钱", "李", "周", "何", "吕", "施", "张", "孔", "曹", "严", "华", "金"][i % 12]);
            let c = store
                .create_property_company(
                    &PropertyCompany {
                        id: new_id(),
                        town: seed.code.into(),
                        name: (*name).into(),
                        contact_person: manager.clone(),
                        contact_phone: format!("0527-8{:06}", 100_000 + i * 1_111),
                        unit_id: new_id(),
                        version: 1,
                    },
                    &ctx,
                )
                .await?;
            let unit = store.get_unit(&c.unit_id).await?.ok_or_else(|| anyhow::anyhow!("company unit missing"))?;
            add_person(store, &unit, &manager, "项目经理", next_phone(), &ctx).await?;
            companies.push(c);
        }
        let mut first_estate = None;
        for e in seed.estates {
            let mut data = e.data;
            data.name = e.name;
            data.community_id = communities[e.community].id.clone();
            data.property_company_id = e.company.map(|i| companies[i].id.clone());
            let created = store.create_estate(seed.code, &data, &ctx).await?;
            first_estate.get_or_insert(created.id);
        }

        for (username, role, display) in ACCOUNTS {
            let Some(rest) = username.strip_prefix(seed.code).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            debug_assert_eq!(rest, role.as_str());
            let unit_id = match role {
                Role::Community => Some(communities[0].unit_id.clone()),
                Role::PropertyCompany => Some(companies[0].unit_id.clone()),
                Role::Police => units_by_type.get(&UnitType::Police).cloned(),
                Role::UrbanManagement => units_by_type.get(&UnitType::UrbanManagement).cloned(),
                Role::TownOffice => units_by_type.get(&UnitType::TownOffice).cloned(),
                Role::OwnerRep => units_by_type.get(&UnitType::OwnerReps).cloned(),
                _ => None,
            };
            let account = Account {
                username: (*username).into(),
                role: *role,
                town: Some(seed.code.into()),
                county: COUNTY.into(),
                unit_id,
                // The demo's owner representative speaks for the owners of the town's first estate.
                estate_id: first_estate.clone().filter(|_| *role == Role::OwnerRep),
                display_name: (*display).into(),
                disabled: false,
            };
            store.create_account(&account, &password_hash).await?;
        }
    }
    let county_admin = Account {
        username: "county.admin".into(),
        role: Role::County,
        town: None,
        county: COUNTY.into(),
        unit_id: None,
        estate_id: None,
        display_name: "县建设局房管处".into(),
        disabled: false,
    };
    store.create_account(&county_admin, &password_hash).await?;
    Ok(true)
}

async fn add_person<S: RegistryStore>(
    store: &S,
    unit: &Unit,
    name: &str,
    title: &str,
    phone: String,
    ctx: &WriteContext,
) -> anyhow::Result<()> {
    store
        .create_person(
            &Person {
                id: new_id(),
                town: unit.town.clone(),
                unit_id: unit.id.clone(),
                name: name.into(),
                title: title.into(),
                phone,
                designated: true,
            },
            ctx,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zhongxing_totals_are_exactly_the_source_figures() {
        let estates = zhongxing_estates();
        assert_eq!(estates.len(), ZHONGXING_ESTATES);
        let sum = |f: fn(&EstateData) -> i64| estates.iter().map(|e| f(&e.data)).sum::<i64>();
        assert_eq!(sum(|d| d.planned_floor_area_m2), ZHONGXING_PLANNED_M2);
        assert_eq!(sum(|d| d.built_floor_area_m2), ZHONGXING_BUILT_M2);
        assert_eq!(sum(|d| d.designed_households), ZHONGXING_DESIGNED_HOUSEHOLDS);
        assert_eq!(sum(|d| d.occupied_households), ZHONGXING_OCCUPIED_HOUSEHOLDS);
        assert_eq!(sum(|d| d.residents), ZHONGXING_RESIDENTS);
    }

    #[test]
    fn every_demo_estate_passes_ledger_validation() {
        let mut names = std::collections::HashSet::new();
        for e in zhongxing_estates() {
            assert!(names.insert(e.name.clone()), "duplicate name {}", e.name);
            let mut d = e.data.clone();
            d.name = e.name.clone();
            d.community_id = "c".into();
            d.property_company_id = e.company.map(|_| "pc".into());
            let patch = EstatePatch {
                community_id: Some(d.community_id.clone()),
                name: Some(d.name.clone()),
                planned_floor_area_m2: Some(d.planned_floor_area_m2),
                built_floor_area_m2: Some(d.built_floor_area_m2),
                designed_households: Some(d.designed_households),
                occupied_households: Some(d.occupied_households),
                residents: Some(d.residents),
                is_old_estate: Some(d.is_old_estate),
                management_mode: Some(d.management_mode),
                property_company_id: d.property_company_id.clone(),
                ..Default::default()
            };
            crate::validate::apply_estate_patch(None, &patch).unwrap_or_else(|err| panic!("{}: {err}", e.name));
        }
    }

    #[test]
    fn demo_has_every_kind_of_estate() {
        let estates = zhongxing_estates();
        let count = |f: &dyn Fn(&EstateData) -> bool| estates.iter().filter(|e| f(&e.data)).count();
        assert!(count(&|d| d.target == EstateTarget::Boutique) >= 8);
        assert!(count(&|d| d.target == EstateTarget::Standard) >= 15);
        assert!(count(&|d| d.is_old_estate && d.management_mode == ManagementMode::None) >= 3);
        assert!(count(&|d| d.is_old_estate && d.management_mode == ManagementMode::SelfGoverned) >= 3);
        for oc in OwnersCommittee::ALL {
            assert!(count(&|d| d.owners_committee == *oc) > 0, "{oc:?}");
        }
        assert!(
            estates
                .iter()
                .filter(|e| e.data.target == EstateTarget::Boutique)
                .all(|e| e.data.planned_floor_area_m2 >= BOUTIQUE_MIN_PLANNED_M2)
        );
        assert!(
            estates
                .iter()
                .filter(|e| e.data.is_old_estate)
                .all(|e| e.data.planned_floor_area_m2 < BOUTIQUE_MIN_PLANNED_M2)
        );
    }
}
