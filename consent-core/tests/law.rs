//! The law as data, version 2 (part 1): two gates on every basis, conditional statutes, no
//! consent where a statute is the basis, no retroactive consent, statistics by whole periods.
//! One test per acceptance case, with subject 15038510190 and the default catalogue.

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use consent_core::{
    Assertion, Basis, DenialReason, DisclosureRequest, ErrorCode, EventPayload, StatisticsQuery,
};

#[expect(clippy::unwrap_used, reason = "a constant instant")]
fn march_first() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

#[test]
fn the_duty_to_inform_barnevern_needs_an_asserted_condition() {
    let ledger = ledger();
    let s = subject(&ledger, ADULT);
    let categories = ["name", "family"];
    let routine = ledger
        .decide_with(
            &s,
            "barnevern",
            "child_welfare_followup",
            &categories,
            march_first(),
        )
        .unwrap();
    assert!(!routine.permitted());
    assert!(
        routine
            .outcomes()
            .all(|o| o.result == Err(DenialReason::ConditionNotAsserted))
    );

    let concern = vec![Assertion::new("serious_concern", "2026/55").unwrap()];
    let decision = ledger
        .decide_asserted(
            &s,
            "barnevern",
            "child_welfare_followup",
            &categories,
            &concern,
            march_first(),
        )
        .unwrap();
    assert!(decision.permitted());
    let outcome = decision.outcomes().next().unwrap();
    assert!(
        matches!(outcome.result, Ok(Basis::Statute(rule)) if rule.code.as_str() == "barnevern_duty")
    );
    assert_eq!(
        outcome.condition.map(|c| c.as_str()),
        Some("serious_concern")
    );
    let json: serde_json::Value = serde_json::from_str(&decision.to_json()).unwrap();
    assert_eq!(
        json["categories"][0]["basis"]["condition"],
        "serious_concern"
    );

    // A recorded disclosure carries the assertion, and each basis its condition.
    let request = DisclosureRequest::new(
        s,
        "barnevern",
        "child_welfare_followup",
        &categories,
        march_first(),
    )
    .unwrap()
    .with_assertions(concern.clone());
    ledger.record_disclosure(&request, &actor()).unwrap();
    let events = crate::common::recorded_events(&ledger);
    let EventPayload::DisclosureRecorded(disclosure) = &events[0].payload else {
        panic!("{:?}", events[0].payload);
    };
    assert_eq!(disclosure.assertions, concern);
    assert!(
        disclosure
            .bases
            .iter()
            .all(|b| b.condition.as_ref().map(|c| c.as_str()) == Some("serious_concern"))
    );
    // The person's export shows the assertion with its reference.
    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap();
    assert_eq!(export.disclosures[0].assertions, concern);

    // An unknown condition is an unknown code; nothing is recorded.
    let rumour = [Assertion::new("rumour", "2026/56").unwrap()];
    let err = ledger
        .decide_asserted(
            &subject(&ledger, ADULT),
            "barnevern",
            "child_welfare_followup",
            &categories,
            &rumour,
            march_first(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownCode);
}

#[test]
fn the_benefit_rests_on_integreringsloven_41_and_fvl_13b_3_lifts_confidentiality() {
    let ledger = ledger();
    let decision = ledger
        .decide_with(
            &subject(&ledger, ADULT),
            "okonomiavdelingen",
            "introduction_benefit",
            &["finances"],
            march_first(),
        )
        .unwrap();
    assert!(decision.permitted());
    let outcome = decision.outcomes().next().unwrap();
    let gates = outcome.gates.unwrap();
    assert_eq!(gates.art6.as_str(), "A6_1_e");
    assert_eq!(gates.statute, Some("integreringsloven § 41"));
    assert_eq!(gates.confidentiality_exception.as_str(), "fvl_13b_3");
    assert_eq!(
        gates.confidentiality_statute,
        Some("forvaltningsloven § 13 b nr. 3")
    );
    let json: serde_json::Value = serde_json::from_str(&decision.to_json()).unwrap();
    let basis = &json["categories"][0]["basis"];
    assert_eq!(basis["statute"], "integreringsloven § 41");
    assert_eq!(basis["confidentiality_exception"], "fvl_13b_3");
}

#[test]
fn consent_to_the_learning_centre_waives_confidentiality_on_the_purposes_statute() {
    let ledger = ledger();
    let grant = grant_json(
        ADULT,
        &["laeringssenteret"],
        &["language_training"],
        &["health"],
        true,
    );
    let id = ledger.grant(&parse(&ledger, &grant), &actor()).unwrap();
    let decision = ledger
        .decide_with(
            &subject(&ledger, ADULT),
            "laeringssenteret",
            "language_training",
            &["health"],
            march_first(),
        )
        .unwrap();
    assert!(decision.permitted());
    let outcome = decision.outcomes().next().unwrap();
    assert!(matches!(outcome.result, Ok(Basis::Consent { grant, explicit: true }) if grant == id));
    let gates = outcome.gates.unwrap();
    // The confidentiality gate: the consent (fvl § 13 a nr. 1).
    assert_eq!(gates.confidentiality_exception.as_str(), "fvl_13a_1");
    assert_eq!(
        gates.confidentiality_statute,
        Some("forvaltningsloven § 13 a nr. 1")
    );
    // The GDPR gate: what the catalogue declares for language_training, and explicit consent
    // admits the special category. Not a hard-coded Art. 6(1)(a).
    assert_eq!(gates.art6.as_str(), "A6_1_e");
    assert_eq!(gates.statute, Some("integreringsloven § 41"));
    assert_eq!(gates.art9.map(|a| a.as_str()), Some("A9_2_a"));
    let export = ledger
        .subject_export(
            &subject(&ledger, ADULT),
            &crate::common::actor(),
            crate::common::LOOKUP,
        )
        .unwrap();
    assert_eq!(export.consent_records[0].lawful_basis, ["A6_1_e", "A9_2_a"]);
}

#[test]
fn no_consent_is_asked_where_a_statute_is_the_basis() {
    let ledger = ledger();
    let grant = grant_json(ADULT, &["nir"], &["nir_registration"], &["name"], false);
    let err = ledger.grant(&parse(&ledger, &grant), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.message().contains("`nir_registration`"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("`name`"), "{}", err.message());
    assert_eq!(crate::common::recorded(&ledger), 0);
    // A conditional rule is not such coverage: lesser concerns need consent.
    let lesser = grant_json(
        ADULT,
        &["barnevern"],
        &["child_welfare_followup"],
        &["family"],
        false,
    );
    ledger.grant(&parse(&ledger, &lesser), &actor()).unwrap();
}

#[test]
fn consent_is_not_given_after_the_fact_but_withdrawn_at_any_time() {
    let ledger = ledger();
    let now = recorded_at();
    let grant_from = |days: i64| {
        let mut json = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
        json["valid_from"] = serde_json::to_value(now - Duration::days(days)).unwrap();
        parse(&ledger, &json)
    };
    let err = ledger.grant(&grant_from(40), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("30 days"), "{}", err.message());
    assert_eq!(crate::common::recorded(&ledger), 0);
    ledger.grant(&grant_from(10), &actor()).unwrap();

    // A grant recorded 45 days ago is withdrawn now for an instant 40 days ago.
    ledger.set_clock(now - Duration::days(45)).unwrap();
    let old = ledger.grant(&grant_from(45), &actor()).unwrap();
    ledger.set_clock(now).unwrap();
    ledger
        .withdraw(
            old,
            now - Duration::days(40),
            &actor(),
            Some("told us in February"),
        )
        .unwrap();
    assert_eq!(crate::common::recorded(&ledger), 3);
}

#[test]
fn statistics_are_asked_for_by_whole_periods() {
    let ledger = ledger();
    for day in 10..16 {
        let person = national_id(&format!("{day}0280"), "12");
        let json = grant_json(&person, &["nav"], &["case_handling"], &["family"], false);
        ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    }
    // An arbitrary window is refused.
    let window = StatisticsQuery::from_json(r#"{"from": "2026-01-10T00:00:00Z"}"#).unwrap();
    assert_eq!(
        ledger.statistics(&window, &auditor()).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    let month = StatisticsQuery::from_json(r#"{"from": "2026-01"}"#).unwrap();
    assert_eq!(
        ledger.statistics(&month, &auditor()).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    // By the catalogue's period (a quarter): the rows, as before.
    let quarter = StatisticsQuery::from_json(r#"{"from": "2026-Q1", "to": "2026-Q1"}"#).unwrap();
    let stats = ledger.statistics(&quarter, &auditor()).unwrap();
    assert_eq!(stats.periods, ["2026-Q1"]);
    assert_eq!(stats.rows.len(), 1);
    assert_eq!(stats.rows[0].grants, Some(6));
    assert_eq!(stats.totals[0].grants, Some(6));
}

/// The differencing attacks of DOMAIN's review: two overlapping windows subtracted, and a
/// period's total minus its visible cells. Neither gives away a suppressed count.
#[test]
fn no_answer_can_be_subtracted_from_another_to_single_a_person_out() {
    let ledger = ledger();
    let (q1, q2) = (
        recorded_at(),
        "2026-04-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap(),
    );
    let mut people = 0;
    for (when, recipients, count) in [
        (q1, "nav", 7),
        (q1, "bufetat", 1),
        (q2, "nav", 6),
        (q2, "imdi", 2),
    ] {
        ledger.set_clock(when).unwrap();
        for _ in 0..count {
            people += 1;
            let person = national_id(&format!("{:02}0180", people), "12");
            let mut json = grant_json(
                &person,
                &[recipients],
                &["case_handling"],
                &["family"],
                false,
            );
            json["valid_from"] = serde_json::to_value(when).unwrap();
            ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
        }
    }
    ledger
        .set_clock("2026-07-01T10:00:00Z".parse().unwrap())
        .unwrap();
    let ask = |json: &str| {
        ledger
            .statistics(&StatisticsQuery::from_json(json).unwrap(), &auditor())
            .unwrap()
    };
    // Windows are whole quarters: every answer shows a quarter's cells exactly as any other
    // answer does, so subtracting two answers leaves whole quarters, never one event.
    let both = ask(r#"{"from": "2026-Q1", "to": "2026-Q2"}"#);
    for single in [
        ask(r#"{"from": "2026-Q1", "to": "2026-Q1"}"#),
        ask(r#"{"from": "2026-Q2", "to": "2026-Q2"}"#),
    ] {
        let period = &single.periods[0];
        let rows: Vec<_> = both.rows.iter().filter(|r| &r.period == period).collect();
        assert_eq!(rows, single.rows.iter().collect::<Vec<_>>());
    }
    // A total minus its visible cells never pins a suppressed cell down: either the total is
    // hidden, or at least two cells are, and they do not all have to be 1.
    for total in &both.totals {
        let rows: Vec<_> = both
            .rows
            .iter()
            .filter(|r| r.period == total.period)
            .collect();
        let hidden = rows.iter().filter(|r| r.grants.is_none()).count() as u64;
        if let Some(sum) = total.grants {
            let visible: u64 = rows.iter().filter_map(|r| r.grants).sum();
            assert!(hidden != 1, "{total:?} {rows:?}");
            assert!(hidden == 0 || sum - visible != hidden, "{total:?} {rows:?}");
        }
    }
    // The single person sent to bufetat in Q1 is never shown.
    assert!(
        both.rows
            .iter()
            .filter(|r| r.recipient.as_str() == "bufetat")
            .all(|r| r.grants.is_none())
    );
}
