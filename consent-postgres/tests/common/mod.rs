//! Helpers shared by the integration tests: the server's URL, a schema of its own per test, and
//! records shaped like the ledger's.

#![allow(dead_code, reason = "each test module uses a different subset")]
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use consent_core::storage::{EventRecord, Hash};
use sha2::{Digest, Sha256};

/// The environment variable with the test server's URL (no `schema` parameter).
pub const URL_VAR: &str = "CONSENT_TEST_POSTGRES_URL";
/// Set to 1 to make a missing URL a failure instead of a skip.
pub const REQUIRE_VAR: &str = "CONSENT_REQUIRE_POSTGRES";

static NOTICE: AtomicBool = AtomicBool::new(false);

/// The test server's URL, or `None` (with a notice on the terminal, once per run) when it is not
/// set. Panics when it is not set but required.
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var(REQUIRE_VAR).as_deref() == Ok("1") {
                panic!(
                    "{REQUIRE_VAR}=1 but {URL_VAR} is not set: run the tests through scripts/with-postgres.sh"
                );
            }
            if !NOTICE.swap(true, Ordering::Relaxed) {
                // Straight to the terminal in one write: the test harness captures `eprintln!`
                // of passing tests.
                let notice = format!(
                    "\nNOTICE: {URL_VAR} is not set, so the PostgreSQL tests of consent-postgres are skipped \
                     (run: scripts/with-postgres.sh cargo test -p consent-postgres)\n"
                );
                let _ = std::io::stderr().write_all(notice.as_bytes());
            }
            None
        }
    }
}

/// The password in a server URL, if it has one.
pub fn password_of(server: &str) -> Option<String> {
    server
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password.to_owned())
        .filter(|password| !password.is_empty())
}

/// A schema of its own for one test, dropped afterwards.
pub struct TestSchema {
    server: String,
    pub name: String,
}

impl TestSchema {
    /// A fresh schema name tagged with `tag` (at most 20 characters), or `None` without a server.
    pub fn new(tag: &str) -> Option<TestSchema> {
        let server = server_url()?;
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let name = format!("t_{tag}_{}", &unique[20..]);
        assert!(consent_postgres::valid_schema_name(&name), "{name}");
        let schema = TestSchema { server, name };
        schema.sql(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            schema.name
        ));
        Some(schema)
    }

    /// The ledger URL of this schema.
    pub fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{separator}schema={}", self.server, self.name)
    }

    /// The server URL without a schema.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Runs SQL on a connection of its own (not through the crate under test).
    pub fn sql(&self, sql: &str) {
        admin(&self.server, sql);
    }

    /// Runs a query and returns the first column of each row as text.
    pub fn query(&self, sql: &str) -> Vec<Option<String>> {
        admin_query(&self.server, sql)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            admin(
                &self.server,
                &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name),
            );
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs SQL statements on their own connection.
pub fn admin(server: &str, sql: &str) {
    runtime().block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
            .await
            .expect("admin connect");
        let driver = tokio::spawn(connection);
        client.batch_execute(sql).await.expect("admin sql");
        drop(client);
        let _ = driver.await;
    });
}

/// Runs a query on its own connection; the first column of each row, as text.
pub fn admin_query(server: &str, sql: &str) -> Vec<Option<String>> {
    runtime().block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
            .await
            .expect("admin connect");
        let driver = tokio::spawn(connection);
        let messages = client.simple_query(sql).await.expect("admin query");
        drop(client);
        let _ = driver.await;
        messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
                _ => None,
            })
            .collect()
    })
}

/// A record shaped like a stored grant: a header of about 450 bytes chained to `prev`, a
/// 500-byte payload, the header's SHA-256 as its hash.
pub fn record(seq: u64, prev: &Hash, subject: Option<[u8; 16]>) -> EventRecord {
    let prev_hex: String = prev.iter().map(|b| format!("{b:02x}")).collect();
    let mut header = format!(
        "{{\"v\":1,\"seq\":{seq},\"id\":\"0190b5d4-1c2b-7f3e-9a4b-{seq:012}\",\"recorded_at\":\"2026-03-01T10:00:00.000000Z\",\"actor\":{{\"id\":\"saksbehandler-17\",\"role\":\"case_worker\"}},\"kind\":\"grant_recorded\",\"sealed\":true,\"prev_hash\":\"{prev_hex}\",\"payload_sha256\":\""
    );
    while header.len() < 448 {
        header.push('0');
    }
    header.push_str("\"}");
    let payload: Vec<u8> = (0..500u32).map(|i| (i as u64 ^ seq) as u8).collect();
    let hash: Hash = Sha256::digest(header.as_bytes()).into();
    EventRecord::new(seq, subject, header, payload, hash)
}

/// `n` chained records after `(seq, prev)`.
pub fn chain(after: u64, prev: &Hash, n: u64, subject: Option<[u8; 16]>) -> Vec<EventRecord> {
    let mut out = Vec::new();
    let mut prev = *prev;
    for seq in after + 1..=after + n {
        let r = record(seq, &prev, subject);
        prev = r.hash;
        out.push(r);
    }
    out
}
