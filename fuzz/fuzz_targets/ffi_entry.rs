//! The C ABI fed arbitrary bytes: no input makes an export panic (CONSENT_RESULT_PANIC) or
//! crash, and a failed call changes nothing.
#![no_main]

use std::ffi::c_char;
use std::ptr;
use std::sync::OnceLock;

use consent::{
    consent_decision, consent_decision_free, consent_ledger, consent_ledger_decide,
    consent_ledger_decide_asserted, consent_ledger_erasure_due, consent_ledger_event_count,
    consent_ledger_execute_kassasjon, consent_ledger_grant, consent_ledger_lift_restriction,
    consent_ledger_object, consent_ledger_open, consent_ledger_resolve_objection,
    consent_ledger_restrict, consent_ledger_withdraw, consent_result, consent_string_free,
};
use libfuzzer_sys::fuzz_target;

/// The fuzz input split at NUL bytes into NUL-terminated strings (arbitrary, maybe not UTF-8).
fn strings(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = data
        .split(|b| *b == 0)
        .map(|part| {
            let mut s = part.to_vec();
            s.push(0);
            s
        })
        .collect();
    while out.len() < 8 {
        out.push(vec![0]);
    }
    out
}

/// A call that records at most one event: no panic, one event on success and none on failure,
/// the string out-param written only on success (and freed here).
///
/// # Safety
/// `ledger` is live; `out` is NULL or a string the library allocated.
unsafe fn settle(ledger: *const consent_ledger, before: u64, rc: consent_result, out: *mut c_char) {
    assert_ne!(rc, consent_result::Panic);
    let after = unsafe { consent_ledger_event_count(ledger) };
    assert_eq!(after, before + u64::from(rc == consent_result::Ok));
    assert_eq!(rc == consent_result::Ok, !out.is_null());
    unsafe { consent_string_free(out) };
}

/// One in-memory ledger for the whole run (the handle is documented as shareable), kept as an
/// address so the static is `Sync`.
fn ledger() -> *const consent_ledger {
    static LEDGER: OnceLock<usize> = OnceLock::new();
    let address = *LEDGER.get_or_init(|| {
        let mut ledger: *const consent_ledger = ptr::null();
        let rc = unsafe { consent_ledger_open(c":memory:".as_ptr(), ptr::null(), &mut ledger) };
        assert_eq!(rc, consent_result::Ok);
        ledger as usize
    });
    address as *const consent_ledger
}

fuzz_target!(|data: &[u8]| {
    let parts = strings(data);
    let p = |i: usize| parts[i].as_ptr().cast::<c_char>();
    let ledger = ledger();
    unsafe {
        let before = consent_ledger_event_count(ledger);
        let mut grant_id: *mut c_char = ptr::null_mut();
        let rc = consent_ledger_grant(ledger, p(0), p(1), &mut grant_id);
        assert_ne!(rc, consent_result::Panic);
        let count = consent_ledger_event_count(ledger);
        assert_eq!(count, before + u64::from(rc == consent_result::Ok));
        if rc != consent_result::Ok {
            assert!(grant_id.is_null());
        }

        let categories = [p(5), p(6), p(7)];
        let n = usize::from(data.first().copied().unwrap_or(0) % 4);
        let mut decision: *mut consent_decision = ptr::null_mut();
        let rc = consent_ledger_decide(
            ledger,
            p(2),
            p(3),
            p(4),
            categories.as_ptr(),
            n,
            i64::from_le_bytes(
                data.get(..8)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or([0; 8]),
            ),
            &mut decision,
        );
        assert_ne!(rc, consent_result::Panic);
        consent_decision_free(decision);

        // The same request with the assertions JSON the input gives.
        let mut decision: *mut consent_decision = ptr::null_mut();
        let rc = consent_ledger_decide_asserted(
            ledger,
            p(2),
            p(3),
            p(4),
            categories.as_ptr(),
            n,
            p(1),
            0,
            &mut decision,
        );
        assert_ne!(rc, consent_result::Panic);
        assert_eq!(rc == consent_result::Ok, !decision.is_null());
        consent_decision_free(decision);

        let rc = consent_ledger_withdraw(ledger, p(2), i64::MAX, p(1), p(3));
        assert_ne!(rc, consent_result::Panic);
        assert_eq!(consent_ledger_event_count(ledger), count);

        // The rights that stop processing, with arbitrary subjects, grounds, purposes, ids,
        // outcomes, reasons, actors and instants.
        let at = i64::from_le_bytes(
            data.get(8..16)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 8]),
        );
        let mut out: *mut c_char = ptr::null_mut();
        let before = consent_ledger_event_count(ledger);
        let rc = consent_ledger_restrict(ledger, p(2), p(3), at, p(1), &mut out);
        settle(ledger, before, rc, out);
        let mut out: *mut c_char = ptr::null_mut();
        let before = consent_ledger_event_count(ledger);
        let rc = consent_ledger_lift_restriction(ledger, p(2), at, p(4), p(1), &mut out);
        settle(ledger, before, rc, out);
        let mut out: *mut c_char = ptr::null_mut();
        let before = consent_ledger_event_count(ledger);
        let rc = consent_ledger_object(ledger, p(2), p(4), at, p(1), &mut out);
        settle(ledger, before, rc, out);
        let mut out: *mut c_char = ptr::null_mut();
        let before = consent_ledger_event_count(ledger);
        let rc = consent_ledger_resolve_objection(ledger, p(5), p(6), at, p(7), p(1), &mut out);
        settle(ledger, before, rc, out);
        let mut out: *mut c_char = ptr::null_mut();
        let before = consent_ledger_event_count(ledger);
        let rc = consent_ledger_execute_kassasjon(ledger, p(2), p(1), &mut out);
        settle(ledger, before, rc, out);
        let mut out: *mut c_char = ptr::null_mut();
        let rc = consent_ledger_erasure_due(ledger, at, &mut out);
        assert_ne!(rc, consent_result::Panic);
        assert_eq!(rc == consent_result::Ok, !out.is_null());
        consent_string_free(out);

        consent_string_free(grant_id);
    }
});
