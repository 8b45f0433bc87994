//! Deviations (issue 17 item 6): disclosures recorded before the ledger learnt something that
//! makes them unlawful at their instant: a backdated withdrawal, a restriction or an objection
//! dated back before them. Exactly those are listed, with the reason, never the others.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use chrono::{DateTime, Utc};
use consent_core::{DenialReason, DisclosureRequest, ErrorCode, RestrictionGround};

use crate::common::{ADULT, actor, grant_json, ledger, national_id, parse, subject};

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn deviations_are_exactly_the_disclosures_that_later_records_make_unlawful() {
    let ledger = ledger();
    let adult = subject(&ledger, ADULT);
    let other_number = national_id("010190", "12");
    let other = subject(&ledger, &other_number);
    let json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    let grant = ledger.grant(&parse(&ledger, &json), &actor()).unwrap();
    let disclose = |who: &consent_core::NationalId, recipient, purpose, category, at: &str| {
        let at = instant(at);
        ledger.set_clock(at).unwrap();
        let request =
            DisclosureRequest::new(who.clone(), recipient, purpose, &[category], at).unwrap();
        ledger.record_disclosure(&request, &actor()).unwrap();
    };
    // Consent: one disclosure before the withdrawal's instant, one after it.
    disclose(
        &adult,
        "nav",
        "employment_followup",
        "finances",
        "2026-01-10T10:00:00Z",
    );
    disclose(
        &adult,
        "nav",
        "employment_followup",
        "finances",
        "2026-01-20T10:00:00Z",
    );
    // Statute: the other person's data to IMDi, before and after a restriction's start; the
    // adult's to NAV for the introduction programme, before an objection dated back.
    disclose(&other, "imdi", "settlement", "name", "2026-01-21T10:00:00Z");
    disclose(&other, "imdi", "settlement", "name", "2026-01-26T10:00:00Z");
    disclose(
        &adult,
        "nav",
        "introduction_programme",
        "name",
        "2026-01-27T10:00:00Z",
    );
    assert!(
        ledger
            .deviations(instant("2026-01-01T00:00:00Z"))
            .unwrap()
            .is_empty()
    );

    // What the ledger learns on 1 February: a withdrawal letter dated 15 January, a
    // restriction the other person asked for on 25 January, the adult's objection of 27 January.
    ledger.set_clock(instant("2026-02-01T10:00:00Z")).unwrap();
    ledger
        .withdraw(grant, instant("2026-01-15T00:00:00Z"), &actor(), None)
        .unwrap();
    ledger
        .restrict(
            &other,
            RestrictionGround::Accuracy,
            instant("2026-01-25T00:00:00Z"),
            &actor(),
        )
        .unwrap();
    ledger
        .object(
            &adult,
            "introduction_programme",
            instant("2026-01-27T00:00:00Z"),
            &actor(),
        )
        .unwrap();

    let deviations = ledger.deviations(instant("2026-01-01T00:00:00Z")).unwrap();
    let found: Vec<_> = deviations
        .iter()
        .map(|d| {
            (
                d.recipient.as_str().to_owned(),
                d.at,
                d.categories
                    .iter()
                    .map(|c| (c.category.as_str().to_owned(), c.reason))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "nav".to_owned(),
                instant("2026-01-20T10:00:00Z"),
                vec![("finances".to_owned(), DenialReason::Withdrawn)]
            ),
            (
                "imdi".to_owned(),
                instant("2026-01-26T10:00:00Z"),
                vec![("name".to_owned(), DenialReason::Restricted)]
            ),
            (
                "nav".to_owned(),
                instant("2026-01-27T10:00:00Z"),
                vec![("name".to_owned(), DenialReason::Objected)]
            ),
        ]
    );
    assert_eq!(deviations[0].subject, ledger.pseudonym(&adult));
    assert_eq!(deviations[1].subject, ledger.pseudonym(&other));
    assert_eq!(
        deviations[0].recorded_at,
        instant("2026-01-20T10:00:00Z"),
        "recorded when it was disclosed"
    );
    // The JSON names pseudonyms, never ids.
    let json = serde_json::to_string(&deviations).unwrap();
    assert!(!json.contains(ADULT) && !json.contains(&other_number));
    assert!(json.contains("\"reason\":\"withdrawn\""));

    // `since` counts from when a disclosure was recorded.
    assert_eq!(
        ledger
            .deviations(instant("2026-01-26T00:00:00Z"))
            .unwrap()
            .len(),
        2
    );
    assert!(
        ledger
            .deviations(instant("2026-02-02T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ledger
            .deviations(DateTime::<Utc>::MAX_UTC)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}
