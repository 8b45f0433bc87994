//! The FHIR and DPV mappings, from a ledger with every grant shape: status per lifecycle, the
//! person by pseudonym unless the host passes the national id, representatives, refusals.

use chrono::{DateTime, Utc};
use consent_core::{Actor, Ledger, LedgerOptions, MEMORY_PATH, control_digits};
use serde_json::{Value, json};

use super::{FhirOptions, dpv_jsonld, fhir_bundle};
use crate::ErrorKind;

/// The project's public example number (an adult).
const ADULT: &str = "15038510190";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn national_id(ddmmyy: &str, individ: &str) -> String {
    (0..10)
        .find_map(|d| control_digits(&format!("{ddmmyy}{individ}{d}")))
        .unwrap()
}

fn actor() -> Actor {
    Actor::new("saksbehandler-17", "case_worker").unwrap()
}

struct Fixture {
    ledger: Ledger,
}

impl Fixture {
    fn new() -> Self {
        let ledger = Ledger::open(
            MEMORY_PATH,
            LedgerOptions::default().with_test_clock(at("2026-01-05T10:00:00Z")),
        )
        .unwrap();
        Self { ledger }
    }

    fn grant(&self, patch: Value) -> consent_core::GrantId {
        let mut grant = json!({
            "subject": ADULT,
            "grantor": {"role": "self"},
            "purposes": ["employment_followup"],
            "recipients": ["nav"],
            "categories": ["finances"],
            "explicit": false,
            "valid_from": "2026-01-05T09:00:00Z",
            "valid_until": null,
            "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
        });
        for (key, value) in patch.as_object().unwrap() {
            grant[key] = value.clone();
        }
        let request = self.ledger.parse_grant(&grant.to_string()).unwrap();
        self.ledger.grant(&request, &actor()).unwrap()
    }

    fn export(&self, subject: &str) -> consent_core::SubjectExport {
        let id = self.ledger.parse_national_id(subject).unwrap();
        self.ledger
            .subject_export(&id, &actor(), "sak 2026/55: test")
            .unwrap()
    }
}

fn fhir(export: &consent_core::SubjectExport) -> (String, Value) {
    let text = fhir_bundle(export, &FhirOptions::pseudonym()).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

fn dpv(export: &consent_core::SubjectExport) -> (String, Value) {
    let text = dpv_jsonld(export).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

/// The Consent of a grant (by id) in a bundle.
fn consent<'a>(bundle: &'a Value, id: &str) -> &'a Value {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .find(|resource| resource["id"] == id)
        .unwrap()
}

/// The DPV record of a grant (by id).
fn record<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["record_id"] == id)
        .unwrap()
}

#[test]
fn a_given_grant_is_active_and_permits_under_the_pseudonym() {
    let fixture = Fixture::new();
    let id = fixture.grant(json!({})).to_string();
    let export = fixture.export(ADULT);
    let (text, bundle) = fhir(&export);
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let consent = consent(&bundle, &id);
    assert_eq!(consent["status"], "active");
    assert_eq!(consent["decision"], "permit");
    assert_eq!(
        consent["subject"]["identifier"],
        json!({"system": "urn:consent:pseudonym", "value": export.pii_principal_id.to_string()})
    );
    assert_eq!(consent["period"], json!({"start": "2026-01-05T09:00:00Z"}));
    let provision = &consent["provision"][0];
    assert_eq!(
        provision["purpose"][0],
        json!({"system": "urn:consent:purpose", "code": "employment_followup"})
    );
    assert_eq!(
        provision["actor"][0]["reference"]["identifier"]["value"],
        "nav"
    );
    assert_eq!(provision["code"][0]["coding"][0]["code"], json!("finances"));
    // The GDPR gate (the statute) and the confidentiality gate are both the basis.
    let bases: Vec<&Value> = consent["regulatoryBasis"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(bases[0]["coding"][0]["code"], "A6-1-e");
    assert_eq!(bases[0]["text"], "integreringsloven § 41");
    assert_eq!(bases[1]["coding"][0]["code"], "fvl_13a_1");
    assert_eq!(
        consent["verification"][0]["verificationType"]["coding"][0]["code"],
        "signed_paper"
    );
    assert!(!text.contains(ADULT), "the national id leaked: {text}");

    let (text, document) = dpv(&export);
    let record = record(&document, &id);
    assert_eq!(record["event_state"], "dpv:ConsentGiven");
    assert_eq!(
        record["@type"],
        json!(["dpv:ConsentRecord", "dpv:ExpressedConsent"])
    );
    assert_eq!(record["lawful_basis"], json!(["eu-gdpr:A6-1-e"]));
    assert_eq!(
        record["pii_principal_id"],
        format!("urn:consent:pseudonym:{}", export.pii_principal_id)
    );
    assert_eq!(
        document["@context"]["event_state"]["@id"],
        "dpv:hasConsentStatus"
    );
    assert!(!text.contains(ADULT), "the national id leaked: {text}");
}

#[test]
fn a_withdrawn_grant_is_inactive_and_its_period_ends_at_the_withdrawal() {
    let fixture = Fixture::new();
    let grant = fixture.grant(json!({}));
    fixture
        .ledger
        .set_clock(at("2026-03-01T09:00:00Z"))
        .unwrap();
    fixture
        .ledger
        .withdraw(
            grant,
            at("2026-03-01T12:00:00Z"),
            &actor(),
            Some("by phone"),
        )
        .unwrap();
    fixture
        .ledger
        .set_clock(at("2026-03-02T09:00:00Z"))
        .unwrap();
    let export = fixture.export(ADULT);
    let (_, bundle) = fhir(&export);
    let consent = consent(&bundle, &grant.to_string());
    assert_eq!(consent["status"], "inactive");
    assert_eq!(consent["period"]["end"], "2026-03-01T12:00:00Z");
    let (_, document) = dpv(&export);
    let record = record(&document, &grant.to_string());
    assert_eq!(record["event_state"], "dpv:ConsentWithdrawn");
    assert_eq!(record["withdrawn_at"], "2026-03-01T12:00:00Z");
}

#[test]
fn an_expired_grant_is_inactive_and_a_future_one_is_active_from_its_start() {
    let fixture = Fixture::new();
    let expiring = fixture.grant(json!({"valid_until": "2026-02-01T00:00:00Z"}));
    let future = fixture.grant(json!({
        "purposes": ["case_handling"], "categories": ["housing"], "valid_from": "2026-06-01T00:00:00Z"}));
    fixture
        .ledger
        .set_clock(at("2026-03-01T09:00:00Z"))
        .unwrap();
    let export = fixture.export(ADULT);
    let (_, bundle) = fhir(&export);
    let expired = consent(&bundle, &expiring.to_string());
    assert_eq!(expired["status"], "inactive");
    assert_eq!(expired["period"]["end"], "2026-02-01T00:00:00Z");
    let ahead = consent(&bundle, &future.to_string());
    assert_eq!(ahead["status"], "active");
    assert_eq!(ahead["period"]["start"], "2026-06-01T00:00:00Z");
    let (_, document) = dpv(&export);
    assert_eq!(
        record(&document, &expiring.to_string())["event_state"],
        "dpv:ConsentExpired"
    );
    assert_eq!(
        record(&document, &future.to_string())["event_state"],
        "dpv:ConsentGiven"
    );
}

#[test]
fn a_parent_is_the_grantor_as_a_related_person_and_a_guardian_of_the_subject() {
    let fixture = Fixture::new();
    // Born 1 June 2016: nine years old.
    let child = national_id("010616", "51");
    let grant = fixture.grant(json!({
        "subject": child,
        "grantor": {"role": "parent", "id": ADULT, "authority": "Folkeregisteret: foreldreansvar"}}));
    let export = fixture.export(&child);
    let (text, bundle) = fhir(&export);
    let consent = consent(&bundle, &grant.to_string());
    assert_eq!(consent["grantor"][0]["reference"], "#grantor");
    assert_eq!(consent["grantor"][0]["type"], "RelatedPerson");
    let person = &consent["contained"][0];
    assert_eq!(person["resourceType"], "RelatedPerson");
    assert_eq!(person["relationship"][0]["coding"][0]["code"], "PRN");
    let parent = fixture
        .ledger
        .pseudonym(&fixture.ledger.parse_national_id(ADULT).unwrap())
        .to_string();
    assert_eq!(person["identifier"][0]["value"], parent);
    assert!(!text.contains(ADULT) && !text.contains(&child), "{text}");
    let (text, document) = dpv(&export);
    let grantor = &record(&document, &grant.to_string())["entity_id"];
    assert_eq!(grantor["@type"], json!(["dpv:ParentOfDataSubject"]));
    assert_eq!(grantor["@id"], format!("urn:consent:pseudonym:{parent}"));
    assert!(!text.contains(ADULT) && !text.contains(&child), "{text}");
}

#[test]
fn explicit_consent_to_health_data_names_article_9_and_a_refusal_denies() {
    let fixture = Fixture::new();
    let grant = fixture.grant(json!({
        "recipients": ["helsetjenesten"], "purposes": ["health_coordination"],
        "categories": ["health"], "explicit": true}));
    let refusal = fixture
        .ledger
        .parse_refusal(
            &json!({"subject": ADULT, "grantor": {"role": "self"},
                "purposes": ["health_coordination"], "recipients": ["helsetjenesten"],
                "categories": ["family"], "at": "2026-01-05T09:30:00Z",
                "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti", "interpreter": true},
                "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}})
            .to_string(),
        )
        .unwrap();
    fixture.ledger.refuse(&refusal, &actor()).unwrap();
    let export = fixture.export(ADULT);
    let (_, bundle) = fhir(&export);
    let consent = consent(&bundle, &grant.to_string());
    let codes: Vec<&Value> = consent["regulatoryBasis"][0]["coding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|coding| &coding["code"])
        .collect();
    assert_eq!(codes, [&json!("A6-1-e"), &json!("A9-2-a")]);
    assert_eq!(
        consent["category"][1]["coding"][0]["code"],
        "explicitly_expressed"
    );
    let refused = &bundle["entry"][1]["resource"];
    assert_eq!(refused["decision"], "deny");
    assert_eq!(refused["status"], "active");
    assert_eq!(
        refused["provision"][0]["code"][0]["coding"][0]["code"],
        "family"
    );

    let (_, document) = dpv(&export);
    let record = record(&document, &grant.to_string());
    assert_eq!(record["@type"][1], "dpv:ExplicitlyExpressedConsent");
    assert_eq!(
        record["lawful_basis"],
        json!(["eu-gdpr:A6-1-e", "eu-gdpr:A9-2-a"])
    );
    assert_eq!(document["@graph"][1]["event_state"], "dpv:ConsentRefused");
}

#[test]
fn the_national_id_appears_only_when_the_host_passes_it_for_the_same_person() {
    let fixture = Fixture::new();
    fixture.grant(json!({}));
    let export = fixture.export(ADULT);
    let id = fixture.ledger.parse_national_id(ADULT).unwrap();
    let options = FhirOptions::with_national_id(&fixture.ledger, &export, &id).unwrap();
    let bundle: Value = serde_json::from_str(&fhir_bundle(&export, &options).unwrap()).unwrap();
    assert_eq!(
        bundle["entry"][0]["resource"]["subject"]["identifier"],
        json!({"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": ADULT})
    );
    // Someone else's number is refused, and the message does not repeat it.
    let other = national_id("010190", "49");
    let other_id = fixture.ledger.parse_national_id(&other).unwrap();
    let error = FhirOptions::with_national_id(&fixture.ledger, &export, &other_id).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidExport);
    assert!(!error.message().contains(&other), "{}", error.message());
    // A D-nummer has no identifier system pinned here: refused.
    let d_number = national_id("550185", "12");
    let ledger = &fixture.ledger;
    fixture.grant(json!({"subject": d_number}));
    let d_export = fixture.export(&d_number);
    let d_id = ledger.parse_national_id(&d_number).unwrap();
    let error = FhirOptions::with_national_id(ledger, &d_export, &d_id).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidExport);
}
