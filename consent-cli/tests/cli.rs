//! Runs the built `consent` binary against ledgers in temporary directories.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

/// A valid national id (legacy control digits) for a birth date and individnummer prefix.
fn person(ddmmyy: &str, individ: &str) -> String {
    (0..10)
        .find_map(|d| consent_core::control_digits(&format!("{ddmmyy}{individ}{d}")))
        .unwrap()
}

fn mother() -> String {
    person("150385", "10")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn fails(self, needle: &str) -> Self {
        assert_eq!(
            self.code, 2,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks `{needle}`: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(!self.stderr.contains("RUST_BACKTRACE"), "{}", self.stderr);
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
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A sandbox with an initialised ledger.
    fn ledger() -> Self {
        let sandbox = Sandbox::new();
        sandbox.run(&["init"]).ok();
        sandbox
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("ledger.db")
    }

    /// The command with `--ledger` set and no `CONSENT_*` variables from the outside.
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for var in [
            "CONSENT_LEDGER",
            "CONSENT_KEY_FILE",
            "CONSENT_CATALOGUE",
            "CONSENT_ACTOR_ID",
            "CONSENT_ACTOR_ROLE",
            "CONSENT_ACTOR_TOKEN_FILE",
            "CONSENT_ACTOR_TRUST",
            "CONSENT_TEST_MODE",
            "CONSENT_CLOCK",
            "CONSENT_GROUP_ACCESS",
        ] {
            command.env_remove(var);
        }
        // The fixtures' grants start on 2026-01-05: a test-mode clock at that morning keeps
        // them from being backdated.
        command
            .env("CONSENT_TEST_MODE", "1")
            .env("CONSENT_CLOCK", "2026-01-05T10:00:00Z")
            .env("RUST_BACKTRACE", "1")
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.db());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        self.command().args(args).output().unwrap().into()
    }

    /// Runs a mutating command with an actor from the environment.
    fn act(&self, args: &[&str]) -> Run {
        self.command()
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
            .args(args)
            .output()
            .unwrap()
            .into()
    }

    fn act_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command()
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
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

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The events the test's commands recorded: every stored event but the catalogue
    /// adoptions (a new ledger's first event records its catalogue).
    fn events(&self) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row(
            "SELECT count(*) FROM events WHERE json_extract(header, '$.kind') != 'catalogue_adopted'",
            [],
            |row| row.get(0),
        )
        .unwrap()
    }

    /// Every stored event, the ledger's own included.
    fn all_events(&self) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
            .unwrap()
    }

    /// Records a grant and returns its id.
    fn grant(&self, doc: &Value) -> String {
        let file = self.write("grant.json", &doc.to_string());
        let run = self.act(&["grant", file.to_str().unwrap()]).ok();
        run.stdout.trim().to_owned()
    }
}

fn grant_doc(subject: &str) -> Value {
    json!({
        "subject": subject, "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances", "family"], "explicit": false,
        "valid_from": "2026-01-05T09:00:00Z", "valid_until": "2027-01-05T09:00:00Z",
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true, "collected_by": "flyktningtjenesten"},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

fn decide_args<'a>(subject: &'a str, at: &'a str, categories: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "decide",
        "--subject",
        subject,
        "--recipient",
        "nav",
        "--purpose",
        "employment_followup",
        "--at",
        at,
        "--category",
    ];
    args.extend_from_slice(categories);
    args
}

#[track_caller]
fn assert_no_national_id(run: &Run, id: &str) {
    assert!(
        !run.stdout.contains(id),
        "stdout holds the id: {}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(id),
        "stderr holds the id: {}",
        run.stderr
    );
}

#[test]
fn init_creates_the_ledger_and_key_and_refuses_to_overwrite() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["init"]).ok();
    assert!(run.stdout.contains("created ledger"), "{}", run.stdout);
    assert!(sandbox.db().exists());
    assert!(sandbox.path("ledger.db.key").exists());
    let before = std::fs::read(sandbox.path("ledger.db.key")).unwrap();
    sandbox.run(&["init"]).fails("refusing to overwrite");
    assert_eq!(
        std::fs::read(sandbox.path("ledger.db.key")).unwrap(),
        before
    );
}

/// Finding 6 of the security review: a key file planted before `consent init` that other
/// users can read is not adopted; nothing is created and the planted file is left as it was.
#[cfg(unix)]
#[test]
fn init_refuses_a_planted_world_readable_key_file() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let key = sandbox.path("ledger.db.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox.run(&["init"]).fails("chmod 600");
    assert!(!sandbox.db().exists());
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    // Once it is private, init adopts it.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = sandbox.run(&["init"]).ok();
    assert!(run.stdout.contains("using the existing"), "{}", run.stdout);
}

/// Every file in the sandbox with its length and a hash of its bytes: what "created nothing,
/// changed nothing" compares (and prints short when it fails).
fn listing(sandbox: &Sandbox) -> std::collections::BTreeMap<String, (usize, u64)> {
    use std::hash::{Hash, Hasher};
    std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (
                entry.file_name().to_string_lossy().into_owned(),
                (bytes.len(), hasher.finish()),
            )
        })
        .collect()
}

/// Findings 1 and 8 of the security review: the read commands create nothing (no database, no
/// key, no WAL, no lock file) and change nothing, and an emptied ledger file is an integrity
/// error for every command instead of a new, empty ledger.
#[test]
fn read_commands_create_nothing_and_an_emptied_ledger_is_an_integrity_error() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    sandbox.grant(&grant_doc(&fnr));
    let _ = std::fs::remove_file(sandbox.path("ledger.db.lock"));
    let before = listing(&sandbox);
    assert!(before.contains_key("ledger.db.key"), "{:?}", before.keys());
    let decide = decide_args(&fnr, "2026-03-01T10:00:00Z", &["finances"]);
    sandbox.run(&decide).ok();
    // (An export records who read it, so it writes: it is not a read command any more.)
    sandbox
        .run(&[
            "stats",
            "--actor-id",
            "revisor-1",
            "--actor-role",
            "auditor",
        ])
        .ok();
    sandbox.run(&["verify"]).ok();
    sandbox.run(&["reconsent"]).ok();
    assert_eq!(
        listing(&sandbox),
        before,
        "a read command created or changed a file"
    );

    std::fs::write(sandbox.db(), b"").unwrap();
    let before = listing(&sandbox);
    sandbox.run(&decide).fails("empty");
    sandbox.run(&["verify"]).fails("empty");
    sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            &fnr,
        ])
        .fails("empty");
    let file = sandbox.write("g.json", &grant_doc(&fnr).to_string());
    sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("empty");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(listing(&sandbox), before);

    // Without its key, verify on the empty file writes no schema and makes no key.
    std::fs::remove_file(sandbox.path("ledger.db.key")).unwrap();
    let before = listing(&sandbox);
    sandbox.run(&["verify"]).fails("empty");
    assert_eq!(listing(&sandbox), before);
}

/// Finding 8: a file that is not a ledger gets no lock or key file beside it, and a foreign
/// SQLite database keeps its journal mode.
#[test]
fn commands_on_a_file_that_is_not_a_ledger_change_nothing() {
    let sandbox = Sandbox::new();
    let json = sandbox.write("ledger.db", r#"{"subject": "not a ledger"}"#);
    let before = listing(&sandbox);
    sandbox.run(&["verify"]).fails("not a consent ledger");
    sandbox.run(&["stats"]).fails("not a consent ledger");
    let file = sandbox.write("g.json", &grant_doc(&mother()).to_string());
    sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("not a consent ledger");
    std::fs::remove_file(file).unwrap();
    assert_eq!(listing(&sandbox), before);
    std::fs::remove_file(json).unwrap();

    {
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hei');")
            .unwrap();
    }
    let before = listing(&sandbox);
    sandbox.run(&["verify"]).fails("not a consent ledger");
    sandbox.run(&["stats"]).fails("not a consent ledger");
    sandbox
        .act(&["withdraw", "01890a5d-ac96-774b-bcce-b302099a8057"])
        .fails("not a consent ledger");
    assert_eq!(listing(&sandbox), before);
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
}

/// Finding 9: `consent init` creates the ledger's files for the owner alone whatever the umask,
/// or for the owner's group with `--group-access`.
#[cfg(unix)]
#[test]
fn init_creates_private_files_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    for (flag, data, key) in [("", 0o600, 0o600), ("--group-access", 0o660, 0o640)] {
        let sandbox = Sandbox::new();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"umask 000 && exec "$0" "$@""#)
            .arg(env!("CARGO_BIN_EXE_consent"))
            .current_dir(sandbox.dir.path())
            .args(["--ledger", sandbox.db().to_str().unwrap(), "init"]);
        if !flag.is_empty() {
            command.arg(flag);
        }
        Run::from(command.output().unwrap()).ok();
        let mode = |name: &str| {
            std::fs::metadata(sandbox.path(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("ledger.db"), data, "{flag}");
        assert_eq!(mode("ledger.db.lock"), data, "{flag}");
        assert_eq!(mode("ledger.db.key"), key, "{flag}");
    }
}

#[test]
fn init_with_a_key_file_flag_and_json() {
    let sandbox = Sandbox::new();
    let key = sandbox.path("secret.key");
    let run = sandbox
        .run(&["init", "--json", "--key-file", key.to_str().unwrap()])
        .ok();
    assert_eq!(run.json()["key_file_created"], true);
    assert!(key.exists());
    assert!(!sandbox.path("ledger.db.key").exists());
    // Without the key file flag the ledger no longer opens: its key is elsewhere.
    sandbox.run(&["stats"]).fails("key");
    let mut command = sandbox.command();
    command.env("CONSENT_KEY_FILE", &key).args([
        "stats",
        "--actor-id",
        "revisor-1",
        "--actor-role",
        "auditor",
    ]);
    Run::from(command.output().unwrap()).ok();
}

#[test]
fn the_ledger_path_comes_from_the_environment() {
    let sandbox = Sandbox::new();
    let path = sandbox.path("from-env.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
    command
        .env("CONSENT_LEDGER", &path)
        .env_remove("CONSENT_KEY_FILE")
        .current_dir(sandbox.dir.path())
        .arg("init");
    Run::from(command.output().unwrap()).ok();
    assert!(path.exists());
}

#[test]
fn the_default_ledger_is_consent_db_in_the_working_directory() {
    let sandbox = Sandbox::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
    command
        .env_remove("CONSENT_LEDGER")
        .env_remove("CONSENT_KEY_FILE")
        .current_dir(sandbox.dir.path())
        .arg("init");
    Run::from(command.output().unwrap()).ok();
    assert!(sandbox.path("consent.db").exists());
    assert!(sandbox.path("consent.db.key").exists());
}

#[test]
fn commands_on_a_missing_ledger_fail_and_create_nothing() {
    let sandbox = Sandbox::new();
    sandbox.run(&["stats"]).fails("consent init");
    sandbox.run(&["verify"]).fails("no ledger");
    assert!(!sandbox.db().exists());
    assert!(!sandbox.path("ledger.db.key").exists());
}

#[test]
fn catalogue_show_lists_every_table() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["catalogue", "show"]).ok();
    for needle in [
        "Purposes",
        "settlement",
        "Recipients",
        "laeringssenteret",
        "Data categories",
        "health",
        "Statutory rules",
        "nir_registration",
        "integreringsloven § 43",
        "barnevernsloven § 13-2",
        "A6_1_c",
    ] {
        assert!(
            run.stdout.contains(needle),
            "no `{needle}` in {}",
            run.stdout
        );
    }
    let json = sandbox.run(&["catalogue", "show", "--json"]).ok().json();
    assert_eq!(json["rules"].as_array().unwrap().len(), 6);
    assert_eq!(json["categories"].as_array().unwrap().len(), 13);
}

#[test]
fn catalogue_show_and_check_read_a_file() {
    let sandbox = Sandbox::new();
    let good = sandbox.write("good.toml", consent_core::Catalogue::embedded_toml());
    let run = sandbox
        .run(&["catalogue", "check", good.to_str().unwrap()])
        .ok();
    assert!(run.stdout.contains("is valid"), "{}", run.stdout);
    let json = sandbox
        .run(&["--json", "catalogue", "check", good.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(json["valid"], true);
    sandbox
        .run(&["catalogue", "show", "--catalogue", good.to_str().unwrap()])
        .ok();

    let unknown = consent_core::Catalogue::embedded_toml().replacen(
        "recipient = \"nir\"",
        "recipient = \"nowhere\"",
        1,
    );
    assert_ne!(unknown, consent_core::Catalogue::embedded_toml());
    let bad = sandbox.write("bad.toml", &unknown);
    sandbox
        .run(&["catalogue", "check", bad.to_str().unwrap()])
        .fails("nowhere");
    let broken = sandbox.write("broken.toml", "version = \n");
    sandbox
        .run(&["catalogue", "check", broken.to_str().unwrap()])
        .fails("broken.toml");
    sandbox
        .run(&["catalogue", "check", "missing.toml"])
        .fails("cannot read");
    sandbox
        .run(&["catalogue", "show", "--catalogue", bad.to_str().unwrap()])
        .fails("nowhere");
}

#[test]
fn grant_from_a_file_and_from_standard_input() {
    let sandbox = Sandbox::ledger();
    let doc = grant_doc(&mother());
    let file = sandbox.write("g.json", &doc.to_string());
    let run = sandbox.act(&["grant", file.to_str().unwrap()]).ok();
    let id = run.stdout.trim();
    assert_eq!(id.len(), 36, "{id}");
    assert_no_national_id(&run, &mother());
    let run = sandbox
        .act_stdin(&["grant", "--json", "-"], &doc.to_string())
        .ok();
    assert_eq!(run.json()["grant_id"].as_str().unwrap().len(), 36);
    assert_eq!(sandbox.events(), 2);
}

#[test]
fn the_actor_comes_from_flags() {
    let sandbox = Sandbox::ledger();
    let file = sandbox.write("g.json", &grant_doc(&mother()).to_string());
    let run: Run = sandbox
        .command()
        .args([
            "grant",
            "--actor-id",
            "intake-service",
            "--actor-role",
            "unit_leader",
        ])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    run.ok();
    assert_eq!(sandbox.events(), 1);
}

#[test]
fn mutating_commands_without_an_actor_write_nothing() {
    let sandbox = Sandbox::ledger();
    let file = sandbox.write("g.json", &grant_doc(&mother()).to_string());
    sandbox
        .run(&["grant", file.to_str().unwrap()])
        .fails("--actor-id");
    let only_id: Run = sandbox
        .command()
        .env("CONSENT_ACTOR_ID", "saksbehandler-17")
        .args(["grant", file.to_str().unwrap()])
        .output()
        .unwrap()
        .into();
    only_id.fails("--actor-role");
    sandbox
        .run(&["withdraw", "01a203d9-3903-7ca9-a341-b615d5cc2f0c"])
        .fails("CONSENT_ACTOR_ID");
    sandbox
        .run(&["import", file.to_str().unwrap()])
        .fails("missing");
    let bad_role: Run = sandbox
        .command()
        .args(["grant", "--actor-id", "x", "--actor-role", "Case Worker"])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    bad_role.fails("actor");
    assert_eq!(sandbox.events(), 0);
}

#[test]
fn bad_grants_are_rejected_with_a_message_and_write_nothing() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let mut unknown = grant_doc(&fnr);
    unknown["purposes"] = json!(["astrology"]);
    let file = sandbox.write("unknown.json", &unknown.to_string());
    let run = sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("astrology");
    assert_no_national_id(&run, &fnr);

    let mut bad_fnr = fnr.clone();
    bad_fnr.replace_range(10..11, if fnr.ends_with('0') { "1" } else { "0" });
    let file = sandbox.write("badfnr.json", &grant_doc(&bad_fnr).to_string());
    let run = sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("control digit");
    assert_no_national_id(&run, &bad_fnr);

    let file = sandbox.write("malformed.json", "{\"subject\": ");
    sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("grant");
    sandbox
        .act(&["grant", "nonexistent.json"])
        .fails("cannot read");
    sandbox
        .act_stdin(&["grant", "-"], "not json")
        .fails("grant");
    assert_eq!(sandbox.events(), 0);
}

#[test]
fn decide_names_the_statute_or_the_grant_and_exits_by_verdict() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let id = sandbox.grant(&grant_doc(&fnr));
    let run = sandbox.run(&decide_args(
        &fnr,
        "2026-03-01T10:00:00Z",
        &["name", "finances"],
    ));
    let run = run.ok();
    assert!(run.stdout.starts_with("PERMITTED"), "{}", run.stdout);
    assert!(
        run.stdout.contains("integreringsloven § 42"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    assert_no_national_id(&run, &fnr);

    let run = sandbox.run(&decide_args(
        &fnr,
        "2026-03-01T10:00:00Z",
        &["name", "health"],
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("DENIED"), "{}", run.stdout);
    assert!(run.stdout.contains("no_basis"), "{}", run.stdout);

    let mut args = decide_args(&fnr, "2026-03-01T10:00:00Z", &["finances"]);
    args.push("--json");
    let run = sandbox.run(&args);
    assert_eq!(run.code, 0);
    let json = run.json();
    assert_eq!(json["permitted"], true);
    assert_eq!(json["categories"][0]["basis"]["grant_id"], id.as_str());

    // Before the grant takes effect: denied.
    let run = sandbox.run(&decide_args(&fnr, "2025-12-01T10:00:00Z", &["finances"]));
    assert_eq!(run.code, 1);
}

#[test]
fn decide_rejects_bad_input_with_exit_2() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let mut args = decide_args(&fnr, "2026-03-01T10:00:00Z", &["name"]);
    args[4] = "pluto";
    sandbox.run(&args).fails("pluto");
    sandbox
        .run(&decide_args(&fnr, "2026-03-01T10:00:00Z", &["horoscope"]))
        .fails("horoscope");
    let run = sandbox
        .run(&decide_args(
            "15038510191",
            "2026-03-01T10:00:00Z",
            &["name"],
        ))
        .fails("subject");
    assert_no_national_id(&run, "15038510191");
    sandbox
        .run(&decide_args(&fnr, "yesterday", &["name"]))
        .fails("RFC 3339");
    sandbox
        .run(&["decide", "--subject", &fnr, "--recipient", "nav"])
        .fails("required");
}

#[test]
fn withdraw_changes_later_decisions_only() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let id = sandbox.grant(&grant_doc(&fnr));
    let run = sandbox
        .act(&[
            "withdraw",
            &id,
            "--at",
            "2026-04-01T08:00:00Z",
            "--reason",
            "by phone to the case worker",
        ])
        .ok();
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    let after = sandbox.run(&decide_args(&fnr, "2026-05-01T10:00:00Z", &["finances"]));
    assert_eq!(after.code, 1);
    assert!(after.stdout.contains("withdrawn"), "{}", after.stdout);
    sandbox
        .run(&decide_args(&fnr, "2026-03-01T10:00:00Z", &["finances"]))
        .ok();

    sandbox
        .act(&["withdraw", &id, "--at", "2026-04-02T08:00:00Z"])
        .fails("already withdrawn");
    sandbox.act(&["withdraw", "not-a-uuid"]).fails("not a UUID");
    sandbox
        .act(&["withdraw", "01a203d9-3903-7ca9-a341-b615d5cc2f0c"])
        .fails("no grant");
    assert_eq!(sandbox.events(), 2);
    let json = sandbox.act(&["withdraw", "--json", &id]);
    assert_eq!(json.code, 2);
    let error: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "conflict");
}

#[test]
fn export_shows_the_subjects_records_without_the_national_id() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let id = sandbox.grant(&grant_doc(&fnr));
    let run = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            &fnr,
        ])
        .ok();
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    assert!(run.stdout.contains("employment_followup"), "{}", run.stdout);
    assert_no_national_id(&run, &fnr);
    let run = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            "--json",
            &fnr,
        ])
        .ok();
    assert_no_national_id(&run, &fnr);
    let json = run.json();
    assert_eq!(json["consent_records"][0]["record_id"], id.as_str());
    // A person the ledger holds nothing on gets an answer too (GDPR Art. 15).
    let stranger = person("010190", "40");
    let run = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            &stranger,
        ])
        .ok();
    assert!(run.stdout.contains("nothing_held"), "{}", run.stdout);
    assert_no_national_id(&run, &stranger);
    let json = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            "--json",
            &stranger,
        ])
        .ok()
        .json();
    assert_eq!(json["status"], "nothing_held");
}

#[test]
fn stats_counts_with_suppression() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(&mother()));
    const AUDITOR: [&str; 4] = ["--actor-id", "revisor-1", "--actor-role", "auditor"];
    let stats = |args: &[&str]| {
        let mut all = AUDITOR.to_vec();
        all.push("stats");
        all.extend_from_slice(args);
        sandbox.run(&all)
    };
    let run = stats(&[]).ok();
    assert!(run.stdout.contains("employment_followup"), "{}", run.stdout);
    assert!(run.stdout.contains("(hidden)"), "{}", run.stdout);
    assert!(run.stdout.contains("2026-Q1"), "{}", run.stdout);
    let json = stats(&["--json", "--from", "2026-Q1"]).ok().json();
    assert_eq!(json["schema"], "consent-cli-stats/1");
    assert_eq!(json["min_cell"], 5);
    assert_eq!(json["rows"][0]["grants"], Value::Null);
    // Statistics are asked for by whole quarters, never by a freely chosen window.
    stats(&["--from", "2020-01-01T00:00:00Z"]).fails("quarter");
    stats(&["--min-cell", "1"]).fails("min_cell");
    // Statistics say who asks: without an actor, or as a case worker, they are refused.
    sandbox.run(&["stats"]).fails("--actor-id");
    sandbox
        .run(&[
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            "stats",
        ])
        .fails("`statistics`");
}

#[test]
fn verify_passes_then_names_the_tampered_seq() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let id = sandbox.grant(&grant_doc(&fnr));
    sandbox
        .act(&["withdraw", &id, "--at", "2026-04-01T08:00:00Z"])
        .ok();
    sandbox.grant(&grant_doc(&fnr));
    let run = sandbox.run(&["verify"]).ok();
    // The catalogue's adoption, two grants and a withdrawal.
    assert!(run.stdout.contains("4 events verified"), "{}", run.stdout);
    assert_eq!(sandbox.run(&["verify", "--json"]).ok().json()["ok"], true);

    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    conn.execute(
        "UPDATE events SET payload = randomblob(length(payload)) WHERE seq = 2",
        [],
    )
    .unwrap();
    drop(conn);

    let run = sandbox.run(&["verify"]);
    assert_ne!(run.code, 0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("seq 2"), "{}", run.stderr);
    assert!(run.stdout.contains("seq 2"), "{}", run.stdout);
    let json = sandbox.run(&["verify", "--json"]);
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["first_bad_seq"], 2);
    // The ledger no longer opens for other commands, which say why and where to look.
    sandbox
        .run(&decide_args(&fnr, "2026-03-01T10:00:00Z", &["finances"]))
        .fails("consent verify");
}

#[test]
fn import_takes_a_json_array_or_json_lines_in_batches() {
    let sandbox = Sandbox::ledger();
    let people: Vec<String> = (10..16)
        .map(|day| person(&format!("{day}0385"), "10"))
        .collect();
    let docs: Vec<Value> = people.iter().map(|p| grant_doc(p)).collect();
    let array = sandbox.write("grants.json", &Value::Array(docs.clone()).to_string());
    let run = sandbox
        .act(&["import", "--batch-size", "4", array.to_str().unwrap()])
        .ok();
    assert!(
        run.stdout.contains("imported 6 grants in 2"),
        "{}",
        run.stdout
    );
    assert_eq!(sandbox.events(), 6);

    // The same grants as JSON lines: each row gets a key made from its content, so a re-run
    // import writes nothing and returns the first grants' ids.
    let lines: String = docs.iter().map(|d| format!("{d}\n\n")).collect();
    let jsonl = sandbox.write("grants.jsonl", &lines);
    let json = sandbox
        .act(&["import", "--json", jsonl.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(json["imported"], 6);
    assert_eq!(json["grant_ids"].as_array().unwrap().len(), 6);
    assert_eq!(sandbox.events(), 6);
    let again = sandbox
        .act_stdin(&["import", "--json", "-"], &lines)
        .ok()
        .json();
    assert_eq!(again["grant_ids"], json["grant_ids"]);
    assert_eq!(sandbox.events(), 6);

    // A row that brings its own key keeps it; a new row is written.
    let mut keyed = grant_doc(&person("160385", "10"));
    keyed["idempotency_key"] = "sak 2026/5 skjema".into();
    let row = format!("{keyed}\n");
    let first = sandbox
        .act_stdin(&["import", "--json", "-"], &row)
        .ok()
        .json();
    let second = sandbox
        .act_stdin(&["import", "--json", "-"], &row)
        .ok()
        .json();
    assert_eq!(first["grant_ids"], second["grant_ids"]);
    assert_eq!(sandbox.events(), 7);
}

#[test]
fn a_withdrawal_with_a_key_may_be_retried() {
    let sandbox = Sandbox::ledger();
    let fnr = person("150385", "10");
    let id = sandbox.grant(&grant_doc(&fnr));
    let args = [
        "withdraw",
        id.as_str(),
        "--at",
        "2026-04-01T08:00:00Z",
        "--idempotency-key",
        "trekk-5",
    ];
    sandbox.act(&args).ok();
    sandbox.act(&args).ok();
    assert_eq!(sandbox.events(), 2);
    // Without the key the retry is the conflict it always was (exit 2), and writes nothing.
    sandbox
        .act(&["withdraw", id.as_str(), "--at", "2026-04-01T08:00:00Z"])
        .fails("already withdrawn");
    assert_eq!(sandbox.events(), 2);
}

#[test]
fn import_with_one_bad_document_writes_nothing() {
    let sandbox = Sandbox::ledger();
    let mut docs: Vec<String> = (10..14)
        .map(|day| grant_doc(&person(&format!("{day}0385"), "10")).to_string())
        .collect();
    let mut bad = grant_doc(&mother());
    bad["categories"] = json!(["horoscope"]);
    docs.insert(2, bad.to_string());
    let jsonl = sandbox.write("grants.jsonl", &docs.join("\n"));
    sandbox
        .act(&["import", "--batch-size", "1", jsonl.to_str().unwrap()])
        .fails("line 3");
    let malformed = sandbox.write("bad.json", "[{\"subject\": 1},");
    sandbox
        .act(&["import", malformed.to_str().unwrap()])
        .fails("array");
    let empty = sandbox.write("empty.jsonl", "\n\n");
    sandbox
        .act(&["import", empty.to_str().unwrap()])
        .fails("no grant documents");
    assert_eq!(sandbox.events(), 0);
}

#[test]
fn reconsent_lists_grants_that_end_soon() {
    let sandbox = Sandbox::ledger();
    let id = sandbox.grant(&grant_doc(&mother()));
    let run = sandbox
        .run(&["reconsent", "--at", "2026-12-20T00:00:00Z", "--days", "30"])
        .ok();
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    assert!(run.stdout.contains("expires"), "{}", run.stdout);
    let json = sandbox
        .run(&["reconsent", "--json", "--at", "2026-02-01T00:00:00Z"])
        .ok()
        .json();
    assert_eq!(json["items"].as_array().unwrap().len(), 0);
}

#[test]
fn usage_errors_exit_2_and_mask_national_ids() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let run = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            &fnr,
            "extra",
        ])
        .fails("unexpected");
    assert_no_national_id(&run, &fnr);
    let run = sandbox.run(&[
        "--json",
        "export",
        "--lookup-purpose",
        "test",
        "--actor-id",
        "saksbehandler-17",
        "--actor-role",
        "case_worker",
        &fnr,
        "extra",
    ]);
    assert_eq!(run.code, 2);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "usage");
    assert_eq!(error["error"]["kind"], "unknown_argument");
    assert_no_national_id(&run, &fnr);
    // Under --json a usage error names the arguments: every missing one, or the one whose
    // value is bad (the value masked when it holds a national id).
    let run = sandbox.run(&["--json", "decide", "--recipient", "nav"]);
    assert_eq!(run.code, 2);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["kind"], "missing_required_argument");
    let named: Vec<&str> = error["error"]["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for missing in ["--purpose", "--category", "--subject"] {
        assert!(
            named.iter().any(|a| a.starts_with(missing)),
            "{missing}: {named:?}"
        );
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(missing),
            "{error}"
        );
    }
    let run = sandbox.run(&[
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
        "--at",
        &fnr,
    ]);
    assert_eq!(run.code, 2);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["kind"], "value_validation");
    assert_eq!(error["error"]["arguments"][0], "--at <WHEN>");
    assert_no_national_id(&run, &fnr);
    sandbox
        .run(&["frobnicate"])
        .fails("unrecognized subcommand");
    let help = sandbox.run(&["--help"]).ok();
    assert!(help.stdout.contains("decide"), "{}", help.stdout);
}

/// Finding 3 of the security review: a national id in disguise never reaches standard error,
/// whether a command, the shell's file errors or clap's usage errors echo it.
#[test]
fn ids_in_disguise_never_reach_standard_error() {
    let sandbox = Sandbox::ledger();
    let pieces = ["150385", "10190", "１５０３８５", "١٥٠٣٨٥"];
    let leaks = |run: &Run| {
        pieces
            .iter()
            .any(|p| run.stderr.contains(p) || run.stdout.contains(p))
    };
    for text in [
        "150385 10190",
        "150385-10190",
        "150385/10190",
        "150385_10190",
        "(150385) 10190",
        "150385\u{00A0}10190",
        "150385\u{2013}10190",
        "150385\u{200B}10190",
        "１５０３８５１０１９０",
        "١٥٠٣٨٥١٠١٩٠",
        "2026150385101909",
    ] {
        let runs = [
            sandbox.run(&[
                "export",
                "--lookup-purpose",
                "test",
                "--actor-id",
                "saksbehandler-17",
                "--actor-role",
                "case_worker",
                text,
                "extra",
            ]),
            sandbox.run(&[
                "--json",
                "export",
                "--lookup-purpose",
                "test",
                "--actor-id",
                "saksbehandler-17",
                "--actor-role",
                "case_worker",
                text,
                "extra",
            ]),
            sandbox.run(&[
                "export",
                "--lookup-purpose",
                "test",
                "--actor-id",
                "saksbehandler-17",
                "--actor-role",
                "case_worker",
                text,
            ]),
            sandbox.run(&[
                "decide",
                "--subject",
                text,
                "--recipient",
                "nav",
                "--purpose",
                "case_handling",
                "--category",
                "family",
            ]),
            sandbox.run(&[
                "decide",
                "--subject",
                "15038510190",
                "--recipient",
                text,
                "--purpose",
                "case_handling",
                "--category",
                "family",
            ]),
            sandbox.run(&["catalogue", "check", &format!("/nonexistent/{text}.toml")]),
            sandbox.act(&["withdraw", text]),
            sandbox.run(&[
                "--actor-role",
                text,
                "--actor-id",
                "x",
                "withdraw",
                "01890a5d-ac96-774b-bcce-b302099a8057",
            ]),
            sandbox.run(&["--frobnicate", text]),
        ];
        for run in runs {
            assert_eq!(run.code, 2, "{text}: {}", run.stderr);
            assert!(!leaks(&run), "{text}: {}", run.stderr);
        }
    }
    assert_eq!(sandbox.events(), 0);
}

/// Finding 7: inputs are read no further than their limit (`consent grant /dev/zero` grew to
/// 24 GB, `catalogue check /dev/zero` to 16 GB).
#[cfg(unix)]
#[test]
fn endless_inputs_are_refused_at_their_limit() {
    let sandbox = Sandbox::ledger();
    sandbox.act(&["grant", "/dev/zero"]).fails("larger than");
    sandbox
        .run(&["catalogue", "check", "/dev/zero"])
        .fails("not a regular file");
    sandbox
        .run(&["--catalogue", "/dev/zero", "catalogue", "show"])
        .fails("not a regular file");
    let big = sandbox.write(
        "big.json",
        &" ".repeat(consent_core::MAX_DOCUMENT_BYTES + 1),
    );
    sandbox
        .act(&["grant", big.to_str().unwrap()])
        .fails("larger than");
    assert_eq!(sandbox.events(), 0);
}

#[test]
fn a_bad_key_file_is_reported_and_nothing_written() {
    let sandbox = Sandbox::ledger();
    std::fs::write(sandbox.path("ledger.db.key"), "not a key").unwrap();
    let file = sandbox.write("g.json", &grant_doc(&mother()).to_string());
    sandbox
        .act(&["grant", file.to_str().unwrap()])
        .fails("key file");
    assert_eq!(sandbox.events(), 0);
}

#[test]
fn synthetic_ids_need_test_mode() {
    let sandbox = Sandbox::ledger();
    let synthetic = person("158385", "10");
    let args = [
        "decide",
        "--subject",
        &synthetic,
        "--recipient",
        "nir",
        "--purpose",
        "nir_registration",
        "--category",
        "name",
    ];
    let mut command = sandbox.command();
    command
        .env_remove("CONSENT_TEST_MODE")
        .env_remove("CONSENT_CLOCK")
        .args(args);
    let run = Run::from(command.output().unwrap()).fails("test mode");
    assert_no_national_id(&run, &synthetic);
    let mut command = sandbox.command();
    command.env("CONSENT_TEST_MODE", "1").args(args);
    let run = Run::from(command.output().unwrap()).ok();
    assert!(
        run.stdout.contains("integreringsloven § 43"),
        "{}",
        run.stdout
    );
}

#[test]
fn decide_takes_asserted_conditions_and_shows_both_gates() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let base = [
        "decide",
        "--subject",
        fnr.as_str(),
        "--recipient",
        "barnevern",
        "--purpose",
        "child_welfare_followup",
        "--category",
        "name",
        "--at",
        "2026-03-01T10:00:00Z",
    ];
    let run = sandbox.run(&base);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("condition_not_asserted"),
        "{}",
        run.stdout
    );
    let mut asserted = base.to_vec();
    asserted.extend(["--assert", "serious_concern=2026/55"]);
    let run = sandbox.run(&asserted).ok();
    assert!(
        run.stdout.contains("asserted serious_concern"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("confidentiality duty_to_inform"),
        "{}",
        run.stdout
    );
    let mut json = asserted.clone();
    json.push("--json");
    let decision = sandbox.run(&json).ok().json();
    assert_eq!(
        decision["categories"][0]["basis"]["condition"],
        "serious_concern"
    );
    let mut bad = base.to_vec();
    bad.extend(["--assert", "serious_concern"]);
    sandbox.run(&bad).fails("CONDITION=REFERENCE");
    let mut unknown = base.to_vec();
    unknown.extend(["--assert", "rumour=2026/1"]);
    sandbox.run(&unknown).fails("unknown condition");
}

#[test]
fn historical_consents_import_only_for_the_migration_roles() {
    let sandbox = Sandbox::ledger();
    let mut doc = grant_doc(&mother());
    doc["valid_from"] = "2021-03-01T09:00:00Z".into();
    let file = sandbox.write("paper.json", &Value::Array(vec![doc]).to_string());
    let path = file.to_str().unwrap();
    // A current import refuses a consent that starts years before it is recorded.
    sandbox.act(&["import", path]).fails("30 days");
    // A case worker may not migrate; the DPO may.
    sandbox
        .act(&["import", "--historical", path])
        .fails("may not perform `grant_historical`");
    assert_eq!(sandbox.events(), 0);
    sandbox
        .run(&[
            "--actor-id",
            "personvernombud",
            "--actor-role",
            "dpo",
            "import",
            "--historical",
            path,
        ])
        .ok();
    assert_eq!(sandbox.events(), 1);
}

#[test]
fn catalogue_check_reports_what_the_dpo_should_see() {
    let sandbox = Sandbox::new();
    let good = sandbox.write("good.toml", consent_core::Catalogue::embedded_toml());
    let run = sandbox
        .run(&["catalogue", "check", good.to_str().unwrap()])
        .ok();
    assert!(
        run.stdout
            .contains("[statute_covers] rule `nir_registration`"),
        "{}",
        run.stdout
    );
    let json = sandbox
        .run(&["catalogue", "check", "--json", good.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(json["format"], 2);
    let codes = |json: &serde_json::Value| -> Vec<String> {
        json["advice"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect()
    };
    // The default follows Datatilsynet's main rule (18), so there is nothing to say about it;
    // a catalogue that lets 16-year-olds consent alone is told so.
    assert!(!codes(&json).contains(&"self_consent_age".to_owned()));
    let young = sandbox.write(
        "young.toml",
        &consent_core::Catalogue::embedded_toml()
            .replace("self_consent_age = 18", "self_consent_age = 16"),
    );
    let json = sandbox
        .run(&["catalogue", "check", "--json", young.to_str().unwrap()])
        .ok()
        .json();
    assert!(
        codes(&json).contains(&"self_consent_age".to_owned()),
        "{json}"
    );
}

/// Security finding 5: the catalogue a ledger was written under is enforced. `--catalogue`
/// with another catalogue is refused until `consent catalogue adopt` records it.
#[test]
fn catalogue_adopt_records_the_new_catalogue_and_a_swap_without_it_is_refused() {
    let sandbox = Sandbox::ledger();
    let default = consent_core::Catalogue::embedded_toml();
    let next = default.replacen("version = \"2026-12-01\"", "version = \"2027-01-01\"", 1);
    let next = sandbox.write("next.toml", &next);
    let next = next.to_str().unwrap();
    let before = sandbox.all_events();

    // Opening with a catalogue other than the one in force is refused, and says how to adopt.
    let run = sandbox.run(&["--catalogue", next, "verify"]);
    // (verify reads the file, whatever the catalogue: it still verifies.)
    assert_eq!(run.code, 0, "{}", run.stderr);
    let fnr = mother();
    let decide = |catalogue: &str| {
        let mut args = vec!["--catalogue", catalogue];
        args.extend(decide_args(&fnr, "2026-03-01T10:00:00Z", &["finances"]));
        sandbox.run(&args)
    };
    decide(next).fails("consent catalogue adopt");

    // Bad input: an actor is required, a missing file, a catalogue that moves a code.
    sandbox.run(&["catalogue", "adopt", next]).fails("actor");
    sandbox
        .act(&["catalogue", "adopt", "--actor-role", "dpo", "missing.toml"])
        .fails("missing.toml");
    let moved = default.replacen(
        "[[category]]\ncode = \"name\"",
        "[[category]]\ncode = \"alias\"\nname = \"Alias\"\n\n[[category]]\ncode = \"name\"",
        1,
    );
    let moved = sandbox.write("moved.toml", &moved);
    sandbox
        .act(&[
            "catalogue",
            "adopt",
            "--actor-role",
            "dpo",
            moved.to_str().unwrap(),
        ])
        .fails("`name`");
    assert_eq!(sandbox.all_events(), before);

    let run = sandbox
        .act(&["--json", "catalogue", "adopt", "--actor-role", "dpo", next])
        .ok()
        .json();
    assert_eq!(run["version"], "2027-01-01");
    assert_eq!(run["previous_version"], "2026-12-01");
    assert_eq!(sandbox.all_events(), before + 1);
    // The same catalogue again is a conflict, and changes nothing.
    sandbox
        .act(&["catalogue", "adopt", "--actor-role", "dpo", next])
        .fails("already in force");
    assert_eq!(sandbox.all_events(), before + 1);
    // Now it is the one in force: given or not, the ledger opens.
    // (denied: no consent, no statute; exit 1, not an error)
    assert_eq!(decide(next).code, 1);
    assert_eq!(sandbox.events(), 0);
}

/// A sandbox ledger whose catalogue keeps records one year after the last case event instead
/// of for good, so that kassasjon can become due; returns it and the `--catalogue` file.
fn finite_retention_ledger() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    let catalogue = sandbox.write(
        "finite.toml",
        &consent_core::Catalogue::embedded_toml()
            .replace("retention_years = \"permanent\"", "retention_years = 1"),
    );
    sandbox
        .run(&["--catalogue", catalogue.to_str().unwrap(), "init"])
        .ok();
    (sandbox, catalogue)
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario told in order; each command names the role it needs"
)]
fn restrict_lets_consent_through_stops_statutes_and_lifts() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    sandbox.grant(&grant_doc(&fnr));
    let statute = |at: &str| {
        sandbox.run(&[
            "decide",
            "--subject",
            &fnr,
            "--recipient",
            "imdi",
            "--purpose",
            "settlement",
            "--category",
            "name",
            "--at",
            at,
        ])
    };
    let run = sandbox
        .act(&[
            "restrict",
            &fnr,
            "--ground",
            "A18_1_a",
            "--at",
            "2026-01-05T10:00:00Z",
        ])
        .ok();
    assert!(run.stdout.contains("A18_1_a"), "{}", run.stdout);
    assert_no_national_id(&run, &fnr);
    assert_eq!(sandbox.events(), 2);
    // Art. 18(2): the consent path goes on; the statute stops.
    sandbox
        .run(&decide_args(&fnr, "2026-01-08T10:00:00Z", &["finances"]))
        .ok();
    let denied = statute("2026-01-08T10:00:00Z");
    assert_eq!(denied.code, 1, "{}", denied.stdout);
    assert!(denied.stdout.contains("restricted"), "{}", denied.stdout);

    // Bad input: exit 2, a message, nothing written.
    sandbox
        .act(&["restrict", &fnr, "--ground", "A18_1_a"])
        .fails("already restricted");
    sandbox
        .act(&["restrict", &fnr, "--ground", "A18_1_x"])
        .fails("A18_1_x");
    sandbox
        .act(&["restrict", &fnr, "--ground", "erasure_request"])
        .fails("expected A18_1_a");
    sandbox
        .act(&["restrict", "15038510191", "--ground", "A18_1_b"])
        .fails("subject");
    sandbox
        .act(&[
            "restrict",
            &fnr,
            "--ground",
            "A18_1_b",
            "--at",
            "01.03.2026",
        ])
        .fails("RFC 3339");
    sandbox
        .run(&["restrict", &fnr, "--ground", "A18_1_b"])
        .fails("--actor-id");
    sandbox
        .act(&[
            "lift-restriction",
            "--actor-role",
            "dpo",
            &fnr,
            "--reason",
            "",
        ])
        .fails("reason");
    sandbox
        .act(&[
            "lift-restriction",
            "--actor-role",
            "dpo",
            &fnr,
            "--reason",
            "too early",
            "--at",
            "2026-01-04T10:00:00Z",
        ])
        .fails("in the past");
    assert_eq!(sandbox.events(), 2);

    let run = sandbox
        .act(&[
            "lift-restriction",
            "--actor-role",
            "dpo",
            &fnr,
            "--reason",
            "the address was verified",
            "--at",
            "2026-01-15T10:00:00Z",
            "--json",
        ])
        .ok()
        .json();
    assert!(run["record_id"].is_string(), "{run}");
    statute("2026-01-16T10:00:00Z").ok();
    let export = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            "--json",
            &fnr,
        ])
        .ok()
        .json();
    assert_eq!(export["restrictions"][0]["ground"], "A18_1_a");
    assert_eq!(
        export["restrictions"][0]["lifted"]["reason"],
        "the address was verified"
    );
    sandbox
        .act(&[
            "lift-restriction",
            "--actor-role",
            "dpo",
            &fnr,
            "--reason",
            "again",
        ])
        .fails("no restriction");
}

#[test]
fn restrictions_and_objections_are_never_for_the_future() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    // The sandbox's clock reads 2026-01-05T10:00:00Z.
    for args in [
        [
            "restrict",
            &fnr,
            "--ground",
            "A18_1_b",
            "--at",
            "2026-01-07T10:00:00Z",
        ],
        [
            "object",
            &fnr,
            "--purpose",
            "settlement",
            "--at",
            "2026-01-07T10:00:00Z",
        ],
    ] {
        sandbox.act(&args).fails("in the future");
    }
    sandbox
        .act(&[
            "restrict",
            &fnr,
            "--ground",
            "A18_1_b",
            "--at",
            "2025-11-01T10:00:00Z",
        ])
        .fails("max_backdating_days");
    assert_eq!(sandbox.events(), 0);
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario told in order; each command names the role it needs"
)]
fn object_stops_the_public_task_until_the_objection_is_rejected() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    let decide = |at: &str| {
        sandbox.run(&[
            "decide",
            "--subject",
            &fnr,
            "--recipient",
            "nav",
            "--purpose",
            "introduction_programme",
            "--category",
            "name",
            "--at",
            at,
        ])
    };
    let run = sandbox
        .act(&[
            "object",
            &fnr,
            "--purpose",
            "introduction_programme",
            "--at",
            "2026-01-05T10:00:00Z",
        ])
        .ok();
    let id = run.stdout.trim().to_owned();
    assert_eq!(id.len(), 36, "{id}");
    let denied = decide("2026-01-06T10:00:00Z");
    assert_eq!(denied.code, 1, "{}", denied.stdout);
    assert!(denied.stdout.contains("objected"), "{}", denied.stdout);

    sandbox
        .act(&["object", &fnr, "--purpose", "introduction_programme"])
        .fails("not yet resolved");
    sandbox
        .act(&["object", &fnr, "--purpose", "holidays"])
        .fails("holidays");
    sandbox
        .act(&["object", &fnr, "--purpose", "statistics"])
        .fails("6(1)(e)");
    sandbox
        .act(&[
            "resolve-objection",
            "--actor-role",
            "dpo",
            "objection-1",
            "--outcome",
            "rejected",
            "--reason",
            "x",
        ])
        .fails("not a UUID");
    sandbox
        .act(&[
            "resolve-objection",
            "--actor-role",
            "dpo",
            &id,
            "--outcome",
            "dismissed",
            "--reason",
            "x",
        ])
        .fails("upheld or rejected");
    sandbox
        .act(&[
            "resolve-objection",
            "--actor-role",
            "dpo",
            "01a203d9-3903-7ca9-a341-b615d5cc2f0c",
            "--outcome",
            "rejected",
            "--reason",
            "x",
        ])
        .fails("no objection");
    assert_eq!(sandbox.events(), 1);

    let json = sandbox
        .act(&[
            "resolve-objection",
            "--actor-role",
            "dpo",
            &id,
            "--outcome",
            "rejected",
            "--reason",
            "vedtak 2026/90: compelling grounds",
            "--at",
            "2026-01-07T10:00:00Z",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(json["outcome"], "rejected");
    decide("2026-01-08T10:00:00Z").ok();
    sandbox
        .act(&[
            "resolve-objection",
            "--actor-role",
            "dpo",
            &id,
            "--outcome",
            "upheld",
            "--reason",
            "again",
        ])
        .fails("already resolved");
}

#[test]
fn erase_then_kassasjon_once_the_retention_has_ended() {
    let (sandbox, catalogue) = finite_retention_ledger();
    let catalogue = catalogue.to_str().unwrap();
    let fnr = mother();
    let file = sandbox.write("grant.json", &grant_doc(&fnr).to_string());
    sandbox
        .act(&["--catalogue", catalogue, "grant", file.to_str().unwrap()])
        .ok();
    let at = |clock: &str, args: &[&str]| {
        let mut all = vec!["--catalogue", catalogue, "--clock", clock];
        all.extend_from_slice(args);
        sandbox.act(&all)
    };

    // Nothing requested yet: kassasjon is refused.
    at(
        "2026-03-01T00:00:00Z",
        &["kassasjon", "--actor-role", "archivist", &fnr],
    )
    .fails("not due");
    let run = at(
        "2026-03-01T00:00:00Z",
        &["erase", "--actor-role", "dpo", &fnr, "--json"],
    )
    .ok()
    .json();
    assert_eq!(run["outcome"], "restricted");
    assert_eq!(run["withdrawn"].as_array().unwrap().len(), 1);
    assert_eq!(run["kassasjon_due_at"], "2027-03-01T00:00:00Z");
    assert_eq!(sandbox.events(), 3);
    at(
        "2026-03-02T00:00:00Z",
        &["erase", "--actor-role", "dpo", &fnr],
    )
    .fails("already requested");

    let due = at("2027-02-28T00:00:00Z", &["erasure-due"]).ok();
    assert!(due.stdout.starts_with("0 subjects"), "{}", due.stdout);
    let due = at("2027-03-01T00:00:00Z", &["erasure-due", "--json"])
        .ok()
        .json();
    assert_eq!(due["items"][0]["due_at"], "2027-03-01T00:00:00Z");
    assert!(!due.to_string().contains(&fnr));

    // Judged by the ledger's clock, never by an instant the caller passes.
    at(
        "2027-02-28T00:00:00Z",
        &["kassasjon", "--actor-role", "archivist", &fnr],
    )
    .fails("not due before 2027-03-01");
    at(
        "2027-03-02T00:00:00Z",
        &["kassasjon", "--actor-role", "archivist", "15038510191"],
    )
    .fails("subject");
    assert_eq!(sandbox.events(), 3);
    let run = at(
        "2027-03-02T00:00:00Z",
        &["kassasjon", "--actor-role", "archivist", &fnr],
    )
    .ok();
    assert!(run.stdout.contains("still verifies"), "{}", run.stdout);
    assert_no_national_id(&run, &fnr);
    assert_eq!(sandbox.events(), 4);
    sandbox.run(&["verify"]).ok();
    at(
        "2027-03-03T00:00:00Z",
        &["kassasjon", "--actor-role", "archivist", &fnr],
    )
    .fails("already erased");
}

#[test]
fn erase_with_the_default_catalogue_keeps_the_records_for_good() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    sandbox.grant(&grant_doc(&fnr));
    let run = sandbox.act(&["erase", "--actor-role", "dpo", &fnr]).ok();
    assert!(run.stdout.contains("1 grants withdrawn"), "{}", run.stdout);
    assert!(run.stdout.contains("kassasjon due never"), "{}", run.stdout);
    sandbox
        .act(&["kassasjon", "--actor-role", "archivist", &fnr])
        .fails("retention is permanent");
    let stranger = person("010190", "12");
    sandbox
        .act(&["erase", "--actor-role", "dpo", &stranger])
        .fails("nothing about");
    let export = sandbox
        .run(&[
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            "--json",
            &stranger,
        ])
        .ok()
        .json();
    assert_eq!(export["status"], "nothing_held");
}

/// Issue 17: a role may do only what the catalogue lets it; an export records who looked and
/// the next export lists it.
#[test]
fn roles_limit_the_commands_and_the_export_lists_who_looked() {
    let sandbox = Sandbox::ledger();
    let fnr = mother();
    sandbox.grant(&grant_doc(&fnr));
    let before = sandbox.events();
    let refused = sandbox.act(&["erase", &fnr]);
    assert_eq!(refused.code, 2);
    assert!(
        refused
            .stderr
            .contains("role `case_worker` may not perform `request_erasure`"),
        "{}",
        refused.stderr
    );
    let unknown = sandbox.act(&["erase", "--actor-role", "janitor", &fnr]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown role `janitor`"),
        "{}",
        unknown.stderr
    );
    let auditor = sandbox.act(&[
        "export",
        "--actor-role",
        "auditor",
        "--lookup-purpose",
        "revisjon",
        &fnr,
    ]);
    assert_eq!(auditor.code, 2);
    assert!(auditor.stderr.contains("`export`"), "{}", auditor.stderr);
    sandbox.act(&["export", &fnr]).fails("lookup-purpose");
    assert_eq!(sandbox.events(), before, "nothing was recorded");
    sandbox
        .act(&["export", "--lookup-purpose", "sak 2026/55", &fnr])
        .ok();
    let run = sandbox
        .act(&[
            "export",
            "--actor-role",
            "dpo",
            "--lookup-purpose",
            "innsynskrav",
            &fnr,
        ])
        .ok();
    assert!(run.stdout.contains("Who looked"), "{}", run.stdout);
    assert!(
        run.stdout.contains("case_worker  export     sak 2026/55"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("saksbehandler-17"), "{}", run.stdout);
    let json = sandbox
        .act(&["--json", "export", "--lookup-purpose", "x", &fnr])
        .ok()
        .json();
    assert_eq!(json["accesses"][0]["role"], "case_worker");
    assert_eq!(json["accesses"][0]["purpose"], "sak 2026/55");
    assert_eq!(json["accesses"][0]["accessed_at"], "2026-01-05T10:00:00Z");
    assert_eq!(sandbox.events(), before + 3);
    sandbox.act(&["erase", "--actor-role", "dpo", &fnr]).ok();
}

/// Keys and tokens from tests/shared/signed_actors.py (python3 and openssl), or `None` where
/// they are missing, which the README's test command does not allow (`CONSENT_REQUIRE_TOOLS`).
fn signed_actors(dir: &std::path::Path) -> Option<()> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/shared/signed_actors.py");
    let made = Command::new("python3").arg(script).arg(dir).output();
    match made {
        Ok(out) if out.status.success() => Some(()),
        other => {
            assert!(
                std::env::var_os("CONSENT_REQUIRE_TOOLS").is_none(),
                "cannot make signed actors: {other:?}"
            );
            println!("notice: python3 or openssl is missing; the signed-actor test is skipped");
            None
        }
    }
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario: a token file, refusals, standard input, statistics"
)]
fn a_signed_actor_comes_from_a_token_file_or_standard_input_and_stats_take_an_actor() {
    let sandbox = Sandbox::ledger();
    let keys = sandbox.path("signed");
    if signed_actors(&keys).is_none() {
        return;
    }
    let trust = keys.join("trust.json");
    let token = |name: &str| keys.join(format!("{name}.jwt"));
    // The tokens are valid around 2026-03-01T10:00Z.
    let at_march = |args: &[&str]| {
        let mut command = sandbox.command();
        command
            .env("CONSENT_CLOCK", "2026-03-01T10:00:00Z")
            .env("CONSENT_ACTOR_TRUST", &trust)
            .args(args);
        command
    };
    let run = |args: &[&str]| Run::from(at_march(args).output().unwrap());
    let mut doc = grant_doc(&mother());
    doc["valid_from"] = json!("2026-03-01T09:00:00Z");
    let file = sandbox.write("g.json", &doc.to_string());
    let before = sandbox.events();
    run(&[
        "grant",
        "--actor-token-file",
        token("case_worker").to_str().unwrap(),
        file.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(sandbox.events(), before + 1);
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let header: String = conn
        .query_row(
            "SELECT header FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        header.contains(r#""issuer":"https://login.melhus.kommune.no""#),
        "{header}"
    );
    let secret = std::fs::read_to_string(token("case_worker")).unwrap();
    let signature = secret.trim().rsplit('.').next().unwrap();
    assert!(!header.contains(signature), "the token is never stored");

    // Refused tokens: exit 2, nothing written, no part of the token in the message.
    for (name, needle) in [
        ("expired", "expired"),
        ("wrong_issuer", "another issuer"),
        ("wrong_key", "does not verify"),
        ("unknown_role", "`janitor`"),
    ] {
        let failed = run(&[
            "grant",
            "--actor-token-file",
            token(name).to_str().unwrap(),
            file.to_str().unwrap(),
        ])
        .fails(needle);
        let text = std::fs::read_to_string(token(name)).unwrap();
        for part in text.trim().split('.') {
            assert!(!failed.stderr.contains(part), "{}", failed.stderr);
        }
        assert_eq!(sandbox.events(), before + 1, "{name}");
    }
    // Not both shapes at once.
    run(&[
        "stats",
        "--actor-token-file",
        token("auditor").to_str().unwrap(),
        "--actor-id",
        "x",
        "--actor-role",
        "auditor",
    ])
    .fails("not both");

    // Statistics: refused to a case worker, read by an auditor (named or signed, from stdin).
    run(&["stats"]).fails("--actor-id");
    run(&[
        "stats",
        "--actor-id",
        "saksbehandler-17",
        "--actor-role",
        "case_worker",
    ])
    .fails("`statistics`");
    run(&[
        "stats",
        "--actor-id",
        "revisor-1",
        "--actor-role",
        "auditor",
    ])
    .ok();
    let mut piped = at_march(&["stats", "--json", "--actor-token-file", "-"]);
    let mut child = piped
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        std::fs::read_to_string(token("auditor"))
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let stats = Run::from(child.wait_with_output().unwrap()).ok();
    assert!(stats.json()["min_cell"].is_number(), "{}", stats.stdout);
    assert_eq!(sandbox.events(), before + 1, "statistics record nothing");
}
