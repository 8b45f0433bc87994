//! The shared write path on PostgreSQL, with two `PgLog`s standing in for two hosts: writes
//! catch up under the lock and validate against the current state, decisions check the head,
//! and what a ledger writes is stamped with the server's clock.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use consent_core::{
    Actor, Clock, DisclosureRequest, ErrorCode, GrantId, Ledger, LedgerOptions, PseudonymKey,
};
use consent_postgres::PgLog;

use crate::common::TestSchema;

/// A ledger on its own `PgLog` (its own connections: another host, as far as the server can
/// tell).
pub fn host(url: &str, key: &PseudonymKey, options: LedgerOptions) -> Ledger {
    Ledger::with_store(
        Box::new(PgLog::open(url).expect("open log")),
        options.with_key(key.clone()),
    )
    .expect("open ledger")
}

pub fn actor() -> Actor {
    Actor::new("saksbehandler-17", "case_worker").expect("actor")
}

/// The grant JSON of the project's example subject, valid from `from`.
pub fn grant_json(from: DateTime<Utc>) -> String {
    serde_json::json!({
        "subject": "15038510190", "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances"], "explicit": false,
        "valid_from": from.trunc_subsecs(0).to_rfc3339(),
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
    .to_string()
}

pub fn grant(ledger: &Ledger) -> GrantId {
    let request = ledger
        .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
        .expect("grant json");
    ledger.grant(&request, &actor()).expect("grant")
}

/// Whether `ledger` permits the example grant's disclosure now, and at which position.
pub fn permits(ledger: &Ledger) -> (bool, u64) {
    let subject = ledger.parse_national_id("15038510190").expect("id");
    let decision = ledger
        .decide_with(
            &subject,
            "nav",
            "employment_followup",
            &["finances"],
            Utc::now(),
        )
        .expect("decide");
    (decision.permitted(), decision.as_of_seq())
}

#[test]
fn a_decision_sees_what_another_host_wrote() {
    let Some(schema) = TestSchema::new("fresh") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    let b = host(&schema.url(), &key, LedgerOptions::default());
    assert_eq!(permits(&b), (false, 1));

    let id = grant(&a);
    assert_eq!(
        permits(&b),
        (true, 2),
        "B's decision checks the head and catches up"
    );
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    assert_eq!(permits(&b), (false, 3));
    assert_eq!(b.event_count(), 3);
    assert!(b.verify().expect("verify").ok);
}

#[test]
fn the_same_grant_withdrawn_by_two_hosts_at_once_is_withdrawn_once() {
    let Some(schema) = TestSchema::new("twice") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    let b = host(&schema.url(), &key, LedgerOptions::default());
    for round in 0..20 {
        let id = grant(&a);
        // B learns of the grant, so both hold a view in which it can be withdrawn.
        assert!(permits(&b).0);
        let before = a.event_count();
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|ledger| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    ledger.withdraw(id, Utc::now(), &actor(), Some("the subject asked"))
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {results:?}");
        let failed = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("one failed");
        assert_eq!(failed.code(), ErrorCode::Conflict, "{failed}");
        // Exactly one withdrawal was written.
        assert_eq!(permits(&a), (false, before + 1));
        assert_eq!(permits(&b), (false, before + 1));
    }
    let events = a.events().expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "grant_withdrawn")
            .count(),
        20
    );
    assert!(a.verify().expect("verify").ok);
}

#[test]
fn a_host_with_a_stale_view_catches_up_before_it_writes() {
    let Some(schema) = TestSchema::new("stale") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    // B decides from a view up to an hour old, so it does not look before this write.
    let b = host(
        &schema.url(),
        &key,
        LedgerOptions::default().with_max_staleness_ms(3_600_000),
    );
    let id = grant(&a);
    assert_eq!(permits(&b), (true, 2));
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    // B's view is stale (it opted into that for decisions) ...
    assert_eq!(permits(&b), (true, 2));
    // ... but its write catches up under the lock and is validated against the current state.
    let error = b
        .withdraw(id, Utc::now(), &actor(), None)
        .expect_err("already withdrawn");
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    assert_eq!(b.event_count(), 3, "nothing written, and B caught up");
    assert_eq!(permits(&b), (false, 3));

    // A new write from a stale view chains after what the other host wrote.
    let again = grant(&a);
    let mine = grant(&b);
    assert_ne!(again, mine);
    assert_eq!(b.event_count(), 5);
    assert!(a.verify().expect("verify").ok);
    assert_eq!(a.events().expect("events").len(), 5);
}

#[test]
fn a_disclosure_is_checked_again_under_the_lock() {
    let Some(schema) = TestSchema::new("disclose") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    let b = host(
        &schema.url(),
        &key,
        LedgerOptions::default().with_max_staleness_ms(3_600_000),
    );
    let id = grant(&a);
    assert!(permits(&b).0);
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    assert!(permits(&b).0, "B's bounded staleness keeps its view");
    let subject = b.parse_national_id("15038510190").expect("id");
    let request = DisclosureRequest::new(
        subject,
        "nav",
        "employment_followup",
        &["finances"],
        Utc::now(),
    )
    .expect("request");
    let error = b
        .record_disclosure(&request, &actor())
        .expect_err("withdrawn elsewhere");
    assert_eq!(error.code(), ErrorCode::NotPermitted, "{error}");
    assert_eq!(a.events().expect("events").len(), 3, "nothing recorded");
}

#[test]
fn bounded_staleness_checks_again_once_the_bound_passed() {
    let Some(schema) = TestSchema::new("bound") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    let b = host(
        &schema.url(),
        &key,
        LedgerOptions::default().with_max_staleness_ms(200),
    );
    assert_eq!(permits(&b), (false, 1));
    let id = grant(&a);
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(permits(&b), (true, 2));
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(permits(&b), (false, 3));
}

/// A clock a day behind: what a host whose clock is wrong would stamp.
#[derive(Debug)]
struct Behind;

impl Clock for Behind {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6) - Duration::days(1)
    }
}

#[test]
fn what_a_host_writes_is_stamped_by_the_servers_clock() {
    let Some(schema) = TestSchema::new("clock") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = host(&schema.url(), &key, LedgerOptions::default());
    let b = host(
        &schema.url(),
        &key,
        LedgerOptions::default().with_clock(Arc::new(Behind)),
    );
    let request = b
        .parse_grant(&grant_json(Utc::now() - Duration::days(3)))
        .expect("json");
    b.grant(&request, &actor())
        .expect("grant from the host whose clock is behind");
    grant(&a);
    let server: DateTime<Utc> = schema.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        .into_iter()
        .flatten()
        .next()
        .expect("server time")
        .parse()
        .expect("time");
    let events = a.events().expect("events");
    let stamped: Vec<DateTime<Utc>> = events.iter().skip(1).map(|e| e.recorded_at).collect();
    assert_eq!(stamped.len(), 2);
    for at in &stamped {
        assert!(
            (server - *at).num_seconds().abs() < 60,
            "{at} is not the server's time {server}"
        );
    }
    assert!(stamped.windows(2).all(|w| w[0] <= w[1]), "{stamped:?}");
}
