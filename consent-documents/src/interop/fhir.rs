//! HL7 FHIR R5 `Consent` resources in a `Bundle`. The mapping, with the reason for each choice
//! the standard leaves open, is in `docs/fhir.md`.

use chrono::{DateTime, Utc};
use consent_core::{
    ConsentRecord, ConsentType, GrantorRecord, IdKind, Ledger, NationalId, RefusalEntry,
    SubjectExport,
};
use serde::Serialize;

use super::{
    EU_GDPR, PSEUDONYM_SYSTEM, Result, State, export_error, gdpr_term, given_at, instant, snake,
    system, withdrawn_at,
};

/// The identifier system of a fødselsnummer (Volven OID 2.16.578.1.12.4.1.4.1).
pub const FODSELSNUMMER_SYSTEM: &str = "urn:oid:2.16.578.1.12.4.1.4.1";

const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const CONSENT_ACTION: &str = "http://terminology.hl7.org/CodeSystem/consentaction";

/// How the FHIR resources name the person.
#[derive(Debug, Clone, Default)]
pub struct FhirOptions {
    national_id: Option<String>,
}

impl FhirOptions {
    /// The person by pseudonym (identifier system `urn:consent:pseudonym`): the default.
    #[must_use]
    pub fn pseudonym() -> Self {
        Self::default()
    }

    /// The person by fødselsnummer (identifier system `urn:oid:2.16.578.1.12.4.1.4.1`), for a
    /// health service that must match the patient. Only the host asks for this, explicitly;
    /// the id must be the export's subject (the ledger's pseudonym of it is the export's).
    ///
    /// # Errors
    /// `InvalidExport` when the id is not the export's subject (its pseudonym differs), or is a
    /// D-nummer or DUF number (no identifier system is pinned for them here). The message
    /// never holds the id.
    pub fn with_national_id(
        ledger: &Ledger,
        export: &SubjectExport,
        id: &NationalId,
    ) -> Result<Self> {
        if ledger.pseudonym(id) != export.pii_principal_id {
            return Err(export_error(
                "the national id passed is not the subject of this export",
            ));
        }
        match id.kind() {
            IdKind::Fodselsnummer | IdKind::Synthetic => Ok(Self {
                national_id: Some(id.expose()),
            }),
            _ => Err(export_error(
                "only a fødselsnummer can name the subject in FHIR (urn:oid:2.16.578.1.12.4.1.4.1); \
                 use the pseudonym for a D-nummer or DUF number",
            )),
        }
    }
}

/// Every grant and refusal of one person as FHIR R5 `Consent` resources, in a `Bundle` of type
/// `collection`, as pretty-printed JSON.
///
/// The person appears by pseudonym unless `options` carries their national id. A grant's
/// `status` is `active` while it is given (or given and not yet valid: its `period` says from
/// when) and `inactive` once withdrawn, expired, lapsed or erased; a withdrawal ends the
/// `period`. A refusal is a `Consent` with `decision` `deny`.
///
/// # Errors
/// `InvalidExport` for a grant state the mapping does not know; never a partial bundle.
pub fn fhir_bundle(export: &SubjectExport, options: &FhirOptions) -> Result<String> {
    let bundle = bundle(export, options)?;
    serde_json::to_string_pretty(&bundle)
        .map_err(|error| export_error(format!("cannot encode the FHIR bundle: {error}")))
}

pub(super) fn bundle(export: &SubjectExport, options: &FhirOptions) -> Result<Bundle> {
    let subject = subject_identifier(export, options);
    let mut entry = Vec::new();
    for record in &export.consent_records {
        let consent = grant_consent(record, &subject)?;
        entry.push(BundleEntry {
            full_url: format!("urn:uuid:{}", record.record_id),
            resource: consent,
        });
    }
    for refusal in &export.refusals {
        entry.push(BundleEntry {
            full_url: format!("urn:uuid:{}", refusal.meta.event_id),
            resource: refusal_consent(refusal, &subject)?,
        });
    }
    Ok(Bundle {
        resource_type: "Bundle",
        identifier: Identifier {
            system: super::system("export"),
            value: format!(
                "{}/{}",
                export.pii_principal_id,
                instant(export.generated_at)
            ),
            r#type: None,
        },
        r#type: "collection",
        timestamp: instant(export.generated_at),
        entry,
    })
}

fn subject_identifier(export: &SubjectExport, options: &FhirOptions) -> Identifier {
    match &options.national_id {
        Some(id) => Identifier {
            system: FODSELSNUMMER_SYSTEM.to_owned(),
            value: id.clone(),
            r#type: None,
        },
        None => pseudonym_identifier(&export.pii_principal_id.to_string()),
    }
}

fn pseudonym_identifier(value: &str) -> Identifier {
    Identifier {
        system: PSEUDONYM_SYSTEM.to_owned(),
        value: value.to_owned(),
        r#type: None,
    }
}

fn patient(subject: &Identifier) -> Reference {
    Reference {
        reference: None,
        r#type: Some("Patient"),
        identifier: Some(subject.clone()),
        display: None,
    }
}

fn grant_consent(record: &ConsentRecord, subject: &Identifier) -> Result<Consent> {
    let state = State::of(record.event_state)?;
    let status = match state {
        State::Given | State::NotYetValid => "active",
        State::Withdrawn
        | State::Expired
        | State::ReconsentRequired
        | State::AuthorityEnded
        | State::Erased => "inactive",
    };
    let explicit = match record.consent_type {
        ConsentType::Expressed => false,
        ConsentType::ExplicitlyExpressed => true,
        other => {
            return Err(export_error(format!(
                "the consent type `{}` has no FHIR mapping",
                snake(&other, "consent_type")?
            )));
        }
    };
    let (valid_from, valid_until) = match &record.current_validity {
        Some(current) => (
            current.valid_from.unwrap_or(record.validity.valid_from),
            current.valid_until,
        ),
        None => (record.validity.valid_from, record.validity.valid_until),
    };
    let end = earliest(&[
        valid_until,
        withdrawn_at(record),
        lapse(record.validity.lapses_at, record.validity.special_lapses_at),
    ]);
    let (contained, grantor) = grantor(&record.grantor, subject)?;
    let regulatory_basis = regulatory_basis(record);
    let verification = verification(record, grantor.clone())?;
    let mut category = vec![CodeableConcept {
        coding: vec![Coding::with_display(
            ACT_CODE,
            "IDSCL",
            "information disclosure",
        )],
        text: None,
    }];
    category.push(CodeableConcept {
        coding: vec![Coding::new(
            system("consent-type"),
            if explicit {
                "explicitly_expressed"
            } else {
                "expressed"
            },
        )],
        text: None,
    });
    Ok(Consent {
        resource_type: "Consent",
        id: record.record_id.to_string(),
        contained,
        identifier: vec![Identifier {
            system: system("grant"),
            value: record.record_id.to_string(),
            r#type: None,
        }],
        status,
        category,
        subject: patient(subject),
        date: given_at(record).map(|at| at.date_naive().to_string()),
        period: Some(Period {
            start: Some(instant(valid_from)),
            end: end.map(instant),
        }),
        grantor: vec![grantor],
        source_reference: vec![document("case-reference", &record.evidence.reference)],
        regulatory_basis,
        policy_text: vec![document(
            "privacy-notice",
            &format!(
                "{}|{}",
                record.privacy_notice.id, record.privacy_notice.version
            ),
        )],
        verification: vec![verification],
        decision: "permit",
        provision: vec![provision(
            &record.purposes,
            &record.recipient_third_parties,
            &record.pii_information,
        )],
    })
}

/// Both gates of each purpose: the GDPR gate (Art. 6 and 9 as DPV's EU GDPR terms, with the
/// statute as text) and the confidentiality gate (the exception, with its statute).
fn regulatory_basis(record: &ConsentRecord) -> Vec<CodeableConcept> {
    let mut regulatory_basis = Vec::new();
    for gate in &record.gates {
        let mut coding = vec![gdpr_coding(gate.art6.as_str())];
        coding.extend(gate.art9.map(|art9| gdpr_coding(art9.as_str())));
        regulatory_basis.push(CodeableConcept {
            coding,
            text: gate.statute.clone(),
        });
        regulatory_basis.push(CodeableConcept {
            coding: vec![Coding::new(
                system("confidentiality-exception"),
                gate.confidentiality_exception.as_str(),
            )],
            text: gate.confidentiality_statute.clone(),
        });
    }
    regulatory_basis
}

/// The evidence: how consent was collected, its reference, language and interpreter, the
/// service that collected it, and who consented.
fn verification(record: &ConsentRecord, grantor: Reference) -> Result<Verification> {
    let method = snake(&record.collection_method, "collection_method")?;
    let mut verification_text = format!(
        "{method}; reference {}; language {}",
        record.evidence.reference, record.evidence.language
    );
    if record.evidence.interpreter {
        verification_text.push_str("; interpreter");
    }
    Ok(Verification {
        verified: true,
        verification_type: CodeableConcept {
            coding: vec![Coding::new(system("collection-method"), &method)],
            text: Some(verification_text),
        },
        verified_by: record
            .evidence
            .collected_by
            .as_ref()
            .map(|service| organisation("service", service)),
        verified_with: verified_with(grantor),
        verification_date: given_at(record).map(instant).into_iter().collect(),
    })
}

fn refusal_consent(refusal: &RefusalEntry, subject: &Identifier) -> Result<Consent> {
    let (contained, grantor) = grantor(&refusal.grantor, subject)?;
    let method = snake(&refusal.evidence.method, "evidence.method")?;
    Ok(Consent {
        resource_type: "Consent",
        id: refusal.meta.event_id.to_string(),
        contained,
        identifier: vec![Identifier {
            system: system("refusal"),
            value: refusal.meta.event_id.to_string(),
            r#type: None,
        }],
        status: "active",
        category: vec![CodeableConcept {
            coding: vec![Coding::with_display(
                ACT_CODE,
                "IDSCL",
                "information disclosure",
            )],
            text: None,
        }],
        subject: patient(subject),
        date: Some(refusal.refused_at.date_naive().to_string()),
        period: Some(Period {
            start: Some(instant(refusal.refused_at)),
            end: None,
        }),
        grantor: vec![grantor.clone()],
        source_reference: vec![document("case-reference", &refusal.evidence.reference)],
        regulatory_basis: Vec::new(),
        policy_text: vec![document(
            "privacy-notice",
            &format!(
                "{}|{}",
                refusal.privacy_notice.id, refusal.privacy_notice.version
            ),
        )],
        verification: vec![Verification {
            verified: true,
            verification_type: CodeableConcept {
                coding: vec![Coding::new(system("collection-method"), &method)],
                text: None,
            },
            verified_by: None,
            verified_with: verified_with(grantor),
            verification_date: vec![instant(refusal.refused_at)],
        }],
        decision: "deny",
        provision: vec![provision(
            &refusal.purposes,
            &refusal.recipient_third_parties,
            &refusal.pii_information,
        )],
    })
}

/// The one provision of a grant: the recipients (as information recipients) may receive the
/// categories for the purposes.
fn provision(
    purposes: &[consent_core::Code],
    recipients: &[consent_core::Code],
    categories: &[consent_core::Code],
) -> Provision {
    Provision {
        actor: recipients
            .iter()
            .map(|recipient| ProvisionActor {
                role: CodeableConcept {
                    coding: vec![Coding::with_display(
                        PARTICIPATION_TYPE,
                        "IRCP",
                        "information recipient",
                    )],
                    text: None,
                },
                reference: organisation("recipient", recipient.as_str()),
            })
            .collect(),
        action: vec![CodeableConcept {
            coding: vec![Coding::new(CONSENT_ACTION.to_owned(), "disclose")],
            text: None,
        }],
        purpose: purposes
            .iter()
            .map(|purpose| Coding::new(system("purpose"), purpose.as_str()))
            .collect(),
        code: categories
            .iter()
            .map(|category| CodeableConcept {
                coding: vec![Coding::new(system("category"), category.as_str())],
                text: None,
            })
            .collect(),
    }
}

/// The grantor: the subject for `self`, a contained `RelatedPerson` (with its relationship) for
/// a person who represents them, an `Organization` for barnevern.
fn grantor(
    record: &GrantorRecord,
    subject: &Identifier,
) -> Result<(Vec<RelatedPerson>, Reference)> {
    let role = record.role.as_str();
    let relationship = match role {
        "self" => return Ok((Vec::new(), patient(subject))),
        "barnevern" => {
            let id = record.id.as_deref().ok_or_else(|| {
                export_error("a barnevern grantor has no service id in the export")
            })?;
            return Ok((Vec::new(), organisation("service", id)));
        }
        "parent" => Coding::with_display(ROLE_CODE, "PRN", "parent"),
        "verge" | "representant" => Coding::with_display(ROLE_CODE, "GUARD", "guardian"),
        other => {
            return Err(export_error(format!(
                "the grantor role `{other}` has no FHIR mapping"
            )));
        }
    };
    let person = RelatedPerson {
        resource_type: "RelatedPerson",
        id: "grantor",
        identifier: record
            .id
            .as_deref()
            .map(pseudonym_identifier)
            .into_iter()
            .collect(),
        patient: patient(subject),
        relationship: vec![CodeableConcept {
            coding: vec![relationship, Coding::new(system("grantor-role"), role)],
            text: Some(role.to_owned()),
        }],
        period: record.authority_valid_until.map(|until| Period {
            start: None,
            end: Some(instant(until)),
        }),
    };
    let reference = Reference {
        reference: Some("#grantor".to_owned()),
        r#type: Some("RelatedPerson"),
        identifier: None,
        display: Some(role.to_owned()),
    };
    Ok((vec![person], reference))
}

/// `verification.verifiedWith` takes a `Patient` or a `RelatedPerson` only: not barnevern (an
/// `Organization`), whose consent the grantor element already names.
fn verified_with(grantor: Reference) -> Option<Reference> {
    matches!(grantor.r#type, Some("Patient" | "RelatedPerson")).then_some(grantor)
}

fn organisation(kind: &str, code: &str) -> Reference {
    Reference {
        reference: None,
        r#type: Some("Organization"),
        identifier: Some(Identifier {
            system: system(kind),
            value: code.to_owned(),
            r#type: None,
        }),
        display: None,
    }
}

fn document(kind: &str, value: &str) -> Reference {
    Reference {
        reference: None,
        r#type: Some("DocumentReference"),
        identifier: Some(Identifier {
            system: system(kind),
            value: value.to_owned(),
            r#type: None,
        }),
        display: None,
    }
}

fn gdpr_coding(code: &str) -> Coding {
    Coding {
        system: EU_GDPR.trim_end_matches('#').to_owned(),
        code: gdpr_term(code),
        display: None,
    }
}

/// When a representative's grant has lapsed for everything it covers: its one lapse, or the
/// later of the ordinary and the special one.
fn lapse(
    lapses_at: Option<DateTime<Utc>>,
    special_lapses_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (lapses_at, special_lapses_at) {
        (Some(ordinary), Some(special)) => Some(ordinary.max(special)),
        (ordinary, None) => ordinary,
        (None, Some(_)) => None,
    }
}

fn earliest(ends: &[Option<DateTime<Utc>>]) -> Option<DateTime<Utc>> {
    ends.iter().flatten().min().copied()
}

// The FHIR R5 structures, as far as the mapping uses them.

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bundle {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Identifier,
    #[serde(rename = "type")]
    pub(super) r#type: &'static str,
    pub(super) timestamp: String,
    pub(super) entry: Vec<BundleEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BundleEntry {
    pub(super) full_url: String,
    pub(super) resource: Consent,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Consent {
    pub(super) resource_type: &'static str,
    pub(super) id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) contained: Vec<RelatedPerson>,
    pub(super) identifier: Vec<Identifier>,
    pub(super) status: &'static str,
    pub(super) category: Vec<CodeableConcept>,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) period: Option<Period>,
    pub(super) grantor: Vec<Reference>,
    pub(super) source_reference: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) regulatory_basis: Vec<CodeableConcept>,
    pub(super) policy_text: Vec<Reference>,
    pub(super) verification: Vec<Verification>,
    pub(super) decision: &'static str,
    pub(super) provision: Vec<Provision>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RelatedPerson {
    pub(super) resource_type: &'static str,
    pub(super) id: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) identifier: Vec<Identifier>,
    pub(super) patient: Reference,
    pub(super) relationship: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) period: Option<Period>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Identifier {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) r#type: Option<CodeableConcept>,
    pub(super) system: String,
    pub(super) value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) r#type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) display: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct CodeableConcept {
    pub(super) coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Coding {
    pub(super) system: String,
    pub(super) code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) display: Option<String>,
}

impl Coding {
    fn new(system: String, code: &str) -> Self {
        Self {
            system,
            code: code.to_owned(),
            display: None,
        }
    }

    fn with_display(system: &str, code: &str, display: &str) -> Self {
        Self {
            system: system.to_owned(),
            code: code.to_owned(),
            display: Some(display.to_owned()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) end: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Verification {
    pub(super) verified: bool,
    pub(super) verification_type: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) verified_by: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) verified_with: Option<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) verification_date: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Provision {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) actor: Vec<ProvisionActor>,
    pub(super) action: Vec<CodeableConcept>,
    pub(super) purpose: Vec<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) code: Vec<CodeableConcept>,
}

#[derive(Debug, Serialize)]
pub(super) struct ProvisionActor {
    pub(super) role: CodeableConcept,
    pub(super) reference: Reference,
}
