//! The result codes, the thread-local last error, and the panic boundary.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use consent_core::ErrorCode;

/// The result of every fallible `consent_` function. `CONSENT_RESULT_OK` is 0.
///
/// Values are explicit and only ever appended; a retired value stays as a comment and is never
/// reused. Codes 1 to 12 are the `consent_core::ErrorCode`s in their stable order; codes from 100
/// are the C boundary's own. On any result but OK, `consent_last_error_message` has the detail.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    non_camel_case_types,
    reason = "the C type name is part of the contract (consent_result)"
)]
pub enum consent_result {
    /// Success.
    Ok = 0,
    /// A value is malformed or out of range (a date, a length, a missing field, bad JSON).
    InvalidInput = 1,
    /// A national identity number failed format or control-digit validation.
    InvalidNationalId = 2,
    /// A purpose, recipient, category or other code is not in the catalogue.
    UnknownCode = 3,
    /// A grant, subject or other record does not exist.
    NotFound = 4,
    /// The request contradicts the ledger's state (for example, withdrawing a withdrawn grant).
    Conflict = 5,
    /// A disclosure was attempted without a permitting decision.
    NotPermitted = 6,
    /// A catalogue document is invalid.
    InvalidCatalogue = 7,
    /// The store failed to read or write.
    Storage = 8,
    /// The event log failed verification.
    Integrity = 9,
    /// The pseudonym key does not match the one the ledger was created with.
    KeyMismatch = 10,
    /// Another process is creating or upgrading the ledger file, which must be done alone.
    Locked = 11,
    /// The ledger file was written by an incompatible schema version.
    UnsupportedVersion = 12,
    /// A required pointer argument was NULL (reserved).
    NullArgument = 100,
    /// An input string was not valid UTF-8 (reserved).
    InvalidUtf8 = 101,
    /// The library panicked; nothing was changed (reserved).
    Panic = 102,
}

/// Every result, in the order of their values (a function, so cbindgen leaves it out).
fn all_results() -> [consent_result; 16] {
    [
        consent_result::Ok,
        consent_result::InvalidInput,
        consent_result::InvalidNationalId,
        consent_result::UnknownCode,
        consent_result::NotFound,
        consent_result::Conflict,
        consent_result::NotPermitted,
        consent_result::InvalidCatalogue,
        consent_result::Storage,
        consent_result::Integrity,
        consent_result::KeyMismatch,
        consent_result::Locked,
        consent_result::UnsupportedVersion,
        consent_result::NullArgument,
        consent_result::InvalidUtf8,
        consent_result::Panic,
    ]
}

impl consent_result {
    /// The result for a code from C, if it is one.
    pub fn from_u32(value: u32) -> Option<consent_result> {
        all_results().into_iter().find(|r| *r as u32 == value)
    }

    /// The stable snake_case name (`ok`, `invalid_input`, …, the core's `ErrorCode` names).
    pub fn name(self) -> &'static std::ffi::CStr {
        match self {
            consent_result::Ok => c"ok",
            consent_result::InvalidInput => c"invalid_input",
            consent_result::InvalidNationalId => c"invalid_national_id",
            consent_result::UnknownCode => c"unknown_code",
            consent_result::NotFound => c"not_found",
            consent_result::Conflict => c"conflict",
            consent_result::NotPermitted => c"not_permitted",
            consent_result::InvalidCatalogue => c"invalid_catalogue",
            consent_result::Storage => c"storage",
            consent_result::Integrity => c"integrity",
            consent_result::KeyMismatch => c"key_mismatch",
            consent_result::Locked => c"locked",
            consent_result::UnsupportedVersion => c"unsupported_version",
            consent_result::NullArgument => c"null_argument",
            consent_result::InvalidUtf8 => c"invalid_utf8",
            consent_result::Panic => c"panic",
        }
    }
}

impl From<ErrorCode> for consent_result {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidInput => consent_result::InvalidInput,
            ErrorCode::InvalidNationalId => consent_result::InvalidNationalId,
            ErrorCode::UnknownCode => consent_result::UnknownCode,
            ErrorCode::NotFound => consent_result::NotFound,
            ErrorCode::Conflict => consent_result::Conflict,
            ErrorCode::NotPermitted => consent_result::NotPermitted,
            ErrorCode::InvalidCatalogue => consent_result::InvalidCatalogue,
            ErrorCode::Storage => consent_result::Storage,
            ErrorCode::Integrity => consent_result::Integrity,
            ErrorCode::KeyMismatch => consent_result::KeyMismatch,
            ErrorCode::Locked => consent_result::Locked,
            ErrorCode::UnsupportedVersion => consent_result::UnsupportedVersion,
            // ErrorCode is non_exhaustive: a code added to the core without a C value yet is
            // still an error (never OK); the unit test over ErrorCode::ALL catches the gap.
            _ => consent_result::InvalidInput,
        }
    }
}

/// An error at the C boundary: a result code and a message without any national id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FfiError {
    result: consent_result,
    message: String,
}

impl FfiError {
    pub(crate) fn new(result: consent_result, message: impl Into<String>) -> Self {
        FfiError {
            result,
            message: message.into(),
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        FfiError::new(consent_result::NullArgument, format!("`{name}` is NULL"))
    }

    pub(crate) fn null_item(name: &str, index: usize) -> Self {
        FfiError::new(
            consent_result::NullArgument,
            format!("`{name}[{index}]` is NULL"),
        )
    }

    pub(crate) fn utf8(name: &str) -> Self {
        FfiError::new(
            consent_result::InvalidUtf8,
            format!("`{name}` is not valid UTF-8"),
        )
    }

    pub(crate) fn utf8_item(name: &str, index: usize) -> Self {
        FfiError::new(
            consent_result::InvalidUtf8,
            format!("`{name}[{index}]` is not valid UTF-8"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        FfiError::new(consent_result::InvalidInput, message)
    }

    /// Adds context in front of the message (`context: message`).
    pub(crate) fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl From<consent_core::Error> for FfiError {
    fn from(error: consent_core::Error) -> Self {
        FfiError::new(error.code().into(), error.message())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Replaces this thread's last error message.
/// Empties this thread's last error message (without work when it is already empty, which is
/// the common case on the hot path).
fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            slot.clear();
        }
    });
}

fn set_last_error(message: &str) {
    let message = consent_core::redact_national_ids(message);
    LAST_ERROR.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = message;
        }
    });
}

/// Runs `f` with this thread's last error message.
pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|slot| match slot.try_borrow() {
        Ok(message) => f(&message),
        Err(_) => f(""),
    })
}

/// The panic boundary of every fallible export: clears the last error, runs `f`, records the
/// error's message on failure, and turns a panic into `CONSENT_RESULT_PANIC`.
pub(crate) fn ffi_guard(name: &str, f: impl FnOnce() -> Result<(), FfiError>) -> consent_result {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => consent_result::Ok,
        Ok(Err(error)) => {
            set_last_error(&error.message);
            error.result
        }
        Err(_) => {
            set_last_error(&format!(
                "internal error: `{name}` panicked; nothing was changed"
            ));
            consent_result::Panic
        }
    }
}

/// The panic boundary of an infallible export: a panic yields `default`.
pub(crate) fn ffi_guard_or<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_value_in_order() {
        for (index, &code) in ErrorCode::ALL.iter().enumerate() {
            let result = consent_result::from(code);
            assert_eq!(result as u32, u32::try_from(index).unwrap() + 1, "{code}");
            assert_eq!(result.name().to_str().unwrap(), code.as_str());
        }
        assert_eq!(
            ErrorCode::ALL.len(),
            12,
            "a new ErrorCode needs a consent_result value"
        );
    }

    #[test]
    fn values_round_trip_and_are_distinct() {
        for result in all_results() {
            assert_eq!(consent_result::from_u32(result as u32), Some(result));
        }
        assert_eq!(consent_result::from_u32(13), None);
    }

    #[test]
    fn a_panic_becomes_panic_with_a_message() {
        let result = ffi_guard("consent_test", || panic!("boom"));
        assert_eq!(result, consent_result::Panic);
        with_last_error(|m| assert!(m.contains("`consent_test` panicked"), "{m}"));
        assert_eq!(ffi_guard_or(7u64, || panic!("boom")), 7);
        // A later success clears the message.
        assert_eq!(ffi_guard("consent_test", || Ok(())), consent_result::Ok);
        with_last_error(|m| assert_eq!(m, ""));
    }

    #[test]
    fn masks_national_ids() {
        assert_eq!(
            consent_core::redact_national_ids("x15038510190y 2026"),
            "x***********y 2026"
        );
        assert_eq!(
            consent_core::redact_national_ids("ø150385101901"),
            "ø************"
        );
    }
}
