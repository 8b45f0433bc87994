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

/// A child of 15 (in 2026), for whom a representative grants.
fn child() -> String {
    national_id("010510", "51")
}

/// A representative's grant for [`child`], whose authority ends in June 2026.
fn representative_request() -> GrantRequest {
    let mut json = grant_json(
        &child(),
        &["nav"],
        &["case_handling"],
        &["name", "family"],
        false,
    );
    json["grantor"] = serde_json::json!({"role": "representant", "id": ADULT,
        "authority": "UDI 2025/991", "authority_valid_until": "2026-06-01T00:00:00Z"});
    json["child_heard"] = child_heard();
    GrantRequest::from_json(&json.to_string()).unwrap()
}

fn request(number: &str, purpose: &str) -> GrantRequest {
    GrantRequest::from_json(
        &grant_json(number, &["nav"], &[purpose], &["name", "family"], false).to_string(),
    )
    .unwrap()
}

/// Grants, withdrawals, restrictions, objections and representatives' grants, from `from` on.
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
            4 => ledger
                .grant(&representative_request(), &actor())
                .map(|_| ())
                .unwrap(),
            _ => {}
        }
    }
}

/// Each subject's decision (the representative's grant for the child before and after its
/// authority ends), as a user sees it; reads no event payload and no data key.
fn decisions(ledger: &Ledger) -> Vec<String> {
    let mut out = Vec::new();
    for number in numbers().into_iter().chain([child()]) {
        let subject = subject(ledger, &number);
        for when in [at(2026, 3, 1), at(2026, 7, 1)] {
            let decision = ledger
                .decide_with(&subject, "nav", "case_handling", &["family"], when)
                .unwrap();
            out.push(format!("{} {}", decision.permitted(), decision.explain()));
        }
    }
    out
}

/// Everything a user sees: each subject's decision and export, the counts, the event count.
fn state(ledger: &Ledger) -> Vec<String> {
    let mut out = vec![format!(
        "{:?} {}",
        ledger.sizes().unwrap(),
        ledger.event_count()
    )];
    out.extend(decisions(ledger));
    for number in numbers().into_iter().chain([child()]) {
        let subject = subject(ledger, &number);
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
    // An erasure the snapshot holds, and a grant for the erased person after it (a new key).
    ledger
        .request_erasure(&subject(&ledger, &numbers()[5]), &dpo())
        .unwrap();
    write(&ledger, 12, 13);
    let seq = ledger.write_snapshot().unwrap().unwrap();
    assert_eq!(seq, ledger.event_count());
    // Events after the snapshot, an erasure among them, are replayed on top of it.
    write(&ledger, 13, 21);
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

/// The MAC a snapshot of the ledger whose key is `key` carries (as `ledger/snapshot.rs`
/// computes it), so a test can make a snapshot that only its layout makes wrong.
fn snapshot_mac(key: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut derive = blake3::Hasher::new_derive_key("consent 2026 projection snapshot");
    derive.update(key);
    *blake3::keyed_hash(derive.finalize().as_bytes(), body).as_bytes()
}

/// A snapshot of an earlier layout, genuine (its MAC verifies under the ledger's key), is
/// ignored and reported, never read as this layout: the open replays the log.
#[test]
fn a_snapshot_of_an_earlier_layout_is_ignored_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let key = [7u8; 32];
    let keyed = || options().with_key(PseudonymKey::from_bytes(key));
    let ledger = Ledger::open(&path, keyed()).unwrap();
    write(&ledger, 0, 10);
    ledger.write_snapshot().unwrap();
    let expected = decisions(&ledger);
    drop(ledger);
    let good = std::fs::read(snapshot_of(&path)).unwrap();
    let body = &good[..good.len() - 32];
    assert_eq!(&body[..16], b"consent-snap-v3\n");
    for magic in [b"consent-snap-v2\n", b"consent-snap-v1\n"] {
        let mut old = body.to_vec();
        old[..16].copy_from_slice(magic);
        let tag = snapshot_mac(&key, &old);
        old.extend_from_slice(&tag);
        std::fs::write(snapshot_of(&path), &old).unwrap();
        let ledger = Ledger::open(&path, keyed()).unwrap();
        ignored(&ledger.snapshot_status(), "another version");
        assert_eq!(decisions(&ledger), expected);
    }
    // The genuine snapshot, for contrast, is used.
    std::fs::write(snapshot_of(&path), &good).unwrap();
    let ledger = Ledger::open(&path, keyed()).unwrap();
    assert!(matches!(
        ledger.snapshot_status(),
        SnapshotStatus::Used { .. }
    ));
    assert_eq!(decisions(&ledger), expected);
}

/// After an open from a snapshot the subjects' data keys stay wrapped in the store until a
/// call needs one. A key altered or deleted behind the ledger's back then fails that call
/// with `Integrity` (never a new key, never a redacted read); decisions, which read no key,
/// are those of the ledger as it was; and a full replay refuses the file.
#[test]
fn a_key_the_snapshot_names_is_unwrapped_at_first_use_and_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    write(&ledger, 0, 10);
    ledger.write_snapshot().unwrap();
    let expected = decisions(&ledger);
    drop(ledger);
    // Untouched, the keys unwrap when first needed: exports read every payload, a grant for
    // a known subject seals under its key.
    let (with, status, replayed) = both(&path);
    assert!(matches!(status, SnapshotStatus::Used { .. }));
    assert_eq!(with, replayed);
    let snapshot = std::fs::read(snapshot_of(&path)).unwrap();
    for tamper in [
        "UPDATE subject_keys SET wrapped = zeroblob(length(wrapped))",
        "UPDATE subject_keys SET since_seq = since_seq + 1",
        "DELETE FROM subject_keys",
    ] {
        let copy = dir.path().join("tampered.db");
        for suffix in ["", ".key"] {
            std::fs::copy(
                format!("{}{suffix}", path.display()),
                format!("{}{suffix}", copy.display()),
            )
            .unwrap();
        }
        std::fs::write(snapshot_of(&copy), &snapshot).unwrap();
        {
            let conn = rusqlite::Connection::open(&copy).unwrap();
            conn.execute(tamper, []).unwrap();
        }
        let ledger = Ledger::open(&copy, options().with_snapshot_every(0)).unwrap();
        assert!(matches!(
            ledger.snapshot_status(),
            SnapshotStatus::Used { .. }
        ));
        assert_eq!(decisions(&ledger), expected, "{tamper}");
        let person = subject(&ledger, &numbers()[0]);
        let export = ledger.subject_export(&person, &actor(), LOOKUP);
        assert_eq!(
            export.unwrap_err().code(),
            consent_core::ErrorCode::Integrity,
            "{tamper}"
        );
        let events = ledger.event_count();
        let grant = ledger.grant(&request(&numbers()[0], "case_handling"), &actor());
        assert_eq!(
            grant.unwrap_err().code(),
            consent_core::ErrorCode::Integrity,
            "{tamper}"
        );
        assert_eq!(ledger.event_count(), events, "{tamper}: nothing written");
        assert_eq!(decisions(&ledger), expected, "{tamper}");
        drop(ledger);
        std::fs::remove_file(snapshot_of(&copy)).unwrap();
        assert!(Ledger::open(&copy, options()).is_err(), "{tamper}");
        for suffix in ["", ".key", "-wal", "-shm", ".head", ".lock"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
        }
    }
}

/// [`both`] for a ledger opened with `options`.
fn both_with(
    path: &Path,
    options: impl Fn() -> consent_core::LedgerOptions,
) -> (Vec<String>, SnapshotStatus, Vec<String>) {
    let copy = |with_snapshot: bool| -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("consent.db");
        std::fs::copy(path, &to).unwrap();
        std::fs::copy(
            format!("{}.key", path.display()),
            format!("{}.key", to.display()),
        )
        .unwrap();
        if with_snapshot && snapshot_of(path).exists() {
            std::fs::copy(snapshot_of(path), snapshot_of(&to)).unwrap();
        }
        (dir, to)
    };
    let (_a, with_path) = copy(true);
    let ledger = Ledger::open(&with_path, options()).unwrap();
    let status = ledger.snapshot_status();
    let with = state(&ledger);
    drop(ledger);
    let (_b, without_path) = copy(false);
    let ledger = Ledger::open(&without_path, options()).unwrap();
    assert_eq!(ledger.snapshot_status(), SnapshotStatus::Absent);
    let replayed = state(&ledger);
    drop(ledger);
    (with, status, replayed)
}

/// Whether the ledger's export of `number` says the person is erased.
fn erased(ledger: &Ledger, number: &str) -> bool {
    let export = ledger
        .subject_export(&subject(ledger, number), &actor(), LOOKUP)
        .unwrap();
    export.status == consent_core::SubjectStatus::Erased
}

/// The review's finding: a handle that opened from a snapshot and never needed a subject's
/// data key (so never unwrapped it) catches up past another handle's kassasjon of that
/// subject, whose key is then gone from the store: its next write, its snapshot at close and
/// the open from that snapshot all succeed, with the subject erased, as a full replay has it.
#[test]
fn a_handle_from_a_snapshot_catches_up_past_another_handles_kassasjon() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let numbers = numbers();
    let setup = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    for number in &numbers[..3] {
        setup
            .grant(&request(number, "case_handling"), &actor())
            .unwrap();
    }
    setup.write_snapshot().unwrap();
    drop(setup);
    // A: from the snapshot, every key still wrapped in the store.
    let a = Ledger::open(&path, kassasjon_options().with_snapshot_every(1)).unwrap();
    assert!(matches!(a.snapshot_status(), SnapshotStatus::Used { .. }));
    // B shreds the first person, whom A never touched.
    let b = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    let person = subject(&b, &numbers[0]);
    assert!(matches!(
        erase_by_kassasjon(&b, &person),
        consent_core::ErasureOutcome::Erased { .. }
    ));
    drop(b);
    // A writes (catching up under the write lock first).
    a.grant(&request(&numbers[1], "case_handling"), &actor())
        .unwrap();
    assert!(erased(&a, &numbers[0]));
    let events = a.event_count();
    drop(a);
    // A's close wrote a snapshot of the head; the open uses it and agrees with a replay.
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    assert_eq!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { seq: events }
    );
    assert!(erased(&reopened, &numbers[0]));
    assert!(!erased(&reopened, &numbers[1]));
    assert!(reopened.verify().unwrap().ok);
    drop(reopened);
    let (with, status, replayed) = both_with(&path, kassasjon_options);
    assert!(matches!(status, SnapshotStatus::Used { .. }));
    assert_eq!(with, replayed);
}

/// Fail closed still: a key the snapshot named that is gone from the store with no erasure
/// of its subject among the events after the snapshot is `Integrity` for the catch-up (a write
/// by the handle is refused, nothing written), and a full replay refuses the file.
#[test]
fn a_key_gone_without_an_erasure_still_fails_the_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    write(&ledger, 0, 8);
    ledger.write_snapshot().unwrap();
    drop(ledger);
    let a = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    assert!(matches!(a.snapshot_status(), SnapshotStatus::Used { .. }));
    // Another handle writes for the first person, and the person's key is deleted behind
    // the ledger's back (no erasure recorded).
    let b = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    b.grant(&request(&numbers()[0], "case_handling"), &actor())
        .unwrap();
    let head = b.event_count();
    drop(b);
    let pseudonym = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let subject: Vec<u8> = conn
            .query_row(
                "SELECT subject FROM events WHERE seq = ?1",
                [i64::try_from(head).unwrap()],
                |row| row.get(0),
            )
            .unwrap();
        conn.execute("DELETE FROM subject_keys WHERE subject = ?1", [&subject])
            .unwrap();
        subject
    };
    assert_eq!(pseudonym.len(), 16);
    let events = a.event_count();
    let grant = a.grant(&request(&numbers()[1], "case_handling"), &actor());
    let error = grant.unwrap_err();
    assert_eq!(
        error.code(),
        consent_core::ErrorCode::Integrity,
        "{}",
        error.message()
    );
    assert!(
        error.message().contains("not stored"),
        "{}",
        error.message()
    );
    assert_eq!(a.event_count(), events, "nothing applied, nothing written");
    drop(a);
    // An open from the snapshot cannot apply the tail, and the replay it falls back to
    // refuses the file as a replay always did.
    assert_eq!(
        Ledger::open(&path, options()).unwrap_err().code(),
        consent_core::ErrorCode::Integrity
    );
}

/// A handle that closes after another process wrote (here a kassasjon, which removed the
/// snapshot because it holds the person's grants) puts no snapshot in place: its state is
/// behind the store's head and still holds the shredded person. The next open replays the
/// log; a handle that writes a snapshot on request catches up first, and its snapshot is of
/// the head.
#[test]
fn a_snapshot_is_never_put_in_place_behind_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let numbers = numbers();
    // A replays the log (no snapshot yet): it holds every key unwrapped, as on main.
    let a = Ledger::open(&path, kassasjon_options().with_snapshot_every(1)).unwrap();
    for number in &numbers[..3] {
        a.grant(&request(number, "case_handling"), &actor())
            .unwrap();
    }
    let b = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    let person = subject(&b, &numbers[0]);
    erase_by_kassasjon(&b, &person);
    let head = b.event_count();
    drop(b);
    // A has not looked since: its state is behind the head.
    assert!(a.event_count() < head);
    drop(a);
    assert!(
        !snapshot_of(&path).exists(),
        "a snapshot behind the head was put in place"
    );
    let reopened = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    assert_eq!(reopened.snapshot_status(), SnapshotStatus::Absent);
    assert_eq!(reopened.event_count(), head);
    assert!(erased(&reopened, &numbers[0]));
    drop(reopened);

    // Asked for one, a handle behind the head catches up and writes the head's.
    let c = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    let d = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    d.grant(&request(&numbers[2], "case_handling"), &actor())
        .unwrap();
    let head = d.event_count();
    drop(d);
    assert!(c.event_count() < head);
    assert_eq!(c.write_snapshot().unwrap(), Some(head));
    drop(c);
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    assert_eq!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { seq: head }
    );
    assert!(erased(&reopened, &numbers[0]));
    drop(reopened);
    let (with, status, replayed) = both_with(&path, kassasjon_options);
    assert!(matches!(status, SnapshotStatus::Used { .. }));
    assert_eq!(with, replayed);
}

/// A genuine snapshot (its MAC verifies) whose state the events after it cannot be applied
/// to is ignored and reported, and the open replays the log rather than failing; no state of
/// that snapshot is kept, and the next close writes a snapshot that is used.
#[test]
fn a_snapshot_the_tail_cannot_be_applied_to_is_ignored_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    write(&ledger, 0, 8);
    ledger.write_snapshot().unwrap();
    // Events after the snapshot, for people whose keys it names.
    write(&ledger, 8, 12);
    drop(ledger);
    // The snapshot, re-signed with the ledger's key, naming every key for a later first
    // event than the store holds it for (the last section: a count, then per subject its
    // pseudonym and the first event its key seals).
    let key =
        consent_core::read_key_file(&PathBuf::from(format!("{}.key", path.display()))).unwrap();
    let good = std::fs::read(snapshot_of(&path)).unwrap();
    let mut body = good[..good.len() - 32].to_vec();
    let end = body.len();
    let count = (1..=64usize)
        .find(|&count| {
            let at = end - 24 * count;
            let word = |from: usize| u64::from_le_bytes(body[from..from + 8].try_into().unwrap());
            word(at - 8) == count as u64 && word(at - 16) == 8 + 24 * count as u64
        })
        .unwrap();
    for entry in 0..count {
        let since = end - 24 * count + 24 * entry + 16;
        let value = u64::from_le_bytes(body[since..since + 8].try_into().unwrap());
        body[since..since + 8].copy_from_slice(&(value + 1).to_le_bytes());
    }
    let tag = snapshot_mac(key.as_bytes(), &body);
    body.extend_from_slice(&tag);
    std::fs::write(snapshot_of(&path), &body).unwrap();
    let (with, status, replayed) = both(&path);
    ignored(&status, "could not be applied");
    assert_eq!(with, replayed);
    // The ledger itself: opened by a replay, and its close writes a snapshot that is used.
    let ledger = Ledger::open(&path, options().with_snapshot_every(1)).unwrap();
    ignored(&ledger.snapshot_status(), "could not be applied");
    let events = ledger.event_count();
    drop(ledger);
    let reopened = Ledger::open(&path, options()).unwrap();
    assert_eq!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { seq: events }
    );
    assert!(reopened.verify().unwrap().ok);
}

/// A kassasjon through a ledger that does not know the snapshot's file (built on a store
/// with `Ledger::with_store`) leaves the snapshot; the next open from it catches up past the
/// erasure and removes it, so the shredded person's state does not stay on disk until a
/// later close.
#[test]
fn an_open_that_catches_up_past_a_kassasjon_removes_the_snapshot_it_used() {
    use consent_core::read_key_file;
    use consent_core::storage::SqliteStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let numbers = numbers();
    let ledger = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    for number in &numbers[..2] {
        ledger
            .grant(&request(number, "case_handling"), &actor())
            .unwrap();
    }
    assert!(ledger.write_snapshot().unwrap().is_some());
    drop(ledger);
    let mut key_path = path.as_os_str().to_owned();
    key_path.push(".key");
    let key = read_key_file(Path::new(&key_path)).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let other = Ledger::with_store(Box::new(store), kassasjon_options().with_key(key)).unwrap();
    let person = subject(&other, &numbers[0]);
    erase_by_kassasjon(&other, &person);
    drop(other);
    assert!(
        snapshot_of(&path).exists(),
        "with_store knows no snapshot file"
    );
    let reopened = Ledger::open(&path, kassasjon_options().with_snapshot_every(0)).unwrap();
    assert!(matches!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { .. }
    ));
    assert!(erased(&reopened, &numbers[0]));
    assert!(
        !snapshot_of(&path).exists(),
        "the snapshot holding a shredded person's state was kept"
    );
    drop(reopened);
    // No temporary snapshot file is left behind either.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".snapshot.new-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Reading the log of a ledger opened from a snapshot, before any key it named was needed:
/// the keys come from the store while the events are read from it (the read connection is
/// not re-entrant; this hung once, in the shared ledger's full-size run).
#[test]
fn the_events_of_a_ledger_opened_from_a_snapshot_read_with_keys_never_unwrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    write(&ledger, 0, 6);
    let before = ledger.events().unwrap();
    assert!(ledger.write_snapshot().unwrap().is_some());
    drop(ledger);
    let reopened = Ledger::open(&path, options().with_snapshot_every(0)).unwrap();
    assert!(matches!(
        reopened.snapshot_status(),
        SnapshotStatus::Used { .. }
    ));
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = reopened.clone();
    std::thread::spawn(move || {
        let _ = tx.send(reader.events().map(|events| events.len()));
    });
    let read = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("reading the events hung");
    assert_eq!(read.unwrap(), before.len());
    // Every event reads as before, payloads opened with their keys.
    assert_eq!(
        format!("{:?}", reopened.events().unwrap()),
        format!("{before:?}")
    );
}
