//! The findings of the security review (issue 21), each rebuilt as a test that failed before
//! its fix: deleted or emptied ledgers, failed opens that changed files, file modes, and what
//! opening and `verify_file` check.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use consent_core::storage::FileAccess;
use consent_core::{ErrorCode, GrantRequest, Ledger, LedgerOptions, OpenMode};

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("consent.db")
}

fn request(subject: &str) -> GrantRequest {
    GrantRequest::from_json(
        &grant_json(subject, &["nav"], &["case_handling"], &["family"], false).to_string(),
    )
    .unwrap()
}

/// A ledger with two grants, closed.
fn made(dir: &tempfile::TempDir) -> PathBuf {
    let path = db(dir);
    let ledger = Ledger::open(&path, options()).unwrap();
    ledger.grant(&request(ADULT), &actor()).unwrap();
    ledger
        .grant(&request(&national_id("010180", "12")), &actor())
        .unwrap();
    path
}

/// Every file in a directory with its bytes and mode: what "left as it was" compares.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            let bytes = if metadata.is_file() {
                std::fs::read(entry.path()).unwrap()
            } else {
                Vec::new()
            };
            (
                entry.file_name().to_string_lossy().into_owned(),
                (bytes, mode(&metadata)),
            )
        })
        .collect()
}

#[cfg(unix)]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode(_metadata: &std::fs::Metadata) -> u32 {
    0
}

#[track_caller]
fn assert_unchanged(dir: &Path, before: &BTreeMap<String, (Vec<u8>, u32)>) {
    let after = snapshot(dir);
    let names = |s: &BTreeMap<String, (Vec<u8>, u32)>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&after), names(before), "files appeared or vanished");
    for (name, (bytes, mode)) in before {
        let (now, now_mode) = after.get(name).unwrap();
        assert!(now == bytes, "`{name}` changed");
        assert_eq!(now_mode, mode, "`{name}` changed its mode");
    }
}

// Finding 1: an emptied or deleted ledger file became a new, empty ledger.

#[test]
fn an_emptied_ledger_file_is_an_integrity_error_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    std::fs::write(&path, b"").unwrap(); // `: > consent.db`
    let before = snapshot(dir.path());
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    assert!(err.message().contains("empty"), "{}", err.message());
    let err = Ledger::verify_file(&path, &options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    let read_only = options().with_mode(OpenMode::ReadOnly);
    assert_eq!(
        Ledger::open(&path, read_only).unwrap_err().code(),
        ErrorCode::Integrity
    );
    assert_unchanged(dir.path(), &before);

    // Without its key beside it, verify neither writes a schema nor creates a key.
    std::fs::remove_file(dir.path().join("consent.db.key")).unwrap();
    let before = snapshot(dir.path());
    assert_eq!(
        Ledger::verify_file(&path, &options()).unwrap_err().code(),
        ErrorCode::Integrity
    );
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_key_file_without_its_ledger_is_an_integrity_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    std::fs::remove_file(&path).unwrap();
    let before = snapshot(dir.path());
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    assert!(err.message().contains("deleted"), "{}", err.message());
    assert_unchanged(dir.path(), &before);
    let err = Ledger::verify_file(&path, &options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_unchanged(dir.path(), &before);
    // Creating a new ledger with the key is an explicit act.
    let create = options().with_mode(OpenMode::Create);
    assert_eq!(
        crate::common::recorded(&Ledger::open(&path, create).unwrap()),
        0
    );
}

#[test]
fn a_path_where_nothing_exists_still_gets_a_new_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let ledger = Ledger::open(&path, options()).unwrap();
    assert_eq!(crate::common::recorded(&ledger), 0);
    assert!(dir.path().join("consent.db.key").exists());
}

#[test]
fn reading_creates_nothing_beside_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    std::fs::remove_file(dir.path().join("consent.db.lock")).unwrap();
    let before = snapshot(dir.path());
    let report = Ledger::verify_file(&path, &options()).unwrap();
    assert!(report.ok, "{report:?}");
    // The catalogue's adoption and two grants.
    assert_eq!(report.events, 3);
    assert_unchanged(dir.path(), &before);

    let read_only = options().with_mode(OpenMode::ReadOnly);
    let ledger = Ledger::open(&path, read_only.clone()).unwrap();
    assert_eq!(crate::common::recorded(&ledger), 2);
    let adult = subject(&ledger, ADULT);
    let decision = ledger
        .decide_with(&adult, "nav", "case_handling", &["family"], at(2026, 3, 1))
        .unwrap();
    assert!(decision.permitted());
    assert!(ledger.verify().unwrap().ok);
    // Writes are refused and nothing is written.
    let err = ledger.grant(&request(ADULT), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    assert!(err.message().contains("read-only"), "{}", err.message());
    drop(ledger);
    assert_unchanged(dir.path(), &before);

    // A missing ledger is not found, and nothing appears.
    let missing = dir.path().join("missing.db");
    let err = Ledger::open(&missing, read_only).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_reader_sees_a_writer_in_another_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    let writer = Ledger::open(&path, options()).unwrap();
    let read_only = options().with_mode(OpenMode::ReadOnly);
    let reader = Ledger::open(&path, read_only.clone()).unwrap();
    assert_eq!(crate::common::recorded(&reader), 2);
    writer
        .grant(&request(&national_id("020280", "12")), &actor())
        .unwrap();
    assert!(Ledger::verify_file(&path, &options()).unwrap().ok);
    assert_eq!(
        crate::common::recorded(&Ledger::open(&path, read_only).unwrap()),
        3
    );
}

// Finding 8: failed opens changed files.

#[test]
fn a_missing_key_check_is_an_integrity_error_and_the_head_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    let head = |path: &Path| -> String {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT value FROM meta WHERE key = 'head'", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("DELETE FROM meta WHERE key = 'key_check'", [])
            .unwrap();
    }
    let anchored = head(&path);
    // The catalogue's adoption and two grants.
    assert!(anchored.starts_with("3:"), "{anchored}");
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    assert!(err.message().contains("key check"), "{}", err.message());
    assert_eq!(head(&path), anchored);
    let err = Ledger::verify_file(&path, &options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity);
    assert_eq!(head(&path), anchored);
}

#[test]
fn a_foreign_sqlite_file_keeps_its_journal_mode_and_gets_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hei');")
            .unwrap();
    }
    // Also a foreign file that happens to carry a ledger's format number.
    let numbered = dir.path().join("numbered.sqlite");
    {
        let conn = rusqlite::Connection::open(&numbered).unwrap();
        conn.execute_batch("CREATE TABLE meta (k TEXT); PRAGMA user_version = 1;")
            .unwrap();
    }
    let before = snapshot(dir.path());
    for file in [&path, &numbered] {
        for mode in [OpenMode::OpenOrCreate, OpenMode::ReadOnly] {
            let err = Ledger::open(file, options().with_mode(mode)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
            assert!(
                err.message().contains("not a consent ledger"),
                "{}",
                err.message()
            );
        }
        let err = Ledger::verify_file(file, &options()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    }
    assert_unchanged(dir.path(), &before);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
}

#[test]
fn nothing_is_created_beside_a_path_that_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("g.json");
    std::fs::write(&json, br#"{"subject": "x"}"#).unwrap();
    let sub = dir.path().join("tmp");
    std::fs::create_dir(&sub).unwrap();
    let before = snapshot(dir.path());
    for path in [&json, &sub] {
        for mode in [OpenMode::OpenOrCreate, OpenMode::ReadOnly, OpenMode::Create] {
            let options = options().with_mode(mode);
            let err = Ledger::open(path, options).unwrap_err();
            assert!(
                matches!(err.code(), ErrorCode::Storage | ErrorCode::Conflict),
                "{}",
                err.message()
            );
        }
        assert!(Ledger::verify_file(path, &options()).is_err());
    }
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_failed_open_of_a_ledger_leaves_no_lock_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    std::fs::remove_file(dir.path().join("consent.db.lock")).unwrap();
    let before = snapshot(dir.path());
    let wrong = options().with_key(consent_core::PseudonymKey::from_bytes([9; 32]));
    let err = Ledger::open(&path, wrong).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyMismatch);
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_failed_creation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    // The key file cannot be written: its directory does not exist.
    let options = options().with_key_file(dir.path().join("no/such/dir/k.key"));
    let err = Ledger::open(&path, options).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    assert!(
        snapshot(dir.path()).is_empty(),
        "{:?}",
        snapshot(dir.path()).keys()
    );
}

// Finding 9: the database, WAL and SHM were created 0644.

/// The child side of the file-mode test: opens (creating) the ledger with the access the
/// parent names, writes, and prints each file's mode while the ledger is open.
#[test]
fn file_mode_child() {
    let Ok(path) = std::env::var("CONSENT_MODE_CHILD") else {
        return; // Only runs when the file-mode test starts this binary as its child.
    };
    let access = match std::env::var("CONSENT_MODE_ACCESS").as_deref() {
        Ok("group") => FileAccess::Group,
        _ => FileAccess::Owner,
    };
    let path = PathBuf::from(path);
    let ledger = Ledger::open(&path, options().with_file_access(access)).unwrap();
    ledger.grant(&request(ADULT), &actor()).unwrap();
    for suffix in ["", "-wal", "-shm", ".lock", ".key"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let metadata = std::fs::metadata(PathBuf::from(name)).unwrap();
        println!("\nMODE:{suffix} {:o}", mode(&metadata));
    }
}

/// Runs [`file_mode_child`] under umask 000, so only the ledger itself keeps others out.
#[cfg(unix)]
fn modes_under_open_umask(path: &Path, access: &str) -> BTreeMap<String, String> {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000 && exec "$0" --exact security::file_mode_child --nocapture --test-threads=1"#)
        .arg(&exe)
        .env("CONSENT_MODE_CHILD", path)
        .env("CONSENT_MODE_ACCESS", access)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("MODE:"))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(file, mode)| (file.to_owned(), mode.to_owned()))
        .collect()
}

#[cfg(unix)]
#[test]
fn ledger_files_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let modes = modes_under_open_umask(&db(&dir), "owner");
    assert_eq!(modes.len(), 5, "{modes:?}");
    for (file, mode) in &modes {
        assert_eq!(mode, "600", "`{file}`");
    }

    let shared = tempfile::tempdir().unwrap();
    let modes = modes_under_open_umask(&db(&shared), "group");
    assert_eq!(modes.len(), 5, "{modes:?}");
    for (file, mode) in &modes {
        let expected = if file == ".key" { "640" } else { "660" };
        assert_eq!(mode, expected, "`{file}`");
    }
}

#[cfg(unix)]
#[test]
fn a_world_readable_ledger_from_before_is_made_private_when_opened() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = made(&dir);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Ledger::open(&path, options()).unwrap());
    assert_eq!(mode(&std::fs::metadata(&path).unwrap()), 0o640);
}

// Findings 2 and 4: the records of a re-granted subject could be hidden, and `verify` passed
// ledgers that do not open.

/// A ledger where one person consented, was erased, and consented again (with a disclosure and
/// an access request after), and another person consented twice: their pseudonyms.
fn regranted(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let ledger = Ledger::open(path, options()).unwrap();
    let person = national_id("020280", "12");
    let other = national_id("030375", "12");
    let id = subject(&ledger, &person);
    ledger.grant(&request(&person), &actor()).unwrap();
    ledger.request_erasure(&id, &dpo()).unwrap();
    ledger.grant(&request(&person), &actor()).unwrap();
    let disclosure = consent_core::DisclosureRequest::new(
        id.clone(),
        "nav",
        "case_handling",
        &["family"],
        at(2026, 3, 1),
    )
    .unwrap();
    ledger.record_disclosure(&disclosure, &actor()).unwrap();
    ledger
        .register_access_request(&id, at(2026, 3, 2), &actor())
        .unwrap();
    ledger.grant(&request(&other), &actor()).unwrap();
    ledger.grant(&request(&other), &actor()).unwrap();
    let pseudonym = |number: &str| {
        ledger
            .pseudonym(&subject(&ledger, number))
            .as_bytes()
            .to_vec()
    };
    (pseudonym(&person), pseudonym(&other))
}

/// Tampers with a closed ledger through SQL (`?1` is the re-granted person's pseudonym, `?2`
/// the other's), then opens and verifies it.
fn tamper_keys(sql: &str) -> (consent_core::Error, consent_core::VerifyReport) {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let (person, other) = regranted(&path);
    assert!(Ledger::verify_file(&path, &options()).unwrap().ok);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut statements = conn.prepare(sql).unwrap();
        let wanted = statements.parameter_count();
        let all = [&person as &dyn rusqlite::ToSql, &other];
        statements.execute(all.get(..wanted).unwrap()).unwrap();
    }
    let err = Ledger::open(&path, options()).unwrap_err();
    let report = Ledger::verify_file(&path, &options()).unwrap();
    (err, report)
}

#[track_caller]
fn assert_caught(sql: &str, needle: &str) {
    let (err, report) = tamper_keys(sql);
    assert_eq!(err.code(), ErrorCode::Integrity, "{sql}: {}", err.message());
    assert!(err.message().contains(needle), "{sql}: {}", err.message());
    assert!(
        !report.ok,
        "{sql}: verify passed a ledger that does not open"
    );
    let problem = report.problem.unwrap();
    assert!(problem.contains(needle), "{sql}: {problem}");
}

#[test]
fn a_raised_since_seq_no_longer_hides_a_regranted_subjects_records() {
    // Raising since_seq made the new grant, the disclosure and the access request read as
    // payloads from before the key, explained by the erasure: they vanished from the export.
    assert_caught(
        "UPDATE subject_keys SET since_seq = since_seq + 2 WHERE subject = ?1",
        "does not unwrap",
    );
}

#[test]
fn every_unreadable_payload_needs_an_erasure_after_it() {
    // Deleting the re-granted subject's new key: its newer payloads are unreadable, and only
    // the first unreadable one (before the erasure) used to be checked.
    assert_caught(
        "DELETE FROM subject_keys WHERE subject = ?1",
        "no erasure was recorded after it",
    );
}

#[test]
fn verify_checks_the_keys_as_opening_does() {
    // Swapped between two subjects.
    assert_caught(
        "UPDATE subject_keys SET wrapped = CASE subject
             WHEN ?1 THEN (SELECT wrapped FROM subject_keys WHERE subject = ?2)
             ELSE (SELECT wrapped FROM subject_keys WHERE subject = ?1) END
         WHERE subject IN (?1, ?2)",
        "does not unwrap",
    );
    // Duplicated.
    assert_caught(
        "INSERT INTO subject_keys SELECT * FROM subject_keys WHERE subject = ?2",
        "two data keys",
    );
    // Deleted without an erasure.
    assert_caught(
        "DELETE FROM subject_keys WHERE subject = ?2",
        "no erasure was recorded",
    );
    // Not a key at all.
    assert_caught(
        "UPDATE subject_keys SET wrapped = randomblob(60) WHERE subject = ?2",
        "does not unwrap",
    );
}

#[test]
fn an_erased_subjects_key_put_back_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let person = national_id("020280", "12");
    let saved: (Vec<u8>, i64, Vec<u8>) = {
        let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
        ledger.grant(&request(&person), &actor()).unwrap();
        drop(ledger);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row(
            "SELECT subject, since_seq, wrapped FROM subject_keys",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    {
        let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
        erase_by_kassasjon(&ledger, &subject(&ledger, &person));
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO subject_keys (subject, since_seq, wrapped) VALUES (?1, ?2, ?3)",
            rusqlite::params![saved.0, saved.1, saved.2],
        )
        .unwrap();
    }
    let err = Ledger::open(&path, kassasjon_options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity, "{}", err.message());
    assert!(err.message().contains("still stored"), "{}", err.message());
    let report = Ledger::verify_file(&path, &kassasjon_options()).unwrap();
    assert!(!report.ok);
    // Event 1 records the catalogue; then the grant, its withdrawal by the erasure request,
    // the restriction, and the erasure.
    assert_eq!(report.first_bad_seq, Some(5), "{report:?}");
}

// Finding 3: national ids reached the database and messages in disguise.

/// The digits of other scripts the disguises use, by the code point of their zero.
const ZEROS: [u32; 5] = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966];

/// The separators the disguises put between digit groups.
const SEPARATORS: [&str; 12] = [
    "/",
    "_",
    ":",
    " ",
    "  ",
    "\u{00A0}",
    "\u{2013}",
    "\u{200B}",
    "-",
    ".",
    "\u{00A0}\u{00A0}",
    "\u{2060}",
];

/// This test's own reading of a text's digits (independent of the library's): the digits of
/// the scripts above, joined across anything but a letter or another digit; `true` when any 11
/// consecutive of them are a valid national id.
fn holds_national_id(text: &str) -> bool {
    let mut streams: Vec<Vec<u8>> = vec![Vec::new()];
    for c in text.chars() {
        let digit = ZEROS
            .iter()
            .find_map(|zero| (u32::from(c).wrapping_sub(*zero) < 10).then(|| u32::from(c) - zero));
        match digit {
            Some(d) => streams.last_mut().unwrap().push(u8::try_from(d).unwrap()),
            None if c.is_alphanumeric() => streams.push(Vec::new()),
            None => {}
        }
    }
    streams.iter().any(|digits| {
        digits.windows(11).any(|window| {
            let text: String = window.iter().map(|d| char::from(b'0' + d)).collect();
            consent_core::NationalId::parse(&text).is_ok()
        })
    })
}

/// A valid national id from generated parts.
fn valid_id() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    (1u32..=28, 1u32..=12, 0u32..=99, 0u32..=499).prop_filter_map(
        "no valid control digits",
        |(day, month, year, individ)| {
            consent_core::control_digits(&format!("{day:02}{month:02}{year:02}{individ:03}"))
        },
    )
}

/// How an id is disguised: its script, where it is split and by what, brackets around the
/// date, and digits glued on either side.
#[derive(Debug, Clone)]
struct Disguise {
    zero: u32,
    splits: Vec<(usize, &'static str)>,
    brackets: bool,
    before: String,
    after: String,
}

fn disguise() -> impl proptest::strategy::Strategy<Value = Disguise> {
    use proptest::prelude::*;
    (
        prop::sample::select(ZEROS.to_vec()),
        prop::collection::vec(
            (1usize..11, prop::sample::select(SEPARATORS.to_vec())),
            0..3,
        ),
        any::<bool>(),
        "[0-9]{0,3}",
        "[0-9]{0,3}",
    )
        .prop_map(|(zero, splits, brackets, before, after)| Disguise {
            zero,
            splits,
            brackets,
            before,
            after,
        })
}

impl Disguise {
    fn apply(&self, id: &str) -> String {
        let script = |digits: &str| -> String {
            digits
                .chars()
                .map(|c| char::from_u32(self.zero + c.to_digit(10).unwrap()).unwrap())
                .collect()
        };
        let mut out = script(&self.before);
        for (i, c) in id.chars().enumerate() {
            if self.brackets && i == 0 {
                out.push('(');
            }
            if let Some((_, sep)) = self.splits.iter().find(|(at, _)| *at == i) {
                out.push_str(sep);
            }
            if self.brackets && i == 6 {
                out.push_str(") ");
            }
            out.push_str(&script(&c.to_string()));
        }
        out.push_str(&script(&self.after));
        out
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Finding 3: free text holding an id in any disguise is refused (the actor's id and role,
    /// references, reasons), and no error message of the core echoes it.
    #[test]
    fn national_ids_in_disguise_are_refused_and_never_echoed(
        id in valid_id(),
        disguise in disguise(),
    ) {
        let text = disguise.apply(&id);
        proptest::prop_assert!(holds_national_id(&text), "the generator made no id: {text}");
        let mut messages = Vec::new();
        let mut refused = |result: Result<(), consent_core::Error>| {
            match result {
                Ok(()) => false,
                Err(error) => {
                    messages.push(error.message().to_owned());
                    true
                }
            }
        };
        // Free text and the role are refused.
        let free_text = format!("ref {text}");
        proptest::prop_assert!(refused(consent_core::Actor::new(&free_text, "case_worker").map(|_| ())));
        proptest::prop_assert!(refused(consent_core::Actor::new("saksbehandler-17", &text).map(|_| ())));
        let reference = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
        let mut doc = reference.clone();
        let reference_text = format!("2026/{text}");
        doc["evidence"]["reference"] = serde_json::Value::String(reference_text);
        let ledger = ledger();
        proptest::prop_assert!(refused(
            GrantRequest::from_json(&doc.to_string()).and_then(|g| ledger.grant(&g, &actor())).map(|_| ())
        ));
        let grant = ledger.grant(&GrantRequest::from_json(&reference.to_string()).unwrap(), &actor()).unwrap();
        proptest::prop_assert!(refused(ledger.withdraw(grant, at(2026, 3, 1), &actor(), Some(&text))));
        proptest::prop_assert_eq!(crate::common::recorded(&ledger), 1);
        // Messages that echo input never echo the id.
        let mut doc = reference.clone();
        doc[text.as_str()] = serde_json::Value::Bool(true);
        refused(GrantRequest::from_json(&doc.to_string()).map(|_| ()));
        refused(consent_core::NationalId::parse(&text).map(|_| ()));
        refused(consent_core::Code::new(&text).map(|_| ()));
        let id = ledger.parse_national_id(ADULT).unwrap();
        refused(ledger.decide_with(&id, &text, "case_handling", &["family"], at(2026, 3, 1)).map(|_| ()));
        refused(ledger.decide_with(&id, "nav", "case_handling", &[text.as_str()], at(2026, 3, 1)).map(|_| ()));
        let options = serde_json::json!({"catalogue_file": format!("/nonexistent/{text}.toml")});
        refused(LedgerOptions::from_json(&options.to_string()).map(|_| ()));
        refused(consent_core::Catalogue::from_toml(&format!("version = \"{text}\"\n[x]\ny = 1")).map(|_| ()));
        refused(Ledger::open(format!("/nonexistent/{text}.db"), crate::common::options()).map(|_| ()));
        refused(text.parse::<consent_core::GrantId>().map(|_| ()));
        proptest::prop_assert!(messages.len() >= 10);
        for message in &messages {
            proptest::prop_assert!(!holds_national_id(message), "`{}` echoes `{}`", message, text);
        }
    }
}

// Finding 7: unbounded inputs, a log read whole into memory.

#[test]
fn inputs_are_bounded_before_they_are_read() {
    use consent_core::{Catalogue, MAX_CATALOGUE_BYTES, MAX_DOCUMENT_BYTES};
    let huge = format!(
        "{{\"subject\": \"{ADULT}\", \"padding\": \"{}\"}}",
        "x".repeat(MAX_DOCUMENT_BYTES)
    );
    let err = GrantRequest::from_json(&huge).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("larger than"), "{}", err.message());
    assert!(consent_core::Actor::from_json(&huge).is_err());
    assert!(LedgerOptions::from_json(&huge).is_err());

    let mut doc = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
    doc["categories"] = serde_json::json!(vec!["family"; 65]);
    let err = GrantRequest::from_json(&doc.to_string()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err.message());
    assert!(err.message().contains("more than"), "{}", err.message());

    let big = format!("# {}\n", "x".repeat(MAX_CATALOGUE_BYTES));
    let err = Catalogue::from_toml(&big).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCatalogue);

    // A catalogue file is read no further than its limit, and only when it is a regular file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.toml");
    std::fs::write(&file, &big).unwrap();
    for (path, code) in [
        (file.as_path(), ErrorCode::InvalidCatalogue),
        (Path::new("/dev/zero"), ErrorCode::InvalidInput),
        (dir.path(), ErrorCode::InvalidInput),
    ] {
        let options = serde_json::json!({"catalogue_file": path}).to_string();
        let err = LedgerOptions::from_json(&options).unwrap_err();
        assert_eq!(err.code(), code, "{}: {}", path.display(), err.message());
    }
}

#[test]
fn the_log_reads_a_page_at_a_time_checked_across_pages() {
    let store = std::sync::Arc::new(consent_core::storage::MemoryStore::new());
    let options = options().with_key(consent_core::PseudonymKey::from_bytes([8; 32]));
    let ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    for _ in 0..25 {
        ledger.grant(&request(ADULT), &actor()).unwrap();
    }
    let all = ledger.events().unwrap();
    let mut cursor = consent_core::EventCursor::start();
    let mut paged = Vec::new();
    loop {
        let page = ledger.events_page(&mut cursor, 7).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // The catalogue's adoption and 25 grants.
    assert_eq!(cursor.next_seq(), 27);

    // A page that starts after an altered event still checks its link to it.
    store.tamper(14, |record| record.header.push(' '));
    let mut cursor = consent_core::EventCursor::start();
    assert_eq!(ledger.events_page(&mut cursor, 13).unwrap().len(), 13);
    let err = ledger.events_page(&mut cursor, 7).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity);
    assert_eq!(err.event(), Some(14));
}
