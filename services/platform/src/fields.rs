//! Checks on request fields shared by every service; errors name the field.

use crate::error::{ServiceError, ServiceResult};
use wuguan_proto::vocab::Vocabulary;

/// An id: required, at most 64 characters of letters, digits, '-' and '_'.
pub fn id(field: &str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("{field} is required")));
    }
    if v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ServiceError::invalid(field, format!("{field} is not a valid id")));
    }
    Ok(v.to_owned())
}

/// An optional id: empty means absent.
pub fn optional_id(field: &str, value: &str) -> ServiceResult<Option<String>> {
    if value.trim().is_empty() { Ok(None) } else { id(field, value).map(Some) }
}

/// An enum field that may be left unspecified (0): `None` then; a number the contract does not
/// define is INVALID_ARGUMENT naming the field.
pub fn optional_enum<E: Vocabulary>(field: &str, value: i32) -> ServiceResult<Option<E>> {
    E::from_wire(value).map_err(|v| ServiceError::invalid(field, format!("unknown {field} {v}: one of {}", E::names())))
}

/// An enum field that must be given.
pub fn required_enum<E: Vocabulary>(field: &str, value: i32) -> ServiceResult<E> {
    optional_enum(field, value)?
        .ok_or_else(|| ServiceError::invalid(field, format!("{field} is required: one of {}", E::names())))
}

/// An enum given by its snake_case name (or Chinese label), e.g. from a CSV cell or a stored
/// string field.
pub fn named_enum<E: Vocabulary>(field: &str, value: &str) -> ServiceResult<E> {
    E::parse(value)
        .ok_or_else(|| ServiceError::invalid(field, format!("unknown {field} {value:?}: one of {}", E::names())))
}

/// A character that has no place in a name or a line of text people read: control characters
/// (NUL among them), the Unicode direction overrides and isolates that make a name read
/// differently from what it is (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C), and the
/// invisible ones (zero-width space and joiners, word joiner, byte-order mark).
/// The years a supervision record can fall in: wide enough for any estate's history and any
/// plan, narrow enough that year 0 or 9999 (a typo, a probe) is refused instead of stored.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A local date given as YYYY-MM-DD, in `YEARS`.
pub fn date(field: &str, value: &str) -> ServiceResult<chrono::NaiveDate> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid(field, format!("{field} must be a date as YYYY-MM-DD")))?;
    if !YEARS.contains(&d.year()) {
        return Err(ServiceError::invalid(
            field,
            format!("{field} must fall in the years {} to {}", YEARS.start(), YEARS.end()),
        ));
    }
    Ok(d)
}

/// The first day of a month given as YYYY-MM, in `YEARS`.
pub fn month(field: &str, value: &str) -> ServiceResult<chrono::NaiveDate> {
    let v = value.trim();
    if v.len() != 7 {
        return Err(ServiceError::invalid(field, format!("{field} must be a month as YYYY-MM")));
    }
    date(field, &format!("{v}-01")).map_err(|e| {
        if e.message.contains("YYYY-MM-DD") {
            ServiceError::invalid(field, format!("{field} must be a month as YYYY-MM"))
        } else {
            e
        }
    })
}

pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// INVALID_ARGUMENT on `field` when `value` holds a character [`is_hidden_or_control`] refuses.
pub fn visible_text(field: &str, value: &str) -> ServiceResult<()> {
    if value.chars().any(is_hidden_or_control) {
        return Err(ServiceError::invalid(
            field,
            format!("{field} must not contain control, direction-changing or invisible characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_checked() {
        assert_eq!(super::id("id", " abc-1 ").unwrap(), "abc-1");
        assert_eq!(super::id("estate_id", "").unwrap_err().field.as_deref(), Some("estate_id"));
        assert!(super::id("id", "x' OR 1=1").is_err());
        assert_eq!(super::optional_id("id", "  ").unwrap(), None);
    }

    #[test]
    fn enums_are_checked_by_the_contract() {
        use wuguan_proto::vocab::dispatch::Category;
        assert_eq!(super::optional_enum::<Category>("category", 0).unwrap(), None);
        assert_eq!(super::required_enum::<Category>("category", 7).unwrap(), Category::Repair);
        let missing = super::required_enum::<Category>("category", 0).unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("category"));
        assert!(missing.message.contains("security, illegal_construction"), "{}", missing.message);
        assert_eq!(super::optional_enum::<Category>("category", 99).unwrap_err().field.as_deref(), Some("category"));
        assert_eq!(super::named_enum::<Category>("category", "维修").unwrap(), Category::Repair);
        assert!(super::named_enum::<Category>("category", "plumbing").is_err());
    }
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn dates_and_months_outside_the_years_are_refused() {
        assert_eq!(super::date("day", "2026-12-07").unwrap().to_string(), "2026-12-07");
        for bad in ["0000-01-01", "9999-12-31", "1999-12-31", "2026-13-01", "2026-12-7x", ""] {
            assert_eq!(super::date("day", bad).unwrap_err().field.as_deref(), Some("day"), "{bad}");
        }
        assert_eq!(super::month("month", "2026-12").unwrap().to_string(), "2026-12-01");
        for bad in ["0000-01", "9999-12", "2026-1", "2026-13", "2026-12-01"] {
            assert_eq!(super::month("month", bad).unwrap_err().field.as_deref(), Some("month"), "{bad}");
        }
    }
}
