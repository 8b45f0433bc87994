//! Catalogue TOML: never panics; an accepted catalogue can be asked everything a ledger asks.
#![no_main]

use consent_core::{Catalogue, ErrorCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Catalogue::from_toml(text) {
        Ok(catalogue) => {
            for rule in catalogue.rules() {
                let _ = catalogue.rule_recipient(rule);
                assert!(!catalogue.rule_purposes(rule).is_empty());
                assert!(!catalogue.rule_categories(rule).is_empty());
            }
        }
        Err(err) => assert_eq!(err.code(), ErrorCode::InvalidCatalogue),
    }
});
