//! Identity that changes (issue 16, item 3): a DUF number, then a D-nummer, then a
//! fødselsnummer. The person's history follows them; no id appears in clear.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test on a bad fixture, and fill its JSON by key"
)]

use crate::common::*;
use consent_core::{Actor, ErasureOutcome, ErrorCode, IdKind, Ledger, NationalId, SuccessionMode};

const DUF: &str = "201612345678";

/// A D-nummer: 20 November 1990 (day + 40).
fn d_number() -> String {
    national_id("601190", "12")
}

fn grant_under(ledger: &Ledger, number: &str, purpose: &str) {
    let mut json = grant_json(number, &["nav"], &[purpose], &["finances"], false);
    // A DUF number encodes no birth date: Folkeregisteret's (or UDI's) is given.
    if number.len() == 12 {
        json["subject_birth_date"] = "1990-11-20".into();
    }
    ledger.grant(&parse(ledger, &json), &actor()).unwrap();
}

fn permits(ledger: &Ledger, number: &str, purpose: &str) -> bool {
    ledger
        .decide_with(
            &subject(ledger, number),
            "nav",
            purpose,
            &["finances"],
            at(2026, 3, 1),
        )
        .unwrap()
        .permitted()
}

#[test]
fn a_duf_number_is_a_subject_id_of_its_own_with_no_birth_date() {
    let duf = NationalId::parse(DUF).unwrap();
    assert_eq!(duf.kind(), IdKind::Duf);
    assert!(!duf.has_birth_date());
    assert_eq!(duf.expose(), DUF);
    assert!(!format!("{duf:?}").contains(DUF));
    for bad in [
        "301612345678",
        "2016123456a8",
        "20161234567",
        "2016123456789",
    ] {
        let err = NationalId::parse(bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidNationalId, "{bad}");
        assert!(!err.message().contains(bad), "{}", err.message());
    }
    // Its pseudonym is its own, and differs from any national id's.
    let ledger = ledger();
    assert_ne!(
        ledger.pseudonym(&duf),
        ledger.pseudonym(&subject(&ledger, ADULT))
    );
}

#[test]
fn a_grant_under_a_d_number_follows_the_person_to_their_fodselsnummer() {
    let ledger = ledger();
    let d = d_number();
    grant_under(&ledger, &d, "employment_followup");
    assert!(!permits(&ledger, ADULT, "employment_followup"));
    ledger
        .record_identity_succession(
            &subject(&ledger, &d),
            &subject(&ledger, ADULT),
            "Folkeregisteret 2026/77",
            SuccessionMode::Move,
            &actor(),
        )
        .unwrap();
    assert!(permits(&ledger, ADULT, "employment_followup"));
    assert!(
        permits(&ledger, &d, "employment_followup"),
        "the old id resolves to the person"
    );
    let under_new = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap()
        .to_value()
        .unwrap();
    let under_old = ledger
        .subject_export(
            &subject(&ledger, &d),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(under_new["consent_records"].as_array().unwrap().len(), 1);
    assert_eq!(under_new["earlier_ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        under_new["earlier_ids"][0]["reference"],
        "Folkeregisteret 2026/77"
    );
    assert_eq!(
        under_new["pii_principal_id"], under_old["pii_principal_id"],
        "one person"
    );
    assert_eq!(under_new["consent_records"], under_old["consent_records"]);
    let text = under_new.to_string();
    assert!(!text.contains(ADULT) && !text.contains(&d));
}

#[test]
fn a_chain_from_a_duf_number_keeps_one_history_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.db");
    let d = d_number();
    {
        let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
        grant_under(&ledger, DUF, "employment_followup");
        ledger
            .record_identity_succession(
                &subject(&ledger, DUF),
                &subject(&ledger, &d),
                "UDI 2026/12",
                SuccessionMode::Move,
                &actor(),
            )
            .unwrap();
        // A write under the DUF number after the succession lands on the person.
        grant_under(&ledger, DUF, "case_handling");
        ledger
            .record_identity_succession(
                &subject(&ledger, &d),
                &subject(&ledger, ADULT),
                "Folkeregisteret 2026/77",
                SuccessionMode::Move,
                &actor(),
            )
            .unwrap();
    }
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    assert!(ledger.verify().unwrap().ok);
    for number in [DUF, d.as_str(), ADULT] {
        assert!(permits(&ledger, number, "employment_followup"), "{number}");
        assert!(permits(&ledger, number, "case_handling"), "{number}");
    }
    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["consent_records"].as_array().unwrap().len(), 2);
    assert_eq!(export["earlier_ids"].as_array().unwrap().len(), 2);

    // Kassasjon reaches every id the person had, and the record of the export above.
    let outcome = erase_by_kassasjon(&ledger, &subject(&ledger, DUF));
    assert!(
        matches!(outcome, ErasureOutcome::Erased { events_erased, .. } if events_erased == 5),
        "{outcome:?}"
    );
    assert!(ledger.verify().unwrap().ok);
    drop(ledger);
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    assert!(ledger.verify().unwrap().ok);
    for number in [DUF, d.as_str(), ADULT] {
        assert!(!permits(&ledger, number, "employment_followup"), "{number}");
    }
}

#[test]
fn a_succession_is_refused_with_a_specific_error_and_nothing_is_written() {
    let ledger = ledger();
    let d = d_number();
    grant_under(&ledger, &d, "employment_followup");
    let from = subject(&ledger, &d);
    let to = subject(&ledger, ADULT);
    let count = ledger.event_count();
    // A role the catalogue has, without the permission; and a role it does not have.
    let auditor = Actor::new("revisor-3", "auditor").unwrap();
    let clerk = Actor::new("kontor-3", "receptionist").unwrap();
    let cases = [
        (
            ledger.record_identity_succession(&from, &to, "x", SuccessionMode::Move, &auditor),
            ErrorCode::NotPermitted,
        ),
        (
            ledger.record_identity_succession(&from, &to, "x", SuccessionMode::Move, &clerk),
            ErrorCode::UnknownCode,
        ),
        (
            ledger.record_identity_succession(&from, &from, "x", SuccessionMode::Move, &actor()),
            ErrorCode::InvalidInput,
        ),
        (
            ledger.record_identity_succession(&from, &to, "", SuccessionMode::Move, &actor()),
            ErrorCode::InvalidInput,
        ),
        (
            ledger.record_identity_succession(
                &from,
                &to,
                "fnr 15038510190",
                SuccessionMode::Move,
                &actor(),
            ),
            ErrorCode::InvalidInput,
        ),
        (
            ledger.record_identity_succession(
                &subject(&ledger, DUF),
                &to,
                "x",
                SuccessionMode::Move,
                &actor(),
            ),
            ErrorCode::NotFound,
        ),
    ];
    for (result, code) in cases {
        assert_eq!(result.unwrap_err().code(), code);
    }
    assert_eq!(ledger.event_count(), count);
    ledger
        .record_identity_succession(&from, &to, "x", SuccessionMode::Move, &actor())
        .unwrap();
    let count = ledger.event_count();
    assert_eq!(
        ledger
            .record_identity_succession(&from, &to, "again", SuccessionMode::Move, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    assert_eq!(
        ledger
            .record_identity_succession(&to, &from, "back", SuccessionMode::Merge, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput,
        "no step back (and so no cycle)"
    );
    assert_eq!(ledger.event_count(), count);
}

/// Review finding: a succession to an id that already held records merged two people's
/// histories without being asked to.
#[test]
fn a_new_id_that_holds_records_is_joined_only_when_a_merge_is_asked_for() {
    let ledger = ledger();
    let d = d_number();
    grant_under(&ledger, &d, "employment_followup");
    grant_under(&ledger, ADULT, "case_handling");
    let from = subject(&ledger, &d);
    let to = subject(&ledger, ADULT);
    let count = ledger.event_count();
    let err = ledger
        .record_identity_succession(
            &from,
            &to,
            "Folkeregisteret 2026/80",
            SuccessionMode::Move,
            &actor(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(
        err.message().contains("already holds records"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains(ADULT) && !err.message().contains(&d));
    assert_eq!(ledger.event_count(), count, "nothing written");
    assert!(
        !permits(&ledger, ADULT, "employment_followup"),
        "not merged"
    );
    assert!(!permits(&ledger, &d, "case_handling"), "not merged");

    ledger
        .record_identity_succession(
            &from,
            &to,
            "Folkeregisteret 2026/80",
            SuccessionMode::Merge,
            &actor(),
        )
        .unwrap();
    assert!(permits(&ledger, ADULT, "employment_followup"));
    assert!(permits(&ledger, &d, "case_handling"));
    let export = ledger
        .subject_export(&to, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["consent_records"].as_array().unwrap().len(), 2);
    assert_eq!(export["earlier_ids"][0]["merge"], true);
    let merged = ledger
        .events()
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.payload {
            consent_core::EventPayload::IdentitySucceeded(s) => Some(s.merge),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(merged, [true], "the event says it was a merge");

    // A succession to a new id is no merge, and says so by saying nothing.
    let other = crate::common::ledger();
    grant_under(&other, &d, "employment_followup");
    other
        .record_identity_succession(
            &subject(&other, &d),
            &to,
            "x",
            SuccessionMode::Merge,
            &actor(),
        )
        .unwrap();
    let export = other
        .subject_export(&to, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(
        export["earlier_ids"][0]["merge"], true,
        "asked for, so recorded"
    );
    let plain = crate::common::ledger();
    grant_under(&plain, &d, "employment_followup");
    plain
        .record_identity_succession(
            &subject(&plain, &d),
            &to,
            "x",
            SuccessionMode::Move,
            &actor(),
        )
        .unwrap();
    let export = plain
        .subject_export(&to, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert!(export["earlier_ids"][0].get("merge").is_none());
}

/// Review finding: a succession could go backwards (a fødselsnummer to a D-nummer).
#[test]
fn a_succession_goes_forward_only() {
    let d = d_number();
    let other_fnr = national_id("201190", "12");
    let backwards = [(ADULT, d.as_str()), (ADULT, DUF), (d.as_str(), DUF)];
    for (from, to) in backwards {
        let ledger = ledger();
        grant_under(&ledger, from, "employment_followup");
        let count = ledger.event_count();
        let err = ledger
            .record_identity_succession(
                &subject(&ledger, from),
                &subject(&ledger, to),
                "x",
                SuccessionMode::Merge,
                &actor(),
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{from} -> {to}");
        assert!(err.message().contains("forward only"), "{}", err.message());
        assert!(!err.message().contains(from) && !err.message().contains(to));
        assert_eq!(ledger.event_count(), count);
    }
    // Forward, and within a kind (a fødselsnummer replaced by a new one; a second DUF case).
    let forward = [
        (DUF, d.as_str()),
        (DUF, ADULT),
        (d.as_str(), ADULT),
        (ADULT, other_fnr.as_str()),
        (DUF, "201798765432"),
    ];
    for (from, to) in forward {
        let ledger = ledger();
        grant_under(&ledger, from, "employment_followup");
        ledger
            .record_identity_succession(
                &subject(&ledger, from),
                &subject(&ledger, to),
                "x",
                SuccessionMode::Move,
                &actor(),
            )
            .unwrap();
        assert!(
            permits(&ledger, to, "employment_followup"),
            "{from} -> {to}"
        );
    }
}

/// Every file of a ledger (the database and its journal), read as bytes.
fn raw_files(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Review finding: the succession's reference was stored in clear. It is sealed under the new
/// id's data key, read back opened, and shredded by a kassasjon; the link itself survives.
#[test]
fn the_succession_reference_is_sealed_in_the_file_and_shredded_with_the_person() {
    const REFERENCE: &str = "Folkeregisteret melding SAK-REF-7731";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealed.db");
    let d = d_number();
    {
        let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
        grant_under(&ledger, &d, "employment_followup");
        ledger
            .record_identity_succession(
                &subject(&ledger, &d),
                &subject(&ledger, ADULT),
                REFERENCE,
                SuccessionMode::Move,
                &actor(),
            )
            .unwrap();
    }
    let bytes = raw_files(dir.path());
    assert!(!bytes.is_empty());
    assert!(!contains(&bytes, "SAK-REF-7731"), "the reference in clear");
    assert!(contains(&bytes, "identity_succeeded"), "the event was read");

    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    assert!(ledger.verify().unwrap().ok);
    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["earlier_ids"][0]["reference"], REFERENCE);
    let references: Vec<Option<String>> = ledger
        .events()
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.payload {
            consent_core::EventPayload::IdentitySucceeded(s) => Some(s.reference),
            _ => None,
        })
        .collect();
    assert_eq!(references, [Some(REFERENCE.to_owned())]);

    erase_by_kassasjon(&ledger, &subject(&ledger, ADULT));
    let check = |ledger: &Ledger| {
        assert!(ledger.verify().unwrap().ok);
        let under_new = ledger
            .subject_export(
                &subject(ledger, ADULT),
                &crate::common::actor(),
                crate::common::LOOKUP,
            )
            .unwrap()
            .to_value()
            .unwrap();
        let under_old = ledger
            .subject_export(
                &subject(ledger, &d),
                &crate::common::actor(),
                crate::common::LOOKUP,
            )
            .unwrap()
            .to_value()
            .unwrap();
        assert!(
            under_new["earlier_ids"][0]["reference"].is_null(),
            "shredded"
        );
        assert_eq!(
            under_new["pii_principal_id"], under_old["pii_principal_id"],
            "the link survives the kassasjon"
        );
    };
    check(&ledger);
    drop(ledger);
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    check(&ledger);
}

/// Review finding: a person whose only record is a restriction (no data key yet) can be
/// succeeded, and the restriction follows them.
#[test]
fn a_restriction_alone_follows_the_person_to_their_new_id() {
    let ledger = ledger();
    let d = d_number();
    ledger.set_clock(at(2026, 2, 1)).unwrap();
    ledger
        .restrict(
            &subject(&ledger, &d),
            consent_core::RestrictionGround::Accuracy,
            at(2026, 2, 1),
            &actor(),
        )
        .unwrap();
    ledger
        .record_identity_succession(
            &subject(&ledger, &d),
            &subject(&ledger, ADULT),
            "Folkeregisteret 2026/78",
            SuccessionMode::Move,
            &actor(),
        )
        .unwrap();
    let decision = ledger
        .decide_with(
            &subject(&ledger, ADULT),
            "imdi",
            "settlement",
            &["name"],
            at(2026, 3, 1),
        )
        .unwrap();
    assert_eq!(
        decision.denial(),
        Some(consent_core::DenialReason::Restricted)
    );
}
