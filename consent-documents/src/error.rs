//! The one error type of the crate.

use std::fmt;

/// What went wrong, for a program to act on. Messages are for people and may change; match on
/// the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A translation file lacks a key every language must have.
    MissingTranslationKey,
    /// A translation file has a key the crate does not know (a typo, or a file for another
    /// version of the crate).
    UnknownTranslationKey,
    /// A translated text uses placeholders other than the ones its key provides.
    PlaceholderMismatch,
    /// A translation file is not valid TOML, or its `[meta]` table is wrong.
    InvalidTranslationFile,
    /// No translation is loaded for the requested language code.
    UnknownLanguage,
    /// A character of a translation, or of a model's text rendered as PDF, has no glyph in the
    /// embedded fonts.
    MissingGlyph,
    /// The view model breaks one of its documented rules (for example an empty name, a
    /// withdrawal before the grant, an invalid organisation number).
    InvalidModel,
    /// The PDF writer failed.
    Pdf,
    /// Reading a translation folder failed.
    Io,
    /// An export for another system (FHIR, DPV) cannot be made from this subject export: a
    /// national id that is not the export's subject or has no FHIR identifier system, or a
    /// state the mapping does not know.
    InvalidExport,
}

/// An error from building, loading or rendering a document.
///
/// Messages start lowercase, put user values in backticks and never contain a national id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
        }
    }

    pub(crate) fn model(field: &str, why: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidModel, format!("`{field}`: {why}"))
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, as [`Display`](fmt::Display) prints it.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}
