//! The stored form of events and the hash chain over them.
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

use super::event::{Event, EventPayload};
use super::seal::DataKey;
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::Pseudonym;
use crate::model::party::Actor;

/// The version of the stored header format.
pub(crate) const HEADER_VERSION: u32 = 1;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash before the first event.
pub const GENESIS: Hash = [0; 32];

/// One event as a store keeps it: the bytes that the hash chain covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct Head {
    /// The newest sequence number.
    pub seq: u64,
    /// The newest hash.
    pub hash: Hash,
    /// Keyed BLAKE3 over `seq` and `hash`.
    pub mac: Hash,
}

impl EventRecord {
    /// A record as a store read it back (for stores outside this crate).
    pub fn new(
        seq: u64,
        subject: Option<[u8; 16]>,
        header: String,
        payload: Vec<u8>,
        hash: Hash,
    ) -> EventRecord {
        EventRecord {
            seq,
            subject,
            header,
            payload,
            hash,
        }
    }
}

impl Head {
    /// A head anchor as a store read it back (for stores outside this crate that keep its
    /// parts apart; [`Head::decode`] reads the `seq:hash:mac` text form).
    pub fn from_parts(seq: u64, hash: Hash, mac: Hash) -> Head {
        Head { seq, hash, mac }
    }

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

pub(crate) fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

fn integrity(seq: u64, what: &str) -> Error {
    Error::new(ErrorCode::Integrity, what).at_event(seq)
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
        "restriction_lifted" => EventPayload::RestrictionLifted(parse(bytes)?),
        "objection_recorded" => EventPayload::ObjectionRecorded(parse(bytes)?),
        "objection_resolved" => EventPayload::ObjectionResolved(parse(bytes)?),
        "identity_succeeded" => EventPayload::IdentitySucceeded(parse(bytes)?),
        "notification_sent" => EventPayload::NotificationSent(parse(bytes)?),
        "catalogue_adopted" => EventPayload::CatalogueAdopted(parse(bytes)?),
        "ledger_restored" => EventPayload::LedgerRestored(parse(bytes)?),
        "subject_accessed" => EventPayload::SubjectAccessed(parse(bytes)?),
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

/// Decodes a verified record, opening a sealed payload with the subject's data key. A payload
/// whose key is gone (erasure), or that predates the key, is redacted.
pub(crate) fn open_event(
    mut verified: Verified,
    key: impl Fn(&Pseudonym) -> Option<(DataKey, u64)>,
) -> Result<Event> {
    if !verified.header.sealed {
        let seq = verified.header.seq;
        let subject = verified.header.subject;
        let mut event = verified.decode(None)?;
        // A succession's reference is sealed inside a payload in clear.
        if let (EventPayload::IdentitySucceeded(succession), Some(subject)) =
            (&mut event.payload, subject)
        {
            let current = key(&subject);
            succession.open_reference(current.as_ref().map(|(k, s)| (k, *s)), &subject, seq)?;
        }
        return Ok(event);
    }
    let seq = verified.header.seq;
    let subject = verified.header.subject.ok_or_else(|| {
        Error::new(ErrorCode::Integrity, "a sealed payload names no subject").at_event(seq)
    })?;
    let current = key(&subject);
    let plain = super::seal::open_sealed(
        current.as_ref().map(|(k, s)| (k, *s)),
        &subject,
        seq,
        std::mem::take(&mut verified.payload),
    )?;
    verified.decode(plain)
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
const STORED_KINDS: [&str; 16] = [
    "grant_recorded",
    "grant_withdrawn",
    "grant_refused",
    "disclosure_recorded",
    "access_requested",
    "subject_rectified",
    "subject_restricted",
    "subject_erased",
    "restriction_lifted",
    "objection_recorded",
    "objection_resolved",
    "identity_succeeded",
    "notification_sent",
    "catalogue_adopted",
    "ledger_restored",
    "subject_accessed",
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
            format!("header version {} is not supported", fields.v),
        )
        .at_event(seq));
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
