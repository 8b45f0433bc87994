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
    assert_eq!(special, ["health", "religion", "ethnic_origin"]);
    assert!(
        catalogue
            .categories()
            .iter()
            .any(|c| c.code.as_str() == "child_welfare" && c.confidential && !c.special)
    );
    assert_eq!(catalogue.format(), 2);
    // Consent waives confidentiality for every purpose in use; the GDPR basis is the statute.
    for purpose in catalogue.purposes() {
        if purpose.retired_from.is_some() {
            continue;
        }
        assert_eq!(purpose.consent_role, ConsentRole::ConfidentialityWaiver);
        assert!(
            purpose.art6.is_some() && purpose.statute.is_some(),
            "{}",
            purpose.code
        );
    }
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
    assert_eq!(learning.statute, "integreringsloven § 41");
    assert_eq!(learning.confidentiality_exception.as_str(), "fvl_13b_3");
    assert_eq!(
        learning.confidentiality_statute.as_deref(),
        Some("forvaltningsloven § 13 b nr. 3")
    );
    let barnevern = &catalogue.rules()[5];
    let required: Vec<_> = barnevern.requires.iter().map(Code::as_str).collect();
    assert_eq!(required, ["serious_concern", "order"]);
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
fn format_2_settings_name_the_competence_ages_and_format_1_keeps_its_own() {
    let v2 = Catalogue::from_toml(FORMAT_2).unwrap();
    let settings = v2.settings();
    assert_eq!(
        (
            settings.self_consent_age,
            settings.mature_minor_min_age,
            settings.special_self_consent_age,
            settings.hear_child_from_age,
            settings.representative_until_age,
            settings.representative_special_until_age,
        ),
        (18, 15, 16, Some(12), 18, 16)
    );
    // A format-1 file keeps 0.1's meaning: no maturity window, no hearing, one lapse.
    let v1 = Catalogue::from_toml(MINIMAL).unwrap();
    let settings = v1.settings();
    assert_eq!(
        (
            settings.self_consent_age,
            settings.mature_minor_min_age,
            settings.special_self_consent_age,
            settings.hear_child_from_age,
            settings.representative_special_until_age,
        ),
        (15, 15, 18, None, 18)
    );
    // Each format its own names.
    assert!(
        rejected(&FORMAT_2.replace(
            "special_self_consent_age = 16",
            "self_consent_age_special = 16"
        ))
        .contains("format 1's name")
    );
    assert!(
        rejected(&MINIMAL.replace(
            "representative_until_age = 18",
            "representative_until_age = 18\nhear_child_from_age = 12"
        ))
        .contains("format = 2")
    );
    assert!(
        rejected(&FORMAT_2.replace(
            "self_consent_age = 18",
            "self_consent_age = 18\nmature_minor_min_age = 19"
        ))
        .contains("ages")
    );
    assert!(
        rejected(&FORMAT_2.replace("self_consent_age = 18", "self_consent_age = 14"))
            .contains("mature_minor_min_age is above self_consent_age")
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

/// A format-2 catalogue with one purpose whose consent waives confidentiality, the exceptions
/// and a conditional rule; variations of it test each format-2 rule.
const FORMAT_2: &str = r#"
format = 2
version = "test"
[settings]
self_consent_age = 18
special_self_consent_age = 16
representative_until_age = 18
[[statute]]
code = "il_41"
title = "integreringsloven § 41"
valid_from = "2021-01-01"
[[statute]]
code = "fvl_13b_3"
title = "forvaltningsloven § 13 b nr. 3"
valid_from = "1970-01-01"
[[exception]]
code = "fvl_13a_1"
name = "Samtykke"
[[exception]]
code = "fvl_13b_3"
name = "Samme organ"
statute = "fvl_13b_3"
same_legal_entity = true
[[condition]]
code = "serious_concern"
name = "Grunn til å tro"
[[purpose]]
code = "benefit"
name = "Stønad"
art6 = "A6_1_e"
statutes = ["il_41"]
[[recipient]]
code = "finance"
name = "Økonomi"
same_legal_entity = true
[[category]]
code = "name"
name = "Navn"
[[rule]]
code = "internal"
statutes = ["il_41"]
recipient = "finance"
purposes = ["benefit"]
categories = ["name"]
art6 = "A6_1_e"
confidentiality_exception = "fvl_13b_3"
require = ["serious_concern"]
"#;

#[test]
fn a_format_2_catalogue_names_both_gates() {
    let catalogue = Catalogue::from_toml(FORMAT_2).unwrap();
    let purpose = &catalogue.purposes()[0];
    assert_eq!(purpose.consent_role, ConsentRole::ConfidentialityWaiver);
    assert_eq!(purpose.art6, Some(Art6::E));
    assert_eq!(purpose.statute.as_deref(), Some("integreringsloven § 41"));
    let gates = catalogue.consent_gates(0, false);
    assert_eq!(gates.art6, Art6::E);
    assert_eq!(gates.statute, Some("integreringsloven § 41"));
    assert_eq!(gates.confidentiality_exception.as_str(), "fvl_13a_1");
    assert_eq!(catalogue.consent_gates(0, true).art9, Some(Art9::A));
    let rule = &catalogue.rules()[0];
    assert!(!rule.is_unconditional());
    assert_eq!(
        rule.confidentiality_statute.as_deref(),
        Some("forvaltningsloven § 13 b nr. 3")
    );
}

#[test]
fn a_format_1_catalogue_keeps_consent_as_the_basis() {
    let catalogue = Catalogue::from_toml(MINIMAL).unwrap();
    assert_eq!(catalogue.format(), 1);
    assert_eq!(catalogue.purposes()[0].consent_role, ConsentRole::Basis);
    let gates = catalogue.consent_gates(0, true);
    assert_eq!(
        (gates.art6, gates.art9, gates.statute),
        (Art6::A, Some(Art9::A), None)
    );
    assert_eq!(gates.confidentiality_exception.as_str(), "fvl_13a_1");
    // Any notice is accepted, as in 0.1.
    assert!(catalogue.notice_accepted("any", "version"));
    // Format-2 keys need the format.
    let message = rejected(&MINIMAL.replace(
        "[[purpose]]\ncode = \"settlement\"",
        "[[purpose]]\nconsent_role = \"basis\"\ncode = \"settlement\"",
    ));
    assert!(message.contains("format = 2"), "{message}");
}

#[test]
fn format_2_rejects_what_cannot_mean_anything() {
    let cases: [(&str, &str, &str); 7] = [
        (
            "art6 = \"A6_1_e\"\nstatutes = [\"il_41\"]\n[[recipient]]",
            "[[recipient]]",
            "needs the art6",
        ),
        (
            "statutes = [\"il_41\"]\n[[recipient]]",
            "[[recipient]]",
            "needs the statutes",
        ),
        (
            "art6 = \"A6_1_e\"",
            "art6 = \"A6_1_a\"",
            "A6_1_a is consent",
        ),
        (
            "confidentiality_exception = \"fvl_13b_3\"",
            "confidentiality_exception = \"fvl_13c\"",
            "not a declared [[exception]]",
        ),
        (
            "require = [\"serious_concern\"]",
            "require = [\"rumour\"]",
            "unknown condition",
        ),
        (
            "name = \"Økonomi\"\nsame_legal_entity = true",
            "name = \"Økonomi\"",
            "same legal entity",
        ),
        ("format = 2", "format = 3", "format 3"),
    ];
    for (from, to, expected) in cases {
        assert!(FORMAT_2.contains(from), "{from}");
        let text = FORMAT_2.replacen(from, to, 1);
        match Catalogue::from_toml(&text) {
            Ok(_) => panic!("accepted: {to}"),
            Err(e) => assert!(
                e.message().contains(expected),
                "{expected}: {}",
                e.message()
            ),
        }
    }
}

/// `policy::decide` relies on it: every index in the rule table names a rule of the same
/// catalogue, so a statutory outcome always resolves to the rule it names.
#[test]
fn every_rule_table_entry_names_a_rule_of_its_catalogue() {
    for catalogue in [
        Catalogue::embedded(),
        Catalogue::from_toml(FORMAT_2).unwrap(),
        Catalogue::from_toml(MINIMAL).unwrap(),
    ] {
        for recipient in 0..catalogue.recipients().len() {
            for purpose in 0..catalogue.purposes().len() {
                for rule in catalogue.rules_for(
                    u8::try_from(recipient).unwrap(),
                    u8::try_from(purpose).unwrap(),
                ) {
                    let named = catalogue.rule(rule.index).unwrap();
                    assert_eq!(named.recipient, u8::try_from(recipient).unwrap());
                    assert!(named.purposes & (1 << purpose) != 0);
                }
            }
        }
    }
}
