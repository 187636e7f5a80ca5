//! Checks on request fields shared by every service; errors name the field.

use crate::error::{ServiceError, ServiceResult};

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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_checked() {
        assert_eq!(super::id("id", " abc-1 ").unwrap(), "abc-1");
        assert_eq!(super::id("estate_id", "").unwrap_err().field.as_deref(), Some("estate_id"));
        assert!(super::id("id", "x' OR 1=1").is_err());
        assert_eq!(super::optional_id("id", "  ").unwrap(), None);
    }
}
