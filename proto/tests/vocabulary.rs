//! The vocabulary generated from the `.proto` options: every enum, every value labelled once.

use std::collections::HashSet;
use wuguan_proto::vocab::{self, Vocabulary};

#[test]
fn every_enum_of_the_contracts_is_in_the_catalogue_with_distinct_names_and_labels() {
    let catalogue = vocab::catalogue();
    let names: HashSet<&str> = catalogue.iter().map(|e| e.name).collect();
    for expected in [
        "wuguan.common.v1.Role",
        "wuguan.common.v1.UnitType",
        "wuguan.registry.v1.ManagementMode",
        "wuguan.dispatch.v1.Category",
        "wuguan.dispatch.v1.TicketAction",
        "wuguan.assessment.v1.Grade",
        "wuguan.assessment.v1.VetoCondition",
    ] {
        assert!(names.contains(expected), "{expected} missing from {names:?}");
    }
    for e in &catalogue {
        assert!(!e.values.is_empty(), "{} has no values", e.name);
        let wire: HashSet<&str> = e.values.iter().map(|v| v.name).collect();
        let labels: HashSet<&str> = e.values.iter().map(|v| v.label_zh).collect();
        // Input takes either the name or the label, so both must pick out one value.
        assert_eq!(wire.len(), e.values.len(), "{}: a name is used twice", e.name);
        assert_eq!(labels.len(), e.values.len(), "{}: a label is used twice", e.name);
        assert!(e.values.iter().all(|v| v.number > 0), "{}: UNSPECIFIED must not be a value", e.name);
        assert!(e.values.iter().all(|v| v.name.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }
}

fn round_trips<E: Vocabulary + Into<i32> + std::fmt::Debug>() {
    for v in E::ALL {
        assert_eq!(E::from_wire((*v).into()), Ok(Some(*v)));
        assert_eq!(E::parse(v.as_str()), Some(*v));
        assert_eq!(E::parse(&format!(" {} ", v.label_zh())), Some(*v));
    }
    assert_eq!(E::from_wire(0), Ok(None));
    assert_eq!(E::from_wire(9999), Err(9999));
    assert_eq!(E::parse("no such value"), None);
}

#[test]
fn values_round_trip_through_the_wire_the_name_and_the_label() {
    round_trips::<vocab::common::Role>();
    round_trips::<vocab::common::UnitType>();
    round_trips::<vocab::registry::ManagementMode>();
    round_trips::<vocab::registry::OwnersCommittee>();
    round_trips::<vocab::registry::EstateTarget>();
    round_trips::<vocab::dispatch::Category>();
    round_trips::<vocab::dispatch::Status>();
    round_trips::<vocab::dispatch::SupervisionCheck>();
    round_trips::<vocab::assessment::FollowUpCheckKind>();
}

#[test]
fn a_value_cast_to_a_number_is_its_wire_number() {
    use vocab::dispatch::Category;
    // `as i32` must not give a position in the Rust enum (Security would be 0 = UNSPECIFIED).
    assert_eq!(Category::Security as i32, 1);
    assert_eq!(Category::Repair as i32, wuguan_proto::dispatch::v1::Category::Repair as i32);
    assert_eq!(vocab::common::UnitType::County as i32, 9);
}

#[test]
fn labels_are_the_contracts_words() {
    use vocab::dispatch::{Category, SupervisionCheck};
    use vocab::registry::ManagementMode;
    // The drift this replaced: the proto said 保洁 and 配套设施缺失, the service 环境卫生 and 配套设施.
    assert_eq!(Category::Sanitation.label_zh(), "环境卫生");
    assert_eq!(Category::MissingFacilities.label_zh(), "配套设施缺失");
    assert_eq!(Category::MissingFacilities.as_str(), "missing_facilities");
    // A name given in the .proto wins over the value's own.
    assert_eq!(SupervisionCheck::Effect.as_str(), "check_effect");
    // Aliases are accepted on input (ledgers exported before the label changed) and never printed.
    assert_eq!(ManagementMode::parse("自治"), Some(ManagementMode::SelfGoverned));
    assert_eq!(ManagementMode::SelfGoverned.label_zh(), "自治管理");
    // The wire enum knows its label too, for code that holds a prost value.
    assert_eq!(wuguan_proto::dispatch::v1::Category::Repair.label_zh(), "维修");
    assert_eq!(wuguan_proto::dispatch::v1::Category::Unspecified.name(), "unspecified");
}

#[test]
fn the_reflection_descriptor_keeps_the_labels() {
    // Integrators read the labels from server reflection: the descriptor set must carry the
    // custom options (prost_types' own encoding would drop them).
    let set = wuguan_proto::FILE_DESCRIPTOR_SET;
    let needle = "配套设施缺失".as_bytes();
    assert!(set.windows(needle.len()).any(|w| w == needle), "labels missing from the descriptor set");
}
