//! PostgreSQL restarted in the middle of a run: while it is down every call fails with
//! `Storage` (a decision too: never a permit it could not check), after it is back calls
//! succeed, and nothing acknowledged is lost or written twice.
//!
//! A test binary of its own: it stops and starts the private cluster (scripts/pg.sh), which
//! the other test binaries, run one after another, never see down. It runs only under
//! scripts/with-postgres.sh (`CONSENT_TEST_POSTGRES_BINDIR` set), never against a server the
//! scripts did not start.

#![expect(
    clippy::string_slice,
    clippy::cast_possible_truncation,
    clippy::expect_used,
    reason = "the shared test helpers slice ASCII names and make test bytes from small counters; helpers fail the test on a bad fixture"
)]

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::{Duration, SubsecRound, Utc};
use consent_core::{Actor, ErrorCode, Ledger, LedgerOptions, PseudonymKey};
use consent_postgres::PgLog;

use common::TestSchema;

fn pg_sh(command: &str) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh");
    let status = Command::new(script)
        .arg(command)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run scripts/pg.sh");
    assert!(status.success(), "scripts/pg.sh {command}: {status}");
}

fn open(url: &str, key: &PseudonymKey) -> Ledger {
    Ledger::with_store(
        Box::new(PgLog::open(url).expect("open log")),
        LedgerOptions::default().with_key(key.clone()),
    )
    .expect("open ledger")
}

fn grant_json() -> String {
    serde_json::json!({
        "subject": "15038510190", "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances"], "explicit": false,
        "valid_from": (Utc::now() - Duration::days(1)).trunc_subsecs(0).to_rfc3339(),
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
    .to_string()
}

/// What one writer saw.
#[derive(Default, Debug)]
struct Seen {
    acknowledged: Vec<String>,
    storage_errors: u64,
    decisions_failed: u64,
    acknowledged_after_restart: u64,
}

#[test]
fn a_restart_of_postgres_fails_calls_with_storage_and_loses_or_doubles_nothing() {
    if std::env::var("CONSENT_TEST_POSTGRES_BINDIR").is_err() {
        assert!(
            std::env::var("CONSENT_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "the restart test needs the cluster of scripts/with-postgres.sh"
        );
        eprintln!("NOTICE: the restart test runs only under scripts/with-postgres.sh");
        return;
    }
    let Some(schema) = TestSchema::new("restart") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let url = schema.url();
    let ledgers: Vec<Ledger> = (0..2).map(|_| open(&url, &key)).collect();
    let actor = Actor::new("saksbehandler-17", "case_worker").expect("actor");
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = ledgers
        .iter()
        .cloned()
        .map(|ledger| {
            let (stop, restarted, actor) =
                (Arc::clone(&stop), Arc::clone(&restarted), actor.clone());
            std::thread::spawn(move || {
                let mut seen = Seen::default();
                let subject = ledger.parse_national_id("15038510190").expect("id");
                while !stop.load(Ordering::SeqCst) {
                    let request = ledger.parse_grant(&grant_json()).expect("json");
                    match ledger.grant(&request, &actor) {
                        Ok(id) => {
                            seen.acknowledged.push(id.to_string());
                            if restarted.load(Ordering::SeqCst) {
                                seen.acknowledged_after_restart += 1;
                            }
                        }
                        Err(e) => {
                            assert_eq!(e.code(), ErrorCode::Storage, "{e}");
                            seen.storage_errors += 1;
                            std::thread::sleep(StdDuration::from_millis(20));
                        }
                    }
                    match ledger.decide_with(
                        &subject,
                        "nav",
                        "employment_followup",
                        &["finances"],
                        Utc::now(),
                    ) {
                        Ok(decision) => {
                            assert!(decision.permitted() || seen.acknowledged.is_empty())
                        }
                        Err(e) => {
                            assert_eq!(e.code(), ErrorCode::Storage, "{e}");
                            seen.decisions_failed += 1;
                        }
                    }
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(StdDuration::from_millis(500));
    pg_sh("stop");
    std::thread::sleep(StdDuration::from_millis(700));
    pg_sh("start");
    restarted.store(true, Ordering::SeqCst);
    std::thread::sleep(StdDuration::from_millis(1_500));
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = writers
        .into_iter()
        .map(|w| w.join().expect("writer"))
        .collect();

    let storage_errors: u64 = seen.iter().map(|s| s.storage_errors).sum();
    let decisions_failed: u64 = seen.iter().map(|s| s.decisions_failed).sum();
    let acknowledged: Vec<&String> = seen.iter().flat_map(|s| &s.acknowledged).collect();
    let after: u64 = seen.iter().map(|s| s.acknowledged_after_restart).sum();
    assert!(
        storage_errors > 0,
        "no write failed while the server was down"
    );
    assert!(after > 0, "no write succeeded after the restart: {seen:?}");

    let unknown = check_log(&url, &key, &acknowledged, storage_errors, &ledgers);
    report(&format!(
        "PostgreSQL restarted mid-run: 2 writers, {} grants acknowledged ({after} after the restart), {storage_errors} writes and {decisions_failed} decisions failed with Storage while it was down, {unknown} of unknown outcome stored, none lost or doubled",
        acknowledged.len()
    ));
}

/// A fresh host reads the log: every acknowledged grant exactly once, no grant twice, and no
/// more grants than were acknowledged or ended in an error whose outcome was unknown; the
/// writers' projections catch up with it. Returns how many grants of unknown outcome are stored.
fn check_log(
    url: &str,
    key: &PseudonymKey,
    acknowledged: &[&String],
    storage_errors: u64,
    ledgers: &[Ledger],
) -> usize {
    let reader = open(url, key);
    let mut stored: HashMap<String, u32> = HashMap::new();
    for event in reader.events().expect("events") {
        if let consent_core::EventPayload::GrantRecorded(grant) = &event.payload {
            *stored.entry(grant.grant_id.to_string()).or_default() += 1;
        }
    }
    for id in acknowledged {
        assert_eq!(stored.get(*id), Some(&1), "acknowledged grant {id}");
    }
    assert!(stored.values().all(|n| *n == 1));
    let unknown = stored.len() - acknowledged.len();
    assert!(unknown as u64 <= storage_errors);
    assert!(reader.verify().expect("verify").ok);
    // The writers' projections caught up with the log as a fresh replay has it.
    for ledger in ledgers {
        let subject = ledger.parse_national_id("15038510190").expect("id");
        ledger
            .decide_with(
                &subject,
                "nav",
                "employment_followup",
                &["finances"],
                Utc::now(),
            )
            .expect("decide after the restart");
        assert_eq!(ledger.event_count(), reader.event_count());
    }
    unknown
}

/// Prints a run's figures past the test harness's capture (one write, straight to stderr), so
/// the script's log shows them for a passing test too.
fn report(line: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}
