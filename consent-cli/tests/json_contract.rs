//! The `--json` contract (docs/cli-json.md): every command of the table there is run with
//! `--json`, and what it prints is exactly one JSON document that names its `schema` and
//! validates against that schema's shape under docs/schemas/ (JSON Schema, checked by the
//! `jsonschema` crate). Standard error under `--json` holds only documents of the error,
//! warning and finding shapes. Every documented (command, schema) pair must be seen, so a shape
//! nobody exercises fails too; `src/contract.rs` checks the table against clap's definition.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test, naming the command, on output that breaks the contract"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

const ADULT: &str = "15038510190";
/// A fødselsnummer with no records until a succession gives it the DUF number's.
const SUCCESSOR: &str = "01019010046";
/// A DUF number (UDI's case number).
const DUF: &str = "201612345678";

fn person(ddmmyy: &str, individ: &str) -> String {
    (0..10)
        .find_map(|d| consent_core::control_digits(&format!("{ddmmyy}{individ}{d}")))
        .unwrap()
}

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The documented table, the shapes, and what the runs have shown so far.
struct Contract {
    table: BTreeMap<String, Vec<String>>,
    shapes: BTreeMap<String, jsonschema::Validator>,
    seen: BTreeSet<(String, String)>,
}

impl Contract {
    fn load() -> Self {
        let text = std::fs::read_to_string(docs().join("cli-json.md")).unwrap();
        let mut table = BTreeMap::new();
        for line in text.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let schemas = cells[2]
                .split('`')
                .filter(|s| s.starts_with("consent-cli-"))
                .map(str::to_owned)
                .collect();
            table.insert(cells[1].trim_matches('`').to_owned(), schemas);
        }
        let mut shapes = BTreeMap::new();
        for entry in std::fs::read_dir(docs().join("schemas")).unwrap() {
            let path = entry.unwrap().path();
            let shape: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let name = shape["properties"]["schema"]["const"]
                .as_str()
                .unwrap()
                .to_owned();
            // Formats (`date-time`) are checked too, not only noted.
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&shape)
                .unwrap_or_else(|e| panic!("{}: not a JSON Schema: {e}", path.display()));
            shapes.insert(name, validator);
        }
        Contract {
            table,
            shapes,
            seen: BTreeSet::new(),
        }
    }

    #[track_caller]
    fn validate(&self, what: &str, document: &Value) -> String {
        let schema = document["schema"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no `schema` field: {document}"));
        let shape = self
            .shapes
            .get(schema)
            .unwrap_or_else(|| panic!("{what}: `{schema}` has no shape under docs/schemas/"));
        let errors: Vec<String> = shape
            .iter_errors(document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the output does not match docs/schemas for `{schema}`:\n{}\n{document:#}",
            errors.join("\n")
        );
        schema.to_owned()
    }

    /// Checks a run of `command` (its words, as in the table): one document on standard
    /// output of one of the command's schemas, JSON documents only on standard error.
    #[track_caller]
    fn check(&mut self, command: &str, run: &Run) -> Value {
        self.check_stderr(command, run);
        let document: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "`{command}` did not print one JSON document ({e}):\n{}\nstderr: {}",
                run.stdout, run.stderr
            )
        });
        let schema = self.validate(command, &document);
        let documented = self
            .table
            .get(command)
            .unwrap_or_else(|| panic!("`{command}` is not in docs/cli-json.md's table"));
        assert!(
            documented.contains(&schema),
            "`{command}` printed `{schema}`, documented as {documented:?}"
        );
        self.seen.insert((command.to_owned(), schema));
        document
    }

    /// Every line of standard error is an error, warning or finding document.
    #[track_caller]
    fn check_stderr(&mut self, command: &str, run: &Run) -> Vec<Value> {
        let mut documents = Vec::new();
        for line in run.stderr.lines().filter(|l| !l.trim().is_empty()) {
            let document: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("`{command}`: standard error under --json is not JSON ({e}): {line}")
            });
            let schema = self.validate(command, &document);
            assert!(
                [
                    "consent-cli-error/1",
                    "consent-cli-warning/1",
                    "consent-cli-finding/1"
                ]
                .contains(&schema.as_str()),
                "`{command}`: `{schema}` on standard error"
            );
            self.seen.insert(("(standard error)".to_owned(), schema));
            documents.push(document);
        }
        documents
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

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// `consent --json --ledger <dir>/ledger.db ARGS` in test mode, as `role` when given.
    fn run(&self, role: Option<&str>, args: &[&str], stdin: &str) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("CONSENT_")) {
            command.env_remove(var);
        }
        command
            .env("CONSENT_TEST_MODE", "1")
            .env("CONSENT_CLOCK", "2026-01-05T10:00:00Z")
            .current_dir(self.dir.path())
            .arg("--json")
            .arg("--ledger")
            .arg(self.path("ledger.db"));
        if let Some(role) = role {
            command.args(["--actor-id", "saksbehandler-17", "--actor-role", role]);
        }
        let mut child = command
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
}

#[track_caller]
fn code(run: Run, expected: i32) -> Run {
    assert_eq!(
        run.code, expected,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

fn grant_doc(subject: &str) -> String {
    let mut doc = json!({
        "subject": subject, "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances", "family"], "explicit": false,
        "valid_from": "2026-01-05T09:00:00Z", "valid_until": "2026-02-01T09:00:00Z",
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    });
    if subject == DUF {
        doc["subject_birth_date"] = "1990-11-20".into();
    }
    doc.to_string()
}

fn decide_args(subject: &str) -> Vec<&str> {
    vec![
        "decide",
        "--recipient",
        "nav",
        "--purpose",
        "employment_followup",
        "--category",
        "finances",
        "--at",
        "2026-01-10",
        "--subject",
        subject,
    ]
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one ledger's story, every command once, in the order an operator would meet them"
)]
fn every_command_prints_one_document_of_its_documented_shape() {
    let mut contract = Contract::load();
    let s = Sandbox::new();
    let cw = Some("case_worker");
    let leader = Some("unit_leader");
    let dpo = Some("dpo");
    let other = person("010190", "12");
    let third = person("020290", "13");

    contract.check("init", &code(s.run(None, &["init"], ""), 0));
    contract.check(
        "catalogue show",
        &code(s.run(None, &["catalogue", "show"], ""), 0),
    );
    let default = s.write("default.toml", consent_core::Catalogue::embedded_toml());
    contract.check(
        "catalogue check",
        &code(s.run(None, &["catalogue", "check", &default], ""), 0),
    );

    let grant = contract.check(
        "grant",
        &code(s.run(cw, &["grant", "-"], &grant_doc(ADULT)), 0),
    );
    let grant_id = grant["grant_id"].as_str().unwrap().to_owned();
    let second = contract.check(
        "grant",
        &code(s.run(cw, &["grant", "-"], &grant_doc(&other)), 0),
    );
    let second = second["grant_id"].as_str().unwrap().to_owned();
    contract.check(
        "withdraw",
        &code(
            s.run(cw, &["withdraw", &second, "--at", "2026-01-06"], ""),
            0,
        ),
    );
    contract.check(
        "import",
        &code(s.run(cw, &["import", "-"], &grant_doc(&third)), 0),
    );

    let decision = contract.check("decide", &code(s.run(None, &decide_args("-"), ADULT), 0));
    assert_eq!(decision["permitted"], true);
    // A batch with a denial: exit 1, one document, and a finding on standard error.
    let mut batch = decide_args("x");
    batch.truncate(batch.len() - 2);
    batch.extend(["--subjects-from", "-"]);
    let run = code(
        s.run(None, &batch, &format!("{ADULT}\n{other}\n{third}\n")),
        1,
    );
    let batch = contract.check("decide", &run);
    assert_eq!(batch["denied"], 1, "{batch}");
    assert_eq!(batch["decisions"][1]["line"], 2);
    // The batch's decisions are the single command's documents, with their line.
    let mut first = batch["decisions"][0].clone();
    first.as_object_mut().unwrap().remove("line");
    let mut single = decision.clone();
    single.as_object_mut().unwrap().remove("schema");
    assert_eq!(first, single);
    let finding = contract.check_stderr("decide", &run);
    assert_eq!(finding.len(), 1);
    assert_eq!(finding[0]["finding"]["message"], "1 of 3 denied");

    for format in [&[][..], &["--format", "json"][..]] {
        let mut args = vec!["export", "-", "--lookup-purpose", "innsyn 2026/5"];
        args.extend_from_slice(format);
        let export = contract.check("export", &code(s.run(cw, &args, ADULT), 0));
        assert_eq!(export["schema_version"], "consent-export/1");
    }
    let profile = docs().join("examples/profile.json");
    let profile = profile.to_str().unwrap();
    let letter = s.path("letter.html");
    contract.check(
        "report access",
        &code(
            s.run(
                cw,
                &[
                    "report",
                    "access",
                    "--subject",
                    "-",
                    "--lookup-purpose",
                    "innsyn 2026/5",
                    "--profile",
                    profile,
                    "--format",
                    "html",
                    "--out",
                    letter.to_str().unwrap(),
                ],
                ADULT,
            ),
            0,
        ),
    );
    let record = s.path("record.csv");
    contract.check(
        "report processing-record",
        &code(
            s.run(
                None,
                &[
                    "report",
                    "processing-record",
                    "--profile",
                    profile,
                    "--format",
                    "csv",
                    "--out",
                    record.to_str().unwrap(),
                ],
                "",
            ),
            0,
        ),
    );
    let refusal = json!({
        "subject": ADULT, "grantor": {"role": "self"},
        "purposes": ["health_coordination"], "recipients": ["helsetjenesten"],
        "categories": ["health"], "at": "2026-01-05T09:00:00Z",
        "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    });
    contract.check(
        "refuse",
        &code(s.run(cw, &["refuse", "-"], &refusal.to_string()), 0),
    );
    contract.check(
        "rectify",
        &code(
            s.run(
                cw,
                &[
                    "rectify",
                    "-",
                    &grant_id,
                    "--evidence-reference",
                    "2026/1235",
                    "--reason",
                    "typo",
                ],
                ADULT,
            ),
            0,
        ),
    );
    contract.check(
        "access-request",
        &code(s.run(cw, &["access-request", "-"], ADULT), 0),
    );
    contract.check(
        "pseudonym",
        &code(s.run(None, &["pseudonym", "-"], ADULT), 0),
    );
    contract.check(
        "restrict",
        &code(
            s.run(cw, &["restrict", "-", "--ground", "A18_1_a"], ADULT),
            0,
        ),
    );
    contract.check(
        "lift-restriction",
        &code(
            s.run(
                leader,
                &["lift-restriction", "-", "--reason", "accuracy confirmed"],
                ADULT,
            ),
            0,
        ),
    );
    let tasks = contract.check(
        "notifications",
        &code(s.run(None, &["notifications"], ""), 0),
    );
    let task = tasks["items"][0]["event_id"].as_str().unwrap().to_owned();
    contract.check(
        "notified",
        &code(s.run(cw, &["notified", &task, "--at", "now"], ""), 0),
    );
    let objection = contract.check(
        "object",
        &code(
            s.run(
                cw,
                &["object", "-", "--purpose", "employment_followup"],
                ADULT,
            ),
            0,
        ),
    );
    let objection = objection["objection_id"].as_str().unwrap().to_owned();
    contract.check(
        "resolve-objection",
        &code(
            s.run(
                leader,
                &[
                    "resolve-objection",
                    &objection,
                    "--outcome",
                    "rejected",
                    "--reason",
                    "compelling grounds",
                ],
                "",
            ),
            0,
        ),
    );
    contract.check("deviations", &code(s.run(None, &["deviations"], ""), 0));
    contract.check("stats", &code(s.run(leader, &["stats"], ""), 0));
    let due = contract.check(
        "reconsent",
        &code(s.run(None, &["reconsent", "--at", "2026-01-10"], ""), 0),
    );
    assert!(!due["items"].as_array().unwrap().is_empty(), "{due}");
    contract.check(
        "grant",
        &code(s.run(cw, &["grant", "-"], &grant_doc(DUF)), 0),
    );
    contract.check(
        "succession",
        &code(
            s.run(
                cw,
                &["succession", "-", "-", "--reference", "UDI 2026/9"],
                &format!("{DUF}\n{SUCCESSOR}\n"),
            ),
            0,
        ),
    );
    let next = s.write(
        "next.toml",
        &consent_core::Catalogue::embedded_toml().replacen(
            "version = \"2026-12-01\"",
            "version = \"2027-01-01\"",
            1,
        ),
    );
    contract.check(
        "catalogue adopt",
        &code(s.run(dpo, &["catalogue", "adopt", &next], ""), 0),
    );

    let notice = s.path("notice.html");
    contract.check(
        "report notice",
        &code(
            s.run(
                None,
                &[
                    "report",
                    "notice",
                    "--profile",
                    profile,
                    "--format",
                    "html",
                    "--out",
                    notice.to_str().unwrap(),
                ],
                "",
            ),
            0,
        ),
    );
    contract.check("verify", &code(s.run(None, &["verify"], ""), 0));
    contract.check("snapshot", &code(s.run(None, &["snapshot"], ""), 0));
    // A snapshot that is not trusted: a warning document on standard error.
    let snapshot = s.path("ledger.db.snapshot");
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&snapshot, bytes).unwrap();
    let run = code(s.run(None, &decide_args("-"), ADULT), 0);
    let warned = contract.check_stderr("decide", &run);
    assert_eq!(warned[0]["warning"]["code"], "snapshot_ignored");
    // doctor finds the untrusted snapshot a problem: exit 1, a finding beside the document.
    let run = code(s.run(None, &["doctor"], ""), 1);
    let doctor = contract.check("doctor", &run);
    assert_eq!(doctor["healthy"], false);
    contract.check("snapshot", &code(s.run(None, &["snapshot"], ""), 0));
    contract.check("doctor", &code(s.run(None, &["doctor"], ""), 0));

    let backup = s.path("backup");
    let backup = backup.to_str().unwrap();
    contract.check("backup", &code(s.run(None, &["backup", backup], ""), 0));
    let manifest = format!("{backup}/manifest.json");
    contract.check(
        "verify",
        &code(s.run(None, &["verify", "--against", &manifest], ""), 0),
    );
    contract.check(
        "restore",
        &code(
            s.run(dpo, &["restore", backup, "--reason", "a drill"], ""),
            0,
        ),
    );
    // Already this version's format: nothing to do.
    let upgrade = contract.check("upgrade", &code(s.run(dpo, &["upgrade"], ""), 0));
    assert_eq!(upgrade["upgraded"], false);

    // Errors: a usage error and an error of the command itself, each one error document.
    for (args, code_) in [
        (&["decide", "--purpose", "x"][..], "usage"),
        (&["grant", "missing.json"][..], "storage"),
    ] {
        let run = code(s.run(cw, args, ""), 2);
        assert_eq!(run.stdout, "");
        let errors = contract.check_stderr(args[0], &run);
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert_eq!(errors[0]["error"]["code"], code_, "{}", run.stderr);
    }

    // Erasure and kassasjon, under a catalogue whose retention ends.
    let k = Sandbox::new();
    let finite = k.write(
        "finite.toml",
        &consent_core::Catalogue::embedded_toml()
            .replace("retention_years = \"permanent\"", "retention_years = 1"),
    );
    code(k.run(None, &["--catalogue", &finite, "init"], ""), 0);
    code(
        k.run(
            cw,
            &["--catalogue", &finite, "grant", "-"],
            &grant_doc(ADULT),
        ),
        0,
    );
    let erased = contract.check(
        "erase",
        &code(
            k.run(
                dpo,
                &[
                    "--catalogue",
                    &finite,
                    "--clock",
                    "2026-03-01",
                    "erase",
                    "-",
                ],
                ADULT,
            ),
            0,
        ),
    );
    assert_eq!(erased["outcome"], "restricted");
    let due = contract.check(
        "erasure-due",
        &code(
            k.run(
                None,
                &[
                    "--catalogue",
                    &finite,
                    "--clock",
                    "2027-03-02",
                    "erasure-due",
                ],
                "",
            ),
            0,
        ),
    );
    assert_eq!(due["items"].as_array().unwrap().len(), 1);
    contract.check(
        "kassasjon",
        &code(
            k.run(
                Some("archivist"),
                &[
                    "--catalogue",
                    &finite,
                    "--clock",
                    "2027-03-02",
                    "kassasjon",
                    "-",
                ],
                ADULT,
            ),
            0,
        ),
    );

    // A consent 0.1 ledger upgraded (consent-core's fixture).
    let u = Sandbox::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consent-core/tests/fixtures/v0_1");
    std::fs::copy(fixture.join("ledger.sqlite"), u.path("ledger.db")).unwrap();
    write_key(&u.path("ledger.db.key"), &fixture.join("ledger-key.hex"));
    let upgrade = contract.check(
        "upgrade",
        &code(u.run(dpo, &["upgrade", "--backup-to", "before"], ""), 0),
    );
    assert_eq!(upgrade["upgraded"], true);

    // Every documented (command, schema) was printed by a run above.
    let mut missing = Vec::new();
    for (command, schemas) in &contract.table {
        for schema in schemas {
            if !contract.seen.contains(&(command.clone(), schema.clone())) {
                missing.push(format!("{command}: {schema}"));
            }
        }
    }
    for schema in [
        "consent-cli-error/1",
        "consent-cli-warning/1",
        "consent-cli-finding/1",
    ] {
        if !contract
            .seen
            .contains(&("(standard error)".to_owned(), schema.to_owned()))
        {
            missing.push(format!("standard error: {schema}"));
        }
    }
    assert!(
        missing.is_empty(),
        "documented but never printed by this test (add a run): {missing:?}"
    );
}

/// Writes the fixture's key (kept as hex in git, which does not keep a file's mode) as a
/// private key file.
fn write_key(path: &Path, hex: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    let text = std::fs::read_to_string(hex).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.trim().as_bytes()).unwrap();
    file.write_all(b"\n").unwrap();
}
