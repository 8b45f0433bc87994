//! Errors a host sees when the database cannot be used: each is `Storage`, names what failed,
//! and never carries the password.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use consent_core::ErrorCode;
use consent_postgres::PgLog;

use crate::common::{TestSchema, password_of, server_url};

#[track_caller]
fn storage_without(url: &str, secret: &str) -> String {
    let error = PgLog::open(url).expect_err(url);
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    assert!(!error.message().contains(secret), "{error}");
    assert!(!error.message().is_empty());
    error.message().to_owned()
}

#[test]
fn a_malformed_url_is_a_storage_error_without_the_password() {
    for url in [
        "postgresql://u:pw-0f3a9c@127.0.0.1:5432/db?schema=Bad-Name",
        "postgresql://u:pw-0f3a9c@127.0.0.1:99999/db",
        "mysql://u:pw-0f3a9c@127.0.0.1/db",
        "postgresql://u:pw-0f3a9c@127.0.0.1/db?sslmode=bogus",
    ] {
        let message = storage_without(url, "pw-0f3a9c");
        assert!(message.starts_with("invalid ledger URL"), "{message}");
    }
}

#[test]
fn a_server_that_is_down_is_a_storage_error_without_the_password() {
    // A loopback port nobody listens on: bind one, then let it go.
    let port = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        socket.local_addr().expect("addr").port()
    };
    let url = format!("postgresql://consent:pw-77e1d2@127.0.0.1:{port}/consent?schema=down");
    let message = storage_without(&url, "pw-77e1d2");
    assert!(message.contains("cannot connect"), "{message}");
    assert!(
        message.contains(":***@"),
        "the URL is shown redacted: {message}"
    );
}

#[test]
fn a_wrong_password_is_a_storage_error_without_either_password() {
    let Some(server) = server_url() else {
        return;
    };
    let Some(real) = password_of(&server) else {
        panic!("the test server's URL has no password");
    };
    let wrong = format!("{real}-wrong");
    let url = server.replacen(&format!(":{real}@"), &format!(":{wrong}@"), 1);
    assert_ne!(url, server);
    let message = storage_without(&format!("{url}?schema=wrongpw"), &real);
    assert!(!message.contains(&wrong), "{message}");
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
}

#[test]
fn a_role_without_the_right_to_create_the_schema_is_a_storage_error() {
    let Some(schema) = TestSchema::new("noright") else {
        return;
    };
    // A role that may log in but not create schemas in the database.
    let role = format!("{}_r", schema.name);
    schema.sql(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'pw-5b8c'"
    ));
    let server = schema.server();
    let (_, rest) = server.split_once('@').expect("server URL with credentials");
    let url = format!("postgresql://{role}:pw-5b8c@{rest}?schema={}", schema.name);
    let error = PgLog::open(&url).expect_err("no right to create a schema");
    schema.sql(&format!("DROP ROLE {role}"));
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    assert!(!error.message().contains("pw-5b8c"), "{error}");
}
