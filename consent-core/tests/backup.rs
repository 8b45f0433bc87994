//! Backups of a live ledger file, restores, and proving a ledger is the one backed up.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test fails on a bad fixture or a short log"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::*;
use consent_core::{
    Actor, BACKUP_DATABASE, BACKUP_KEY, BACKUP_MANIFEST, BackupManifest, ErrorCode, EventPayload,
    GrantRequest, Ledger, PseudonymKey,
};

fn db(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn request(number: &str) -> GrantRequest {
    GrantRequest::from_json(
        &grant_json(
            number,
            &["nav"],
            &["case_handling"],
            &["name", "family"],
            false,
        )
        .to_string(),
    )
    .unwrap()
}

/// The subjects the writers use.
fn subjects() -> Vec<String> {
    (1..=6)
        .map(|n| national_id(&format!("{n:02}0385"), "49"))
        .collect()
}

/// Each subject's decision for the grant's disclosure at one instant.
fn decisions(ledger: &Ledger) -> Vec<(bool, Vec<String>)> {
    subjects()
        .iter()
        .map(|number| {
            let decision = ledger
                .decide_with(
                    &subject(ledger, number),
                    "nav",
                    "case_handling",
                    &["family"],
                    at(2026, 3, 1),
                )
                .unwrap();
            let reasons = decision
                .outcomes()
                .map(|c| format!("{} {:?}", c.category, c.result))
                .collect();
            (decision.permitted(), reasons)
        })
        .collect()
}

/// Writes grants and withdrawals for the subjects in turn: a few events each time.
fn write_some(ledger: &Ledger, round: usize) {
    let numbers = subjects();
    let number = &numbers[round % numbers.len()];
    let grant = ledger.grant(&request(number), &actor()).unwrap();
    if round.is_multiple_of(3) {
        ledger
            .withdraw(grant, at(2026, 2, 1), &actor(), Some("by phone"))
            .unwrap();
    }
}

fn hashes(ledger: &Ledger) -> Vec<String> {
    ledger
        .events()
        .unwrap()
        .into_iter()
        .map(|e| e.hash)
        .collect()
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_backup_taken_while_another_handle_writes_is_one_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    for round in 0..10 {
        write_some(&ledger, round);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let path = path.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            // Its own handle, as another process would have.
            let ledger = Ledger::open(&path, options()).unwrap();
            let mut round = 10;
            while !stop.load(Ordering::Acquire) {
                write_some(&ledger, round);
                round += 1;
            }
            round
        })
    };
    let mut manifests = Vec::new();
    for n in 0..4 {
        let before = ledger.event_count();
        let dest = dir.path().join(format!("backup-{n}"));
        let manifest = Ledger::backup_file(&path, &options(), &dest, true).unwrap();
        assert!(
            manifest.head_seq >= before,
            "a backup holds what was acknowledged before it"
        );
        manifests.push((dest, manifest));
    }
    stop.store(true, Ordering::Release);
    let rounds = writer.join().unwrap();
    assert!(rounds > 10, "the writer wrote while the backups were taken");
    let source = hashes(&Ledger::open(&path, options()).unwrap());
    for (n, (dest, manifest)) in manifests.iter().enumerate() {
        assert!(dest.join(BACKUP_DATABASE).is_file() && dest.join(BACKUP_KEY).is_file());
        assert_eq!(BackupManifest::read(dest).unwrap(), *manifest);
        // The source grew from every backup.
        let against = Ledger::verify_against_file(&path, &options(), manifest).unwrap();
        assert!(against.ok, "{against:?}");
        // Restored elsewhere: exactly the source's first events, then the restore.
        let target = db(&dir, &format!("restored-{n}.db"));
        let report =
            Ledger::restore_file(dest, &target, &options(), &operator(), "restore drill").unwrap();
        assert!(!report.restore.rollback && !report.restore.replaced && report.key_written);
        let restored = Ledger::open(&target, options()).unwrap();
        let events = restored.events().unwrap();
        let seq = usize::try_from(manifest.head_seq).unwrap();
        assert_eq!(hashes(&restored)[..seq], source[..seq]);
        assert_eq!(events.len(), seq + 1);
        let last = events.last().unwrap();
        assert_eq!(last.kind, "ledger_restored");
        assert_eq!(last.actor, operator());
        assert!(
            Ledger::verify_against_file(&target, &options(), manifest)
                .unwrap()
                .ok
        );
    }
    // A backup of the quiet ledger restores to the same decisions.
    let dest = dir.path().join("backup-final");
    let manifest = Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    let target = db(&dir, "restored-final.db");
    Ledger::restore_file(&dest, &target, &options(), &operator(), "restore drill").unwrap();
    let source = Ledger::open(&path, options()).unwrap();
    assert_eq!(source.event_count(), manifest.head_seq);
    let restored = Ledger::open(&target, options()).unwrap();
    assert_eq!(decisions(&restored), decisions(&source));
    assert!(restored.verify().unwrap().ok);
}

#[test]
fn restoring_an_older_backup_over_a_ledger_records_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    for round in 0..4 {
        write_some(&ledger, round);
    }
    let dest = dir.path().join("backup");
    let manifest = Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    let at_backup = decisions(&ledger);
    for round in 4..9 {
        write_some(&ledger, round);
    }
    let newer = ledger.event_count();
    assert_ne!(decisions(&ledger), at_backup);
    drop(ledger);
    let report = Ledger::restore_file(
        &dest,
        &path,
        &options(),
        &operator(),
        "disk failure, case 2026/88",
    )
    .unwrap();
    let record = &report.restore;
    assert!(record.rollback && record.replaced);
    assert_eq!(record.replaced_head_seq, Some(newer));
    assert_eq!(record.backup_head_seq, manifest.head_seq);
    assert_eq!(record.reason, "disk failure, case 2026/88");
    // The replaced file is kept, whole.
    let kept = report.replaced_file.clone().unwrap();
    assert_eq!(
        Ledger::open(
            &kept,
            options().with_key_file(dir.path().join("consent.db.key"))
        )
        .unwrap()
        .event_count(),
        newer
    );
    let restored = Ledger::open(&path, options()).unwrap();
    assert_eq!(decisions(&restored), at_backup);
    assert_eq!(restored.event_count(), manifest.head_seq + 1);
    let events = restored.events().unwrap();
    let EventPayload::LedgerRestored(recorded) = &events.last().unwrap().payload else {
        panic!("the last event is the restore");
    };
    assert_eq!(recorded, record);
    assert_eq!(report.head_seq, manifest.head_seq + 1);
    assert!(
        Ledger::verify_against_file(&path, &options(), &manifest)
            .unwrap()
            .ok
    );
    // The restored ledger takes writes again.
    write_some(&restored, 0);
    assert!(restored.verify().unwrap().ok);
}

#[test]
fn restoring_a_newer_backup_over_its_own_older_state_is_no_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    write_some(&ledger, 0);
    let old = dir.path().join("old.db");
    // An older copy of the same ledger, taken as a backup and restored elsewhere first.
    Ledger::backup_file(&path, &options(), &dir.path().join("b1"), true).unwrap();
    write_some(&ledger, 1);
    Ledger::backup_file(&path, &options(), &dir.path().join("b2"), true).unwrap();
    drop(ledger);
    std::fs::copy(dir.path().join("b1").join(BACKUP_DATABASE), &old).unwrap();
    std::fs::copy(path.with_extension("db.key"), old.with_extension("db.key")).unwrap();
    let report = Ledger::restore_file(
        &dir.path().join("b2"),
        &old,
        &options(),
        &operator(),
        "catch up",
    )
    .unwrap();
    assert!(report.restore.replaced && !report.restore.rollback);
}

#[test]
fn a_restore_over_a_ledger_another_handle_has_open_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    write_some(&ledger, 0);
    let dest = dir.path().join("backup");
    Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    write_some(&ledger, 1);
    let before = hashes(&ledger);
    let err = Ledger::restore_file(&dest, &path, &options(), &operator(), "oops").unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked, "{err}");
    // Untouched, and nothing left beside it.
    write_some(&ledger, 2);
    assert_eq!(hashes(&ledger)[..before.len()], before[..]);
    drop(ledger);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("restoring") && !n.contains("replaced")),
        "{names:?}"
    );
}

/// Restores that must fail: each leaves the target as it was.
#[test]
fn a_damaged_backup_or_manifest_is_refused_and_the_target_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    {
        let ledger = Ledger::open(&path, options()).unwrap();
        for round in 0..5 {
            write_some(&ledger, round);
        }
    }
    let dest = dir.path().join("backup");
    let manifest = Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    {
        let ledger = Ledger::open(&path, options()).unwrap();
        write_some(&ledger, 6);
    }
    let target_bytes = file_bytes(&path);
    let restore = |backup: &Path| {
        Ledger::restore_file(backup, &path, &options(), &operator(), "test").unwrap_err()
    };
    let copy = |name: &str| {
        let to = dir.path().join(name);
        std::fs::create_dir(&to).unwrap();
        for file in [BACKUP_DATABASE, BACKUP_KEY, BACKUP_MANIFEST] {
            std::fs::copy(dest.join(file), to.join(file)).unwrap();
        }
        to
    };
    // One byte of the copy changed.
    let damaged = copy("damaged");
    let mut bytes = file_bytes(&damaged.join(BACKUP_DATABASE));
    let last = bytes.len() - 100;
    bytes[last] ^= 0x55;
    std::fs::write(damaged.join(BACKUP_DATABASE), bytes).unwrap();
    assert_eq!(restore(&damaged).code(), ErrorCode::Integrity);
    // A manifest naming another head (its digest still matches the file).
    let lying = copy("lying");
    let mut other = manifest.clone();
    other.head_seq -= 1;
    std::fs::write(
        lying.join(BACKUP_MANIFEST),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    assert_eq!(restore(&lying).code(), ErrorCode::Integrity);
    // A manifest whose key check is another key's.
    let wrong_key = copy("wrong-key");
    let mut other = manifest.clone();
    other.key_check = PseudonymKey::from_bytes([9; 32]).check_value();
    std::fs::write(
        wrong_key.join(BACKUP_MANIFEST),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    assert_eq!(restore(&wrong_key).code(), ErrorCode::KeyMismatch);
    // Not a manifest at all, or an unknown field.
    let garbage = copy("garbage");
    std::fs::write(garbage.join(BACKUP_MANIFEST), "{\"schema\": 1}").unwrap();
    assert_eq!(restore(&garbage).code(), ErrorCode::InvalidInput);
    let extra = copy("extra");
    let mut value = serde_json::to_value(&manifest).unwrap();
    value["surprise"] = serde_json::json!(true);
    std::fs::write(extra.join(BACKUP_MANIFEST), value.to_string()).unwrap();
    assert_eq!(restore(&extra).code(), ErrorCode::InvalidInput);
    // An empty reason.
    let err = Ledger::restore_file(&dest, &path, &options(), &operator(), "  ").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(file_bytes(&path), target_bytes);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restoring") || n.contains("replaced"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(Ledger::open(&path, options()).unwrap().verify().unwrap().ok);
}

#[test]
fn a_restore_takes_the_operators_permission_and_a_refused_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    {
        let ledger = Ledger::open(&path, options()).unwrap();
        write_some(&ledger, 0);
    }
    let dest = dir.path().join("backup");
    Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    {
        let ledger = Ledger::open(&path, options()).unwrap();
        write_some(&ledger, 1);
    }
    let target_bytes = file_bytes(&path);
    let elsewhere = db(&dir, "elsewhere.db");
    // A case worker, an auditor and a role the catalogue lacks may not put a backup in force.
    for (who, code) in [
        (actor(), ErrorCode::NotPermitted),
        (
            Actor::new("revisor-1", "auditor").unwrap(),
            ErrorCode::NotPermitted,
        ),
        (
            Actor::new("vaktmester-3", "janitor").unwrap(),
            ErrorCode::UnknownCode,
        ),
    ] {
        for target in [&path, &elsewhere] {
            let err = Ledger::restore_file(&dest, target, &options(), &who, "drill").unwrap_err();
            assert_eq!(err.code(), code, "{err}");
            if code == ErrorCode::NotPermitted {
                assert!(err.message().contains("`adopt_catalogue`"), "{err}");
            }
        }
    }
    assert_eq!(file_bytes(&path), target_bytes);
    assert!(!elsewhere.exists());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restoring") || n.contains("replaced") || n.contains("elsewhere"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The DPO may, and the restore is recorded as theirs.
    let report = Ledger::restore_file(&dest, &path, &options(), &operator(), "drill").unwrap();
    assert!(report.restore.rollback);
    let restored = Ledger::open(&path, options()).unwrap();
    let last = restored.events().unwrap().pop().unwrap();
    assert_eq!(last.kind, "ledger_restored");
    assert_eq!(last.actor, operator());
}

#[test]
fn a_backup_without_its_key_needs_the_key_to_restore() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    drop(Ledger::open(&path, options()).unwrap());
    let dest = dir.path().join("backup");
    let manifest = Ledger::backup_file(&path, &options(), &dest, false).unwrap();
    assert!(!manifest.key_included);
    assert!(!dest.join(BACKUP_KEY).exists());
    let target = db(&dir, "elsewhere.db");
    let err = Ledger::restore_file(&dest, &target, &options(), &operator(), "drill").unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyMismatch);
    assert!(!target.exists());
    let with_key = options().with_key_file(dir.path().join("consent.db.key"));
    let report = Ledger::restore_file(&dest, &target, &with_key, &operator(), "drill").unwrap();
    assert!(!report.key_written);
    assert!(
        Ledger::open(&target, with_key)
            .unwrap()
            .verify()
            .unwrap()
            .ok
    );
}

#[test]
fn verify_against_tells_another_ledger_from_the_one_backed_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    drop(Ledger::open(&path, options()).unwrap());
    let manifest =
        Ledger::backup_file(&path, &options(), &dir.path().join("backup"), true).unwrap();
    // Another ledger under the same key: a different history.
    let key =
        PseudonymKey::from_slice(&consent_core_key(&dir.path().join("consent.db.key"))).unwrap();
    let other = db(&dir, "other.db");
    let other_options = options().with_key(key);
    {
        let ledger = Ledger::open(&other, other_options.clone()).unwrap();
        write_some(&ledger, 0);
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    let report = Ledger::verify_against_file(&other, &other_options, &manifest).unwrap();
    assert!(report.chain_ok && report.key_matches);
    assert!(!report.ok && !report.contains_backup_head, "{report:?}");
    // A backup directory is never written over.
    let err = Ledger::backup_file(&path, &options(), &dir.path().join("backup"), true).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
}

/// The key in a key file (64 hex digits).
fn consent_core_key(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    (0..32)
        .map(|i| u8::from_str_radix(&text.trim()[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn a_restore_next_to_another_ledgers_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir, "consent.db");
    drop(Ledger::open(&path, options()).unwrap());
    let dest = dir.path().join("backup");
    Ledger::backup_file(&path, &options(), &dest, true).unwrap();
    // Another ledger lives at the target, under another key.
    let target = db(&dir, "other.db");
    let other = Ledger::open(&target, options()).unwrap();
    write_some(&other, 0);
    drop(other);
    let before = file_bytes(&target);
    let err = Ledger::restore_file(&dest, &target, &options(), &operator(), "mix-up").unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyMismatch, "{err}");
    assert_eq!(file_bytes(&target), before);
}
