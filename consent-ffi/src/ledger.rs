//! `consent_ledger_*`: opening, granting, withdrawing, deciding, recording, verifying.
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::{c_char, c_void};

use consent_core::{
    AnyActor, Catalogue, Decision, EventCursor, GrantId, Ledger, LedgerOptions, MAX_CODES,
    from_unix_millis,
};
use serde::Serialize;

use crate::boundary::{
    Castable, OwnedArc, arc_to_ptr, box_to_ptr, call_event_callback, check_out,
    consent_event_callback, free_arc, opt_ref, string_to_ptr, try_opt_str, try_ref, try_str,
    try_str_array, write_out,
};
use crate::decision::consent_decision;
use crate::error::{FfiError, consent_result, ffi_guard, ffi_guard_or};

/// A consent ledger.
///
/// Frozen; may be shared across threads: every function takes it as `const consent_ledger *`,
/// and any number of threads may call them at once on one handle (writes are serialised inside
/// the library; decisions never wait for a write's disk flush). Created by
/// `consent_ledger_open`, released once with `consent_ledger_free`.
#[derive(Debug)]
#[expect(
    non_camel_case_types,
    reason = "the C type name is part of the contract"
)]
pub struct consent_ledger {
    _private: [u8; 0],
}

/// The value behind a `consent_ledger` handle.
#[derive(Debug)]
pub(crate) struct LedgerHandle {
    pub(crate) ledger: Ledger,
}

impl Castable for consent_ledger {
    type Ownership = OwnedArc;
    type RustType = LedgerHandle;
}

// The handle is documented as shareable across threads: hold that at compile time.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<LedgerHandle>();
};

/// Serialises a core result into a library-allocated JSON string for a `char **` out-param.
///
/// The core's report types serialise infallibly in practice (string keys, no maps with
/// non-string keys); a failure is still reported, as `STORAGE`, rather than unwrapped.
pub(crate) fn json_to_ptr<T: Serialize>(value: &T, what: &str) -> Result<*mut c_char, FfiError> {
    let json = serde_json::to_string(value)
        .map_err(|e| FfiError::new(consent_result::Storage, format!("{what}: {e}")))?;
    string_to_ptr(json)
}

/// Opens a ledger with the core's options document (`LedgerOptions::from_json`).
fn open(path: &str, options_json: Option<&str>) -> Result<LedgerHandle, FfiError> {
    let mut options = match options_json {
        Some(json) => LedgerOptions::from_json(json)?,
        None => LedgerOptions::default(),
    };
    if options.catalogue.is_none() {
        // Without a catalogue an existing ledger uses the one in force; a new one adopts the
        // embedded default, parsed per ledger rather than taken from the core's process-wide
        // cache, so a C host that frees every handle leaves nothing allocated (valgrind
        // reports the cache as still reachable).
        options.new_ledger_catalogue = Some(Catalogue::from_toml(Catalogue::embedded_toml())?);
    }
    let ledger = consent_postgres::open(path, options)?;
    Ok(LedgerHandle { ledger })
}

/// Opens a ledger.
///
/// `path` is `":memory:"` for a ledger kept in memory (its events vanish with the handle), the
/// path of an embedded SQLite ledger file, created with its key file where neither exists
/// (writes are durable when the call returns), or a
/// `postgresql://user:password@host:port/db?schema=NAME` URL of a ledger many hosts share: its
/// key comes from `"key_file"` or `"key_hex"` (the database holds only the key's check value);
/// a bad URL, a server that is down or a wrong password is `STORAGE`, with no password in the
/// message. A key file without its database, or an empty
/// database file, is `INTEGRITY` (the ledger was deleted or emptied), never a new ledger.
///
/// `options_json` may be NULL (defaults) or a JSON object with the optional keys
/// `"test_mode"` (bool: accept synthetic test numbers; never in production), `"accept_pid2032"`
/// (bool, default true), `"key_file"` (string; file ledgers only; a private regular file),
/// `"key_hex"` (64 hex digits: the pseudonym key itself, for hosts that keep it in a secret
/// store), `"catalogue_file"` (string: a catalogue TOML file to use instead of the embedded
/// default), `"mode"` (`"open_or_create"`, the default; `"create"`, which adopts an existing
/// key file; or `"read_only"`, which creates and writes nothing and works beside a writer),
/// `"group_access"` (bool: a new ledger's files are 0660 and its key 0640 instead of 0600) and
/// `"write_wait_ms"` (a whole number from 1: how long a write waits for another process's
/// write lock before it fails with `LOCKED` naming the holder; without it a write waits as long
/// as it takes) and `"actor_trust"` (`{"issuer": "https://login.kommune.no", "jwks_file":
/// "idp.jwks.json", "id_claim": "sub", "role_claim": "role", "audience": "consent"}`, issuer
/// and JWKS file required: whose signed actors the ledger believes). Unknown keys are rejected.
///
/// Signed actors: every function that takes an `actor_json` takes `{"token": "<compact JWS>"}`
/// in place of `{"id", "role"}`. The ledger verifies the token (RS256 or ES256 against the
/// JWKS, the issuer, `exp`/`nbf`/`aud`) at the call's instant and acts as the id and role of its
/// claims; the stored event names the issuer, never the token. A token on a ledger opened
/// without `"actor_trust"`, or one that does not verify, is `NOT_PERMITTED`; a role claim the
/// catalogue does not know is `UNKNOWN_CODE`; no message contains the token. Under the
/// catalogue's `require_signed_actors`, `{"id", "role"}` is `NOT_PERMITTED`.
///
/// On success writes a new handle to `*ledger_out`; the caller owns it and releases it with
/// `consent_ledger_free`. On failure `*ledger_out` is left untouched.
///
/// Errors: `NULL_ARGUMENT` (`path`, `ledger_out`), `INVALID_UTF8`, `INVALID_INPUT` (bad options
/// JSON, a bad JWKS document), `INVALID_CATALOGUE` (the catalogue file does not validate), `LOCKED` (another process
/// is creating or upgrading the file), `KEY_MISMATCH` (wrong or missing key file), `INTEGRITY` (the stored chain
/// does not verify), `UNSUPPORTED_VERSION`, `STORAGE` (also: the catalogue or JWKS file cannot be read),
/// `PANIC`.
///
/// # Safety
/// `path` is a NUL-terminated string; `options_json` is NULL or a NUL-terminated string;
/// `ledger_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_open(
    path: *const c_char,
    options_json: *const c_char,
    ledger_out: *mut *const consent_ledger,
) -> consent_result {
    ffi_guard("consent_ledger_open", || {
        check_out(ledger_out, "ledger_out")?;
        let path = try_str(path, "path")?;
        let handle = open(path, try_opt_str(options_json, "options_json")?)?;
        write_out(ledger_out, arc_to_ptr::<consent_ledger>(handle))
    })
}

/// Releases a ledger handle. NULL is a no-op; freeing a handle twice is undefined behaviour.
///
/// No other thread may be using the handle when it is freed. Decisions already returned stay
/// valid.
///
/// # Safety
/// `ledger` is NULL or a handle from `consent_ledger_open` that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_free(ledger: *const consent_ledger) {
    ffi_guard_or((), || free_arc(ledger));
}

/// The number of events the ledger has recorded; 0 for NULL.
///
/// Thread-safe. Infallible; it does not touch the last error.
///
/// # Safety
/// `ledger` is NULL or a live handle from `consent_ledger_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_event_count(ledger: *const consent_ledger) -> u64 {
    ffi_guard_or(0, || {
        opt_ref::<consent_ledger>(ledger).map_or(0, |h| h.ledger.event_count())
    })
}

/// The keyed pseudonym under which `subject`'s events are recorded: 32 lowercase hex digits,
/// the form in which re-consent items (`consent_ledger_reconsent_due`), exports and events name
/// a subject. A case system computes it for its own clients to match those items to them; it
/// depends on the ledger's key, so it is only comparable within one ledger. Nothing is recorded,
/// and the subject need not be known to the ledger.
///
/// On success writes the pseudonym to `*pseudonym_out`, a library-allocated string the caller
/// frees with `consent_string_free`. On failure `*pseudonym_out` is left untouched; no error
/// message contains the national id.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `subject`, `pseudonym_out`), `INVALID_UTF8`,
/// `INVALID_NATIONAL_ID` (also: a synthetic test number on a ledger not in test mode), `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject` is a NUL-terminated string; `pseudonym_out` is valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_pseudonym(
    ledger: *const consent_ledger,
    subject: *const c_char,
    pseudonym_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_pseudonym", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(pseudonym_out, "pseudonym_out")?;
        let subject = try_str(subject, "subject")?;
        let subject = handle.ledger.parse_national_id(subject)?;
        let pseudonym = handle.ledger.pseudonym(&subject);
        write_out(pseudonym_out, string_to_ptr(pseudonym.to_string())?)
    })
}

/// Records one consent.
///
/// `grant_json` is the grant document of `docs/json.md` (`subject`, `grantor`, `purposes`,
/// `recipients`, `categories`, `explicit`, `valid_from`, `valid_until`, `evidence`, `notice`);
/// `actor_json` is `{"id": "...", "role": "..."}` or a signed `{"token": "..."}` (see
/// `consent_ledger_open`).
///
/// On success writes the new grant's id (a UUID) to `*grant_id_out`, a library-allocated
/// string the caller frees with `consent_string_free`. On failure nothing is recorded (the event
/// count is unchanged) and `*grant_id_out` is left untouched.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_INPUT` (malformed JSON or fields, a subject
/// too young to consent alone, a representative for an adult), `INVALID_NATIONAL_ID`,
/// `UNKNOWN_CODE`, `UNSUPPORTED_VERSION` (grant schema version), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `grant_json` and `actor_json` are NUL-terminated strings;
/// `grant_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_grant(
    ledger: *const consent_ledger,
    grant_json: *const c_char,
    actor_json: *const c_char,
    grant_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_grant", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(grant_id_out, "grant_id_out")?;
        let grant_json = try_str(grant_json, "grant_json")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let request = handle.ledger.parse_grant(grant_json)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle.ledger.grant(&request, &actor)?;
        let text = string_to_ptr(id.to_string())?;
        write_out(grant_id_out, text)
    })
}

/// Withdraws a grant from `at_unix_ms` (Unix milliseconds, UTC) onward. Decisions for instants
/// before it are unchanged; the grant's record is kept.
///
/// `reason` may be NULL. On failure nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `grant_id`, `actor_json`), `INVALID_UTF8`,
/// `INVALID_INPUT` (not a UUID, an instant out of range or before the grant takes effect, a
/// malformed reason or actor), `NOT_FOUND` (no such grant), `CONFLICT` (already withdrawn),
/// `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `grant_id` and `actor_json` are NUL-terminated strings; `reason`
/// is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_withdraw(
    ledger: *const consent_ledger,
    grant_id: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    reason: *const c_char,
) -> consent_result {
    ffi_guard("consent_ledger_withdraw", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        let grant_id = try_str(grant_id, "grant_id")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let reason = try_opt_str(reason, "reason")?;
        let grant: GrantId = grant_id.parse()?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        handle.ledger.withdraw(grant, at, &actor, reason)?;
        Ok(())
    })
}

/// `consent_ledger_withdraw` with an idempotency key the caller chooses (for example the case
/// number of the form; 1 to 128 characters, never a national id): the same withdrawal again
/// with the same key writes nothing and succeeds, so a call retried after a lost answer is
/// safe; the same key with another request is `CONFLICT`. (Grants and refusals carry their key
/// in their JSON, as `"idempotency_key"`.)
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_withdraw`, and `INVALID_INPUT` for a bad key, `CONFLICT` for a
/// key used for another request.
///
/// # Safety
/// As `consent_ledger_withdraw`; `idempotency_key` is a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_withdraw_idempotent(
    ledger: *const consent_ledger,
    grant_id: *const c_char,
    at_unix_ms: i64,
    actor_json: *const c_char,
    reason: *const c_char,
    idempotency_key: *const c_char,
) -> consent_result {
    ffi_guard("consent_ledger_withdraw_idempotent", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        let grant_id = try_str(grant_id, "grant_id")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let reason = try_opt_str(reason, "reason")?;
        let key = try_str(idempotency_key, "idempotency_key")?;
        let grant: GrantId = grant_id.parse()?;
        let at = from_unix_millis(at_unix_ms)?;
        let actor = AnyActor::from_json(actor_json)?;
        handle
            .ledger
            .withdraw_idempotent(grant, at, &actor, reason, key)?;
        Ok(())
    })
}

/// Decides whether `subject`'s data in `categories` may be disclosed to `recipient` for
/// `purpose` at `at_unix_ms` (Unix milliseconds, UTC).
///
/// `categories` is an array of `n_categories` category codes (it may be NULL only when
/// `n_categories` is 0, which is an `INVALID_INPUT` error: a decision needs a category).
///
/// A denial is a successful call: `CONSENT_RESULT_OK` with a decision whose
/// `consent_decision_permitted` is false. On success writes a new decision to `*decision_out`,
/// owned by the caller and released with `consent_decision_free`. An error never yields a
/// decision (fail closed). Nothing is recorded.
///
/// Thread-safe; decisions run in parallel with each other and with writes.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_NATIONAL_ID`, `UNKNOWN_CODE`,
/// `INVALID_INPUT` (no category, a repeated category, an instant out of range), `STORAGE`
/// (a PostgreSQL ledger whose database cannot be asked for its head: never a stale permit),
/// `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `subject`, `recipient` and `purpose` are NUL-terminated strings;
/// `categories` points to `n_categories` NUL-terminated strings (or is NULL when
/// `n_categories` is 0); `decision_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_decide(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    at_unix_ms: i64,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_ledger_decide", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(decision_out, "decision_out")?;
        let decision = decide(
            handle,
            subject,
            recipient,
            purpose,
            categories,
            n_categories,
            at_unix_ms,
        )?;
        write_out(decision_out, box_to_ptr::<consent_decision>(decision))
    })
}

/// The decision for the C arguments of `consent_ledger_decide` (the handle already checked).
///
/// Precondition: the pointers are as the `# Safety` section of `consent_ledger_decide` says.
fn decide(
    handle: &LedgerHandle,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    at_unix_ms: i64,
) -> Result<Decision, FfiError> {
    let subject = try_str(subject, "subject")?;
    let recipient = try_str(recipient, "recipient")?;
    let purpose = try_str(purpose, "purpose")?;
    let categories = try_str_array(categories, n_categories, "categories", MAX_CODES)?;
    let subject = handle.ledger.parse_national_id(subject)?;
    let at = from_unix_millis(at_unix_ms)?;
    Ok(handle
        .ledger
        .decide_with(&subject, recipient, purpose, categories.as_slice(), at)?)
}

/// Decides as `consent_ledger_decide` does, but reports only the verdict: whether the
/// disclosure is permitted. For callers that act on the answer alone; it allocates nothing,
/// so there is no decision to free (call `consent_ledger_decide` for the basis of each
/// category or the reason for a denial).
///
/// On success writes the verdict to `*permitted_out`: true only when every category has a
/// basis. On failure `*permitted_out` is left untouched and the result says why (fail closed:
/// initialise it to false, or check the result, before acting on it). Nothing is recorded.
///
/// Thread-safe; decisions run in parallel with each other and with writes.
///
/// Errors: as `consent_ledger_decide` (`NULL_ARGUMENT` for `permitted_out`).
///
/// # Safety
/// As `consent_ledger_decide`; `permitted_out` is valid for writing one `bool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_permits(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    at_unix_ms: i64,
    permitted_out: *mut bool,
) -> consent_result {
    ffi_guard("consent_ledger_permits", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(permitted_out, "permitted_out")?;
        let decision = decide(
            handle,
            subject,
            recipient,
            purpose,
            categories,
            n_categories,
            at_unix_ms,
        )?;
        write_out(permitted_out, decision.permitted())
    })
}

/// Decides a disclosure as `consent_ledger_decide` does and, when it is permitted, records it
/// (with the basis of each category) on behalf of `actor_json`.
///
/// `decision_out` may be NULL; otherwise on success it receives the permitting decision, owned
/// by the caller and released with `consent_decision_free`. When the decision denies, nothing is
/// recorded and the result is `CONSENT_RESULT_NOT_PERMITTED` (the last error explains why).
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_decide`, and `NOT_PERMITTED`, `STORAGE`.
///
/// # Safety
/// As `consent_ledger_decide`; `actor_json` is a NUL-terminated string; `decision_out` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_record_disclosure(
    ledger: *const consent_ledger,
    subject: *const c_char,
    recipient: *const c_char,
    purpose: *const c_char,
    categories: *const *const c_char,
    n_categories: usize,
    at_unix_ms: i64,
    actor_json: *const c_char,
    decision_out: *mut *mut consent_decision,
) -> consent_result {
    ffi_guard("consent_ledger_record_disclosure", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        let request = crate::law::request(
            handle,
            subject,
            recipient,
            purpose,
            categories,
            n_categories,
            std::ptr::null(),
            at_unix_ms,
        )?;
        crate::law::record(handle, &request, actor_json, decision_out)
    })
}

/// Records that the subject (or a representative) refused to consent.
///
/// `refusal_json` has the grant document's `subject`, `grantor`, `purposes`, `recipients`,
/// `categories`, `evidence` and `notice`, and `at` (RFC 3339) for when the refusal was given.
///
/// `record_id_out` may be NULL; otherwise on success it receives the refusal's record id (a
/// UUID), a library-allocated string freed with `consent_string_free`. On failure nothing is
/// recorded.
///
/// Thread-safe.
///
/// Errors: as `consent_ledger_grant`.
///
/// # Safety
/// `ledger` is a live handle; `refusal_json` and `actor_json` are NUL-terminated strings;
/// `record_id_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_refuse(
    ledger: *const consent_ledger,
    refusal_json: *const c_char,
    actor_json: *const c_char,
    record_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_refuse", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        let refusal_json = try_str(refusal_json, "refusal_json")?;
        let actor_json = try_str(actor_json, "actor_json")?;
        let request = handle.ledger.parse_refusal(refusal_json)?;
        let actor = AnyActor::from_json(actor_json)?;
        let id = handle.ledger.refuse(&request, &actor)?;
        if record_id_out.is_null() {
            return Ok(());
        }
        let text = string_to_ptr(id.hyphenated().to_string())?;
        write_out(record_id_out, text)
    })
}

/// Walks the ledger's hash chain and reports on it as JSON:
/// `{"ok": bool, "events": n, "head_hash": "hex", "first_bad_seq": n|null, "problem": "..."|null}`.
///
/// A chain that fails verification is a successful call with `"ok": false`. On success writes a
/// library-allocated string to `*json_out`, freed with `consent_string_free`.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `json_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_verify(
    ledger: *const consent_ledger,
    json_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_verify", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(json_out, "json_out")?;
        let report = handle.ledger.verify()?;
        write_out(json_out, json_to_ptr(&report, "verify report")?)
    })
}

/// How many events `consent_ledger_events` reads from the store at a time.
const EVENT_PAGE: usize = 256;

/// Calls `callback` with every event of the ledger as JSON, in order, each verified against
/// the chain (also across the pages it reads) and opened with its subject's key, without
/// holding the log in memory: a page of 256 events at a time. The JSON (subjects as
/// pseudonyms) is valid only during the call. The callback returns true to go on, false to
/// stop early (still `CONSENT_RESULT_OK`); it must not free or use this ledger handle for
/// writing. Writes by other threads and processes are not blocked meanwhile.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT` (`ledger`, `callback`), `INTEGRITY` (an event does not verify:
/// the events before it were delivered), `STORAGE`, `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `callback` is a function of the documented signature;
/// `user_data` is passed to it unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_events(
    ledger: *const consent_ledger,
    callback: consent_event_callback,
    user_data: *mut c_void,
) -> consent_result {
    ffi_guard("consent_ledger_events", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        if callback.is_none() {
            return Err(FfiError::null("callback"));
        }
        let mut cursor = EventCursor::start();
        loop {
            let page = handle.ledger.events_page(&mut cursor, EVENT_PAGE)?;
            if page.is_empty() {
                return Ok(());
            }
            for event in page {
                let json = serde_json::to_string(&event).map_err(|e| {
                    FfiError::new(
                        consent_result::Storage,
                        format!("cannot encode an event: {e}"),
                    )
                })?;
                if !call_event_callback(callback, json, user_data)? {
                    return Ok(());
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn export_modules_hold_no_unsafe_blocks() {
        for (name, source) in [
            ("ledger.rs", include_str!("ledger.rs")),
            ("rights.rs", include_str!("rights.rs")),
            ("decision.rs", include_str!("decision.rs")),
            ("misc.rs", include_str!("misc.rs")),
        ] {
            let needle = concat!("unsafe", " {");
            assert!(
                !source.contains(needle),
                "{name} has an unsafe block: move the pointer work into boundary.rs"
            );
        }
    }
}
