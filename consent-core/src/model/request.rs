//! The requests the ledger takes: a grant, a refusal, a disclosure to decide, a correction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::party::{ChildHeard, Evidence, Grantor, GrantorDoc, MaturityAssessment, Notice};
use super::{SCHEMA_VERSION, code, codes, parse_json};
use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::{IdOptions, NationalId};

/// A request to record one consent.
///
/// The JSON form is the contract shared with C and Python (`docs/json.md`); codes are
/// checked against the catalogue when the ledger records the grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRequest {
    /// The person the data is about.
    pub subject: NationalId,
    /// Who consented.
    pub grantor: Grantor,
    /// The purposes consented to.
    pub purposes: Vec<Code>,
    /// The recipients consented to.
    pub recipients: Vec<Code>,
    /// The data categories consented to.
    pub categories: Vec<Code>,
    /// Whether consent was explicit (required for special categories).
    pub explicit: bool,
    /// When the consent takes effect.
    pub valid_from: DateTime<Utc>,
    /// When the consent ends by itself, if it does.
    pub valid_until: Option<DateTime<Utc>>,
    /// The proof.
    pub evidence: Evidence,
    /// The privacy notice given.
    pub notice: Notice,
    /// For a minor's own grant below the catalogue's `self_consent_age`: the assessment that
    /// they are mature enough (from `mature_minor_min_age`).
    pub maturity_assessment: Option<MaturityAssessment>,
    /// For a representative's grant: that the child was heard (required from the catalogue's
    /// `hear_child_from_age`).
    pub child_heard: Option<ChildHeard>,
    /// The subject's birth date from Folkeregisteret, which wins over the date in the number
    /// for the age rules (a D-nummer's date may be a registration date; a 2032-scheme number
    /// has no century). Not stored: the ledger keeps only the instants it implies.
    pub subject_birth_date: Option<NaiveDate>,
    /// A key the caller chooses (the case number of the form, an import row's id) so that a
    /// retried call writes nothing: the same key again returns the first grant's id, the same
    /// key with other content is `Conflict` ([`IDEMPOTENCY_KEY_MAX`] characters at most,
    /// never a national id). The ledger keeps only a keyed digest of it.
    pub idempotency_key: Option<String>,
}

/// The longest idempotency key, in characters.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

/// Checks a caller's idempotency key.
fn idempotency_key(key: Option<String>) -> Result<Option<String>> {
    if let Some(key) = &key {
        super::text::check(key, "idempotency_key", IDEMPOTENCY_KEY_MAX)?;
    }
    Ok(key)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantDoc {
    #[serde(default = "schema_version")]
    version: u32,
    subject: String,
    grantor: GrantorDoc,
    purposes: Vec<String>,
    recipients: Vec<String>,
    categories: Vec<String>,
    explicit: bool,
    valid_from: DateTime<Utc>,
    #[serde(default)]
    valid_until: Option<DateTime<Utc>>,
    evidence: Evidence,
    notice: Notice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    maturity_assessment: Option<MaturityAssessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    child_heard: Option<ChildHeard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject_birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<String>,
}

impl GrantRequest {
    /// Parses the grant JSON with the default [`IdOptions`].
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON or fields, `InvalidNationalId` for a bad subject or
    /// representative id, `UnknownCode` for a malformed code.
    pub fn from_json(json: &str) -> Result<Self> {
        Self::from_json_with(json, IdOptions::default())
    }

    /// Parses the grant JSON with the given national id options.
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn from_json_with(json: &str, options: IdOptions) -> Result<Self> {
        let doc: GrantDoc = parse_json(json, "grant")?;
        check_version(doc.version, "grant")?;
        let (subject, grantor, purposes, recipients, categories) = parse_scope(
            &doc.subject,
            doc.grantor,
            doc.purposes,
            doc.recipients,
            doc.categories,
            options,
        )?;
        Ok(GrantRequest {
            subject,
            grantor,
            purposes,
            recipients,
            categories,
            explicit: doc.explicit,
            valid_from: doc.valid_from,
            valid_until: doc.valid_until,
            evidence: doc.evidence,
            notice: doc.notice,
            maturity_assessment: doc.maturity_assessment,
            child_heard: doc.child_heard,
            subject_birth_date: doc.subject_birth_date,
            idempotency_key: idempotency_key(doc.idempotency_key)?,
        })
    }

    /// The request without its idempotency key, as text: what a key's digest is checked
    /// against (never stored or shown: it holds the national id).
    pub(crate) fn content(&self) -> Result<String> {
        let mut plain = self.clone();
        plain.idempotency_key = None;
        plain.to_json()
    }

    /// The grant JSON of this request (it contains the subject's national id in clear text:
    /// it is the caller's own input document, never a log line).
    ///
    /// # Errors
    /// `Storage` if the document cannot be encoded (not expected: it is text, booleans and
    /// instants).
    pub fn to_json(&self) -> Result<String> {
        let doc = GrantDoc {
            version: SCHEMA_VERSION,
            subject: self.subject.expose(),
            grantor: self.grantor.to_doc(),
            purposes: self.purposes.iter().map(|c| c.to_string()).collect(),
            recipients: self.recipients.iter().map(|c| c.to_string()).collect(),
            categories: self.categories.iter().map(|c| c.to_string()).collect(),
            explicit: self.explicit,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            evidence: self.evidence.clone(),
            notice: self.notice.clone(),
            maturity_assessment: self.maturity_assessment.clone(),
            child_heard: self.child_heard.clone(),
            subject_birth_date: self.subject_birth_date,
            idempotency_key: self.idempotency_key.clone(),
        };
        serde_json::to_string(&doc)
            .map_err(|e| Error::new(ErrorCode::Storage, format!("cannot encode the grant: {e}")))
    }
}

/// A request to record that the subject refused to consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRequest {
    /// The person the data is about.
    pub subject: NationalId,
    /// Who refused.
    pub grantor: Grantor,
    /// The purposes asked for.
    pub purposes: Vec<Code>,
    /// The recipients asked for.
    pub recipients: Vec<Code>,
    /// The categories asked for.
    pub categories: Vec<Code>,
    /// When the refusal was given.
    pub at: DateTime<Utc>,
    /// Where the refusal is documented.
    pub evidence: Evidence,
    /// The privacy notice given.
    pub notice: Notice,
    /// As [`GrantRequest::idempotency_key`]: the same key again returns the first refusal's
    /// record id and writes nothing.
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefusalDoc {
    #[serde(default = "schema_version")]
    version: u32,
    subject: String,
    grantor: GrantorDoc,
    purposes: Vec<String>,
    recipients: Vec<String>,
    categories: Vec<String>,
    at: DateTime<Utc>,
    evidence: Evidence,
    notice: Notice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<String>,
}

impl RefusalRequest {
    /// As [`GrantRequest`]'s: the request without its key, as text.
    pub(crate) fn content(&self) -> Result<String> {
        let mut plain = self.clone();
        plain.idempotency_key = None;
        plain.to_json()
    }

    /// The refusal JSON of this request (with the subject's national id in clear text, like
    /// [`GrantRequest::to_json`]).
    ///
    /// # Errors
    /// `Storage` if the document cannot be encoded (not expected).
    pub fn to_json(&self) -> Result<String> {
        let doc = RefusalDoc {
            version: SCHEMA_VERSION,
            subject: self.subject.expose(),
            grantor: self.grantor.to_doc(),
            purposes: self.purposes.iter().map(|c| c.to_string()).collect(),
            recipients: self.recipients.iter().map(|c| c.to_string()).collect(),
            categories: self.categories.iter().map(|c| c.to_string()).collect(),
            at: self.at,
            evidence: self.evidence.clone(),
            notice: self.notice.clone(),
            idempotency_key: self.idempotency_key.clone(),
        };
        serde_json::to_string(&doc).map_err(|e| {
            Error::new(
                ErrorCode::Storage,
                format!("cannot encode the refusal: {e}"),
            )
        })
    }

    /// Parses the refusal JSON: the grant JSON's `subject`, `grantor`, `purposes`,
    /// `recipients`, `categories`, `evidence` and `notice`, and `at` for when it was given.
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn from_json_with(json: &str, options: IdOptions) -> Result<Self> {
        let doc: RefusalDoc = parse_json(json, "refusal")?;
        check_version(doc.version, "refusal")?;
        let (subject, grantor, purposes, recipients, categories) = parse_scope(
            &doc.subject,
            doc.grantor,
            doc.purposes,
            doc.recipients,
            doc.categories,
            options,
        )?;
        Ok(RefusalRequest {
            subject,
            grantor,
            purposes,
            recipients,
            categories,
            at: doc.at,
            evidence: doc.evidence,
            notice: doc.notice,
            idempotency_key: idempotency_key(doc.idempotency_key)?,
        })
    }
}

/// A condition the requester asserts holds for a disclosure, with the reference (a case or
/// journal number) where the grounds are documented. A statutory rule that requires a
/// condition (for example the duty to inform the child welfare service, which applies only
/// with "grunn til å tro" or an order) permits only when one of its conditions is asserted,
/// and a recorded disclosure keeps the assertion.
///
/// JSON: `{"condition": "serious_concern", "reference": "2026/55"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// The condition's code, as the catalogue declares it.
    pub condition: Code,
    /// Where the grounds are documented (1 to 128 characters, never a national id).
    pub reference: String,
}

impl Assertion {
    /// An assertion; the condition is checked against the catalogue when a decision uses it.
    ///
    /// # Errors
    /// `UnknownCode` for a malformed condition; `InvalidInput` for a bad reference.
    pub fn new(condition: &str, reference: &str) -> Result<Assertion> {
        let assertion = Assertion {
            condition: code(condition, "assertions.condition")?,
            reference: reference.to_owned(),
        };
        assertion.validate()?;
        Ok(assertion)
    }

    /// Parses a JSON array of assertions, `[{"condition", "reference"}, …]`.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON or a bad reference; `UnknownCode` for a malformed
    /// condition.
    pub fn list_from_json(json: &str) -> Result<Vec<Assertion>> {
        let docs: Vec<AssertionDoc> = parse_json(json, "assertions")?;
        if docs.len() > crate::catalogue::MAX_CODES {
            return Err(Error::invalid(format!(
                "assertions: more than {} (a catalogue declares at most that many conditions)",
                crate::catalogue::MAX_CODES
            )));
        }
        docs.into_iter()
            .map(|doc| Assertion::new(&doc.condition, &doc.reference))
            .collect()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::text::check(&self.reference, "assertions.reference", 128)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssertionDoc {
    condition: String,
    reference: String,
}

/// A request to decide (and possibly record) one disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRequest {
    /// The person the data is about.
    pub subject: NationalId,
    /// Who would receive the data.
    pub recipient: Code,
    /// What for.
    pub purpose: Code,
    /// Which data categories (each must be covered).
    pub categories: Vec<Code>,
    /// At which instant.
    pub at: DateTime<Utc>,
    /// The conditions the requester asserts (see [`Assertion`]); usually none.
    pub assertions: Vec<Assertion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureDoc {
    subject: String,
    recipient: String,
    purpose: String,
    categories: Vec<String>,
    at: DateTime<Utc>,
    #[serde(default)]
    assertions: Vec<AssertionDoc>,
}

impl DisclosureRequest {
    /// Builds a request from borrowed parts; a malformed code is `UnknownCode`, like a code
    /// the catalogue lacks.
    ///
    /// # Errors
    /// `UnknownCode` for a malformed code.
    pub fn new<S: AsRef<str>>(
        subject: NationalId,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        at: DateTime<Utc>,
    ) -> Result<Self> {
        Ok(DisclosureRequest {
            subject,
            recipient: code(recipient, "recipient")?,
            purpose: code(purpose, "purpose")?,
            categories: categories
                .iter()
                .map(|c| code(c.as_ref(), "categories"))
                .collect::<Result<_>>()?,
            at,
            assertions: Vec::new(),
        })
    }

    /// This request with the conditions the requester asserts.
    #[must_use]
    pub fn with_assertions(mut self, assertions: Vec<Assertion>) -> Self {
        self.assertions = assertions;
        self
    }

    /// Parses `{"subject", "recipient", "purpose", "categories": [...], "at",
    /// "assertions": [...]}` (`assertions` optional).
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn from_json_with(json: &str, options: IdOptions) -> Result<Self> {
        let doc: DisclosureDoc = parse_json(json, "disclosure request")?;
        Ok(DisclosureRequest {
            subject: NationalId::parse_with(&doc.subject, options)
                .map_err(|e| e.context("subject"))?,
            recipient: code(&doc.recipient, "recipient")?,
            purpose: code(&doc.purpose, "purpose")?,
            categories: codes(doc.categories, "categories")?,
            at: doc.at,
            assertions: doc
                .assertions
                .into_iter()
                .map(|a| Assertion::new(&a.condition, &a.reference))
                .collect::<Result<_>>()?,
        })
    }
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

/// The parts a grant and a refusal share, parsed with specific errors.
type Scope = (NationalId, Grantor, Vec<Code>, Vec<Code>, Vec<Code>);

fn parse_scope(
    subject: &str,
    grantor: GrantorDoc,
    purposes: Vec<String>,
    recipients: Vec<String>,
    categories: Vec<String>,
    options: IdOptions,
) -> Result<Scope> {
    Ok((
        NationalId::parse_with(subject, options).map_err(|e| e.context("subject"))?,
        Grantor::from_doc(grantor, options)?,
        codes(purposes, "purposes")?,
        codes(recipients, "recipients")?,
        codes(categories, "categories")?,
    ))
}

fn check_version(version: u32, what: &str) -> Result<()> {
    if version == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::UnsupportedVersion,
            format!("{what} schema version {version} is not supported (expected {SCHEMA_VERSION})"),
        ))
    }
}
/// One correctable field of a grant and its corrected value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Correction {
    /// The evidence reference (case or journal number).
    EvidenceReference(String),
    /// The instant the grant takes effect.
    ValidFrom(DateTime<Utc>),
    /// The instant the grant ends by itself (`None`: no end).
    ValidUntil(Option<DateTime<Utc>>),
}

impl Correction {
    /// Parses `{"field": "evidence_reference" | "valid_from" | "valid_until", "value": …}`.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field or a bad value.
    pub fn from_json(json: &str) -> Result<Correction> {
        parse_json(json, "correction")
    }
}
