//! Byte fuzzing with proptest, in the default test run: every input surface takes arbitrary
//! text without panicking, and what it accepts round-trips. (Coverage-guided runs of the same
//! surfaces live in `fuzz/`, see CONTRIBUTING.md.)

use crate::common::*;
use consent_core::{Actor, Catalogue, ErrorCode, GrantRequest, LedgerOptions, NationalId};
use proptest::prelude::*;

/// Replaces the byte at each position with the given byte, keeping the text valid UTF-8 by
/// working on chars.
fn mutate(text: &str, edits: &[(usize, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (position, replacement) in edits {
        if chars.is_empty() {
            break;
        }
        let index = position % chars.len();
        if let Some(slot) = chars.get_mut(index) {
            *slot = *replacement;
        }
    }
    chars.into_iter().collect()
}

fn valid_grant() -> String {
    grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    )
    .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn national_ids_never_panic_and_accept_only_eleven_digits(text in "\\PC{0,14}|[0-9]{11}") {
        if let Ok(id) = NationalId::parse(&text) {
            prop_assert_eq!(text.len(), 11);
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(id.expose(), text);
        } else {
            let err = NationalId::parse(&text).unwrap_err();
            prop_assert_eq!(err.code(), ErrorCode::InvalidNationalId);
        }
    }

    #[test]
    fn arbitrary_bytes_as_grant_json_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(GrantRequest::from_json(&text).is_err());
        prop_assert!(Actor::from_json(&text).is_err() || text.contains("\"id\""));
        let _ = LedgerOptions::from_json(&text);
    }

    #[test]
    fn mutated_grant_json_is_rejected_cleanly_or_round_trips(edits in proptest::collection::vec((any::<usize>(), any::<char>()), 1..4)) {
        let text = mutate(&valid_grant(), &edits);
        match GrantRequest::from_json(&text) {
            Ok(request) => {
                let again = GrantRequest::from_json(&request.to_json().unwrap()).unwrap();
                prop_assert_eq!(again, request);
            }
            Err(err) => prop_assert!(matches!(
                err.code(),
                ErrorCode::InvalidInput | ErrorCode::InvalidNationalId | ErrorCode::UnknownCode | ErrorCode::UnsupportedVersion
            ), "{:?}", err),
        }
    }

    #[test]
    fn mutated_catalogues_are_rejected_cleanly_or_load(edits in proptest::collection::vec((any::<usize>(), any::<char>()), 1..4)) {
        let text = mutate(Catalogue::embedded_toml(), &edits);
        if let Err(err) = Catalogue::from_toml(&text) {
            prop_assert_eq!(err.code(), ErrorCode::InvalidCatalogue);
        }
    }

    #[test]
    fn arbitrary_text_as_a_catalogue_never_panics(text in "\\PC{0,200}") {
        if let Err(err) = Catalogue::from_toml(&text) {
            prop_assert_eq!(err.code(), ErrorCode::InvalidCatalogue);
        }
    }

    #[test]
    fn decisions_on_arbitrary_codes_are_errors_never_permits(
        recipient in "[a-z_]{0,12}", purpose in "[a-z_]{0,20}", categories in proptest::collection::vec("[a-z_]{0,12}", 0..4)
    ) {
        let ledger = ledger();
        let s = subject(&ledger, ADULT);
        match ledger.decide_with(&s, &recipient, &purpose, &categories, at(2026, 3, 1)) {
            Ok(decision) => {
                // Only known codes get here; a permit must then cite a basis for each category.
                prop_assert!(decision.outcomes().len() == categories.len());
                if decision.permitted() {
                    prop_assert!(decision.outcomes().all(|o| o.result.is_ok()));
                }
            }
            Err(err) => prop_assert!(matches!(err.code(), ErrorCode::UnknownCode | ErrorCode::InvalidInput)),
        }
    }
}
