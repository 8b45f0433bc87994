//! `consent_ledger_*` of accountability: the deviations (avvik) a municipality follows up.

#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::from_unix_millis;

use crate::boundary::{check_out, try_ref, write_out};
use crate::error::{consent_result, ffi_guard};
use crate::ledger::{consent_ledger, json_to_ptr};

/// The deviations: disclosures recorded at or after `since_unix_ms` (Unix milliseconds, UTC)
/// that the ledger would now deny at their instant, because it learnt later of a withdrawal, a
/// restriction or an objection dated before them (or of a representative's authority that had
/// ended). The list a municipality's deviation routine (avvik) starts from.
///
/// On success writes a JSON array to `*json_out`, a library-allocated string freed with
/// `consent_string_free`: `[{"event_id": "uuid", "seq": n, "subject": "pseudonym",
/// "recipient": "code", "purpose": "code", "at": "RFC 3339", "recorded_at": "RFC 3339",
/// "categories": [{"category": "code", "reason": "withdrawn" | "restricted" | "objected" |
/// ...}]}]`, in the order the disclosures were recorded. Subjects appear by pseudonym, never by
/// national id. Nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_INPUT` (an instant out of range), `INTEGRITY`, `STORAGE`,
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_deviations(
    ledger: *const consent_ledger,
    since_unix_ms: i64,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_deviations", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let since = from_unix_millis(since_unix_ms)?;
        let deviations = handle.ledger.deviations(since)?;
        write_out(json_out, json_to_ptr(&deviations, "the deviations")?)
    })
}
