//! Grant JSON: never panics; parse → serialise → parse gives the same request, and a ledger
//! either records it or rejects it without changing anything.
#![no_main]

use std::sync::OnceLock;

use consent_core::{Actor, GrantRequest, Ledger, LedgerOptions};
use libfuzzer_sys::fuzz_target;

fn ledger() -> &'static Ledger {
    static LEDGER: OnceLock<Ledger> = OnceLock::new();
    // The clock reads the day the corpus's grants start, so that they are not refused as
    // backdated before the rest of the checks run.
    LEDGER.get_or_init(|| {
        let today = "2026-01-05T10:00:00Z".parse().expect("an instant");
        Ledger::open(":memory:", LedgerOptions::default().with_test_clock(today))
            .expect("an in-memory ledger")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = GrantRequest::from_json(text) else {
        return;
    };
    let json = request.to_json().expect("a parsed request serialises");
    let again = GrantRequest::from_json(&json).expect("a serialised request parses");
    assert_eq!(again, request);
    let ledger = ledger();
    let before = ledger.event_count();
    // A case worker may grant (the `system` role may not: every grant would be refused).
    let actor = Actor::new("fuzz", "case_worker").expect("a valid actor");
    match ledger.grant(&request, &actor) {
        Ok(_) => assert_eq!(ledger.event_count(), before + 1),
        Err(_) => assert_eq!(ledger.event_count(), before),
    }
});
