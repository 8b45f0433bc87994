//! Replaying stored events into the projection, and verifying the chain and its head.

use chrono::{DateTime, Utc};

use super::crypto::DataKey;
use std::borrow::Cow;

use serde::Deserialize;

use super::event::{
    self, Checked, Event, EventPayload, EventRecord, GENESIS, GrantRecord, Hash, Head, Verified,
};
use super::projection::{Effect, GrantState, NEVER};
use std::collections::HashMap;
use std::sync::mpsc;

use super::projection::Projection;
use super::{VerifyReport, Writer, rights};
use crate::catalogue::{Catalogue, Code};
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::Pseudonym;
use crate::model::grant::GrantId;
use crate::store::Store;
use crate::time::{self, Micros};

fn code_set_of<S: AsRef<str>>(
    catalogue: &Catalogue,
    codes: &[S],
    kind: &str,
    seq: u64,
) -> Result<u64> {
    let lookup = match kind {
        "purpose" => Catalogue::purpose_set::<S>,
        "recipient" => Catalogue::recipient_set::<S>,
        _ => Catalogue::category_set::<S>,
    };
    lookup(catalogue, codes).map_err(|e| {
        Error::new(
            ErrorCode::InvalidCatalogue,
            format!("event {seq} does not fit the catalogue: {}", e.message()),
        )
    })
}

fn micros_of(at: DateTime<Utc>, seq: u64) -> Result<Micros> {
    time::to_micros(at, "instant").map_err(|e| {
        Error::new(
            ErrorCode::Integrity,
            format!("event {seq}: {}", e.message()),
        )
    })
}

/// Whether a grant's notice version is older than the catalogue's current one.
pub(crate) fn notice_superseded(
    catalogue: &Catalogue,
    notice: &crate::model::grant::Notice,
) -> bool {
    catalogue
        .current_notice_version(&notice.id)
        .is_some_and(|current| current != notice.version)
}

/// Decodes a verified record, opening a sealed payload with the subject's data key. A payload
/// whose key is gone (erasure), or that predates the key, is redacted.
pub(crate) fn open_event(
    verified: Verified,
    key: impl Fn(&Pseudonym) -> Option<(DataKey, u64)>,
) -> Result<Event> {
    if !verified.header.sealed {
        return verified.decode(None);
    }
    let seq = verified.header.seq;
    let plain = match verified
        .header
        .subject
        .and_then(|s| key(&s).map(|k| (s, k)))
    {
        Some((subject, (key, since))) if seq >= since => {
            Some(key.open(&subject, &verified.payload).ok_or_else(|| {
                Error::new(
                    ErrorCode::Integrity,
                    format!("event {seq}: payload does not open under its subject's key"),
                )
            })?)
        }
        _ => None,
    };
    verified.decode(plain)
}

/// The projection change of a stored event, on replay.
pub(crate) fn replay_effect(
    catalogue: &Catalogue,
    seq: u64,
    subject: Option<Pseudonym>,
    payload: &EventPayload,
) -> Result<Effect> {
    let subject = || {
        subject.ok_or_else(|| {
            Error::new(
                ErrorCode::Integrity,
                format!("event {seq}: {} without a subject", payload.kind()),
            )
        })
    };
    Ok(match payload {
        EventPayload::GrantRecorded(grant) => Effect::AddGrant {
            subject: subject()?,
            grant: GrantFields::of_record(grant).state(catalogue, seq)?,
        },
        EventPayload::GrantWithdrawn(withdrawal) => Effect::Withdraw {
            grant: withdrawal.grant_id,
            at: micros_of(withdrawal.at, seq)?,
        },
        EventPayload::SubjectRectified(rectification) => rights::rectify_effect(rectification)
            .map_err(|e| {
                Error::new(
                    ErrorCode::Integrity,
                    format!("event {seq}: {}", e.message()),
                )
            })?,
        EventPayload::SubjectRestricted(restriction) => Effect::Restrict {
            subject: subject()?,
            from: micros_of(restriction.at, seq)?,
        },
        EventPayload::SubjectErased(_) => Effect::Erase {
            subject: subject()?,
        },
        EventPayload::GrantRefused(_)
        | EventPayload::DisclosureRecorded(_)
        | EventPayload::AccessRequested(_)
        | EventPayload::Redacted => Effect::None,
    })
}

/// What a replay reads of a recorded grant, borrowed from the payload's text: the fields the
/// decision state holds (the grantor and the evidence are skipped, not decoded).
#[derive(Deserialize)]
struct GrantFields<'a> {
    grant_id: GrantId,
    #[serde(borrow)]
    purposes: Vec<&'a str>,
    #[serde(borrow)]
    recipients: Vec<&'a str>,
    #[serde(borrow)]
    categories: Vec<&'a str>,
    explicit: bool,
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    lapses_at: Option<DateTime<Utc>>,
    #[serde(borrow)]
    notice: NoticeFields<'a>,
}

impl<'a> GrantFields<'a> {
    /// The same fields of a fully decoded record.
    fn of_record(grant: &'a GrantRecord) -> GrantFields<'a> {
        let codes = |codes: &'a [Code]| codes.iter().map(Code::as_str).collect();
        GrantFields {
            grant_id: grant.grant_id,
            purposes: codes(&grant.purposes),
            recipients: codes(&grant.recipients),
            categories: codes(&grant.categories),
            explicit: grant.explicit,
            valid_from: grant.valid_from,
            valid_until: grant.valid_until,
            lapses_at: grant.lapses_at,
            notice: NoticeFields {
                id: Cow::Borrowed(&grant.notice.id),
                version: Cow::Borrowed(&grant.notice.version),
            },
        }
    }

    /// The grant's decision state (a new grant: not withdrawn, not superseded).
    fn state(&self, catalogue: &Catalogue, seq: u64) -> Result<GrantState> {
        Ok(GrantState {
            id: self.grant_id,
            purposes: code_set_of(catalogue, &self.purposes, "purpose", seq)?,
            recipients: code_set_of(catalogue, &self.recipients, "recipient", seq)?,
            categories: code_set_of(catalogue, &self.categories, "category", seq)?,
            valid_from: micros_of(self.valid_from, seq)?,
            valid_until: self.valid_until.map_or(Ok(NEVER), |t| micros_of(t, seq))?,
            withdrawn_at: NEVER,
            lapses_at: self.lapses_at.map_or(Ok(NEVER), |t| micros_of(t, seq))?,
            effective_from: Micros::MIN,
            superseded_at: NEVER,
            explicit: self.explicit,
            notice_superseded: catalogue
                .current_notice_version(&self.notice.id)
                .is_some_and(|current| current != self.notice.version),
        })
    }
}

#[derive(Deserialize)]
struct NoticeFields<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
}

/// The projection change of a recorded grant's payload, decoded for replay only.
fn grant_effect(
    catalogue: &Catalogue,
    seq: u64,
    subject: Pseudonym,
    plain: &[u8],
) -> Result<Effect> {
    let grant: GrantFields<'_> = serde_json::from_slice(plain).map_err(|_| {
        Error::new(
            ErrorCode::Integrity,
            format!("event {seq}: payload cannot be decoded"),
        )
    })?;
    Ok(Effect::AddGrant {
        subject,
        grant: grant.state(catalogue, seq)?,
    })
}

/// A checked record, opened and decoded into its projection change.
#[derive(Debug)]
struct Decoded {
    seq: u64,
    subject: Option<Pseudonym>,
    /// `None`: a sealed payload whose key is gone (erasure) or that predates the key.
    effect: Option<Effect>,
    /// Whether the event records the subject's erasure.
    erasure: bool,
}

/// Opens a checked record's payload (when sealed) and decodes its projection change. Depends
/// only on the record, the keys and the catalogue, so either replay thread can do it.
fn decode_record(
    catalogue: &Catalogue,
    keys: &HashMap<Pseudonym, (DataKey, u64)>,
    checked: Checked,
) -> Result<Decoded> {
    let Checked {
        seq,
        subject,
        kind,
        sealed,
        record,
    } = checked;
    let plain = if sealed {
        match subject.and_then(|s| keys.get(&s).map(|k| (s, k))) {
            Some((subject, (key, since))) if seq >= *since => {
                Some(key.open_owned(&subject, record.payload).ok_or_else(|| {
                    Error::new(
                        ErrorCode::Integrity,
                        format!("event {seq}: payload does not open under its subject's key"),
                    )
                })?)
            }
            _ => None,
        }
    } else {
        Some(record.payload)
    };
    let Some(plain) = plain else {
        return Ok(Decoded {
            seq,
            subject,
            effect: None,
            erasure: false,
        });
    };
    let (effect, erasure) = match (kind, subject) {
        ("grant_recorded", Some(subject)) => {
            (grant_effect(catalogue, seq, subject, &plain)?, false)
        }
        _ => {
            let payload = event::decode_payload(kind, &plain).ok_or_else(|| {
                Error::new(
                    ErrorCode::Integrity,
                    format!("event {seq}: payload cannot be decoded"),
                )
            })?;
            let erasure = matches!(payload, EventPayload::SubjectErased(_));
            (replay_effect(catalogue, seq, subject, &payload)?, erasure)
        }
    };
    Ok(Decoded {
        seq,
        subject,
        effect: Some(effect),
        erasure,
    })
}

/// Applies a decoded record to the projection, in log order, noting redactions and erasures.
fn apply_decoded(decoded: Decoded, projection: &mut Projection, redactions: &mut Redactions) {
    match (decoded.effect, decoded.subject) {
        (None, Some(subject)) => {
            redactions
                .first_unreadable
                .entry(subject)
                .or_insert(decoded.seq);
        }
        (None, None) => {}
        (Some(effect), subject) => {
            if let (true, Some(subject)) = (decoded.erasure, subject) {
                redactions.last_erasure.insert(subject, decoded.seq);
            }
            projection.apply(effect);
        }
    }
}

/// A batch of records on its way from the reading thread to the applying one: as read, or
/// already decoded by the reader while the applier was behind.
enum ReplayBatch {
    Checked(Vec<Checked>),
    Decoded(Vec<Decoded>),
}

pub(crate) fn check_head(
    head: Option<Head>,
    last_seq: u64,
    last_hash: &Hash,
    mac_key: &[u8; 32],
) -> Result<()> {
    match head {
        // Every ledger writes a head for its empty log when it is created, so a missing head
        // means the log (or its anchor) was deleted.
        None => Err(Error::new(
            ErrorCode::Integrity,
            if last_seq == 0 {
                "the head anchor is missing (a deleted log?)"
            } else {
                "the head anchor is missing"
            },
        )),
        Some(head) => {
            if Head::compute_mac(head.seq, &head.hash, mac_key) != head.mac {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    "the head anchor's MAC does not verify",
                ));
            }
            if head.seq > last_seq {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "event {}: missing; the log ends at {last_seq} but its head anchor is at {}",
                        last_seq + 1,
                        head.seq
                    ),
                ));
            }
            if head.seq < last_seq || &head.hash != last_hash {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "event {}: does not match the head anchor",
                        head.seq.min(last_seq)
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// The first bad sequence number named in an integrity message (`event N: …`).
fn bad_seq(error: &Error) -> Option<u64> {
    error
        .message()
        .strip_prefix("event ")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// Of two errors from the two replay threads, the one naming the earlier event (an error
/// naming none, such as the reader's "replay stopped", is only a consequence of the other).
fn first_bad(read: Error, applied: Error) -> Error {
    match (bad_seq(&read), bad_seq(&applied)) {
        (Some(r), Some(a)) if r < a => read,
        (Some(_), None) => read,
        _ => applied,
    }
}

/// Verifies a store's chain and head anchor under the given head-MAC key.
pub(crate) fn verify_store(store: &dyn Store, mac_key: &[u8; 32]) -> Result<VerifyReport> {
    let mut last_seq = 0u64;
    let mut last_hash = GENESIS;
    let mut failure: Option<Error> = None;
    // Strict: the whole header decodes (an audit also wants the actor, the id and the time
    // well formed), where a replay reads only what it needs.
    let scanned = store.scan(1, &mut |record: EventRecord| match event::verify_record(
        record,
        Some((last_seq + 1, &last_hash)),
    ) {
        Ok(verified) => {
            last_seq = verified.header.seq;
            last_hash = verified.hash;
            Ok(())
        }
        Err(error) => {
            failure = Some(error.clone());
            Err(error)
        }
    });
    if let (Err(error), None) = (scanned, &failure) {
        return Err(error);
    }
    if failure.is_none()
        && let Err(error) = check_head(store.head()?, last_seq, &last_hash, mac_key)
    {
        failure = Some(error);
    }
    Ok(VerifyReport {
        ok: failure.is_none(),
        events: last_seq,
        head_hash: hex::encode(&last_hash),
        first_bad_seq: failure.as_ref().map(|e| bad_seq(e).unwrap_or(last_seq + 1)),
        problem: failure.map(|e| e.message().to_owned()),
    })
}

/// Sealed payloads that could not be opened on replay must be explained by a recorded
/// erasure; otherwise someone deleted a subject's key behind the ledger's back.
#[derive(Default)]
struct Redactions {
    first_unreadable: HashMap<Pseudonym, u64>,
    last_erasure: HashMap<Pseudonym, u64>,
}

impl Redactions {
    fn check(&self) -> Result<()> {
        let mut unexplained: Vec<u64> = self
            .first_unreadable
            .iter()
            .filter(|(subject, seq)| self.last_erasure.get(*subject).is_none_or(|e| e < *seq))
            .map(|(_, seq)| *seq)
            .collect();
        unexplained.sort_unstable();
        match unexplained.first() {
            None => Ok(()),
            Some(seq) => Err(Error::new(
                ErrorCode::Integrity,
                format!(
                    "event {seq}: its payload cannot be opened: the subject's data key is gone but no erasure was recorded"
                ),
            )),
        }
    }
}

/// How many verified records travel between the two replay threads at a time.
const REPLAY_BATCH: usize = 512;

/// Below this many events a replay runs on the calling thread alone: a second thread would
/// cost more than it saves (and a small ledger never starts one).
pub(crate) const PARALLEL_REPLAY_FROM: u64 = 10_000;

/// Replays a store into a new projection, leaving `writer` at the newest event.
///
/// For a large log two threads share the work: this one reads the store and verifies the chain (hashes and
/// links, strictly in order); a second opens, decodes and applies the records, in the same
/// order. Decryption and decoding are about half of a replay, so on two cores they overlap
/// with reading and hashing.
pub(crate) fn replay(
    store: &dyn Store,
    catalogue: &Catalogue,
    keys: &HashMap<Pseudonym, (DataKey, u64)>,
    writer: &mut Writer,
) -> Result<Projection> {
    let large = store.head()?.is_some_and(|h| h.seq >= PARALLEL_REPLAY_FROM);
    if !large {
        let mut projection = Projection::default();
        let mut redactions = Redactions::default();
        store.scan(1, &mut |record| {
            let checked =
                event::check_record(record, Some((writer.last_seq + 1, &writer.last_hash)))?;
            writer.last_seq = checked.seq;
            writer.last_hash = checked.record.hash;
            apply_decoded(
                decode_record(catalogue, keys, checked)?,
                &mut projection,
                &mut redactions,
            );
            Ok(())
        })?;
        redactions.check()?;
        return Ok(projection);
    }
    let (send, receive) = mpsc::sync_channel::<ReplayBatch>(4);
    std::thread::scope(|scope| {
        let apply = std::thread::Builder::new()
            .name("consent-replay".into())
            .spawn_scoped(scope, move || -> Result<(Projection, Redactions)> {
                let mut projection = Projection::default();
                let mut redactions = Redactions::default();
                for batch in receive {
                    match batch {
                        ReplayBatch::Checked(batch) => {
                            for checked in batch {
                                let decoded = decode_record(catalogue, keys, checked)?;
                                apply_decoded(decoded, &mut projection, &mut redactions);
                            }
                        }
                        ReplayBatch::Decoded(batch) => {
                            for decoded in batch {
                                apply_decoded(decoded, &mut projection, &mut redactions);
                            }
                        }
                    }
                }
                Ok((projection, redactions))
            })
            .map_err(|e| Error::storage("cannot start the replay thread", e))?;
        let mut batch = Vec::with_capacity(REPLAY_BATCH);
        let read = store.scan(1, &mut |record| {
            let checked =
                event::check_record(record, Some((writer.last_seq + 1, &writer.last_hash)))?;
            writer.last_seq = checked.seq;
            writer.last_hash = checked.record.hash;
            batch.push(checked);
            if batch.len() == REPLAY_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(REPLAY_BATCH));
                // A closed channel means the applying thread stopped on an error, which its
                // join below reports.
                let stopped = || Error::new(ErrorCode::Integrity, "replay stopped");
                match send.try_send(ReplayBatch::Checked(full)) {
                    Ok(()) => {}
                    // The applying thread is behind: decode this batch here, so both cores
                    // share the decoding whichever side is slower.
                    Err(mpsc::TrySendError::Full(ReplayBatch::Checked(full))) => {
                        let decoded = full
                            .into_iter()
                            .map(|checked| decode_record(catalogue, keys, checked))
                            .collect::<Result<Vec<_>>>()?;
                        send.send(ReplayBatch::Decoded(decoded))
                            .map_err(|_| stopped())?;
                    }
                    Err(_) => return Err(stopped()),
                }
            }
            Ok(())
        });
        // Also after a failed read: these records verified, and one of them may fail to
        // decode before the place the read failed.
        if !batch.is_empty() {
            let _ = send.send(ReplayBatch::Checked(batch));
        }
        drop(send);
        let applied = apply
            .join()
            .map_err(|_| Error::storage("replay", "the replaying thread panicked"))?;
        match (read, applied) {
            // Only a whole log can show that every unreadable payload has its erasure.
            (Ok(()), Ok((projection, redactions))) => {
                redactions.check()?;
                Ok(projection)
            }
            (Err(error), Ok(_)) | (Ok(()), Err(error)) => Err(error),
            // Both threads stopped: name the first bad event, as a replay in order would.
            (Err(read), Err(applied)) => Err(first_bad(read, applied)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_two_replay_errors_the_earlier_event_is_named() {
        let at = |seq: u64| Error::new(ErrorCode::Integrity, format!("event {seq}: bad"));
        let stopped = || Error::new(ErrorCode::Integrity, "replay stopped");
        assert_eq!(first_bad(at(5), at(9)).message(), "event 5: bad");
        assert_eq!(first_bad(at(9), at(5)).message(), "event 5: bad");
        assert_eq!(first_bad(stopped(), at(9)).message(), "event 9: bad");
        assert_eq!(first_bad(at(9), stopped()).message(), "event 9: bad");
    }
}
