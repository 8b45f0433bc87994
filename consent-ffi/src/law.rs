//! `consent_ledger_*` of the law as data, version 2: decisions and disclosures with asserted
//! conditions, historical consents, and the test clock.
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{
    AnyActor, Assertion, Decision, DisclosureRequest, GrantRequest, MAX_CODES, from_unix_millis,
};

use crate::boundary::{
    box_to_ptr, check_out, string_to_ptr, try_opt_str, try_ref, try_str, try_str_array, write_out,
};
use crate::decision::consent_decision;
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::ledger::{LedgerHandle, consent_ledger};

/// The most grants one historical migration call takes.
const MAX_HISTORICAL: usize = 100_000;

/// The request of `consent_ledger_decide_asserted` and the `consent_ledger_record_disclosure*`
/// calls (the handle already checked); a NULL `assertions_json` asserts nothing.
///
/// Precondition: the pointers are as their `# Safety` sections say.
#[expect(
    clippy::too_many_arguments,
    reason = "the C arguments of one request, converted in one place"
)]
pub(crate) fn request(
    handle: &LedgerHandle,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    at_unix_ms: i64,
) -> Result<DisclosureRequest, FfiError> {
    let subject = try_str(subject, "subject")?;
    let recipient = try_str(recipient, "recipient")?;
    let purpose = try_str(purpose, "purpose")?;
    let categories = try_str_array(categories, n_categories, "categories", MAX_CODES)?;
    let assertions = match try_opt_str(assertions_json, "assertions_json")? {
        Some(json) => Assertion::list_from_json(json)?,
        None => Vec::new(),
    };
    Ok(DisclosureRequest::new(
        handle.ledger.parse_national_id(subject)?,
        recipient,
        purpose,
        categories.as_slice(),
        from_unix_millis(at_unix_ms)?,
    )?
    .with_assertions(assertions))
}

/// Decides as `consent_ledger_decide` does, with the conditions the requester asserts:
/// `assertions_json` is NULL (none) or a JSON array `[{"condition": "serious_concern",
/// "reference": "2026/55"}]`. A statutory rule that requires a condition (the duty to inform
/// the child welfare service) permits only when one of its conditions is asserted; otherwise
/// the category is denied `condition_not_asserted`, unless a consent covers it.
///
/// Thread-safe. Nothing is recorded.
///
/// Errors: as `consent_ledger_decide`; `UNKNOWN_CODE` for a condition the catalogue does not
/// declare; `INVALID_INPUT` for malformed assertions.
///
/// # Safety
/// As `consent_ledger_decide`; `assertions_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_decide_asserted(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    at_unix_ms: i64,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_ledger_decide_asserted", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(decision_out, "decision_out")?;
        let request = request(
            handle,
            subject,
            recipient,
            purpose,
            categories,
            n_categories,
            assertions_json,
            at_unix_ms,
        )?;
        let decision: Decision = handle.ledger.decide(&request)?;
        write_out(decision_out, box_to_ptr::<consent_decision>(decision))
    })
}

/// Records a disclosure as `consent_ledger_record_disclosure` does, with the conditions the
/// requester asserts (as `consent_ledger_decide_asserted` reads them); the recorded event keeps
/// the assertions, and each category's basis the condition it relied on.
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_record_disclosure` and `consent_ledger_decide_asserted`.
///
/// # Safety
/// As `consent_ledger_record_disclosure`; `assertions_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_record_disclosure_asserted(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_ledger_record_disclosure_asserted", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        let request = request(
            handle,
            subject,
            recipient,
            purpose,
            categories,
            n_categories,
            assertions_json,
            at_unix_ms,
        )?;
        record(handle, &request, actor_json, decision_out)
    })
}

/// Records the disclosure on behalf of the actor and hands the permitting decision out when
/// `decision_out` is not NULL (the common tail of the `consent_ledger_record_disclosure*`
/// calls).
///
/// Precondition: `actor_json` is a NUL-terminated string; `decision_out` is NULL or valid for
/// writing one pointer.
pub(crate) fn record(
    handle: &LedgerHandle,
    request: &DisclosureRequest,
    actor_json: *const c_char,
    decision_out: *mut *mut consent_decision,
) -> Result<(), FfiError> {
    let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
    let decision = handle.ledger.record_disclosure(request, &actor)?;
    if decision_out.is_null() {
        return Ok(());
    }
    write_out(decision_out, box_to_ptr::<consent_decision>(decision))
}

/// Records historical consents, a migration of paper records, in one durable write: all or
/// none. `grants_json` is a JSON array of grant documents; they may start long before they are
/// recorded and are marked `migrated`. Only the roles the catalogue's `migration_roles` names
/// may migrate.
///
/// On success writes a JSON array of the new grant ids to `*grant_ids_out`, a library-allocated
/// string freed with `consent_string_free`.
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_grant` (naming the index of the first bad grant), and
/// `NOT_PERMITTED` for a role that may not migrate; `INVALID_INPUT` for more than 100,000
/// grants in one call.
///
/// # Safety
/// `ledger` is a live handle; `grants_json` and `actor_json` are NUL-terminated strings;
/// `grant_ids_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_grant_historical(
    ledger: *const consent_ledger,
    grants_json: *const c_char,
    actor_json: *const c_char,
    grant_ids_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_grant_historical", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(grant_ids_out, "grant_ids_out")?;
        let grants_json = try_str(grants_json, "grants_json")?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let documents: Vec<serde_json::Value> = serde_json::from_str(grants_json).map_err(|e| {
            FfiError::new(
                consent_result::InvalidInput,
                consent_core::redact_national_ids(&format!(
                    "grants_json: expected a JSON array of grant documents: {e}"
                )),
            )
        })?;
        if documents.len() > MAX_HISTORICAL {
            return Err(FfiError::new(
                consent_result::InvalidInput,
                format!("grants_json holds more than {MAX_HISTORICAL} grants"),
            ));
        }
        let requests = documents
            .iter()
            .enumerate()
            .map(|(index, doc)| {
                handle
                    .ledger
                    .parse_grant(&doc.to_string())
                    .map_err(|e| FfiError::from(e).context(format!("grant {index}")))
            })
            .collect::<Result<Vec<GrantRequest>, FfiError>>()?;
        let ids = handle.ledger.grant_historical(&requests, &actor)?;
        let text: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let json = serde_json::to_string(&text)
            .map_err(|e| FfiError::new(consent_result::Storage, format!("grant ids: {e}")))?;
        write_out(grant_ids_out, string_to_ptr(json)?)
    })
}

/// Sets the clock of a ledger opened with a test clock (`"test_mode": true` and `"clock":
/// "…"` in its options): what it stamps events with and judges backdating by. For tests and
/// training ledgers that keep fixed dates.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `NOT_PERMITTED` (a ledger on the system clock), `INVALID_INPUT` (an
/// instant out of range), `PANIC`.
///
/// # Safety
/// `ledger` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_set_clock(
    ledger: *const consent_ledger,
    at_unix_ms: i64,
) -> consent_result {
    ffi_guard("consent_ledger_set_clock", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        handle.ledger.set_clock(from_unix_millis(at_unix_ms)?)?;
        Ok(())
    })
}
