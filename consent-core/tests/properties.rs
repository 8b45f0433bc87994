//! Property tests: serde round-trips of the JSON contract, and Art. 7(3): a withdrawal never
//! changes a decision for an earlier instant.

use crate::common::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use consent_core::{Actor, Catalogue, Event, GrantRequest, Ledger};
use proptest::prelude::*;
use proptest::sample::subsequence;

fn catalogue_codes() -> (Vec<String>, Vec<String>, Vec<String>) {
    let c = Catalogue::embedded();
    (
        c.purposes().iter().map(|e| e.code.to_string()).collect(),
        c.recipients().iter().map(|e| e.code.to_string()).collect(),
        c.categories().iter().map(|e| e.code.to_string()).collect(),
    )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2021-01-01 .. 2031-01-01, to the microsecond.
    (0i64..315_360_000_000_000).prop_map(|us| {
        Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap() + Duration::microseconds(us)
    })
}

fn adults() -> Vec<String> {
    vec![
        ADULT.to_owned(),
        national_id("311299", "56"),
        national_id("290280", "12"),
        national_id("550385", "10"), // a D-nummer
    ]
}

prop_compose! {
    fn grant_json_strategy()(
        subject in proptest::sample::select(adults()),
        purposes in subsequence(catalogue_codes().0, 1..4),
        recipients in subsequence(catalogue_codes().1, 1..3),
        categories in subsequence(catalogue_codes().2, 1..5),
        explicit in any::<bool>(),
        from in instant(),
        length in proptest::option::of(1i64..100_000_000_000),
        verge in any::<bool>(),
        reference in "[A-Za-z0-9/ -]{1,30}",
        language in proptest::sample::select(vec!["ar", "ti", "uk", "nb", "so", "fa-AF"]),
        interpreter in any::<bool>(),
    ) -> serde_json::Value {
        // A grant that names a special category must be explicit to be recorded at all.
        let special = categories.iter().any(|c| ["health", "religion", "ethnic_origin"].contains(&c.as_str()));
        let explicit = explicit || special;
        let grantor = if verge {
            serde_json::json!({"role": "verge", "id": national_id("010170", "12"), "authority": "Statsforvalteren 2025/1"})
        } else {
            serde_json::json!({"role": "self"})
        };
        serde_json::json!({
            "version": 1,
            "subject": subject,
            "grantor": grantor,
            "purposes": purposes,
            "recipients": recipients,
            "categories": categories,
            "explicit": explicit,
            "valid_from": from,
            "valid_until": length.map(|l| from + Duration::microseconds(l)),
            "evidence": {"method": "digital_form", "reference": reference.trim().to_owned() + "x", "language": language, "interpreter": interpreter},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn grant_json_round_trips(json in grant_json_strategy()) {
        let request = GrantRequest::from_json(&json.to_string()).unwrap();
        let again = GrantRequest::from_json(&request.to_json().unwrap()).unwrap();
        prop_assert_eq!(&again, &request);
        let value: serde_json::Value = serde_json::from_str(&request.to_json().unwrap()).unwrap();
        prop_assert_eq!(value, json);
    }

    #[test]
    fn actor_round_trips(id in "[a-z][a-z0-9.-]{0,40}", role in "[a-z_]{1,20}") {
        let actor = Actor::new(&id, &role).unwrap();
        let json = serde_json::to_string(&actor).unwrap();
        prop_assert_eq!(serde_json::from_str::<Actor>(&json).unwrap(), actor.clone());
        prop_assert_eq!(Actor::from_json(&json).unwrap(), actor);
    }

    #[test]
    fn events_round_trip(json in grant_json_strategy()) {
        let ledger = ledger();
        let request = ledger.parse_grant(&json.to_string()).unwrap();
        // Recorded the moment it starts: never backdated.
        ledger.set_clock(request.valid_from).unwrap();
        // Refused where a statute already covers the scope, or a code is retired then.
        let Ok(id) = ledger.grant(&request, &actor()) else {
            return Ok(());
        };
        ledger.withdraw(id, request.valid_from + Duration::days(1), &actor(), Some("changed mind")).ok();
        for event in ledger.events().unwrap() {
            let text = serde_json::to_string(&event).unwrap();
            prop_assert!(!text.contains(&request.subject.expose()));
            prop_assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
        }
    }

    #[test]
    fn a_withdrawal_never_changes_an_earlier_decision(
        grants in proptest::collection::vec(grant_json_strategy(), 1..6),
        withdraw_index in any::<proptest::sample::Index>(),
        withdraw_offset in 0i64..100_000_000_000,
        probes in proptest::collection::vec((instant(), proptest::sample::select(catalogue_codes().1), proptest::sample::select(catalogue_codes().0), subsequence(catalogue_codes().2, 1..4)), 1..12),
    ) {
        let ledger = crate::common::ledger();
        let mut ids = Vec::new();
        for json in &grants {
            let request = ledger.parse_grant(&json.to_string()).unwrap();
            ledger.set_clock(request.valid_from).unwrap();
            if let Ok(id) = ledger.grant(&request, &actor()) {
                ids.push((id, request));
            }
        }
        if ids.is_empty() {
            return Ok(());
        }
        let (grant, request) = withdraw_index.get(&ids).clone();
        let t = request.valid_from + Duration::microseconds(withdraw_offset);
        let decide_all = |ledger: &Ledger| -> Vec<_> {
            let mut out = Vec::new();
            for (request, _) in ids.iter().map(|(_, r)| (r, ())) {
                for (when, recipient, purpose, categories) in &probes {
                    if *when < t {
                        out.push(ledger.decide_with(&request.subject, recipient, purpose, categories, *when).unwrap());
                    }
                }
            }
            out
        };
        let before = decide_all(&ledger);
        ledger.withdraw(grant, t, &actor(), None).unwrap();
        prop_assert_eq!(decide_all(&ledger), before);
    }
}
