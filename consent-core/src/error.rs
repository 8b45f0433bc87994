//! The one error type of the crate and its stable codes.
//!
//! `ErrorCode` is the single map that the C result codes and the Python exception classes use;
//! bindings never look at message text.

use std::fmt;

/// The kind of an [`Error`], stable across the C ABI and the Python package.
///
/// Codes are only ever appended; a retired code is never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A value is malformed or out of range (a date, a length, a missing field, bad JSON).
    InvalidInput,
    /// A national identity number failed format or control-digit validation.
    InvalidNationalId,
    /// A purpose, recipient, category or other code is not in the catalogue.
    UnknownCode,
    /// A grant, subject or other record does not exist.
    NotFound,
    /// The request contradicts the ledger's state (for example, withdrawing a withdrawn grant).
    Conflict,
    /// A disclosure was attempted without a permitting decision.
    NotPermitted,
    /// A catalogue document is invalid.
    InvalidCatalogue,
    /// The store failed to read or write.
    Storage,
    /// The event log failed verification.
    Integrity,
    /// The pseudonym key does not match the one the ledger was created with.
    KeyMismatch,
    /// Another process holds the ledger open for writing.
    Locked,
    /// The ledger file was written by an incompatible schema version.
    UnsupportedVersion,
}

impl ErrorCode {
    /// Every code, in the order of their stable numbers.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::InvalidInput,
        ErrorCode::InvalidNationalId,
        ErrorCode::UnknownCode,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::NotPermitted,
        ErrorCode::InvalidCatalogue,
        ErrorCode::Storage,
        ErrorCode::Integrity,
        ErrorCode::KeyMismatch,
        ErrorCode::Locked,
        ErrorCode::UnsupportedVersion,
    ];

    /// The code's stable snake_case name (`invalid_input`, `unknown_code`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidNationalId => "invalid_national_id",
            ErrorCode::UnknownCode => "unknown_code",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::NotPermitted => "not_permitted",
            ErrorCode::InvalidCatalogue => "invalid_catalogue",
            ErrorCode::Storage => "storage",
            ErrorCode::Integrity => "integrity",
            ErrorCode::KeyMismatch => "key_mismatch",
            ErrorCode::Locked => "locked",
            ErrorCode::UnsupportedVersion => "unsupported_version",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the consent library.
///
/// Messages start lowercase, have no final period, quote user values in backticks, and never
/// contain a national identity number. Match on [`Error::code`], never on the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// Creates an error of the given kind. Public so that a store outside this crate (the
    /// PostgreSQL store) can report its failures through the [`Store`](crate::Store) trait; the
    /// message follows the rules above.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidInput, message)
    }

    pub(crate) fn unknown_code(kind: &str, code: &str) -> Self {
        Error::new(
            ErrorCode::UnknownCode,
            format!("unknown {kind} `{}`", printable(code)),
        )
    }

    pub(crate) fn storage(context: &str, cause: impl fmt::Display) -> Self {
        Error::new(ErrorCode::Storage, format!("{context}: {cause}"))
    }

    /// Adds context in front of the message (`context: message`).
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The stable kind of this error.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message (no national identity number ever appears in it).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Renders a user-supplied value for an error message: at most 64 characters, control
/// characters escaped, and any run of 11 digits masked so a national id can never leak.
pub(crate) fn printable(value: &str) -> String {
    let mut out = String::new();
    for (count, ch) in value.chars().enumerate() {
        if count == 64 {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    mask_digit_runs(&out)
}

/// Replaces every run of 11 or more ASCII digits with `*`, wherever it stands, so a national
/// id can never leak through a message that echoes input (a parser's, the shell's, a file
/// error's). The core's own messages already pass through it; bindings and tools use it for
/// messages they did not write.
///
/// ```
/// assert_eq!(
///     consent_core::redact_national_ids("bad value `15038510190` at line 2"),
///     "bad value `***********` at line 2"
/// );
/// ```
pub fn redact_national_ids(text: &str) -> String {
    mask_digit_runs(text)
}

pub(crate) fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            run.push(ch);
            continue;
        }
        flush_digit_run(&mut out, &mut run);
        out.push(ch);
    }
    flush_digit_run(&mut out, &mut run);
    out
}

fn flush_digit_run(out: &mut String, run: &mut String) {
    if run.len() >= 11 {
        out.extend(std::iter::repeat_n('*', run.len()));
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_masks_long_digit_runs_and_escapes_controls() {
        assert_eq!(printable("nav"), "nav");
        assert_eq!(printable("x15038510190y"), "x***********y");
        assert_eq!(printable("2026/1234"), "2026/1234");
        assert_eq!(printable("a\nb"), "a\\nb");
        assert_eq!(printable("ø15038510190"), "ø***********");
        assert!(printable(&"a".repeat(100)).ends_with('…'));
    }

    #[test]
    fn codes_have_distinct_names() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
