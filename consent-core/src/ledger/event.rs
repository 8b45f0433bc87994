//! Events: what the ledger records, their stored form, and the hash chain over them.
//!
//! A stored event is a canonical JSON *header* and a JSON *payload*. The header carries the
//! sequence number, the event id, the time, the actor, the subject's pseudonym, the SHA-256 of
//! the payload and the previous event's hash; the event's hash is SHA-256 of the header bytes.
//! Hashing the payload's digest rather than the payload itself lets a subject's personal
//! payload be destroyed on erasure while the chain still verifies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::Pseudonym;
use crate::model::grant::{Actor, Evidence, GrantId, Notice};

/// The version of the stored header format.
pub(crate) const HEADER_VERSION: u32 = 1;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash before the first event.
pub const GENESIS: Hash = [0; 32];

/// One event as a store keeps it: the bytes that the hash chain covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The sequence number, from 1, without gaps.
    pub seq: u64,
    /// The subject's pseudonym, for the store's index (also inside the header).
    pub subject: Option<[u8; 16]>,
    /// The canonical JSON header.
    pub header: String,
    /// The JSON payload (empty once erased).
    pub payload: Vec<u8>,
    /// SHA-256 of the header.
    pub hash: Hash,
}

/// The newest event's sequence number and hash, and a MAC over them under a key derived from
/// the pseudonym key: written with every append, it lets `verify` see a truncated tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The newest sequence number.
    pub seq: u64,
    /// The newest hash.
    pub hash: Hash,
    /// Keyed BLAKE3 over `seq` and `hash`.
    pub mac: Hash,
}

impl Head {
    pub(crate) fn new(seq: u64, hash: Hash, mac_key: &[u8; 32]) -> Self {
        Head {
            seq,
            hash,
            mac: Self::compute_mac(seq, &hash, mac_key),
        }
    }

    pub(crate) fn compute_mac(seq: u64, hash: &Hash, mac_key: &[u8; 32]) -> Hash {
        let mut input = [0u8; 40];
        let (left, right) = input.split_at_mut(8);
        left.copy_from_slice(&seq.to_be_bytes());
        right.copy_from_slice(hash);
        *blake3::keyed_hash(mac_key, &input).as_bytes()
    }

    /// Encodes as `seq:hash:mac` for a metadata value.
    pub fn encode(&self) -> String {
        format!(
            "{}:{}:{}",
            self.seq,
            hex::encode(&self.hash),
            hex::encode(&self.mac)
        )
    }

    /// Decodes `seq:hash:mac`.
    pub fn decode(text: &str) -> Option<Head> {
        let mut parts = text.split(':');
        let seq = parts.next()?.parse().ok()?;
        let hash = hex::decode32(parts.next()?)?;
        let mac = hex::decode32(parts.next()?)?;
        parts.next().is_none().then_some(Head { seq, hash, mac })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub v: u32,
    pub seq: u64,
    pub id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub actor: Actor,
    pub subject: Option<Pseudonym>,
    pub kind: String,
    /// Whether the payload is sealed under the subject's data key.
    pub sealed: bool,
    pub payload_sha256: String,
    pub prev_hash: String,
}

/// The grantor as recorded: a person representative appears only as a pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantorRecord {
    /// `self`, `parent`, `verge`, `representant` or `barnevern`.
    pub role: String,
    /// The representative's pseudonym (a person) or service id (barnevern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The reference to the representative's authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// A recorded grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// When a representative's grant lapses (the subject comes of age).
    pub lapses_at: Option<DateTime<Utc>>,
    /// The proof.
    pub evidence: Evidence,
    /// The privacy notice.
    pub notice: Notice,
}

/// A recorded withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// The grant withdrawn.
    pub grant_id: GrantId,
    /// From when.
    pub at: DateTime<Utc>,
    /// Why, if the subject said.
    pub reason: Option<String>,
}

/// A recorded refusal to consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The basis a recorded disclosure relied on, per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
}

/// A recorded disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A registered access request (GDPR Art. 15), answered within a month (Art. 12(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequestRecord {
    /// When the request was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered: one month after receipt.
    pub due_at: DateTime<Utc>,
}

/// A correction of a recorded grant (GDPR Art. 16). History is not rewritten: decisions use the
/// corrected value for instants from the correction's `effective_at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        serde_json::from_str(json).map_err(|e| crate::model::grant::json_error("correction", &e))
    }
}

/// The subject's processing was restricted instead of erased (Art. 17(3), arkivlova).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionRecord {
    /// From when consent-based disclosures are denied with `restricted`.
    pub at: DateTime<Utc>,
    /// The rules whose archival or legal duty keeps the records.
    pub rules: Vec<Code>,
    /// The statutes those rules cite.
    pub statutes: Vec<String>,
}

/// The subject's personal payloads were made unrecoverable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// How many earlier events of the subject became unreadable.
    pub events_erased: u64,
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
    /// The subject's personal payloads were erased.
    SubjectErased(ErasureRecord),
    /// The payload of an erased subject: it cannot be read any more.
    Redacted,
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
            EventPayload::SubjectErased(_) => "subject_erased",
            EventPayload::Redacted => "redacted",
        }
    }

    /// Whether the payload holds personal data and so is sealed under the subject's key.
    pub(crate) fn is_personal(&self) -> bool {
        !matches!(
            self,
            EventPayload::SubjectRestricted(_)
                | EventPayload::SubjectErased(_)
                | EventPayload::Redacted
        )
    }
}

/// A decoded event of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

pub(crate) fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

fn integrity(seq: u64, what: &str) -> Error {
    Error::new(ErrorCode::Integrity, format!("event {seq}: {what}"))
}

/// Builds the stored record of a new event from its (possibly sealed) payload bytes.
#[expect(clippy::too_many_arguments, reason = "one field of the header each")]
pub(crate) fn seal(
    seq: u64,
    id: Uuid,
    recorded_at: DateTime<Utc>,
    actor: &Actor,
    subject: Option<Pseudonym>,
    kind: &str,
    payload: Vec<u8>,
    sealed: bool,
    prev_hash: &Hash,
) -> Result<EventRecord> {
    let header = Header {
        v: HEADER_VERSION,
        seq,
        id,
        recorded_at,
        actor: actor.clone(),
        subject,
        kind: kind.to_owned(),
        sealed,
        payload_sha256: hex::encode(&sha256(&payload)),
        prev_hash: hex::encode(prev_hash),
    };
    let header = serde_json::to_string(&header)
        .map_err(|e| Error::new(ErrorCode::InvalidInput, format!("cannot encode event: {e}")))?;
    Ok(EventRecord {
        seq,
        subject: subject.map(|s| s.0),
        hash: sha256(header.as_bytes()),
        header,
        payload,
    })
}

/// The JSON of a payload.
pub(crate) fn encode_payload(payload: &EventPayload) -> Result<Vec<u8>> {
    serde_json::to_vec(payload)
        .map_err(|e| Error::new(ErrorCode::InvalidInput, format!("cannot encode event: {e}")))
}

/// Decodes a payload straight into the record its header's kind names. (Decoding through the
/// internally tagged `EventPayload` makes serde buffer every payload first, which was a quarter
/// of a replay's time.) The payload's own `type` field is ignored; the payload digest in the
/// chained header already proves which bytes were written.
pub(crate) fn decode_payload(kind: &str, bytes: &[u8]) -> Option<EventPayload> {
    fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
        serde_json::from_slice(bytes).ok()
    }
    Some(match kind {
        "grant_recorded" => EventPayload::GrantRecorded(parse(bytes)?),
        "grant_withdrawn" => EventPayload::GrantWithdrawn(parse(bytes)?),
        "grant_refused" => EventPayload::GrantRefused(parse(bytes)?),
        "disclosure_recorded" => EventPayload::DisclosureRecorded(parse(bytes)?),
        "access_requested" => EventPayload::AccessRequested(parse(bytes)?),
        "subject_rectified" => EventPayload::SubjectRectified(parse(bytes)?),
        "subject_restricted" => EventPayload::SubjectRestricted(parse(bytes)?),
        "subject_erased" => EventPayload::SubjectErased(parse(bytes)?),
        _ => return None,
    })
}

/// A record whose hash, link and payload digest verified.
#[derive(Debug)]
pub(crate) struct Verified {
    pub header: Header,
    pub payload: Vec<u8>,
    pub hash: Hash,
}

impl Verified {
    /// Decodes the payload; `plain` is the opened payload of a sealed one (`None`: its key is
    /// gone, so it is redacted).
    pub fn decode(self, plain: Option<Vec<u8>>) -> Result<Event> {
        let seq = self.header.seq;
        let bytes = if self.header.sealed {
            plain
        } else {
            Some(self.payload)
        };
        let payload = match bytes {
            None => EventPayload::Redacted,
            Some(bytes) => decode_payload(&self.header.kind, &bytes)
                .ok_or_else(|| integrity(seq, "payload cannot be decoded"))?,
        };
        Ok(Event {
            seq,
            id: self.header.id,
            recorded_at: self.header.recorded_at,
            actor: self.header.actor,
            subject: self.header.subject,
            kind: self.header.kind,
            payload,
            prev_hash: self.header.prev_hash,
            hash: hex::encode(&self.hash),
        })
    }
}

/// The header fields the chain checks and a replay need, borrowed from the header's text (the
/// actor, the id and the time are skipped, not decoded).
#[derive(Deserialize)]
struct ChainFields<'a> {
    v: u32,
    seq: u64,
    #[serde(borrow)]
    subject: Option<&'a str>,
    #[serde(borrow)]
    kind: &'a str,
    sealed: bool,
    #[serde(borrow)]
    payload_sha256: &'a str,
    #[serde(borrow)]
    prev_hash: &'a str,
}

/// The event kinds a stored header can name.
const STORED_KINDS: [&str; 8] = [
    "grant_recorded",
    "grant_withdrawn",
    "grant_refused",
    "disclosure_recorded",
    "access_requested",
    "subject_rectified",
    "subject_restricted",
    "subject_erased",
];

/// A record whose hash, header fields, link and payload digest verified; its header is not
/// yet decoded in full.
#[derive(Debug)]
pub(crate) struct Checked {
    pub seq: u64,
    pub subject: Option<Pseudonym>,
    pub kind: &'static str,
    pub sealed: bool,
    pub record: EventRecord,
}

impl Checked {
    /// Decodes the whole header (strictly: no unknown field).
    pub fn into_verified(self) -> Result<Verified> {
        let header: Header = serde_json::from_str(&self.record.header)
            .map_err(|_| integrity(self.seq, "header cannot be decoded"))?;
        Ok(Verified {
            header,
            payload: self.record.payload,
            hash: self.record.hash,
        })
    }
}

/// Checks one record: its hash, its header, its payload digest and, when `chain` gives the
/// expected sequence number and the previous hash, its place in the chain.
///
/// # Errors
/// `Integrity` naming the record's sequence number when anything does not match.
pub(crate) fn check_record(record: EventRecord, chain: Option<(u64, &Hash)>) -> Result<Checked> {
    if let Some((expected_seq, _)) = chain
        && record.seq != expected_seq
    {
        let seq = expected_seq.min(record.seq);
        return Err(integrity(
            seq,
            &format!(
                "missing or out of order (found {} where {expected_seq} was due)",
                record.seq
            ),
        ));
    }
    let seq = record.seq;
    if sha256(record.header.as_bytes()) != record.hash {
        return Err(integrity(seq, "header does not match its hash"));
    }
    let fields: ChainFields<'_> = serde_json::from_str(&record.header)
        .map_err(|_| integrity(seq, "header cannot be decoded"))?;
    if fields.v != HEADER_VERSION {
        return Err(Error::new(
            ErrorCode::UnsupportedVersion,
            format!("event {seq}: header version {} is not supported", fields.v),
        ));
    }
    if fields.seq != seq {
        return Err(integrity(seq, "sequence number differs from its header"));
    }
    if let Some((_, prev)) = chain
        && hex::decode32(fields.prev_hash).as_ref() != Some(prev)
    {
        return Err(integrity(seq, "does not chain to the previous event"));
    }
    let subject = match fields.subject {
        None => None,
        Some(text) => Some(
            text.parse::<Pseudonym>()
                .map_err(|_| integrity(seq, "header cannot be decoded"))?,
        ),
    };
    if subject.map(|s| s.0) != record.subject {
        return Err(integrity(seq, "subject differs from its header"));
    }
    if hex::decode32(fields.payload_sha256) != Some(sha256(&record.payload)) {
        return Err(integrity(seq, "payload does not match its hash"));
    }
    let kind = STORED_KINDS
        .iter()
        .copied()
        .find(|k| *k == fields.kind)
        .ok_or_else(|| integrity(seq, "the header names an unknown event kind"))?;
    Ok(Checked {
        seq,
        subject,
        kind,
        sealed: fields.sealed,
        record,
    })
}

/// [`check_record`], then decodes the whole header.
///
/// # Errors
/// As [`check_record`].
pub(crate) fn verify_record(record: EventRecord, chain: Option<(u64, &Hash)>) -> Result<Verified> {
    check_record(record, chain)?.into_verified()
}
