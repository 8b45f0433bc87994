//! The law as data, version 2 (part 2): minors and representatives as Norwegian law has them
//! (DOMAIN.md section 0.3). One test per acceptance case of issue 16, with M a person born
//! 2010-05-01 (15 in spring 2026, 16 on 2026-05-01), the default catalogue, times UTC, and the
//! ledger's clock set (test mode) so that fixed dates are not backdating.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use crate::common::*;
use chrono::{DateTime, Utc};
use consent_core::{DenialReason, ErrorCode, Ledger, LedgerOptions, MEMORY_PATH};
use serde_json::json;

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// M: born 1 May 2010.
fn m() -> String {
    national_id("010510", "51")
}

/// A ledger whose clock reads `now`.
fn ledger_at(now: &str) -> Ledger {
    Ledger::open(
        MEMORY_PATH,
        LedgerOptions::default().with_test_clock(instant(now)),
    )
    .unwrap()
}

fn heard() -> serde_json::Value {
    json!({"at": "2026-01-04T12:00:00Z", "position": "agrees", "reference": "2026/1233"})
}

#[test]
fn a_fifteen_year_old_consents_alone_only_after_a_maturity_assessment() {
    let ledger = ledger_at("2026-03-01T10:00:00Z");
    let mut own = grant_json(
        &m(),
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    own["valid_from"] = "2026-03-01T09:00:00Z".into();
    let err = ledger.grant(&parse(&ledger, &own), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.message().contains("maturity assessment"),
        "{}",
        err.message()
    );
    assert_eq!(crate::common::recorded(&ledger), 0);

    own["maturity_assessment"] = json!({"assessed_by": "helsesykepleier", "reference": "2026/71", "at": "2026-02-27T13:00:00Z"});
    let id = ledger.grant(&parse(&ledger, &own), &actor()).unwrap();
    assert_eq!(crate::common::recorded(&ledger), 1);
    let decision = ledger
        .decide_with(
            &subject(&ledger, &m()),
            "nav",
            "employment_followup",
            &["finances"],
            instant("2026-03-02T10:00:00Z"),
        )
        .unwrap();
    assert!(decision.permitted());
    // The assessment is part of the record of the consent.
    let export = ledger
        .subject_export(
            &subject(&ledger, &m()),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap();
    let record = &export.consent_records[0];
    assert_eq!(record.record_id, id);
    assert_eq!(
        record
            .maturity_assessment
            .as_ref()
            .map(|a| a.reference.as_str()),
        Some("2026/71")
    );
}

#[test]
fn a_representants_grant_ends_with_the_representants_authority() {
    let ledger = ledger_at("2026-01-05T10:00:00Z");
    let mut grant = grant_json(
        &m(),
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    grant["grantor"] = json!({"role": "representant", "id": ADULT, "authority": "UDI 2025/991",
                              "authority_valid_until": "2026-06-01T00:00:00Z"});
    grant["child_heard"] = heard();
    let id = ledger.grant(&parse(&ledger, &grant), &actor()).unwrap();
    let s = subject(&ledger, &m());
    let decide = |at: &str| {
        ledger
            .decide_with(&s, "nav", "employment_followup", &["finances"], instant(at))
            .unwrap()
    };
    assert!(decide("2026-05-01T10:00:00Z").permitted());
    assert_eq!(
        decide("2026-07-01T10:00:00Z").denial(),
        Some(DenialReason::GrantorAuthorityEnded)
    );
    // And it is on the re-consent worklist before then.
    let due = ledger
        .reconsent_due(instant("2026-05-15T00:00:00Z"), chrono::Duration::days(30))
        .unwrap();
    assert!(
        due.iter().any(|item| item.grant_id == id
            && item.reason.as_str() == "authority_ends"
            && item.due_at == instant("2026-06-01T00:00:00Z")),
        "{due:?}"
    );
}

#[test]
fn a_parents_health_grant_lapses_when_the_child_turns_sixteen() {
    let ledger = ledger_at("2026-01-05T10:00:00Z");
    let mut grant = grant_json(
        &m(),
        &["helsetjenesten"],
        &["health_coordination"],
        &["health"],
        true,
    );
    grant["grantor"] = json!({"role": "parent", "id": ADULT, "authority": "Folkeregisteret"});
    grant["child_heard"] = heard();
    ledger.grant(&parse(&ledger, &grant), &actor()).unwrap();
    let s = subject(&ledger, &m());
    let decide = |at: &str| {
        ledger
            .decide_with(
                &s,
                "helsetjenesten",
                "health_coordination",
                &["health"],
                instant(at),
            )
            .unwrap()
    };
    assert!(decide("2026-04-30T10:00:00Z").permitted());
    assert_eq!(
        decide("2026-05-02T10:00:00Z").denial(),
        Some(DenialReason::ReconsentRequired)
    );
}

#[test]
fn a_representative_of_a_thirteen_year_old_records_that_the_child_was_heard() {
    let ledger = ledger();
    // Born 1 June 2012: 13 at the fixtures' valid_from.
    let child = national_id("010612", "51");
    let mut grant = grant_json(
        &child,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    grant["grantor"] =
        json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1"});
    let err = ledger.grant(&parse(&ledger, &grant), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.message().contains("child was heard"),
        "{}",
        err.message()
    );
    assert_eq!(crate::common::recorded(&ledger), 0);
    grant["child_heard"] = heard();
    ledger.grant(&parse(&ledger, &grant), &actor()).unwrap();
    assert_eq!(crate::common::recorded(&ledger), 1);
}

#[test]
fn a_birth_date_from_folkeregisteret_gives_a_d_number_its_lapse() {
    let ledger = ledger();
    // A D-nummer whose date (15 January 2024) is a registration date, not a birth date.
    let d_number = national_id("550124", "51");
    assert_eq!(
        subject(&ledger, &d_number).kind(),
        consent_core::IdKind::DNummer
    );
    let mut grant = grant_json(
        &d_number,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    grant["grantor"] =
        json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/2"});
    grant["child_heard"] = heard();
    grant["subject_birth_date"] = "2009-11-20".into();
    ledger.grant(&parse(&ledger, &grant), &actor()).unwrap();
    let s = subject(&ledger, &d_number);
    let decide = |at: DateTime<Utc>| {
        ledger
            .decide_with(&s, "nav", "employment_followup", &["finances"], at)
            .unwrap()
    };
    // Local midnight of 2027-11-20 in Norway (winter time, UTC+1).
    let eighteen = instant("2027-11-19T23:00:00Z");
    assert!(decide(eighteen - chrono::Duration::microseconds(1)).permitted());
    assert_eq!(
        decide(eighteen).denial(),
        Some(DenialReason::ReconsentRequired)
    );
    // The birth date itself is not stored: only the lapse it implies.
    let events = crate::common::recorded_events(&ledger);
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("2009-11-20"), "{text}");
}
