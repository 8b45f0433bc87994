//! Validation of free text fields: bounded, printable, and never carrying a national id.

use crate::error::{Error, Result};
use crate::id::national_id::NationalId;

/// Checks a free-text field: not empty (after trimming), at most `max` characters, no control
/// characters, and no embedded national identity number.
pub(crate) fn check(value: &str, field: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(format!("`{field}` is empty")));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(format!(
            "`{field}` is longer than {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "`{field}` contains a control character"
        )));
    }
    if contains_national_id(value) {
        return Err(Error::invalid(format!(
            "`{field}` must not contain a national id"
        )));
    }
    Ok(())
}

/// Whether any run of exactly 11 digits in the text is a valid national id.
pub(crate) fn contains_national_id(value: &str) -> bool {
    value
        .split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 11 && NationalId::parse(run).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(check("2026/1234", "reference", 20).is_ok());
        assert!(check("", "reference", 20).is_err());
        assert!(check("   ", "reference", 20).is_err());
        assert!(check("a\0b", "reference", 20).is_err());
        assert!(check(&"x".repeat(21), "reference", 20).is_err());
        let err = check("fnr 15038510190", "reference", 40).unwrap_err();
        assert!(err.message().contains("national id"));
        assert!(!err.message().contains("15038510190"));
        // Eleven digits that fail the checksum are just a number.
        assert!(check("15038510191", "reference", 40).is_ok());
    }
}
