//! Prepared requests (issue 19): the same answer as a request decided from its parts, for every
//! subject, instant and state, including under a catalogue adopted after the preparation.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use consent_core::{Assertion, DenialReason, ErrorCode, Ledger, NationalId};

use crate::catalogue_adoption::{NAV_FINANCES, dpo, extended};
use crate::common::{ADULT, actor, at, grant_json, ledger, national_id, parse, subject};

/// (recipient, purpose, categories, assertions): a statute, a consent, a conditional rule
/// with and without its condition, a special category, and a mix.
fn requests() -> Vec<(
    &'static str,
    &'static str,
    Vec<&'static str>,
    Vec<Assertion>,
)> {
    let concern = vec![Assertion::new("serious_concern", "2026/55").unwrap()];
    vec![
        (
            "nir",
            "nir_registration",
            vec!["name", "national_id"],
            vec![],
        ),
        ("imdi", "settlement", vec!["name"], vec![]),
        ("nav", "employment_followup", vec!["finances"], vec![]),
        (
            "nav",
            "employment_followup",
            vec!["finances", "name"],
            vec![],
        ),
        ("barnevern", "child_welfare_followup", vec!["name"], vec![]),
        ("barnevern", "child_welfare_followup", vec!["name"], concern),
        (
            "helsetjenesten",
            "health_coordination",
            vec!["health"],
            vec![],
        ),
    ]
}

fn people(ledger: &Ledger) -> Vec<NationalId> {
    let mut numbers = vec![ADULT.to_owned()];
    for day in 10..14 {
        numbers.push(national_id(&format!("{day}0385"), "10"));
    }
    numbers.iter().map(|n| subject(ledger, n)).collect()
}

#[test]
fn a_prepared_request_decides_as_the_request_from_its_parts() {
    let ledger = ledger();
    let people = people(&ledger);
    // The first person consents to NAV (finances) and to health coordination (explicit).
    let nav = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    let health = grant_json(
        ADULT,
        &["helsetjenesten"],
        &["health_coordination"],
        &["health"],
        true,
    );
    let nav_grant = ledger.grant(&parse(&ledger, &nav), &actor()).unwrap();
    ledger.grant(&parse(&ledger, &health), &actor()).unwrap();
    let prepared: Vec<_> = requests()
        .into_iter()
        .map(|(r, p, c, a)| (ledger.prepare(r, p, &c, &a).unwrap(), (r, p, c, a)))
        .collect();
    let check = |when| {
        for (request, (r, p, c, a)) in &prepared {
            let many = ledger.decide_prepared_many(request, &people, when).unwrap();
            for (person, from_many) in people.iter().zip(many) {
                let expected = ledger.decide_asserted(person, r, p, c, a, when).unwrap();
                let got = ledger.decide_prepared(request, person, when).unwrap();
                assert_eq!(got.to_json(), expected.to_json());
                assert_eq!(from_many.unwrap().to_json(), expected.to_json());
            }
        }
    };
    check(at(2026, 3, 1));
    // A change after the preparation is seen by the next decision.
    let before = ledger
        .decide_prepared(&prepared[2].0, &people[0], at(2026, 3, 1))
        .unwrap();
    assert!(before.permitted(), "{}", before.explain());
    ledger
        .withdraw(nav_grant, at(2026, 2, 1), &actor(), None)
        .unwrap();
    check(at(2026, 1, 20));
    check(at(2026, 3, 1));
    assert_eq!(
        ledger
            .decide_prepared(&prepared[2].0, &people[0], at(2026, 3, 1))
            .unwrap()
            .denial(),
        Some(DenialReason::Withdrawn)
    );
}

#[test]
fn a_prepared_request_refuses_what_the_request_would() {
    let ledger = ledger();
    let count = ledger.event_count();
    let code =
        |result: consent_core::Result<consent_core::PreparedRequest>| result.unwrap_err().code();
    let none: [&str; 0] = [];
    assert_eq!(
        code(ledger.prepare("nsa", "settlement", &["name"], &[])),
        ErrorCode::UnknownCode
    );
    assert_eq!(
        code(ledger.prepare("imdi", "holidays", &["name"], &[])),
        ErrorCode::UnknownCode
    );
    assert_eq!(
        code(ledger.prepare("imdi", "settlement", &["shoe_size"], &[])),
        ErrorCode::UnknownCode
    );
    assert_eq!(
        code(ledger.prepare("imdi", "settlement", &none, &[])),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        code(ledger.prepare("imdi", "settlement", &["name", "name"], &[])),
        ErrorCode::InvalidInput
    );
    let unknown_condition = [Assertion::new("curiosity", "2026/1").unwrap()];
    assert_eq!(
        code(ledger.prepare("imdi", "settlement", &["name"], &unknown_condition)),
        ErrorCode::UnknownCode
    );
    // At decision time: an instant out of range, a synthetic id outside test mode (for one
    // subject of many, in its own result).
    let request = ledger
        .prepare("nir", "nir_registration", &["name"], &[])
        .unwrap();
    let person = subject(&ledger, ADULT);
    let far = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    assert_eq!(
        ledger
            .decide_prepared(&request, &person, far)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
    // Month + 40: a synthetic number, parsed in test mode, decided by a production ledger.
    let options = consent_core::IdOptions {
        test_mode: true,
        ..Default::default()
    };
    let synthetic = NationalId::parse_with(&national_id("154385", "10"), options).unwrap();
    let many = ledger
        .decide_prepared_many(
            &request,
            &[person.clone(), synthetic.clone()],
            at(2026, 3, 1),
        )
        .unwrap();
    assert!(many[0].as_ref().unwrap().permitted());
    assert_eq!(
        many[1].as_ref().unwrap_err().code(),
        ErrorCode::InvalidNationalId
    );
    assert_eq!(
        ledger
            .decide_prepared(&request, &synthetic, at(2026, 3, 1))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidNationalId
    );
    assert_eq!(ledger.event_count(), count, "deciding writes nothing");
}

#[test]
fn a_prepared_request_follows_a_catalogue_adopted_after_it() {
    let ledger = ledger();
    let person = subject(&ledger, ADULT);
    let request = ledger
        .prepare("nav", "employment_followup", &["finances"], &[])
        .unwrap();
    ledger.set_clock(at(2026, 6, 1)).unwrap();
    ledger
        .adopt_catalogue(&extended("2027-01-01", NAV_FINANCES), &dpo())
        .unwrap();
    // Before the adoption, the old rules; from it on, the new rule; as decide_with says.
    for when in [at(2026, 3, 1), at(2026, 6, 2)] {
        let expected = ledger
            .decide_with(&person, "nav", "employment_followup", &["finances"], when)
            .unwrap();
        let got = ledger.decide_prepared(&request, &person, when).unwrap();
        assert_eq!(got.to_json(), expected.to_json());
        let many = ledger
            .decide_prepared_many(&request, std::slice::from_ref(&person), when)
            .unwrap();
        assert_eq!(many[0].as_ref().unwrap().to_json(), expected.to_json());
    }
    assert_eq!(
        ledger
            .decide_prepared(&request, &person, at(2026, 3, 1))
            .unwrap()
            .denial(),
        Some(DenialReason::NoBasis)
    );
    assert!(
        ledger
            .decide_prepared(&request, &person, at(2026, 6, 2))
            .unwrap()
            .permitted()
    );
}
