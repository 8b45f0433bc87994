//! The bad-input table: every malformed input gets its specific error, and the ledger is
//! unchanged (the event count is the same after the call).

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use crate::common::*;
use chrono::{TimeZone, Utc};
use consent_core::{
    Actor, Catalogue, ErrorCode, GrantId, GrantRequest, Ledger, NationalId, Result,
};

/// One call that must fail.
type Call = Box<dyn Fn(&Ledger, GrantId) -> Result<()>>;
/// A name, the error it must get, and the call.
type Case = (&'static str, ErrorCode, Call);

fn grant_with(change: impl Fn(&mut serde_json::Value) + 'static) -> Call {
    Box::new(move |ledger, _| {
        let mut json = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
        change(&mut json);
        let request = ledger.parse_grant(&json.to_string())?;
        ledger.grant(&request, &actor()).map(|_| ())
    })
}

fn id(text: &str) -> Call {
    let text = text.to_owned();
    Box::new(move |ledger, _| ledger.parse_national_id(&text).map(|_| ()))
}

fn decide(
    recipient: &'static str,
    purpose: &'static str,
    categories: &'static [&'static str],
    year: i32,
) -> Call {
    Box::new(move |ledger, _| {
        let s = subject(ledger, ADULT);
        let at = Utc.with_ymd_and_hms(year, 3, 1, 0, 0, 0).unwrap();
        ledger
            .decide_with(&s, recipient, purpose, categories, at)
            .map(|_| ())
    })
}

/// A number with valid control digits from the first eight digits given (the ninth is the
/// first that gives valid control digits), so only the tested defect is wrong.
fn with_number(first_nine: &str) -> String {
    (0..10)
        .find_map(|d| consent_core::control_digits(&format!("{}{d}", &first_nine[..8])))
        .unwrap()
}

fn cases() -> Vec<Case> {
    let child_14 = national_id("010611", "51");
    let teen_15 = national_id("010610", "51");
    let teen_16 = national_id("010609", "51");
    let child_13 = national_id("010612", "51");
    let d_31_feb = with_number("710290123");
    vec![
        (
            "fnr: wrong first control digit",
            ErrorCode::InvalidNationalId,
            id("15038510180"),
        ),
        (
            "fnr: wrong second control digit",
            ErrorCode::InvalidNationalId,
            id("15038510191"),
        ),
        (
            "fnr: ten digits",
            ErrorCode::InvalidNationalId,
            id("1503851019"),
        ),
        (
            "fnr: twelve digits",
            ErrorCode::InvalidNationalId,
            id("150385101900"),
        ),
        (
            "fnr: a letter",
            ErrorCode::InvalidNationalId,
            id("1503851019O"),
        ),
        ("fnr: empty", ErrorCode::InvalidNationalId, id("")),
        (
            "fnr: NUL byte",
            ErrorCode::InvalidNationalId,
            id("1503851\u{0}190"),
        ),
        (
            "fnr: spaces",
            ErrorCode::InvalidNationalId,
            id("150385 10190"),
        ),
        (
            "fnr: non-ASCII digits",
            ErrorCode::InvalidNationalId,
            id("١٥٠٣٨٥١٠١٩٠"),
        ),
        (
            "d-nummer: day 72",
            ErrorCode::InvalidNationalId,
            id(&with_number("720385123")),
        ),
        (
            "d-nummer: day 40 (day 0)",
            ErrorCode::InvalidNationalId,
            id(&with_number("400385123")),
        ),
        (
            "d-nummer: 31 February",
            ErrorCode::InvalidNationalId,
            id(&d_31_feb),
        ),
        (
            "fnr: 29 February 2001",
            ErrorCode::InvalidNationalId,
            id(&with_number("290201523")),
        ),
        (
            "fnr: month 13",
            ErrorCode::InvalidNationalId,
            id(&with_number("011385123")),
        ),
        (
            "fnr: synthetic outside test mode",
            ErrorCode::InvalidNationalId,
            id(&with_number("018385123")),
        ),
        (
            "fnr: help number",
            ErrorCode::InvalidNationalId,
            id(&with_number("811111123")),
        ),
        (
            "grant: unknown purpose",
            ErrorCode::UnknownCode,
            grant_with(|j| j["purposes"] = serde_json::json!(["holidays"])),
        ),
        (
            "grant: unknown recipient",
            ErrorCode::UnknownCode,
            grant_with(|j| j["recipients"] = serde_json::json!(["the_press"])),
        ),
        (
            "grant: unknown category",
            ErrorCode::UnknownCode,
            grant_with(|j| j["categories"] = serde_json::json!(["shoe_size"])),
        ),
        (
            "grant: malformed code",
            ErrorCode::UnknownCode,
            grant_with(|j| j["categories"] = serde_json::json!(["Family"])),
        ),
        (
            "grant: empty code",
            ErrorCode::UnknownCode,
            grant_with(|j| j["categories"] = serde_json::json!([""])),
        ),
        (
            "grant: duplicate category",
            ErrorCode::InvalidInput,
            grant_with(|j| j["categories"] = serde_json::json!(["family", "family"])),
        ),
        (
            "grant: duplicate purpose",
            ErrorCode::InvalidInput,
            grant_with(|j| j["purposes"] = serde_json::json!(["case_handling", "case_handling"])),
        ),
        (
            "grant: no purposes",
            ErrorCode::InvalidInput,
            grant_with(|j| j["purposes"] = serde_json::json!([])),
        ),
        (
            "grant: valid_until before valid_from",
            ErrorCode::InvalidInput,
            grant_with(|j| j["valid_until"] = "2025-01-01T00:00:00Z".into()),
        ),
        (
            "grant: valid_until equal to valid_from",
            ErrorCode::InvalidInput,
            grant_with(|j| j["valid_until"] = "2026-01-05T09:00:00Z".into()),
        ),
        (
            "grant: naive datetime",
            ErrorCode::InvalidInput,
            grant_with(|j| j["valid_from"] = "2026-01-05T09:00:00".into()),
        ),
        (
            "grant: year 1700",
            ErrorCode::InvalidInput,
            grant_with(|j| j["valid_from"] = "1700-01-05T09:00:00Z".into()),
        ),
        (
            "grant: year 10000",
            ErrorCode::InvalidInput,
            grant_with(|j| j["valid_until"] = "+10000-01-05T09:00:00Z".into()),
        ),
        (
            "grant: unknown field",
            ErrorCode::InvalidInput,
            grant_with(|j| j["colour"] = "blue".into()),
        ),
        (
            "grant: missing field",
            ErrorCode::InvalidInput,
            grant_with(|j| {
                j.as_object_mut().unwrap().remove("notice");
            }),
        ),
        (
            "grant: explicit as a string",
            ErrorCode::InvalidInput,
            grant_with(|j| j["explicit"] = "yes".into()),
        ),
        (
            "grant: schema version 2",
            ErrorCode::UnsupportedVersion,
            grant_with(|j| j["version"] = 2.into()),
        ),
        (
            "grant: malformed JSON",
            ErrorCode::InvalidInput,
            Box::new(|ledger, _| ledger.parse_grant("{\"subject\": ").map(|_| ())),
        ),
        (
            "grant: JSON that is not an object",
            ErrorCode::InvalidInput,
            Box::new(|ledger, _| ledger.parse_grant("[1, 2]").map(|_| ())),
        ),
        (
            "grant: oversized evidence reference",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["reference"] = "x".repeat(200).into()),
        ),
        (
            "grant: empty evidence reference",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["reference"] = "".into()),
        ),
        (
            "grant: NUL in evidence reference",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["reference"] = "2026/\u{0}12".into()),
        ),
        (
            "grant: a national id in the evidence reference",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["reference"] = "fnr 15038510190".into()),
        ),
        (
            "grant: bad language tag",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["language"] = "Arabic".into()),
        ),
        (
            "grant: unknown evidence method",
            ErrorCode::InvalidInput,
            grant_with(|j| j["evidence"]["method"] = "telepathy".into()),
        ),
        (
            "grant: oversized notice id",
            ErrorCode::InvalidInput,
            grant_with(|j| j["notice"]["id"] = "n".repeat(300).into()),
        ),
        (
            "grantor: unknown role",
            ErrorCode::InvalidInput,
            grant_with(|j| j["grantor"] = serde_json::json!({"role": "neighbour"})),
        ),
        (
            "grantor: self with an id",
            ErrorCode::InvalidInput,
            grant_with(|j| j["grantor"] = serde_json::json!({"role": "self", "id": ADULT})),
        ),
        (
            "grantor: verge without an id",
            ErrorCode::InvalidInput,
            grant_with(|j| j["grantor"] = serde_json::json!({"role": "verge", "authority": "x"})),
        ),
        (
            "grantor: verge with a bad id",
            ErrorCode::InvalidNationalId,
            grant_with(|j| {
                j["grantor"] =
                    serde_json::json!({"role": "verge", "id": "15038510191", "authority": "x"})
            }),
        ),
        (
            "grantor: the subject as its own verge",
            ErrorCode::InvalidInput,
            grant_with(|j| {
                j["grantor"] = serde_json::json!({"role": "verge", "id": ADULT, "authority": "x"})
            }),
        ),
        (
            "grantor: a parent for an adult",
            ErrorCode::InvalidInput,
            grant_with(
                |j| j["grantor"] = serde_json::json!({"role": "parent", "id": national_id("010280", "12"), "authority": "x"}),
            ),
        ),
        (
            "grant: a 14-year-old alone",
            ErrorCode::InvalidInput,
            grant_with(move |j| j["subject"] = child_14.clone().into()),
        ),
        (
            "grant: a 15-year-old alone to health data",
            ErrorCode::InvalidInput,
            grant_with(move |j| {
                j["subject"] = teen_15.clone().into();
                j["categories"] = serde_json::json!(["health"]);
                j["explicit"] = true.into();
            }),
        ),
        (
            "grant: a 16-year-old alone to ordinary data without a maturity assessment",
            ErrorCode::InvalidInput,
            {
                let teen = teen_16.clone();
                grant_with(move |j| j["subject"] = teen.clone().into())
            },
        ),
        (
            "grant: a maturity assessment dated after the recording",
            ErrorCode::InvalidInput,
            {
                let teen = teen_16.clone();
                grant_with(move |j| {
                    j["subject"] = teen.clone().into();
                    j["maturity_assessment"] = serde_json::json!({"assessed_by": "helsesykepleier", "reference": "2026/7", "at": "2026-02-01T10:00:00Z"});
                })
            },
        ),
        (
            "grant: a maturity assessment for an adult",
            ErrorCode::InvalidInput,
            grant_with(|j| {
                j["maturity_assessment"] = serde_json::json!({"assessed_by": "helsesykepleier", "reference": "2026/7", "at": "2026-01-04T10:00:00Z"});
            }),
        ),
        (
            "grant: a maturity assessment without a reference",
            ErrorCode::InvalidInput,
            grant_with(move |j| {
                j["subject"] = teen_16.clone().into();
                j["maturity_assessment"] = serde_json::json!({"assessed_by": "helsesykepleier", "at": "2026-01-04T10:00:00Z"});
            }),
        ),
        (
            "grant: a representative for a 13-year-old without child_heard",
            ErrorCode::InvalidInput,
            {
                let child = child_13.clone();
                grant_with(move |j| {
                    j["subject"] = child.clone().into();
                    j["grantor"] = serde_json::json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1"});
                })
            },
        ),
        (
            "grant: child_heard with an unknown position",
            ErrorCode::InvalidInput,
            {
                let child = child_13.clone();
                grant_with(move |j| {
                    j["subject"] = child.clone().into();
                    j["grantor"] = serde_json::json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1"});
                    j["child_heard"] = serde_json::json!({"at": "2026-01-04T10:00:00Z", "position": "shrugged", "reference": "2026/8"});
                })
            },
        ),
        (
            "grant: child_heard on the subject's own grant",
            ErrorCode::InvalidInput,
            grant_with(|j| {
                j["child_heard"] = serde_json::json!({"at": "2026-01-04T10:00:00Z", "position": "agrees", "reference": "2026/8"});
            }),
        ),
        (
            "grant: a representative's authority that ends before the grant starts",
            ErrorCode::InvalidInput,
            grant_with(move |j| {
                j["subject"] = child_13.clone().into();
                j["grantor"] = serde_json::json!({"role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1", "authority_valid_until": "2026-01-01T00:00:00Z"});
                j["child_heard"] = serde_json::json!({"at": "2026-01-04T10:00:00Z", "position": "agrees", "reference": "2026/8"});
            }),
        ),
        (
            "grant: a birth date that contradicts the fødselsnummer",
            ErrorCode::InvalidInput,
            grant_with(|j| j["subject_birth_date"] = "1985-03-16".into()),
        ),
        (
            "grant: a birth date that is not a date",
            ErrorCode::InvalidInput,
            grant_with(|j| j["subject_birth_date"] = "1985-02-30".into()),
        ),
        (
            "grant: authority_valid_until on the subject's own grant",
            ErrorCode::InvalidInput,
            grant_with(|j| {
                j["grantor"] = serde_json::json!({"role": "self", "authority_valid_until": "2027-01-01T00:00:00Z"});
            }),
        ),
        (
            "withdraw: before the grant takes effect",
            ErrorCode::InvalidInput,
            Box::new(|ledger, id| ledger.withdraw(id, at(2025, 12, 1), &actor(), None)),
        ),
        (
            "withdraw: reason with a control character",
            ErrorCode::InvalidInput,
            Box::new(|ledger, id| ledger.withdraw(id, at(2026, 3, 1), &actor(), Some("a\u{7}b"))),
        ),
        (
            "withdraw: an unknown grant",
            ErrorCode::NotFound,
            Box::new(|ledger, _| {
                let unknown: GrantId = "01890a5d-ac96-774b-bcce-b302099a8057".parse()?;
                ledger.withdraw(unknown, at(2026, 3, 1), &actor(), None)
            }),
        ),
        (
            "withdraw: a malformed grant id",
            ErrorCode::InvalidInput,
            Box::new(|_, _| "not-a-uuid".parse::<GrantId>().map(|_| ())),
        ),
        (
            "withdraw: year 1800",
            ErrorCode::InvalidInput,
            Box::new(|ledger, id| {
                ledger.withdraw(
                    id,
                    Utc.with_ymd_and_hms(1800, 1, 1, 0, 0, 0).unwrap(),
                    &actor(),
                    None,
                )
            }),
        ),
        (
            "time: overflowing Unix milliseconds",
            ErrorCode::InvalidInput,
            Box::new(|_, _| consent_core::from_unix_millis(i64::MAX).map(|_| ())),
        ),
        (
            "time: negative overflow",
            ErrorCode::InvalidInput,
            Box::new(|_, _| consent_core::from_unix_millis(i64::MIN).map(|_| ())),
        ),
        (
            "decide: unknown recipient",
            ErrorCode::UnknownCode,
            decide("the_press", "case_handling", &["name"], 2026),
        ),
        (
            "decide: unknown purpose",
            ErrorCode::UnknownCode,
            decide("nav", "holidays", &["name"], 2026),
        ),
        (
            "decide: unknown category",
            ErrorCode::UnknownCode,
            decide("nav", "case_handling", &["shoe_size"], 2026),
        ),
        (
            "decide: no categories",
            ErrorCode::InvalidInput,
            decide("nav", "case_handling", &[], 2026),
        ),
        (
            "decide: duplicate category",
            ErrorCode::InvalidInput,
            decide("nav", "case_handling", &["name", "name"], 2026),
        ),
        (
            "decide: year 1800",
            ErrorCode::InvalidInput,
            decide("nav", "case_handling", &["name"], 1800),
        ),
        (
            "actor: empty id",
            ErrorCode::InvalidInput,
            Box::new(|_, _| Actor::new("", "case_worker").map(|_| ())),
        ),
        (
            "actor: control character",
            ErrorCode::InvalidInput,
            Box::new(|_, _| Actor::new("ola\nnordmann", "case_worker").map(|_| ())),
        ),
        (
            "actor: uppercase role",
            ErrorCode::InvalidInput,
            Box::new(|_, _| Actor::new("saksbehandler-17", "CaseWorker").map(|_| ())),
        ),
        (
            "actor: a national id as the user id",
            ErrorCode::InvalidInput,
            Box::new(|_, _| Actor::new(ADULT, "case_worker").map(|_| ())),
        ),
        (
            "actor: unknown field",
            ErrorCode::InvalidInput,
            Box::new(|_, _| Actor::from_json(r#"{"id": "a", "role": "b", "x": 1}"#).map(|_| ())),
        ),
        (
            "catalogue: a rule naming an unknown category",
            ErrorCode::InvalidCatalogue,
            Box::new(|_, _| {
                Catalogue::from_toml(
                    &Catalogue::embedded_toml().replace("\"finances\"]", "\"finance\"]"),
                )
                .map(|_| ())
            }),
        ),
        (
            "catalogue: TOML syntax error",
            ErrorCode::InvalidCatalogue,
            Box::new(|_, _| Catalogue::from_toml("[[rule]\ncode =").map(|_| ())),
        ),
        (
            "catalogue: duplicate purpose",
            ErrorCode::InvalidCatalogue,
            Box::new(|_, _| {
                Catalogue::from_toml(&format!(
                    "{}\n[[purpose]]\ncode = \"statistics\"\nname = \"x\"\n",
                    Catalogue::embedded_toml()
                ))
                .map(|_| ())
            }),
        ),
        (
            "request: a grant built with a synthetic id outside test mode",
            ErrorCode::InvalidNationalId,
            Box::new(|ledger, _| {
                let options = consent_core::IdOptions {
                    test_mode: true,
                    ..Default::default()
                };
                let synthetic = NationalId::parse_with(&with_number("018385123"), options)?;
                let mut request: GrantRequest = ledger.parse_grant(
                    &grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false)
                        .to_string(),
                )?;
                request.subject = synthetic;
                ledger.grant(&request, &actor()).map(|_| ())
            }),
        ),
    ]
}

#[test]
fn every_bad_input_gets_its_error_and_changes_nothing() {
    let ledger = ledger();
    let grant = ledger
        .grant(
            &parse(
                &ledger,
                &grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false),
            ),
            &actor(),
        )
        .unwrap();
    let table = cases();
    assert!(table.len() >= 40, "the table must hold at least 40 inputs");
    let mut failures = Vec::new();
    for (name, expected, call) in &table {
        let before = ledger.event_count();
        match call(&ledger, grant) {
            Ok(()) => failures.push(format!("{name}: accepted")),
            Err(err) => {
                if err.code() != *expected {
                    failures.push(format!(
                        "{name}: {:?} ({}) instead of {expected:?}",
                        err.code(),
                        err.message()
                    ));
                }
                if err.message().contains(ADULT) {
                    failures.push(format!("{name}: the message contains a national id"));
                }
            }
        }
        if ledger.event_count() != before {
            failures.push(format!("{name}: the event count changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A second withdrawal of a withdrawn grant is a conflict, and also changes nothing.
    ledger
        .withdraw(grant, at(2026, 3, 1), &actor(), None)
        .unwrap();
    let before = ledger.event_count();
    assert_eq!(
        ledger
            .withdraw(grant, at(2026, 3, 2), &actor(), None)
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    assert_eq!(ledger.event_count(), before);
    eprintln!("{} bad inputs, each with its own error", table.len() + 1);
}
