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
    /// Another process is creating or upgrading the ledger file, which must be done alone.
    Locked,
    /// The ledger file was written by an incompatible schema version.
    UnsupportedVersion,
}

impl ErrorCode {
    /// Every code, in the order of their stable numbers (new codes are appended).
    pub const ALL: &'static [ErrorCode] = &[
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
    /// The sequence number of the stored event the error is about, if any.
    event: Option<u64>,
}

impl Error {
    /// Creates an error of the given kind. Every error is made here, and here its message is
    /// masked: a national id in any disguise (spaced, dashed, in other digits, inside a longer
    /// number) never reaches a message, whatever the caller put in it. Public so that a store
    /// outside this crate (the PostgreSQL store) can report its failures through the
    /// [`Store`](crate::storage::Store) trait; the message follows the rules above.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: crate::redact::mask(&message.into()),
            event: None,
        }
    }

    /// Names the stored event the error is about (`event N: message`).
    pub(crate) fn at_event(mut self, seq: u64) -> Self {
        if self.event.is_none() {
            self.message = format!("event {seq}: {}", self.message);
            self.event = Some(seq);
        }
        self
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

    /// Adds context in front of the message (`context: message`), as the bindings do to name
    /// the argument an error is about (`assertions[0]: …`). The context is masked like every
    /// message.
    #[must_use]
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = crate::redact::mask(&format!("{context}: {}", self.message));
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

    /// The sequence number of the stored event the error is about: the first bad event of an
    /// `Integrity` error, for example.
    pub fn event(&self) -> Option<u64> {
        self.event
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Renders a user-supplied value for an error message: at most 64 characters and control
/// characters escaped. (`Error::new` masks national ids in the whole message.)
pub(crate) fn printable(value: &str) -> String {
    // Masked before it is cut, so an id at the cut cannot leave ten of its digits.
    let masked = crate::redact::mask(value);
    let mut out = String::new();
    for (count, ch) in masked.chars().enumerate() {
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
    out
}

/// Masks every national id in `text`, wherever and however it is written (with spaces,
/// dashes, slashes or zero-width spaces between the groups, in full-width or Arabic-Indic
/// digits, inside a longer number), and every run of 11 or more digits. The core's own messages
/// are all masked where errors are made; bindings and tools use this for messages they did not
/// write (a parser's, the shell's, a file error's).
///
/// ```
/// assert_eq!(
///     consent_core::redact_national_ids("bad value `15038510190` at line 2"),
///     "bad value `***********` at line 2"
/// );
/// assert_eq!(consent_core::redact_national_ids("fnr 150385-10190"), "fnr ******-*****");
/// ```
pub fn redact_national_ids(text: &str) -> String {
    crate::redact::mask(text)
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
