//! Operating a ledger from a shell: instants as people write them (`--at 2026-03-01`, Norwegian
//! local time), national ids on standard input instead of the command line, the rights commands
//! (`refuse`, `rectify`, `access-request`, `pseudonym`) and `consent doctor`, run as the built
//! binary against ledgers in temporary directories.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

/// The project's public example number.
const ADULT: &str = "15038510190";
/// A DUF number (UDI's case number: the year of registration, then eight digits).
const DUF: &str = "201612345678";

/// A valid national id (legacy control digits) for a birth date and individnummer prefix.
fn person(ddmmyy: &str, individ: &str) -> String {
    (0..10)
        .find_map(|d| consent_core::control_digits(&format!("{ddmmyy}{individ}{d}")))
        .unwrap()
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

    /// Exit code 2, a message holding `needle`, and no national id in it.
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
        assert!(!self.stderr.contains(ADULT), "{}", self.stderr);
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
    /// A sandbox without a ledger.
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

    /// The command with `--ledger` set, no `CONSENT_*` variables from the outside, test mode
    /// and the ledger's clock at the fixtures' morning.
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for var in [
            "CONSENT_LEDGER",
            "CONSENT_KEY_FILE",
            "CONSENT_CATALOGUE",
            "CONSENT_ACTOR_ID",
            "CONSENT_ACTOR_ROLE",
            "CONSENT_TEST_MODE",
            "CONSENT_CLOCK",
            "CONSENT_GROUP_ACCESS",
        ] {
            command.env_remove(var);
        }
        command
            .env("CONSENT_TEST_MODE", "1")
            .env("CONSENT_CLOCK", "2026-01-05T10:00:00Z")
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.db());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        self.command().args(args).output().unwrap().into()
    }

    fn act(&self, args: &[&str]) -> Run {
        self.command()
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
            .args(args)
            .output()
            .unwrap()
            .into()
    }

    /// Runs a command (with an actor) with `input` on its standard input.
    fn stdin(&self, args: &[&str], input: &str) -> Run {
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

    /// Every stored event.
    fn events(&self) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
            .unwrap()
    }

    /// Records a grant and returns its id.
    fn grant(&self, doc: &Value) -> String {
        let run = self.stdin(&["grant", "-"], &doc.to_string()).ok();
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
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

/// `decide --json` for the subject at `at`, the category `finances`, to NAV.
fn decide_at(sandbox: &Sandbox, at: &str) -> Run {
    sandbox.run(&[
        "decide",
        "--json",
        "--subject",
        ADULT,
        "--recipient",
        "nav",
        "--purpose",
        "employment_followup",
        "--category",
        "finances",
        "--at",
        at,
    ])
}

// ---- instants as people write them -------------------------------------------------------

#[test]
fn a_date_is_midnight_in_norway_and_a_local_time_follows_summer_time() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    for (given, utc) in [
        // Winter: UTC+1.
        ("2026-03-01", "2026-02-28T23:00:00Z"),
        ("2026-03-01 14:30", "2026-03-01T13:30:00Z"),
        // Summer: UTC+2, from the last Sunday of March.
        ("2026-06-15", "2026-06-14T22:00:00Z"),
        ("2026-06-15 14:30", "2026-06-15T12:30:00Z"),
        ("2026-03-29 03:00", "2026-03-29T01:00:00Z"),
        ("2026-10-25 03:00", "2026-10-25T02:00:00Z"),
        // RFC 3339 as before, with any offset.
        ("2026-06-15T14:30:00+02:00", "2026-06-15T12:30:00Z"),
    ] {
        let run = decide_at(&sandbox, given).ok();
        let decided: chrono::DateTime<chrono::Utc> =
            run.json()["at"].as_str().unwrap().parse().unwrap();
        let expected: chrono::DateTime<chrono::Utc> = utc.parse().unwrap();
        assert_eq!(decided, expected, "--at {given}");
    }
}

#[test]
fn a_local_time_the_clock_change_skips_or_repeats_is_refused() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    decide_at(&sandbox, "2026-03-29 02:30").fails("does not exist in Norway");
    decide_at(&sandbox, "2026-10-25 02:30").fails("happened twice");
    decide_at(&sandbox, "1995-06-01").fails("before 1996");
    decide_at(&sandbox, "29.03.2026").fails("not an instant");
    // A write with a refused instant records nothing.
    let id = sandbox.grant(&grant_doc(ADULT));
    let before = sandbox.events();
    sandbox
        .act(&["withdraw", &id, "--at", "2026-03-29 02:15"])
        .fails("does not exist in Norway");
    assert_eq!(sandbox.events(), before);
}

#[test]
fn now_is_the_same_as_leaving_at_out() {
    let sandbox = Sandbox::ledger();
    let id = sandbox.grant(&grant_doc(ADULT));
    // `restrict` defaults to the ledger's clock (the test clock); `--at now` reads the same.
    let run = sandbox
        .act(&[
            "--json", "restrict", ADULT, "--ground", "A18_1_a", "--at", "now",
        ])
        .ok();
    assert_eq!(run.json()["at"], "2026-01-05T10:00:00Z");
    // A withdrawal at a Norwegian local time takes effect at that instant (UTC+1 in January).
    let run = sandbox
        .act(&["--json", "withdraw", &id, "--at", "2026-01-05 11:30"])
        .ok();
    assert_eq!(run.json()["withdrawn_at"], "2026-01-05T10:30:00Z");
}

// ---- every library operation has a command ----------------------------------------------

fn refusal_doc(subject: &str) -> Value {
    json!({
        "subject": subject, "grantor": {"role": "self"},
        "purposes": ["health_coordination"], "recipients": ["helsetjenesten"],
        "categories": ["health"], "at": "2026-01-05T09:00:00Z",
        "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

fn export(sandbox: &Sandbox) -> Value {
    sandbox
        .run(&[
            "--json",
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            ADULT,
        ])
        .ok()
        .json()
}

#[test]
fn refuse_records_a_refusal_document_and_rejects_a_bad_one() {
    let sandbox = Sandbox::ledger();
    let before = sandbox.events();
    let run = sandbox
        .stdin(&["refuse", "-"], &refusal_doc(ADULT).to_string())
        .ok();
    let id = run.stdout.trim().to_owned();
    assert_eq!(id.len(), 36, "{}", run.stdout);
    assert_eq!(sandbox.events(), before + 1);
    let refusals = &export(&sandbox)["refusals"];
    assert_eq!(refusals.as_array().unwrap().len(), 1, "{refusals}");
    assert!(refusals.to_string().contains("health_coordination"));

    // The library's checks, with nothing written: an unknown purpose, an unknown field, a
    // subject that is not a national id, and no actor.
    let before = sandbox.events();
    let mut doc = refusal_doc(ADULT);
    doc["purposes"] = json!(["astrology"]);
    sandbox
        .stdin(&["refuse", "-"], &doc.to_string())
        .fails("astrology");
    let mut doc = refusal_doc(ADULT);
    doc["colour"] = json!("blue");
    sandbox
        .stdin(&["refuse", "-"], &doc.to_string())
        .fails("colour");
    sandbox
        .stdin(&["refuse", "-"], &refusal_doc("15038510191").to_string())
        .fails("subject");
    let run: Run = sandbox
        .command()
        .args(["refuse", "/nonexistent/refusal.json"])
        .output()
        .unwrap()
        .into();
    run.fails("actor");
    assert_eq!(sandbox.events(), before);
}

#[test]
fn rectify_corrects_a_grant_from_now_on_and_refuses_bad_corrections() {
    let sandbox = Sandbox::ledger();
    let id = sandbox.grant(&grant_doc(ADULT));
    let july = "2026-07-01T10:00:00Z";
    decide_at(&sandbox, july).ok();

    // The grant ended on 2026-06-01 (Norwegian midnight): July is no longer covered.
    let run = sandbox
        .act(&[
            "--json",
            "rectify",
            ADULT,
            &id,
            "--valid-until",
            "2026-06-01",
            "--reason",
            "the form said June",
        ])
        .ok();
    let json = run.json();
    assert_eq!(json["grant_id"], id.as_str());
    assert_eq!(json["correction"]["field"], "valid_until");
    assert_eq!(json["correction"]["value"], "2026-05-31T22:00:00Z");
    assert_eq!(decide_at(&sandbox, july).code, 1);
    decide_at(&sandbox, "2026-03-01T10:00:00Z").ok();
    sandbox
        .act(&[
            "rectify",
            ADULT,
            &id,
            "--evidence-reference",
            "2026/1235",
            "--reason",
            "typing error",
        ])
        .ok();
    let rectifications = &export(&sandbox)["rectifications"];
    assert_eq!(
        rectifications.as_array().unwrap().len(),
        2,
        "{rectifications}"
    );

    // Bad corrections write nothing.
    let before = sandbox.events();
    sandbox
        .act(&[
            "rectify",
            ADULT,
            &id,
            "--valid-until",
            "2025-01-01",
            "--reason",
            "x",
        ])
        .fails("not after valid_from");
    sandbox
        .act(&["rectify", ADULT, &id, "--reason", "x"])
        .fails("--evidence-reference");
    sandbox
        .act(&[
            "rectify",
            ADULT,
            &id,
            "--valid-from",
            "2026-01-06",
            "--valid-until",
            "none",
            "--reason",
            "x",
        ])
        .fails("cannot be used with");
    sandbox
        .act(&[
            "rectify",
            ADULT,
            "01a203db-d8a1-7d00-9b2d-0a25893c332f",
            "--evidence-reference",
            "2026/1",
            "--reason",
            "x",
        ])
        .fails("no grant");
    sandbox
        .act(&[
            "rectify",
            ADULT,
            "not-a-grant",
            "--evidence-reference",
            "2026/1",
            "--reason",
            "x",
        ])
        .fails("grant");
    assert_eq!(sandbox.events(), before);
}

#[test]
fn access_request_is_due_a_month_after_receipt() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let run = sandbox
        .act(&[
            "--json",
            "access-request",
            ADULT,
            "--at",
            "2026-01-05 09:30",
        ])
        .ok();
    let json = run.json();
    assert_eq!(json["received_at"], "2026-01-05T08:30:00Z");
    assert_eq!(json["due_at"], "2026-02-05T08:30:00Z");
    let requests = &export(&sandbox)["access_requests"];
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    let run = sandbox.act(&["access-request", ADULT]).ok();
    assert!(
        run.stdout.contains("2026-02-05T10:00:00Z"),
        "{}",
        run.stdout
    );

    let before = sandbox.events();
    sandbox
        .act(&["access-request", "15038510191"])
        .fails("subject");
    sandbox.run(&["access-request", ADULT]).fails("actor");
    assert_eq!(sandbox.events(), before);
}

#[test]
fn pseudonym_is_the_key_the_subjects_records_are_kept_under() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let run = sandbox.run(&["pseudonym", ADULT]).ok();
    let pseudonym = run.stdout.trim().to_owned();
    assert_eq!(pseudonym.len(), 32, "{pseudonym}");
    assert!(!run.stdout.contains(ADULT));
    assert_eq!(export(&sandbox)["pii_principal_id"], pseudonym.as_str());
    let json = sandbox.run(&["--json", "pseudonym", ADULT]).ok().json();
    assert_eq!(json["pseudonym"], pseudonym.as_str());
    // Another ledger has another key, so another pseudonym for the same person.
    let other = Sandbox::ledger();
    let elsewhere = other.run(&["pseudonym", ADULT]).ok();
    assert_ne!(elsewhere.stdout.trim(), pseudonym);
    sandbox.run(&["pseudonym", "15038510191"]).fails("subject");
}

#[test]
fn every_command_has_its_own_short_help_with_an_example() {
    let sandbox = Sandbox::ledger();
    let top = sandbox.run(&["--help"]).ok();
    assert!(top.stdout.contains("Global options"), "{}", top.stdout);
    let commands: Vec<String> = top
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect();
    for name in ["refuse", "rectify", "access-request", "pseudonym", "decide"] {
        assert!(commands.iter().any(|c| c == name), "{name}: {commands:?}");
    }
    let mut invocations: Vec<Vec<String>> = commands.iter().map(|c| vec![c.clone()]).collect();
    for sub in ["show", "check", "adopt"] {
        invocations.push(vec!["catalogue".to_owned(), sub.to_owned()]);
    }
    for args in &invocations {
        let name = args.join(" ");
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push("-h");
        let help = sandbox.run(&args).ok();
        let example = help
            .stdout
            .split_once(
                "Example:
  ",
            )
            .and_then(|(_, rest)| rest.lines().next());
        assert!(
            example.is_some_and(|line| line.contains("consent ")),
            "{name}: {}",
            help.stdout
        );
        // Only the command's own options: the global ones are in --help.
        for global in ["--catalogue <FILE>", "--actor-id <ID>", "--ledger <FILE>"] {
            assert!(!help.stdout.contains(global), "{name}: {}", help.stdout);
        }
    }
    let long = sandbox.run(&["decide", "--help"]).ok();
    assert!(long.stdout.contains("--actor-id <ID>"), "{}", long.stdout);
}

// ---- national ids off the command line ---------------------------------------------------

/// `decide` for NAV's employment follow-up, `finances`, on 2026-03-01, for `subject`.
fn decide_args(subject: &str) -> Vec<&str> {
    vec![
        "decide",
        "--subject",
        subject,
        "--recipient",
        "nav",
        "--purpose",
        "employment_followup",
        "--category",
        "finances",
        "family",
        "--at",
        "2026-03-01T10:00:00Z",
    ]
}

#[test]
fn decide_with_the_subject_on_standard_input_answers_as_the_argument_does() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let other = person("010190", "12");
    for subject in [ADULT, other.as_str()] {
        for json in [false, true] {
            let mut given = decide_args(subject);
            let mut piped = decide_args("-");
            if json {
                given.push("--json");
                piped.push("--json");
            }
            let given = sandbox.run(&given);
            // A trailing newline and stray spaces (a pasted line, a CRLF file) are trimmed.
            let piped = sandbox.stdin(&piped, &format!("  {subject} \r\n"));
            assert!(given.code == 0 || given.code == 1, "{}", given.stderr);
            assert_eq!(piped.code, given.code, "{}", piped.stderr);
            assert_eq!(piped.stdout, given.stdout);
            assert!(!piped.stdout.contains(subject));
        }
    }
    // The permitted one and the denied one really differ.
    assert_eq!(sandbox.stdin(&decide_args("-"), ADULT).code, 0);
    assert_eq!(sandbox.stdin(&decide_args("-"), &other).code, 1);
}

#[test]
fn every_subject_argument_reads_standard_input_for_a_dash() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    for args in [
        vec![
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
        ],
        vec![
            "--json",
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
        ],
        vec!["pseudonym"],
    ] {
        let mut given = args.clone();
        given.push(ADULT);
        let mut piped = args.clone();
        piped.push("-");
        let given = sandbox.run(&given).ok();
        let piped = sandbox.stdin(&piped, &format!("{ADULT}\n")).ok();
        if args.contains(&"--json") {
            // The export is stamped with the moment it was generated, and lists every
            // export before it: the second lists one look-up more.
            let (mut a, mut b) = (given.json(), piped.json());
            a["generated_at"] = Value::Null;
            b["generated_at"] = Value::Null;
            let (seen_a, seen_b) = (a["accesses"].take(), b["accesses"].take());
            assert_eq!(
                seen_b.as_array().map(Vec::len),
                seen_a.as_array().map(|l| l.len() + 1)
            );
            assert_eq!(a, b);
        } else if args.contains(&"export") {
            let head = |text: &str| text.split("Who looked").next().map(str::to_owned);
            assert_eq!(head(&given.stdout), head(&piped.stdout));
        } else {
            assert_eq!(given.stdout, piped.stdout);
        }
    }
    // The commands that write, each with its subject on standard input.
    let before = sandbox.events();
    sandbox
        .stdin(&["restrict", "-", "--ground", "A18_1_a"], ADULT)
        .ok();
    sandbox
        .stdin(
            &[
                "lift-restriction",
                "--actor-role",
                "dpo",
                "-",
                "--reason",
                "checked",
            ],
            ADULT,
        )
        .ok();
    sandbox
        .stdin(&["object", "-", "--purpose", "employment_followup"], ADULT)
        .ok();
    sandbox.stdin(&["access-request", "-"], ADULT).ok();
    assert_eq!(sandbox.events(), before + 4);
    let export = export(&sandbox);
    assert_eq!(export["access_requests"].as_array().unwrap().len(), 1);
}

#[test]
fn a_succession_reads_both_ids_from_standard_input_in_order() {
    let sandbox = Sandbox::ledger();
    let mut doc = grant_doc(DUF);
    doc["subject_birth_date"] = json!("1990-11-20");
    sandbox.grant(&doc);
    let before = sandbox.events();
    // FROM first, then TO: the DUF number's grant follows the person to the fødselsnummer.
    sandbox
        .stdin(
            &["succession", "-", "-", "--reference", "UDI 2026/9"],
            &format!("{DUF}\n{ADULT}\n"),
        )
        .ok();
    assert_eq!(sandbox.events(), before + 1);
    assert_eq!(decide_at(&sandbox, "2026-03-01T10:00:00Z").code, 0);
    // One `-` and one argument: the line is TO's.
    let other = person("010190", "12");
    sandbox
        .stdin(
            &["succession", ADULT, "-", "--reference", "UDI 2026/10"],
            &other,
        )
        .ok();
}

#[test]
fn a_bad_or_missing_line_on_standard_input_is_named_by_number_never_shown() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let before = sandbox.events();
    let bad = "15038510191";
    let run = sandbox
        .stdin(&decide_args("-"), &format!("{bad}\n"))
        .fails("standard input, line 1");
    assert!(!run.stderr.contains(bad), "{}", run.stderr);
    sandbox
        .stdin(&decide_args("-"), "")
        .fails("standard input ended before the id");
    sandbox
        .stdin(&decide_args("-"), "   \n")
        .fails("line 1: empty line");
    let run = sandbox
        .stdin(&decide_args("-"), &format!("{ADULT}\n{bad}\n"))
        .fails("line 2: more lines than ids");
    assert!(!run.stderr.contains(bad), "{}", run.stderr);
    let run = sandbox
        .stdin(&["restrict", "-", "--ground", "A18_1_a"], bad)
        .fails("line 1");
    assert!(!run.stderr.contains(bad), "{}", run.stderr);
    sandbox
        .stdin(
            &["succession", "-", "-", "--reference", "UDI 2026/9"],
            &format!("{DUF}\n"),
        )
        .fails("TO: standard input ended");
    assert_eq!(sandbox.events(), before);
}

#[test]
fn decide_subjects_from_a_file_answers_line_by_line() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let other = person("010190", "12");
    let file = sandbox.write("subjects.txt", &format!("{ADULT}\n{other}\n {ADULT} \n"));
    let mut args = decide_args("x");
    args.drain(1..3);
    args.extend(["--subjects-from", file.to_str().unwrap()]);

    // Text: one line per input line, in order; exit 1 when any is denied.
    let run = sandbox.run(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("line 1\tPERMITTED"), "{}", lines[0]);
    assert!(lines[0].contains("finances=grant:"), "{}", lines[0]);
    assert!(lines[1].starts_with("line 2\tDENIED"), "{}", lines[1]);
    assert!(lines[1].contains("finances=no_basis"), "{}", lines[1]);
    assert!(lines[2].starts_with("line 3\tPERMITTED"), "{}", lines[2]);
    assert!(run.stderr.contains("1 of 3 denied"), "{}", run.stderr);
    for id in [ADULT, other.as_str()] {
        assert!(!run.stdout.contains(id) && !run.stderr.contains(id));
    }

    // --json: one document, whose decisions are the documents `decide --json` prints for
    // each line, with the line.
    let mut json_args = args.clone();
    json_args.push("--json");
    let run = sandbox.run(&json_args);
    assert_eq!(run.code, 1);
    let batch: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(batch["schema"], "consent-cli-decide-batch/1");
    assert_eq!(
        (batch["denied"].as_u64(), batch["permitted"].as_u64()),
        (Some(1), Some(2))
    );
    let decisions: Vec<Value> = batch["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            assert_eq!(d["line"], i + 1);
            let mut d = d.clone();
            d.as_object_mut().unwrap().remove("line");
            d
        })
        .collect();
    let permitted: Vec<bool> = decisions
        .iter()
        .map(|d| d["permitted"].as_bool().unwrap())
        .collect();
    assert_eq!(permitted, [true, false, true]);
    let mut single = decide_args(ADULT);
    single.push("--json");
    let mut single = sandbox.run(&single).json();
    assert_eq!(single["schema"], "consent-cli-decide/1");
    single.as_object_mut().unwrap().remove("schema");
    assert_eq!(single, decisions[0]);

    // From standard input; all permitted is exit 0.
    let mut piped = args.clone();
    let at = piped.len() - 1;
    piped[at] = "-";
    let run = sandbox.stdin(&piped, &format!("{ADULT}\n{ADULT}\n")).ok();
    assert_eq!(run.stdout.lines().count(), 2);
}

#[test]
fn decide_subjects_from_a_bad_file_answers_nothing() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    let bad = "15038510191";
    let mut args = decide_args("x");
    args.drain(1..3);
    for (text, needle) in [
        (format!("{ADULT}\n{ADULT}\n{bad}\n"), "line 3"),
        (format!("{ADULT}\n\n{ADULT}\n"), "line 2: empty line"),
        (String::new(), "holds no national ids"),
    ] {
        let file = sandbox.write("subjects.txt", &text);
        let mut args = args.clone();
        args.extend(["--subjects-from", file.to_str().unwrap()]);
        let run = sandbox.run(&args).fails(needle);
        assert_eq!(run.stdout, "", "no decision before every line is checked");
        assert!(!run.stderr.contains(bad), "{}", run.stderr);
    }
    let mut both = decide_args(ADULT);
    both.extend(["--subjects-from", "subjects.txt"]);
    sandbox.run(&both).fails("cannot be used with");
    sandbox.run(&args).fails("--subject");
}

#[test]
fn a_writer_waiting_for_its_subject_on_standard_input_holds_no_lock() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(&grant_doc(ADULT));
    // A case worker starts `restrict -` and has not typed the id yet.
    let mut waiting = sandbox
        .command()
        .env("CONSENT_ACTOR_ID", "saksbehandler-17")
        .env("CONSENT_ACTOR_ROLE", "case_worker")
        .args(["restrict", "-", "--ground", "A18_1_a"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Give it time to reach its read of standard input (were the ledger opened first, it
    // would hold the writer's lock by now).
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Meanwhile every other writer goes on.
    sandbox.act(&["access-request", ADULT]).ok();
    let mut input = waiting.stdin.take().unwrap();
    input.write_all(ADULT.as_bytes()).unwrap();
    drop(input);
    let run: Run = waiting.wait_with_output().unwrap().into();
    run.ok();
}

// ---- consent doctor -----------------------------------------------------------------------

/// Unix only: file modes, owners and `/proc/locks`.
#[cfg(unix)]
mod doctor {
    use super::*;

    fn key_path(sandbox: &Sandbox) -> PathBuf {
        sandbox.path("ledger.db.key")
    }

    fn set_mode(path: &std::path::Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// The check of that name in `doctor --json`.
    fn check<'a>(doctor: &'a Value, name: &str) -> &'a Value {
        doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap()
    }

    #[test]
    fn doctor_on_a_healthy_ledger_reports_its_format_head_and_disk() {
        let sandbox = Sandbox::ledger();
        sandbox.grant(&grant_doc(ADULT));
        let run = sandbox.run(&["doctor"]).ok();
        for name in ["key_file", "lock", "format", "head", "disk"] {
            assert!(
                run.stdout
                    .lines()
                    .any(|l| l.starts_with("ok") && l.contains(name)),
                "{name}: {}",
                run.stdout
            );
        }
        let doctor = sandbox.run(&["--json", "doctor"]).ok().json();
        assert_eq!(doctor["healthy"], true);
        assert_eq!(doctor["key_mode"], "0600");
        assert_eq!(doctor["lock"]["held"], false);
        assert_eq!(doctor["format"]["storage_schema"], "2");
        assert_eq!(
            doctor["format"]["catalogue_version"],
            sandbox.run(&["--json", "catalogue", "show"]).ok().json()["version"]
        );
        // The head is the chain's: the same hash `verify` reaches, at the last stored event.
        assert_eq!(doctor["head"]["seq"], sandbox.events());
        let verify = sandbox.run(&["--json", "verify"]).ok().json();
        assert_eq!(doctor["head"]["hash"], verify["head_hash"]);
        assert!(doctor["disk"]["free_bytes"].as_u64().unwrap() > 0);
        // The key is never printed, in any encoding.
        let key = std::fs::read(key_path(&sandbox)).unwrap();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        for output in [run.stdout.as_str(), &doctor.to_string()] {
            assert!(!output.contains(&hex));
            assert!(!output.contains(String::from_utf8_lossy(&key).trim()));
        }
    }

    #[test]
    fn doctor_lists_every_problem_with_the_key_file_and_exits_1() {
        let sandbox = Sandbox::ledger();
        let key = key_path(&sandbox);
        set_mode(&key, 0o644);
        let run = sandbox.run(&["doctor"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("problem"), "{}", run.stderr);
        assert!(
            run.stdout.contains("PROBLEM  key_file") && run.stdout.contains("chmod 600"),
            "{}",
            run.stdout
        );
        let doctor = sandbox.run(&["--json", "doctor"]).json();
        assert_eq!(doctor["healthy"], false);
        assert_eq!(check(&doctor, "key_file")["ok"], false);
        // The group may read it only where the ledger is shared with the group.
        set_mode(&key, 0o640);
        let doctor = sandbox.run(&["--json", "doctor"]).json();
        assert_eq!(check(&doctor, "key_file")["ok"], false, "{doctor}");
        set_mode(&sandbox.db(), 0o660);
        let doctor = sandbox.run(&["--json", "doctor"]).ok().json();
        assert_eq!(check(&doctor, "key_file")["ok"], true, "{doctor}");
        set_mode(&sandbox.db(), 0o600);
        set_mode(&key, 0o600);
        sandbox.run(&["doctor"]).ok();

        // A key owned by someone else (only root can arrange that).
        use std::os::unix::fs::MetadataExt;
        if std::fs::metadata(sandbox.db()).unwrap().uid() == 0 {
            std::os::unix::fs::chown(&key, Some(1), None).unwrap();
            let run = sandbox.run(&["doctor"]);
            assert_eq!(run.code, 1);
            assert!(run.stdout.contains("owned by uid 1"), "{}", run.stdout);
            std::os::unix::fs::chown(&key, Some(0), None).unwrap();
        }

        // No key at all: the ledger cannot open either; both are listed.
        std::fs::rename(&key, sandbox.path("elsewhere.key")).unwrap();
        let doctor = sandbox.run(&["--json", "doctor"]).json();
        assert_eq!(check(&doctor, "key_file")["ok"], false);
        assert_eq!(check(&doctor, "open")["ok"], false);
    }

    #[test]
    fn doctor_names_the_process_that_holds_the_writers_lock() {
        let sandbox = Sandbox::ledger();
        // This test process takes the writer's lock, as a running service would.
        let lock = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(sandbox.path("ledger.db.lock"))
            .unwrap();
        lock.try_lock().unwrap();
        let doctor = sandbox.run(&["--json", "doctor"]).ok().json();
        assert_eq!(doctor["lock"]["held"], true, "{doctor}");
        if std::path::Path::new("/proc/locks").exists() {
            assert_eq!(doctor["lock"]["holder_pid"], std::process::id(), "{doctor}");
        }
        // A writer meanwhile waits for the lock (the ledger is shared: the lock is held only
        // for a write), and writes once it is free; doctor says who holds it.
        let mut writer = sandbox
            .command()
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
            .args(["access-request", ADULT])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(
            writer.try_wait().unwrap().is_none(),
            "the writer did not wait for the lock"
        );
        lock.unlock().unwrap();
        let status = writer.wait().unwrap();
        assert!(status.success(), "the writer failed once the lock was free");
        let doctor = sandbox.run(&["--json", "doctor"]).ok().json();
        assert_eq!(doctor["lock"]["held"], false);
    }

    #[test]
    fn doctor_without_a_ledger_is_unhealthy_and_a_bad_flag_is_a_usage_error() {
        let sandbox = Sandbox::new();
        let run = sandbox.run(&["doctor"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.contains("no ledger"), "{}", run.stdout);
        // It creates nothing.
        assert_eq!(std::fs::read_dir(sandbox.dir.path()).unwrap().count(), 0);
        sandbox.run(&["doctor", "--bogus"]).fails("--bogus");
    }
}
