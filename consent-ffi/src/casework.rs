//! `consent_ledger_*` for case work that follows a person: an identity succession (DUF number
//! → D-number → fødselsnummer) and the notification worklist of GDPR Art. 18(3) and 19.

#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{AnyActor, SuccessionMode, from_unix_millis};
use uuid::Uuid;

use crate::boundary::{check_out, string_to_ptr, try_opt_str, try_ref, try_str, write_out};
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::ledger::{consent_ledger, json_to_ptr};

/// Records that the person known under `from_subject` is now known under `to_subject` (a DUF
/// number, then a D-number, then a fødselsnummer): their grants, refusals, restrictions and
/// history follow them, so decisions under the new id see the old grants and the export under
/// either id shows one history. `reference` names the case or register entry that documents
/// the change (never a national id). Either id may be an 11-digit national id or a 12-digit
/// DUF number. Only the catalogue's `succession_roles` may record it.
///
/// A succession goes forward only (a DUF number, then a D-nummer, then a fødselsnummer; one
/// kind to the same kind is allowed). With `merge` false, a `to_subject` that already holds
/// records is refused with `CONFLICT`: joining two histories cannot be undone. Pass `merge`
/// true only once both ids are known to be one person; the event then records the merge.
/// The reference is stored sealed under the new id's data key.
///
/// On success `*event_id_out` holds the succession event's id (free it with
/// `consent_string_free`); on failure nothing is recorded. No message contains either id.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `INVALID_INPUT` (both ids
/// are the same person's; a step backwards, such as a fødselsnummer to a D-nummer; an empty,
/// too long or id-bearing reference; a malformed actor), `NOT_PERMITTED` (a role not in
/// `succession_roles`), `NOT_FOUND` (the ledger holds nothing under `from_subject`),
/// `CONFLICT` (`from_subject` was already succeeded, `to_subject` was itself succeeded,
/// `from_subject`'s records were erased, or `to_subject` holds records and `merge` is false),
/// `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `from_subject`, `to_subject`, `reference` and `actor_json` are
/// NUL-terminated strings; `event_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_record_identity_succession(
    ledger: *const consent_ledger,
    from_subject: *const c_char,
    to_subject: *const c_char,
    reference: *const c_char,
    merge: bool,
    actor_json: *const c_char,
    event_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_record_identity_succession", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(event_id_out, "event_id_out")?;
        let from = handle
            .ledger
            .parse_national_id(try_str(from_subject, "from_subject")?)?;
        let to = handle
            .ledger
            .parse_national_id(try_str(to_subject, "to_subject")?)?;
        let reference = try_str(reference, "reference")?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let mode = if merge {
            SuccessionMode::Merge
        } else {
            SuccessionMode::Move
        };
        let id = handle
            .ledger
            .record_identity_succession(&from, &to, reference, mode, &actor)?;
        write_out(event_id_out, string_to_ptr(id.to_string())?)
    })
}

/// The notification worklist at `at_unix_ms` (Unix milliseconds, UTC): the tasks of changes
/// recorded up to then that are not yet marked done with `consent_ledger_record_notification`.
/// Lifting a restriction means telling the person first (GDPR Art. 18(3)); a rectification, a
/// restriction or an erasure means telling every recipient who received the person's data
/// (Art. 19).
///
/// On success writes a JSON array to `*json_out`, a library-allocated string freed with
/// `consent_string_free`: `[{"event_id": "uuid", "subject": "pseudonym", "reason":
/// "restriction_lifted" | "rectification" | "restriction" | "erasure", "recipient": "code" |
/// null (the person), "due_at": "RFC 3339", "before": "RFC 3339" | null}]` (`before`: the
/// deadline, for a lift the instant it takes effect), in the order the events were recorded. Subjects
/// appear by pseudonym, never by national id. Nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_INPUT` (an instant out of range), `INTEGRITY`, `STORAGE`,
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_notifications_due(
    ledger: *const consent_ledger,
    at_unix_ms: i64,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_notifications_due", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let at = from_unix_millis(at_unix_ms)?;
        let tasks = handle.ledger.notifications_due(at)?;
        write_out(json_out, json_to_ptr(&tasks, "the notification worklist")?)
    })
}

/// Marks a task of the notification worklist done: the person (`recipient` NULL) or the
/// recipient with code `recipient` was told, at `at_unix_ms` (Unix milliseconds, UTC), of the
/// change recorded by the event `event_id` (a UUID from `consent_ledger_notifications_due`).
///
/// On success `*record_id_out` holds the `notification_sent` event's id (free it with
/// `consent_string_free`); on failure nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `event_id`, `actor_json`, `record_id_out`),
/// `INVALID_UTF8`, `INVALID_INPUT` (not a UUID, an instant out of range, a malformed actor),
/// `UNKNOWN_CODE` (a recipient not in the catalogue), `NOT_FOUND` (no such task on the
/// worklist, or it is already done), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `event_id` and `actor_json` are NUL-terminated strings;
/// `recipient` is NULL or a NUL-terminated string; `record_id_out` is valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_record_notification(
    ledger: *const consent_ledger,
    event_id: *const c_char,
    recipient: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_record_notification", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(record_id_out, "record_id_out")?;
        let event_id = try_str(event_id, "event_id")?;
        let event_id =
            Uuid::parse_str(event_id).map_err(|_| FfiError::invalid("event_id is not a UUID"))?;
        let recipient = try_opt_str(recipient, "recipient")?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let id = handle
            .ledger
            .record_notification(event_id, recipient, at, &actor)?;
        write_out(record_id_out, string_to_ptr(id.to_string())?)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_module_holds_no_unsafe_block() {
        let needle = concat!("unsafe", " {");
        assert!(
            !include_str!("casework.rs").contains(needle),
            "casework.rs has an unsafe block: move the pointer work into boundary.rs"
        );
    }
}
