//! The contracts' vocabulary as the gateway prints and reads it: snake_case names in JSON and
//! query strings, Chinese labels on pages. Every word comes from `wuguan_proto::vocab`, which
//! is generated from the `.proto` files; nothing here lists values.

use crate::error::ApiError;
pub use wuguan_proto::vocab::Vocabulary;

/// The snake_case name of a wire value; "unspecified" for 0 or a number the contract lacks.
pub fn name<E: Vocabulary>(wire: i32) -> &'static str {
    E::from_wire(wire).ok().flatten().map(E::as_str).unwrap_or("unspecified")
}

/// The Chinese label of a wire value; "—" where there is none.
pub fn label<E: Vocabulary>(wire: i32) -> &'static str {
    E::from_wire(wire).ok().flatten().map(E::label_zh).unwrap_or("—")
}

/// The Chinese label of a value given by its snake_case name (the string fields that hold an
/// enum's name: grades, areas, subject types, ticket actions); "—" for an unknown name.
pub fn label_of_name<E: Vocabulary>(name: &str) -> &'static str {
    E::ALL.iter().find(|v| v.as_str() == name).map(|v| v.label_zh()).unwrap_or("—")
}

/// A value from JSON or a query string, by its snake_case name; a 400 naming the field and
/// listing the names otherwise.
pub fn parse<E: Vocabulary>(field: &str, s: &str) -> Result<E, ApiError> {
    E::ALL
        .iter()
        .copied()
        .find(|v| v.as_str() == s.trim())
        .ok_or_else(|| ApiError::invalid(field, format!("unknown {field} {s:?}: one of {}", E::names())))
}

/// [`parse`], as the number the gRPC request carries.
pub fn wire<E: Vocabulary + Into<i32>>(field: &str, s: &str) -> Result<i32, ApiError> {
    parse::<E>(field, s).map(Into::into)
}

/// What a timeline event says, as a person reads it: the person's own note, then what the
/// system recorded (`EventRemark` codes in their Chinese words), joined by "；".
pub fn event_text_zh(e: &wuguan_proto::dispatch::v1::TicketEvent) -> String {
    use wuguan_proto::vocab::common::UnitType;
    use wuguan_proto::vocab::dispatch::EventRemark;
    let mut parts: Vec<String> = Vec::new();
    if !e.note.is_empty() {
        parts.push(e.note.clone());
    }
    for r in &e.remarks {
        let mut text = label::<EventRemark>(r.code).to_owned();
        if r.unit_type != 0 {
            text.push_str(&format!("（{}）", label::<UnitType>(r.unit_type)));
        }
        parts.push(text);
    }
    parts.join("；")
}

/// Every value as (name, label), for a form's choices.
pub fn choices<E: Vocabulary>() -> Vec<(&'static str, &'static str)> {
    E::ALL.iter().map(|v| (v.as_str(), v.label_zh())).collect()
}

/// Every enum of the contracts, by its protobuf full name (e.g. `wuguan.dispatch.v1.Category`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VocabularyView {
    pub enums: std::collections::BTreeMap<&'static str, Vec<VocabularyValueView>>,
}

/// One value: its number on the wire, its name in JSON and its Chinese label.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VocabularyValueView {
    pub number: i32,
    pub name: &'static str,
    pub label_zh: &'static str,
}

/// `GET /api/v1/vocabulary`: every enum of the contracts with each value's number, name and
/// Chinese label, so an integrator prints the same words as the console.
#[utoipa::path(
    get,
    path = "/api/v1/vocabulary",
    operation_id = "get_vocabulary",
    tag = "ops",
    summary = "Every enum of the contracts: number, name and Chinese label (public)",
    responses((status = 200, description = "success", body = VocabularyView)),
    security(),
)]
pub async fn vocabulary() -> axum::Json<VocabularyView> {
    let enums = wuguan_proto::vocab::catalogue()
        .into_iter()
        .map(|e| {
            let values = e
                .values
                .iter()
                .map(|v| VocabularyValueView { number: v.number, name: v.name, label_zh: v.label_zh })
                .collect();
            (e.name, values)
        })
        .collect();
    axum::Json(VocabularyView { enums })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuguan_proto::vocab::dispatch::Category;

    #[test]
    fn names_and_labels_come_from_the_contract() {
        assert_eq!(name::<Category>(7), "repair");
        assert_eq!(name::<Category>(0), "unspecified");
        assert_eq!(label::<Category>(13), "配套设施缺失");
        assert_eq!(label::<Category>(99), "—");
        assert_eq!(label_of_name::<Category>("sanitation"), "环境卫生");
        assert_eq!(wire::<Category>("category", "repair").unwrap(), 7);
        let err = parse::<Category>("category", "维修x").unwrap_err();
        assert_eq!(err.0.field.as_deref(), Some("category"));
        assert!(choices::<Category>().contains(&("building_quality", "房屋质量")));
    }
}
