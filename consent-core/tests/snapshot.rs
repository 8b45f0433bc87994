//! Snapshots of the projection beside a ledger file: an open from a current snapshot holds
//! exactly what a full replay holds; a corrupt, forged or stale one is ignored (a full replay)
//! and reported; `verify` still checks the whole chain.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails on a bad fixture"
)]

use std::path::{Path, PathBuf};

use crate::common::*;
use consent_core::{GrantRequest, Ledger, PseudonymKey, RestrictionGround, SnapshotStatus};

fn snapshot_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".snapshot");
    PathBuf::from(name)
}

fn numbers() -> Vec<String> {
    (1..=8)
        .map(|n| national_id(&format!("{n:02}0590"), "49"))
        .collect()
}

fn request(number: &str, purpose: &str) -> GrantRequest {
    GrantRequest::from_json(
        &grant_json(number, &["nav"], &[purpose], &["name", "family"], false).to_string(),
    )
    .unwrap()
}

/// Grants, withdrawals, a restriction, an objection and an erasure, from `from` on.
fn write(ledger: &Ledger, from: usize, to: usize) {
    let numbers = numbers();
    for round in from..to {
        let number = &numbers[round % numbers.len()];
        let subject = subject(ledger, number);
        let grant = ledger
            .grant(&request(number, "case_handling"), &actor())
            .unwrap();
        match round % 5 {
            1 => ledger
                .withdraw(grant, at(2026, 2, 1), &actor(), None)
                .map(|_| ())
                .unwrap(),
            2 => ledger
                .restrict(
                    &subject,
                    RestrictionGround::Accuracy,
                    recorded_at(),
                    &actor(),
                )
                .map(|_| ())
                .unwrap(),
            3 => ledger
                .object(&subject, "case_handling", recorded_at(), &actor())
                .map(|_| ())
                .unwrap(),
            _ => {}
        }
    }
}

/// Everything a user sees: each subject's decision and export, the counts, the event count.
fn state(ledger: &Ledger) -> Vec<String> {
    let mut out = vec![format!(
        "{:?} {}",
        ledger.sizes().unwrap(),
        ledger.event_count()
    )];
    for number in numbers() {
        let subject = subject(ledger, &number);
        let decision = ledger
            .decide_with(
                &subject,
                "nav",
                "case_handling",
                &["family"],
                at(2026, 3, 1),
            )
            .unwrap();
        out.push(format!("{} {}", decision.permitted(), decision.explain()));
        out.push(
            ledger
                .subject_export(&subject, &actor(), LOOKUP)
                .unwrap()
                .to_json()
                .unwrap(),
        );
    }
    out
}

/// The state of the ledger at `path` opened with its snapshot, and by a full replay. Each is
/// read in a copy of the files of its own: an export records its access (a write), which the
/// other open must not see.
fn both(path: &Path) -> (Vec<String>, SnapshotStatus, Vec<String>) {
    let copy = |name: &str, with_snapshot: bool| -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join(name);
        std::fs::copy(path, &to).unwrap();
        let key = PathBuf::from(format!("{}.key", path.display()));
        std::fs::copy(&key, format!("{}.key", to.display())).unwrap();
        if with_snapshot && snapshot_of(path).exists() {
            std::fs::copy(snapshot_of(path), snapshot_of(&to)).unwrap();
        }
        (dir, to)
    };
    // The same file name in both copies: a snapshot is tied to the ledger, not to its path.
    let (_a, with_path) = copy("consent.db", true);
    let ledger = Ledger::open(&with_path, options()).unwrap();
    let status = ledger.snapshot_status();
    let with = state(&ledger);
    drop(ledger);
    let (_b, without_path) = copy("consent.db", false);
    let ledger = Ledger::open(&without_path, options()).unwrap();
    assert_eq!(ledger.snapshot_status(), SnapshotStatus::Absent);
    let replayed = state(&ledger);
    drop(ledger);
    (with, status, replayed)
}

#[test]
fn an_open_from_a_snapshot_holds_what_a_full_replay_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    write(&ledger, 0, 12);
    let seq = ledger.write_snapshot().unwrap().unwrap();
    assert_eq!(seq, ledger.event_count());
    // Events after the snapshot, an erasure among them, are replayed on top of it.
    write(&ledger, 12, 20);
    ledger
        .request_erasure(&subject(&ledger, &numbers()[2]), &dpo())
        .unwrap();
    drop(ledger);
    let (with, status, replayed) = both(&path);
    assert_eq!(status, SnapshotStatus::Used { seq });
    assert_eq!(with, replayed);
    // A snapshot of the newest state.
    let ledger = Ledger::open(&path, options()).unwrap();
    let newest = ledger.write_snapshot().unwrap().unwrap();
    drop(ledger);
    let (with, status, replayed) = both(&path);
    assert_eq!(status, SnapshotStatus::Used { seq: newest });
    assert_eq!(with, replayed);
    // And the ledger keeps working from it.
    let ledger = Ledger::open(&path, options()).unwrap();
    write(&ledger, 20, 25);
    assert!(ledger.verify().unwrap().ok);
}

#[test]
fn closing_writes_a_snapshot_once_enough_events_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options().with_snapshot_every(10)).unwrap();
    write(&ledger, 0, 2);
    drop(ledger);
    assert!(
        !snapshot_of(&path).exists(),
        "too few events for a snapshot"
    );
    let ledger = Ledger::open(&path, options().with_snapshot_every(10)).unwrap();
    write(&ledger, 2, 12);
    let events = ledger.event_count();
    drop(ledger);
    let reopened = Ledger::open(&path, options()).unwrap();
    assert_eq!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { seq: events }
    );
    // Read-only handles use it and never write one.
    drop(reopened);
    std::fs::remove_file(snapshot_of(&path)).unwrap();
    let read_only = Ledger::open(
        &path,
        options()
            .with_mode(consent_core::OpenMode::ReadOnly)
            .with_snapshot_every(1),
    )
    .unwrap();
    drop(read_only);
    assert!(!snapshot_of(&path).exists());
}

#[track_caller]
fn ignored(status: &SnapshotStatus, needle: &str) {
    match status {
        SnapshotStatus::Ignored { reason } => {
            assert!(reason.contains(needle), "{reason}");
        }
        other => panic!("expected an ignored snapshot, got {other:?}"),
    }
}

#[test]
fn a_corrupt_forged_or_stale_snapshot_is_ignored_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    write(&ledger, 0, 6);
    let backup = dir.path().join("backup");
    Ledger::backup_file(&path, &options(), &backup, true).unwrap();
    write(&ledger, 6, 10);
    ledger.write_snapshot().unwrap();
    drop(ledger);
    let good = std::fs::read(snapshot_of(&path)).unwrap();
    // One byte changed anywhere.
    for at in [20, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        std::fs::write(snapshot_of(&path), &bad).unwrap();
        let (with, status, replayed) = both(&path);
        ignored(&status, "MAC");
        assert_eq!(with, replayed);
    }
    // Truncated.
    std::fs::write(snapshot_of(&path), &good[..good.len() / 3]).unwrap();
    ignored(&both(&path).1, "MAC");
    std::fs::write(snapshot_of(&path), &good[..10]).unwrap();
    ignored(&both(&path).1, "truncated");
    // Another ledger's snapshot (another key): forged as far as this ledger can tell.
    let other = dir.path().join("other.db");
    let foreign = Ledger::open(
        &other,
        options().with_key(PseudonymKey::from_bytes([3; 32])),
    )
    .unwrap();
    write(&foreign, 0, 10);
    foreign.write_snapshot().unwrap();
    drop(foreign);
    std::fs::copy(snapshot_of(&other), snapshot_of(&path)).unwrap();
    ignored(&both(&path).1, "MAC");
    // Stale: the ledger was restored to before the snapshot's event.
    std::fs::write(snapshot_of(&path), &good).unwrap();
    let restored = dir.path().join("restored.db");
    Ledger::restore_file(&backup, &restored, &options(), &operator(), "drill").unwrap();
    std::fs::copy(snapshot_of(&path), snapshot_of(&restored)).unwrap();
    let (with, status, replayed) = both(&restored);
    ignored(&status, "stale");
    assert_eq!(with, replayed);
    // A restore over the ledger removes its snapshot.
    Ledger::restore_file(&backup, &path, &options(), &operator(), "drill").unwrap();
    assert!(!snapshot_of(&path).exists());
}

#[test]
fn verify_checks_the_whole_chain_whatever_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    write(&ledger, 0, 6);
    ledger.write_snapshot().unwrap();
    drop(ledger);
    // An event before the snapshot is changed in the file.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE events SET header = replace(header, 'saksbehandler-17', 'saksbehandler-18') WHERE seq = 2",
            [],
        )
        .unwrap();
    }
    let ledger = Ledger::open(&path, options()).unwrap();
    assert!(matches!(
        ledger.snapshot_status(),
        SnapshotStatus::Used { .. }
    ));
    let report = ledger.verify().unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(2));
    assert!(!Ledger::verify_file(&path, &options()).unwrap().ok);
    drop(ledger);
    // Without the snapshot, the open itself refuses it.
    std::fs::remove_file(snapshot_of(&path)).unwrap();
    assert!(Ledger::open(&path, options()).is_err());
}

/// A kassasjon shreds a subject's records; the snapshot, which holds the subject's grant
/// states, goes first.
#[test]
fn a_kassasjon_removes_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    let number = &numbers()[0];
    ledger
        .grant(&request(number, "case_handling"), &actor())
        .unwrap();
    let person = subject(&ledger, number);
    ledger.write_snapshot().unwrap();
    assert!(snapshot_of(&path).exists());
    let outcome = erase_by_kassasjon(&ledger, &person);
    assert!(matches!(
        outcome,
        consent_core::ErasureOutcome::Erased { .. }
    ));
    assert!(!snapshot_of(&path).exists());
    drop(ledger);
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    assert_eq!(reopened.snapshot_status(), SnapshotStatus::Absent);
}

/// Idempotency keys recorded before the snapshot still hold after an open from it: a retried
/// write is not applied twice.
#[test]
fn idempotency_keys_survive_an_open_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let mut json = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
    json["idempotency_key"] = "skjema-41".into();
    let keyed = GrantRequest::from_json(&json.to_string()).unwrap();
    let ledger = Ledger::open(&path, options()).unwrap();
    let first = ledger.grant(&keyed, &actor()).unwrap();
    write(&ledger, 0, 3);
    ledger.write_snapshot().unwrap();
    drop(ledger);
    let (with, status, replayed) = both(&path);
    assert!(matches!(status, SnapshotStatus::Used { .. }));
    assert_eq!(with, replayed);
    let reopened = Ledger::open(&path, options()).unwrap();
    assert!(matches!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { .. }
    ));
    let events = reopened.event_count();
    assert_eq!(reopened.grant(&keyed, &actor()).unwrap(), first);
    assert_eq!(reopened.event_count(), events, "a retry writes nothing");
}
