//! Helpers shared by the integration tests (included with `mod common;`).

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use chrono::{DateTime, TimeZone, Utc};
use consent_core::{
    Actor, Catalogue, GrantRequest, Ledger, LedgerOptions, MEMORY_PATH, NationalId, control_digits,
};

/// An adult, born 15 March 1985.
pub const ADULT: &str = "15038510190";

/// A valid national id born on `ddmmyy` with an individnummer starting `individ_prefix`
/// (two digits); the third individnummer digit is the first that gives valid control digits.
pub fn national_id(ddmmyy: &str, individ_prefix: &str) -> String {
    (0..10)
        .find_map(|d| control_digits(&format!("{ddmmyy}{individ_prefix}{d}")))
        .expect("some third digit gives valid control digits")
}

/// Noon UTC on a date.
pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// A case worker.
pub fn actor() -> Actor {
    Actor::new("saksbehandler-17", "case_worker").unwrap()
}

/// The operator of backups and restores: a role permitted `adopt_catalogue` (the DPO).
pub fn operator() -> Actor {
    Actor::new("personvernombud-1", "dpo").unwrap()
}

/// When the fixtures record: the morning their grants start (2026-01-05T09:00Z), so that no
/// fixture's `valid_from` is backdated.
pub fn recorded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()
}

/// Ledger options with the default catalogue and a test clock at [`recorded_at`].
pub fn options() -> LedgerOptions {
    LedgerOptions::default()
        .with_catalogue(Catalogue::embedded())
        .with_test_clock(recorded_at())
}

/// An in-memory ledger with the default catalogue and the fixtures' clock.
pub fn ledger() -> Ledger {
    Ledger::open(MEMORY_PATH, options()).unwrap()
}

/// Parses a national id with the ledger's options.
pub fn subject(ledger: &Ledger, number: &str) -> NationalId {
    ledger.parse_national_id(number).unwrap()
}

/// The grant JSON of docs/json.md, with the given scope.
pub fn grant_json(
    subject: &str,
    recipients: &[&str],
    purposes: &[&str],
    categories: &[&str],
    explicit: bool,
) -> serde_json::Value {
    serde_json::json!({
        "subject": subject,
        "grantor": {"role": "self"},
        "purposes": purposes,
        "recipients": recipients,
        "categories": categories,
        "explicit": explicit,
        "valid_from": "2026-01-05T09:00:00Z",
        "valid_until": null,
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

/// The record that a child was heard the day before the fixtures' grants start, for a
/// representative's grant for a child of 12 or older.
pub fn child_heard() -> serde_json::Value {
    serde_json::json!({"at": "2026-01-04T12:00:00Z", "position": "agrees", "reference": "2026/1233"})
}

/// Parses grant JSON with the ledger's options.
pub fn parse(ledger: &Ledger, json: &serde_json::Value) -> GrantRequest {
    ledger.parse_grant(&json.to_string()).unwrap()
}

/// The default catalogue with a finite retention (`years`) for every purpose instead of
/// "permanent", so that kassasjon can become due in a test.
pub fn finite_retention_catalogue(years: u32) -> Catalogue {
    let text = Catalogue::embedded_toml()
        .replace(
            "retention_years = \"permanent\"",
            &format!("retention_years = {years}"),
        )
        .replace(
            "access_log_retention_years = 5",
            &format!("access_log_retention_years = {years}"),
        );
    Catalogue::from_toml(&text).unwrap()
}

/// Ledger options as [`options`], with [`finite_retention_catalogue`] of one year.
pub fn kassasjon_options() -> LedgerOptions {
    LedgerOptions::default()
        .with_catalogue(finite_retention_catalogue(1))
        .with_test_clock(recorded_at())
}

/// Erases a subject as the ledger allows it now: an erasure request, then kassasjon once the
/// one-year retention of [`kassasjon_options`] has ended (the ledger's clock is moved on two
/// years and left there).
pub fn erase_by_kassasjon(ledger: &Ledger, subject: &NationalId) -> consent_core::ErasureOutcome {
    ledger.request_erasure(subject, &dpo()).unwrap();
    let later = ledger.now() + chrono::Duration::days(2 * 366);
    ledger.set_clock(later).unwrap();
    ledger.execute_kassasjon(subject, &archivist()).unwrap()
}

/// The events a test's own calls recorded: every event but the catalogue adoptions (a new
/// ledger records the adoption of its catalogue as its first event), so a count means what it
/// says whatever the ledger records of itself.
pub fn recorded(ledger: &Ledger) -> u64 {
    ledger
        .events()
        .unwrap()
        .iter()
        .filter(|e| e.kind != "catalogue_adopted")
        .count() as u64
}

/// The events a test's own calls recorded, in order (without the catalogue adoptions).
pub fn recorded_events(ledger: &Ledger) -> Vec<consent_core::Event> {
    ledger
        .events()
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != "catalogue_adopted")
        .collect()
}

/// The data protection officer (personvernombud): erasure requests, lifts, objections.
pub fn dpo() -> Actor {
    Actor::new("personvernombud-1", "dpo").unwrap()
}

/// The archivist: kassasjon.
pub fn archivist() -> Actor {
    Actor::new("arkivar-1", "archivist").unwrap()
}

/// The purpose of lookup the tests state when they read a person's data.
pub const LOOKUP: &str = "sak 2026/55: test";

/// An auditor: verifies the chain and reads statistics, nothing else.
pub fn auditor() -> Actor {
    Actor::new("revisor-1", "auditor").unwrap()
}
