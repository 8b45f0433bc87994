//! `consent report access|notice|processing-record`: the documents come back in the format
//! and language asked, the letter is a recorded read like `export`, and no national id or
//! pseudonym reaches a letter unless the host asks for the id in its header.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn; a missing JSON field fails the test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use consent_core::{Actor, DisclosureRequest, Ledger, LedgerOptions};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The project's public example number.
const ADULT: &str = "15038510190";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn profile() -> PathBuf {
    root().join("docs/examples/profile.json")
}

/// A heading of a shipped translation file: what the document must show in that language.
fn heading(lang: &str, section: &str, key: &str) -> String {
    let path = root().join(format!("consent-documents/i18n/{lang}.toml"));
    let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    table[section][key].as_str().unwrap().to_owned()
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self
    }

    #[track_caller]
    fn fails(self, needle: &str) -> Self {
        assert_eq!(self.code, 2, "stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "stderr lacks `{needle}`: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).unwrap()
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap(),
            stdout: output.stdout,
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// A ledger with the adult's explicit health consent and one disclosure under it.
    fn with_a_case() -> Self {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        let ledger = Ledger::open(
            sandbox.db(),
            LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let actor = Actor::new("saksbehandler-17", "case_worker").unwrap();
        let grant = json!({
            "subject": ADULT, "grantor": {"role": "self"},
            "purposes": ["health_coordination"], "recipients": ["laeringssenteret"],
            "categories": ["health"], "explicit": true,
            "valid_from": "2026-01-05T09:00:00Z", "valid_until": null,
            "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
        });
        ledger
            .grant(&ledger.parse_grant(&grant.to_string()).unwrap(), &actor)
            .unwrap();
        let at = "2026-02-01T09:00:00Z".parse().unwrap();
        ledger.set_clock(at).unwrap();
        let subject = ledger.parse_national_id(ADULT).unwrap();
        let request = DisclosureRequest::new(
            subject,
            "laeringssenteret",
            "health_coordination",
            &["health"],
            at,
        )
        .unwrap();
        ledger.record_disclosure(&request, &actor).unwrap();
        sandbox
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("ledger.db")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent"));
        for var in [
            "CONSENT_LEDGER",
            "CONSENT_KEY_FILE",
            "CONSENT_CATALOGUE",
            "CONSENT_DOCUMENTS_PROFILE",
            "CONSENT_GROUP_ACCESS",
        ] {
            command.env_remove(var);
        }
        command
            .env("CONSENT_TEST_MODE", "1")
            .env("CONSENT_CLOCK", "2026-03-01T10:00:00Z")
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", "case_worker")
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.db());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_stdin(args, "")
    }

    fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command()
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

    /// The letter in `lang` and `format`, for the adult given on standard input.
    fn letter(&self, lang: &str, format: &str, extra: &[&str]) -> Run {
        let profile = profile();
        let mut args = vec![
            "report",
            "access",
            "--subject",
            "-",
            "--lookup-purpose",
            "innsynskrav 2026/4711",
            "--profile",
            profile.to_str().unwrap(),
            "--lang",
            lang,
            "--format",
            format,
        ];
        args.extend_from_slice(extra);
        self.run_stdin(&args, &format!("{ADULT}\n"))
    }

    /// The purposes of lookup the person's export lists, ending with its own (`kontroll`).
    fn accesses(&self) -> Vec<String> {
        let run = self
            .run(&["--json", "export", "--lookup-purpose", "kontroll", ADULT])
            .ok();
        let export: Value = serde_json::from_slice(&run.stdout).unwrap();
        export["accesses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["purpose"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[test]
fn the_access_letter_comes_back_as_html_or_pdf_in_the_language_asked() {
    let sandbox = Sandbox::with_a_case();
    let html = sandbox.letter("nn", "html", &[]).ok().text();
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"nn\" dir=\"ltr\">"),
        "{}",
        html.chars().take(80).collect::<String>()
    );
    for key in ["title", "disclosures_heading"] {
        assert!(html.contains(&heading("nn", "access", key)), "nn {key}");
    }
    assert!(html.contains("Læringssenteret") && html.contains("Koordinering med helsetjenesten"));
    let arabic = sandbox.letter("ar", "html", &[]).ok().text();
    assert!(arabic.contains("dir=\"rtl\"") && arabic.contains(&heading("ar", "access", "title")));

    let out = sandbox.path("innsyn.pdf");
    let run = sandbox
        .letter("ar", "pdf", &["--out", out.to_str().unwrap()])
        .ok();
    assert!(run.text().starts_with("wrote "), "{}", run.text());
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 10_000);
    // Standard output that is not a terminal takes the PDF itself.
    let piped = sandbox.letter("nb", "pdf", &[]).ok();
    assert!(piped.stdout.starts_with(b"%PDF-"));
    let json = sandbox
        .letter("en", "pdf", &["--json", "--out", out.to_str().unwrap()])
        .ok();
    let said: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(said["format"], "pdf");
    assert_eq!(said["lang"], "en");
    assert_eq!(said["bytes"], std::fs::metadata(&out).unwrap().len());
}

#[test]
fn the_letter_shows_no_pseudonym_and_the_national_id_only_when_asked() {
    let sandbox = Sandbox::with_a_case();
    let pseudonym = sandbox
        .run_stdin(&["pseudonym", "-"], &format!("{ADULT}\n"))
        .ok()
        .text()
        .trim()
        .to_owned();
    assert_eq!(pseudonym.len(), 32, "{pseudonym}");
    let plain = sandbox
        .letter("nb", "html", &["--recipient-name", "Amina Hassan"])
        .ok()
        .text();
    assert!(plain.contains("Amina Hassan"));
    assert!(!plain.contains(ADULT) && !plain.contains(&pseudonym));
    let asked = sandbox
        .letter(
            "nb",
            "html",
            &[
                "--recipient-name",
                "Amina Hassan",
                "--national-id-in-header",
            ],
        )
        .ok()
        .text();
    assert!(asked.contains(ADULT) && !asked.contains(&pseudonym));
    // The id in the header needs a name to stand beside.
    sandbox
        .letter("nb", "html", &["--national-id-in-header"])
        .fails("--recipient-name");
}

#[test]
fn the_letter_is_a_recorded_read_under_the_export_permission() {
    let sandbox = Sandbox::with_a_case();
    sandbox.letter("nb", "html", &[]).ok();
    assert_eq!(sandbox.accesses(), ["innsynskrav 2026/4711", "kontroll"]);
    // An auditor may not read a person's data: not by export, not by letter.
    let run = sandbox.letter("nb", "html", &["--actor-role", "auditor"]);
    let run = run.fails("`export`");
    assert!(run.stdout.is_empty());
    sandbox
        .run_stdin(
            &["report", "access", "--subject", "-", "--format", "html"],
            &format!("{ADULT}\n"),
        )
        .fails("--lookup-purpose");
    assert_eq!(
        sandbox.accesses(),
        ["innsynskrav 2026/4711", "kontroll", "kontroll"],
        "the refused letters recorded nothing"
    );
}

#[test]
fn a_bad_language_format_or_profile_is_a_usage_error_and_records_nothing() {
    let sandbox = Sandbox::with_a_case();
    let run = sandbox
        .letter("xx", "html", &[])
        .fails("no translation for language `xx` (available: ");
    assert!(run.stderr.contains("nb") && run.stderr.contains("ar"));
    let json = sandbox.letter("xx", "pdf", &["--json"]).fails("\"code\"");
    let error: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "invalid_input");
    sandbox.letter("nb", "docx", &[]).fails("docx");
    sandbox.letter("nb", "csv", &[]).fails("not csv");
    let bad = sandbox.path("bad-profile.json");
    std::fs::write(&bad, r#"{"controller": {}}"#).unwrap();
    sandbox
        .run(&[
            "report",
            "notice",
            "--profile",
            bad.to_str().unwrap(),
            "--format",
            "html",
        ])
        .fails("bad-profile.json");
    assert_eq!(sandbox.accesses(), ["kontroll"]);
    assert!(!run.stderr.contains(ADULT));
}

#[test]
fn the_notice_and_the_record_come_from_the_ledgers_catalogue() {
    let sandbox = Sandbox::with_a_case();
    let profile = profile();
    let profile = profile.to_str().unwrap();
    let notice = sandbox
        .run(&[
            "report",
            "notice",
            "--profile",
            profile,
            "--lang",
            "nn",
            "--format",
            "html",
        ])
        .ok()
        .text();
    assert!(notice.starts_with("<!DOCTYPE html>\n<html lang=\"nn\""));
    assert!(notice.contains(&heading("nn", "notice", "title")));
    assert!(notice.contains("integreringsloven § 43"));
    assert!(notice.contains("Nasjonalt introduksjonsregister (NIR)"));
    let pdf = sandbox
        .run(&["report", "notice", "--profile", profile, "--format", "pdf"])
        .ok();
    assert!(pdf.stdout.starts_with(b"%PDF-"));
    let record = sandbox
        .run(&[
            "report",
            "processing-record",
            "--profile",
            profile,
            "--format",
            "html",
        ])
        .ok()
        .text();
    assert!(record.contains(&heading("nb", "record", "title")));
    let csv = sandbox
        .run(&[
            "report",
            "processing-record",
            "--profile",
            profile,
            "--format",
            "csv",
        ])
        .ok()
        .text();
    let purposes = serde_json::from_str::<Value>(&std::fs::read_to_string(profile).unwrap())
        .unwrap()["purposes"]
        .as_array()
        .unwrap()
        .len();
    // One row per purpose; a field holds line breaks, so count the rows by their first field.
    assert!(csv.starts_with("\"(a) "), "{csv}");
    assert_eq!(
        csv.matches("\n\"Behandlingsansvarlig: ").count(),
        purposes,
        "{csv}"
    );
    // Neither is a read of a person's data.
    assert_eq!(sandbox.accesses(), ["kontroll"]);
}
