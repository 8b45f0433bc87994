//! `consent_request_*`: prepared requests. The recipient, purpose, categories and assertions
//! are converted, checked and interned once; each decision then passes only the subject and
//! the instant (two strings fewer to check per call than `consent_ledger_decide` and no codes
//! to look up).
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{
    AnyActor, Assertion, Decision, Ledger, MAX_CODES, PreparedRequest, from_unix_millis,
};

use crate::boundary::{
    Castable, OwnedBox, box_to_ptr, check_out, free_box, try_opt_str, try_ref, try_str,
    try_str_array, write_out,
};
use crate::decision::consent_decision;
use crate::error::{FfiError, consent_result, ffi_guard, ffi_guard_or};
use crate::ledger::consent_ledger;

/// A disclosure request without its subject and instant, prepared once with
/// `consent_request_prepare` and decided for many subjects with `consent_request_decide` or
/// `consent_request_permits`.
///
/// Frozen; may be shared across threads: any number of threads may decide with it at once.
/// It holds its ledger, so it stays valid after `consent_ledger_free` of the handle it was
/// prepared from (the ledger closes when its last handle and request are freed). It has one
/// owner, who releases it once with `consent_request_free` after every user is done.
#[derive(Debug)]
#[expect(
    non_camel_case_types,
    reason = "the C type name is part of the contract"
)]
pub struct consent_request {
    _private: [u8; 0],
}

/// The value behind a `consent_request` handle: the request and (a share of) its ledger.
#[derive(Debug)]
pub(crate) struct RequestHandle {
    ledger: Ledger,
    request: PreparedRequest,
}

impl Castable for consent_request {
    type Ownership = OwnedBox;
    type RustType = RequestHandle;
}

// The handle is documented as shareable across threads: hold that at compile time.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<RequestHandle>();
};

/// Prepares the part of a disclosure request that stays the same from subject to subject:
/// `recipient`, `purpose` and the `n_categories` codes of `categories`, checked against the
/// catalogue in force now. A decision made with it is the one `consent_ledger_decide` makes for
/// the same arguments (also under a catalogue adopted later).
///
/// On success writes a new request to `*request_out`, owned by the caller and released with
/// `consent_request_free`. On failure `*request_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `UNKNOWN_CODE`, `INVALID_INPUT` (no category, a
/// repeated category), `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `recipient` and `purpose` are NUL-terminated strings;
/// `categories` points to `n_categories` NUL-terminated strings (or is NULL when
/// `n_categories` is 0); `request_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_prepare(
    ledger: *const consent_ledger,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    request_out: *mut *mut consent_request,
) -> consent_result {
    ffi_guard("consent_request_prepare", || {
        prepare(
            ledger,
            recipient,
            purpose,
            categories,
            n_categories,
            std::ptr::null(),
            request_out,
        )
    })
}

/// Prepares a request as `consent_request_prepare` does, with the conditions the requester
/// asserts, read as `consent_ledger_decide_asserted` reads them: `assertions_json` is NULL
/// (none) or a JSON array `[{"condition": "serious_concern", "reference": "2026/55"}]`.
///
/// Thread-safe.
///
/// Errors: as `consent_request_prepare`; `UNKNOWN_CODE` for a condition the catalogue does not
/// declare; `INVALID_INPUT` for malformed assertions.
///
/// # Safety
/// As `consent_request_prepare`; `assertions_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_prepare_asserted(
    ledger: *const consent_ledger,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    request_out: *mut *mut consent_request,
) -> consent_result {
    ffi_guard("consent_request_prepare_asserted", || {
        prepare(
            ledger,
            recipient,
            purpose,
            categories,
            n_categories,
            assertions_json,
            request_out,
        )
    })
}

/// The body of both prepare calls.
///
/// Precondition: the pointers are as their `# Safety` sections say.
fn prepare(
    ledger: *const consent_ledger,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    request_out: *mut *mut consent_request,
) -> Result<(), FfiError> {
    let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
    check_out(request_out, "request_out")?;
    let recipient = try_str(recipient, "recipient")?;
    let purpose = try_str(purpose, "purpose")?;
    let categories = try_str_array(categories, n_categories, "categories", MAX_CODES)?;
    let assertions = match try_opt_str(assertions_json, "assertions_json")? {
        Some(json) => Assertion::list_from_json(json)?,
        None => Vec::new(),
    };
    let request = handle
        .ledger
        .prepare(recipient, purpose, categories.as_slice(), &assertions)?;
    let request = RequestHandle {
        ledger: handle.ledger.clone(),
        request,
    };
    write_out(request_out, box_to_ptr::<consent_request>(request))
}

/// The decision of a prepared request for `subject` at `at_unix_ms`.
///
/// Precondition: the pointers are as the `# Safety` section of `consent_request_decide` says.
fn decide(
    request: *const consent_request,
    subject: *const c_char,
    at_unix_ms: i64,
) -> Result<Decision, FfiError> {
    let handle = try_ref::<consent_request>(request, "request")?;
    let subject = try_str(subject, "subject")?;
    let subject = handle.ledger.parse_national_id(subject)?;
    let at = from_unix_millis(at_unix_ms)?;
    Ok(handle
        .ledger
        .decide_prepared(&handle.request, &subject, at)?)
}

/// Decides a prepared request for `subject` at `at_unix_ms` (Unix milliseconds, UTC).
///
/// A denial is a successful call: `CONSENT_RESULT_OK` with a decision whose
/// `consent_decision_permitted` is false. On success writes a new decision to `*decision_out`,
/// owned by the caller and released with `consent_decision_free`. An error never yields a
/// decision (fail closed). Nothing is recorded.
///
/// Thread-safe; decisions run in parallel with each other and with writes.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (an instant
/// out of range), `UNKNOWN_CODE` (an instant before the adoption of the catalogue that added
/// one of the request's codes), `PANIC`.
///
/// # Safety
/// `request` is a live request; `subject` is a NUL-terminated string; `decision_out` is valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_decide(
    request: *const consent_request,
    subject: *const c_char,
    at_unix_ms: i64,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_request_decide", || {
        check_out(decision_out, "decision_out")?;
        let decision = decide(request, subject, at_unix_ms)?;
        write_out(decision_out, box_to_ptr::<consent_decision>(decision))
    })
}

/// Decides as `consent_request_decide` does, but reports only the verdict; it allocates
/// nothing. On success writes to `*permitted_out` true only when every category has a basis;
/// on failure `*permitted_out` is left untouched and the result says why (fail closed:
/// initialise it to false, or check the result, before acting on it). Nothing is recorded.
///
/// Thread-safe.
///
/// Errors: as `consent_request_decide` (`NULL_ARGUMENT` for `permitted_out`).
///
/// # Safety
/// As `consent_request_decide`; `permitted_out` is valid for writing one `bool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_permits(
    request: *const consent_request,
    subject: *const c_char,
    at_unix_ms: i64,
    permitted_out: *mut bool,
) -> consent_result {
    ffi_guard("consent_request_permits", || {
        check_out(permitted_out, "permitted_out")?;
        let decision = decide(request, subject, at_unix_ms)?;
        write_out(permitted_out, decision.permitted())
    })
}

/// Decides as `consent_request_decide` does, and records the decision as an access to the
/// person's data by `actor_json` (`{"id": "...", "role": "..."}`, a role whose permissions
/// include `decide_logged`) for `lookup_purpose` (why the person was looked up, shown to them
/// in their export). The decision is written only once that record is durable. The variant a
/// catalogue with `log_all_decisions` requires.
///
/// Thread-safe.
///
/// Errors: as `consent_request_decide`; `UNKNOWN_CODE` for a role the catalogue lacks;
/// `NOT_PERMITTED` for a role without `decide_logged`; `INVALID_INPUT` for a malformed actor or
/// an empty, over-long or national-id-holding purpose; `STORAGE`. Nothing is recorded on error.
///
/// # Safety
/// As `consent_request_decide`; `actor_json` and `lookup_purpose` are NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_decide_logged(
    request: *const consent_request,
    subject: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    lookup_purpose: *const c_char,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_request_decide_logged", || {
        let handle = try_ref::<consent_request>(request, "request")?;
        check_out(decision_out, "decision_out")?;
        let subject = try_str(subject, "subject")?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let lookup_purpose = try_str(lookup_purpose, "lookup_purpose")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let at = from_unix_millis(at_unix_ms)?;
        let decision = handle.ledger.decide_prepared_logged(
            &handle.request,
            &subject,
            at,
            &actor,
            lookup_purpose,
        )?;
        write_out(decision_out, box_to_ptr::<consent_decision>(decision))
    })
}

/// Releases a prepared request. NULL is a no-op; freeing a request twice is undefined
/// behaviour.
///
/// # Safety
/// `request` is NULL or a request from this library that has not been freed, and no other
/// thread is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_request_free(request: *mut consent_request) {
    ffi_guard_or((), || free_box(request));
}
