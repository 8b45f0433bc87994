//! Accountability (issue 17): roles and permissions as catalogue data, reads of one person's
//! data recorded as access events, and the person's export listing who looked.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::collections::HashSet;

use crate::common::*;
use consent_core::{
    Actor, Catalogue, DisclosureRequest, ErrorCode, EventPayload, Ledger, LedgerOptions,
    MEMORY_PATH, Operation,
};

fn catalogue_with(settings: &str) -> Catalogue {
    let text = Catalogue::embedded_toml().replace(
        "log_all_decisions = false\ndisclose_staff_ids = false\n",
        settings,
    );
    assert_ne!(
        text,
        Catalogue::embedded_toml(),
        "the settings were replaced"
    );
    Catalogue::from_toml(&text).unwrap()
}

fn ledger_under(catalogue: Catalogue) -> Ledger {
    Ledger::open(
        MEMORY_PATH,
        LedgerOptions::default()
            .with_catalogue(catalogue)
            .with_test_clock(recorded_at()),
    )
    .unwrap()
}

fn granted(ledger: &Ledger) {
    ledger
        .grant(
            &parse(
                ledger,
                &grant_json(
                    ADULT,
                    &["nav"],
                    &["employment_followup"],
                    &["finances"],
                    false,
                ),
            ),
            &actor(),
        )
        .unwrap();
}

fn auditor() -> Actor {
    Actor::new("revisor-1", "auditor").unwrap()
}

#[test]
fn a_case_workers_erasure_request_is_not_permitted_and_a_dpos_is_accepted() {
    let ledger = ledger();
    granted(&ledger);
    let person = subject(&ledger, ADULT);
    let count = ledger.event_count();
    let refused = ledger.request_erasure(&person, &actor()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotPermitted);
    assert!(refused.message().contains("`case_worker`"), "{refused}");
    assert!(refused.message().contains("`request_erasure`"), "{refused}");
    assert_eq!(ledger.event_count(), count, "nothing is recorded");
    assert!(
        ledger
            .decide_with(
                &person,
                "nav",
                "employment_followup",
                &["finances"],
                at(2026, 3, 1)
            )
            .unwrap()
            .permitted(),
        "the grant still stands"
    );
    ledger.request_erasure(&person, &dpo()).unwrap();
    assert!(ledger.event_count() > count);
    let erasure = crate::common::recorded_events(&ledger)
        .into_iter()
        .find(|e| matches!(e.payload, EventPayload::SubjectRestricted(_)))
        .unwrap();
    assert_eq!(erasure.actor.role().as_str(), "dpo");
}

#[test]
fn the_permission_is_checked_before_the_input_so_a_refusal_tells_nothing() {
    let ledger = ledger();
    // Nobody the ledger knows, and a grant that does not exist: a case worker learns neither.
    let stranger = subject(&ledger, &national_id("010280", "12"));
    let refused = ledger.request_erasure(&stranger, &actor()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotPermitted);
    assert_eq!(
        ledger
            .request_erasure(&stranger, &dpo())
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    let bad_purpose = ledger
        .subject_export(&stranger, &auditor(), "")
        .unwrap_err();
    assert_eq!(bad_purpose.code(), ErrorCode::NotPermitted);
    assert_eq!(recorded(&ledger), 0);
}

#[test]
fn an_auditor_verifies_but_does_not_export() {
    let ledger = ledger();
    granted(&ledger);
    let person = subject(&ledger, ADULT);
    let count = ledger.event_count();
    assert!(ledger.verify_as(&auditor()).unwrap().ok);
    let refused = ledger
        .subject_export(&person, &auditor(), LOOKUP)
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotPermitted);
    assert!(refused.message().contains("`auditor`") && refused.message().contains("`export`"));
    assert_eq!(
        ledger
            .subject_events(&person, &auditor(), LOOKUP)
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    let request = DisclosureRequest::new(
        person,
        "nav",
        "employment_followup",
        &["finances"],
        at(2026, 3, 1),
    )
    .unwrap();
    assert_eq!(
        ledger
            .decide_logged(&request, &auditor(), LOOKUP)
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    assert_eq!(ledger.event_count(), count, "no refused read is recorded");
    // A case worker may not verify.
    assert_eq!(
        ledger.verify_as(&actor()).unwrap_err().code(),
        ErrorCode::NotPermitted
    );
}

#[test]
fn unknown_roles_are_unknown_codes_on_every_call_and_change_nothing() {
    let ledger = ledger();
    granted(&ledger);
    let person = subject(&ledger, ADULT);
    let janitor = Actor::new("vaktmester", "janitor").unwrap();
    let count = ledger.event_count();
    let grant = parse(
        &ledger,
        &grant_json(
            ADULT,
            &["nav"],
            &["employment_followup"],
            &["finances"],
            false,
        ),
    );
    let request = DisclosureRequest::new(
        person.clone(),
        "nir",
        "nir_registration",
        &["name"],
        at(2026, 3, 1),
    )
    .unwrap();
    let errors = [
        ledger.grant(&grant, &janitor).map(|_| ()),
        ledger.request_erasure(&person, &janitor).map(|_| ()),
        ledger.record_disclosure(&request, &janitor).map(|_| ()),
        ledger.subject_export(&person, &janitor, LOOKUP).map(|_| ()),
        ledger.subject_events(&person, &janitor, LOOKUP).map(|_| ()),
        ledger.decide_logged(&request, &janitor, LOOKUP).map(|_| ()),
        ledger.verify_as(&janitor).map(|_| ()),
        ledger
            .register_access_request(&person, at(2026, 3, 1), &janitor)
            .map(|_| ()),
    ];
    for error in errors {
        let error = error.unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownCode, "{error}");
        assert!(error.message().contains("`janitor`"), "{error}");
    }
    assert_eq!(ledger.event_count(), count);
}

#[test]
fn an_export_by_a_case_worker_is_listed_in_the_next_export() {
    let ledger = ledger();
    granted(&ledger);
    let person = subject(&ledger, ADULT);
    ledger
        .subject_export(&person, &actor(), "sak 2026/55: bosetting")
        .unwrap();
    ledger.set_clock(at(2026, 2, 1)).unwrap();
    let export = ledger
        .subject_export(&person, &dpo(), "innsynskrav 2026/70")
        .unwrap();
    assert_eq!(export.accesses.len(), 2);
    let first = &export.accesses[0];
    assert_eq!(first.accessed_at, recorded_at());
    assert_eq!(first.role.as_str(), "case_worker");
    assert_eq!(first.operation, Operation::Export);
    assert_eq!(first.purpose, "sak 2026/55: bosetting");
    assert_eq!(
        first.entity_id, None,
        "staff ids are not disclosed by default"
    );
    let second = &export.accesses[1];
    assert_eq!(second.accessed_at, at(2026, 2, 1));
    assert_eq!(second.role.as_str(), "dpo");
    let accesses = export.to_value().unwrap()["accesses"].to_string();
    assert!(!accesses.contains("saksbehandler-17"), "{accesses}");
    assert!(!export.to_json().unwrap().contains(ADULT));
    // A logged decision and a read of the events are listed too.
    let request = DisclosureRequest::new(
        person.clone(),
        "nav",
        "employment_followup",
        &["finances"],
        at(2026, 3, 1),
    )
    .unwrap();
    assert!(
        ledger
            .decide_logged(&request, &actor(), "vedtak 2026/71")
            .unwrap()
            .permitted()
    );
    let events = ledger
        .subject_events(&person, &actor(), "journal 2026/72")
        .unwrap();
    assert!(matches!(
        &events.last().unwrap().payload,
        EventPayload::SubjectAccessed(a) if a.operation == Operation::SubjectEvents
    ));
    let export = ledger.subject_export(&person, &actor(), LOOKUP).unwrap();
    let operations: Vec<_> = export.accesses.iter().map(|a| a.operation).collect();
    assert_eq!(
        operations,
        [
            Operation::Export,
            Operation::Export,
            Operation::DecideLogged,
            Operation::SubjectEvents,
            Operation::Export
        ]
    );
    assert!(ledger.verify().unwrap().ok);
}

#[test]
fn staff_ids_are_disclosed_only_when_the_catalogue_says_so() {
    let ledger = ledger_under(catalogue_with(
        "log_all_decisions = false\ndisclose_staff_ids = true\n",
    ));
    let person = subject(&ledger, ADULT);
    let export = ledger.subject_export(&person, &actor(), LOOKUP).unwrap();
    assert_eq!(
        export.accesses[0].entity_id.as_deref(),
        Some("saksbehandler-17")
    );
}

#[test]
fn a_bad_purpose_of_lookup_is_refused_and_nothing_is_recorded() {
    let ledger = ledger();
    let person = subject(&ledger, ADULT);
    for purpose in [
        "",
        "   ",
        &"x".repeat(201),
        "fnr 15038510190",
        "line\nbreak",
    ] {
        let error = ledger
            .subject_export(&person, &actor(), purpose)
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput, "{purpose:?}");
        assert!(!error.message().contains(ADULT));
    }
    assert_eq!(recorded(&ledger), 0);
}

#[test]
fn log_all_decisions_refuses_plain_decisions_and_records_logged_ones() {
    let ledger = ledger_under(catalogue_with(
        "log_all_decisions = true\ndisclose_staff_ids = false\n",
    ));
    let person = subject(&ledger, ADULT);
    let request = DisclosureRequest::new(
        person.clone(),
        "nir",
        "nir_registration",
        &["name"],
        at(2026, 3, 1),
    )
    .unwrap();
    let prepared = ledger
        .prepare("nir", "nir_registration", &["name"], &[])
        .unwrap();
    let refusals = [
        ledger.decide(&request).map(|_| ()),
        ledger
            .decide_with(
                &person,
                "nir",
                "nir_registration",
                &["name"],
                at(2026, 3, 1),
            )
            .map(|_| ()),
        ledger
            .decide_many(std::slice::from_ref(&request))
            .map(|_| ()),
        ledger
            .decide_prepared(&prepared, &person, at(2026, 3, 1))
            .map(|_| ()),
        ledger
            .decide_prepared_many(&prepared, std::slice::from_ref(&person), at(2026, 3, 1))
            .map(|_| ()),
    ];
    for refusal in refusals {
        let error = refusal.unwrap_err();
        assert_eq!(error.code(), ErrorCode::NotPermitted, "{error}");
        assert!(error.message().contains("log_all_decisions"));
    }
    assert_eq!(recorded(&ledger), 0);
    let system = Actor::new("nir-overforing", "system").unwrap();
    assert!(
        ledger
            .decide_logged(&request, &system, "melding til NIR")
            .unwrap()
            .permitted()
    );
    assert!(
        ledger
            .decide_prepared_logged(
                &prepared,
                &person,
                at(2026, 3, 1),
                &system,
                "melding til NIR"
            )
            .unwrap()
            .permitted()
    );
    let accesses: Vec<_> = crate::common::recorded_events(&ledger)
        .into_iter()
        .filter(|e| matches!(e.payload, EventPayload::SubjectAccessed(_)))
        .collect();
    assert_eq!(accesses.len(), 2);
    assert!(accesses.iter().all(|e| e.actor.role().as_str() == "system"));
    // A bad code is refused before anything is recorded.
    let bad = DisclosureRequest::new(
        person,
        "nir",
        "nir_registration",
        &["shoe_size"],
        at(2026, 3, 1),
    );
    if let Ok(bad) = bad {
        assert_eq!(
            ledger.decide_logged(&bad, &system, "x").unwrap_err().code(),
            ErrorCode::UnknownCode
        );
    }
    assert_eq!(recorded(&ledger), 2);
}

#[test]
fn the_catalogue_declares_roles_and_validates_them() {
    let roles = |may: &str| {
        Catalogue::embedded_toml().replace(
            "code = \"auditor\"\nname = \"Revisor\"\nmay = [\"verify\", \"statistics\"]",
            &format!("code = \"auditor\"\nname = \"Revisor\"\nmay = {may}"),
        )
    };
    let unknown = Catalogue::from_toml(&roles("[\"verify\", \"erase_everything\"]")).unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::InvalidCatalogue);
    assert!(
        unknown.message().contains("`erase_everything`"),
        "{unknown}"
    );
    assert!(unknown.message().contains("`auditor`"), "{unknown}");
    let twice = Catalogue::from_toml(&roles("[\"verify\", \"verify\"]")).unwrap_err();
    assert_eq!(twice.code(), ErrorCode::InvalidCatalogue);
    let duplicate = Catalogue::embedded_toml().replace("code = \"auditor\"", "code = \"dpo\"");
    assert!(
        Catalogue::from_toml(&duplicate)
            .unwrap_err()
            .message()
            .contains("duplicate role")
    );
    // A municipality narrows a role: its auditors only verify.
    let narrow = Catalogue::from_toml(&roles("[\"verify\"]")).unwrap();
    assert!(narrow.role("auditor").unwrap().may(Operation::Verify));
    assert!(!narrow.role("auditor").unwrap().may(Operation::Statistics));
}

#[test]
fn a_catalogue_without_roles_has_the_default_roles() {
    // A 0.1 catalogue (format 1) cannot declare roles, and keeps working with the defaults.
    let old = Catalogue::from_toml(include_str!("fixtures/v0_1/catalogue.toml")).unwrap();
    assert!(!old.declares_roles());
    assert_eq!(old.roles(), Catalogue::embedded().roles());
    let with_roles = format!(
        "{}\n[[role]]\ncode = \"x\"\nname = \"X\"\nmay = []\n",
        include_str!("fixtures/v0_1/catalogue.toml")
    );
    assert!(
        Catalogue::from_toml(&with_roles)
            .unwrap_err()
            .message()
            .contains("format = 2")
    );
    // A format-2 catalogue written before roles existed.
    let start = Catalogue::embedded_toml().find("# ---- Roles").unwrap();
    let end = Catalogue::embedded_toml()
        .find("# The privacy notices")
        .unwrap();
    let text = format!(
        "{}{}",
        &Catalogue::embedded_toml()[..start],
        &Catalogue::embedded_toml()[end..]
    );
    let without = Catalogue::from_toml(&text).unwrap();
    assert!(!without.declares_roles());
    assert_eq!(without.roles(), Catalogue::embedded().roles());
}

#[test]
fn the_access_log_is_kept_its_years_then_falls_under_kassasjon() {
    // One year's retention for the records, two for the access log.
    let text = finite_retention_catalogue(1).toml().replace(
        "access_log_retention_years = 1",
        "access_log_retention_years = 2",
    );
    let ledger = ledger_under(Catalogue::from_toml(&text).unwrap());
    let person = subject(&ledger, ADULT);
    let request = DisclosureRequest::new(
        person.clone(),
        "nir",
        "nir_registration",
        &["name"],
        at(2026, 1, 5),
    )
    .unwrap();
    ledger.record_disclosure(&request, &actor()).unwrap();
    ledger.subject_export(&person, &actor(), LOOKUP).unwrap();
    ledger.request_erasure(&person, &dpo()).unwrap();
    // The records' year has passed, the access log's two years have not.
    ledger.set_clock(at(2027, 6, 1)).unwrap();
    assert_eq!(
        ledger
            .execute_kassasjon(&person, &archivist())
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    ledger.set_clock(at(2028, 2, 1)).unwrap();
    // Only an archivist shreds.
    assert_eq!(
        ledger
            .execute_kassasjon(&person, &dpo())
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    ledger.execute_kassasjon(&person, &archivist()).unwrap();
    let redacted: Vec<_> = crate::common::recorded_events(&ledger)
        .into_iter()
        .filter(|e| e.kind == "subject_accessed")
        .collect();
    assert_eq!(redacted.len(), 1);
    assert_eq!(redacted[0].payload, EventPayload::Redacted);
    assert!(ledger.verify().unwrap().ok);
}

/// Eight threads make 1,000 logged decisions each on one SQLite ledger; every acknowledged
/// access is in the ledger once, after a reopen.
#[test]
fn concurrent_logged_decisions_are_each_recorded_once() {
    const THREADS: usize = 8;
    const EACH: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    let person = subject(&ledger, ADULT);
    let request =
        DisclosureRequest::new(person, "nir", "nir_registration", &["name"], at(2026, 3, 1))
            .unwrap();
    let acknowledged: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let ledger = ledger.clone();
                let request = request.clone();
                scope.spawn(move || {
                    let system = Actor::new(&format!("integrasjon-{thread}"), "system").unwrap();
                    (0..EACH)
                        .map(|i| {
                            let purpose = format!("kjøring {thread}/{i}");
                            ledger.decide_logged(&request, &system, &purpose).unwrap();
                            purpose
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    drop(ledger);
    let reopened = Ledger::open(&path, options()).unwrap();
    let mut seen = HashSet::new();
    for event in reopened.events().unwrap() {
        if let EventPayload::SubjectAccessed(access) = event.payload {
            assert!(seen.insert(access.purpose), "an access recorded twice");
        }
    }
    assert_eq!(seen.len(), THREADS * EACH);
    assert!(acknowledged.iter().all(|p| seen.contains(p)));
    assert!(reopened.verify().unwrap().ok);
}

const CRASH_ENV: &str = "CONSENT_ACCESS_CRASH_DB";

/// The child side of the crash test: eight threads make logged decisions forever, printing
/// each acknowledged access's purpose (unique: process, thread, count).
#[test]
fn access_crash_child() {
    let Ok(path) = std::env::var(CRASH_ENV) else {
        return; // Only runs when the crash test starts this binary as its child.
    };
    let ledger = Ledger::open(&path, options()).unwrap();
    let person = subject(&ledger, ADULT);
    let request =
        DisclosureRequest::new(person, "nir", "nir_registration", &["name"], at(2026, 3, 1))
            .unwrap();
    let out = std::sync::Mutex::new(std::io::stdout());
    let pid = std::process::id();
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (ledger, request, out) = (&ledger, &request, &out);
            scope.spawn(move || {
                let system = Actor::new(&format!("integrasjon-{thread}"), "system").unwrap();
                for i in 0.. {
                    let purpose = format!("p{pid}-{thread}-{i}");
                    ledger.decide_logged(request, &system, &purpose).unwrap();
                    use std::io::Write;
                    let mut out = out.lock().unwrap();
                    writeln!(out, "{purpose}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

/// kill -9 during logged decisions from eight threads: after every reopen, each access a
/// caller was told of is in the ledger, and none is there twice.
#[test]
fn every_acknowledged_access_survives_kill_9_once() {
    use std::io::{BufRead, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    drop(Ledger::open(&path, options()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "accountability::access_crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        // Kill once the child acknowledged something, after a varying wait.
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                break;
            }
            text.push_str(&line);
            if line.starts_with('p') && line.ends_with('\n') {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(40 + round * 37));
        child.kill().unwrap(); // SIGKILL
        stdout.read_to_string(&mut text).unwrap();
        child.wait().unwrap();
        // Only complete lines were acknowledged; a torn last line was not.
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let keep = if complete {
            lines.len()
        } else {
            lines.len().saturating_sub(1)
        };
        let is_purpose = |line: &str| {
            line.strip_prefix('p').is_some_and(|rest| {
                rest.split('-').count() == 3
                    && rest
                        .split('-')
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        };
        acknowledged.extend(
            lines
                .into_iter()
                .take(keep)
                .filter(|l| is_purpose(l))
                .map(str::to_owned),
        );
        let ledger = Ledger::open(&path, options()).unwrap();
        assert!(
            ledger.verify().unwrap().ok,
            "chain broken after round {round}"
        );
        let mut seen = HashSet::new();
        for event in ledger.events().unwrap() {
            if let EventPayload::SubjectAccessed(access) = event.payload {
                assert!(
                    seen.insert(access.purpose.clone()),
                    "{} twice",
                    access.purpose
                );
            }
        }
        for purpose in &acknowledged {
            assert!(seen.contains(purpose), "acknowledged access {purpose} lost");
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "the child never acknowledged an access"
    );
    eprintln!(
        "{} acknowledged accesses, each present once",
        acknowledged.len()
    );
}

#[test]
fn a_look_up_after_kassasjon_leaves_the_person_erased() {
    let ledger = ledger_under(finite_retention_catalogue(1));
    granted(&ledger);
    let person = subject(&ledger, ADULT);
    erase_by_kassasjon(&ledger, &person);
    let export = ledger.subject_export(&person, &actor(), LOOKUP).unwrap();
    assert_eq!(export.status, consent_core::SubjectStatus::Erased);
    assert_eq!(
        ledger
            .execute_kassasjon(&person, &archivist())
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    assert_eq!(
        ledger.request_erasure(&person, &dpo()).unwrap_err().code(),
        ErrorCode::Conflict
    );
}
