//! Data-subject rights and reporting: export (golden file), access requests, rectification,
//! erasure or restriction, disclosures, statistics and the re-consent worklist.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::sync::{Arc, Mutex};

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use consent_core::{
    Catalogue, Clock, Correction, DenialReason, DisclosureRequest, ErasureOutcome, ErrorCode,
    EventPayload, Ledger, LedgerOptions, PseudonymKey, ReconsentReason, StatisticsQuery,
};

#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn set(&self, at: &str) {
        *self.0.lock().unwrap() = at.parse().unwrap();
    }
}

fn ledger_at(start: &str) -> (Ledger, Arc<TestClock>) {
    ledger_with(start, Catalogue::embedded())
}

fn ledger_with(start: &str, catalogue: Catalogue) -> (Ledger, Arc<TestClock>) {
    let clock = Arc::new(TestClock(Mutex::new(start.parse().unwrap())));
    let options = LedgerOptions::default()
        .with_catalogue(catalogue)
        .with_key(PseudonymKey::from_bytes([42; 32]))
        .with_clock(clock.clone());
    (Ledger::open(":memory:", options).unwrap(), clock)
}

fn disclosure(
    ledger: &Ledger,
    number: &str,
    recipient: &str,
    purpose: &str,
    categories: &[&str],
    at: DateTime<Utc>,
) -> DisclosureRequest {
    DisclosureRequest::new(subject(ledger, number), recipient, purpose, categories, at).unwrap()
}

/// Replaces every UUID with `<uuid-N>`, numbered in order of first appearance.
fn normalise_uuids(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start + 1);
        out.push_str(before);
        let candidate = after.get(..36).unwrap_or("");
        if candidate.len() == 36
            && uuid::Uuid::parse_str(candidate).is_ok()
            && after.as_bytes().get(36) == Some(&b'"')
        {
            let n = match seen.iter().position(|s| s == candidate) {
                Some(n) => n,
                None => {
                    seen.push(candidate.to_owned());
                    seen.len() - 1
                }
            };
            out.push_str(&format!("<uuid-{n}>"));
            rest = &after[36..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_export_format_is_pinned_by_a_golden_file() {
    let (ledger, clock) = ledger_at("2026-01-05T10:00:00Z");
    let nav = ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(
                    ADULT,
                    &["nav"],
                    &["employment_followup"],
                    &["finances"],
                    false,
                ),
            ),
            &actor(),
        )
        .unwrap();
    let mut health = grant_json(
        ADULT,
        &["laeringssenteret"],
        &["health_coordination"],
        &["health"],
        true,
    );
    health["valid_until"] = "2026-12-31T23:00:00Z".into();
    let health = ledger.grant(&parse(&ledger, &health), &actor()).unwrap();
    clock.set("2026-02-01T09:00:00Z");
    ledger
        .record_disclosure(
            &disclosure(
                &ledger,
                ADULT,
                "nav",
                "employment_followup",
                &["name", "finances"],
                at(2026, 2, 1),
            ),
            &actor(),
        )
        .unwrap();
    ledger
        .record_disclosure(
            &disclosure(
                &ledger,
                ADULT,
                "nir",
                "nir_registration",
                &["name", "national_id"],
                at(2026, 2, 1),
            ),
            &actor(),
        )
        .unwrap();
    clock.set("2026-03-01T09:00:00Z");
    ledger
        .withdraw(nav, at(2026, 3, 1), &actor(), Some("by phone"))
        .unwrap();
    ledger
        .rectify(
            &subject(&ledger, ADULT),
            health,
            Correction::EvidenceReference("2026/1235".into()),
            "typing error in the case number",
            &actor(),
        )
        .unwrap();
    let mut refusal = grant_json(
        ADULT,
        &["helsetjenesten"],
        &["health_coordination"],
        &["family"],
        false,
    );
    let map = refusal.as_object_mut().unwrap();
    map.remove("explicit");
    map.remove("valid_until");
    map.remove("valid_from");
    map.insert("at".into(), "2026-03-01T09:00:00Z".into());
    let refusal =
        consent_core::RefusalRequest::from_json_with(&refusal.to_string(), Default::default())
            .unwrap();
    ledger.refuse(&refusal, &actor()).unwrap();
    clock.set("2026-03-10T12:00:00Z");
    let request = ledger
        .register_access_request(
            &subject(&ledger, ADULT),
            "2026-03-10T08:00:00Z".parse().unwrap(),
            &actor(),
        )
        .unwrap();
    assert_eq!(request.due_at.to_rfc3339(), "2026-04-10T08:00:00+00:00");

    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap();
    let text = export.to_json().unwrap();
    assert!(
        !text.contains(ADULT),
        "the export must not contain the national id"
    );
    let normalised = normalise_uuids(&text) + "\n";
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/subject_export.json"
    );
    if std::env::var_os("CONSENT_BLESS").is_some() {
        std::fs::write(golden, &normalised).unwrap();
    }
    let expected = std::fs::read_to_string(golden).unwrap_or_default();
    assert!(
        normalised == expected,
        "the export format changed; if intended, run `CONSENT_BLESS=1 cargo test -p consent-core --test integration rights::` and review the diff\n{normalised}"
    );
    // What the person is told: the recipients the data went to.
    let recipients: Vec<_> = export.to_value().unwrap()["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["recipient"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recipients, ["nav", "nir"]);
}

#[test]
fn a_rectified_validity_applies_from_the_correction_on() {
    let (ledger, clock) = ledger_at("2026-01-05T10:00:00Z");
    let mut json = grant_json(ADULT, &["bufetat"], &["case_handling"], &["family"], false);
    json["valid_until"] = "2026-12-31T00:00:00Z".into();
    let id = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let s = subject(&ledger, ADULT);
    let decide = |t: DateTime<Utc>| {
        ledger
            .decide_with(&s, "bufetat", "case_handling", &["family"], t)
            .unwrap()
    };
    let before_correction = at(2026, 2, 15);
    let summer = at(2026, 7, 1);
    assert!(decide(before_correction).permitted());
    assert!(decide(summer).permitted());

    clock.set("2026-03-01T00:00:00Z");
    ledger
        .rectify(
            &s,
            id,
            Correction::ValidUntil(Some("2026-06-30T00:00:00Z".parse().unwrap())),
            "the form said 30 June",
            &actor(),
        )
        .unwrap();
    // Decisions for instants before the correction are unchanged; after it, the new end holds.
    assert!(decide(before_correction).permitted());
    assert!(decide(at(2026, 6, 29)).permitted());
    assert_eq!(decide(summer).denial(), Some(DenialReason::Expired));
    // History is not rewritten: the grant's own event still says 31 December.
    let events = crate::common::recorded_events(&ledger);
    match &events[0].payload {
        EventPayload::GrantRecorded(g) => assert_eq!(
            g.valid_until.unwrap().to_rfc3339(),
            "2026-12-31T00:00:00+00:00"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(events[1].kind, "subject_rectified");

    // Bad corrections change nothing.
    let count = ledger.event_count();
    let err = ledger
        .rectify(
            &s,
            id,
            Correction::ValidUntil(Some("2025-01-01T00:00:00Z".parse().unwrap())),
            "x",
            &actor(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let mut other = grant_json(
        &national_id("010280", "12"),
        &["nav"],
        &["case_handling"],
        &["name"],
        false,
    );
    // Given the day it is recorded (the clock now reads 1 March).
    other["valid_from"] = "2026-03-01T00:00:00Z".into();
    let other = ledger.grant(&parse(&ledger, &other), &actor()).unwrap();
    let err = ledger
        .rectify(
            &s,
            other,
            Correction::EvidenceReference("x".into()),
            "x",
            &actor(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(ledger.event_count(), count + 1);

    // The rectified state survives a replay.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    {
        let file = Ledger::open(&path, options()).unwrap();
        let id = file.grant(&parse(&file, &json), &actor()).unwrap();
        file.rectify(
            &s,
            id,
            Correction::ValidUntil(Some("2026-06-30T00:00:00Z".parse().unwrap())),
            "form",
            &actor(),
        )
        .unwrap();
    }
    let file = Ledger::open(&path, options()).unwrap();
    let now = Utc::now();
    let late = ledger_max(now, summer);
    assert_eq!(
        file.decide_with(&s, "bufetat", "case_handling", &["family"], late)
            .unwrap()
            .denial(),
        Some(DenialReason::Expired)
    );
}

fn ledger_max(a: DateTime<Utc>, b: DateTime<Utc>) -> DateTime<Utc> {
    a.max(b) + Duration::days(1)
}

#[test]
fn erasure_under_an_archival_duty_becomes_a_restriction() {
    let (ledger, clock) = ledger_at("2026-01-05T10:00:00Z");
    ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(
                    ADULT,
                    &["nav"],
                    &["employment_followup"],
                    &["finances"],
                    false,
                ),
            ),
            &actor(),
        )
        .unwrap();
    ledger
        .record_disclosure(
            &disclosure(
                &ledger,
                ADULT,
                "nir",
                "nir_registration",
                &["name", "national_id"],
                at(2026, 2, 1),
            ),
            &actor(),
        )
        .unwrap();
    clock.set("2026-04-01T00:00:00Z");
    let outcome = ledger
        .request_erasure(&subject(&ledger, ADULT), &dpo())
        .unwrap();
    match &outcome {
        ErasureOutcome::Restricted {
            rules, statutes, ..
        } => {
            assert_eq!(rules[0].as_str(), "nir_registration");
            assert_eq!(statutes[0], "integreringsloven § 43");
        }
        other => panic!("{other:?}"),
    }
    let s = subject(&ledger, ADULT);
    let consent = |t| {
        ledger
            .decide_with(&s, "nav", "employment_followup", &["finances"], t)
            .unwrap()
    };
    assert!(
        consent(at(2026, 3, 1)).permitted(),
        "decisions before the request stand"
    );
    // The request withdrew the grant; the restriction itself would let consent through.
    assert_eq!(
        consent(at(2026, 4, 2)).denial(),
        Some(DenialReason::Withdrawn)
    );
    // The registration in NIR continues under a restriction (the catalogue says so) ...
    assert!(
        ledger
            .decide_with(&s, "nir", "nir_registration", &["name"], at(2026, 4, 2))
            .unwrap()
            .permitted()
    );
    // ... other statutory exchanges stop.
    assert_eq!(
        ledger
            .decide_with(&s, "imdi", "settlement", &["name"], at(2026, 4, 2))
            .unwrap()
            .denial(),
        Some(DenialReason::Restricted)
    );
    // The default catalogue keeps these records for good: kassasjon is never due.
    assert_eq!(
        ledger
            .execute_kassasjon(&s, &archivist())
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    let count = ledger.event_count();
    assert_eq!(
        ledger.request_erasure(&s, &dpo()).unwrap_err().code(),
        ErrorCode::Conflict
    );
    assert_eq!(ledger.event_count(), count);
    assert_eq!(
        ledger
            .subject_export(&s, &crate::common::actor(), crate::common::LOOKUP)
            .unwrap()
            .to_value()
            .unwrap()["status"],
        "restricted"
    );
}

#[test]
fn erasure_destroys_the_subjects_payloads_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erase.db");
    let other = national_id("010280", "12");
    {
        let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
        let mut json = grant_json(ADULT, &["bufetat"], &["case_handling"], &["family"], false);
        json["evidence"]["reference"] = "SECRET-REF-4711".into();
        ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
        ledger
            .grant(
                &parse(
                    &ledger,
                    &grant_json(&other, &["bufetat"], &["case_handling"], &["family"], false),
                ),
                &actor(),
            )
            .unwrap();
        let outcome = erase_by_kassasjon(&ledger, &subject(&ledger, ADULT));
        // The grant and its withdrawal by the erasure request.
        assert!(
            matches!(
                outcome,
                ErasureOutcome::Erased {
                    events_erased: 2,
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert!(ledger.verify().unwrap().ok);
        let s = subject(&ledger, ADULT);
        assert_eq!(
            ledger
                .decide_with(&s, "bufetat", "case_handling", &["family"], at(2026, 3, 1))
                .unwrap()
                .denial(),
            Some(DenialReason::NoBasis)
        );
        let events = crate::common::recorded_events(&ledger);
        assert_eq!(events[0].payload, EventPayload::Redacted);
        assert_eq!(events[0].kind, "grant_recorded");
        assert!(
            matches!(events[1].payload, EventPayload::GrantRecorded(_)),
            "others are untouched"
        );
        assert_eq!(
            ledger.request_erasure(&s, &dpo()).unwrap_err().code(),
            ErrorCode::Conflict
        );
        // A look-up afterwards is recorded under a new key; the person stays erased.
        assert_eq!(
            ledger
                .subject_export(&s, &crate::common::actor(), crate::common::LOOKUP)
                .unwrap()
                .to_value()
                .unwrap()["status"],
            "erased"
        );
        // An access request afterwards is recorded, and the subject is still erased.
        ledger
            .register_access_request(&s, at(2026, 4, 1), &actor())
            .unwrap();
        assert_eq!(
            ledger
                .subject_export(&s, &crate::common::actor(), crate::common::LOOKUP)
                .unwrap()
                .to_value()
                .unwrap()["status"],
            "erased"
        );
    }
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    assert!(ledger.verify().unwrap().ok);
    assert_eq!(
        crate::common::recorded_events(&ledger)[0].payload,
        EventPayload::Redacted
    );
    let s = subject(&ledger, &other);
    assert!(
        ledger
            .decide_with(&s, "bufetat", "case_handling", &["family"], at(2026, 3, 1))
            .unwrap()
            .permitted()
    );
    // The person can consent again; the new grant works and the old one stays unreadable.
    let again = ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false),
            ),
            &actor(),
        )
        .unwrap();
    assert!(
        ledger
            .decide_with(
                &subject(&ledger, ADULT),
                "nav",
                "case_handling",
                &["family"],
                at(2026, 3, 1)
            )
            .unwrap()
            .permitted()
    );
    drop(ledger);
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    let events = crate::common::recorded_events(&ledger);
    assert_eq!(events[0].payload, EventPayload::Redacted);
    assert!(
        matches!(&events.last().unwrap().payload, EventPayload::GrantRecorded(g) if g.grant_id == again)
    );
}

#[test]
fn an_unknown_subject_gets_an_export_that_says_nothing_is_held_and_only_the_look_up_is_written() {
    let (ledger, _) = ledger_at("2026-01-05T10:00:00Z");
    ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(ADULT, &["nav"], &["case_handling"], &["name"], false),
            ),
            &actor(),
        )
        .unwrap();
    let stranger = subject(&ledger, &national_id("010280", "12"));
    let count = ledger.event_count();
    let export = ledger
        .subject_export(&stranger, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "nothing_held");
    assert_eq!(export["consent_records"], serde_json::json!([]));
    assert_eq!(export["disclosures"], serde_json::json!([]));
    assert_eq!(
        ledger
            .request_erasure(&stranger, &dpo())
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    let some_grant = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    assert_eq!(
        ledger
            .rectify(
                &stranger,
                some_grant,
                Correction::EvidenceReference("x".into()),
                "x",
                &actor()
            )
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    // The export's look-up is recorded (and listed); nothing else is written.
    assert_eq!(ledger.event_count(), count + 1);
    assert_eq!(export["accesses"].as_array().map(Vec::len), Some(1));
    // The person may still ask what is held: the request is registered and answered, and the
    // answer is that nothing is held but the request itself.
    ledger
        .register_access_request(&stranger, at(2026, 2, 1), &actor())
        .unwrap();
    let export = ledger
        .subject_export(&stranger, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "nothing_held");
    assert_eq!(export["access_requests"].as_array().unwrap().len(), 1);
}

#[test]
fn statistics_suppress_small_cells_and_hold_no_individual_rows() {
    let (ledger, _) = ledger_at("2026-01-05T10:00:00Z");
    for day in 10..17 {
        let person = national_id(&format!("{day}0280"), "12");
        ledger
            .grant(
                &parse(
                    &ledger,
                    &grant_json(
                        &person,
                        &["nav"],
                        &["employment_followup"],
                        &["finances"],
                        false,
                    ),
                ),
                &actor(),
            )
            .unwrap();
    }
    for day in 20..22 {
        let person = national_id(&format!("{day}0280"), "12");
        ledger
            .grant(
                &parse(
                    &ledger,
                    &grant_json(
                        &person,
                        &["bufetat"],
                        &["case_handling"],
                        &["family"],
                        false,
                    ),
                ),
                &actor(),
            )
            .unwrap();
    }
    let stats = ledger
        .statistics(
            &StatisticsQuery {
                to: Some("2026-Q2".into()),
                ..StatisticsQuery::default()
            },
            &auditor(),
        )
        .unwrap();
    assert_eq!(stats.min_cell, 5);
    // The periods run from the first event's quarter to the one asked for.
    assert_eq!(stats.periods, ["2026-Q1", "2026-Q2"]);
    let nav = stats
        .rows
        .iter()
        .find(|r| r.recipient.as_str() == "nav")
        .unwrap();
    assert_eq!(nav.period, "2026-Q1");
    // Beside bufetat's suppressed 2, the shown total would give it away (9 - 7): nav's count
    // is suppressed too (secondary suppression).
    assert_eq!(nav.grants, None);
    assert_eq!(stats.totals[0].grants, Some(9));
    assert_eq!(nav.withdrawals, Some(0));
    let bufetat = stats
        .rows
        .iter()
        .find(|r| r.recipient.as_str() == "bufetat")
        .unwrap();
    assert_eq!(bufetat.grants, None, "2 is below the threshold");
    let active_nav = stats
        .active_grants
        .iter()
        .find(|a| a.recipient.as_str() == "nav" && a.period == "2026-Q2")
        .unwrap();
    assert_eq!(active_nav.count, Some(7));
    let json = serde_json::to_string(&stats).unwrap();
    assert!(!json.contains("pseudonym") && !json.contains("subject"));
    assert_eq!(
        ledger
            .statistics(
                &StatisticsQuery {
                    min_cell: Some(2),
                    ..StatisticsQuery::default()
                },
                &auditor(),
            )
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}

#[test]
fn the_reconsent_worklist_lists_what_lapses_within_the_window() {
    // A catalogue that still accepts grants given under the notice's earlier version.
    let catalogue = Catalogue::from_toml(&Catalogue::embedded_toml().replacen(
        "version = \"2024-10-16\"",
        "version = \"2024-10-16\"\nearlier = [\"2023-01-01\"]",
        1,
    ))
    .unwrap();
    let (ledger, _) = ledger_with("2026-01-05T10:00:00Z", catalogue);
    // A child born 1 June 2011 with a verge: lapses 1 June 2029.
    let child = national_id("010611", "51");
    let mut by_verge = grant_json(&child, &["nav"], &["case_handling"], &["family"], false);
    by_verge["grantor"] =
        serde_json::json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1"});
    by_verge["child_heard"] = child_heard();
    let lapsing = ledger.grant(&parse(&ledger, &by_verge), &actor()).unwrap();
    let mut expiring = grant_json(ADULT, &["bufetat"], &["case_handling"], &["family"], false);
    expiring["valid_until"] = "2029-04-01T00:00:00Z".into();
    let expiring = ledger.grant(&parse(&ledger, &expiring), &actor()).unwrap();
    let mut old_notice = grant_json(
        &national_id("010280", "12"),
        &["nav"],
        &["case_handling"],
        &["name"],
        false,
    );
    old_notice["notice"]["version"] = "2023-01-01".into();
    let old_notice = ledger
        .grant(&parse(&ledger, &old_notice), &actor())
        .unwrap();
    ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(
                    &national_id("020280", "12"),
                    &["nav"],
                    &["case_handling"],
                    &["name"],
                    false,
                ),
            ),
            &actor(),
        )
        .unwrap();

    let items = ledger
        .reconsent_due(at(2029, 3, 1), Duration::days(120))
        .unwrap();
    let found: Vec<_> = items.iter().map(|i| (i.grant_id, i.reason)).collect();
    assert_eq!(
        found,
        [
            (old_notice, ReconsentReason::NoticeSuperseded),
            (expiring, ReconsentReason::Expires),
            (lapsing, ReconsentReason::ComesOfAge),
        ]
    );
    assert_eq!(items[2].due_at.to_rfc3339(), "2029-05-31T22:00:00+00:00");
    assert_eq!(
        items[2].subject,
        ledger.pseudonym(&subject(&ledger, &child))
    );
    // A shorter window sees only the superseded notice.
    let soon = ledger
        .reconsent_due(at(2029, 3, 1), Duration::days(10))
        .unwrap();
    assert_eq!(soon.len(), 1);
    assert_eq!(
        ledger
            .reconsent_due(at(2029, 3, 1), Duration::days(-1))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}
