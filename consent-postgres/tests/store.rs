//! consent-core's Store contract over PgLog: a whole ledger on PostgreSQL.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::sync::Arc;

use chrono::{Duration, SubsecRound, Utc};
use consent_core::storage::{EventRecord, GENESIS, Head, Store};
use consent_core::{Actor, ErrorCode, Ledger, LedgerOptions, PseudonymKey};
use consent_postgres::PgLog;

use crate::common::{TestSchema, chain};

/// The sequence numbers `Store::scan` visits from 1.
/// The events the test's own calls recorded: every event but the catalogue adoptions (a new
/// ledger records the adoption of its catalogue as its first event).
fn recorded(ledger: &consent_core::Ledger) -> u64 {
    ledger
        .events()
        .expect("events")
        .iter()
        .filter(|e| e.kind != "catalogue_adopted")
        .count() as u64
}

fn scanned(log: &PgLog) -> Vec<u64> {
    let mut seqs = Vec::new();
    Store::scan(log, 1, &mut |record| {
        seqs.push(record.seq);
        Ok(())
    })
    .expect("scan");
    seqs
}

/// Appends `records` and anchors the head on the last, in one write.
fn append(log: &PgLog, records: &[EventRecord], mac: u8) {
    let last = records.last().expect("records");
    log.write(|txn| {
        txn.append(records)?;
        txn.set_head(&Head::from_parts(last.seq, last.hash, [mac; 32]));
        Ok(())
    })
    .expect("write");
}

fn open(url: &str, key: &PseudonymKey) -> consent_core::Result<Ledger> {
    Ledger::with_store(
        Box::new(PgLog::open(url)?),
        LedgerOptions::default().with_key(key.clone()),
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
        assert_eq!(recorded(&ledger), 2);
        (grant_id, health_id)
    };

    // Reopened from the database alone: replayed, verified, and deciding as before.
    let ledger = open(&schema.url(), &key).expect("reopen");
    assert_eq!(recorded(&ledger), 2);
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
    // The two grants, and the adoption of the catalogue a new ledger records first.
    assert_eq!(report.events, 3);

    // A withdrawal through the reopened ledger, then another reopen.
    ledger
        .withdraw(grant_id, now, &actor, Some("the subject asked"))
        .expect("withdraw");
    drop(ledger);
    let ledger = open(&schema.url(), &key).expect("reopen again");
    assert_eq!(recorded(&ledger), 3);
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
    let export = ledger
        .subject_export(&subject, &actor, "sak 2026/55: test")
        .expect("export");
    let text = export.to_json().expect("export json");
    assert!(text.contains(&grant_id.to_string()));
    assert!(text.contains(&health_id.to_string()));
    assert!(ledger.verify().expect("verify").ok);

    // The database holds no national id and no readable personal payload (the catalogue's
    // adoption, its first record, holds the catalogue's text in clear, as it should).
    let dump = schema.query(&format!(
        "SELECT string_agg(header || encode(payload, 'escape'), '') FROM \"{}\".records \
         WHERE header NOT LIKE '%catalogue_adopted%'",
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
        "UPDATE \"{}\".records SET header = replace(header, 'case_worker', 'caseworker') WHERE seq = 2",
        schema.name
    ));
    // Event 1 adopts the catalogue; the grant is event 2.
    let error = open(&schema.url(), &key).expect_err("tampered");
    assert_eq!(error.code(), ErrorCode::Integrity);
    assert!(error.message().starts_with("event 2:"), "{error}");
}

#[test]
fn creating_a_ledger_writes_its_first_state_once() {
    let Some(schema) = TestSchema::new("init") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let anchor = Head::from_parts(0, GENESIS, [3; 32]);
    Store::initialize(&log, &[("schema", "2"), ("key_check", "first")], &anchor)
        .expect("initialize");
    assert_eq!(log.head().expect("head"), Some(anchor.clone()));
    assert_eq!(
        log.meta("key_check").expect("meta").as_deref(),
        Some("first")
    );
    assert_eq!(log.meta("schema").expect("meta").as_deref(), Some("2"));

    // A second host creating the same ledger is refused, and changes nothing.
    let other = PgLog::open(&schema.url()).expect("open");
    let error = Store::initialize(
        &other,
        &[("schema", "2"), ("key_check", "second")],
        &Head::from_parts(0, GENESIS, [4; 32]),
    )
    .expect_err("not new");
    assert_eq!(error.code(), ErrorCode::Integrity);
    assert_eq!(
        log.meta("key_check").expect("meta").as_deref(),
        Some("first")
    );
    assert_eq!(log.head().expect("head"), Some(anchor));

    // A schema whose log holds events is not new either, even without metadata.
    let Some(used) = TestSchema::new("init2") else {
        return;
    };
    let used_log = PgLog::open(&used.url()).expect("open");
    used_log
        .write(|txn| txn.append(&chain(0, &GENESIS, 1, None)))
        .expect("write");
    let error = Store::initialize(
        &used_log,
        &[("schema", "2")],
        &Head::from_parts(0, GENESIS, [5; 32]),
    )
    .expect_err("not new");
    assert_eq!(error.code(), ErrorCode::Integrity);
    assert_eq!(used_log.meta("schema").expect("meta"), None);
}

#[test]
fn a_pinned_read_sees_one_state_while_another_host_writes() {
    let Some(schema) = TestSchema::new("pinned") else {
        return;
    };
    let reader = Arc::new(PgLog::open(&schema.url()).expect("open"));
    let writer = PgLog::open(&schema.url()).expect("open writer");
    let first = chain(0, &GENESIS, 3, None);
    append(&writer, &first, 1);

    Store::begin_read(&*reader).expect("begin");
    assert_eq!(scanned(&reader), vec![1, 2, 3]);
    let more = chain(3, &first.last().expect("records").hash, 2, None);
    append(&writer, &more, 2);
    // Inside the read: the records, the anchor and the log's end as they were.
    assert_eq!(scanned(&reader), vec![1, 2, 3]);
    assert_eq!(Store::head(&*reader).expect("head").map(|h| h.seq), Some(3));
    assert_eq!(reader.last_seq().expect("last_seq"), 3);
    // Another thread's reads on the same log are current.
    let other = Arc::clone(&reader);
    let seen = std::thread::spawn(move || other.last_seq().expect("last_seq"))
        .join()
        .expect("thread");
    assert_eq!(seen, 5);
    // Nested reads keep the snapshot until the outermost ends.
    Store::begin_read(&*reader).expect("begin nested");
    Store::end_read(&*reader).expect("end nested");
    assert_eq!(reader.last_seq().expect("last_seq"), 3);
    Store::end_read(&*reader).expect("end");

    assert_eq!(scanned(&reader), vec![1, 2, 3, 4, 5]);
    assert_eq!(Store::head(&*reader).expect("head").map(|h| h.seq), Some(5));
}

#[test]
fn scan_range_reads_one_page() {
    let Some(schema) = TestSchema::new("range") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    append(&log, &chain(0, &GENESIS, 10, None), 1);
    let page = |from: u64, last: u64| {
        let mut seqs = Vec::new();
        Store::scan_range(&log, from, last, &mut |record| {
            seqs.push(record.seq);
            Ok(())
        })
        .expect("scan_range");
        seqs
    };
    assert_eq!(page(3, 5), vec![3, 4, 5]);
    assert_eq!(page(9, u64::MAX), vec![9, 10]);
    assert_eq!(page(11, 20), Vec::<u64>::new());
}
