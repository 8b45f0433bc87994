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
/// spaces, punctuation or invisible characters, or inside a longer number; or a DUF number as
/// one is written (`2016 1234 5678`, `2016-12345678`, `201612345678`: 12 digits from the year
/// 19xx or 20xx, in one group or groups of 4-4-4 or 4-8).
pub(crate) fn contains_national_id(value: &str) -> bool {
    crate::redact::any_window(value, |digits| {
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        NationalId::parse(&text).is_ok()
    }) || crate::redact::any_duf(value)
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

    /// Review finding: a DUF number (12 digits) passed the 11-digit check.
    #[test]
    fn a_duf_number_as_written_is_refused() {
        for duf in [
            "201612345678",
            "2016 1234 5678",
            "2016-12345678",
            "DUF 2016-1234-5678",
            "UDI 2016/1234/5678, sak 12",
            "ref 12, 2016 1234 5678",
            "199912345678",
            "２０１６ １２３４ ５６７８",
        ] {
            let err = check(duf, "reference", 60).unwrap_err();
            assert!(err.message().contains("national id"), "{duf}");
            assert!(!err.message().contains("5678"), "{}", err.message());
        }
        // Not a DUF number: another century, a timestamp, a date and time, a longer number,
        // other groupings, a list.
        for not_duf in [
            "301612345678",
            "20261130102233",
            "2026-11-30 10:22",
            "2026-11-30 10:22:33",
            "2016123456789",
            "2016-123456789",
            "20 16 1234 5678",
            "2016, 1234, 5678",
            "sak 2026/1234",
        ] {
            assert!(check(not_duf, "reference", 60).is_ok(), "{not_duf}");
        }
    }
}
