//! Catalogue validation: the embedded default and each rejection.

use super::*;
use crate::error::ErrorCode;

const MINIMAL: &str = r#"
version = "test"
[settings]
self_consent_age = 15
self_consent_age_special = 18
representative_until_age = 18
[[purpose]]
code = "settlement"
name = "Bosetting"
[[recipient]]
code = "imdi"
name = "IMDi"
[[category]]
code = "name"
name = "Navn"
[[category]]
code = "health"
name = "Helse"
special = true
[[statute]]
code = "il_41"
title = "integreringsloven § 41"
valid_from = "2021-01-01"
[[rule]]
code = "r1"
statutes = ["il_41"]
recipient = "imdi"
purposes = ["settlement"]
categories = ["name"]
art6 = "A6_1_e"
confidentiality_exception = "special_statute"
"#;

fn rejected(text: &str) -> String {
    let err = Catalogue::from_toml(text).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCatalogue, "{}", err.message());
    err.message().to_owned()
}

#[test]
fn the_embedded_catalogue_is_valid_and_has_the_contract_codes() {
    let parsed = Catalogue::from_toml(Catalogue::embedded_toml()).unwrap();
    let catalogue = Catalogue::embedded();
    assert_eq!(parsed.digest(), catalogue.digest());
    let purposes: Vec<_> = catalogue
        .purposes()
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(
        purposes,
        [
            "settlement",
            "introduction_programme",
            "language_training",
            "introduction_benefit",
            "nir_registration",
            "employment_followup",
            "child_welfare_followup",
            "health_coordination",
            "case_handling",
            "statistics"
        ]
    );
    let recipients: Vec<_> = catalogue
        .recipients()
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(
        recipients,
        [
            "imdi",
            "nir",
            "nav",
            "barnevern",
            "laeringssenteret",
            "okonomiavdelingen",
            "helsetjenesten",
            "bufetat"
        ]
    );
    let special: Vec<_> = catalogue
        .categories()
        .iter()
        .filter(|c| c.special)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(special, ["health"]);
    let rules: Vec<_> = catalogue.rules().iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        rules,
        [
            "nir_registration",
            "imdi_settlement",
            "nav_introduction",
            "internal_benefit",
            "learning_centre",
            "barnevern_duty"
        ]
    );
    // No default rule covers health, and nothing goes to helsetjenesten or bufetat by statute.
    for rule in catalogue.rules() {
        assert!(rule.categories & catalogue.special_mask() == 0);
        let recipient = catalogue.rule_recipient(rule).as_str();
        assert!(recipient != "helsetjenesten" && recipient != "bufetat");
    }
    let learning = &catalogue.rules()[4];
    assert_eq!(
        learning.statute,
        "integreringsloven § 41, forvaltningsloven § 13 b nr. 3"
    );
    assert_eq!(
        catalogue.rule_purposes(learning)[0].as_str(),
        "language_training"
    );
}

#[test]
fn a_minimal_catalogue_loads() {
    let catalogue = Catalogue::from_toml(MINIMAL).unwrap();
    assert_eq!(catalogue.version(), "test");
    assert_eq!(catalogue.rules().len(), 1);
    assert_eq!(
        catalogue.rule_categories(&catalogue.rules()[0])[0].as_str(),
        "name"
    );
}

#[test]
fn a_rule_naming_an_unknown_code_is_rejected_by_name() {
    let message = rejected(&MINIMAL.replace(
        r#"categories = ["name"]"#,
        r#"categories = ["name", "shoe_size"]"#,
    ));
    assert!(
        message.contains("rule `r1` names unknown category `shoe_size`"),
        "{message}"
    );
    let message = rejected(&MINIMAL.replace(r#"recipient = "imdi""#, r#"recipient = "udi""#));
    assert!(message.contains("unknown recipient `udi`"), "{message}");
    let message = rejected(&MINIMAL.replace(r#"purposes = ["settlement"]"#, r#"purposes = ["x"]"#));
    assert!(message.contains("unknown purpose `x`"), "{message}");
    let message = rejected(&MINIMAL.replace(r#"statutes = ["il_41"]"#, r#"statutes = ["il_99"]"#));
    assert!(message.contains("unknown statute `il_99`"), "{message}");
}

#[test]
fn duplicate_codes_are_rejected_by_name() {
    let doubled = MINIMAL.replace(
        "[[recipient]]",
        "[[recipient]]\ncode = \"imdi\"\nname = \"again\"\n[[recipient]]",
    );
    assert!(rejected(&doubled).contains("duplicate recipient code `imdi`"));
    let message = rejected(&MINIMAL.replace(
        r#"categories = ["name"]"#,
        r#"categories = ["name", "name"]"#,
    ));
    assert!(message.contains("twice"), "{message}");
    let mut two_rules = MINIMAL.to_owned();
    let rule_start = MINIMAL.find("[[rule]]").unwrap();
    two_rules.push_str(MINIMAL.get(rule_start..).unwrap());
    assert!(rejected(&two_rules).contains("duplicate rule code `r1`"));
}

#[test]
fn malformed_codes_and_documents_are_rejected() {
    assert!(
        rejected(&MINIMAL.replace(r#"code = "imdi""#, r#"code = "IMDi""#)).contains("recipient")
    );
    assert!(rejected("version = ").contains("line"));
    assert!(
        rejected(&MINIMAL.replace("[settings]", "[settings]\nsurprise = 1")).contains("surprise")
    );
}

#[test]
fn special_categories_need_an_art9_condition() {
    let message =
        rejected(&MINIMAL.replace(r#"categories = ["name"]"#, r#"categories = ["health"]"#));
    assert!(message.contains("Art. 9(2)"), "{message}");
    let with_art9 = MINIMAL
        .replace(r#"categories = ["name"]"#, r#"categories = ["health"]"#)
        .replace(r#"art6 = "A6_1_e""#, "art6 = \"A6_1_e\"\nart9 = \"A9_2_h\"");
    assert!(Catalogue::from_toml(&with_art9).is_ok());
}

#[test]
fn consent_and_legitimate_interest_are_not_statutory_bases() {
    assert!(rejected(&MINIMAL.replace("A6_1_e", "A6_1_f")).contains("A6_1_f"));
    assert!(rejected(&MINIMAL.replace("A6_1_e", "A6_1_a")).contains("A6_1_a"));
}

#[test]
fn windows_and_settings_are_checked() {
    let ended = MINIMAL.replace(
        r#"valid_from = "2021-01-01""#,
        "valid_from = \"2021-01-01\"\nvalid_to = \"2020-01-01\"",
    );
    assert!(rejected(&ended).contains("valid_to is not after valid_from"));
    assert!(rejected(&MINIMAL.replace("2021-01-01", "someday")).contains("not a date"));
    assert!(
        rejected(&MINIMAL.replace("self_consent_age = 15", "self_consent_age = 19"))
            .contains("ages")
    );
    assert!(
        rejected(&MINIMAL.replace(
            "self_consent_age_special = 18",
            "self_consent_age_special = 12"
        ))
        .contains("above")
    );
}

#[test]
fn at_most_64_codes_of_a_kind() {
    let mut text = MINIMAL.to_owned();
    for i in 0..64 {
        text.push_str(&format!("[[purpose]]\ncode = \"p{i}\"\nname = \"p\"\n"));
    }
    assert!(rejected(&text).contains("more than 64 purpose codes"));
}
