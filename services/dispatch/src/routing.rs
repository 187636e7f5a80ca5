//! Five-party routing (五方联动): which unit a category goes to, with which deadlines. The rules
//! are data per town (the town office overrides them); these are the defaults.

use crate::calendar::WorkCalendar;
use crate::model::*;

const URGENT_RESPONSE: TimeLimit = TimeLimit::hours(2);
const RESPONSE: TimeLimit = TimeLimit::hours(24);
const URGENT_RESOLUTION: TimeLimit = TimeLimit::hours(24);
const GENERAL_RESOLUTION: TimeLimit = TimeLimit::days(7);
const COMPLEX_RESOLUTION: TimeLimit = TimeLimit::days(15);
/// Signing for an assignment (签收): within a working hour where speed matters most, within a
/// working day otherwise (12345 practice: sign-for within one working day).
const URGENT_SIGN: TimeLimit = TimeLimit { amount: 1, unit: LimitUnit::WorkingHours };
const SIGN: TimeLimit = TimeLimit { amount: 1, unit: LimitUnit::WorkingDays };
/// How long a unit may return a ticket it thinks is not its own (退单): two working days from
/// dispatch (hotline practice: wrongly routed orders returned within 2 working days).
pub const RETURN_WINDOW: TimeLimit = TimeLimit { amount: 2, unit: LimitUnit::WorkingDays };
/// How long the town office has, after a unit resolves a ticket, to call the reporter back
/// (回访): two working days; later, the callback is itself overdue for the office.
pub const CALLBACK_WINDOW: TimeLimit = TimeLimit { amount: 2, unit: LimitUnit::WorkingDays };

/// The built-in rule for a category: the source's routing with hotline-practice SLAs
/// (2 h response for security and illegal building, 24 h otherwise; resolution 24 h urgent,
/// 7 days general, 15 days complex).
pub fn default_rule(town: &str, category: Category) -> RoutingRule {
    use Category::*;
    let target = match category {
        Security => RouteTarget::Police,
        IllegalConstruction | IllegalRenovation | StructuralDamage | IllegalStall => RouteTarget::UrbanManagement,
        Sanitation | Repair | PropertyService | PropertyFees => RouteTarget::PropertyCompany,
        OwnersCommittee | NeighbourDispute => RouteTarget::Community,
        BuildingQuality | MissingFacilities => RouteTarget::ConstructionBureau,
        Other => RouteTarget::TownOffice,
    };
    let response = match category {
        Security | IllegalConstruction | IllegalRenovation | StructuralDamage | IllegalStall => URGENT_RESPONSE,
        _ => RESPONSE,
    };
    let sign = match category {
        Security | IllegalConstruction => URGENT_SIGN,
        _ => SIGN,
    };
    let resolution = match category {
        Security | StructuralDamage => URGENT_RESOLUTION,
        PropertyFees | OwnersCommittee | BuildingQuality | MissingFacilities => COMPLEX_RESOLUTION,
        _ => GENERAL_RESOLUTION,
    };
    RoutingRule {
        town: town.to_owned(),
        category,
        target,
        response,
        resolution,
        sign,
        initial_level: if target == RouteTarget::ConstructionBureau { MAX_LEVEL } else { 0 },
        owner_reps_co_handle: category == OwnersCommittee,
        customised: false,
    }
}

/// Every category's rule for a town: its overrides where it has them, the defaults elsewhere.
pub fn effective_rules(town: &str, overrides: &[RoutingRule]) -> Vec<RoutingRule> {
    Category::ALL
        .iter()
        .map(|c| overrides.iter().find(|r| r.category == *c).cloned().unwrap_or_else(|| default_rule(town, *c)))
        .collect()
}

pub use wuguan_registry_client::{EstateFacts, UnitContact};

/// The result of routing: the assignment and the level the ticket starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub assignment: Assignment,
    pub level: u32,
    pub county_report: bool,
    /// The kind of unit the rule wanted when the town has none and it went to the town office.
    pub missing_unit: Option<UnitType>,
}

/// Routes a complaint about the estate by the rule, with deadlines counted from `now_ms` by the
/// town's calendar. Falls back to the town office (triage) when the target unit does not exist
/// in the town.
pub fn route(rule: &RoutingRule, facts: &EstateFacts, calendar: &WorkCalendar, now_ms: i64) -> Option<Routed> {
    let wanted: &[&str] = match rule.target {
        RouteTarget::Police => &["police"],
        RouteTarget::UrbanManagement => &["urban_management"],
        RouteTarget::PropertyCompany => {
            if facts.management_mode == "property_company" && facts.property_company_id.is_some() {
                &["property_company", "community"]
            } else {
                // No company, or self-governed: the neighbourhood committee handles it.
                &["community"]
            }
        }
        RouteTarget::Community => &["community"],
        RouteTarget::ConstructionBureau => &["construction_bureau", "developer"],
        RouteTarget::TownOffice => &["town_office"],
    };
    let (unit, missing_unit) = match wanted.iter().find_map(|t| facts.unit_of_type(t)) {
        Some(u) => (u, None),
        None => (facts.unit_of_type("town_office")?, wanted.first().and_then(|t| UnitType::parse(t))),
    };
    let co_handler_unit_ids = if rule.owner_reps_co_handle {
        facts.unit_of_type("owner_reps").map(|u| vec![u.unit_id.clone()]).unwrap_or_default()
    } else {
        Vec::new()
    };
    let county_matter = rule.target == RouteTarget::ConstructionBureau;
    Some(Routed {
        assignment: Assignment {
            unit_type: unit.unit_type.clone(),
            unit_id: unit.unit_id.clone(),
            unit_name: unit.unit_name.clone(),
            person_id: unit.person_id.clone(),
            person_name: unit.person_name.clone(),
            respond_by_ms: calendar.deadline(now_ms, rule.response),
            resolve_by_ms: calendar.deadline(now_ms, rule.resolution),
            measures: String::new(),
            co_handler_unit_ids,
            sign_by_ms: calendar.deadline(now_ms, rule.sign),
            signed_at_ms: None,
            assigned_at_ms: now_ms,
            return_by_ms: calendar.deadline(now_ms, RETURN_WINDOW),
        },
        level: rule.initial_level.min(MAX_LEVEL),
        county_report: county_matter || rule.initial_level >= MAX_LEVEL,
        missing_unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(t: &str) -> UnitContact {
        UnitContact {
            unit_id: format!("{t}-id"),
            unit_type: t.into(),
            unit_name: format!("{t} unit"),
            person_id: format!("{t}-person"),
            person_name: format!("{t} person"),
        }
    }

    fn facts(mode: &str, with_company: bool) -> EstateFacts {
        let mut units = vec![
            contact("community"),
            contact("police"),
            contact("urban_management"),
            contact("town_office"),
            contact("construction_bureau"),
            contact("owner_reps"),
        ];
        if with_company {
            units.push(contact("property_company"));
        }
        EstateFacts {
            estate_id: "e".into(),
            estate_name: "阳光花园".into(),
            town: "t".into(),
            county: "c".into(),
            community_id: "c1".into(),
            property_company_id: with_company.then(|| "pc".into()),
            management_mode: mode.into(),
            units,
        }
    }

    fn unit_for(category: Category, f: &EstateFacts) -> (String, u32) {
        let routed = route(&default_rule("t", category), f, &WorkCalendar::new("t", &[]), 0).unwrap();
        (routed.assignment.unit_type, routed.level)
    }

    #[test]
    fn every_category_goes_to_its_party() {
        let managed = facts("property_company", true);
        let expect = [
            (Category::Security, "police", 0),
            (Category::IllegalConstruction, "urban_management", 0),
            (Category::IllegalRenovation, "urban_management", 0),
            (Category::StructuralDamage, "urban_management", 0),
            (Category::IllegalStall, "urban_management", 0),
            (Category::Sanitation, "property_company", 0),
            (Category::Repair, "property_company", 0),
            (Category::PropertyService, "property_company", 0),
            (Category::PropertyFees, "property_company", 0),
            (Category::OwnersCommittee, "community", 0),
            (Category::NeighbourDispute, "community", 0),
            (Category::BuildingQuality, "construction_bureau", 2),
            (Category::MissingFacilities, "construction_bureau", 2),
            (Category::Other, "town_office", 0),
        ];
        assert_eq!(expect.len(), Category::ALL.len());
        for (category, unit, level) in expect {
            assert_eq!(unit_for(category, &managed), (unit.to_owned(), level), "{category:?}");
        }
    }

    #[test]
    fn property_matters_go_to_the_community_without_a_company() {
        for f in [facts("none", false), facts("self_governed", false), facts("self_governed", true)] {
            for c in [Category::Sanitation, Category::Repair, Category::PropertyService, Category::PropertyFees] {
                assert_eq!(unit_for(c, &f).0, "community", "{c:?} under {}", f.management_mode);
            }
        }
    }

    #[test]
    fn deadlines_follow_the_sla() {
        let cal = WorkCalendar::new("t", &[]);
        let routed = route(&default_rule("t", Category::Security), &facts("none", false), &cal, 1_000).unwrap();
        assert_eq!(routed.assignment.respond_by_ms, 1_000 + 2 * HOUR_MS);
        assert_eq!(routed.assignment.resolve_by_ms, 1_000 + DAY_MS);
        let routed = route(&default_rule("t", Category::Repair), &facts("none", false), &cal, 0).unwrap();
        assert_eq!((routed.assignment.respond_by_ms, routed.assignment.resolve_by_ms), (DAY_MS, 7 * DAY_MS));
        let routed = route(&default_rule("t", Category::BuildingQuality), &facts("none", false), &cal, 0).unwrap();
        assert_eq!(routed.assignment.resolve_by_ms, 15 * DAY_MS);
        assert!(routed.county_report);
    }

    #[test]
    fn a_rule_in_working_days_counts_by_the_towns_calendar() {
        let mut rule = default_rule("t", Category::Repair);
        rule.resolution = TimeLimit { amount: 5, unit: LimitUnit::WorkingDays };
        // Wednesday 2026-09-30 10:00 local: five working days later is Tuesday 13 October.
        let now = wuguan_platform::local_time::day_start_ms(chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap())
            + 10 * HOUR_MS;
        let routed = route(&rule, &facts("none", false), &WorkCalendar::new("t", &[]), now).unwrap();
        assert_eq!(wuguan_platform::local_time::local_minute(routed.assignment.resolve_by_ms), "2026-10-13 10:00");
        assert_eq!(routed.assignment.respond_by_ms, now + DAY_MS);
    }

    #[test]
    fn owners_committee_matters_have_owner_reps_as_co_handlers() {
        let routed = route(
            &default_rule("t", Category::OwnersCommittee),
            &facts("none", false),
            &WorkCalendar::new("t", &[]),
            0,
        )
        .unwrap();
        assert_eq!(routed.assignment.co_handler_unit_ids, vec!["owner_reps-id".to_owned()]);
    }

    #[test]
    fn missing_unit_falls_back_to_town_office_triage() {
        let mut f = facts("none", false);
        f.units.retain(|u| u.unit_type != "police");
        let routed = route(&default_rule("t", Category::Security), &f, &WorkCalendar::new("t", &[]), 0).unwrap();
        assert_eq!(routed.assignment.unit_type, "town_office");
        assert_eq!(routed.missing_unit, Some(UnitType::Police));
    }

    #[test]
    fn overrides_replace_only_their_category() {
        let mut custom = default_rule("t", Category::Repair);
        custom.target = RouteTarget::Community;
        custom.customised = true;
        let rules = effective_rules("t", &[custom.clone()]);
        assert_eq!(rules.len(), Category::ALL.len());
        assert_eq!(rules.iter().find(|r| r.category == Category::Repair), Some(&custom));
        assert!(!rules.iter().find(|r| r.category == Category::Security).unwrap().customised);
    }
}
