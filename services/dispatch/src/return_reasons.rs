//! The reasons a town's units may give for returning a ticket (退单原因): the contract's built-in
//! reasons (`ReturnReason`, with their labels), each of which the town may switch off, and the
//! town's own, with labels of its choosing. A return names one that is switched on.

use crate::model::ReturnReason;
use wuguan_platform::error::{ServiceError, ServiceResult};

const MAX_REASONS: usize = 30;
const MAX_LABEL_CHARS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownReturnReason {
    /// A `ReturnReason` name for a built-in reason; the town's own code otherwise.
    pub code: String,
    pub label: String,
    pub built_in: bool,
    pub active: bool,
}

fn built_in(r: ReturnReason, active: bool) -> TownReturnReason {
    TownReturnReason { code: r.as_str().to_owned(), label: r.label_zh().to_owned(), built_in: true, active }
}

/// The town's list as units are offered it: the stored order, built-in reasons with the
/// contract's labels, and the built-in reasons the town never listed after them, switched on.
pub fn effective(stored: &[TownReturnReason]) -> Vec<TownReturnReason> {
    let mut out: Vec<TownReturnReason> = stored
        .iter()
        .map(|r| match ReturnReason::parse(&r.code) {
            Some(b) => built_in(b, r.active),
            None => TownReturnReason { built_in: false, ..r.clone() },
        })
        .collect();
    for r in ReturnReason::ALL {
        if !out.iter().any(|s| s.code == r.as_str()) {
            out.push(built_in(*r, true));
        }
    }
    out
}

/// A list as the town office sends it, checked: codes of 2–40 `a-z 0-9 _`, each once; the town's
/// own reasons labelled (1–20 characters), built-in ones keeping the contract's label; at least
/// one switched on.
pub fn validated(input: Vec<TownReturnReason>) -> ServiceResult<Vec<TownReturnReason>> {
    if input.is_empty() || input.len() > MAX_REASONS {
        return Err(ServiceError::invalid("reasons", format!("a town lists 1 to {MAX_REASONS} return reasons")));
    }
    let mut out: Vec<TownReturnReason> = Vec::with_capacity(input.len());
    for (i, r) in input.into_iter().enumerate() {
        let code = r.code.trim().to_owned();
        let field = |f: &str| format!("reasons[{i}].{f}");
        let well_formed = (2..=40).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(ServiceError::invalid(field("code"), "a code has 2 to 40 lower-case letters, digits or _"));
        }
        if out.iter().any(|o| o.code == code) {
            return Err(ServiceError::invalid(field("code"), format!("the code {code} is listed twice")));
        }
        let reason = match ReturnReason::parse(&code) {
            Some(b) => built_in(b, r.active),
            None => {
                let label = r.label.trim().to_owned();
                if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
                    return Err(ServiceError::invalid(
                        field("label"),
                        format!("a reason of the town's own has a label of 1 to {MAX_LABEL_CHARS} characters"),
                    ));
                }
                TownReturnReason { code, label, built_in: false, active: r.active }
            }
        };
        out.push(reason);
    }
    if !out.iter().any(|r| r.active) {
        return Err(ServiceError::invalid("reasons", "at least one return reason must be switched on"));
    }
    Ok(out)
}

/// The label a return records, if the reason it names is one the town offers: a built-in reason
/// (`code`) or the town's own (`town_code`, with `code` left unspecified or `other`).
pub fn label_of(reasons: &[TownReturnReason], code: Option<ReturnReason>, town_code: &str) -> ServiceResult<String> {
    let town_code = town_code.trim();
    let wanted = match (code, town_code.is_empty()) {
        (Some(c), true) => c.as_str(),
        (None | Some(ReturnReason::Other), false) => town_code,
        (None, true) => return Err(ServiceError::invalid("reason_code", "reason_code is required")),
        (Some(_), false) => {
            return Err(ServiceError::invalid(
                "town_reason_code",
                "give a town reason or a built-in reason_code, not both",
            ));
        }
    };
    let field = if town_code.is_empty() { "reason_code" } else { "town_reason_code" };
    match effective(reasons).into_iter().find(|r| r.code == wanted) {
        Some(r) if r.active => Ok(r.label),
        Some(_) => Err(ServiceError::invalid(field, format!("{field} {wanted} is switched off in this town"))),
        None => Err(ServiceError::invalid(
            field,
            format!("unknown {field} {wanted:?}: not one of this town's return reasons"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuguan_platform::ErrorCode;

    fn own(code: &str, label: &str, active: bool) -> TownReturnReason {
        TownReturnReason { code: code.into(), label: label.into(), built_in: false, active }
    }

    #[test]
    fn a_town_switches_built_in_reasons_off_and_adds_its_own() {
        let stored = validated(vec![
            own("not_our_remit", "ignored: the contract's label stays", false),
            own("water_company", "属供水公司", true),
        ])
        .unwrap();
        let list = effective(&stored);
        assert_eq!(
            list[0],
            TownReturnReason { label: "非本单位职责".into(), built_in: true, ..own("not_our_remit", "", false) }
        );
        assert_eq!(list[1], own("water_company", "属供水公司", true));
        assert_eq!(list.len(), 2 + ReturnReason::ALL.len() - 1, "the other built-in ones follow, switched on");
        assert_eq!(label_of(&stored, None, "water_company").unwrap(), "属供水公司");
        assert_eq!(label_of(&stored, Some(ReturnReason::Duplicate), "").unwrap(), "重复诉求");
        let off = label_of(&stored, Some(ReturnReason::NotOurRemit), "").unwrap_err();
        assert_eq!((off.code, off.field.as_deref()), (ErrorCode::InvalidArgument, Some("reason_code")));
        assert_eq!(label_of(&stored, None, "gas").unwrap_err().field.as_deref(), Some("town_reason_code"));
        assert_eq!(label_of(&stored, None, "").unwrap_err().field.as_deref(), Some("reason_code"));
    }

    #[test]
    fn bad_lists_name_the_field() {
        let err = |input| validated(input).unwrap_err().field;
        assert_eq!(err(vec![]), Some("reasons".into()));
        assert_eq!(err(vec![own("Water", "水", true)]), Some("reasons[0].code".into()));
        assert_eq!(err(vec![own("gas", "", true)]), Some("reasons[0].label".into()));
        assert_eq!(err(vec![own("gas", "燃气", true), own("gas", "燃气", true)]), Some("reasons[1].code".into()));
        assert_eq!(err(vec![own("gas", "燃气", false)]), Some("reasons".into()));
    }
}
