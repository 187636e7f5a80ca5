//! Ledger validation: a patch applied to an estate (or to nothing, on create) must leave a
//! consistent estate. Errors name the field as the API spells it.

use crate::model::*;
use wuguan_platform::{ServiceError, error::ServiceResult};

const MAX_NAME_CHARS: usize = 100;
const MAX_TEXT_CHARS: usize = 500;
/// Larger than any estate in China; catches a unit mistake (cm² for m²) early.
const MAX_AREA_M2: i64 = 100_000_000;
const MAX_COUNT: i64 = 10_000_000;

pub fn name(field: &str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("{field} must not be empty")));
    }
    if v.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::invalid(field, format!("{field} must be at most {MAX_NAME_CHARS} characters")));
    }
    wuguan_platform::fields::visible_text(field, v)?;
    Ok(v.to_owned())
}

pub fn text(field: &str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if v.chars().count() > MAX_TEXT_CHARS {
        return Err(ServiceError::invalid(field, format!("{field} must be at most {MAX_TEXT_CHARS} characters")));
    }
    wuguan_platform::fields::visible_text(field, v)?;
    Ok(v.to_owned())
}

pub fn phone(field: &str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if !v.is_empty() && (v.len() > 20 || !v.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')) {
        return Err(ServiceError::invalid(field, format!("{field} must be a phone number (digits, '-', '+')")));
    }
    Ok(v.to_owned())
}

fn bounded(field: &str, value: i64, max: i64) -> ServiceResult<i64> {
    if value < 0 {
        return Err(ServiceError::invalid(field, format!("{field} must not be negative")));
    }
    if value > max {
        return Err(ServiceError::invalid(field, format!("{field} must be at most {max}")));
    }
    Ok(value)
}

/// Applies `patch` to `base` (None on create, where the core fields are required) and checks
/// the result. Whether the community / property company exist in the town is checked by the
/// caller, which has the store.
pub fn apply_estate_patch(base: Option<&EstateData>, patch: &EstatePatch) -> ServiceResult<EstateData> {
    fn required<T: Clone>(field: &str, patched: &Option<T>, base: Option<T>) -> ServiceResult<T> {
        patched.clone().or(base).ok_or_else(|| ServiceError::invalid(field, format!("{field} is required")))
    }
    let b = base;
    let name_v = required("name", &patch.name, b.map(|b| b.name.clone()))?;
    let community_id = required("community_id", &patch.community_id, b.map(|b| b.community_id.clone()))?;
    if community_id.trim().is_empty() {
        return Err(ServiceError::invalid("community_id", "community_id is required"));
    }
    let planned = required("planned_floor_area_m2", &patch.planned_floor_area_m2, b.map(|b| b.planned_floor_area_m2))?;
    let built = required("built_floor_area_m2", &patch.built_floor_area_m2, b.map(|b| b.built_floor_area_m2))?;
    let designed = required("designed_households", &patch.designed_households, b.map(|b| b.designed_households))?;
    let occupied = required("occupied_households", &patch.occupied_households, b.map(|b| b.occupied_households))?;
    let residents = required("residents", &patch.residents, b.map(|b| b.residents))?;
    let is_old = patch.is_old_estate.or(b.map(|b| b.is_old_estate)).unwrap_or(false);

    let planned = bounded("planned_floor_area_m2", planned, MAX_AREA_M2)?;
    let built = bounded("built_floor_area_m2", built, MAX_AREA_M2)?;
    if built > planned {
        return Err(ServiceError::invalid(
            "built_floor_area_m2",
            "built_floor_area_m2 must not exceed planned_floor_area_m2",
        ));
    }
    let designed = bounded("designed_households", designed, MAX_COUNT)?;
    let occupied = bounded("occupied_households", occupied, MAX_COUNT)?;
    if occupied > designed {
        return Err(ServiceError::invalid(
            "occupied_households",
            "occupied_households must not exceed designed_households",
        ));
    }
    let residents = bounded("residents", residents, MAX_COUNT)?;
    if occupied == 0 && residents > 0 {
        return Err(ServiceError::invalid("residents", "residents must be 0 when no household is occupied"));
    }

    let management_mode = patch.management_mode.or(b.map(|b| b.management_mode)).unwrap_or(ManagementMode::None);
    let property_company_id = match &patch.property_company_id {
        Some(id) if id.trim().is_empty() => None,
        Some(id) => Some(id.trim().to_owned()),
        None => b.and_then(|b| b.property_company_id.clone()),
    };
    let property_company_id = match (management_mode, property_company_id) {
        (ManagementMode::PropertyCompany, Some(id)) => Some(id),
        (ManagementMode::PropertyCompany, None) => {
            return Err(ServiceError::invalid(
                "property_company_id",
                "property_company_id is required when management_mode is property_company",
            ));
        }
        // Switching away from a company clears it, unless the patch names one explicitly.
        (_, Some(_)) if patch.property_company_id.is_some() => {
            return Err(ServiceError::invalid(
                "property_company_id",
                "property_company_id must be empty unless management_mode is property_company",
            ));
        }
        (_, _) => None,
    };
    let owners_committee = patch.owners_committee.or(b.map(|b| b.owners_committee)).unwrap_or(OwnersCommittee::None);
    let target = patch.target.or(b.map(|b| b.target)).unwrap_or_else(|| derive_target(planned, is_old));
    let base_sec = b.map(|b| b.security).unwrap_or_default();
    let security = SecurityProvision {
        guards: patch.guards.unwrap_or(base_sec.guards),
        cameras: patch.cameras.unwrap_or(base_sec.cameras),
        access_control: patch.access_control.unwrap_or(base_sec.access_control),
        fences_and_gates: patch.fences_and_gates.unwrap_or(base_sec.fences_and_gates),
    };
    if i64::from(security.guards) > MAX_COUNT {
        return Err(ServiceError::invalid("guards", "guards is implausibly large"));
    }
    if i64::from(security.cameras) > MAX_COUNT {
        return Err(ServiceError::invalid("cameras", "cameras is implausibly large"));
    }
    Ok(EstateData {
        community_id: community_id.trim().to_owned(),
        name: name("name", &name_v)?,
        address: text("address", patch.address.as_deref().or(b.map(|b| b.address.as_str())).unwrap_or(""))?,
        planned_floor_area_m2: planned,
        built_floor_area_m2: built,
        designed_households: designed,
        occupied_households: occupied,
        residents,
        is_old_estate: is_old,
        management_mode,
        property_company_id,
        owners_committee,
        target,
        security,
    })
}

/// The field-by-field difference between two versions of an estate, for the change history.
pub fn diff(old: Option<&EstateData>, new: &EstateData) -> Vec<FieldChange> {
    let fields = |d: &EstateData| -> Vec<(&'static str, String)> {
        vec![
            ("community_id", d.community_id.clone()),
            ("name", d.name.clone()),
            ("address", d.address.clone()),
            ("planned_floor_area_m2", d.planned_floor_area_m2.to_string()),
            ("built_floor_area_m2", d.built_floor_area_m2.to_string()),
            ("designed_households", d.designed_households.to_string()),
            ("occupied_households", d.occupied_households.to_string()),
            ("residents", d.residents.to_string()),
            ("is_old_estate", d.is_old_estate.to_string()),
            ("management_mode", d.management_mode.as_str().to_owned()),
            ("property_company_id", d.property_company_id.clone().unwrap_or_default()),
            ("owners_committee", d.owners_committee.as_str().to_owned()),
            ("target", d.target.as_str().to_owned()),
            ("guards", d.security.guards.to_string()),
            ("cameras", d.security.cameras.to_string()),
            ("access_control", d.security.access_control.to_string()),
            ("fences_and_gates", d.security.fences_and_gates.to_string()),
        ]
    };
    let new_fields = fields(new);
    let old_fields = old.map(fields);
    new_fields
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, new_value))| {
            let old_value = old_fields.as_ref().map(|o| o[i].1.clone()).unwrap_or_default();
            (old_fields.is_none() || old_value != new_value).then(|| FieldChange {
                field: field.to_owned(),
                old_value,
                new_value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch() -> EstatePatch {
        EstatePatch {
            community_id: Some("c1".into()),
            name: Some(" 阳光花园 ".into()),
            planned_floor_area_m2: Some(120_000),
            built_floor_area_m2: Some(100_000),
            designed_households: Some(1000),
            occupied_households: Some(800),
            residents: Some(2800),
            ..Default::default()
        }
    }

    #[test]
    fn names_refuse_nul_direction_overrides_and_invisible_characters() {
        for bad in ["阳光\u{0}花园", "阳光\u{202E}园花", "阳光\u{200B}花园", "\u{FEFF}阳光花园", "阳光\u{2066}花园"]
        {
            let err = name("name", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("name"), "{bad:?}");
            assert!(text("address", bad).is_err(), "{bad:?}");
        }
        assert_eq!(name("name", " 阳光花园（一期） ").unwrap(), "阳光花园（一期）");
    }

    #[test]
    fn create_derives_target_and_trims() {
        let d = apply_estate_patch(None, &patch()).unwrap();
        assert_eq!(d.name, "阳光花园");
        assert_eq!(d.target, EstateTarget::Boutique);
        assert_eq!(d.management_mode, ManagementMode::None);
    }

    #[test]
    fn inconsistent_figures_name_the_field() {
        let mut p = patch();
        p.built_floor_area_m2 = Some(130_000);
        assert_eq!(apply_estate_patch(None, &p).unwrap_err().field.as_deref(), Some("built_floor_area_m2"));
        let mut p = patch();
        p.occupied_households = Some(1001);
        assert_eq!(apply_estate_patch(None, &p).unwrap_err().field.as_deref(), Some("occupied_households"));
        let mut p = patch();
        p.planned_floor_area_m2 = Some(-1);
        assert_eq!(apply_estate_patch(None, &p).unwrap_err().field.as_deref(), Some("planned_floor_area_m2"));
        let mut p = patch();
        p.name = None;
        assert_eq!(apply_estate_patch(None, &p).unwrap_err().field.as_deref(), Some("name"));
        let mut p = patch();
        p.management_mode = Some(ManagementMode::PropertyCompany);
        assert_eq!(apply_estate_patch(None, &p).unwrap_err().field.as_deref(), Some("property_company_id"));
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let old = apply_estate_patch(None, &patch()).unwrap();
        let new = apply_estate_patch(Some(&old), &EstatePatch { residents: Some(2900), ..Default::default() }).unwrap();
        let changes = diff(Some(&old), &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "residents");
        assert_eq!((changes[0].old_value.as_str(), changes[0].new_value.as_str()), ("2800", "2900"));
    }
}
