//! `consent_postgres::open`: the one entry point the C library, the Python package and the CLI
//! call with a path, `":memory:"` or a PostgreSQL URL.

use chrono::Utc;
use consent_core::{ErrorCode, Ledger, LedgerOptions, OpenMode, PseudonymKey};

use crate::common::{TestSchema, password_of};
use crate::shared::{actor, grant, permits};

fn key_options(key_file: &std::path::Path) -> LedgerOptions {
    LedgerOptions::default().with_key_file(key_file)
}

#[test]
fn a_url_opens_a_shared_ledger_and_a_path_a_file() {
    let Some(schema) = TestSchema::new("open") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("host.key");

    // A new schema and no key file yet: both are made, the key file first.
    let a = consent_postgres::open(&schema.url(), key_options(&key_file)).expect("create");
    assert!(key_file.exists());
    let id = grant(&a);
    // Another host with the same key file opens the same ledger.
    let b = consent_postgres::open(&schema.url(), key_options(&key_file)).expect("open");
    assert_eq!(permits(&b), (true, 2));
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    assert_eq!(permits(&b), (false, 3));

    // The same entry point opens a file and memory.
    let file = consent_postgres::open(
        dir.path().join("file.db").to_str().expect("utf-8"),
        LedgerOptions::default(),
    )
    .expect("file");
    assert_eq!(file.event_count(), 1);
    let memory = consent_postgres::open(":memory:", LedgerOptions::default()).expect("memory");
    assert_eq!(memory.event_count(), 1);
}

#[test]
fn create_mode_refuses_a_schema_that_holds_a_ledger() {
    let Some(schema) = TestSchema::new("create") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("host.key");
    let create = || {
        consent_postgres::open(
            &schema.url(),
            key_options(&key_file).with_mode(OpenMode::Create),
        )
    };
    drop(create().expect("create"));
    let error = create().expect_err("exists");
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    assert_eq!(
        schema.query(&format!("SELECT count(*) FROM \"{}\".records", schema.name)),
        vec![Some("1".to_owned())]
    );
}

#[test]
fn the_key_comes_from_the_host_and_a_wrong_one_is_a_key_mismatch() {
    let Some(schema) = TestSchema::new("key") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let key = PseudonymKey::generate().expect("key");
    drop(
        consent_postgres::open(
            &schema.url(),
            LedgerOptions::default().with_key(key.clone()),
        )
        .expect("create"),
    );
    let other = PseudonymKey::generate().expect("key");
    let error = consent_postgres::open(&schema.url(), LedgerOptions::default().with_key(other))
        .expect_err("wrong key");
    assert_eq!(error.code(), ErrorCode::KeyMismatch, "{error}");

    let error =
        consent_postgres::open(&schema.url(), LedgerOptions::default()).expect_err("no key");
    assert_eq!(error.code(), ErrorCode::InvalidInput, "{error}");

    // A key file that is not there for a ledger that exists: never a new key.
    let missing = dir.path().join("missing.key");
    let error =
        consent_postgres::open(&schema.url(), key_options(&missing)).expect_err("missing key");
    assert_eq!(error.code(), ErrorCode::KeyMismatch, "{error}");
    assert!(!missing.exists());
    let dump: String = schema
        .query(&format!(
            "SELECT string_agg(key || value, ' ') FROM \"{}\".meta",
            schema.name
        ))
        .into_iter()
        .flatten()
        .collect();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !dump.contains(&hex),
        "the database holds the key's check value only"
    );
}

#[test]
fn a_read_only_open_changes_nothing_and_still_sees_other_hosts() {
    let Some(schema) = TestSchema::new("ro") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let options = || LedgerOptions::default().with_key(key.clone());
    let read_only =
        || consent_postgres::open(&schema.url(), options().with_mode(OpenMode::ReadOnly));
    // No ledger there yet: NotFound, and nothing created.
    let error = read_only().expect_err("no ledger");
    assert_eq!(error.code(), ErrorCode::NotFound, "{error}");
    assert!(
        schema
            .query(&format!(
                "SELECT nspname FROM pg_namespace WHERE nspname = '{}'",
                schema.name
            ))
            .is_empty()
    );

    let writer = consent_postgres::open(&schema.url(), options()).expect("create");
    let auditor = read_only().expect("read-only");
    grant(&writer);
    assert_eq!(permits(&auditor), (true, 2));
    let request = auditor
        .parse_grant(&crate::shared::grant_json(Utc::now()))
        .expect("json");
    let error = auditor.grant(&request, &actor()).expect_err("read-only");
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    assert_eq!(writer.events().expect("events").len(), 2);
    assert!(auditor.verify().expect("verify").ok);
}

#[test]
fn tables_or_a_ledger_of_another_version_are_unsupported() {
    let Some(schema) = TestSchema::new("version") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let options = || LedgerOptions::default().with_key(key.clone());
    drop(consent_postgres::open(&schema.url(), options()).expect("create"));

    schema.sql(&format!(
        "UPDATE \"{}\".meta SET value = '9' WHERE key = 'schema_version'",
        schema.name
    ));
    let error = consent_postgres::open(&schema.url(), options()).expect_err("format 9");
    assert_eq!(error.code(), ErrorCode::UnsupportedVersion, "{error}");

    schema.sql(&format!(
        "UPDATE \"{}\".consent_schema SET version = 99",
        schema.name
    ));
    for mode in [OpenMode::OpenOrCreate, OpenMode::ReadOnly] {
        let error = consent_postgres::open(&schema.url(), options().with_mode(mode))
            .expect_err("tables of version 99");
        assert_eq!(error.code(), ErrorCode::UnsupportedVersion, "{error}");
    }
}

#[test]
fn bad_urls_servers_and_passwords_are_storage_errors_without_the_password() {
    let Some(schema) = TestSchema::new("bad") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let password = password_of(schema.server()).expect("the test server has a password");
    let url = schema.url();
    let wrong = url.replacen(&format!(":{password}@"), ":Wr0ng-Secret@", 1);
    let (_, after_host) = url.rsplit_once('@').expect("host");
    let (_, rest) = after_host.split_once('/').expect("path");
    let down = format!("postgresql://consent_test:{password}@127.0.0.1:1/{rest}");
    let malformed = format!("postgresql://consent_test:{password}@127.0.0.1:port/{rest}");
    for (what, url) in [
        ("wrong password", wrong),
        ("down", down),
        ("malformed", malformed),
    ] {
        let error = consent_postgres::open(&url, LedgerOptions::default().with_key(key.clone()))
            .expect_err(what);
        assert_eq!(error.code(), ErrorCode::Storage, "{what}: {error}");
        assert!(!error.message().contains(&password), "{what}: {error}");
        assert!(!error.message().contains("Wr0ng-Secret"), "{what}: {error}");
    }
    // consent-core alone never takes a URL for a file name.
    let error = Ledger::open(&url, LedgerOptions::default()).expect_err("core");
    assert_eq!(error.code(), ErrorCode::InvalidInput, "{error}");
    assert!(!error.message().contains(&password));
}
