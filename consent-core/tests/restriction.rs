//! The law as data, version 2 (part 2): restriction (GDPR Art. 18), erasure against the
//! archival duty (Art. 17(3), arkivlova 2025 § 5), objection (Art. 21) and access for
//! everyone. One test per acceptance case of issue 16, with A = 15038510190 (an adult), the
//! default catalogue (or it with a finite retention where kassasjon must become due), times
//! UTC, and the ledger's clock set (test mode).

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use crate::common::*;
use chrono::{DateTime, Utc};
use consent_core::{
    DenialReason, DisclosureRequest, ErasureOutcome, ErrorCode, Ledger, LedgerOptions, MEMORY_PATH,
    ObjectionOutcome, RESTRICTION_V1, RestrictionGround, RestrictionRecord,
};

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn ledger_with(options: LedgerOptions) -> Ledger {
    Ledger::open(MEMORY_PATH, options).unwrap()
}

fn grant_for(ledger: &Ledger, recipient: &str, purpose: &str, category: &str, explicit: bool) {
    let json = grant_json(ADULT, &[recipient], &[purpose], &[category], explicit);
    ledger.grant(&parse(ledger, &json), &actor()).unwrap();
}

#[test]
fn erasure_withdraws_restricts_and_waits_for_the_retention_before_kassasjon() {
    let ledger = ledger_with(kassasjon_options());
    let a = subject(&ledger, ADULT);
    grant_for(
        &ledger,
        "helsetjenesten",
        "health_coordination",
        "health",
        true,
    );
    let at = instant("2026-02-01T10:00:00Z");
    let request = DisclosureRequest::new(
        a.clone(),
        "helsetjenesten",
        "health_coordination",
        &["health"],
        at,
    )
    .unwrap();
    ledger.set_clock(at).unwrap();
    ledger.record_disclosure(&request, &actor()).unwrap();

    ledger.set_clock(instant("2026-03-01T00:00:00Z")).unwrap();
    let outcome = ledger.request_erasure(&a, &dpo()).unwrap();
    let ErasureOutcome::Restricted {
        withdrawn,
        kassasjon_due_at,
        ..
    } = &outcome
    else {
        panic!("not restricted: {outcome:?}");
    };
    assert_eq!(withdrawn.len(), 1);
    // One year (this catalogue) from the last case event: the withdrawal.
    assert_eq!(
        *kassasjon_due_at,
        Some(instant("2027-03-01T00:00:00Z")),
        "{outcome:?}"
    );

    let export = ledger
        .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "restricted");
    assert_eq!(export["disclosures"].as_array().unwrap().len(), 1);
    let withdrawal = &export["consent_records"][0]["events"][1];
    assert_eq!(withdrawal["event_type"], "withdrawn", "{withdrawal}");
    assert_eq!(withdrawal["effective_at"], "2026-03-01T00:00:00Z");
    assert_eq!(withdrawal["reason"], "erasure_request");
    assert_eq!(export["restrictions"][0]["ground"], "erasure_request");

    let decision = ledger
        .decide_with(
            &a,
            "helsetjenesten",
            "health_coordination",
            &["health"],
            instant("2026-03-02T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(decision.denial(), Some(DenialReason::Withdrawn));

    let count = ledger.event_count();
    let early = ledger.execute_kassasjon(&a, &archivist()).unwrap_err();
    assert_eq!(early.code(), ErrorCode::NotPermitted, "{}", early.message());
    assert_eq!(
        ledger.event_count(),
        count,
        "a refused kassasjon writes nothing"
    );
    assert!(
        ledger
            .erasure_due(instant("2027-02-28T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ledger
            .erasure_due(instant("2027-03-01T00:00:00Z"))
            .unwrap()
            .len(),
        1
    );

    ledger.set_clock(instant("2027-03-02T00:00:00Z")).unwrap();
    let shredded = ledger.execute_kassasjon(&a, &archivist()).unwrap();
    assert!(
        matches!(shredded, ErasureOutcome::Erased { .. }),
        "{shredded:?}"
    );
    assert!(ledger.verify().unwrap().ok);
    assert_eq!(
        ledger
            .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
            .unwrap()
            .to_value()
            .unwrap()["status"],
        "erased"
    );
    assert!(
        ledger
            .erasure_due(instant("2030-01-01T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_default_catalogue_keeps_the_records_for_good() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    grant_for(&ledger, "nav", "employment_followup", "finances", false);
    let outcome = ledger.request_erasure(&a, &dpo()).unwrap();
    assert!(
        matches!(
            outcome,
            ErasureOutcome::Restricted {
                kassasjon_due_at: None,
                ..
            }
        ),
        "{outcome:?}"
    );
    ledger.set_clock(instant("2090-01-01T00:00:00Z")).unwrap();
    assert_eq!(
        ledger
            .execute_kassasjon(&a, &archivist())
            .unwrap_err()
            .code(),
        ErrorCode::NotPermitted
    );
    assert_eq!(
        ledger.request_erasure(&a, &dpo()).unwrap_err().code(),
        ErrorCode::Conflict,
        "asked twice"
    );
}

#[test]
fn a_restriction_lets_consent_through_stops_statutes_and_can_be_lifted() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    grant_for(&ledger, "nav", "employment_followup", "finances", false);
    ledger.set_clock(instant("2026-03-01T10:00:00Z")).unwrap();
    ledger
        .restrict(
            &a,
            RestrictionGround::parse("A18_1_a").unwrap(),
            instant("2026-03-01T10:00:00Z"),
            &actor(),
        )
        .unwrap();
    let during = instant("2026-03-05T10:00:00Z");
    let consent = |at| {
        ledger
            .decide_with(&a, "nav", "employment_followup", &["finances"], at)
            .unwrap()
    };
    let statute = |at| {
        ledger
            .decide_with(&a, "imdi", "settlement", &["name"], at)
            .unwrap()
    };
    assert!(consent(during).permitted(), "Art. 18(2): with consent");
    assert_eq!(statute(during).denial(), Some(DenialReason::Restricted));
    assert!(
        statute(instant("2026-02-28T10:00:00Z")).permitted(),
        "before the restriction"
    );
    // A rule the catalogue marks continues_under_restriction.
    assert!(
        ledger
            .decide_with(&a, "nir", "nir_registration", &["name"], during)
            .unwrap()
            .permitted()
    );
    assert_eq!(
        ledger
            .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
            .unwrap()
            .to_value()
            .unwrap()["status"],
        "restricted"
    );

    ledger
        .lift_restriction(
            &a,
            instant("2026-03-10T10:00:00Z"),
            &dpo(),
            "the accuracy was verified",
        )
        .unwrap();
    assert!(statute(instant("2026-03-11T10:00:00Z")).permitted());
    assert_eq!(
        statute(during).denial(),
        Some(DenialReason::Restricted),
        "history stands"
    );
    let export = ledger
        .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "active");
    assert_eq!(export["restrictions"][0]["ground"], "A18_1_a");
    assert_eq!(
        export["restrictions"][0]["lifted"]["reason"],
        "the accuracy was verified"
    );
}

#[test]
fn an_objection_stops_the_public_task_until_it_is_rejected() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    let nav = |at| {
        ledger
            .decide_with(&a, "nav", "introduction_programme", &["name"], at)
            .unwrap()
    };
    ledger.set_clock(instant("2026-03-01T10:00:00Z")).unwrap();
    let objection = ledger
        .object(
            &a,
            "introduction_programme",
            instant("2026-03-01T10:00:00Z"),
            &actor(),
        )
        .unwrap();
    assert_eq!(
        nav(instant("2026-03-02T10:00:00Z")).denial(),
        Some(DenialReason::Objected)
    );
    // Another purpose of the same rule is not objected to.
    assert!(
        ledger
            .decide_with(
                &a,
                "nav",
                "employment_followup",
                &["name"],
                instant("2026-03-02T10:00:00Z")
            )
            .unwrap()
            .permitted()
    );
    ledger
        .resolve_objection(
            objection,
            ObjectionOutcome::parse("rejected").unwrap(),
            instant("2026-03-05T10:00:00Z"),
            &dpo(),
            "vedtak 2026/90: compelling grounds",
        )
        .unwrap();
    assert!(nav(instant("2026-03-06T10:00:00Z")).permitted());
    let export = ledger
        .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["objections"][0]["purpose"], "introduction_programme");
    assert_eq!(export["objections"][0]["resolution"]["outcome"], "rejected");
}

#[test]
fn an_objection_stops_a_consent_that_only_waives_confidentiality_not_one_that_is_the_basis() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    grant_for(&ledger, "nav", "employment_followup", "finances", false);
    ledger.set_clock(instant("2026-03-01T10:00:00Z")).unwrap();
    ledger
        .object(
            &a,
            "employment_followup",
            instant("2026-03-01T10:00:00Z"),
            &actor(),
        )
        .unwrap();
    let decision = ledger
        .decide_with(
            &a,
            "nav",
            "employment_followup",
            &["finances"],
            instant("2026-03-02T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(decision.denial(), Some(DenialReason::Objected));
    // A purpose where consent is the basis (Art. 6(1)(a)) has nothing to object to.
    let count = ledger.event_count();
    let err = ledger
        .object(&a, "statistics", instant("2026-03-01T10:00:00Z"), &actor())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err.message());
    assert_eq!(ledger.event_count(), count);
}

#[test]
fn an_access_request_from_someone_unknown_is_answered() {
    let ledger = ledger_with(options());
    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "nothing_held");
    assert!(!export.to_string().contains(ADULT));
    // The look-up itself is all that is recorded, and the export lists it.
    assert_eq!(recorded(&ledger), 1);
    assert_eq!(export["accesses"][0]["operation"], "export");
    assert_eq!(export["accesses"][0]["role"], "case_worker");
}

#[test]
fn bad_input_to_the_new_rights_is_refused_and_changes_nothing() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    let at = instant("2026-03-01T10:00:00Z");
    ledger.set_clock(at).unwrap();
    assert_eq!(
        RestrictionGround::parse("A18_1_x").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        ObjectionOutcome::parse("maybe").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        ledger
            .restrict(&a, RestrictionGround::ErasureRequest, at, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        ledger
            .lift_restriction(&a, at, &dpo(), "nothing to lift")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        ledger
            .object(&a, "no_such_purpose", at, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::UnknownCode
    );
    assert_eq!(
        ledger
            .resolve_objection(uuid::Uuid::nil(), ObjectionOutcome::Upheld, at, &dpo(), "x")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(recorded(&ledger), 0);
    ledger
        .restrict(&a, RestrictionGround::Accuracy, at, &actor())
        .unwrap();
    let count = ledger.event_count();
    assert_eq!(
        ledger
            .restrict(&a, RestrictionGround::Accuracy, at, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    assert_eq!(
        ledger
            .lift_restriction(&a, instant("2026-02-01T10:00:00Z"), &dpo(), "early")
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput,
        "a lift before the restriction"
    );
    assert_eq!(
        ledger
            .lift_restriction(&a, at, &dpo(), &"x".repeat(2000))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(ledger.event_count(), count);
}

/// Events written by version 0.1 keep their meaning: its restriction record has no version,
/// and reads as 0.1's restriction (consent stopped).
#[test]
fn a_restriction_recorded_by_0_1_reads_with_its_meaning() {
    let record: RestrictionRecord = serde_json::from_str(
        r#"{"at": "2026-04-01T00:00:00Z", "rules": ["nir_registration"], "statutes": ["integreringsloven § 43"]}"#,
    )
    .unwrap();
    assert_eq!(record.version, RESTRICTION_V1);
    assert_eq!(record.ground, None);
}

#[test]
fn recipients_and_the_person_are_told_of_changes_until_it_is_recorded() {
    let ledger = ledger_with(kassasjon_options());
    let a = subject(&ledger, ADULT);
    let at = instant("2026-02-01T10:00:00Z");
    for (recipient, purpose) in [("imdi", "settlement"), ("nir", "nir_registration")] {
        let request = DisclosureRequest::new(a.clone(), recipient, purpose, &["name"], at).unwrap();
        ledger.record_disclosure(&request, &actor()).unwrap();
    }
    ledger.set_clock(instant("2026-03-01T10:00:00Z")).unwrap();
    ledger
        .restrict(
            &a,
            RestrictionGround::Accuracy,
            instant("2026-03-01T10:00:00Z"),
            &actor(),
        )
        .unwrap();
    let tasks = ledger
        .notifications_due(instant("2026-03-02T00:00:00Z"))
        .unwrap();
    let told: Vec<_> = tasks
        .iter()
        .map(|t| t.recipient.as_ref().map(|c| c.as_str().to_owned()))
        .collect();
    assert_eq!(
        told,
        vec![Some("imdi".to_owned()), Some("nir".to_owned())],
        "Art. 19: every recipient"
    );
    // Before the restriction was recorded there was nothing to tell.
    assert!(
        ledger
            .notifications_due(instant("2026-02-15T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
    let restriction = tasks[0].event_id;
    let count = ledger.event_count();
    assert_eq!(
        ledger
            .record_notification(restriction, Some("no_such"), at, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::UnknownCode
    );
    assert_eq!(
        ledger
            .record_notification(restriction, Some("nav"), at, &actor())
            .unwrap_err()
            .code(),
        ErrorCode::NotFound,
        "NAV received nothing"
    );
    assert_eq!(ledger.event_count(), count);
    for recipient in ["imdi", "nir"] {
        ledger
            .record_notification(
                restriction,
                Some(recipient),
                instant("2026-03-01T12:00:00Z"),
                &actor(),
            )
            .unwrap();
    }
    assert!(
        ledger
            .notifications_due(instant("2026-03-02T00:00:00Z"))
            .unwrap()
            .is_empty()
    );

    // Lifting: the person is told first (Art. 18(3)).
    ledger
        .lift_restriction(&a, instant("2026-03-05T10:00:00Z"), &dpo(), "verified")
        .unwrap();
    let tasks = ledger
        .notifications_due(instant("2026-03-06T00:00:00Z"))
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].recipient, None);
    assert_eq!(
        serde_json::to_value(tasks[0].reason).unwrap(),
        "restriction_lifted"
    );
    ledger
        .record_notification(
            tasks[0].event_id,
            None,
            instant("2026-03-05T09:00:00Z"),
            &actor(),
        )
        .unwrap();

    // Kassasjon: the recipients are told, though the disclosures can no longer be read.
    let outcome = erase_by_kassasjon(&ledger, &a);
    assert!(matches!(outcome, ErasureOutcome::Erased { .. }));
    let tasks = ledger.notifications_due(ledger.now()).unwrap();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert!(
        tasks
            .iter()
            .all(|t| serde_json::to_value(t.reason).unwrap() == "erasure")
    );
    assert!(ledger.verify().unwrap().ok);
}

/// Review finding: lifting an Art. 18(1) restriction must not end the restriction an erasure
/// request put in place (only kassasjon ends that).
#[test]
fn a_lift_leaves_an_erasure_requests_restriction_in_place() {
    let ledger = ledger_with(kassasjon_options());
    let a = subject(&ledger, ADULT);
    grant_for(&ledger, "nav", "employment_followup", "finances", false);
    ledger.set_clock(instant("2026-03-01T00:00:00Z")).unwrap();
    ledger.request_erasure(&a, &dpo()).unwrap();
    ledger
        .restrict(
            &a,
            RestrictionGround::Accuracy,
            instant("2026-03-01T00:00:00Z"),
            &actor(),
        )
        .unwrap();
    ledger
        .lift_restriction(&a, instant("2026-03-03T00:00:00Z"), &dpo(), "verified")
        .unwrap();
    let statute = ledger
        .decide_with(
            &a,
            "imdi",
            "settlement",
            &["name"],
            instant("2026-03-04T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(statute.denial(), Some(DenialReason::Restricted));
    let export = ledger
        .subject_export(&a, &crate::common::actor(), crate::common::LOOKUP)
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(export["status"], "restricted");
    assert!(export["restrictions"][0].get("lifted").is_none());
    assert!(export["restrictions"][1].get("lifted").is_some());
    // Nothing left to lift; kassasjon still comes when the retention ends.
    assert_eq!(
        ledger
            .lift_restriction(&a, instant("2026-03-05T00:00:00Z"), &dpo(), "again")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        ledger
            .erasure_due(instant("2027-03-02T00:00:00Z"))
            .unwrap()
            .len(),
        1
    );
}

/// Review finding: Art. 18(2) lets processing continue with consent, also where a statute
/// stopped by the restriction would otherwise have covered the category.
#[test]
fn under_a_restriction_a_consent_still_covers_a_category_a_stopped_rule_covers() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    // A paper consent migrated from before the rule: the only way a consent covers it.
    let dpo = consent_core::Actor::new("personvernombud", "dpo").unwrap();
    let json = grant_json(ADULT, &["imdi"], &["settlement"], &["name"], false);
    ledger
        .grant_historical(&[parse(&ledger, &json)], &dpo)
        .unwrap();
    ledger.set_clock(instant("2026-03-01T00:00:00Z")).unwrap();
    ledger
        .restrict(
            &a,
            RestrictionGround::Accuracy,
            instant("2026-03-01T00:00:00Z"),
            &actor(),
        )
        .unwrap();
    let at = instant("2026-03-02T00:00:00Z");
    let decision = ledger
        .decide_with(&a, "imdi", "settlement", &["name", "address"], at)
        .unwrap();
    let outcomes: Vec<_> = decision.outcomes().map(|o| o.result.is_ok()).collect();
    assert_eq!(
        outcomes,
        vec![true, false],
        "name by consent; address stopped"
    );
    assert_eq!(decision.denial(), Some(DenialReason::Restricted));
}

/// Review finding: retention counts from a grant's end as rectified, not as first recorded.
#[test]
fn retention_counts_from_a_rectified_end() {
    let ledger = ledger_with(kassasjon_options());
    let a = subject(&ledger, ADULT);
    let mut json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    json["valid_until"] = "2026-06-01T00:00:00Z".into();
    let grant = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let correction = consent_core::Correction::from_json(
        r#"{"field": "valid_until", "value": "2026-12-01T00:00:00Z"}"#,
    )
    .unwrap();
    ledger
        .rectify(&a, grant, correction, "the form said December", &actor())
        .unwrap();
    ledger.set_clock(instant("2027-01-01T00:00:00Z")).unwrap();
    let outcome = ledger.request_erasure(&a, &dpo()).unwrap();
    assert!(
        matches!(
            outcome,
            ErasureOutcome::Restricted {
                kassasjon_due_at: Some(due),
                ..
            } if due == instant("2027-12-01T00:00:00Z")
        ),
        "{outcome:?}"
    );
}

/// Review finding: the rights that stop processing are bound by the ledger's clock. A restriction
/// or an objection is never for the future nor further back than `max_backdating_days`; a lift
/// or a resolution never takes effect in the past (it would turn denials already given into
/// permits). Nothing is written when one is refused.
#[test]
fn the_instants_of_restrictions_objections_lifts_and_resolutions_are_bound_by_the_clock() {
    let ledger = ledger_with(options());
    let a = subject(&ledger, ADULT);
    let now = instant("2026-03-01T10:00:00Z");
    ledger.set_clock(now).unwrap();
    let refused = |result: consent_core::Result<_>, why: &str| {
        let err = result.map(|_| ()).unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::InvalidInput,
            "{why}: {}",
            err.message()
        );
    };
    let tomorrow = instant("2026-03-02T10:00:00Z");
    let long_ago = instant("2026-01-20T10:00:00Z"); // 40 days back; the catalogue allows 30
    refused(
        ledger.restrict(&a, RestrictionGround::Accuracy, tomorrow, &actor()),
        "a restriction for tomorrow",
    );
    refused(
        ledger.restrict(&a, RestrictionGround::Accuracy, long_ago, &actor()),
        "a restriction 40 days back",
    );
    refused(
        ledger.object(&a, "introduction_programme", tomorrow, &actor()),
        "an objection for tomorrow",
    );
    refused(
        ledger.object(&a, "introduction_programme", long_ago, &actor()),
        "an objection 40 days back",
    );
    assert_eq!(recorded(&ledger), 0);

    // Within the bounds: a restriction made a week ago, an objection a minute from now
    // (the host's clock may run a little ahead of the ledger's).
    let week_ago = instant("2026-02-22T10:00:00Z");
    ledger
        .restrict(&a, RestrictionGround::Accuracy, week_ago, &actor())
        .unwrap();
    let objection = ledger
        .object(
            &a,
            "introduction_programme",
            instant("2026-03-01T10:01:00Z"),
            &actor(),
        )
        .unwrap();
    let count = ledger.event_count();
    let yesterday = instant("2026-02-28T10:00:00Z");
    refused(
        ledger.lift_restriction(&a, yesterday, &dpo(), "verified"),
        "a lift in the past",
    );
    refused(
        ledger.resolve_objection(
            objection,
            ObjectionOutcome::Rejected,
            yesterday,
            &dpo(),
            "x",
        ),
        "a resolution in the past",
    );
    assert_eq!(ledger.event_count(), count);
    assert_eq!(
        ledger
            .decide_with(&a, "imdi", "settlement", &["name"], yesterday)
            .unwrap()
            .denial(),
        Some(DenialReason::Restricted),
        "the denial given yesterday stands"
    );

    // A lift for next week: the person is told before it takes effect (Art. 18(3)).
    let next_week = instant("2026-03-08T10:00:00Z");
    ledger
        .lift_restriction(&a, next_week, &dpo(), "the address was verified")
        .unwrap();
    let tasks = ledger.notifications_due(now).unwrap();
    let letter = tasks
        .iter()
        .find(|t| t.recipient.is_none())
        .expect("a letter to the person");
    assert_eq!(letter.before, Some(next_week));
    assert_eq!(
        serde_json::to_value(letter).unwrap()["before"],
        "2026-03-08T10:00:00Z"
    );
    assert_eq!(
        ledger
            .decide_with(
                &a,
                "imdi",
                "settlement",
                &["name"],
                instant("2026-03-05T10:00:00Z")
            )
            .unwrap()
            .denial(),
        Some(DenialReason::Restricted),
        "restricted until the lift takes effect"
    );
    assert!(
        ledger
            .decide_with(
                &a,
                "imdi",
                "settlement",
                &["name"],
                instant("2026-03-09T10:00:00Z")
            )
            .unwrap()
            .permitted()
    );
}
