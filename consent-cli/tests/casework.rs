//! `consent succession`, `consent notifications` and `consent notified` against ledgers in
//! temporary directories: an identity succession carries a DUF number's grant to the
//! fødselsnummer, the notification worklist lists and clears its tasks, and bad input exits 2
//! with nothing recorded.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture or a failed spawn"
)]

use std::path::PathBuf;
use std::process::Command;

use consent_core::{Actor, Correction, DisclosureRequest, Ledger, LedgerOptions};
use serde_json::{Value, json};
use tempfile::TempDir;

const ADULT: &str = "15038510190";
/// Another valid fødselsnummer (born 1990-01-01).
const OTHER_ADULT: &str = "01019010046";
/// A DUF number (UDI's case number: the year of registration, then eight digits).
const DUF: &str = "201612345678";

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

    /// Exit code 2, a message holding `needle`, and no national id or DUF number in it.
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
        for id in [ADULT, DUF] {
            assert!(!self.stderr.contains(id), "{}", self.stderr);
        }
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap()
    }
}

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn ledger() -> Self {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        sandbox.run(&["init"]).ok();
        sandbox
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    fn command(&self, clock: &str) -> Command {
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
            .env("CONSENT_CLOCK", clock)
            .current_dir(self.dir.path())
            .arg("--ledger")
            .arg(self.db());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_at("2026-01-05T10:00:00Z", args)
    }

    fn run_at(&self, clock: &str, args: &[&str]) -> Run {
        let output = self.command(clock).args(args).output().unwrap();
        Run {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// The export of `id` as JSON, read by a case worker (an export records who read it).
    fn export(&self, id: &str) -> Run {
        self.run(&[
            "--json",
            "export",
            "--lookup-purpose",
            "test",
            "--actor-id",
            "saksbehandler-17",
            "--actor-role",
            "case_worker",
            id,
        ])
    }

    /// Runs a command as a case worker (or the given role) at the ledger clock `clock`.
    fn act_as(&self, role: &str, clock: &str, args: &[&str]) -> Run {
        let output = self
            .command(clock)
            .env("CONSENT_ACTOR_ID", "saksbehandler-17")
            .env("CONSENT_ACTOR_ROLE", role)
            .args(args)
            .output()
            .unwrap();
        Run {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    fn act(&self, args: &[&str]) -> Run {
        self.act_as("case_worker", "2026-01-05T10:00:00Z", args)
    }

    /// Every stored event.
    fn events(&self) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
            .unwrap()
    }

    fn grant(&self, subject: &str) -> String {
        let mut doc = json!({
            "subject": subject, "grantor": {"role": "self"},
            "purposes": ["employment_followup"], "recipients": ["nav"],
            "categories": ["finances"], "explicit": false,
            "valid_from": "2026-01-05T09:00:00Z", "valid_until": null,
            "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                         "interpreter": true},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
        });
        if subject == DUF {
            // A DUF number encodes no birth date: Folkeregisteret's (or UDI's) is given.
            doc.as_object_mut()
                .unwrap()
                .insert("subject_birth_date".to_owned(), "1990-11-20".into());
        }
        let file = self.dir.path().join("grant.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        self.act(&["grant", file.to_str().unwrap()])
            .ok()
            .stdout
            .trim()
            .to_owned()
    }

    fn permits(&self, subject: &str) -> bool {
        let run = self.run(&[
            "decide",
            "--subject",
            subject,
            "--recipient",
            "nav",
            "--purpose",
            "employment_followup",
            "--at",
            "2026-03-01T10:00:00Z",
            "--category",
            "finances",
        ]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        run.code == 0
    }
}

#[test]
fn a_succession_carries_a_duf_numbers_grant_to_the_fodselsnummer() {
    let sandbox = Sandbox::ledger();
    let grant = sandbox.grant(DUF);
    assert!(sandbox.permits(DUF));
    assert!(!sandbox.permits(ADULT));
    let before = sandbox.events();

    // Bad input: exit 2, a specific message, nothing recorded.
    sandbox
        .act(&["succession", DUF, ADULT])
        .fails("--reference");
    sandbox
        .act(&[
            "succession",
            "301612345678",
            ADULT,
            "--reference",
            "UDI 2026/9",
        ])
        .fails("FROM");
    sandbox
        .act(&[
            "succession",
            DUF,
            "15038510191",
            "--reference",
            "UDI 2026/9",
        ])
        .fails("TO");
    sandbox
        .act(&["succession", DUF, DUF, "--reference", "UDI 2026/9"])
        .fails("same");
    sandbox
        .act(&[
            "succession",
            DUF,
            ADULT,
            "--reference",
            &format!("case {ADULT}"),
        ])
        .fails("reference");
    sandbox
        .act(&[
            "succession",
            OTHER_ADULT,
            ADULT,
            "--reference",
            "UDI 2026/9",
        ])
        .fails("holds nothing");
    // A role the catalogue has without the permission, and a role it does not have.
    sandbox
        .act_as(
            "auditor",
            "2026-01-05T10:00:00Z",
            &["succession", DUF, ADULT, "--reference", "UDI 2026/9"],
        )
        .fails("succession");
    let unknown = sandbox.act_as(
        "teacher",
        "2026-01-05T10:00:00Z",
        &["succession", DUF, ADULT, "--reference", "UDI 2026/9"],
    );
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown role `teacher`"),
        "{}",
        unknown.stderr
    );
    sandbox
        .run(&["succession", DUF, ADULT, "--reference", "UDI 2026/9"])
        .fails("actor");
    assert_eq!(sandbox.events(), before);

    let run = sandbox
        .act(&[
            "--json",
            "succession",
            DUF,
            ADULT,
            "--reference",
            "Folkeregisteret 2026/77",
        ])
        .ok();
    let out = run.json();
    assert_eq!(out["event_id"].as_str().unwrap().len(), 36);
    assert_eq!(out["to"].as_str().unwrap().len(), 32);
    assert!(!run.stdout.contains(DUF) && !run.stdout.contains(ADULT));
    assert_eq!(sandbox.events(), before + 1);
    assert!(sandbox.permits(ADULT));
    // The export under either id shows the one history.
    for id in [DUF, ADULT] {
        let export = sandbox.export(id).ok();
        assert!(export.stdout.contains(&grant), "{}", export.stdout);
        assert!(!export.stdout.contains(DUF) && !export.stdout.contains(ADULT));
    }
    // Succeeding the DUF number again conflicts.
    sandbox
        .act(&["succession", DUF, ADULT, "--reference", "UDI 2026/10"])
        .fails("succeeded");
    // The succession, then the two exports' records of who looked.
    assert_eq!(sandbox.events(), before + 3);
}

/// Review findings: a succession could go backwards, and a DUF number passed in its reference.
#[test]
fn a_succession_goes_forward_only_and_its_reference_holds_no_duf_number() {
    let sandbox = Sandbox::ledger();
    sandbox.grant(DUF);
    sandbox.grant(ADULT);
    let before = sandbox.events();
    // A step backwards is bad input, --merge or not.
    sandbox
        .act(&[
            "succession",
            ADULT,
            DUF,
            "--reference",
            "UDI 2026/9",
            "--merge",
        ])
        .fails("forward only");
    // A DUF number in the reference, as UDI writes it, is refused like a national id.
    sandbox
        .act(&[
            "succession",
            DUF,
            ADULT,
            "--reference",
            "UDI 2017 1234 5678",
        ])
        .fails("reference");
    assert_eq!(sandbox.events(), before);
}

/// Review finding: a succession to an id that already held records merged two histories
/// silently. Without `--merge` it exits 2 and records nothing; with it, the export says so.
#[test]
fn a_succession_to_an_id_with_records_needs_merge() {
    let sandbox = Sandbox::ledger();
    let first = sandbox.grant(OTHER_ADULT);
    let second = sandbox.grant(ADULT);
    let before = sandbox.events();
    sandbox
        .act(&[
            "succession",
            OTHER_ADULT,
            ADULT,
            "--reference",
            "Folkeregisteret 2026/80",
        ])
        .fails("already holds records");
    assert_eq!(sandbox.events(), before);
    let run = sandbox
        .act(&[
            "--json",
            "succession",
            OTHER_ADULT,
            ADULT,
            "--reference",
            "Folkeregisteret 2026/80",
            "--merge",
        ])
        .ok();
    assert_eq!(run.json()["merge"], true);
    assert_eq!(sandbox.events(), before + 1);
    let export = sandbox.export(OTHER_ADULT).ok();
    assert!(export.stdout.contains(&first) && export.stdout.contains(&second));
    let value: Value = serde_json::from_str(&export.stdout).unwrap();
    assert_eq!(value["earlier_ids"][0]["merge"], true, "{}", export.stdout);
}

/// A disclosure to NAV, then a rectification of the grant: NAV must be told (Art. 19). (The
/// command line records neither, so the core writes them into the same file.)
fn disclose_and_rectify(sandbox: &Sandbox, grant: &str) {
    {
        let ledger = Ledger::open(
            sandbox.db(),
            LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let actor = Actor::new("saksbehandler-17", "case_worker").unwrap();
        let subject = ledger.parse_national_id(ADULT).unwrap();
        let at = "2026-03-01T10:00:00Z".parse().unwrap();
        let request = DisclosureRequest::new(
            subject.clone(),
            "nav",
            "employment_followup",
            &["finances"],
            at,
        )
        .unwrap();
        ledger.record_disclosure(&request, &actor).unwrap();
        ledger
            .rectify(
                &subject,
                grant.parse().unwrap(),
                Correction::EvidenceReference("2026/1235".to_owned()),
                "typing error in the case number",
                &actor,
            )
            .unwrap();
    }
}

#[test]
fn the_notification_worklist_lists_a_task_until_it_is_marked_done() {
    let sandbox = Sandbox::ledger();
    let grant = sandbox.grant(ADULT);
    disclose_and_rectify(&sandbox, &grant);
    let later = "2026-03-03T00:00:00Z";
    let list = sandbox
        .run_at(later, &["--json", "notifications"])
        .ok()
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["reason"], "rectification");
    assert_eq!(items[0]["recipient"], "nav");
    let event = items[0]["event_id"].as_str().unwrap().to_owned();
    // Before the rectification nothing was due; the table names the recipient.
    let earlier = sandbox
        .run_at(
            later,
            &["--json", "notifications", "--at", "2026-03-01T09:00:00Z"],
        )
        .ok()
        .json();
    assert_eq!(earlier["items"], json!([]));
    let table = sandbox.run_at(later, &["notifications"]).ok();
    assert!(
        table.stdout.starts_with("1 notifications due"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("rectification") && table.stdout.contains(&event));

    // Bad input: exit 2, nothing recorded.
    let before = sandbox.events();
    let at = ["--at", "2026-03-02T10:00:00Z"];
    fn notified<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["notified"];
        args.extend_from_slice(extra);
        args
    }
    sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&["not-a-uuid", "--recipient", "nav", at[0], at[1]]),
        )
        .fails("UUID");
    sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&[&event, "--recipient", "nav"]),
        )
        .fails("--at");
    sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&[&event, "--recipient", "no_such_recipient", at[0], at[1]]),
        )
        .fails("no_such_recipient");
    sandbox
        .act_as("case_worker", later, &notified(&[&event, at[0], at[1]]))
        .fails("worklist");
    sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&[&event, "--recipient", "imdi", at[0], at[1]]),
        )
        .fails("worklist");
    sandbox
        .run_at(
            later,
            &notified(&[&event, "--recipient", "nav", at[0], at[1]]),
        )
        .fails("actor");
    sandbox
        .run_at(later, &["notifications", "--at", "yesterday"])
        .fails("RFC 3339");
    assert_eq!(sandbox.events(), before);

    let done = sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&["--json", &event, "--recipient", "nav", at[0], at[1]]),
        )
        .ok()
        .json();
    assert_eq!(done["event_id"], event.as_str());
    assert_eq!(done["recipient"], "nav");
    assert_eq!(sandbox.events(), before + 1);
    let list = sandbox
        .run_at(later, &["--json", "notifications"])
        .ok()
        .json();
    assert_eq!(list["items"], json!([]));
    sandbox
        .act_as(
            "case_worker",
            later,
            &notified(&[&event, "--recipient", "nav", at[0], at[1]]),
        )
        .fails("worklist");
    assert_eq!(sandbox.events(), before + 1);
}

#[test]
fn deviations_list_a_disclosure_a_backdated_withdrawal_made_unlawful() {
    let sandbox = Sandbox::ledger();
    let grant = sandbox.grant(ADULT);
    // A disclosure on 1 March (recorded by the core into the same file), then the withdrawal
    // letter dated 28 February, registered on 3 March.
    {
        let ledger = Ledger::open(
            sandbox.db(),
            LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let actor = Actor::new("saksbehandler-17", "case_worker").unwrap();
        let subject = ledger.parse_national_id(ADULT).unwrap();
        let at = "2026-03-01T10:00:00Z".parse().unwrap();
        let request =
            DisclosureRequest::new(subject, "nav", "employment_followup", &["finances"], at)
                .unwrap();
        ledger.record_disclosure(&request, &actor).unwrap();
    }
    let later = "2026-03-03T10:00:00Z";
    let none = sandbox.run_at(later, &["deviations"]).ok();
    assert!(none.stdout.starts_with("0 deviations"), "{}", none.stdout);
    sandbox
        .act_as(
            "case_worker",
            later,
            &["withdraw", &grant, "--at", "2026-02-28T10:00:00Z"],
        )
        .ok();
    let list = sandbox
        .run_at(later, &["--json", "deviations", "--since", "2026-02-01"])
        .ok()
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["at"], "2026-03-01T10:00:00Z");
    assert_eq!(
        items[0]["categories"],
        json!([{"category": "finances", "reason": "withdrawn"}])
    );
    assert!(!list.to_string().contains(ADULT));
    let table = sandbox.run_at(later, &["deviations"]).ok();
    assert!(
        table.stdout.starts_with("1 deviations") && table.stdout.contains("finances: withdrawn"),
        "{}",
        table.stdout
    );
    // Recorded before --since: not listed. A bad instant: exit 2.
    let since = sandbox
        .run_at(later, &["--json", "deviations", "--since", "2026-03-02"])
        .ok()
        .json();
    assert_eq!(since["items"], json!([]));
    sandbox
        .run_at(later, &["deviations", "--since", "yesterday"])
        .fails("since");
}
