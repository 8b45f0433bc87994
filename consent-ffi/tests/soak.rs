//! Soak test through the C ABI: 4 threads of mixed grants, withdrawals, disclosures and
//! decisions on one SQLite ledger for `CONSENT_SOAK_SECONDS` (default 60), then a reopen that
//! replays the log, a verify, and a comparison of every decision with the live ledger's.
//!
//! Ignored in `cargo test --workspace`; the test script runs it in release:
//! `cargo test --release -p consent-ffi --test soak -- --ignored --nocapture`.

#![expect(
    unsafe_code,
    reason = "the test drives the C ABI, whose functions are unsafe"
)]
#![expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]
#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "xorshift bits pick people, recipients and instants; truncation is the point"
)]

use std::ffi::{CStr, CString, c_char};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use consent::{
    consent_decision, consent_decision_free, consent_decision_to_json, consent_ledger,
    consent_ledger_decide, consent_ledger_event_count, consent_ledger_free, consent_ledger_grant,
    consent_ledger_open, consent_ledger_record_disclosure, consent_ledger_verify,
    consent_ledger_withdraw, consent_result, consent_string_free,
};

/// A shared handle: the C ABI documents `consent_ledger` as safe to share across threads.
#[derive(Clone, Copy)]
struct Handle(*const consent_ledger);
// SAFETY: the ledger handle is documented (and tested in consent-ffi) as Send + Sync.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

const RECIPIENTS: [&str; 3] = ["nav", "bufetat", "helsetjenesten"];
// A case worker: grants, withdraws and records disclosures (a `system` role may only decide
// with logging and record disclosures).
const ACTOR: &str = r#"{"id": "soak", "role": "case_worker"}"#;

fn people() -> Vec<CString> {
    (10..30)
        .map(|day| {
            let number = (0..10)
                .find_map(|d| consent_core::control_digits(&format!("{day}0680{}{d}", "12")))
                .unwrap();
            CString::new(number).unwrap()
        })
        .collect()
}

fn grant_json(person: &CStr, recipient: &str) -> CString {
    CString::new(format!(
        r#"{{"subject": "{}", "grantor": {{"role": "self"}}, "purposes": ["case_handling"],
            "recipients": ["{recipient}"], "categories": ["family", "name"], "explicit": false,
            "valid_from": "2026-01-05T09:00:00Z", "valid_until": null,
            "evidence": {{"method": "digital_form", "reference": "2026/1", "language": "nb", "interpreter": false}},
            "notice": {{"id": "bosetting-personvern", "version": "2024-10-16"}}}}"#,
        person.to_str().unwrap()
    ))
    .unwrap()
}

const AT_2026_03_01: i64 = 1_772_323_200_000;

/// The decision JSON for one person and recipient, through the C ABI.
fn decide(ledger: Handle, person: &CStr, recipient: &CStr, at: i64) -> String {
    let categories = [c"family".as_ptr(), c"name".as_ptr()];
    let mut decision: *mut consent_decision = ptr::null_mut();
    // SAFETY: valid handle, NUL-terminated strings, a 2-element array, a valid out-pointer.
    let rc = unsafe {
        consent_ledger_decide(
            ledger.0,
            person.as_ptr(),
            recipient.as_ptr(),
            c"case_handling".as_ptr(),
            categories.as_ptr(),
            2,
            at,
            &mut decision,
        )
    };
    assert_eq!(rc, consent_result::Ok);
    let mut json: *mut c_char = ptr::null_mut();
    // SAFETY: a decision from the call above and a valid out-pointer.
    unsafe {
        assert_eq!(
            consent_decision_to_json(decision, &mut json),
            consent_result::Ok
        );
        let text = CStr::from_ptr(json).to_str().unwrap().to_owned();
        consent_string_free(json);
        consent_decision_free(decision);
        text
    }
}

fn open(path: &CStr) -> Handle {
    open_with(path, None)
}

/// Opens with the given options JSON (`None`: NULL, the defaults).
fn open_with(path: &CStr, options: Option<&CStr>) -> Handle {
    let mut ledger: *const consent_ledger = ptr::null();
    let options = options.map_or(ptr::null(), CStr::as_ptr);
    // SAFETY: NUL-terminated path, NULL or NUL-terminated options, a valid out-pointer.
    let rc = unsafe { consent_ledger_open(path.as_ptr(), options, &mut ledger) };
    assert_eq!(rc, consent_result::Ok);
    Handle(ledger)
}

#[test]
#[ignore = "a 60-second soak; the test script runs it in release"]
#[expect(
    clippy::too_many_lines,
    reason = "the soak reads as one run, top to bottom"
)]
fn four_threads_of_mixed_operations_then_reopen_verify_and_replay() {
    let seconds: u64 = std::env::var("CONSENT_SOAK_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let path = CString::new(dir.path().join("soak.db").to_str().unwrap()).unwrap();
    // The grants start on 2026-01-05: a test clock that morning keeps them from being refused
    // as backdated (more than the catalogue's 30 days before they are recorded), whatever the
    // date the soak runs on.
    let ledger = open_with(
        &path,
        Some(c"{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}"),
    );
    let people = people();
    let actor = CString::new(ACTOR).unwrap();
    let recipients: Vec<CString> = RECIPIENTS
        .iter()
        .map(|r| CString::new(*r).unwrap())
        .collect();
    let ops = AtomicU64::new(0);
    let writes = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();

    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let (people, recipients, actor, ops, writes) =
                (&people, &recipients, &actor, &ops, &writes);
            scope.spawn(move || {
                let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ (thread + 1);
                let mut granted: Vec<CString> = Vec::new();
                while Instant::now() < deadline {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let person = &people[(seed % people.len() as u64) as usize];
                    let r = ((seed >> 8) % 3) as usize;
                    match (seed >> 16) % 20 {
                        0 => {
                            let json = grant_json(person, RECIPIENTS[r]);
                            let mut id: *mut c_char = ptr::null_mut();
                            // SAFETY: valid handle, strings and out-pointer.
                            let rc = unsafe {
                                consent_ledger_grant(
                                    ledger.0,
                                    json.as_ptr(),
                                    actor.as_ptr(),
                                    &mut id,
                                )
                            };
                            assert_eq!(rc, consent_result::Ok);
                            // SAFETY: the id was allocated by the library and is freed once.
                            unsafe {
                                granted.push(CStr::from_ptr(id).to_owned());
                                consent_string_free(id);
                            }
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                        1 if !granted.is_empty() => {
                            let id = granted.swap_remove((seed as usize >> 3) % granted.len());
                            let at = AT_2026_03_01 + ((seed >> 24) % 1_000_000_000) as i64;
                            // SAFETY: valid handle and strings; NULL reason is allowed.
                            let rc = unsafe {
                                consent_ledger_withdraw(
                                    ledger.0,
                                    id.as_ptr(),
                                    at,
                                    actor.as_ptr(),
                                    ptr::null(),
                                )
                            };
                            assert_eq!(rc, consent_result::Ok);
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                        2 => {
                            // A statutory disclosure to NIR is always permitted and recorded.
                            let categories = [c"name".as_ptr(), c"national_id".as_ptr()];
                            let mut decision: *mut consent_decision = ptr::null_mut();
                            // SAFETY: valid handle, strings, array and out-pointer.
                            let rc = unsafe {
                                consent_ledger_record_disclosure(
                                    ledger.0,
                                    person.as_ptr(),
                                    c"nir".as_ptr(),
                                    c"nir_registration".as_ptr(),
                                    categories.as_ptr(),
                                    2,
                                    AT_2026_03_01,
                                    actor.as_ptr(),
                                    &mut decision,
                                )
                            };
                            assert_eq!(rc, consent_result::Ok);
                            // SAFETY: the decision was allocated by the call above.
                            unsafe { consent_decision_free(decision) };
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            decide(ledger, person, &recipients[r], AT_2026_03_01);
                        }
                    }
                    ops.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let ops = ops.load(Ordering::Relaxed);
    let writes = writes.load(Ordering::Relaxed);
    // SAFETY: a valid handle.
    let events = unsafe { consent_ledger_event_count(ledger.0) };
    // Every acknowledged write, and the adoption of the catalogue a new ledger records first.
    assert_eq!(events, writes + 1);

    let grid = |ledger: Handle| -> Vec<String> {
        let mut out = Vec::new();
        for person in &people {
            for recipient in &recipients {
                for day in [0i64, 30, 200] {
                    out.push(decide(
                        ledger,
                        person,
                        recipient,
                        AT_2026_03_01 + day * 86_400_000,
                    ));
                }
            }
        }
        out
    };
    let live = grid(ledger);
    // SAFETY: the handle is not used after this.
    unsafe { consent_ledger_free(ledger.0) };

    let reopened = open(&path);
    // SAFETY: a valid handle.
    assert_eq!(unsafe { consent_ledger_event_count(reopened.0) }, events);
    assert_eq!(
        grid(reopened),
        live,
        "the replayed ledger decides differently"
    );
    let mut report: *mut c_char = ptr::null_mut();
    // SAFETY: a valid handle and out-pointer; the report is freed once.
    let report_text = unsafe {
        assert_eq!(
            consent_ledger_verify(reopened.0, &mut report),
            consent_result::Ok
        );
        let text = CStr::from_ptr(report).to_str().unwrap().to_owned();
        consent_string_free(report);
        consent_ledger_free(reopened.0);
        text
    };
    let report: serde_json::Value = serde_json::from_str(&report_text).unwrap();
    assert_eq!(report["ok"], true, "{report_text}");
    println!(
        "soak: {ops} operations ({writes} durable writes) by 4 threads in {elapsed:.1} s = {:.0} ops/s, \
         {:.0} durable writes/s; reopened {events} events, replay matches, chain verified",
        ops as f64 / elapsed,
        writes as f64 / elapsed
    );
}
