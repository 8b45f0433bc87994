//! `consent_ledger_*` for data-subject rights and reporting: the subject export, access
//! requests, rectification, erasure or restriction, statistics and the re-consent worklist.
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use chrono::Duration;
use consent_core::{AnyActor, Correction, GrantId, StatisticsQuery, from_unix_millis};

use crate::boundary::{check_out, string_to_ptr, try_opt_str, try_ref, try_str, write_out};
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::ledger::{consent_ledger, json_to_ptr};

fn parse_query(json: Option<&str>) -> Result<StatisticsQuery, FfiError> {
    Ok(json
        .map(StatisticsQuery::from_json)
        .transpose()?
        .unwrap_or_default())
}

fn parse_correction(json: &str) -> Result<Correction, FfiError> {
    Ok(Correction::from_json(json)?)
}

/// Retired: an export is a read of one person's data, which the ledger records with who read
/// it and why, so it needs an actor. Always fails with `NOT_PERMITTED` and writes nothing;
/// call `consent_ledger_subject_export_as` (same document, with `actor_json` and a purpose of
/// lookup). Kept so that programs linked against 0.2.0 fail with a message instead of a
/// missing symbol.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `json_out`), `NOT_PERMITTED`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject` is unused; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_subject_export(
    ledger: *const consent_ledger,
    subject: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_subject_export", || {
        try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let _ = subject;
        Err(FfiError::new(
            consent_result::NotPermitted,
            "an export is recorded as an access to the person's data: call consent_ledger_subject_export_as with an actor and a purpose of lookup",
        ))
    })
}

/// Registers an access request from `subject`, received at `received_at_unix_ms` (Unix
/// milliseconds, UTC), on behalf of `actor_json` (`{"id": "...", "role": "..."}`). The request
/// must be answered within one month (GDPR Art. 12(3)); the export lists it with that due date.
///
/// On success writes `{"id": "uuid", "received_at": "RFC 3339", "due_at": "RFC 3339"}` to
/// `*json_out`, a library-allocated string freed with `consent_string_free`. On failure nothing
/// is recorded and `*json_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (an instant
/// out of range, a malformed actor), `STORAGE`, `PANIC`. A person the ledger holds nothing about
/// may ask too: their request is registered and answered like any other.
///
/// # Safety
/// `ledger` is a live handle; `subject` and `actor_json` are NUL-terminated strings; `json_out`
/// is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_register_access_request(
    ledger: *const consent_ledger,
    subject: *const c_char,
    received_at_unix_ms: i64,
    actor_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_register_access_request", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let subject = try_str(subject, "subject")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let received_at = from_unix_millis(received_at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        let request = handle
            .ledger
            .register_access_request(&subject, received_at, &actor)?;
        write_out(json_out, json_to_ptr(&request, "access request")?)
    })
}

/// Corrects one field of one of `subject`'s grants without rewriting history: decisions for
/// instants from the moment of the call on use the corrected value; decisions for earlier
/// instants are unchanged.
///
/// `correction_json` is `{"field": "evidence_reference", "value": "2026/1235"}`,
/// `{"field": "valid_from", "value": "RFC 3339"}` or `{"field": "valid_until", "value":
/// "RFC 3339" | null}`. `reason` (required, no national id) says why; `actor_json` is
/// `{"id": "...", "role": "..."}`.
///
/// On success writes the rectification's record id (a UUID) to `*record_id_out`, a
/// library-allocated string freed with `consent_string_free`. On failure nothing is recorded and
/// `*record_id_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (malformed
/// JSON, a grant id that is not a UUID, an empty or malformed reason, a validity window that
/// would end before it starts), `NOT_FOUND` (the ledger holds nothing about the subject, or the
/// grant is not the subject's), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `grant_id`, `correction_json`, `reason` and
/// `actor_json` are NUL-terminated strings; `record_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_rectify(
    ledger: *const consent_ledger,
    subject: *const c_char,
    grant_id: *const c_char,
    correction_json: *const c_char,
    reason: *const c_char,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_rectify", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(record_id_out, "record_id_out")?;
        let subject = try_str(subject, "subject")?;
        let grant_id = try_str(grant_id, "grant_id")?;
        let correction_json = try_str(correction_json, "correction_json")?;
        let reason = try_str(reason, "reason")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let grant: GrantId = grant_id.parse()?;
        let correction = parse_correction(correction_json)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle
            .ledger
            .rectify(&subject, grant, correction, reason, &actor)?;
        write_out(record_id_out, string_to_ptr(id.hyphenated().to_string())?)
    })
}

/// Evaluates an erasure request from `subject` (GDPR Art. 17) at the ledger's clock, on behalf
/// of `actor_json`.
///
/// Consent forms, refusals and disclosure records are archival material (arkivlova 2025 § 5),
/// so nothing is destroyed now: every active grant of the subject is withdrawn (reason
/// `erasure_request`), the subject's processing is restricted (ground `erasure_request`:
/// consent-based decisions are then denied `withdrawn`, statutory ones `restricted` unless
/// their rule continues under restriction), and the outcome says when kassasjon is due, counted
/// from the end of the subject's last case event by the catalogue's per-purpose
/// `retention_years` (`null`: a purpose's retention is permanent or not stated).
/// `consent_ledger_erasure_due` lists the subjects whose kassasjon is due and
/// `consent_ledger_execute_kassasjon` then crypto-shreds.
///
/// On success writes the outcome as JSON to `*json_out`, a library-allocated string freed with
/// `consent_string_free`: `{"outcome": "restricted", "at": "RFC 3339", "rules": [...],
/// "statutes": [...], "withdrawn": ["grant id", ...], "kassasjon_due_at": "RFC 3339" | null}`.
/// On failure nothing is recorded and `*json_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (a malformed
/// actor), `NOT_FOUND` (the ledger holds nothing about the subject), `CONFLICT` (erasure was
/// already requested, or the subject is erased), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject` and `actor_json` are NUL-terminated strings; `json_out`
/// is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_request_erasure(
    ledger: *const consent_ledger,
    subject: *const c_char,
    actor_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_request_erasure", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let subject = try_str(subject, "subject")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let actor = AnyActor::from_json(actor_json)?;
        let outcome = handle.ledger.request_erasure(&subject, &actor)?;
        write_out(json_out, json_to_ptr(&outcome, "erasure outcome")?)
    })
}

/// Retired: statistics are read only by a role that may `statistics` (issue 17), so the call
/// needs an actor. Always fails with `NOT_PERMITTED` and writes nothing; call
/// `consent_ledger_statistics_as` (the same query and document, with `actor_json`). Kept so
/// that programs linked against 0.2.0 fail with a message instead of a missing symbol.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `json_out`), `NOT_PERMITTED`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `query_json` is unused; `json_out` is valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_statistics(
    ledger: *const consent_ledger,
    query_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_statistics", || {
        try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let _ = query_json;
        Err(FfiError::new(
            consent_result::NotPermitted,
            "statistics are read by a role that may `statistics`: call consent_ledger_statistics_as with an actor",
        ))
    })
}

/// Aggregate counts, never individual rows: grants, withdrawals, refusals and disclosures by
/// month, purpose and recipient, and active grants by purpose and recipient. Counts from 1 to
/// `min_cell - 1` are suppressed (JSON `null`).
///
/// `query_json` may be NULL (all events, active grants counted now, the catalogue's threshold)
/// or `{"from": "RFC 3339", "to": "RFC 3339", "min_cell": n}`, every key optional: events
/// recorded in `[from, to)`, active grants counted at `to`, and a threshold that may only raise
/// the catalogue's `statistics_min_cell`. Unknown keys are rejected.
///
/// On success writes `{"min_cell": n, "at": "RFC 3339", "rows": [{"month": "YYYY-MM",
/// "purpose", "recipient", "grants", "withdrawals", "refusals", "disclosures"}],
/// "active_grants": [{"purpose", "recipient", "count"}]}` to `*json_out`, a library-allocated
/// string freed with `consent_string_free`. Nothing is recorded (no row is one person's data).
///
/// `actor_json` is who asks (`{"id", "role"}` or `{"token"}`): a role that may `statistics`
/// (in the default catalogue the auditor, DPO, archivist and unit leader; not a case worker).
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `actor_json`, `json_out`), `INVALID_UTF8`,
/// `INVALID_INPUT` (malformed JSON, an instant out of range, a threshold below the
/// catalogue's), `UNKNOWN_CODE` (the actor's role), `NOT_PERMITTED` (a role without
/// `statistics`, a plain actor under `require_signed_actors`, a token that does not verify),
/// `INTEGRITY`, `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `query_json` is NULL or a NUL-terminated string; `actor_json` is
/// a NUL-terminated string; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_statistics_as(
    ledger: *const consent_ledger,
    query_json: *const c_char,
    actor_json: *const c_char,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_statistics_as", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let query = parse_query(try_opt_str(query_json, "query_json")?)?;
        let statistics = handle.ledger.statistics(&query, &actor)?;
        write_out(json_out, json_to_ptr(&statistics, "statistics")?)
    })
}

/// The re-consent worklist: grants active at `at_unix_ms` that stop covering disclosures
/// within `window_ms` after it (both Unix milliseconds): a representative's grant when the child
/// comes of age, a grant reaching its `valid_until`, and (due at `at`) grants given under a
/// privacy notice version that is no longer current. Sorted by due date.
///
/// On success writes a JSON array to `*json_out`, a library-allocated string freed with
/// `consent_string_free`: `[{"grant_id": "uuid", "subject": "pseudonym", "reason":
/// "comes_of_age" | "expires" | "notice_superseded", "due_at": "RFC 3339", "purposes": [...],
/// "recipients": [...], "categories": [...]}]`. Subjects appear by pseudonym, never by national
/// id. Nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_INPUT` (an instant out of range, a negative window),
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_reconsent_due(
    ledger: *const consent_ledger,
    at_unix_ms: i64,
    window_ms: i64,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_reconsent_due", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let at = from_unix_millis(at_unix_ms)?;
        let window = Duration::try_milliseconds(window_ms).ok_or_else(|| {
            FfiError::invalid(format!("the window `{window_ms}` ms is out of range"))
        })?;
        let items = handle.ledger.reconsent_due(at, window)?;
        write_out(json_out, json_to_ptr(&items, "re-consent worklist")?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_name_periods_and_reject_unknown_keys() {
        let query = parse_query(Some(
            r#"{"from": "2026-Q1", "to": "2026-Q2", "min_cell": 7}"#,
        ))
        .unwrap();
        assert_eq!(query.from.as_deref(), Some("2026-Q1"));
        assert_eq!(query.to.as_deref(), Some("2026-Q2"));
        assert_eq!(query.min_cell, Some(7));
        assert_eq!(parse_query(None).unwrap(), StatisticsQuery::default());
        for bad in [
            r#"{"since": "2026-01-01T00:00:00Z"}"#,
            r#"{"from": 2026}"#,
            r#"{"min_cell": -1}"#,
            "{",
        ] {
            let err = parse_query(Some(bad)).unwrap_err();
            assert!(err.message().starts_with("statistics query: "), "{bad}");
        }
    }

    #[test]
    fn corrections_parse_each_field() {
        assert!(matches!(
            parse_correction(r#"{"field": "valid_until", "value": null}"#).unwrap(),
            Correction::ValidUntil(None)
        ));
        assert!(matches!(
            parse_correction(r#"{"field": "evidence_reference", "value": "2026/1"}"#).unwrap(),
            Correction::EvidenceReference(_)
        ));
        let err = parse_correction(r#"{"field": "subject", "value": "15038510190"}"#).unwrap_err();
        assert!(!err.message().contains("15038510190"));
    }
}
