//! The CLI on a PostgreSQL ledger: `--ledger postgresql://…` (or `CONSENT_LEDGER`), `consent
//! init` for a schema, and the errors of a bad URL, a wrong password and a wrong key. Needs the
//! server scripts/with-postgres.sh starts (`CONSENT_TEST_POSTGRES_URL`); without it the tests
//! print a notice and pass, unless `CONSENT_REQUIRE_POSTGRES=1` (scripts/test-postgres.sh).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on bad fixtures"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, Utc};

/// The server's URL with a schema of this test's own, or `None` (with a notice).
fn ledger_url(tag: &str) -> Option<String> {
    match std::env::var("CONSENT_TEST_POSTGRES_URL") {
        Ok(server) if !server.is_empty() => {
            let unique = uuid::Uuid::now_v7().simple().to_string();
            let suffix = unique.get(20..).unwrap();
            let separator = if server.contains('?') { '&' } else { '?' };
            Some(format!("{server}{separator}schema=cli_{tag}_{suffix}"))
        }
        _ => {
            assert!(
                std::env::var("CONSENT_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "CONSENT_REQUIRE_POSTGRES=1 but CONSENT_TEST_POSTGRES_URL is not set"
            );
            eprintln!(
                "NOTICE: CONSENT_TEST_POSTGRES_URL is not set; the CLI's PostgreSQL tests are skipped (run scripts/test-postgres.sh)"
            );
            None
        }
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn consent(url: &str, key_file: Option<&Path>, dir: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
    for var in [
        "CONSENT_LEDGER",
        "CONSENT_KEY_FILE",
        "CONSENT_CATALOGUE",
        "CONSENT_TEST_MODE",
        "CONSENT_CLOCK",
        "CONSENT_GROUP_ACCESS",
        "CONSENT_MAX_STALENESS_MS",
    ] {
        command.env_remove(var);
    }
    // The URL through the environment, as a service would pass it (it holds a password).
    command
        .env("CONSENT_LEDGER", url)
        .env("CONSENT_ACTOR_ID", "saksbehandler-17")
        .env("CONSENT_ACTOR_ROLE", "case_worker")
        .current_dir(dir);
    if let Some(key_file) = key_file {
        command.arg("--key-file").arg(key_file);
    }
    let output = command.args(args).output().unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn error_code(run: &Run) -> String {
    let value: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap_or_else(|e| {
        panic!("stderr is not one JSON line ({e}): {}", run.stderr);
    });
    value["error"]["code"].as_str().unwrap().to_owned()
}

fn password_of(url: &str) -> String {
    let (_, rest) = url.split_once("://").unwrap();
    let (userinfo, _) = rest.split_once('@').unwrap();
    userinfo.split_once(':').unwrap().1.to_owned()
}

fn grant_file(dir: &Path) -> PathBuf {
    let path = dir.join("grant.json");
    let json = serde_json::json!({
        "subject": "15038510190", "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances"], "explicit": false,
        "valid_from": (Utc::now() - Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    });
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

const DECIDE: [&str; 9] = [
    "decide",
    "--subject",
    "15038510190",
    "--recipient",
    "nav",
    "--purpose",
    "employment_followup",
    "--category",
    "finances",
];

#[test]
fn init_grant_decide_and_withdraw_on_postgres() {
    let Some(url) = ledger_url("flow") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("host.key");

    let init = consent(&url, Some(&key), dir.path(), &["--json", "init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let made: serde_json::Value = serde_json::from_str(&init.stdout).unwrap();
    assert_eq!(made["key_file_created"], true);
    assert!(key.exists(), "the host's key file was written");
    assert!(!init.stdout.contains(&password_of(&url)));

    // A second `init` of the same schema is refused.
    let again = consent(&url, Some(&key), dir.path(), &["--json", "init"]);
    assert_eq!(again.code, 2);
    assert_eq!(error_code(&again), "conflict");

    let file = grant_file(dir.path());
    let grant = consent(
        &url,
        Some(&key),
        dir.path(),
        &["grant", file.to_str().unwrap()],
    );
    assert_eq!(grant.code, 0, "{}", grant.stderr);
    let id = grant.stdout.trim().to_owned();

    let permitted = consent(&url, Some(&key), dir.path(), &DECIDE);
    assert_eq!(
        permitted.code, 0,
        "{}{}",
        permitted.stdout, permitted.stderr
    );

    let withdraw = consent(&url, Some(&key), dir.path(), &["withdraw", &id]);
    assert_eq!(withdraw.code, 0, "{}", withdraw.stderr);
    // Withdrawn once: a second withdrawal is a conflict.
    let twice = consent(&url, Some(&key), dir.path(), &["--json", "withdraw", &id]);
    assert_eq!(twice.code, 2);
    assert_eq!(error_code(&twice), "conflict");

    let denied = consent(&url, Some(&key), dir.path(), &DECIDE);
    assert_eq!(denied.code, 1, "{}{}", denied.stdout, denied.stderr);

    let verify = consent(&url, Some(&key), dir.path(), &["verify"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn postgres_errors_are_specific_and_never_show_the_password() {
    let Some(url) = ledger_url("errors") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("host.key");
    let init = consent(&url, Some(&key), dir.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let password = password_of(&url);

    // Without a key file: the host must supply the key.
    let keyless = consent(&url, None, dir.path(), &["--json", "verify"]);
    assert_eq!(keyless.code, 2);
    assert_eq!(error_code(&keyless), "invalid_input");

    // Another key: KeyMismatch.
    let other = dir.path().join("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let wrong_key = consent(&url, Some(&other), dir.path(), &["--json", "verify"]);
    assert_eq!(wrong_key.code, 2);
    assert_eq!(error_code(&wrong_key), "key_mismatch");

    // A wrong password, and a server that is not there: Storage, with no password shown.
    let wrong_password = url.replacen(&format!(":{password}@"), ":not-the-password@", 1);
    let refused = consent(
        &wrong_password,
        Some(&key),
        dir.path(),
        &["--json", "verify"],
    );
    assert_eq!(refused.code, 2);
    assert_eq!(error_code(&refused), "storage");
    assert!(
        !refused.stderr.contains("not-the-password"),
        "{}",
        refused.stderr
    );
    let (_, after_host) = url.rsplit_once('@').unwrap();
    let (_, path) = after_host.split_once('/').unwrap();
    let down = format!("postgresql://consent_test:{password}@127.0.0.1:1/{path}");
    let unreachable = consent(&down, Some(&key), dir.path(), &["--json", "verify"]);
    assert_eq!(unreachable.code, 2);
    assert_eq!(error_code(&unreachable), "storage");
    assert!(
        !unreachable.stderr.contains(&password),
        "{}",
        unreachable.stderr
    );
    let malformed = consent(
        &format!("postgresql://consent_test:{password}@127.0.0.1:notaport/db"),
        Some(&key),
        dir.path(),
        &["--json", "verify"],
    );
    assert_eq!(malformed.code, 2);
    assert_eq!(error_code(&malformed), "storage");
    assert!(
        !malformed.stderr.contains(&password),
        "{}",
        malformed.stderr
    );
}
