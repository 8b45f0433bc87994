//! What the ledger records: the payload of each event kind, and an event as it is read back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::{Art6, Art9, Code, Operation};
use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::seal::{DataKey, Entropy};
use crate::model::GrantId;
use crate::model::party::{Actor, ChildHeard, Evidence, MaturityAssessment, Notice};
use crate::model::request::{Assertion, Correction};

/// The grantor as recorded: a person representative appears only as a pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GrantorRecord {
    /// `self`, `parent`, `verge`, `representant` or `barnevern`.
    pub role: String,
    /// The representative's pseudonym (a person) or service id (barnevern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The reference to the representative's authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// When the representative's authority ends, where known (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_valid_until: Option<DateTime<Utc>>,
}

/// A caller's idempotency key as the ledger keeps it (since 0.2): keyed digests of the key and
/// of the request it came with (BLAKE3 under a key derived from the ledger's pseudonym key, 64
/// hex digits each), never the key itself. The same key again finds the first record; the
/// same key with another request is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Idempotency {
    /// The key's digest.
    pub key: String,
    /// The request's digest.
    pub content: String,
}

/// A recorded grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GrantRecord {
    /// The grant's id.
    pub grant_id: GrantId,
    /// Who consented.
    pub grantor: GrantorRecord,
    /// The purposes.
    pub purposes: Vec<Code>,
    /// The recipients.
    pub recipients: Vec<Code>,
    /// The categories.
    pub categories: Vec<Code>,
    /// Whether consent was explicit.
    pub explicit: bool,
    /// When it takes effect.
    pub valid_from: DateTime<Utc>,
    /// When it ends by itself.
    pub valid_until: Option<DateTime<Utc>>,
    /// When a representative's grant lapses because the subject comes of age: for the
    /// ordinary categories it covers, and (in a record without `special_lapses_at`, as 0.1
    /// wrote them) for every category.
    pub lapses_at: Option<DateTime<Utc>>,
    /// When it lapses for the special categories it covers (since 0.2: the age from which
    /// the subject consents to them alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_lapses_at: Option<DateTime<Utc>>,
    /// The proof.
    pub evidence: Evidence,
    /// The privacy notice.
    pub notice: Notice,
    /// Whether the grant was migrated from historical records (since 0.2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub migrated: bool,
    /// The assessment that a minor was mature enough to consent alone (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity_assessment: Option<MaturityAssessment>,
    /// That the child was heard before a representative consented (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_heard: Option<ChildHeard>,
    /// The caller's idempotency key, as digests (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
}

/// A recorded withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WithdrawalRecord {
    /// The grant withdrawn.
    pub grant_id: GrantId,
    /// From when.
    pub at: DateTime<Utc>,
    /// Why, if the subject said.
    pub reason: Option<String>,
    /// The caller's idempotency key, as digests (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
}

/// A recorded refusal to consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefusalRecord {
    /// Who refused.
    pub grantor: GrantorRecord,
    /// The purposes asked for.
    pub purposes: Vec<Code>,
    /// The recipients asked for.
    pub recipients: Vec<Code>,
    /// The categories asked for.
    pub categories: Vec<Code>,
    /// When.
    pub at: DateTime<Utc>,
    /// The proof.
    pub evidence: Evidence,
    /// The privacy notice.
    pub notice: Notice,
    /// The caller's idempotency key, as digests (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
}

/// The basis a recorded disclosure relied on, per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DisclosureBasis {
    /// The category.
    pub category: Code,
    /// The statutory rule, when the basis was a statute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Code>,
    /// The statute cited, when the basis was a statute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statute: Option<String>,
    /// The grant, when the basis was consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<GrantId>,
    /// The asserted condition a conditional rule relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Code>,
    /// The GDPR Art. 6(1) basis (recorded since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art6: Option<Art6>,
    /// The Art. 9(2) condition, for a special category (recorded since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art9: Option<Art9>,
    /// The exception from confidentiality (recorded since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidentiality_exception: Option<Code>,
    /// The statute behind that exception, when the catalogue names one (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidentiality_statute: Option<String>,
}

/// A recorded disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DisclosureRecord {
    /// Who received the data.
    pub recipient: Code,
    /// What for.
    pub purpose: Code,
    /// Which categories.
    pub categories: Vec<Code>,
    /// When.
    pub at: DateTime<Utc>,
    /// The basis of each category.
    pub bases: Vec<DisclosureBasis>,
    /// The conditions the requester asserted (since 0.2; none before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
}

/// A registered access request (GDPR Art. 15), answered within a month (Art. 12(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessRequestRecord {
    /// When the request was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered: one month after receipt.
    pub due_at: DateTime<Utc>,
}

/// A correction of a recorded grant (GDPR Art. 16). History is not rewritten: decisions use the
/// corrected value for instants from the correction's `effective_at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RectificationRecord {
    /// The grant corrected.
    pub grant_id: GrantId,
    /// What was corrected and the new value.
    pub correction: Correction,
    /// From when decisions use the corrected value.
    pub effective_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// Why a subject's processing is restricted: a ground of GDPR Art. 18(1), or an erasure
/// request that an archival duty turned into a restriction (Art. 17(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RestrictionGround {
    /// (a) the person contests the accuracy of the data, while it is verified.
    #[serde(rename = "A18_1_a")]
    Accuracy,
    /// (b) the processing is unlawful and the person opposes erasure.
    #[serde(rename = "A18_1_b")]
    Unlawful,
    /// (c) the controller no longer needs the data, but the person needs it for legal claims.
    #[serde(rename = "A18_1_c")]
    LegalClaims,
    /// (d) the person objected (Art. 21(1)), pending the verification of the grounds.
    #[serde(rename = "A18_1_d")]
    ObjectionPending,
    /// The person asked for erasure, and the archival duty keeps the records until their
    /// retention ends (Art. 17(3)(b), arkivlova 2025 § 5).
    #[serde(rename = "erasure_request")]
    ErasureRequest,
}

impl RestrictionGround {
    /// The name used in JSON and the catalogue (`A18_1_a` … `A18_1_d`, `erasure_request`).
    pub fn as_str(self) -> &'static str {
        match self {
            RestrictionGround::Accuracy => "A18_1_a",
            RestrictionGround::Unlawful => "A18_1_b",
            RestrictionGround::LegalClaims => "A18_1_c",
            RestrictionGround::ObjectionPending => "A18_1_d",
            RestrictionGround::ErasureRequest => "erasure_request",
        }
    }

    /// A ground a caller may give to `restrict` (the four of Art. 18(1)).
    ///
    /// # Errors
    /// `InvalidInput` for anything else (`erasure_request` is recorded only by
    /// `request_erasure`).
    pub fn parse(text: &str) -> crate::error::Result<RestrictionGround> {
        Ok(match text {
            "A18_1_a" => RestrictionGround::Accuracy,
            "A18_1_b" => RestrictionGround::Unlawful,
            "A18_1_c" => RestrictionGround::LegalClaims,
            "A18_1_d" => RestrictionGround::ObjectionPending,
            _ => {
                return Err(crate::error::Error::invalid(format!(
                    "unknown restriction ground `{}`: expected A18_1_a, A18_1_b, A18_1_c or A18_1_d",
                    crate::error::printable(text)
                )));
            }
        })
    }
}

/// The meaning of a restriction recorded by version 0.1 (no `version` field): consent-based
/// disclosures denied `restricted`, statutory ones only where the rule says
/// `restriction_applies`.
pub const RESTRICTION_V1: u32 = 1;
/// The meaning of a restriction recorded since 0.2 (GDPR Art. 18(2)): consent still permits,
/// statutory rules deny `restricted` unless they `continue_under_restriction`.
pub const RESTRICTION_V2: u32 = 2;

fn restriction_v1() -> u32 {
    RESTRICTION_V1
}

/// The subject's processing was restricted: by version 0.1 instead of an erasure (Art. 17(3),
/// arkivlova), since 0.2 on a ground of Art. 18(1) or an erasure request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RestrictionRecord {
    /// From when the restriction applies.
    pub at: DateTime<Utc>,
    /// The rules whose archival or legal duty keeps the records.
    pub rules: Vec<Code>,
    /// The statutes those rules cite.
    pub statutes: Vec<String>,
    /// The meaning it was recorded with: [`RESTRICTION_V1`] (0.1, no field) or
    /// [`RESTRICTION_V2`].
    #[serde(default = "restriction_v1")]
    pub version: u32,
    /// Why (since 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<RestrictionGround>,
}

/// A restriction was lifted (GDPR Art. 18(3): the person is told before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LiftRecord {
    /// From when the subject's processing is no longer restricted.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// The person's id changed (a DUF number, then a D-nummer, then a fødselsnummer): the event
/// names the new id's subject, and this the pseudonym of the id before. From it on, the
/// person's grants, refusals, restrictions, objections and history follow the new id.
///
/// The link (`from`, `at`, `merge`) is stored in clear, like the pseudonyms of every event's
/// header, so it outlives a kassasjon; the free-text `reference` is sealed under the new id's
/// data key, so it is shredded with the person's other payloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SuccessionRecord {
    /// The pseudonym of the id the person had before.
    pub from: Pseudonym,
    /// The reference to the decision or notice (UDI, Folkeregisteret) that gave the new id.
    /// On an event read back: the opened reference; `None` once the new id's data key was
    /// destroyed (kassasjon). Stored in clear only by the first 0.2 development builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The reference as stored since the sealing fix: sealed (ChaCha20-Poly1305) under the
    /// new id's data key, hex. On an event read back it is cleared once opened into
    /// `reference`, and kept while it cannot be opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_reference: Option<String>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Whether the new id already held records, so that two histories were joined (the
    /// caller asked for it with `SuccessionMode::Merge`). `false` in events written before
    /// the field existed: those may have joined two histories without saying so, and replay
    /// treats both alike, as it always did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merge: bool,
}

/// The associated-data context of a sealed succession reference: it binds the sealed bytes to
/// their field, so they cannot pass for a sealed payload of the same subject.
const REFERENCE_CONTEXT: &[u8] = b"consent identity_succeeded reference";

impl SuccessionRecord {
    /// The record as stored: the reference sealed under the new id's data key.
    pub(crate) fn seal_reference(
        &self,
        key: &DataKey,
        subject: &Pseudonym,
        entropy: &mut Entropy,
    ) -> Result<SuccessionRecord> {
        let mut stored = self.clone();
        if let Some(reference) = stored.reference.take() {
            let sealed =
                key.seal_part(subject, REFERENCE_CONTEXT, reference.as_bytes(), entropy)?;
            stored.sealed_reference = Some(crate::hex::encode(&sealed));
        }
        Ok(stored)
    }

    /// Opens a sealed reference in place with the subject's data key (`None`: the key is
    /// gone, or the event predates it, so the reference stays sealed).
    ///
    /// # Errors
    /// `Integrity` when a key of the event's time does not open it, or it is not hex or UTF-8.
    pub(crate) fn open_reference(
        &mut self,
        key: Option<(&DataKey, u64)>,
        subject: &Pseudonym,
        seq: u64,
    ) -> Result<()> {
        let Some(hex) = &self.sealed_reference else {
            return Ok(());
        };
        let Some((key, _)) = key.filter(|(_, since)| seq >= *since) else {
            return Ok(());
        };
        let broken = || {
            Error::new(
                ErrorCode::Integrity,
                "the succession's reference does not open under its subject's key",
            )
            .at_event(seq)
        };
        let sealed = crate::hex::decode(hex).ok_or_else(broken)?;
        let plain = key
            .open_part(subject, REFERENCE_CONTEXT, sealed)
            .ok_or_else(broken)?;
        self.reference = Some(String::from_utf8(plain).map_err(|_| broken())?);
        self.sealed_reference = None;
        Ok(())
    }
}

/// How an objection was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectionOutcome {
    /// The municipality could not show compelling legitimate grounds (Art. 21(1)): the
    /// processing for the purpose stays stopped.
    Upheld,
    /// The municipality showed compelling grounds: the processing resumes.
    Rejected,
}

impl ObjectionOutcome {
    /// `upheld` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionOutcome::Upheld => "upheld",
            ObjectionOutcome::Rejected => "rejected",
        }
    }

    /// Parses `upheld` or `rejected`.
    ///
    /// # Errors
    /// `InvalidInput` for anything else.
    pub fn parse(text: &str) -> crate::error::Result<ObjectionOutcome> {
        match text {
            "upheld" => Ok(ObjectionOutcome::Upheld),
            "rejected" => Ok(ObjectionOutcome::Rejected),
            _ => Err(crate::error::Error::invalid(format!(
                "unknown objection outcome `{}`: expected upheld or rejected",
                crate::error::printable(text)
            ))),
        }
    }
}

/// The person objected to processing for a purpose (GDPR Art. 21(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectionRecord {
    /// The objection's id, which its resolution names.
    pub objection_id: Uuid,
    /// The purpose objected to.
    pub purpose: Code,
    /// From when.
    pub at: DateTime<Utc>,
}

/// An objection was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectionResolution {
    /// The objection.
    pub objection_id: Uuid,
    /// Upheld (the processing stays stopped) or rejected (it resumes).
    pub outcome: ObjectionOutcome,
    /// From when.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// The subject's personal payloads were made unrecoverable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErasureRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// How many earlier events of the subject became unreadable.
    pub events_erased: u64,
    /// The recipients who had received the subject's data, to be told (GDPR Art. 19; since
    /// 0.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<Code>,
}

/// A task of the notification worklist was done: the person or a recipient was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationRecord {
    /// The event the task arose from.
    pub event_id: Uuid,
    /// The recipient told; `None`: the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Code>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A catalogue the ledger adopted: the rules decisions are made under from `in_force_from` on,
/// recorded whole so the ledger is self-contained (an auditor re-checks every decision against
/// the rules it was made under). Concerns no subject and holds no personal data: never sealed,
/// never shredded (since 0.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CatalogueAdoptionRecord {
    /// The catalogue's own version string.
    pub version: String,
    /// The catalogue document's format (1 or 2).
    pub format: u32,
    /// SHA-256 of `toml`, hex ([`Catalogue::digest`](crate::Catalogue::digest)).
    pub sha256: String,
    /// From when decisions are made under it (the ledger's clock when it was adopted; for the
    /// catalogue an upgraded 0.1 ledger was written under, the ledger's first event).
    pub in_force_from: DateTime<Utc>,
    /// The catalogue's TOML text, exactly as adopted.
    pub toml: String,
}

/// A ledger put back from a backup (`consent restore`), recorded as the restored ledger's first
/// event after the backup's head: who restored it (the event's actor), why, from which backup,
/// and what it replaced. A restore to an older state than the ledger it replaced is a rollback,
/// and says so, so that a witness that saw the newer head is told rather than fooled. Concerns
/// no subject and holds no personal data: never sealed (since 0.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RestoreRecord {
    /// Why the ledger was restored, in the operator's words.
    pub reason: String,
    /// The SHA-256 of the backup's manifest file, hex: which manifest the restore followed.
    pub manifest_sha256: String,
    /// When the backup was made.
    pub backup_created_at: DateTime<Utc>,
    /// The backup's head: the sequence number of its last event.
    pub backup_head_seq: u64,
    /// The hash of the backup's last event, hex.
    pub backup_head_hash: String,
    /// The head of the ledger the restore replaced, as its file claimed it (`None` when
    /// nothing was replaced or the replaced file could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_head_seq: Option<u64>,
    /// The hash the replaced ledger's head anchor named, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_head_hash: Option<String>,
    /// Whether a ledger file was replaced (kept beside the restored one).
    pub replaced: bool,
    /// Whether the restore went back in time: the replaced ledger held events after the
    /// backup's head, held another history, or could not be read to show otherwise.
    pub rollback: bool,
}

/// Someone read the person's data (since 0.2): the export, their events, or a decision about
/// them made with an actor. Who and when are the event's actor and time; sealed under the
/// person's key like their other records, so kassasjon reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessRecord {
    /// What was done: `export`, `subject_events` or `decide_logged`.
    pub operation: Operation,
    /// Why the person's data was looked up, as the actor stated it.
    pub purpose: String,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventPayload {
    /// A grant was recorded.
    GrantRecorded(GrantRecord),
    /// A grant was withdrawn.
    GrantWithdrawn(WithdrawalRecord),
    /// The subject refused to consent.
    GrantRefused(RefusalRecord),
    /// Data was disclosed.
    DisclosureRecorded(DisclosureRecord),
    /// An access request was registered.
    AccessRequested(AccessRequestRecord),
    /// A grant was corrected.
    SubjectRectified(RectificationRecord),
    /// The subject's processing was restricted.
    SubjectRestricted(RestrictionRecord),
    /// A restriction was lifted (since 0.2).
    RestrictionLifted(LiftRecord),
    /// The subject objected to a purpose (since 0.2).
    ObjectionRecorded(ObjectionRecord),
    /// An objection was resolved (since 0.2).
    ObjectionResolved(ObjectionResolution),
    /// The subject's id succeeded an earlier one (since 0.2).
    IdentitySucceeded(SuccessionRecord),
    /// The person or a recipient was told of a change (since 0.2).
    NotificationSent(NotificationRecord),
    /// The subject's personal payloads were erased.
    SubjectErased(ErasureRecord),
    /// The payload of an erased subject: it cannot be read any more.
    Redacted,
    /// The ledger adopted a catalogue (since 0.2).
    CatalogueAdopted(CatalogueAdoptionRecord),
    /// The ledger was restored from a backup (since 0.2).
    LedgerRestored(RestoreRecord),
    /// Someone read the person's data (since 0.2).
    SubjectAccessed(AccessRecord),
}

impl EventPayload {
    /// The event type's name (`grant_recorded`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::GrantRecorded(_) => "grant_recorded",
            EventPayload::GrantWithdrawn(_) => "grant_withdrawn",
            EventPayload::GrantRefused(_) => "grant_refused",
            EventPayload::DisclosureRecorded(_) => "disclosure_recorded",
            EventPayload::AccessRequested(_) => "access_requested",
            EventPayload::SubjectRectified(_) => "subject_rectified",
            EventPayload::SubjectRestricted(_) => "subject_restricted",
            EventPayload::RestrictionLifted(_) => "restriction_lifted",
            EventPayload::ObjectionRecorded(_) => "objection_recorded",
            EventPayload::ObjectionResolved(_) => "objection_resolved",
            EventPayload::IdentitySucceeded(_) => "identity_succeeded",
            EventPayload::NotificationSent(_) => "notification_sent",
            EventPayload::SubjectErased(_) => "subject_erased",
            EventPayload::Redacted => "redacted",
            EventPayload::CatalogueAdopted(_) => "catalogue_adopted",
            EventPayload::SubjectAccessed(_) => "subject_accessed",
            EventPayload::LedgerRestored(_) => "ledger_restored",
        }
    }

    /// The caller's idempotency key of a grant, a withdrawal or a refusal, with the grant it
    /// names (none for a refusal).
    pub(crate) fn idempotency(&self) -> Option<(&Idempotency, Option<GrantId>)> {
        match self {
            EventPayload::GrantRecorded(g) => g.idempotency.as_ref().map(|i| (i, Some(g.grant_id))),
            EventPayload::GrantWithdrawn(w) => {
                w.idempotency.as_ref().map(|i| (i, Some(w.grant_id)))
            }
            EventPayload::GrantRefused(r) => r.idempotency.as_ref().map(|i| (i, None)),
            _ => None,
        }
    }

    /// Whether the payload is stored in clear but holds a part sealed under the subject's key
    /// (a succession's reference): the subject then needs a data key like a personal one.
    pub(crate) fn has_sealed_part(&self) -> bool {
        matches!(self, EventPayload::IdentitySucceeded(s) if s.reference.is_some())
    }

    /// Whether the payload holds personal data and so is sealed under the subject's key.
    pub(crate) fn is_personal(&self) -> bool {
        !matches!(
            self,
            EventPayload::SubjectRestricted(_)
                | EventPayload::SubjectErased(_)
                | EventPayload::IdentitySucceeded(_)
                | EventPayload::NotificationSent(_)
                | EventPayload::Redacted
                | EventPayload::CatalogueAdopted(_)
                | EventPayload::LedgerRestored(_)
        )
    }
}

/// A decoded event of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// The sequence number, from 1.
    pub seq: u64,
    /// The event's UUIDv7.
    pub id: Uuid,
    /// When the ledger recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Who performed it.
    pub actor: Actor,
    /// The subject's pseudonym, when the event concerns a subject.
    pub subject: Option<Pseudonym>,
    /// The event type (readable even when the payload is redacted).
    pub kind: String,
    /// What it records.
    pub payload: EventPayload,
    /// The previous event's hash, hex.
    pub prev_hash: String,
    /// This event's hash, hex.
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A succession written by the first 0.2 development builds (reference in clear, no
    /// `merge`) still decodes, with the meaning it had.
    #[test]
    fn a_succession_written_before_the_sealing_fix_keeps_its_meaning() {
        let from = serde_json::to_value(Pseudonym([7; 16])).unwrap();
        let old = serde_json::json!({"from": from, "reference": "UDI 2026/12", "at": "2026-03-01T10:00:00Z"});
        let record: SuccessionRecord = serde_json::from_value(old).unwrap();
        assert_eq!(record.reference.as_deref(), Some("UDI 2026/12"));
        assert_eq!(record.sealed_reference, None);
        assert!(!record.merge);
        // Opening leaves a reference in clear as it is.
        let mut opened = record.clone();
        opened.open_reference(None, &Pseudonym([7; 16]), 3).unwrap();
        assert_eq!(opened, record);
    }

    #[test]
    fn a_sealed_reference_opens_only_under_its_key_subject_and_time() {
        let mut entropy = Entropy::new();
        let key = DataKey::generate(&mut entropy).unwrap();
        let subject = Pseudonym([1; 16]);
        let record = SuccessionRecord {
            from: Pseudonym([2; 16]),
            reference: Some("Folkeregisteret 2026/77".into()),
            sealed_reference: None,
            at: "2026-03-01T10:00:00Z".parse().unwrap(),
            merge: false,
        };
        let stored = record.seal_reference(&key, &subject, &mut entropy).unwrap();
        assert_eq!(stored.reference, None);
        let text = serde_json::to_string(&stored).unwrap();
        assert!(!text.contains("Folkeregisteret"), "{text}");
        let mut opened = stored.clone();
        opened.open_reference(Some((&key, 5)), &subject, 5).unwrap();
        assert_eq!(opened, record);
        // A key from after the event (an erased subject's new key): stays sealed.
        let mut later = stored.clone();
        later.open_reference(Some((&key, 6)), &subject, 5).unwrap();
        assert_eq!(later, stored);
        // Another subject or key: an integrity error, never a silent default.
        let mut moved = stored.clone();
        let err = moved
            .open_reference(Some((&key, 5)), &Pseudonym([3; 16]), 5)
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Integrity);
        let other = DataKey::generate(&mut entropy).unwrap();
        assert!(
            stored
                .clone()
                .open_reference(Some((&other, 5)), &subject, 5)
                .is_err()
        );
    }
}
