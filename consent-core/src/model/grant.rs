//! Grants, grantors, evidence, notices, refusals, actors: the input documents of the ledger.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result, mask_digit_runs, printable};
use crate::id::national_id::{IdOptions, NationalId};
use crate::model::text;

/// The schema version of the JSON documents.
pub const SCHEMA_VERSION: u32 = 1;

/// Maps a serde_json error to `InvalidInput`, masking anything that looks like a national id.
pub(crate) fn json_error(what: &str, error: &serde_json::Error) -> Error {
    Error::invalid(format!(
        "{what}: {}",
        mask_digit_runs(&error.to_string().replace('\n', " "))
    ))
}

/// A grant's identifier: a UUIDv7.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GrantId(pub(crate) Uuid);

impl GrantId {
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

impl FromStr for GrantId {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Uuid::parse_str(text)
            .map(GrantId)
            .map_err(|_| Error::invalid(format!("grant id `{}` is not a UUID", printable(text))))
    }
}

/// Who performs an operation: a user or system id and a role. Stored on every event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ActorDoc", into = "ActorDoc")]
pub struct Actor {
    id: String,
    role: Code,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorDoc {
    id: String,
    role: String,
}

impl Actor {
    /// Creates an actor.
    ///
    /// # Errors
    /// `InvalidInput` when the id is empty, longer than 128 characters, has control characters
    /// or contains a national id, or the role is not a code (`[a-z0-9_]+`).
    pub fn new(id: &str, role: &str) -> Result<Self> {
        text::check(id, "actor.id", 128)?;
        let role = Code::new(role).map_err(|e| e.context("actor.role"))?;
        Ok(Actor {
            id: id.to_owned(),
            role,
        })
    }

    /// Parses the actor JSON, `{"id": "saksbehandler-17", "role": "case_worker"}`.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON or fields.
    pub fn from_json(json: &str) -> Result<Self> {
        let doc: ActorDoc = serde_json::from_str(json).map_err(|e| json_error("actor", &e))?;
        Actor::new(&doc.id, &doc.role)
    }

    /// The user or system id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The role.
    pub fn role(&self) -> &Code {
        &self.role
    }
}

impl TryFrom<ActorDoc> for Actor {
    type Error = Error;
    fn try_from(doc: ActorDoc) -> Result<Self> {
        Actor::new(&doc.id, &doc.role)
    }
}

impl From<Actor> for ActorDoc {
    fn from(actor: Actor) -> Self {
        ActorDoc {
            id: actor.id,
            role: actor.role.into(),
        }
    }
}

/// The role of a representative who consents on the subject's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RepresentativeRole {
    /// A holder of parental responsibility.
    Parent,
    /// A guardian appointed under vergemålsloven (for a minor, or an adult under guardianship).
    Verge,
    /// A representative for an unaccompanied minor asylum seeker (utlendingsloven ch. 11 A).
    Representant,
    /// The child welfare service, where it has taken over care.
    Barnevern,
}

impl RepresentativeRole {
    /// Whether the role can exist only for a minor.
    pub(crate) fn minors_only(self) -> bool {
        !matches!(self, RepresentativeRole::Verge)
    }

    /// Whether the representative is a person identified by a national id (the child welfare
    /// service is identified by a service id instead).
    pub(crate) fn is_person(self) -> bool {
        !matches!(self, RepresentativeRole::Barnevern)
    }

    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RepresentativeRole::Parent => "parent",
            RepresentativeRole::Verge => "verge",
            RepresentativeRole::Representant => "representant",
            RepresentativeRole::Barnevern => "barnevern",
        }
    }
}

/// Who consented.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grantor {
    /// The subject themself.
    Subject,
    /// A representative on the subject's behalf.
    Representative {
        /// The role.
        role: RepresentativeRole,
        /// The representative's id: a national id for a person, a service id for barnevern.
        id: RepresentativeId,
        /// The reference to the authority (appointment decision, care order, register extract).
        authority: String,
    },
}

/// The identity of a representative.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RepresentativeId {
    /// A person, by national id (stored only as a pseudonym).
    Person(NationalId),
    /// A service, by its id (for example `barneverntjenesten-elverum`).
    Service(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantorDoc {
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority: Option<String>,
}

impl Grantor {
    fn from_doc(doc: GrantorDoc, options: IdOptions) -> Result<Self> {
        let role = match doc.role.as_str() {
            "self" => {
                if doc.id.is_some() || doc.authority.is_some() {
                    return Err(Error::invalid(
                        "grantor: `self` takes no `id` or `authority`",
                    ));
                }
                return Ok(Grantor::Subject);
            }
            "parent" => RepresentativeRole::Parent,
            "verge" => RepresentativeRole::Verge,
            "representant" => RepresentativeRole::Representant,
            "barnevern" => RepresentativeRole::Barnevern,
            other => {
                return Err(Error::invalid(format!(
                    "grantor.role `{}` is not one of self, parent, verge, representant, barnevern",
                    printable(other)
                )));
            }
        };
        let id = doc
            .id
            .ok_or_else(|| Error::invalid(format!("grantor `{}` needs an `id`", role.as_str())))?;
        let authority = doc.authority.ok_or_else(|| {
            Error::invalid(format!("grantor `{}` needs an `authority`", role.as_str()))
        })?;
        text::check(&authority, "grantor.authority", 256)?;
        let id = if role.is_person() {
            RepresentativeId::Person(
                NationalId::parse_with(&id, options).map_err(|e| e.context("grantor.id"))?,
            )
        } else {
            text::check(&id, "grantor.id", 128)?;
            RepresentativeId::Service(id)
        };
        Ok(Grantor::Representative {
            role,
            id,
            authority,
        })
    }

    fn to_doc(&self) -> GrantorDoc {
        match self {
            Grantor::Subject => GrantorDoc {
                role: "self".into(),
                id: None,
                authority: None,
            },
            Grantor::Representative {
                role,
                id,
                authority,
            } => GrantorDoc {
                role: role.as_str().into(),
                id: Some(match id {
                    RepresentativeId::Person(id) => id.expose(),
                    RepresentativeId::Service(id) => id.clone(),
                }),
                authority: Some(authority.clone()),
            },
        }
    }
}

/// How consent was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvidenceMethod {
    /// A signed paper form, scanned into the case file.
    SignedPaper,
    /// A digital form (for example through ID-porten).
    DigitalForm,
    /// An eDialog message.
    Edialog,
    /// Oral consent recorded in the case file (the reference is the journal entry).
    OralRecorded,
}

/// The proof that consent was given (GDPR Art. 7(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// How consent was collected.
    pub method: EvidenceMethod,
    /// The case or journal number where the evidence is filed.
    pub reference: String,
    /// The language of the conversation (BCP 47 tag, for example `ar`, `ti`, `uk`, `nb`).
    pub language: String,
    /// Whether an interpreter was used.
    pub interpreter: bool,
    /// The service that collected the consent (a service, not a person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<String>,
}

impl Evidence {
    pub(crate) fn validate(&self) -> Result<()> {
        text::check(&self.reference, "evidence.reference", 128)?;
        let tag_ok = !self.language.is_empty()
            && self.language.len() <= 35
            && self
                .language
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
            && self.language.split('-').next().is_some_and(|p| {
                (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
            });
        if !tag_ok {
            return Err(Error::invalid(format!(
                "evidence.language `{}` is not a language tag such as `ar` or `nb`",
                printable(&self.language)
            )));
        }
        if let Some(by) = &self.collected_by {
            text::check(by, "evidence.collected_by", 128)?;
        }
        Ok(())
    }
}

/// The privacy notice the subject was given, by id and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The notice's id.
    pub id: String,
    /// The notice's version.
    pub version: String,
}

impl Notice {
    pub(crate) fn validate(&self) -> Result<()> {
        text::check(&self.id, "notice.id", 128)?;
        text::check(&self.version, "notice.version", 64)
    }
}

/// A request to record one consent.
///
/// The JSON form is the contract shared with C and Python (DESIGN.md section 5); codes are
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
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

/// A code from input: a malformed code is unknown to any catalogue.
pub(crate) fn code(text: &str, field: &str) -> Result<Code> {
    Code::new(text).map_err(|_| {
        Error::new(
            ErrorCode::UnknownCode,
            format!("{field}: unknown code `{}`", printable(text)),
        )
    })
}

pub(crate) fn codes(texts: Vec<String>, field: &str) -> Result<Vec<Code>> {
    texts.iter().map(|t| code(t, field)).collect()
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
        let doc: GrantDoc = serde_json::from_str(json).map_err(|e| json_error("grant", &e))?;
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
        })
    }

    /// The grant JSON of this request (it contains the subject's national id in clear text:
    /// it is the caller's own input document, never a log line).
    pub fn to_json(&self) -> String {
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
        };
        serde_json::to_string(&doc).unwrap_or_default()
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
}

impl RefusalRequest {
    /// Parses the refusal JSON: the grant JSON's `subject`, `grantor`, `purposes`,
    /// `recipients`, `categories`, `evidence` and `notice`, and `at` for when it was given.
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn from_json_with(json: &str, options: IdOptions) -> Result<Self> {
        let doc: RefusalDoc = serde_json::from_str(json).map_err(|e| json_error("refusal", &e))?;
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
        })
    }
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureDoc {
    subject: String,
    recipient: String,
    purpose: String,
    categories: Vec<String>,
    at: DateTime<Utc>,
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
        })
    }

    /// Parses `{"subject", "recipient", "purpose", "categories": [...], "at"}`.
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn from_json_with(json: &str, options: IdOptions) -> Result<Self> {
        let doc: DisclosureDoc =
            serde_json::from_str(json).map_err(|e| json_error("disclosure request", &e))?;
        Ok(DisclosureRequest {
            subject: NationalId::parse_with(&doc.subject, options)
                .map_err(|e| e.context("subject"))?,
            recipient: code(&doc.recipient, "recipient")?,
            purpose: code(&doc.purpose, "purpose")?,
            categories: codes(doc.categories, "categories")?,
            at: doc.at,
        })
    }
}

/// The identifier of a recorded refusal or disclosure: the event's UUIDv7.
pub type RecordId = Uuid;
