//! The ledger's domain types. Wire (protobuf) types are converted to and from these in
//! `grpc/convert.rs`; storage rows in `store/`.

use serde::{Deserialize, Serialize};
/// The vocabulary (names and Chinese labels) comes from the contracts: see `wuguan_proto::vocab`.
pub use wuguan_proto::vocab::common::UnitType;
pub use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode, OwnersCommittee};

/// Estates of at least this planned floor area aim for boutique (精品小区) status.
pub const BOUTIQUE_MIN_PLANNED_M2: i64 = 100_000;

/// The default target: boutique for large estates, standard for old ones.
pub fn derive_target(planned_floor_area_m2: i64, is_old_estate: bool) -> EstateTarget {
    if planned_floor_area_m2 >= BOUTIQUE_MIN_PLANNED_M2 {
        EstateTarget::Boutique
    } else if is_old_estate {
        EstateTarget::Standard
    } else {
        EstateTarget::None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Town {
    pub code: String,
    pub name: String,
    pub county: String,
    pub county_name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub id: String,
    pub town: String,
    pub name: String,
    pub party_secretary: String,
    pub unit_id: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyCompany {
    pub id: String,
    pub town: String,
    pub name: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub unit_id: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub town: String,
    pub unit_type: UnitType,
    pub name: String,
    pub ref_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub town: String,
    pub unit_id: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub designated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityProvision {
    pub guards: u32,
    pub cameras: u32,
    pub access_control: bool,
    pub fences_and_gates: bool,
}

/// Everything about an estate that a clerk edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateData {
    pub community_id: String,
    pub name: String,
    pub address: String,
    pub planned_floor_area_m2: i64,
    pub built_floor_area_m2: i64,
    pub designed_households: i64,
    pub occupied_households: i64,
    pub residents: i64,
    pub is_old_estate: bool,
    pub management_mode: ManagementMode,
    pub property_company_id: Option<String>,
    pub owners_committee: OwnersCommittee,
    pub target: EstateTarget,
    pub security: SecurityProvision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estate {
    pub id: String,
    pub town: String,
    pub data: EstateData,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A partial estate: what a create or update names. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstatePatch {
    pub community_id: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub planned_floor_area_m2: Option<i64>,
    pub built_floor_area_m2: Option<i64>,
    pub designed_households: Option<i64>,
    pub occupied_households: Option<i64>,
    pub residents: Option<i64>,
    pub is_old_estate: Option<bool>,
    pub management_mode: Option<ManagementMode>,
    /// `Some("")` clears it.
    pub property_company_id: Option<String>,
    pub owners_committee: Option<OwnersCommittee>,
    pub target: Option<EstateTarget>,
    pub guards: Option<u32>,
    pub cameras: Option<u32>,
    pub access_control: Option<bool>,
    pub fences_and_gates: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateChange {
    pub id: String,
    pub estate_id: String,
    pub actor: String,
    pub at_ms: i64,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstateFilter {
    pub community_id: Option<String>,
    pub property_company_id: Option<String>,
    pub management_mode: Option<ManagementMode>,
    pub is_old_estate: Option<bool>,
    pub target: Option<EstateTarget>,
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TownSummary {
    pub town: String,
    pub estates: u32,
    pub planned_floor_area_m2: i64,
    pub built_floor_area_m2: i64,
    pub designed_households: i64,
    pub occupied_households: i64,
    pub residents: i64,
    pub old_estates: u32,
    pub communities: u32,
    pub property_companies: u32,
    pub managed_by_property_company: u32,
    pub self_governed: u32,
    pub unmanaged: u32,
    pub owners_committees_formed: u32,
    pub owners_committees_none: u32,
    pub owners_committees_reorganise: u32,
    pub boutique_target: u32,
    pub standard_target: u32,
    pub with_guards: u32,
    pub with_cameras: u32,
    pub with_access_control: u32,
    pub with_fences_and_gates: u32,
}

impl TownSummary {
    /// Totals over `estates`, which must all be of `town`.
    pub fn over(town: &str, estates: &[Estate], communities: u32, property_companies: u32) -> Self {
        let mut s = TownSummary { town: town.to_owned(), communities, property_companies, ..Default::default() };
        for e in estates {
            let d = &e.data;
            s.estates += 1;
            s.planned_floor_area_m2 += d.planned_floor_area_m2;
            s.built_floor_area_m2 += d.built_floor_area_m2;
            s.designed_households += d.designed_households;
            s.occupied_households += d.occupied_households;
            s.residents += d.residents;
            s.old_estates += u32::from(d.is_old_estate);
            match d.management_mode {
                ManagementMode::PropertyCompany => s.managed_by_property_company += 1,
                ManagementMode::SelfGoverned => s.self_governed += 1,
                ManagementMode::None => s.unmanaged += 1,
            }
            match d.owners_committee {
                OwnersCommittee::Formed => s.owners_committees_formed += 1,
                OwnersCommittee::None => s.owners_committees_none += 1,
                OwnersCommittee::Reorganise => s.owners_committees_reorganise += 1,
            }
            match d.target {
                EstateTarget::Boutique => s.boutique_target += 1,
                EstateTarget::Standard => s.standard_target += 1,
                EstateTarget::None => {}
            }
            s.with_guards += u32::from(d.security.guards > 0);
            s.with_cameras += u32::from(d.security.cameras > 0);
            s.with_access_control += u32::from(d.security.access_control);
            s.with_fences_and_gates += u32::from(d.security.fences_and_gates);
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub town: String,
    pub old_estates: u32,
    pub with_property_company: u32,
    pub self_governed: u32,
    pub uncovered: Vec<Estate>,
    pub coverage_rate: f64,
}

impl Coverage {
    /// Coverage of property management over the old estates among `estates`.
    pub fn over(town: &str, estates: &[Estate]) -> Self {
        let old: Vec<&Estate> = estates.iter().filter(|e| e.data.is_old_estate).collect();
        let with_pc = old.iter().filter(|e| e.data.management_mode == ManagementMode::PropertyCompany).count() as u32;
        let self_gov = old.iter().filter(|e| e.data.management_mode == ManagementMode::SelfGoverned).count() as u32;
        let uncovered: Vec<Estate> =
            old.iter().filter(|e| e.data.management_mode == ManagementMode::None).map(|e| (*e).clone()).collect();
        let coverage_rate = if old.is_empty() { 1.0 } else { f64::from(with_pc + self_gov) / old.len() as f64 };
        Coverage {
            town: town.to_owned(),
            old_estates: old.len() as u32,
            with_property_company: with_pc,
            self_governed: self_gov,
            uncovered,
            coverage_rate,
        }
    }
}

/// The units a complaint about an estate can be routed to, with their designated persons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitContact {
    pub unit: Unit,
    pub person: Option<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub role: wuguan_platform::Role,
    pub town: Option<String>,
    pub county: String,
    pub unit_id: Option<String>,
    /// An owner representative's estate.
    pub estate_id: Option<String>,
    pub display_name: String,
    /// Stopped by the town office (staff who left): it cannot sign in.
    pub disabled: bool,
}

/// A service token the county minted for another department's system (the token itself is
/// shown once and never stored; `id` is its `jti`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTokenRecord {
    pub id: String,
    pub name: String,
    pub role: wuguan_platform::Role,
    pub town: Option<String>,
    pub county: String,
    pub unit_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// One row of the revocation feed (see `wuguan_platform::revocation`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RevocationRow {
    pub key: String,
    pub min_version: i64,
    pub changed_at: i64,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
