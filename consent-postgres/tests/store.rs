//! consent-core's Store contract over PgLog: a whole ledger on PostgreSQL.

use chrono::{Duration, SubsecRound, Utc};
use consent_core::{Actor, ErrorCode, Ledger, LedgerOptions, PseudonymKey};
use consent_postgres::PgLog;

use crate::common::TestSchema;

fn open(url: &str, key: &PseudonymKey) -> consent_core::Result<Ledger> {
    Ledger::with_store(
        Box::new(PgLog::open(url)?),
        LedgerOptions {
            key: Some(key.clone()),
            ..LedgerOptions::default()
        },
    )
}

#[test]
fn a_ledger_round_trips_through_postgres() {
    let Some(schema) = TestSchema::new("ledger") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let actor = Actor::new("saksbehandler-17", "case_worker").expect("actor");
    let start = Utc::now().trunc_subsecs(0) - Duration::days(1);
    let (grant_id, health_id) = {
        let ledger = open(&schema.url(), &key).expect("create");
        let subject = "15038510190";
        let grant = |purpose: &str, recipient: &str, category: &str| {
            let json = serde_json::json!({
                "subject": subject, "grantor": {"role": "self"},
                "purposes": [purpose], "recipients": [recipient],
                "categories": [category], "explicit": true,
                "valid_from": start.to_rfc3339(), "valid_until": null,
                "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                             "interpreter": true},
                "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
            });
            let request = ledger.parse_grant(&json.to_string()).expect("grant json");
            ledger.grant(&request, &actor).expect("grant")
        };
        let grant_id = grant("employment_followup", "nav", "finances");
        let health_id = grant("health_coordination", "helsetjenesten", "health");
        assert_eq!(ledger.event_count(), 2);
        (grant_id, health_id)
    };

    // Reopened from the database alone: replayed, verified, and deciding as before.
    let ledger = open(&schema.url(), &key).expect("reopen");
    assert_eq!(ledger.event_count(), 2);
    let subject = ledger.parse_national_id("15038510190").expect("id");
    let now = Utc::now();
    let permits = |recipient: &str, purpose: &str, category: &str| {
        ledger
            .decide_with(&subject, recipient, purpose, &[category], now)
            .expect("decide")
            .permitted()
    };
    assert!(permits("nav", "employment_followup", "finances"));
    assert!(permits("helsetjenesten", "health_coordination", "health"));
    assert!(!permits("nav", "employment_followup", "health"));
    let report = ledger.verify().expect("verify");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 2);

    // A withdrawal through the reopened ledger, then another reopen.
    ledger
        .withdraw(grant_id, now, &actor, Some("the subject asked"))
        .expect("withdraw");
    drop(ledger);
    let ledger = open(&schema.url(), &key).expect("reopen again");
    assert_eq!(ledger.event_count(), 3);
    let later = now + Duration::seconds(1);
    let subject = ledger.parse_national_id("15038510190").expect("id");
    let decision = ledger
        .decide_with(&subject, "nav", "employment_followup", &["finances"], later)
        .expect("decide");
    assert!(!decision.permitted());
    assert!(
        ledger
            .decide_with(
                &subject,
                "helsetjenesten",
                "health_coordination",
                &["health"],
                later
            )
            .expect("decide")
            .permitted()
    );
    // The subject's export reads its events back through subject_records and opens them
    // with the subject key stored in PostgreSQL.
    let export = ledger.subject_export(&subject).expect("export");
    let text = export.to_json();
    assert!(text.contains(&grant_id.to_string()));
    assert!(text.contains(&health_id.to_string()));
    assert!(ledger.verify().expect("verify").ok);

    // The database holds no national id and no readable personal payload.
    let dump = schema.query(&format!(
        "SELECT string_agg(header || encode(payload, 'escape'), '') FROM \"{}\".records",
        schema.name
    ));
    let dump: String = dump.into_iter().flatten().collect();
    assert!(!dump.is_empty());
    assert!(!dump.contains("15038510190"));
    assert!(!dump.contains("employment_followup"), "payloads are sealed");
}

#[test]
fn a_wrong_key_is_a_key_mismatch() {
    let Some(schema) = TestSchema::new("wrongkey") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    drop(open(&schema.url(), &key).expect("create"));
    let other = PseudonymKey::generate().expect("key");
    let error = open(&schema.url(), &other).expect_err("another key");
    assert_eq!(error.code(), ErrorCode::KeyMismatch);
}

#[test]
fn a_tampered_record_in_the_database_stops_the_ledger_opening() {
    let Some(schema) = TestSchema::new("tamper") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    {
        let ledger = open(&schema.url(), &key).expect("create");
        let actor = Actor::new("saksbehandler-17", "case_worker").expect("actor");
        let json = serde_json::json!({
            "subject": "15038510190", "grantor": {"role": "self"},
            "purposes": ["employment_followup"], "recipients": ["nav"],
            "categories": ["finances"], "explicit": false,
            "valid_from": (Utc::now() - Duration::days(1)).trunc_subsecs(0).to_rfc3339(),
            "evidence": {"method": "signed_paper", "reference": "2026/1", "language": "nb",
                         "interpreter": false},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
        });
        let request = ledger.parse_grant(&json.to_string()).expect("json");
        ledger.grant(&request, &actor).expect("grant");
    }
    schema.sql(&format!(
        "UPDATE \"{}\".records SET header = replace(header, 'case_worker', 'caseworker') WHERE seq = 1",
        schema.name
    ));
    let error = open(&schema.url(), &key).expect_err("tampered");
    assert_eq!(error.code(), ErrorCode::Integrity);
    assert!(error.message().starts_with("event 1:"), "{error}");
}
