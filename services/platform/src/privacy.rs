//! Personal data shown to those who need it only.

/// Keeps the first three and last four digits of a phone number: enough to recognise, not to call.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_middle_digits() {
        assert_eq!(super::mask_phone("13812345678"), "138****5678");
        assert_eq!(super::mask_phone("110"), "***");
    }
}
