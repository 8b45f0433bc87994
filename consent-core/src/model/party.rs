//! The parties of the ledger: the actor who performs an operation, the grantor who consents
//! (the subject or a representative), and the evidence and notice of a consent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::parse_json;
use super::text;
use crate::catalogue::Code;
use crate::error::{Error, Result, printable};
use crate::id::national_id::{IdOptions, NationalId};

/// Who performs an operation: a user or system id and a role. Stored on every event.
///
/// An actor the host names is believed as the host states it (the library trusts its host to
/// authenticate people). An actor the ledger took from a signed token it verified
/// ([`SignedActor`](crate::SignedActor)) also carries the token's issuer, and so does the event
/// it is stored on; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StoredActorDoc", into = "StoredActorDoc")]
pub struct Actor {
    id: String,
    role: Code,
    /// The issuer of the signed token the ledger verified this actor from; `None` for an
    /// actor the host names (and for every event written before signed actors).
    issuer: Option<String>,
}

/// The actor JSON a host gives: an id and a role, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorDoc {
    id: String,
    role: String,
}

/// The stored form: as a host gives it, and the issuer for an actor taken from a signed token
/// (absent otherwise, so the events written before signed actors read as they were written).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredActorDoc {
    id: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
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
        text::check_code(role.as_str(), "actor.role")?;
        Ok(Actor {
            id: id.to_owned(),
            role,
            issuer: None,
        })
    }

    /// The actor a signed token from `issuer` vouches for (only `ActorTrust::verify` makes one).
    pub(crate) fn signed_by(mut self, issuer: &str) -> Actor {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// This actor as a host names it, without an issuer: whatever a host deserialised, only a
    /// token the ledger verified marks an event as signed.
    pub(crate) fn unsigned(&self) -> std::borrow::Cow<'_, Actor> {
        if self.issuer.is_none() {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(Actor {
                id: self.id.clone(),
                role: self.role.clone(),
                issuer: None,
            })
        }
    }

    /// Parses the actor JSON, `{"id": "saksbehandler-17", "role": "case_worker"}`.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON or fields.
    pub fn from_json(json: &str) -> Result<Self> {
        let doc: ActorDoc = parse_json(json, "actor")?;
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

    /// The issuer of the signed token the ledger verified this actor from (as stored on its
    /// events); `None` for an actor the host names.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
}

impl TryFrom<StoredActorDoc> for Actor {
    type Error = Error;
    fn try_from(doc: StoredActorDoc) -> Result<Self> {
        let actor = Actor::new(&doc.id, &doc.role)?;
        Ok(match doc.issuer {
            Some(issuer) => {
                text::check(&issuer, "actor.issuer", 512)?;
                actor.signed_by(&issuer)
            }
            None => actor,
        })
    }
}

impl From<Actor> for StoredActorDoc {
    fn from(actor: Actor) -> Self {
        StoredActorDoc {
            id: actor.id,
            role: actor.role.into(),
            issuer: actor.issuer,
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
        /// When the representative's authority ends, where it is known: a representant's
        /// when a verge is appointed or parents arrive, a decision's end date. From then on
        /// the grant no longer covers disclosures (`grantor_authority_ended`).
        authority_valid_until: Option<DateTime<Utc>>,
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
pub(super) struct GrantorDoc {
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority_valid_until: Option<DateTime<Utc>>,
}

impl Grantor {
    pub(super) fn from_doc(doc: GrantorDoc, options: IdOptions) -> Result<Self> {
        let role = match doc.role.as_str() {
            "self" => {
                if doc.id.is_some()
                    || doc.authority.is_some()
                    || doc.authority_valid_until.is_some()
                {
                    return Err(Error::invalid(
                        "grantor: `self` takes no `id`, `authority` or `authority_valid_until`",
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
            authority_valid_until: doc.authority_valid_until,
        })
    }

    pub(super) fn to_doc(&self) -> GrantorDoc {
        match self {
            Grantor::Subject => GrantorDoc {
                role: "self".into(),
                id: None,
                authority: None,
                authority_valid_until: None,
            },
            Grantor::Representative {
                role,
                id,
                authority,
                authority_valid_until,
            } => GrantorDoc {
                role: role.as_str().into(),
                id: Some(match id {
                    RepresentativeId::Person(id) => id.expose(),
                    RepresentativeId::Service(id) => id.clone(),
                }),
                authority: Some(authority.clone()),
                authority_valid_until: *authority_valid_until,
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
        // A language tag whose language is an ISO 639-1 or ISO 639-3 code (`ar`, `prs`,
        // `nb-NO`): an invented code would make the record mean nothing.
        let mut subtags = self.language.split('-');
        let tag_ok = self.language.len() <= 35
            && subtags
                .next()
                .is_some_and(super::language::is_language_code)
            && subtags.all(|part| {
                (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !tag_ok {
            return Err(Error::invalid(format!(
                "evidence.language `{}` is not an ISO 639-1 or ISO 639-3 language code such as `ar`, `ti` or `prs`",
                printable(&self.language)
            )));
        }
        text::check_code(&self.language, "evidence.language")?;
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

/// A recorded assessment that a minor below the self-consent age is mature enough to consent
/// alone (Datatilsynet: from 15 at the earliest, after an individual assessment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaturityAssessment {
    /// Who assessed it: a role or a staff id (never a national id).
    pub assessed_by: String,
    /// The case or journal number where the assessment is documented.
    pub reference: String,
    /// When the assessment was made.
    pub at: DateTime<Utc>,
}

impl MaturityAssessment {
    pub(crate) fn validate(&self) -> Result<()> {
        text::check(&self.assessed_by, "maturity_assessment.assessed_by", 128)?;
        text::check(&self.reference, "maturity_assessment.reference", 128)
    }
}

/// What a child said when heard before a representative consented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChildPosition {
    /// The child agrees.
    Agrees,
    /// The child disagrees (the representative consented nonetheless).
    Disagrees,
    /// The child was not able to form or express a view.
    NotAble,
}

/// The record that a child was heard before a representative consented on their behalf
/// (barnekonvensjonen art. 12, barnelova § 31: from 7 the child may say, from 12 their view
/// carries great weight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildHeard {
    /// When the child was heard.
    pub at: DateTime<Utc>,
    /// What the child said.
    pub position: ChildPosition,
    /// The case or journal number where it is documented.
    pub reference: String,
}

impl ChildHeard {
    pub(crate) fn validate(&self) -> Result<()> {
        text::check(&self.reference, "child_heard.reference", 128)
    }
}
