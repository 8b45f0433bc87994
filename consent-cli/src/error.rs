//! The command's errors: a stable code and a message that never holds a national id.

use std::fmt;
use std::path::Path;

/// An error that ends a command with exit code 2.
#[derive(Debug)]
pub struct CliError {
    code: &'static str,
    message: String,
}

impl CliError {
    /// An error of the command itself (not from the core), with a code in the core's style.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: mask_national_ids(&message.into()),
        }
    }

    /// An error reading or writing a file.
    pub fn io(what: &str, path: &Path, error: &std::io::Error) -> Self {
        CliError::new(
            "storage",
            format!("cannot {what} `{}`: {error}", path.display()),
        )
    }

    /// The stable code (`invalid_input`, `unknown_code`, …, or `usage` for the command line).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Adds context in front of the message (`context: message`).
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl From<consent_core::Error> for CliError {
    fn from(error: consent_core::Error) -> Self {
        // The core's messages already mask national ids; masking again costs nothing.
        CliError::new(error.code().as_str(), error.message())
    }
}

impl From<consent_documents::Error> for CliError {
    fn from(error: consent_documents::Error) -> Self {
        let code = match error.kind() {
            consent_documents::ErrorKind::InvalidExport => "invalid_input",
            _ => "storage",
        };
        CliError::new(code, error.message())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Masks national ids in a message this tool did not write (clap's, file errors): the core's
/// rule, every run of 11 or more digits.
pub fn mask_national_ids(text: &str) -> String {
    consent_core::redact_national_ids(text)
}

#[cfg(test)]
mod tests {
    use super::mask_national_ids;

    #[test]
    fn masks_national_ids_wherever_they_stand() {
        assert_eq!(
            mask_national_ids("unexpected argument '15038510190' found"),
            "unexpected argument '***********' found"
        );
        assert_eq!(
            mask_national_ids("seq 2 at 2026-03-01"),
            "seq 2 at 2026-03-01"
        );
        assert_eq!(mask_national_ids("15038510190"), "***********");
        // Glued to other text it is still a national id.
        assert_eq!(mask_national_ids("fnr15038510190:"), "fnr***********:");
    }
}
