//! Upgrading a ledger file written by consent 0.1 (file format 1, `fixtures/v0_1/`, made by
//! `fixtures/v0_1/make.sh` with the 0.1 code) to format 2: refused until upgraded, then it
//! opens, verifies and decides exactly as 0.1 did; the upgrade refuses anything else and
//! changes nothing when it fails.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::path::{Path, PathBuf};

use consent_core::storage::{upgrade_file, upgrade_file_with};
use consent_core::{Catalogue, ErrorCode, Ledger, LedgerOptions, PseudonymKey};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v0_1")
        .join(name)
}

/// The fixture's key (git does not keep the key file's 0600, so it is passed as bytes).
fn key() -> PseudonymKey {
    let text = std::fs::read_to_string(fixture("ledger-key.hex")).unwrap();
    let bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(text.trim().get(2 * i..2 * i + 2).unwrap(), 16).unwrap())
        .collect();
    PseudonymKey::from_slice(&bytes).unwrap()
}

/// The fixture's key, and the catalogue 0.1 embedded (`catalogue.toml`, format 1, copied from
/// commit 0572e1e): the rules the file was written under, so its decisions can be compared.
fn options() -> LedgerOptions {
    let catalogue =
        Catalogue::from_toml(&std::fs::read_to_string(fixture("catalogue.toml")).unwrap()).unwrap();
    LedgerOptions::default()
        .with_key(key())
        .with_catalogue(catalogue)
}

/// Whether every key of `old` (0.1's JSON) holds the same value in `new`: later versions add
/// keys (the decision's two gates), they never change what 0.1 said.
fn keeps(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => old
            .iter()
            .all(|(key, value)| new.get(key).is_some_and(|n| keeps(value, n))),
        (Value::Array(old), Value::Array(new)) => {
            old.len() == new.len() && old.iter().zip(new).all(|(o, n)| keeps(o, n))
        }
        _ => old == new,
    }
}

/// A copy of the 0.1 ledger in a fresh directory.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    std::fs::copy(fixture("ledger.sqlite"), &path).unwrap();
    (dir, path)
}

#[test]
fn a_format_1_file_is_refused_with_the_upgrade_command() {
    let (_dir, path) = copy();
    let before = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
    assert!(
        err.message().contains("consent upgrade"),
        "{}",
        err.message()
    );
    let err = Ledger::verify_file(&path, &options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
    assert!(
        err.message().contains("consent upgrade"),
        "{}",
        err.message()
    );
    assert!(std::fs::read(&path).unwrap() == before);
}

/// The fixture's key and no catalogue: the ledger's own, in force.
fn own_catalogue() -> LedgerOptions {
    LedgerOptions::default().with_key(key())
}

#[test]
fn the_upgraded_file_opens_and_decides_exactly_as_0_1_did() {
    let (_dir, path) = copy();
    let report = upgrade_file(&path, &key()).unwrap();
    assert_eq!((report.from_format, report.to_format), (1, 2));
    assert_eq!(report.events, 10);
    assert_eq!(report.keys_rewrapped, 4);
    // The catalogue 0.1 wrote the ledger under, then today's default, recorded as adopted.
    assert_eq!(report.catalogues_adopted, ["2026-11-01", "2026-12-01"]);

    let ledger = Ledger::open(&path, own_catalogue()).unwrap();
    assert_eq!(ledger.event_count(), 12);
    assert!(ledger.verify().unwrap().ok);
    let adoptions: Vec<_> = ledger
        .events()
        .unwrap()
        .into_iter()
        .skip(10)
        .map(|e| match e.payload {
            consent_core::EventPayload::CatalogueAdopted(a) => {
                assert_eq!(e.actor.id(), consent_core::SYSTEM_ACTOR_ID);
                assert_eq!(e.subject, None);
                (a.version, a.sha256, a.toml)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let v0_1 = Catalogue::embedded_v0_1();
    assert_eq!(
        adoptions,
        [
            (
                "2026-11-01".to_owned(),
                v0_1.digest().to_owned(),
                std::fs::read_to_string(fixture("catalogue.toml")).unwrap()
            ),
            (
                "2026-12-01".to_owned(),
                Catalogue::embedded().digest().to_owned(),
                Catalogue::embedded_toml().to_owned()
            ),
        ]
    );
    // Today's default is in force now; 0.1's is in force for every instant before the upgrade.
    assert_eq!(ledger.catalogue().digest(), Catalogue::embedded().digest());
    let before_upgrade = "2026-06-01T10:00:00Z".parse().unwrap();
    assert_eq!(
        ledger.catalogue_at(before_upgrade).unwrap().digest(),
        v0_1.digest()
    );
    let decided: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("decisions.json")).unwrap()).unwrap();
    assert_eq!(decided.len(), 9);
    for case in &decided {
        let subject = ledger
            .parse_national_id(case["subject"].as_str().unwrap())
            .unwrap();
        let categories: Vec<&str> = case["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let decision = ledger
            .decide_with(
                &subject,
                case["recipient"].as_str().unwrap(),
                case["purpose"].as_str().unwrap(),
                &categories,
                case["at"].as_str().unwrap().parse().unwrap(),
            )
            .unwrap();
        let now: Value = serde_json::from_str(&decision.to_json()).unwrap();
        assert!(
            keeps(&case["decision"], &now),
            "{}: 0.1 said {}, now {now}",
            case["recipient"],
            case["decision"]
        );
    }
    drop(ledger);
    assert!(Ledger::verify_file(&path, &options()).unwrap().ok);
    // The ledger is under today's default now: opening it with 0.1's catalogue is refused.
    let before = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    assert!(err.message().contains("adopt"), "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);

    // Twice is refused, and changes nothing.
    let before = std::fs::read(&path).unwrap();
    let err = upgrade_file(&path, &key()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
    assert!(err.message().contains("already"), "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);
}

#[test]
fn a_failed_upgrade_leaves_the_file_as_it_was() {
    // The wrong key.
    let (dir, path) = copy();
    let before = std::fs::read(&path).unwrap();
    let err = upgrade_file(&path, &PseudonymKey::from_bytes([3; 32])).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyMismatch);
    assert!(std::fs::read(&path).unwrap() == before);
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(dir.path()), ["consent.db"]);

    // A format-1 ledger whose key row was tampered with is not blessed by a re-wrap: the
    // raised since_seq hides the person's later records, which the check before the upgrade
    // finds.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE subject_keys SET since_seq = since_seq + 1 WHERE since_seq = (SELECT max(since_seq) FROM subject_keys WHERE since_seq < 10)",
            [],
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = upgrade_file(&path, &key()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    assert!(err.message().contains("not upgraded"), "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);
    assert_eq!(names(dir.path()), ["consent.db"]);

    // Not a consent ledger at all.
    let other = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    let err = upgrade_file(&other, &key()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    assert!(std::fs::read(&other).unwrap() == before);
    let json = dir.path().join("g.json");
    std::fs::write(&json, "{}").unwrap();
    assert_eq!(
        upgrade_file(&json, &key()).unwrap_err().code(),
        ErrorCode::Storage
    );
    assert_eq!(
        upgrade_file(&dir.path().join("missing.db"), &key())
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    // A current (format 2) ledger.
    let current = dir.path().join("current.db");
    drop(Ledger::open(&current, LedgerOptions::default()).unwrap());
    assert_eq!(
        upgrade_file(&current, &key()).unwrap_err().code(),
        ErrorCode::UnsupportedVersion
    );
}

#[test]
fn an_upgrade_for_the_0_1_catalogue_records_it_alone_and_opens_with_it() {
    let (_dir, path) = copy();
    let report = upgrade_file_with(&path, &key(), None, &Catalogue::embedded_v0_1()).unwrap();
    assert_eq!(report.catalogues_adopted, ["2026-11-01"]);
    let ledger = Ledger::open(&path, options()).unwrap();
    assert_eq!(ledger.event_count(), 11);
    assert_eq!(ledger.catalogue().version(), "2026-11-01");
    assert!(ledger.verify().unwrap().ok);
}

#[test]
fn an_upgrade_refuses_catalogues_that_do_not_fit_and_changes_nothing() {
    let (_dir, path) = copy();
    let before = std::fs::read(&path).unwrap();
    // A catalogue that drops a 0.1 category cannot follow it: its events name that category.
    let text = Catalogue::embedded_v0_1()
        .toml()
        .replacen("code = \"health\"", "code = \"helse\"", 1)
        .replace("\"health\"]", "\"helse\"]")
        .replace("\"health\",", "\"helse\",");
    let dropped = Catalogue::from_toml(&text).unwrap();
    let err = upgrade_file_with(&path, &key(), None, &dropped).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCatalogue, "{}", err.message());
    assert!(err.message().contains("`health`"), "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);
    // The catalogue the ledger was written under must be the version it stored.
    let err = upgrade_file_with(
        &path,
        &key(),
        Some(&Catalogue::embedded()),
        &Catalogue::embedded(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCatalogue, "{}", err.message());
    assert!(err.message().contains("2026-11-01"), "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);
}

#[test]
fn an_upgrade_is_done_alone() {
    // A consent 0.1 process holds the lock file's lock for as long as it has the file open;
    // the upgrade must not run beside it (nor beside another upgrade).
    let (dir, path) = copy();
    let lock = std::fs::File::create(dir.path().join("consent.db.lock")).unwrap();
    lock.lock().unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = upgrade_file(&path, &key()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked, "{}", err.message());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
    lock.unlock().unwrap();
    upgrade_file(&path, &key()).unwrap();
}

#[test]
fn an_operators_upgrade_is_permitted_backed_up_first_and_recorded_as_theirs() {
    use consent_core::Actor;
    use consent_core::storage::upgrade_file_as;
    let (dir, path) = copy();
    let before = std::fs::read(&path).unwrap();
    let backup = dir.path().join("before");
    let default = Catalogue::embedded();

    // A role without adopt_catalogue, or one the catalogue lacks: nothing written, no backup.
    for (role, code) in [
        ("case_worker", ErrorCode::NotPermitted),
        ("janitor", ErrorCode::UnknownCode),
    ] {
        let actor = Actor::new("ola", role).unwrap();
        let err =
            upgrade_file_as(&path, &key(), None, &default, &actor, &backup, true).unwrap_err();
        assert_eq!(err.code(), code, "{}", err.message());
        assert!(std::fs::read(&path).unwrap() == before);
        assert!(!backup.exists());
    }

    // A catalogue the operator brings cannot grant itself the adoption: its new role must be
    // permitted by the catalogue in force too (0.1's, with the default roles, lacks it).
    let steward_catalogue = Catalogue::from_toml(&Catalogue::embedded_toml().replace(
        "[[role]]\ncode = \"case_worker\"",
        "[[role]]\ncode = \"steward\"\nname = \"Forvalter\"\nmay = [\"adopt_catalogue\"]\n\n[[role]]\ncode = \"case_worker\"",
    ))
    .unwrap();
    assert!(steward_catalogue.role("steward").is_some());
    let steward = Actor::new("ola", "steward").unwrap();
    let err = upgrade_file_as(
        &path,
        &key(),
        None,
        &steward_catalogue,
        &steward,
        &backup,
        true,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownCode, "{}", err.message());
    assert!(std::fs::read(&path).unwrap() == before);
    assert!(!backup.exists());

    // A catalogue that takes only signed actors refuses even the DPO named by the host.
    let signed_only = Catalogue::from_toml(&Catalogue::embedded_toml().replace(
        "require_signed_actors = false",
        "require_signed_actors = true",
    ))
    .unwrap();
    assert!(signed_only.settings().require_signed_actors);
    let dpo = Actor::new("ola", "dpo").unwrap();
    let err = upgrade_file_as(&path, &key(), None, &signed_only, &dpo, &backup, true).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotPermitted, "{}", err.message());
    assert!(
        err.message().contains("require_signed_actors"),
        "{}",
        err.message()
    );
    assert!(std::fs::read(&path).unwrap() == before);
    assert!(!backup.exists());

    let (manifest, report) =
        upgrade_file_as(&path, &key(), None, &default, &dpo, &backup, true).unwrap();
    assert_eq!((manifest.file_format, manifest.head_seq), (1, 10));
    assert_eq!(manifest.storage_schema, "1");
    assert!(manifest.key_included && backup.join("ledger.key").exists());
    assert_eq!(report.events, 10);
    // The backup is the 0.1 ledger as it was: it upgrades (verifying every event) on its own.
    let again = dir.path().join("again.db");
    std::fs::copy(backup.join("ledger.db"), &again).unwrap();
    assert_eq!(upgrade_file(&again, &key()).unwrap().events, 10);
    // The adoptions are the operator's.
    let ledger = Ledger::open(&path, own_catalogue()).unwrap();
    let actors: Vec<String> = ledger
        .events()
        .unwrap()
        .iter()
        .skip(10)
        .map(|e| format!("{}/{}", e.actor.id(), e.actor.role().as_str()))
        .collect();
    assert_eq!(actors, ["ola/dpo", "ola/dpo"]);
    drop(ledger);

    // Once upgraded: refused as nothing to upgrade, and a second backup directory is not made.
    let again_backup = dir.path().join("twice");
    let err =
        upgrade_file_as(&path, &key(), None, &default, &dpo, &again_backup, true).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
    assert!(!again_backup.exists());
}
