//! `consent upgrade` on a real consent 0.1 ledger (consent-core's fixture, made with the 0.1
//! code): refused until upgraded, naming the command; refused for a role that may not adopt a
//! catalogue, with the file unchanged; then a backup first, the upgrade recorded as the
//! operator's, and the upgraded ledger opens, verifies and decides as 0.1 did. A second upgrade
//! does nothing and says so.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../consent-core/tests/fixtures/v0_1")
        .join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap()
    }
}

/// A copy of the 0.1 ledger and its key file in a fresh directory.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("ledger.sqlite"), dir.path().join("consent.db")).unwrap();
        let hex = std::fs::read_to_string(fixture("ledger-key.hex")).unwrap();
        let mut key = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.path().join("consent.db.key"))
            .unwrap();
        writeln!(key, "{}", hex.trim()).unwrap();
        Sandbox { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn ledger(&self) -> Vec<u8> {
        std::fs::read(self.path("consent.db")).unwrap()
    }

    fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("CONSENT_")) {
            command.env_remove(var);
        }
        let mut child = command
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.path("consent.db"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    fn upgrade(&self, role: &str, args: &[&str]) -> Run {
        let mut all = vec![
            "upgrade",
            "--actor-id",
            "ola.nordmann",
            "--actor-role",
            role,
        ];
        all.extend_from_slice(args);
        self.run(&all, "")
    }
}

/// Whether every key of `old` (0.1's JSON) holds the same value in `new`: later versions add
/// keys (the two gates, `as_of_seq`, `schema`), they never change what 0.1 said.
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

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one upgrade told in order: refused, backed up, upgraded, decided, run again"
)]
fn a_0_1_ledger_is_backed_up_then_upgraded_by_a_permitted_role_and_decides_as_before() {
    let s = Sandbox::new();
    let original = s.ledger();

    // Until upgraded, this version refuses the file and names the command.
    let run = s
        .run(
            &[
                "--json",
                "decide",
                "--subject",
                "-",
                "--recipient",
                "nav",
                "--purpose",
                "employment_followup",
                "--category",
                "finances",
            ],
            "15038510190",
        )
        .code(2);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "unsupported_version", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("consent upgrade"),
        "{error}"
    );

    // A role that may not adopt a catalogue is refused; nothing changes, no backup is made.
    let run = s
        .upgrade("case_worker", &["--json", "--backup-to", "before"])
        .code(2);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "not_permitted", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("adopt_catalogue"),
        "{error}"
    );
    let run = s.upgrade("janitor", &["--backup-to", "before"]).code(2);
    assert!(run.stderr.contains("`janitor`"), "{}", run.stderr);
    let run = s.run(&["upgrade", "--backup-to", "before"], "").code(2);
    assert!(run.stderr.contains("--actor-id"), "{}", run.stderr);
    assert!(s.ledger() == original, "a refused upgrade changed the file");
    assert!(!s.path("before").exists());
    // A backup directory that exists already: refused before anything changes.
    std::fs::create_dir(s.path("taken")).unwrap();
    s.upgrade("dpo", &["--backup-to", "taken"]).code(2);
    assert!(s.ledger() == original);

    // The upgrade: a backup first, then the new format, recorded as the operator's.
    let run = s
        .upgrade("dpo", &["--json", "--backup-to", "before"])
        .code(0);
    let report = run.json();
    assert_eq!(report["schema"], "consent-cli-upgrade/1");
    assert_eq!(report["upgraded"], true);
    assert_eq!(
        (report["from_format"].as_i64(), report["to_format"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(report["events"], 10);
    assert_eq!(report["keys_rewrapped"], 4);
    assert_eq!(
        report["catalogues_adopted"],
        serde_json::json!(["2026-11-01", "2026-12-01"])
    );
    assert_eq!(report["recorded_by"]["role"], "dpo");

    // The backup: the 0.1 file as it was, with its key, named by its manifest; it verifies (an
    // upgrade of a copy of it verifies the whole chain first) to the same head.
    let backup = s.path("before");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest, report["backup"]["manifest"]);
    assert_eq!(manifest["schema"], "consent-backup-manifest/1");
    assert_eq!(manifest["file_format"], 1);
    assert_eq!(manifest["head_seq"], 10);
    assert_eq!(manifest["key_included"], true);
    let copy = std::fs::read(backup.join("ledger.db")).unwrap();
    assert_eq!(manifest["database_bytes"], copy.len());
    assert_eq!(
        manifest["database_sha256"],
        format!("{:x}", Sha256::digest(&copy))
    );
    let key_text = std::fs::read_to_string(backup.join("ledger.key")).unwrap();
    let key = consent_core::read_key_file(&backup.join("ledger.key")).unwrap();
    assert!(!key_text.is_empty());
    let scratch = tempfile::tempdir().unwrap();
    let again = scratch.path().join("again.db");
    std::fs::copy(backup.join("ledger.db"), &again).unwrap();
    let redo = consent_core::storage::upgrade_file(&again, &key).unwrap();
    assert_eq!(redo.events, 10);

    // The upgraded ledger verifies, and decides every case of 0.1's as 0.1 did.
    s.run(&["verify"], "").code(0);
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("decisions.json")).unwrap()).unwrap();
    assert_eq!(cases.len(), 9);
    for case in &cases {
        let mut args = vec![
            "--json",
            "decide",
            "--subject",
            "-",
            "--recipient",
            case["recipient"].as_str().unwrap(),
            "--purpose",
            case["purpose"].as_str().unwrap(),
            "--at",
            case["at"].as_str().unwrap(),
            "--category",
        ];
        args.extend(
            case["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap()),
        );
        let permitted = case["decision"]["permitted"].as_bool().unwrap();
        let run = s
            .run(&args, case["subject"].as_str().unwrap())
            .code(if permitted { 0 } else { 1 });
        let now = run.json();
        assert!(
            keeps(&case["decision"], &now),
            "0.1 said {}, now {now}",
            case["decision"]
        );
    }
    // The adoptions the upgrade recorded are the operator's.
    let ledger =
        consent_core::Ledger::open(s.path("consent.db"), consent_core::LedgerOptions::default())
            .unwrap();
    let events = ledger.events().unwrap();
    let recorded: Vec<(&str, &str)> = events
        .iter()
        .skip(10)
        .map(|e| (e.kind.as_str(), e.actor.id()))
        .collect();
    assert_eq!(
        recorded,
        [
            ("catalogue_adopted", "ola.nordmann"),
            ("catalogue_adopted", "ola.nordmann")
        ]
    );
    drop(ledger);

    // Again: nothing to do (exit 0), no backup, the file as it was.
    let upgraded = s.ledger();
    let run = s.upgrade("dpo", &["--backup-to", "twice"]).code(0);
    assert!(run.stdout.contains("nothing to upgrade"), "{}", run.stdout);
    let run = s.upgrade("dpo", &["--json"]).code(0);
    assert_eq!(run.json()["upgraded"], false);
    assert!(!s.path("twice").exists());
    assert!(s.ledger() == upgraded);
}
