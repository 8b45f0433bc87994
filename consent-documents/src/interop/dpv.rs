//! ISO/IEC TS 27560 consent records with W3C DPV terms, as JSON-LD. The keys are the TS 27560
//! field names of the subject export; the `@context` maps each to a DPV IRI, or to a project
//! IRI under `urn:consent:vocab:` where DPV has no term. Every DPV IRI used here exists in DPV
//! 2.3 (`docs/dpv.md` lists them and the source).

use std::collections::BTreeMap;

use consent_core::{Code, ConsentRecord, ConsentType, GrantorRecord, RefusalEntry, SubjectExport};
use serde::Serialize;

use super::{
    EU_GDPR, Result, State, export_error, gdpr_term, given_at, instant, iri, snake, withdrawn_at,
};

/// The DPV namespace.
pub const DPV: &str = "https://w3id.org/dpv#";
/// DPV's locations extension (`loc:NO`).
const LOC: &str = "https://w3id.org/dpv/loc#";
/// The project's own terms, where DPV has none.
pub const VOCAB: &str = "urn:consent:vocab:";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const DCT: &str = "http://purl.org/dc/terms/";

/// Every grant and refusal of one person as ISO/IEC TS 27560 consent records with DPV terms,
/// as pretty-printed JSON-LD (a `@graph` of records under one `@context`).
///
/// The person appears by pseudonym only (`urn:consent:pseudonym:<hex>`), never by national id.
/// A grant's `event_state` is `dpv:ConsentGiven` while given (also before it takes effect:
/// `valid_from` says when), `dpv:ConsentWithdrawn`, `dpv:ConsentExpired` (its end passed, or a
/// representative's authority or the child's minority ended), or `dpv:ConsentUnknown` once
/// erased; a refusal is `dpv:ConsentRefused`.
///
/// # Errors
/// `InvalidExport` for a grant state the mapping does not know.
pub fn dpv_jsonld(export: &SubjectExport) -> Result<String> {
    let document = document(export)?;
    serde_json::to_string_pretty(&document)
        .map_err(|error| export_error(format!("cannot encode the DPV record: {error}")))
}

pub(super) fn document(export: &SubjectExport) -> Result<Document> {
    let subject = iri("pseudonym", &export.pii_principal_id.to_string());
    let mut graph = Vec::new();
    for consent in &export.consent_records {
        graph.push(grant_record(consent, &subject, export.schema_version)?);
    }
    for refusal in &export.refusals {
        graph.push(refusal_record(refusal, &subject, export.schema_version)?);
    }
    Ok(Document {
        context: context(),
        id: format!(
            "{}:{}",
            iri("export", &export.pii_principal_id.to_string()),
            instant(export.generated_at)
        ),
        generated_at: instant(export.generated_at),
        graph,
    })
}

fn grant_record(
    consent: &ConsentRecord,
    subject: &str,
    schema_version: &'static str,
) -> Result<Record> {
    let status = match State::of(consent.event_state)? {
        State::Given | State::NotYetValid => "dpv:ConsentGiven",
        State::Withdrawn => "dpv:ConsentWithdrawn",
        State::Expired | State::ReconsentRequired | State::AuthorityEnded => "dpv:ConsentExpired",
        State::Erased => "dpv:ConsentUnknown",
    };
    let consent_type = match consent.consent_type {
        ConsentType::Expressed => "dpv:ExpressedConsent",
        ConsentType::ExplicitlyExpressed => "dpv:ExplicitlyExpressedConsent",
        other => {
            return Err(export_error(format!(
                "the consent type `{}` has no DPV mapping",
                snake(&other, "consent_type")?
            )));
        }
    };
    let mut statutes = Vec::new();
    let mut exceptions = Vec::new();
    for gate in &consent.gates {
        for statute in [&gate.statute, &gate.confidentiality_statute]
            .into_iter()
            .flatten()
        {
            if !statutes.contains(statute) {
                statutes.push(statute.clone());
            }
        }
        let exception = iri(
            "confidentiality-exception",
            gate.confidentiality_exception.as_str(),
        );
        if !exceptions.contains(&exception) {
            exceptions.push(exception);
        }
    }
    let (valid_from, valid_until) = match &consent.current_validity {
        Some(current) => (
            current.valid_from.unwrap_or(consent.validity.valid_from),
            current.valid_until,
        ),
        None => (consent.validity.valid_from, consent.validity.valid_until),
    };
    Ok(Record {
        id: format!("urn:uuid:{}", consent.record_id),
        types: vec!["dpv:ConsentRecord", consent_type],
        schema_version,
        record_id: consent.record_id.to_string(),
        pii_principal_id: subject.to_owned(),
        jurisdiction: "loc:NO",
        event_state: status,
        purpose: codes("purpose", &consent.purposes),
        pii_information: codes("category", &consent.pii_information),
        recipient_third_parties: codes("recipient", &consent.recipient_third_parties),
        lawful_basis: consent
            .lawful_basis
            .iter()
            .map(|code| format!("eu-gdpr:{}", gdpr_term(code)))
            .collect(),
        statute: statutes,
        confidentiality_exception: exceptions,
        privacy_notice: iri(
            "notice",
            &format!(
                "{}:{}",
                consent.privacy_notice.id, consent.privacy_notice.version
            ),
        ),
        collection_method: iri(
            "collection-method",
            &snake(&consent.collection_method, "collection_method")?,
        ),
        event_time: given_at(consent).map(instant),
        entity_id: grantor(&consent.grantor, subject)?,
        evidence_reference: consent.evidence.reference.clone(),
        valid_from: Some(instant(valid_from)),
        valid_until: valid_until.map(instant),
        withdrawn_at: withdrawn_at(consent).map(instant),
    })
}

fn refusal_record(
    refusal: &RefusalEntry,
    subject: &str,
    schema_version: &'static str,
) -> Result<Record> {
    Ok(Record {
        id: format!("urn:uuid:{}", refusal.meta.event_id),
        types: vec!["dpv:ConsentRecord"],
        schema_version,
        record_id: refusal.meta.event_id.to_string(),
        pii_principal_id: subject.to_owned(),
        jurisdiction: "loc:NO",
        event_state: "dpv:ConsentRefused",
        purpose: codes("purpose", &refusal.purposes),
        pii_information: codes("category", &refusal.pii_information),
        recipient_third_parties: codes("recipient", &refusal.recipient_third_parties),
        lawful_basis: Vec::new(),
        statute: Vec::new(),
        confidentiality_exception: Vec::new(),
        privacy_notice: iri(
            "notice",
            &format!(
                "{}:{}",
                refusal.privacy_notice.id, refusal.privacy_notice.version
            ),
        ),
        collection_method: iri(
            "collection-method",
            &snake(&refusal.evidence.method, "evidence.method")?,
        ),
        event_time: Some(instant(refusal.refused_at)),
        entity_id: grantor(&refusal.grantor, subject)?,
        evidence_reference: refusal.evidence.reference.clone(),
        valid_from: None,
        valid_until: None,
        withdrawn_at: None,
    })
}

fn codes(kind: &str, codes: &[Code]) -> Vec<String> {
    codes.iter().map(|code| iri(kind, code.as_str())).collect()
}

/// Who gave (or refused) consent: the subject, or their representative typed by DPV's
/// relation to the data subject.
fn grantor(record: &GrantorRecord, subject: &str) -> Result<Grantor> {
    let role = record.role.as_str();
    let relation = match role {
        "self" => {
            return Ok(Grantor {
                id: subject.to_owned(),
                types: Vec::new(),
                role: role.to_owned(),
                relation: None,
            });
        }
        "parent" => "dpv:ParentOfDataSubject",
        "verge" | "representant" | "barnevern" => "dpv:GuardianOfDataSubject",
        other => {
            return Err(export_error(format!(
                "the grantor role `{other}` has no DPV mapping"
            )));
        }
    };
    let id = record
        .id
        .as_deref()
        .map(|id| {
            if role == "barnevern" {
                iri("service", id)
            } else {
                iri("pseudonym", id)
            }
        })
        .ok_or_else(|| export_error(format!("a `{role}` grantor has no id in the export")))?;
    Ok(Grantor {
        id,
        types: vec![relation],
        role: role.to_owned(),
        relation: Some(subject.to_owned()),
    })
}

fn context() -> BTreeMap<&'static str, Term> {
    use Term::{Iri, Typed};
    let id = |iri: &'static str| Typed {
        id: iri,
        kind: Some("@id"),
        container: None,
    };
    let ids = |iri: &'static str| Typed {
        id: iri,
        kind: Some("@id"),
        container: Some("@set"),
    };
    let time = |iri: &'static str| Typed {
        id: iri,
        kind: Some("xsd:dateTime"),
        container: None,
    };
    let text = |iri: &'static str| Iri(iri);
    BTreeMap::from([
        ("dpv", Iri(DPV)),
        ("eu-gdpr", Iri(EU_GDPR)),
        ("loc", Iri(LOC)),
        ("consent", Iri(VOCAB)),
        ("xsd", Iri(XSD)),
        ("dct", Iri(DCT)),
        ("generated_at", time("dct:created")),
        ("schema_version", text("consent:schemaVersion")),
        ("record_id", text("dpv:hasIdentifier")),
        ("pii_principal_id", id("dpv:hasDataSubject")),
        ("jurisdiction", id("dpv:hasJurisdiction")),
        ("event_state", id("dpv:hasConsentStatus")),
        ("purpose", ids("dpv:hasPurpose")),
        ("pii_information", ids("dpv:hasPersonalData")),
        ("recipient_third_parties", ids("dpv:hasRecipient")),
        ("lawful_basis", ids("dpv:hasLegalBasis")),
        (
            "statute",
            Typed {
                id: "consent:statute",
                kind: None,
                container: Some("@set"),
            },
        ),
        (
            "confidentiality_exception",
            ids("consent:confidentialityException"),
        ),
        ("privacy_notice", id("dpv:hasNotice")),
        ("collection_method", id("dpv:hasIndicationMethod")),
        ("event_time", time("dpv:isIndicatedAtTime")),
        ("entity_id", text("dpv:isIndicatedBy")),
        ("grantor_role", text("consent:grantorRole")),
        ("relation_with", id("dpv:hasRelationWithDataSubject")),
        ("evidence_reference", text("consent:evidenceReference")),
        ("valid_from", time("consent:validFrom")),
        ("valid_until", time("consent:validUntil")),
        ("withdrawn_at", time("consent:withdrawnAt")),
    ])
}

// The JSON-LD structures.

#[derive(Debug, Serialize)]
pub(super) struct Document {
    #[serde(rename = "@context")]
    pub(super) context: BTreeMap<&'static str, Term>,
    #[serde(rename = "@id")]
    pub(super) id: String,
    pub(super) generated_at: String,
    #[serde(rename = "@graph")]
    pub(super) graph: Vec<Record>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum Term {
    Iri(&'static str),
    Typed {
        #[serde(rename = "@id")]
        id: &'static str,
        #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
        kind: Option<&'static str>,
        #[serde(rename = "@container", skip_serializing_if = "Option::is_none")]
        container: Option<&'static str>,
    },
}

#[derive(Debug, Serialize)]
pub(super) struct Record {
    #[serde(rename = "@id")]
    pub(super) id: String,
    #[serde(rename = "@type")]
    pub(super) types: Vec<&'static str>,
    pub(super) schema_version: &'static str,
    pub(super) record_id: String,
    pub(super) pii_principal_id: String,
    pub(super) jurisdiction: &'static str,
    pub(super) event_state: &'static str,
    pub(super) purpose: Vec<String>,
    pub(super) pii_information: Vec<String>,
    pub(super) recipient_third_parties: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) lawful_basis: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) statute: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) confidentiality_exception: Vec<String>,
    pub(super) privacy_notice: String,
    pub(super) collection_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) event_time: Option<String>,
    pub(super) entity_id: Grantor,
    pub(super) evidence_reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) withdrawn_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Grantor {
    #[serde(rename = "@id")]
    pub(super) id: String,
    #[serde(rename = "@type", skip_serializing_if = "Vec::is_empty")]
    pub(super) types: Vec<&'static str>,
    #[serde(rename = "grantor_role")]
    pub(super) role: String,
    #[serde(rename = "relation_with", skip_serializing_if = "Option::is_none")]
    pub(super) relation: Option<String>,
}
