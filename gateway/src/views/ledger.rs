//! JSON shapes of the ledger (台账): towns, estates, communities, property companies, units,
//! persons, accounts, change history and CSV import, converted from and to the registry's messages.

use crate::error::ApiError;
use crate::vocab::{name, wire};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::vocab::common::{Role, UnitType};
use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode, OwnersCommittee};

fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// An estate's target in JSON: null where it has none.
pub fn target_str(v: i32) -> Option<&'static str> {
    EstateTarget::from_wire(v).ok().flatten().filter(|t| *t != EstateTarget::None).map(EstateTarget::as_str)
}

#[derive(Serialize, ToSchema)]
pub struct TownView {
    pub code: String,
    pub name: String,
    pub county: String,
    pub county_name: String,
    pub time_zone: String,
}

impl From<pb::Town> for TownView {
    fn from(t: pb::Town) -> Self {
        TownView { code: t.code, name: t.name, county: t.county, county_name: t.county_name, time_zone: t.time_zone }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SecurityView {
    pub guards: u32,
    pub cameras: u32,
    pub access_control: bool,
    pub fences_and_gates: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EstateView {
    pub id: String,
    pub town: String,
    pub name: String,
    pub community_id: String,
    pub address: String,
    pub planned_floor_area_m2: i64,
    pub built_floor_area_m2: i64,
    pub designed_households: i64,
    pub occupied_households: i64,
    pub residents: i64,
    pub is_old_estate: bool,
    #[schema(value_type = ManagementMode)]
    pub management_mode: &'static str,
    pub property_company_id: Option<String>,
    #[schema(value_type = OwnersCommittee)]
    pub owners_committee: &'static str,
    #[schema(value_type = Option<EstateTarget>)]
    pub target: Option<&'static str>,
    pub security: SecurityView,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl From<pb::Estate> for EstateView {
    fn from(e: pb::Estate) -> Self {
        let s = e.security.unwrap_or_default();
        EstateView {
            id: e.id,
            town: e.town,
            name: e.name,
            community_id: e.community_id,
            address: e.address,
            planned_floor_area_m2: e.planned_floor_area_m2,
            built_floor_area_m2: e.built_floor_area_m2,
            designed_households: e.designed_households,
            occupied_households: e.occupied_households,
            residents: e.residents,
            is_old_estate: e.is_old_estate,
            management_mode: name::<ManagementMode>(e.management_mode),
            property_company_id: none_if_empty(e.property_company_id),
            owners_committee: name::<OwnersCommittee>(e.owners_committee),
            target: target_str(e.target),
            security: SecurityView {
                guards: s.guards,
                cameras: s.cameras,
                access_control: s.access_control,
                fences_and_gates: s.fences_and_gates,
            },
            version: e.version,
            created_at_ms: e.created_at_ms,
            updated_at_ms: e.updated_at_ms,
        }
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityInput {
    pub guards: Option<u32>,
    pub cameras: Option<u32>,
    pub access_control: Option<bool>,
    pub fences_and_gates: Option<bool>,
}

/// Body of `POST /towns/{town}/estates` and `PATCH /estates/{id}`: every field optional here;
/// the registry says which are required.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstateInput {
    pub community_id: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub planned_floor_area_m2: Option<i64>,
    pub built_floor_area_m2: Option<i64>,
    pub designed_households: Option<i64>,
    pub occupied_households: Option<i64>,
    pub residents: Option<i64>,
    pub is_old_estate: Option<bool>,
    #[schema(value_type = Option<ManagementMode>)]
    pub management_mode: Option<String>,
    pub property_company_id: Option<String>,
    #[schema(value_type = Option<OwnersCommittee>)]
    pub owners_committee: Option<String>,
    #[schema(value_type = Option<EstateTarget>)]
    pub target: Option<String>,
    pub security: Option<SecurityInput>,
    /// PATCH only: fail with 409 unless the estate is still at this version.
    pub expected_version: Option<i64>,
}

impl EstateInput {
    pub fn to_pb(&self) -> Result<pb::EstateFields, ApiError> {
        let sec = self.security.as_ref();
        Ok(pb::EstateFields {
            community_id: self.community_id.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            planned_floor_area_m2: self.planned_floor_area_m2,
            built_floor_area_m2: self.built_floor_area_m2,
            designed_households: self.designed_households,
            occupied_households: self.occupied_households,
            residents: self.residents,
            is_old_estate: self.is_old_estate,
            management_mode: self
                .management_mode
                .as_deref()
                .map(|s| wire::<ManagementMode>("management_mode", s))
                .transpose()?,
            property_company_id: self.property_company_id.clone(),
            owners_committee: self
                .owners_committee
                .as_deref()
                .map(|s| wire::<OwnersCommittee>("owners_committee", s))
                .transpose()?,
            target: self.target.as_deref().map(|s| wire::<EstateTarget>("target", s)).transpose()?,
            guards: sec.and_then(|s| s.guards),
            cameras: sec.and_then(|s| s.cameras),
            access_control: sec.and_then(|s| s.access_control),
            fences_and_gates: sec.and_then(|s| s.fences_and_gates),
        })
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EstateQuery {
    pub community_id: Option<String>,
    pub property_company_id: Option<String>,
    #[param(value_type = Option<ManagementMode>)]
    pub management_mode: Option<String>,
    pub is_old_estate: Option<bool>,
    #[param(value_type = Option<EstateTarget>)]
    pub target: Option<String>,
    /// Part of the estate's name.
    pub q: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
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
    pub owners_committees: OwnersCommitteeCounts,
    pub targets: TargetCounts,
    pub security: SecurityCounts,
}

#[derive(Serialize, ToSchema)]
pub struct OwnersCommitteeCounts {
    pub formed: u32,
    pub none: u32,
    pub reorganise: u32,
}

#[derive(Serialize, ToSchema)]
pub struct TargetCounts {
    pub boutique: u32,
    pub standard: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SecurityCounts {
    pub with_guards: u32,
    pub with_cameras: u32,
    pub with_access_control: u32,
    pub with_fences_and_gates: u32,
}

impl From<pb::TownSummary> for SummaryView {
    fn from(s: pb::TownSummary) -> Self {
        SummaryView {
            town: s.town,
            estates: s.estates,
            planned_floor_area_m2: s.planned_floor_area_m2,
            built_floor_area_m2: s.built_floor_area_m2,
            designed_households: s.designed_households,
            occupied_households: s.occupied_households,
            residents: s.residents,
            old_estates: s.old_estates,
            communities: s.communities,
            property_companies: s.property_companies,
            managed_by_property_company: s.managed_by_property_company,
            self_governed: s.self_governed,
            unmanaged: s.unmanaged,
            owners_committees: OwnersCommitteeCounts {
                formed: s.owners_committees_formed,
                none: s.owners_committees_none,
                reorganise: s.owners_committees_reorganise,
            },
            targets: TargetCounts { boutique: s.boutique_target, standard: s.standard_target },
            security: SecurityCounts {
                with_guards: s.with_guards,
                with_cameras: s.with_cameras,
                with_access_control: s.with_access_control,
                with_fences_and_gates: s.with_fences_and_gates,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EstateRefView {
    pub id: String,
    pub name: String,
    pub community_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageView {
    pub town: String,
    pub old_estates: u32,
    pub with_property_company: u32,
    pub self_governed: u32,
    pub uncovered: u32,
    pub coverage_rate: f64,
    pub uncovered_estates: Vec<EstateRefView>,
}

impl From<pb::Coverage> for CoverageView {
    fn from(c: pb::Coverage) -> Self {
        CoverageView {
            town: c.town,
            old_estates: c.old_estates,
            with_property_company: c.with_property_company,
            self_governed: c.self_governed,
            uncovered: c.uncovered,
            coverage_rate: c.coverage_rate,
            uncovered_estates: c
                .uncovered_estates
                .into_iter()
                .map(|e| EstateRefView { id: e.id, name: e.name, community_id: e.community_id })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommunityView {
    pub id: String,
    pub town: String,
    pub name: String,
    pub party_secretary: String,
    pub unit_id: String,
}

impl From<pb::Community> for CommunityView {
    fn from(c: pb::Community) -> Self {
        CommunityView { id: c.id, town: c.town, name: c.name, party_secretary: c.party_secretary, unit_id: c.unit_id }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityInput {
    pub name: String,
    #[serde(default)]
    pub party_secretary: String,
}

#[derive(Serialize, ToSchema)]
pub struct PropertyCompanyView {
    pub id: String,
    pub town: String,
    pub name: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub unit_id: String,
}

impl From<pb::PropertyCompany> for PropertyCompanyView {
    fn from(c: pb::PropertyCompany) -> Self {
        PropertyCompanyView {
            id: c.id,
            town: c.town,
            name: c.name,
            contact_person: c.contact_person,
            contact_phone: c.contact_phone,
            unit_id: c.unit_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyCompanyInput {
    pub name: String,
    #[serde(default)]
    pub contact_person: String,
    #[serde(default)]
    pub contact_phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub town: String,
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    pub name: String,
    pub ref_id: Option<String>,
}

impl From<pb::Unit> for UnitView {
    fn from(u: pb::Unit) -> Self {
        UnitView {
            id: u.id,
            town: u.town,
            unit_type: name::<UnitType>(u.unit_type),
            name: u.name,
            ref_id: none_if_empty(u.ref_id),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    #[schema(value_type = UnitType)]
    pub unit_type: String,
    pub name: String,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    #[param(value_type = Option<UnitType>)]
    pub unit_type: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub town: String,
    pub unit_id: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub designated: bool,
}

impl From<pb::Person> for PersonView {
    fn from(p: pb::Person) -> Self {
        PersonView {
            id: p.id,
            town: p.town,
            unit_id: p.unit_id,
            name: p.name,
            title: p.title,
            phone: p.phone,
            designated: p.designated,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub unit_id: String,
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub designated: bool,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PersonQuery {
    pub unit_id: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeView {
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Serialize, ToSchema)]
pub struct EstateChangeView {
    pub id: String,
    pub estate_id: String,
    pub actor: String,
    pub at_ms: i64,
    pub action: String,
    pub changes: Vec<FieldChangeView>,
}

impl From<pb::EstateChange> for EstateChangeView {
    fn from(c: pb::EstateChange) -> Self {
        EstateChangeView {
            id: c.id,
            estate_id: c.estate_id,
            actor: c.actor,
            at_ms: c.at_ms,
            action: c.action,
            changes: c
                .changes
                .into_iter()
                .map(|f| FieldChangeView { field: f.field, old_value: f.old_value, new_value: f.new_value })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitContactView {
    pub unit_id: String,
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    pub unit_name: String,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoutingFactsView {
    pub estate_id: String,
    pub town: String,
    pub estate_name: String,
    pub community_id: String,
    pub property_company_id: Option<String>,
    #[schema(value_type = ManagementMode)]
    pub management_mode: &'static str,
    pub is_old_estate: bool,
    pub units: Vec<UnitContactView>,
}

impl From<pb::EstateRoutingFacts> for RoutingFactsView {
    fn from(f: pb::EstateRoutingFacts) -> Self {
        RoutingFactsView {
            estate_id: f.estate_id,
            town: f.town,
            estate_name: f.estate_name,
            community_id: f.community_id,
            property_company_id: none_if_empty(f.property_company_id),
            management_mode: name::<ManagementMode>(f.management_mode),
            is_old_estate: f.is_old_estate,
            units: f
                .units
                .into_iter()
                .map(|u| UnitContactView {
                    unit_id: u.unit_id,
                    unit_type: name::<UnitType>(u.unit_type),
                    unit_name: u.unit_name,
                    person_id: none_if_empty(u.person_id),
                    person_name: none_if_empty(u.person_name),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub username: String,
    #[schema(value_type = Role)]
    pub role: &'static str,
    pub town: Option<String>,
    pub county: String,
    pub unit_id: Option<String>,
    pub estate_id: Option<String>,
    pub display_name: String,
    pub disabled: bool,
}

impl From<pb::Account> for AccountView {
    fn from(a: pb::Account) -> Self {
        AccountView {
            username: a.username,
            role: name::<Role>(a.role),
            town: none_if_empty(a.town),
            county: a.county,
            unit_id: none_if_empty(a.unit_id),
            estate_id: none_if_empty(a.estate_id),
            display_name: a.display_name,
            disabled: a.disabled,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub username: String,
    pub password: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub display_name: String,
    /// Owner representatives: the estate whose owners they represent.
    #[serde(default)]
    pub estate_id: String,
}

/// A CSV file's bytes, for clients that upload the ledger as a file rather than as text.
pub struct CsvFile;

impl utoipa::PartialSchema for CsvFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .content_media_type("text/csv")
            .into()
    }
}

impl ToSchema for CsvFile {}

#[derive(Serialize, ToSchema)]
pub struct ImportRowErrorView {
    pub line: u32,
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub created: u32,
    pub updated: u32,
    pub dry_run: bool,
    pub errors: Vec<ImportRowErrorView>,
}

#[derive(Serialize, ToSchema)]
pub struct TownList {
    pub items: Vec<TownView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TownInput {
    pub code: String,
    pub name: String,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordInput {
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub phone: String,
}
