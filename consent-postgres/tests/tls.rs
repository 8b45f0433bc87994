//! TLS to the server, with libpq's `sslmode` and `sslrootcert`. The private cluster of
//! scripts/pg.sh speaks TLS with a certificate for `localhost` signed by a test CA
//! (`CONSENT_TEST_POSTGRES_CA`), and its role `consent_tls` may connect over TLS only: a ledger
//! that opens as `consent_tls` was reached over an encrypted connection.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails on a fixture it cannot build or a ledger that should not open"
)]

use consent_core::{Actor, ErrorCode, LedgerOptions, PseudonymKey};

use crate::common::{TestSchema, password_of};

/// The test CA, or `None` when the tests run without the private cluster (they are skipped
/// then, as every test here that needs a server).
fn ca() -> Option<String> {
    let ca = std::env::var("CONSENT_TEST_POSTGRES_CA").ok();
    assert!(
        ca.is_some() || std::env::var("CONSENT_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "CONSENT_TEST_POSTGRES_CA is not set: run the tests through scripts/with-postgres.sh"
    );
    ca
}

/// The schema's URL with the TLS-only role, `host`, and extra parameters.
fn url(schema: &TestSchema, host: &str, params: &str) -> String {
    let server = schema.server();
    let password = password_of(server).expect("the test server's URL has a password");
    let (_, rest) = server.split_once('@').expect("user@host");
    let (_, port_and_db) = rest.split_once(':').expect("host:port");
    format!(
        "postgresql://consent_tls:{password}@{host}:{port_and_db}?schema={}&{params}",
        schema.name
    )
}

fn options() -> LedgerOptions {
    LedgerOptions::default().with_key(PseudonymKey::generate().expect("key"))
}

fn open_error(location: &str) -> consent_core::Error {
    match consent_postgres::open(location, options()) {
        Ok(_) => panic!("opened: {location}"),
        Err(e) => e,
    }
}

#[test]
fn verify_full_reaches_the_server_that_the_ca_vouches_for() {
    let (Some(schema), Some(ca)) = (TestSchema::new("tlsfull"), ca()) else {
        return;
    };
    let location = url(
        &schema,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let ledger = consent_postgres::open(&location, options()).expect("open over TLS");
    // A write and a decision over the encrypted connection.
    let from = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT00:00:00Z");
    let request = ledger
        .parse_grant(&format!(
            r#"{{"subject": "15038510190", "grantor": {{"role": "self"}},
            "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
            "explicit": false, "valid_from": "{from}",
            "evidence": {{"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                         "interpreter": true}},
            "notice": {{"id": "bosetting-personvern", "version": "2024-10-16"}}}}"#
        ))
        .expect("grant");
    let actor = Actor::new("saksbehandler-17", "case_worker").expect("actor");
    ledger.grant(&request, &actor).expect("a write over TLS");
    assert!(ledger.verify().expect("verify").ok);
}

#[test]
fn the_tls_only_role_is_refused_without_tls() {
    let Some(schema) = TestSchema::new("tlsoff") else {
        return;
    };
    let location = url(&schema, "127.0.0.1", "sslmode=disable");
    let error = open_error(&location);
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    // Refused by pg_hba's `hostnossl … reject` line: not a wrong password or a missing role.
    assert!(error.message().contains("no encryption"), "{error}");
    let password = password_of(schema.server()).expect("password");
    assert!(!error.message().contains(&password), "{error}");
}

#[test]
fn require_encrypts_without_checking_the_certificate() {
    let Some(schema) = TestSchema::new("tlsreq") else {
        return;
    };
    // As libpq: `require` without a CA file checks no certificate (the README says so).
    let key = PseudonymKey::generate().expect("key");
    let location = url(&schema, "127.0.0.1", "sslmode=require");
    drop(
        consent_postgres::open(&location, LedgerOptions::default().with_key(key.clone()))
            .expect("open with sslmode=require"),
    );
    // The default, `prefer`, uses TLS when the server offers it: the TLS-only role gets in.
    let location = url(&schema, "127.0.0.1", "connect_timeout=10");
    consent_postgres::open(&location, LedgerOptions::default().with_key(key))
        .expect("open with the default sslmode");
}

#[test]
fn verify_full_refuses_a_certificate_for_another_name_and_verify_ca_accepts_it() {
    let (Some(schema), Some(ca)) = (TestSchema::new("tlsname"), ca()) else {
        return;
    };
    // The certificate is for `localhost`; 127.0.0.1 is not a name in it.
    let location = url(
        &schema,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let error = open_error(&location);
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    assert!(error.message().contains("certificate"), "{error}");
    let location = url(
        &schema,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    );
    consent_postgres::open(&location, options()).expect("verify-ca checks the chain only");
}

#[test]
fn a_server_certificate_from_another_ca_is_refused() {
    let (Some(schema), Some(ca)) = (TestSchema::new("tlsca"), ca()) else {
        return;
    };
    let other = std::path::Path::new(&ca).with_file_name("other-ca.pem");
    for mode in ["verify-full", "verify-ca", "require"] {
        let location = url(
            &schema,
            "localhost",
            &format!("sslmode={mode}&sslrootcert={}", other.display()),
        );
        let error = open_error(&location);
        assert_eq!(error.code(), ErrorCode::Storage, "{mode}: {error}");
        assert!(error.message().contains("certificate"), "{mode}: {error}");
    }
}

#[test]
fn verification_without_a_ca_file_is_a_clear_error() {
    let Some(schema) = TestSchema::new("tlsnoca") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing-ca.pem");
    let not_pem = dir.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").expect("write");
    for (params, expected) in [
        ("sslmode=verify-full".to_owned(), "needs sslrootcert"),
        ("sslmode=verify-ca".to_owned(), "needs sslrootcert"),
        (
            format!("sslmode=verify-full&sslrootcert={}", missing.display()),
            "cannot read the CA file",
        ),
        (
            format!("sslmode=verify-full&sslrootcert={}", not_pem.display()),
            "no usable certificate",
        ),
        ("sslmode=allow".to_owned(), "`sslmode` is one of"),
        (
            "sslmode=require&sslmode=disable".to_owned(),
            "`sslmode` is given twice",
        ),
    ] {
        let error = open_error(&url(&schema, "localhost", &params));
        assert_eq!(error.code(), ErrorCode::Storage, "{params}: {error}");
        assert!(error.message().contains(expected), "{params}: {error}");
        let password = password_of(schema.server()).expect("password");
        assert!(!error.message().contains(&password), "{params}: {error}");
    }
}
