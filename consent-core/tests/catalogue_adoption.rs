//! Security finding 5: the catalogue a ledger was written under is enforced. A ledger records
//! the catalogue it adopts (whole, with its hash, by an actor); opening it with another one is
//! refused until that one is adopted as a recorded step; and each decision is made under the
//! catalogue in force at its instant.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::path::{Path, PathBuf};

use consent_core::storage::MemoryStore;
use consent_core::{
    Actor, Catalogue, DenialReason, ErrorCode, EventPayload, Ledger, LedgerOptions, MEMORY_PATH,
};

use crate::common::{ADULT, actor, at, grant_json, options, parse, recorded, subject};

/// A data protection officer, who adopts catalogues.
pub(crate) fn dpo() -> Actor {
    Actor::new("personvernombud-1", "dpo").unwrap()
}

/// The default catalogue with another version and `extra` TOML appended (new entries come
/// after the existing ones, so every code keeps its position).
pub(crate) fn extended(version: &str, extra: &str) -> Catalogue {
    let text = Catalogue::embedded_toml().replacen(
        "version = \"2026-12-01\"",
        &format!("version = \"{version}\""),
        1,
    );
    Catalogue::from_toml(&format!("{text}\n{extra}")).unwrap()
}

/// A statutory rule that lets NAV receive finances for employment follow-up (not in the
/// default catalogue, where only a consent does).
pub(crate) const NAV_FINANCES: &str = r#"
[[rule]]
code = "nav_finances"
statutes = ["integreringsloven_41"]
recipient = "nav"
purposes = ["employment_followup"]
categories = ["finances"]
art6 = "A6_1_e"
confidentiality_exception = "special_statute"
"#;

fn file_options() -> LedgerOptions {
    options()
}

/// For a store reopened in a test: a fixed key.
fn store_options() -> LedgerOptions {
    options().with_key(consent_core::PseudonymKey::from_bytes([7; 32]))
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_new_ledger_records_the_adoption_of_its_catalogue() {
    let ledger = Ledger::open(
        MEMORY_PATH,
        options().with_actor(Actor::new("drift-1", "operator").unwrap()),
    )
    .unwrap();
    let events = ledger.events().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.id(), "drift-1");
    assert_eq!(events[0].subject, None);
    let EventPayload::CatalogueAdopted(adoption) = &events[0].payload else {
        panic!("{:?}", events[0].payload);
    };
    let catalogue = Catalogue::embedded();
    assert_eq!(adoption.version, catalogue.version());
    assert_eq!(adoption.format, catalogue.format());
    assert_eq!(adoption.sha256, catalogue.digest());
    assert_eq!(adoption.toml, Catalogue::embedded_toml());
    // Self-contained: the recorded text is the catalogue, and it checks against its hash.
    assert_eq!(
        Catalogue::from_toml(&adoption.toml).unwrap().digest(),
        adoption.sha256
    );
    // Without an actor in the options, the system actor records it.
    let ledger = Ledger::open(MEMORY_PATH, options()).unwrap();
    let first = &ledger.events().unwrap()[0];
    assert_eq!(first.actor.id(), consent_core::SYSTEM_ACTOR_ID);
    assert_eq!(first.actor.role().as_str(), consent_core::SYSTEM_ACTOR_ROLE);
}

#[test]
fn reopening_with_another_catalogue_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, file_options()).unwrap();
    ledger
        .grant(
            &parse(
                &ledger,
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
    drop(ledger);
    let before = files(dir.path());

    let other = extended("2027-01-01", NAV_FINANCES);
    let err = Ledger::open(&path, file_options().with_catalogue(other.clone())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    assert!(err.message().contains("2026-12-01"), "{}", err.message());
    assert!(err.message().contains("2027-01-01"), "{}", err.message());
    assert!(
        err.message().contains("consent catalogue adopt"),
        "{}",
        err.message()
    );
    assert_eq!(files(dir.path()), before);
    // Verifying the file is not opening it with a catalogue: it verifies.
    assert!(Ledger::verify_file(&path, &file_options()).unwrap().ok);

    // Forgetting the catalogue (CONSENT_CATALOGUE unset) opens it under the one in force.
    let mut forgot = file_options();
    forgot.catalogue = None;
    let reopened = Ledger::open(&path, forgot).unwrap();
    assert_eq!(
        reopened.catalogue().digest(),
        Catalogue::embedded().digest()
    );
    assert_eq!(recorded(&reopened), 1);
    drop(reopened);
    // And the same catalogue given again opens it as before.
    drop(Ledger::open(&path, file_options()).unwrap());
}

#[test]
fn adopting_a_catalogue_records_it_and_reopening_with_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, file_options()).unwrap();
    let next = extended("2027-01-01", NAV_FINANCES);
    ledger.set_clock(at(2026, 6, 1)).unwrap();
    let id = ledger.adopt_catalogue(&next, &dpo()).unwrap();
    assert_eq!(ledger.catalogue().version(), "2027-01-01");
    let events = ledger.events().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.id, id);
    assert_eq!(last.actor, dpo());
    assert_eq!(last.kind, "catalogue_adopted");
    let EventPayload::CatalogueAdopted(adoption) = &last.payload else {
        panic!("{:?}", last.payload);
    };
    assert_eq!(adoption.toml, next.toml());
    assert_eq!(adoption.sha256, next.digest());
    assert_eq!(adoption.in_force_from, at(2026, 6, 1));
    drop(ledger);

    let reopened = Ledger::open(&path, file_options().with_catalogue(next.clone())).unwrap();
    assert_eq!(reopened.catalogue().version(), "2027-01-01");
    assert!(reopened.verify().unwrap().ok);
    drop(reopened);
    let mut in_force = file_options();
    in_force.catalogue = None;
    assert_eq!(
        Ledger::open(&path, in_force).unwrap().catalogue().version(),
        "2027-01-01"
    );
    // The old catalogue is no longer the one in force.
    let err = Ledger::open(&path, file_options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(Ledger::verify_file(&path, &file_options()).unwrap().ok);
}

#[test]
fn decisions_are_made_under_the_catalogue_in_force_at_their_instant() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let ledger =
        Ledger::with_store(Box::new(std::sync::Arc::clone(&store)), store_options()).unwrap();
    let person = subject(&ledger, ADULT);
    let decide = |ledger: &Ledger, at| {
        ledger
            .decide_with(&person, "nav", "employment_followup", &["finances"], at)
            .unwrap()
    };
    // Under the default catalogue no statute covers it.
    assert_eq!(
        decide(&ledger, at(2026, 3, 1)).denial(),
        Some(DenialReason::NoBasis)
    );
    ledger.set_clock(at(2026, 6, 1)).unwrap();
    ledger
        .adopt_catalogue(&extended("2027-01-01", NAV_FINANCES), &dpo())
        .unwrap();
    let check = |ledger: &Ledger| {
        // Before the adoption instant, the old rules; from it on, the new rule.
        assert_eq!(
            decide(ledger, at(2026, 3, 1)).denial(),
            Some(DenialReason::NoBasis)
        );
        assert_eq!(
            decide(ledger, at(2026, 5, 31)).denial(),
            Some(DenialReason::NoBasis)
        );
        let after = decide(ledger, at(2026, 6, 2));
        assert!(after.permitted(), "{}", after.explain());
        assert_eq!(
            ledger.catalogue_at(at(2026, 3, 1)).unwrap().digest(),
            Catalogue::embedded().digest()
        );
    };
    check(&ledger);
    // A replay rebuilds the same history.
    let mut in_force = store_options();
    in_force.catalogue = None;
    check(&Ledger::with_store(Box::new(store), in_force).unwrap());

    // A later catalogue that ends a rule (removing it is refused: codes stay) denies from its
    // adoption on, and the decisions before it keep the rule.
    ledger.set_clock(at(2026, 9, 1)).unwrap();
    let ended = extended(
        "2027-02-01",
        &NAV_FINANCES.replace(
            "art6 = \"A6_1_e\"",
            "art6 = \"A6_1_e\"\nvalid_to = \"2026-09-01\"",
        ),
    );
    ledger.adopt_catalogue(&ended, &dpo()).unwrap();
    assert!(decide(&ledger, at(2026, 8, 1)).permitted());
    assert_eq!(
        decide(&ledger, at(2026, 10, 1)).denial(),
        Some(DenialReason::NoBasis)
    );
}

#[test]
fn a_catalogue_that_moves_or_drops_a_code_is_refused_and_nothing_changes() {
    let ledger = Ledger::open(MEMORY_PATH, options()).unwrap();
    let count = ledger.event_count();
    // A new category before the existing ones moves every category's position.
    let moved = Catalogue::embedded_toml().replacen(
        "[[category]]\ncode = \"name\"",
        "[[category]]\ncode = \"alias\"\nname = \"Alias\"\n\n[[category]]\ncode = \"name\"",
        1,
    );
    let err = ledger
        .adopt_catalogue(&Catalogue::from_toml(&moved).unwrap(), &dpo())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err.message());
    assert!(err.message().contains("`name`"), "{}", err.message());
    // Dropping a rule: its code is named by recorded disclosures.
    let start = Catalogue::embedded_toml()
        .find("[[rule]]\ncode = \"barnevern_duty\"")
        .unwrap();
    let dropped = Catalogue::from_toml(Catalogue::embedded_toml().get(..start).unwrap()).unwrap();
    let err = ledger.adopt_catalogue(&dropped, &dpo()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err.message());
    assert!(
        err.message().contains("barnevern_duty"),
        "{}",
        err.message()
    );
    // The catalogue in force again.
    let err = ledger
        .adopt_catalogue(&Catalogue::embedded(), &dpo())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    assert_eq!(ledger.event_count(), count);
    assert_eq!(ledger.catalogue().digest(), Catalogue::embedded().digest());
}

#[test]
fn a_withdrawn_consent_never_becomes_a_statutory_permit_by_swapping_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, file_options()).unwrap();
    let person = subject(&ledger, ADULT);
    let id = ledger
        .grant(
            &parse(
                &ledger,
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
    ledger.set_clock(at(2026, 3, 1)).unwrap();
    ledger
        .withdraw(id, at(2026, 3, 1), &actor(), Some("by phone"))
        .unwrap();
    let decide = |ledger: &Ledger, at| {
        ledger
            .decide_with(&person, "nav", "employment_followup", &["finances"], at)
            .unwrap()
    };
    assert_eq!(
        decide(&ledger, at(2026, 4, 1)).denial(),
        Some(DenialReason::Withdrawn)
    );
    drop(ledger);

    // Swapping the catalogue for one with a statute that covers it is refused.
    let swapped = extended("2027-01-01", NAV_FINANCES);
    let err = Ledger::open(&path, file_options().with_catalogue(swapped.clone())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    let ledger = Ledger::open(&path, file_options()).unwrap();
    assert_eq!(
        decide(&ledger, at(2026, 4, 1)).denial(),
        Some(DenialReason::Withdrawn)
    );

    // Adopted as a recorded step, the new statute applies from its adoption on only: the
    // disclosures after the withdrawal and before the adoption stay unlawful.
    ledger.set_clock(at(2026, 5, 1)).unwrap();
    ledger.adopt_catalogue(&swapped, &dpo()).unwrap();
    assert_eq!(
        decide(&ledger, at(2026, 4, 1)).denial(),
        Some(DenialReason::Withdrawn)
    );
    assert!(decide(&ledger, at(2026, 5, 2)).permitted());
}

#[test]
fn a_large_log_with_an_adoption_in_the_middle_replays_under_each_catalogue() {
    // Past the size from which a replay runs on two threads.
    let store = std::sync::Arc::new(MemoryStore::new());
    let ledger =
        Ledger::with_store(Box::new(std::sync::Arc::clone(&store)), store_options()).unwrap();
    let request = parse(
        &ledger,
        &grant_json(
            ADULT,
            &["nav"],
            &["employment_followup"],
            &["finances"],
            false,
        ),
    );
    ledger.grant_many(&vec![request; 6_000], &actor()).unwrap();
    ledger.set_clock(at(2026, 2, 1)).unwrap();
    // The new catalogue adds a category; grants after its adoption name it.
    let next = extended(
        "2027-01-01",
        "[[category]]\ncode = \"driving_licence\"\nname = \"Førerkort\"\n",
    );
    ledger.adopt_catalogue(&next, &dpo()).unwrap();
    let json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["driving_licence"],
        false,
    );
    let mut later = json.clone();
    later["valid_from"] = serde_json::json!("2026-02-01T09:00:00Z");
    let request = parse(&ledger, &later);
    ledger.grant_many(&vec![request; 6_000], &actor()).unwrap();
    let mut in_force = store_options();
    in_force.catalogue = None;
    let reopened = Ledger::with_store(Box::new(store), in_force).unwrap();
    assert_eq!(reopened.event_count(), 12_002);
    assert_eq!(reopened.catalogue().version(), "2027-01-01");
    let person = subject(&reopened, ADULT);
    let decision = reopened
        .decide_with(
            &person,
            "nav",
            "employment_followup",
            &["driving_licence"],
            at(2026, 3, 1),
        )
        .unwrap();
    assert!(decision.permitted(), "{}", decision.explain());
    // Before the adoption the category did not exist: an error, never a permit.
    let err = reopened
        .decide_with(
            &person,
            "nav",
            "employment_followup",
            &["driving_licence"],
            at(2026, 1, 20),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownCode);
}
