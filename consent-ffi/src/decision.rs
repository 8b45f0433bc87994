//! `consent_decision_*`: reading and releasing a decision.
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::Decision;

use crate::boundary::{
    Castable, OwnedBox, check_out, free_box, opt_ref, string_to_ptr, try_ref, write_out,
};
use crate::error::{consent_result, ffi_guard, ffi_guard_or};

/// The answer to one disclosure request: permitted or not, and per category the basis or the
/// reason for denial.
///
/// Frozen; may be shared across threads: it never changes after `consent_ledger_decide`
/// returns it, and any number of threads may read it at once. It has one owner, who releases it
/// once with `consent_decision_free` after every reader is done. It stays valid after its ledger
/// is freed.
#[derive(Debug)]
#[expect(
    non_camel_case_types,
    reason = "the C type name is part of the contract"
)]
pub struct consent_decision {
    _private: [u8; 0],
}

impl Castable for consent_decision {
    type Ownership = OwnedBox;
    type RustType = Decision;
}

// The handle is documented as shareable across threads: hold that at compile time.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<Decision>();
};

/// Whether the decision permits the disclosure (every requested category has a basis).
///
/// Returns false for NULL (fail closed). Infallible; it does not touch the last error.
///
/// # Safety
/// `decision` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_decision_permitted(decision: *const consent_decision) -> bool {
    ffi_guard_or(false, || {
        opt_ref::<consent_decision>(decision).is_some_and(Decision::permitted)
    })
}

/// The ledger position the decision was made at: the sequence number of the last event it
/// saw (`as_of_seq` in its JSON). A decision made after another process or host acknowledged a
/// write has an `as_of_seq` at least that write's.
///
/// Returns 0 for NULL. Infallible; it does not touch the last error.
///
/// # Safety
/// `decision` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_decision_as_of_seq(decision: *const consent_decision) -> u64 {
    ffi_guard_or(0, || {
        opt_ref::<consent_decision>(decision).map_or(0, Decision::as_of_seq)
    })
}

/// The decision as JSON: `{"version": 1, "permitted": bool, "at": "RFC 3339", "recipient": "...",
/// "purpose": "...", "categories": [{"category": "...", "permitted": bool, "basis": {...}} or
/// {"category": "...", "permitted": false, "reason": "no_basis|withdrawn|expired|not_explicit|
/// reconsent_required|restricted|condition_not_asserted|grantor_authority_ended|objected"}]}`.
/// It contains no national id.
///
/// On success writes a library-allocated string to `*json_out`, freed with
/// `consent_string_free`.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `PANIC`.
///
/// # Safety
/// `decision` is a live decision; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_decision_to_json(
    decision: *const consent_decision,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_decision_to_json", || {
        let decision = try_ref::<consent_decision>(decision, "decision")?;
        check_out(json_out, "json_out")?;
        write_out(json_out, string_to_ptr(decision.to_json())?)
    })
}

/// Releases a decision. NULL is a no-op; freeing a decision twice is undefined behaviour.
///
/// # Safety
/// `decision` is NULL or a decision from this library that has not been freed, and no other
/// thread is reading it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_decision_free(decision: *mut consent_decision) {
    ffi_guard_or((), || free_box(decision));
}
