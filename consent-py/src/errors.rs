//! The Python exception hierarchy: `consent.ConsentError` and one subclass per
//! [`consent_core::ErrorCode`]. This file is the only place a core error becomes a Python one.

use consent_core::{Error, ErrorCode};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyModule, PyType};
use pyo3::{PyErr, PyTypeInfo, create_exception};

create_exception!(
    consent,
    ConsentError,
    PyException,
    "The root of every error the consent package raises."
);
create_exception!(
    consent,
    InvalidInputError,
    ConsentError,
    "A value is malformed or out of range (a date, a missing field, a wrong type, bad JSON)."
);
create_exception!(
    consent,
    InvalidNationalIdError,
    InvalidInputError,
    "A national identity number failed format or control-digit validation."
);
create_exception!(
    consent,
    UnknownCodeError,
    ConsentError,
    "A purpose, recipient, category or other code is not in the catalogue."
);
create_exception!(
    consent,
    NotFoundError,
    ConsentError,
    "A grant, subject or other record does not exist."
);
create_exception!(
    consent,
    ConflictError,
    ConsentError,
    "The request contradicts the ledger's state (for example, withdrawing a withdrawn grant)."
);
create_exception!(
    consent,
    NotPermittedError,
    ConsentError,
    "A disclosure was attempted without a permitting decision."
);
create_exception!(
    consent,
    InvalidCatalogueError,
    ConsentError,
    "A catalogue document is invalid."
);
create_exception!(
    consent,
    StorageError,
    ConsentError,
    "The store failed to read or write, or is not available."
);
create_exception!(
    consent,
    IntegrityError,
    ConsentError,
    "The event log failed verification."
);
create_exception!(
    consent,
    KeyMismatchError,
    ConsentError,
    "The pseudonym key does not match the one the ledger was created with."
);
create_exception!(
    consent,
    LockedError,
    ConsentError,
    "Another process is creating or upgrading the ledger file, which must be done alone."
);
create_exception!(
    consent,
    UnsupportedVersionError,
    ConsentError,
    "The ledger or a document was written by an incompatible schema version."
);

/// The exception class for a core error code: the single mapping from codes to classes.
fn class_for(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    match code {
        ErrorCode::InvalidInput => InvalidInputError::type_object(py),
        ErrorCode::InvalidNationalId => InvalidNationalIdError::type_object(py),
        ErrorCode::UnknownCode => UnknownCodeError::type_object(py),
        ErrorCode::NotFound => NotFoundError::type_object(py),
        ErrorCode::Conflict => ConflictError::type_object(py),
        ErrorCode::NotPermitted => NotPermittedError::type_object(py),
        ErrorCode::InvalidCatalogue => InvalidCatalogueError::type_object(py),
        ErrorCode::Storage => StorageError::type_object(py),
        ErrorCode::Integrity => IntegrityError::type_object(py),
        ErrorCode::KeyMismatch => KeyMismatchError::type_object(py),
        ErrorCode::Locked => LockedError::type_object(py),
        ErrorCode::UnsupportedVersion => UnsupportedVersionError::type_object(py),
        // A code added to the core after this binding was written: still a ConsentError.
        _ => ConsentError::type_object(py),
    }
}

/// The Python exception for a core error code with the given message. Every exception this
/// binding raises is made here or in [`invalid`] and [`internal`], and each masks national ids
/// in its message (a dict key, a file path or a field name the binding formats itself may
/// hold one in any disguise), so `str()` and `repr()` of an exception never show one.
pub(crate) fn error_for(code: ErrorCode, message: impl Into<String>) -> PyErr {
    let message = consent_core::redact_national_ids(&message.into());
    Python::attach(|py| PyErr::from_type(class_for(py, code), message))
}

/// An `InvalidInputError` with the given message (for arguments of the wrong Python type).
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    InvalidInputError::new_err(consent_core::redact_national_ids(&message.into()))
}

/// A core error on its way to Python. The orphan rule forbids `From<consent_core::Error> for
/// PyErr` here (both types are foreign), so this newtype carries the one conversion.
#[derive(Debug)]
pub(crate) struct CoreError(pub(crate) Error);

impl From<Error> for CoreError {
    fn from(error: Error) -> Self {
        CoreError(error)
    }
}

impl From<CoreError> for PyErr {
    fn from(error: CoreError) -> Self {
        error_for(error.0.code(), error.0.message())
    }
}

/// `result.or_raise()?` turns a core result into a Python one.
pub(crate) trait OrRaise<T> {
    /// The result with a core error mapped to its Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for consent_core::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|e| PyErr::from(CoreError(e)))
    }
}

/// Registers every exception class on the module, each with a `code` class attribute holding
/// the core's stable code name (`"invalid_input"`, …; `None` on the root).
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let root = ConsentError::type_object(py);
    root.setattr("code", py.None())?;
    module.add("ConsentError", root)?;
    for &code in ErrorCode::ALL {
        let class = class_for(py, code);
        class.setattr("code", code.as_str())?;
        module.add(class.name()?, class)?;
    }
    Ok(())
}

/// A `ConsentError` for a failure inside the binding itself (a value the core produced could
/// not be converted); it never means the input was wrong.
pub(crate) fn internal(message: impl Into<String>) -> PyErr {
    ConsentError::new_err(consent_core::redact_national_ids(&message.into()))
}
