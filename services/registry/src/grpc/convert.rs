//! The one place where registry wire types meet domain types, and where enum fields coming off
//! the wire are checked.

use crate::model::*;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::fields::optional_enum;
use wuguan_platform::privacy::mask_phone;
use wuguan_proto::registry::v1 as pb;

pub fn town(t: Town) -> pb::Town {
    pb::Town { code: t.code, name: t.name, county: t.county, county_name: t.county_name, time_zone: t.time_zone }
}

pub fn community(c: Community) -> pb::Community {
    pb::Community {
        id: c.id,
        town: c.town,
        name: c.name,
        party_secretary: c.party_secretary,
        unit_id: c.unit_id,
        version: c.version,
    }
}

pub fn property_company(c: PropertyCompany) -> pb::PropertyCompany {
    pb::PropertyCompany {
        id: c.id,
        town: c.town,
        name: c.name,
        contact_person: c.contact_person,
        contact_phone: c.contact_phone,
        unit_id: c.unit_id,
        version: c.version,
    }
}

pub fn unit(u: Unit) -> pb::Unit {
    pb::Unit {
        id: u.id,
        town: u.town,
        unit_type: i32::from(u.unit_type),
        name: u.name,
        ref_id: u.ref_id.unwrap_or_default(),
    }
}

pub fn person(p: Person, show_phone: bool) -> pb::Person {
    pb::Person {
        id: p.id,
        town: p.town,
        unit_id: p.unit_id,
        name: p.name,
        title: p.title,
        phone: if show_phone { p.phone } else { mask_phone(&p.phone) },
        designated: p.designated,
    }
}

pub fn estate(e: Estate) -> pb::Estate {
    let d = e.data;
    pb::Estate {
        id: e.id,
        town: e.town,
        community_id: d.community_id,
        name: d.name,
        address: d.address,
        planned_floor_area_m2: d.planned_floor_area_m2,
        built_floor_area_m2: d.built_floor_area_m2,
        designed_households: d.designed_households,
        occupied_households: d.occupied_households,
        residents: d.residents,
        is_old_estate: d.is_old_estate,
        management_mode: i32::from(d.management_mode),
        property_company_id: d.property_company_id.unwrap_or_default(),
        owners_committee: i32::from(d.owners_committee),
        target: i32::from(d.target),
        security: Some(pb::SecurityProvision {
            guards: d.security.guards,
            cameras: d.security.cameras,
            access_control: d.security.access_control,
            fences_and_gates: d.security.fences_and_gates,
        }),
        version: e.version,
        created_at_ms: e.created_at_ms,
        updated_at_ms: e.updated_at_ms,
    }
}

pub fn estate_patch(f: Option<pb::EstateFields>) -> ServiceResult<EstatePatch> {
    let f = f.unwrap_or_default();
    Ok(EstatePatch {
        community_id: f.community_id,
        name: f.name,
        address: f.address,
        planned_floor_area_m2: f.planned_floor_area_m2,
        built_floor_area_m2: f.built_floor_area_m2,
        designed_households: f.designed_households,
        occupied_households: f.occupied_households,
        residents: f.residents,
        is_old_estate: f.is_old_estate,
        management_mode: match f.management_mode {
            Some(v) => optional_enum::<ManagementMode>("management_mode", v)?,
            None => None,
        },
        property_company_id: f.property_company_id,
        owners_committee: match f.owners_committee {
            Some(v) => optional_enum::<OwnersCommittee>("owners_committee", v)?,
            None => None,
        },
        target: match f.target {
            Some(v) => optional_enum::<EstateTarget>("target", v)?,
            None => None,
        },
        guards: f.guards,
        cameras: f.cameras,
        access_control: f.access_control,
        fences_and_gates: f.fences_and_gates,
    })
}

pub fn estate_change(c: EstateChange) -> pb::EstateChange {
    pb::EstateChange {
        id: c.id,
        estate_id: c.estate_id,
        actor: c.actor,
        at_ms: c.at_ms,
        action: c.action,
        changes: c
            .changes
            .into_iter()
            .map(|f| pb::FieldChange { field: f.field, old_value: f.old_value, new_value: f.new_value })
            .collect(),
    }
}

pub fn summary(s: TownSummary) -> pb::TownSummary {
    pb::TownSummary {
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
        owners_committees_formed: s.owners_committees_formed,
        owners_committees_none: s.owners_committees_none,
        owners_committees_reorganise: s.owners_committees_reorganise,
        boutique_target: s.boutique_target,
        standard_target: s.standard_target,
        with_guards: s.with_guards,
        with_cameras: s.with_cameras,
        with_access_control: s.with_access_control,
        with_fences_and_gates: s.with_fences_and_gates,
    }
}

pub fn coverage(c: Coverage) -> pb::Coverage {
    pb::Coverage {
        town: c.town,
        old_estates: c.old_estates,
        with_property_company: c.with_property_company,
        self_governed: c.self_governed,
        uncovered: c.uncovered.len() as u32,
        coverage_rate: c.coverage_rate,
        uncovered_estates: c
            .uncovered
            .into_iter()
            .map(|e| pb::EstateRef { id: e.id, name: e.data.name, community_id: e.data.community_id })
            .collect(),
    }
}

pub fn unit_contact(c: UnitContact) -> pb::UnitContact {
    let (person_id, person_name) = c.person.map(|p| (p.id, p.name)).unwrap_or_default();
    pb::UnitContact {
        unit_id: c.unit.id,
        unit_type: i32::from(c.unit.unit_type),
        unit_name: c.unit.name,
        person_id,
        person_name,
    }
}

pub fn account(a: Account) -> pb::Account {
    pb::Account {
        username: a.username,
        role: a.role.to_wire() as i32,
        town: a.town.unwrap_or_default(),
        county: a.county,
        unit_id: a.unit_id.unwrap_or_default(),
        display_name: a.display_name,
        disabled: a.disabled,
        estate_id: a.estate_id.unwrap_or_default(),
        token_version: 0,
    }
}

pub fn service_token(t: ServiceTokenRecord) -> pb::ServiceToken {
    pb::ServiceToken {
        id: t.id,
        name: t.name,
        role: t.role.to_wire() as i32,
        town: t.town.unwrap_or_default(),
        county: t.county,
        unit_id: t.unit_id.unwrap_or_default(),
        created_by: t.created_by,
        created_at_ms: t.created_at,
        expires_at_ms: t.expires_at,
        revoked_at_ms: t.revoked_at.unwrap_or(0),
        revoked_by: t.revoked_by.unwrap_or_default(),
    }
}

/// An optional string field: empty on the wire means "not given".
pub fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}
