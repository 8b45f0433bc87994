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

/// Checks a code that is stored in clear (an actor's role): a code cannot hold a national id
/// in disguise, but 11 digits are a valid code.
pub(crate) fn check_code(value: &str, field: &str) -> Result<()> {
    if contains_national_id(value) {
        return Err(Error::invalid(format!(
            "`{field}` must not contain a national id"
        )));
    }
    Ok(())
}

/// Whether the text holds a valid national id (fødselsnummer or D-nummer, both control digits
/// and a real date), in any disguise `redact.rs` reads: digits of any script, groups split by
/// spaces, punctuation or invisible characters, or inside a longer number.
pub(crate) fn contains_national_id(value: &str) -> bool {
    crate::redact::any_window(value, |digits| {
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        NationalId::parse(&text).is_ok()
    })
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
        assert!(check("fnr 150385 10190", "reference", 40).is_err());
        assert!(check("150385-10190", "reference", 40).is_err());
        assert!(check("2026-1234", "reference", 40).is_ok());
        for disguise in [
            "150385/10190",
            "150385_10190",
            "150385:10190",
            "(150385)10190",
            "150385  10190",
            "150385\u{00A0}10190",
            "150385–10190",
            "150385\u{200B}10190",
            "１５０３８５１０１９０",
            "١٥٠٣٨٥١٠١٩٠",
            "ref 2015038510190",
        ] {
            assert!(check(disguise, "reference", 40).is_err(), "{disguise}");
        }
        assert!(check_code("15038510190", "actor.role").is_err());
        assert!(check_code("case_worker", "actor.role").is_ok());
        // Eleven digits that fail the checksum are just a number.
        assert!(check("15038510191", "reference", 40).is_ok());
    }
}
