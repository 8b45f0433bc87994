//! Arguments and results of the document methods (`Ledger.access_letter`, `privacy_notice`,
//! `processing_record`): checked before anything is read, so a bad language or format records
//! no access.

use consent_documents::{ErrorKind, Profile, Translations};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::convert::{string, type_name};
use crate::errors::{error_for, invalid};

/// A rendered document: text (HTML, CSV) or bytes (PDF).
pub(crate) enum Rendered {
    Text(String),
    Bytes(Vec<u8>),
}

/// `format`, one of `allowed` (`default` when not given).
pub(crate) fn format(
    obj: Option<&Bound<'_, PyAny>>,
    default: &'static str,
    allowed: &[&'static str],
) -> PyResult<&'static str> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(default);
    };
    let text = string(obj, "format")?;
    allowed
        .iter()
        .find(|a| **a == text)
        .copied()
        .ok_or_else(|| {
            invalid(format!(
                "`format` must be one of {}, not `{text}`",
                allowed.join(", ")
            ))
        })
}

/// The shipped translations and the code of `lang` (`"nb"` when not given), checked.
pub(crate) fn language(obj: Option<&Bound<'_, PyAny>>) -> PyResult<(Translations, String)> {
    let code = match obj.filter(|o| !o.is_none()) {
        Some(obj) => string(obj, "lang")?,
        None => "nb".to_owned(),
    };
    let translations = Translations::builtin().map_err(error)?;
    if translations.get(&code).is_err() {
        let codes: Vec<&str> = translations.codes().collect();
        return Err(invalid(format!(
            "`lang`: no translation for language `{code}` (available: {})",
            codes.join(", ")
        )));
    }
    Ok((translations, code))
}

/// The documents profile: a dict (encoded with `json.dumps`) or its JSON text.
pub(crate) fn profile(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Profile> {
    let text: String = if obj.is_instance_of::<PyString>() {
        obj.extract()?
    } else if obj.is_instance_of::<PyDict>() {
        py.import("json")?
            .call_method1("dumps", (obj,))
            .map_err(|e| invalid(format!("`profile` cannot be encoded as JSON: {e}")))?
            .extract()?
    } else {
        return Err(invalid(format!(
            "`profile` must be a dict or its JSON text, not {}",
            type_name(obj)
        )));
    };
    Profile::from_json(&text).map_err(error)
}

/// The document as `bytes` (PDF) or `str`.
pub(crate) fn output(py: Python<'_>, rendered: Rendered) -> PyResult<Bound<'_, PyAny>> {
    Ok(match rendered {
        Rendered::Text(text) => PyString::new(py, &text).into_any(),
        Rendered::Bytes(bytes) => PyBytes::new(py, &bytes).into_any(),
    })
}

/// `InvalidInputError` for what the caller passed (the profile, a language), `StorageError`
/// for a document that cannot be written.
pub(crate) fn error(error: consent_documents::Error) -> PyErr {
    let code = match error.kind() {
        ErrorKind::InvalidModel
        | ErrorKind::InvalidExport
        | ErrorKind::UnknownLanguage
        | ErrorKind::MissingGlyph => consent_core::ErrorCode::InvalidInput,
        _ => consent_core::ErrorCode::Storage,
    };
    error_for(code, error.message())
}
