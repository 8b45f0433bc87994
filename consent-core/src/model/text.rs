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

/// Whether the text holds a valid national id: a run of exactly 11 digits, also when written
/// with one space, hyphen or dot after the date (`150385 10190`, `150385-10190`).
pub(crate) fn contains_national_id(value: &str) -> bool {
    // Every form above has 11 digits; most free text (references, versions) has fewer, and
    // this check runs on every field of every grant of a bulk import.
    if value.bytes().filter(u8::is_ascii_digit).count() < 11 {
        return false;
    }
    let runs = |text: &str| -> bool {
        text.split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() == 11 && NationalId::parse(run).is_ok())
    };
    if runs(value) {
        return true;
    }
    // Join digit groups split by a single separator and look again.
    let chars: Vec<char> = value.chars().collect();
    let joined: String = chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            let separator = matches!(c, ' ' | '-' | '.');
            let between_digits = i
                .checked_sub(1)
                .and_then(|p| chars.get(p))
                .is_some_and(char::is_ascii_digit)
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            !(separator && between_digits)
        })
        .map(|(_, c)| *c)
        .collect();
    runs(&joined)
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
        // Eleven digits that fail the checksum are just a number.
        assert!(check("15038510191", "reference", 40).is_ok());
    }
}
