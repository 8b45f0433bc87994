//! The cases of the foundation issue, one test each, through the public API.

use crate::common::*;
use consent_core::{Basis, DenialReason, DisclosureRequest, ErrorCode, GrantId};

#[test]
fn nir_registration_by_statute_needs_no_consent() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let decision = ledger
        .decide_with(
            &s,
            "nir",
            "nir_registration",
            &["name", "national_id", "programme_participation"],
            at(2026, 3, 1),
        )
        .unwrap();
    assert!(decision.permitted());
    for outcome in decision.outcomes() {
        match outcome.result {
            Ok(Basis::Statute(rule)) => {
                assert_eq!(rule.code.as_str(), "nir_registration");
                assert_eq!(rule.statute, "integreringsloven § 43");
            }
            other => panic!("expected a statute, got {other:?}"),
        }
    }
    let json: serde_json::Value = serde_json::from_str(&decision.to_json()).unwrap();
    assert_eq!(json["categories"][0]["basis"]["art6"], "A6_1_c");
    assert_eq!(crate::common::recorded(&ledger), 0);
}

#[test]
fn health_to_the_learning_centre_needs_explicit_consent() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let decide = || {
        ledger
            .decide_with(
                &s,
                "laeringssenteret",
                "health_coordination",
                &["health"],
                at(2026, 3, 1),
            )
            .unwrap()
    };
    assert_eq!(decide().denial(), Some(DenialReason::NoBasis));

    let plain = grant_json(
        ADULT,
        &["laeringssenteret"],
        &["health_coordination"],
        &["health"],
        false,
    );
    // Consent that is not explicit could never cover health: refused at the door, nothing
    // recorded.
    let err = ledger.grant(&parse(&ledger, &plain), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("explicit"), "{}", err.message());
    assert_eq!(crate::common::recorded(&ledger), 0);
    assert_eq!(decide().denial(), Some(DenialReason::NoBasis));

    let explicit = grant_json(
        ADULT,
        &["laeringssenteret"],
        &["health_coordination"],
        &["health"],
        true,
    );
    let id = ledger.grant(&parse(&ledger, &explicit), &actor()).unwrap();
    let decision = decide();
    assert!(decision.permitted());
    assert!(matches!(
        decision.outcomes().next().unwrap().result,
        Ok(Basis::Consent { grant, explicit: true }) if grant == id
    ));
    let json: serde_json::Value = serde_json::from_str(&decision.to_json()).unwrap();
    assert_eq!(json["categories"][0]["basis"]["art9"], "A9_2_a");
}

#[test]
fn a_nav_consent_covers_neither_another_purpose_nor_another_recipient() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances", "family"],
        false,
    );
    ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let when = at(2026, 3, 1);
    assert!(
        ledger
            .decide_with(
                &s,
                "nav",
                "employment_followup",
                &["finances", "family"],
                when
            )
            .unwrap()
            .permitted()
    );
    let other_purpose = ledger
        .decide_with(&s, "nav", "introduction_benefit", &["finances"], when)
        .unwrap();
    assert_eq!(other_purpose.denial(), Some(DenialReason::NoBasis));
    let other_recipient = ledger
        .decide_with(
            &s,
            "okonomiavdelingen",
            "employment_followup",
            &["family"],
            when,
        )
        .unwrap();
    assert_eq!(other_recipient.denial(), Some(DenialReason::NoBasis));
}

#[test]
fn withdrawal_at_t_ends_consent_from_t_only() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let json = grant_json(ADULT, &["bufetat"], &["case_handling"], &["family"], false);
    let id = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let t = at(2026, 5, 1);
    let just_before = t - chrono::Duration::milliseconds(1);
    let before = ledger
        .decide_with(&s, "bufetat", "case_handling", &["family"], just_before)
        .unwrap();
    assert!(before.permitted());
    ledger
        .withdraw(id, t, &actor(), Some("withdrawn by phone"))
        .unwrap();
    assert_eq!(
        ledger
            .decide_with(&s, "bufetat", "case_handling", &["family"], just_before)
            .unwrap(),
        before
    );
    let after = ledger
        .decide_with(&s, "bufetat", "case_handling", &["family"], t)
        .unwrap();
    assert_eq!(after.denial(), Some(DenialReason::Withdrawn));
    // The grant's record is kept: two events, grant then withdrawal.
    let kinds: Vec<_> = crate::common::recorded_events(&ledger)
        .iter()
        .map(|e| e.payload.kind())
        .collect();
    assert_eq!(kinds, ["grant_recorded", "grant_withdrawn"]);
}

#[test]
fn consent_expires_at_valid_until() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let mut json = grant_json(
        ADULT,
        &["helsetjenesten"],
        &["case_handling"],
        &["address"],
        false,
    );
    json["valid_until"] = "2026-06-30T22:00:00Z".into();
    ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let end = "2026-06-30T22:00:00Z".parse().unwrap();
    let last = end - chrono::Duration::microseconds(1);
    assert!(
        ledger
            .decide_with(&s, "helsetjenesten", "case_handling", &["address"], last)
            .unwrap()
            .permitted()
    );
    let expired = ledger
        .decide_with(&s, "helsetjenesten", "case_handling", &["address"], end)
        .unwrap();
    assert_eq!(expired.denial(), Some(DenialReason::Expired));
}

#[test]
fn a_fourteen_year_old_needs_a_representative_whose_grant_lapses_at_eighteen() {
    let ledger = ledger();
    // Born 1 June 2011: 14 at valid_from (2026-01-05), 18 on 2029-06-01.
    let child = national_id("010611", "51");
    let count = ledger.event_count();
    let own = grant_json(
        &child,
        &["nav"],
        &["employment_followup"],
        &["family"],
        false,
    );
    let err = ledger.grant(&parse(&ledger, &own), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("under 15"), "{}", err.message());
    assert_eq!(ledger.event_count(), count);

    let mut by_verge = own.clone();
    by_verge["grantor"] = serde_json::json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren i Innlandet 2025/4411"});
    by_verge["child_heard"] = child_heard();
    ledger.grant(&parse(&ledger, &by_verge), &actor()).unwrap();
    let s = subject(&ledger, &child);
    let day_before = "2029-05-31T21:59:59Z".parse().unwrap();
    let birthday = "2029-05-31T22:00:00Z".parse().unwrap(); // midnight in Norway
    assert!(
        ledger
            .decide_with(&s, "nav", "employment_followup", &["family"], day_before)
            .unwrap()
            .permitted()
    );
    let lapsed = ledger
        .decide_with(&s, "nav", "employment_followup", &["family"], birthday)
        .unwrap();
    assert_eq!(lapsed.denial(), Some(DenialReason::ReconsentRequired));
    // The representative's id is stored only as a pseudonym.
    let stored = serde_json::to_string(&ledger.events().unwrap()).unwrap();
    assert!(!stored.contains(ADULT) && !stored.contains(&child));
}

#[test]
fn an_invalid_national_id_is_a_specific_error_and_changes_nothing() {
    let ledger = ledger();
    let json = grant_json(
        "15038510191",
        &["nav"],
        &["case_handling"],
        &["name"],
        false,
    );
    let err = ledger.parse_grant(&json.to_string()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidNationalId);
    assert!(!err.message().contains("15038510191"));
    assert_eq!(crate::common::recorded(&ledger), 0);
}

#[test]
fn an_unknown_code_is_a_specific_error_and_changes_nothing() {
    let ledger = ledger();
    let json = grant_json(ADULT, &["nav"], &["case_handling"], &["shoe_size"], false);
    let err = ledger.grant(&parse(&ledger, &json), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownCode);
    assert!(err.message().contains("`shoe_size`"));
    let s = subject(&ledger, ADULT);
    let err = ledger
        .decide_with(&s, "the_press", "case_handling", &["name"], at(2026, 3, 1))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownCode);
    assert_eq!(crate::common::recorded(&ledger), 0);
}

#[test]
fn valid_until_before_valid_from_is_a_specific_error_and_changes_nothing() {
    let ledger = ledger();
    let mut json = grant_json(ADULT, &["nav"], &["case_handling"], &["name"], false);
    json["valid_until"] = "2025-12-31T00:00:00Z".into();
    let err = ledger.grant(&parse(&ledger, &json), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("valid_until"));
    assert_eq!(crate::common::recorded(&ledger), 0);
}

#[test]
fn withdrawing_an_unknown_grant_is_not_found_and_changes_nothing() {
    let ledger = ledger();
    let unknown: GrantId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    let err = ledger
        .withdraw(unknown, at(2026, 3, 1), &actor(), None)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(crate::common::recorded(&ledger), 0);
}

#[test]
fn withdrawing_twice_is_a_conflict_and_changes_nothing() {
    let ledger = ledger();
    let json = grant_json(ADULT, &["nav"], &["case_handling"], &["name"], false);
    let id = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    ledger.withdraw(id, at(2026, 3, 1), &actor(), None).unwrap();
    let err = ledger
        .withdraw(id, at(2026, 3, 2), &actor(), None)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(crate::common::recorded(&ledger), 2);
}

#[test]
fn a_disclosure_is_recorded_only_with_a_permitting_decision() {
    let ledger = ledger();
    let request = DisclosureRequest::new(
        subject(&ledger, ADULT),
        "nav",
        "employment_followup",
        &["name", "finances"],
        at(2026, 3, 1),
    )
    .unwrap();
    let err = ledger.record_disclosure(&request, &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotPermitted);
    assert!(
        err.message().contains("finances: denied, no_basis"),
        "{}",
        err.message()
    );
    assert_eq!(crate::common::recorded(&ledger), 0);

    let json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    let id = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let decision = ledger.record_disclosure(&request, &actor()).unwrap();
    assert!(decision.permitted());
    let events = crate::common::recorded_events(&ledger);
    let last = events.last().unwrap();
    match &last.payload {
        consent_core::EventPayload::DisclosureRecorded(d) => {
            assert_eq!(
                d.bases[0].rule.as_ref().unwrap().as_str(),
                "nav_introduction"
            );
            assert_eq!(d.bases[1].grant_id, Some(id));
        }
        other => panic!("unexpected {other:?}"),
    }
}
