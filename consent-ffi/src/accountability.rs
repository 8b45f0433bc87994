//! `consent_ledger_*` of accountability: reads of one person's data recorded with who read
//! them and why (the export, the person's events, logged decisions), verification by a
//! permitted role, and the deviations (avvik) a municipality follows up.

#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{AnyActor, from_unix_millis};

use crate::boundary::{box_to_ptr, check_out, string_to_ptr, try_ref, try_str, write_out};
use crate::decision::consent_decision;
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::law::request;
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

/// The actor and purpose of lookup of a logged read (pointers checked here).
fn reader<'a>(
    actor_json: *const c_char,
    lookup_purpose: *const c_char,
) -> Result<(AnyActor, &'a str), FfiError> {
    let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
    Ok((actor, try_str(lookup_purpose, "lookup_purpose")?))
}

/// Everything the ledger holds about `subject` (GDPR Art. 15), as the JSON document of schema
/// `"consent-export/1"` (docs/json.md): the subject's pseudonym (never the national id),
/// `status`, consent records with their history and evidence, refusals, disclosures,
/// rectifications, restrictions, objections, the erasure, access requests, and `accesses`:
/// who looked at the person's data (date, role, operation, purpose of lookup; staff ids only
/// where the catalogue sets `disclose_staff_ids`).
///
/// The export is itself a read of the person's data: `actor_json` (`{"id": "...", "role":
/// "..."}`) needs a role that may `export`, and the read is recorded, with `lookup_purpose`,
/// before the export is built (so it lists itself). On success writes a library-allocated
/// string to `*json_out`, freed with `consent_string_free`.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `UNKNOWN_CODE` (a role the catalogue lacks),
/// `NOT_PERMITTED` (a role without `export`), `INVALID_INPUT` (a malformed actor; an empty,
/// over-long or national-id-holding purpose), `INVALID_NATIONAL_ID`, `INTEGRITY`, `STORAGE`,
/// `PANIC`. Nothing is recorded on error.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `actor_json` and `lookup_purpose` are NUL-terminated
/// strings; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_subject_export_as(
    ledger: *const consent_ledger,
    subject: *const c_char,
    actor_json: *const c_char,
    lookup_purpose: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_subject_export_as", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let subject = try_str(subject, "subject")?;
        let (actor, purpose) = reader(actor_json, lookup_purpose)?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let export = handle.ledger.subject_export(&subject, &actor, purpose)?;
        write_out(json_out, string_to_ptr(export.to_json()?)?)
    })
}

/// The events of `subject` (and of the ids they had before), in log order, as a JSON array of
/// the event objects `consent_ledger_events` delivers (subjects by pseudonym). Recorded as an
/// access by `actor_json` (a role that may `subject_events`) for `lookup_purpose` before they
/// are read, so the array ends with that access. On success writes a library-allocated string
/// to `*json_out`, freed with `consent_string_free`.
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_subject_export_as` (`NOT_PERMITTED` for a role without
/// `subject_events`).
///
/// # Safety
/// As `consent_ledger_subject_export_as`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_subject_events(
    ledger: *const consent_ledger,
    subject: *const c_char,
    actor_json: *const c_char,
    lookup_purpose: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_subject_events", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let subject = try_str(subject, "subject")?;
        let (actor, purpose) = reader(actor_json, lookup_purpose)?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let events = handle.ledger.subject_events(&subject, &actor, purpose)?;
        write_out(json_out, json_to_ptr(&events, "the events")?)
    })
}

/// Verifies the hash chain as `consent_ledger_verify` does, for `actor_json`, whose role must
/// be permitted `verify` (an auditor's, a DPO's, an archivist's). Writes the same report.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_INPUT` (a malformed actor),
/// `UNKNOWN_CODE`, `NOT_PERMITTED`, `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `actor_json` is a NUL-terminated string; `json_out` is valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_verify_as(
    ledger: *const consent_ledger,
    actor_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_verify_as", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let report = handle.ledger.verify_as(&actor)?;
        write_out(json_out, json_to_ptr(&report, "verify report")?)
    })
}

/// Decides as `consent_ledger_decide_asserted` does (`assertions_json` NULL or a JSON array of
/// `{"condition", "reference"}`), and records the decision as an access to the person's data
/// by `actor_json` (a role that may `decide_logged`) for `lookup_purpose`. The decision is
/// written only once that record is durable. The variant a catalogue with
/// `log_all_decisions` requires (plain decisions then fail with `NOT_PERMITTED`).
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_decide_asserted`; `UNKNOWN_CODE` for a role the catalogue lacks;
/// `NOT_PERMITTED` for a role without `decide_logged`; `INVALID_INPUT` for a malformed actor
/// or a bad purpose; `STORAGE`. Nothing is recorded on error.
///
/// # Safety
/// As `consent_ledger_decide_asserted`; `actor_json` and `lookup_purpose` are NUL-terminated
/// strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_decide_logged(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    assertions_json: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    lookup_purpose: *const c_char,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_ledger_decide_logged", || {
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
        let (actor, lookup) = reader(actor_json, lookup_purpose)?;
        let decision = handle.ledger.decide_logged(&request, &actor, lookup)?;
        write_out(decision_out, box_to_ptr::<consent_decision>(decision))
    })
}
