//! `consent backup`, `consent restore` and `consent verify --against`, run as the built binary:
//! a backup taken while other processes write, restored, proven, deciding as the original did;
//! a damaged backup or a mismatched manifest refused with exit code 2 and the target untouched.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tempfile::TempDir;

/// The project's public example number.
const ADULT: &str = "15038510190";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap()
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        sandbox.run("ledger.db", &["init"]).code(0);
        sandbox
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The command on the ledger `db` (a name in the sandbox), in test mode with the fixtures'
    /// clock and an actor, and nothing from the outside environment.
    fn command(&self, db: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for var in [
            "CONSENT_LEDGER",
            "CONSENT_KEY_FILE",
            "CONSENT_CATALOGUE",
            "CONSENT_GROUP_ACCESS",
        ] {
            command.env_remove(var);
        }
        command
            .env("CONSENT_TEST_MODE", "1")
            .env("CONSENT_CLOCK", "2026-01-05T10:00:00Z")
            .env("CONSENT_ACTOR_ID", "drift-1")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.path(db));
        command
    }

    fn run(&self, db: &str, args: &[&str]) -> Run {
        self.command(db).args(args).output().unwrap().into()
    }

    fn stdin(&self, db: &str, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(db)
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
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().into()
    }
}

/// A valid national id (legacy control digits) for a birth date and individnummer prefix.
fn person(ddmmyy: &str, individ: &str) -> String {
    (0..10)
        .find_map(|d| consent_core::control_digits(&format!("{ddmmyy}{individ}{d}")))
        .unwrap()
}

fn subjects() -> Vec<String> {
    let mut all = vec![ADULT.to_owned()];
    all.extend((1..=3).map(|n| person(&format!("{n:02}0486"), "49")));
    all
}

fn grant_doc(subject: &str) -> Value {
    json!({
        "subject": subject, "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances", "family"], "explicit": false,
        "valid_from": "2026-01-05T09:00:00Z", "valid_until": "2027-01-05T09:00:00Z",
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

/// Grants for `subject` through the CLI (its own process) and returns the grant id.
fn grant(sandbox: &Sandbox, subject: &str) -> String {
    let run = sandbox
        .stdin(
            "ledger.db",
            &["grant", "-"],
            &grant_doc(subject).to_string(),
        )
        .code(0);
    run.stdout.trim().to_owned()
}

/// `decide --json` for every subject on `db`, without the ledger position (a restored ledger
/// holds one more event: its restore).
fn decisions(sandbox: &Sandbox, db: &str) -> Vec<(i32, Value)> {
    subjects()
        .iter()
        .map(|subject| {
            let run = sandbox.stdin(
                db,
                &[
                    "decide",
                    "--json",
                    "--subject",
                    "-",
                    "--recipient",
                    "nav",
                    "--purpose",
                    "employment_followup",
                    "--category",
                    "finances",
                    "--at",
                    "2026-03-01",
                ],
                subject,
            );
            let mut value = run.json();
            value.as_object_mut().unwrap().remove("as_of_seq");
            (run.code, value)
        })
        .collect()
}

#[test]
fn a_backup_taken_while_processes_write_restores_and_decides_as_the_original() {
    let sandbox = Arc::new(Sandbox::new());
    grant(&sandbox, ADULT);
    let stop = Arc::new(AtomicBool::new(false));
    // Another process at a time writes in a loop (each `consent grant` is a process).
    let writer = {
        let sandbox = Arc::clone(&sandbox);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut written = 0usize;
            let subjects = subjects();
            while !stop.load(Ordering::Acquire) {
                let subject = &subjects[written % subjects.len()];
                let id = grant(&sandbox, subject);
                if written.is_multiple_of(2) {
                    sandbox
                        .run("ledger.db", &["withdraw", &id, "--at", "2026-02-01"])
                        .code(0);
                }
                written += 1;
            }
            written
        })
    };
    let mut backups = Vec::new();
    for n in 0..3 {
        let dest = format!("backup-{n}");
        let run = sandbox
            .run("ledger.db", &["--json", "backup", &dest])
            .code(0);
        let out = run.json();
        assert_eq!(out["schema"], "consent-cli-backup/1");
        assert_eq!(out["manifest"]["key_included"], true);
        backups.push((dest, out["manifest"]["head_seq"].as_u64().unwrap()));
    }
    stop.store(true, Ordering::Release);
    let written = writer.join().unwrap();
    assert!(written > 0);
    for (n, (dest, head)) in backups.iter().enumerate() {
        // The live ledger grew from every backup.
        let manifest = format!("{dest}/manifest.json");
        sandbox
            .run("ledger.db", &["verify", "--against", &manifest])
            .code(0);
        let target = format!("restored-{n}.db");
        let run = sandbox
            .run(
                &target,
                &[
                    "--actor-id",
                    "personvernombud-1",
                    "--actor-role",
                    "dpo",
                    "--json",
                    "restore",
                    dest,
                    "--reason",
                    "restore drill",
                ],
            )
            .code(0);
        let report = run.json();
        assert_eq!(report["schema"], "consent-cli-restore/1");
        assert_eq!(report["restore"]["backup_head_seq"], *head);
        assert_eq!(report["restore"]["rollback"], false);
        assert_eq!(report["head_seq"], head + 1);
        let proof = sandbox
            .run(&target, &["--json", "verify", "--against", dest])
            .code(0)
            .json();
        assert_eq!(proof["ok"], true);
        assert_eq!(proof["contains_backup_head"], true);
    }
    // A backup of the quiet ledger decides as the ledger does.
    sandbox.run("ledger.db", &["backup", "final"]).code(0);
    sandbox
        .run(
            "final.db",
            &[
                "--actor-id",
                "personvernombud-1",
                "--actor-role",
                "dpo",
                "restore",
                "final",
                "--reason",
                "restore drill",
            ],
        )
        .code(0);
    assert_eq!(
        decisions(&sandbox, "final.db"),
        decisions(&sandbox, "ledger.db")
    );
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A copy of the backup `from` as `to`, with `edit` applied to its manifest.
fn copy_backup(sandbox: &Sandbox, from: &str, to: &str, edit: impl FnOnce(&mut Value)) {
    let (from, to) = (sandbox.path(from), sandbox.path(to));
    std::fs::create_dir(&to).unwrap();
    for file in ["ledger.db", "ledger.key"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    let mut manifest: Value = serde_json::from_slice(&bytes(&from.join("manifest.json"))).unwrap();
    edit(&mut manifest);
    std::fs::write(to.join("manifest.json"), manifest.to_string()).unwrap();
}

#[test]
fn a_damaged_backup_or_a_mismatched_manifest_is_refused_and_the_ledger_untouched() {
    let sandbox = Sandbox::new();
    grant(&sandbox, ADULT);
    sandbox.run("ledger.db", &["backup", "good"]).code(0);
    grant(&sandbox, ADULT);
    let before = bytes(&sandbox.path("ledger.db"));
    let restore = |backup: &str| {
        sandbox.run(
            "ledger.db",
            &[
                "--actor-id",
                "personvernombud-1",
                "--actor-role",
                "dpo",
                "--json",
                "restore",
                backup,
                "--reason",
                "test",
            ],
        )
    };
    // One byte of the copy changed.
    copy_backup(&sandbox, "good", "damaged", |_| {});
    let db = sandbox.path("damaged/ledger.db");
    let mut data = bytes(&db);
    let at = data.len() - 64;
    data[at] ^= 1;
    std::fs::write(&db, data).unwrap();
    let run = restore("damaged").code(2);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["error"]["code"], "integrity", "{}", run.stderr);
    // A manifest naming another head.
    copy_backup(&sandbox, "good", "lying", |m| {
        m["head_hash"] = json!("00".repeat(32));
    });
    restore("lying").code(2);
    // A manifest that is not one.
    copy_backup(&sandbox, "good", "garbage", |m| {
        m["schema"] = json!("something-else/1");
    });
    let run = restore("garbage").code(2);
    assert!(run.stderr.contains("invalid_input"), "{}", run.stderr);
    assert_eq!(bytes(&sandbox.path("ledger.db")), before);
    // And `verify --against` a manifest of another history: a finding, exit 1.
    copy_backup(&sandbox, "good", "other-head", |m| {
        m["head_hash"] = json!("11".repeat(32));
    });
    let run = sandbox
        .run("ledger.db", &["verify", "--against", "other-head"])
        .code(1);
    assert!(run.stdout.starts_with("FAILED"), "{}", run.stdout);
}

#[test]
fn restoring_over_a_newer_ledger_says_it_is_a_rollback_and_keeps_the_replaced_file() {
    let sandbox = Sandbox::new();
    grant(&sandbox, ADULT);
    sandbox
        .run("ledger.db", &["backup", "b", "--without-key"])
        .code(0);
    let id = grant(&sandbox, ADULT);
    sandbox
        .run("ledger.db", &["withdraw", &id, "--at", "2026-02-01"])
        .code(0);
    // A case worker may not put a backup in force (the operator's `adopt_catalogue`).
    let before = bytes(&sandbox.path("ledger.db"));
    let run = sandbox
        .run(
            "ledger.db",
            &["restore", "b", "--reason", "disk failure, case 2026/88"],
        )
        .code(2);
    assert!(run.stderr.contains("`adopt_catalogue`"), "{}", run.stderr);
    assert_eq!(bytes(&sandbox.path("ledger.db")), before);
    let run = sandbox
        .run(
            "ledger.db",
            &[
                "--actor-id",
                "personvernombud-1",
                "--actor-role",
                "dpo",
                "restore",
                "b",
                "--reason",
                "disk failure, case 2026/88",
            ],
        )
        .code(0);
    assert!(run.stdout.contains("rollback"), "{}", run.stdout);
    assert!(run.stdout.contains("replaced"), "{}", run.stdout);
    let events = sandbox.run("ledger.db", &["verify"]).code(0);
    assert!(events.stdout.starts_with("ok"), "{}", events.stdout);
    // Without --reason or an actor, nothing happens.
    let run = sandbox.run("ledger.db", &["restore", "b"]).code(2);
    assert!(run.stderr.contains("--reason"), "{}", run.stderr);
}

#[test]
fn a_restore_over_a_ledger_a_process_has_open_is_refused() {
    let sandbox = Sandbox::new();
    grant(&sandbox, ADULT);
    sandbox.run("ledger.db", &["backup", "b"]).code(0);
    let before = bytes(&sandbox.path("ledger.db"));
    // This test's process has the ledger open, as a service would. (Read no file of it from
    // this process while it is open: closing any descriptor of a file drops every POSIX lock
    // the process holds on it, SQLite's included.)
    let mut options = consent_core::LedgerOptions::default();
    options.id_options.test_mode = true;
    let open = consent_core::Ledger::open(sandbox.path("ledger.db"), options).unwrap();
    let run = sandbox
        .run(
            "ledger.db",
            &[
                "--actor-id",
                "personvernombud-1",
                "--actor-role",
                "dpo",
                "restore",
                "b",
                "--reason",
                "test",
            ],
        )
        .code(2);
    assert!(
        run.stderr.contains("open in another process"),
        "{}",
        run.stderr
    );
    assert_eq!(bytes(&sandbox.path("ledger.db")), before);
    drop(open);
    sandbox
        .run(
            "ledger.db",
            &[
                "--actor-id",
                "personvernombud-1",
                "--actor-role",
                "dpo",
                "restore",
                "b",
                "--reason",
                "test",
            ],
        )
        .code(0);
}

#[test]
fn a_snapshot_that_cannot_be_trusted_is_reported_and_the_answer_is_the_same() {
    let sandbox = Sandbox::new();
    grant(&sandbox, ADULT);
    let written = sandbox
        .run("ledger.db", &["--json", "snapshot"])
        .code(0)
        .json();
    assert_eq!(written["seq"], 2);
    let trusted = decisions(&sandbox, "ledger.db");
    let snapshot = sandbox.path("ledger.db.snapshot");
    let mut data = bytes(&snapshot);
    let at = data.len() / 2;
    data[at] ^= 1;
    std::fs::write(&snapshot, data).unwrap();
    let run = sandbox.stdin(
        "ledger.db",
        &[
            "decide",
            "--subject",
            "-",
            "--recipient",
            "nav",
            "--purpose",
            "employment_followup",
            "--category",
            "finances",
            "--at",
            "2026-03-01",
        ],
        ADULT,
    );
    assert!(
        run.stderr
            .contains("warning: the ledger's snapshot was not used"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("MAC"), "{}", run.stderr);
    assert_eq!(decisions(&sandbox, "ledger.db"), trusted);
    // doctor names it as a problem; a new snapshot mends it.
    let doctor = sandbox
        .run("ledger.db", &["--json", "doctor"])
        .code(1)
        .json();
    assert_eq!(doctor["snapshot"]["status"], "ignored", "{doctor}");
    sandbox.run("ledger.db", &["snapshot"]).code(0);
    let doctor = sandbox.run("ledger.db", &["--json", "doctor"]).json();
    assert_eq!(doctor["snapshot"]["status"], "used", "{doctor}");
}
