//! `consent_ledger_*` for the rights that stop processing: restriction (GDPR Art. 18) and its
//! lifting, objection (Art. 21) and its resolution, and kassasjon after an erasure request
//! (Art. 17(3), arkivlova 2025 § 5).
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{AnyActor, ObjectionOutcome, RestrictionGround, from_unix_millis};
use uuid::Uuid;

use crate::boundary::{check_out, string_to_ptr, try_ref, try_str, write_out};
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::ledger::{consent_ledger, json_to_ptr};

/// An objection id from C: a UUID, else `INVALID_INPUT` (the text is masked of national ids).
fn objection_id(text: &str) -> Result<Uuid, FfiError> {
    Uuid::parse_str(text).map_err(|_| {
        FfiError::invalid(format!(
            "objection_id `{}` is not a UUID",
            consent_core::redact_national_ids(text)
        ))
    })
}

/// Restricts the processing of `subject`'s data from `at_unix_ms` (Unix milliseconds, UTC) on
/// a ground of GDPR Art. 18(1): `ground` is `"A18_1_a"` (accuracy contested), `"A18_1_b"`
/// (unlawful processing, erasure opposed), `"A18_1_c"` (needed for legal claims) or
/// `"A18_1_d"` (objection pending). While restricted, consent-based decisions are still
/// permitted (Art. 18(2)); statutory ones are denied with reason `restricted` unless the
/// catalogue marks their rule `continues_under_restriction`.
///
/// On success writes the restriction's record id (a UUID) to `*record_id_out`, a
/// library-allocated string freed with `consent_string_free`. On failure nothing is recorded and
/// `*record_id_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (an unknown
/// ground, `erasure_request` as a ground, an instant out of range, a malformed actor),
/// `CONFLICT` (already restricted on that ground), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `ground` and `actor_json` are NUL-terminated strings;
/// `record_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_restrict(
    ledger: *const consent_ledger,
    subject: *const c_char,
    ground: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_restrict", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(record_id_out, "record_id_out")?;
        let subject = try_str(subject, "subject")?;
        let ground = try_str(ground, "ground")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let ground = RestrictionGround::parse(ground)?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle.ledger.restrict(&subject, ground, at, &actor)?;
        write_out(record_id_out, string_to_ptr(id.hyphenated().to_string())?)
    })
}

/// Lifts every restriction of `subject` in force, from `at_unix_ms` (Unix milliseconds, UTC).
/// Tell the person before the restriction is lifted (GDPR Art. 18(3)). `reason` (required, no
/// national id) says why.
///
/// On success writes the lift's record id (a UUID) to `*record_id_out`, a library-allocated
/// string freed with `consent_string_free`. On failure nothing is recorded and `*record_id_out`
/// is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (an empty or
/// oversized reason or one holding a national id, an instant out of range or before the
/// restriction began, a malformed actor), `NOT_FOUND` (no restriction in force), `STORAGE`,
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `reason` and `actor_json` are NUL-terminated strings;
/// `record_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_lift_restriction(
    ledger: *const consent_ledger,
    subject: *const c_char,
    at_unix_ms: i64,
    reason: *const c_char,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_lift_restriction", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(record_id_out, "record_id_out")?;
        let subject = try_str(subject, "subject")?;
        let reason = try_str(reason, "reason")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle
            .ledger
            .lift_restriction(&subject, at, &actor, reason)?;
        write_out(record_id_out, string_to_ptr(id.hyphenated().to_string())?)
    })
}

/// Records `subject`'s objection (GDPR Art. 21(1)) to processing for `purpose` from
/// `at_unix_ms` (Unix milliseconds, UTC). Every basis of that purpose whose GDPR gate is
/// Art. 6(1)(e) (statutory rules, and consents that only waive confidentiality) then denies
/// with reason `objected`, until `consent_ledger_resolve_objection` rejects the objection. A
/// consent that is itself the Art. 6(1)(a) basis is untouched (the person withdraws it instead).
///
/// On success writes the objection's id (a UUID, which `consent_ledger_resolve_objection`
/// takes) to `*objection_id_out`, a library-allocated string freed with `consent_string_free`.
/// On failure nothing is recorded and `*objection_id_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `UNKNOWN_CODE` (a purpose
/// not in the catalogue), `INVALID_INPUT` (a purpose with no Art. 6(1)(e) basis, an instant out
/// of range, a malformed actor), `CONFLICT` (an unresolved objection to the purpose exists),
/// `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `purpose` and `actor_json` are NUL-terminated strings;
/// `objection_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_object(
    ledger: *const consent_ledger,
    subject: *const c_char,
    purpose: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    objection_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_object", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(objection_id_out, "objection_id_out")?;
        let subject = try_str(subject, "subject")?;
        let purpose = try_str(purpose, "purpose")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle.ledger.object(&subject, purpose, at, &actor)?;
        write_out(
            objection_id_out,
            string_to_ptr(id.hyphenated().to_string())?,
        )
    })
}

/// Resolves the objection `objection_id` from `at_unix_ms` (Unix milliseconds, UTC):
/// `outcome` is `"upheld"` (no compelling grounds were shown: the processing for the purpose
/// stays stopped) or `"rejected"` (it resumes). `reason` (required, no national id) says why.
///
/// On success writes the resolution's record id (a UUID) to `*record_id_out`, a
/// library-allocated string freed with `consent_string_free`. On failure nothing is recorded and
/// `*record_id_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_INPUT` (an id that is not a UUID, an
/// unknown outcome, a bad reason, an instant out of range or before the objection, a malformed
/// actor), `NOT_FOUND` (no such objection), `CONFLICT` (already resolved), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `objection_id`, `outcome`, `reason` and `actor_json` are
/// NUL-terminated strings; `record_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_resolve_objection(
    ledger: *const consent_ledger,
    objection_id: *const c_char,
    outcome: *const c_char,
    at_unix_ms: i64,
    reason: *const c_char,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_resolve_objection", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(record_id_out, "record_id_out")?;
        let objection_id = try_str(objection_id, "objection_id")?;
        let outcome = try_str(outcome, "outcome")?;
        let reason = try_str(reason, "reason")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let objection = self::objection_id(objection_id)?;
        let outcome = ObjectionOutcome::parse(outcome)?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle
            .ledger
            .resolve_objection(objection, outcome, at, &actor, reason)?;
        write_out(record_id_out, string_to_ptr(id.hyphenated().to_string())?)
    })
}

/// The subjects whose erasure was requested and whose records' retention has ended by
/// `at_unix_ms` (Unix milliseconds, UTC): kassasjon is due. Sorted by due date.
///
/// On success writes a JSON array to `*json_out`, a library-allocated string freed with
/// `consent_string_free`: `[{"subject": "pseudonym", "due_at": "RFC 3339"}]`. Subjects appear by
/// pseudonym, never by national id. Nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_INPUT` (an instant out of range), `INTEGRITY`, `STORAGE`,
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_erasure_due(
    ledger: *const consent_ledger,
    at_unix_ms: i64,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_erasure_due", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let at = from_unix_millis(at_unix_ms)?;
        let due = handle.ledger.erasure_due(at)?;
        write_out(json_out, json_to_ptr(&due, "kassasjon worklist")?)
    })
}

/// Kassasjon: crypto-shreds `subject`'s personal payloads (their data key is destroyed; every
/// personal payload of the subject becomes unrecoverable and `consent_ledger_verify` still
/// reports an intact chain), once their erasure was requested and the retention of their
/// records has ended, judged by the ledger's own clock (never by an instant the caller passes).
///
/// Backups made before a kassasjon still hold the wrapped key: keep backups no longer than the
/// operations guide says, so that kassasjon reaches them.
///
/// On success writes `{"outcome": "erased", "at": "RFC 3339", "events_erased": n}` to
/// `*json_out`, a library-allocated string freed with `consent_string_free`. On failure nothing
/// is recorded and `*json_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (a malformed
/// actor), `NOT_FOUND` (the ledger holds nothing about the subject), `NOT_PERMITTED` (no
/// erasure was requested, the retention has not ended or never ends, or a restriction the
/// person asked for keeps the data), `CONFLICT` (already erased), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject` and `actor_json` are NUL-terminated strings; `json_out`
/// is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_execute_kassasjon(
    ledger: *const consent_ledger,
    subject: *const c_char,
    actor_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_execute_kassasjon", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let subject = try_str(subject, "subject")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let actor = AnyActor::from_json(actor_json)?;
        let outcome = handle.ledger.execute_kassasjon(&subject, &actor)?;
        write_out(json_out, json_to_ptr(&outcome, "kassasjon outcome")?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objection_ids_are_uuids_and_messages_hold_no_national_id() {
        assert!(objection_id("0190a5a0-0000-7000-8000-000000000000").is_ok());
        let err = objection_id("15038510190").unwrap_err();
        assert_eq!(err, FfiError::invalid(err.message().to_owned()));
        assert!(!err.message().contains("15038510190"), "{}", err.message());
    }
}
