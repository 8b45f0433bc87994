//! Replaying stored events into the projection (opening a ledger), on two threads for a large
//! log.

use std::sync::mpsc;

use super::Writer;
use super::adopt::{AdoptionCheck, adopted_catalogue};
use super::check::{Keys, Redactions, open_payload};
use crate::catalogue::Catalogue;
use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::event::EventPayload;
use crate::log::record::{self, Checked};
use crate::projection::{Effect, Projection, effect_of, grant_effect, keyed};
use crate::store::Store;
use crate::time::Micros;

/// A checked record, opened and decoded into its projection change.
#[derive(Debug)]
pub(super) struct Decoded {
    pub(super) seq: u64,
    pub(super) subject: Option<Pseudonym>,
    /// `None`: a sealed payload whose key is gone (erasure) or that predates the key.
    pub(super) effect: Option<Effect>,
    /// Whether the event records the subject's erasure.
    pub(super) erasure: bool,
    /// The catalogue an adoption event put in force, and from when.
    pub(super) adopted: Option<(Micros, Catalogue)>,
}

/// Opens a checked record's payload (when sealed) and decodes its projection change. Depends
/// only on the record, the keys and the catalogue, so either replay thread can do it.
pub(super) fn decode_record(
    catalogue: &Catalogue,
    keys: &Keys,
    checked: Checked,
) -> Result<Decoded> {
    let Checked {
        seq,
        subject,
        kind,
        sealed,
        record,
    } = checked;
    let Some(plain) = open_payload(keys, subject, seq, sealed, record.payload)? else {
        return Ok(Decoded {
            seq,
            subject,
            effect: None,
            erasure: false,
            adopted: None,
        });
    };
    if kind == "catalogue_adopted" {
        let Some(EventPayload::CatalogueAdopted(record)) = record::decode_payload(kind, &plain)
        else {
            return Err(
                Error::new(ErrorCode::Integrity, "payload cannot be decoded").at_event(seq),
            );
        };
        if subject.is_some() {
            return Err(
                Error::new(ErrorCode::Integrity, "a catalogue adoption names a subject")
                    .at_event(seq),
            );
        }
        let (catalogue, from) = adopted_catalogue(&record).map_err(|e| e.at_event(seq))?;
        return Ok(Decoded {
            seq,
            subject,
            effect: Some(Effect::None),
            erasure: false,
            adopted: Some((from, catalogue)),
        });
    }
    let (effect, erasure) = match (kind, subject) {
        ("grant_recorded", Some(subject)) => (
            grant_effect(catalogue, subject, &plain, seq).map_err(|e| e.at_event(seq))?,
            false,
        ),
        _ => {
            let payload = record::decode_payload(kind, &plain).ok_or_else(|| {
                Error::new(ErrorCode::Integrity, "payload cannot be decoded").at_event(seq)
            })?;
            let erasure = matches!(payload, EventPayload::SubjectErased(_));
            let effect = effect_of(catalogue, subject, &payload)
                .and_then(|effect| keyed(effect, subject, &payload, seq))
                .map_err(|e| e.at_event(seq))?;
            (effect, erasure)
        }
    };
    Ok(Decoded {
        seq,
        subject,
        effect: Some(effect),
        erasure,
        adopted: None,
    })
}

/// Applies a decoded record to the projection, in log order, noting unreadable payloads and
/// erasures for the check that every unreadable payload is explained.
fn apply_decoded(
    decoded: Decoded,
    projection: &mut Projection,
    redactions: &mut Redactions,
    adoptions: &mut AdoptionCheck,
    keys: &Keys,
) -> Result<()> {
    match decoded.adopted {
        Some((from, catalogue)) => adoptions.adopted(decoded.seq, from, catalogue)?,
        None => adoptions.event(decoded.seq)?,
    }
    match (decoded.effect, decoded.subject) {
        (None, Some(subject)) => redactions.unreadable(subject, decoded.seq),
        // `open_payload` refuses a sealed payload without a subject.
        (None, None) => {}
        (Some(effect), subject) => {
            if decoded.erasure {
                let subject = subject.ok_or_else(|| {
                    Error::new(ErrorCode::Integrity, "an erasure names no subject")
                        .at_event(decoded.seq)
                })?;
                redactions.erased(subject, decoded.seq, keys)?;
            }
            projection.apply(effect);
        }
    }
    Ok(())
}

/// A batch of records on its way from the reading thread to the applying one: as read, or
/// already decoded by the reader while the applier was behind.
enum ReplayBatch {
    /// Records to decode under the catalogue in force where they stand in the log.
    Checked(Vec<Checked>, Catalogue),
    Decoded(Vec<Decoded>),
}

/// Of two errors from the two replay threads, the one naming the earlier event (an error
/// naming none, such as the reader's "replay stopped", is only a consequence of the other).
fn first_bad(read: Error, applied: Error) -> Error {
    match (read.event(), applied.event()) {
        (Some(r), Some(a)) if r < a => read,
        (Some(_), None) => read,
        _ => applied,
    }
}

/// How many verified records travel between the two replay threads at a time.
const REPLAY_BATCH: usize = 512;

/// Below this many events a replay runs on the calling thread alone: a second thread would
/// cost more than it saves (and a small ledger never starts one).
pub(crate) const PARALLEL_REPLAY_FROM: u64 = 10_000;

/// A replay on the calling thread alone (a small log), each event decoded under the catalogue
/// in force where it stands.
fn replay_in_order(
    store: &dyn Store,
    catalogue: &Catalogue,
    keys: &Keys,
    writer: &mut Writer,
    mut adoptions: AdoptionCheck,
) -> Result<(Projection, AdoptionCheck)> {
    let mut projection = Projection::default();
    let mut redactions = Redactions::default();
    let mut current = catalogue.clone();
    store.scan(1, &mut |record| {
        let checked = record::check_record(record, Some((writer.last_seq + 1, &writer.last_hash)))?;
        writer.last_seq = checked.seq;
        writer.last_hash = checked.record.hash;
        let decoded = decode_record(&current, keys, checked)?;
        if let Some((_, adopted)) = &decoded.adopted {
            current = adopted.clone();
        }
        apply_decoded(
            decoded,
            &mut projection,
            &mut redactions,
            &mut adoptions,
            keys,
        )
    })?;
    redactions.check()?;
    Ok((projection, adoptions))
}

/// Sends an adoption the reading thread met: the batch before it (decoded under the catalogue
/// before it), then the adoption itself, decoded here so this thread reads on under the
/// catalogue it adopts.
fn send_adoption(
    send: &mpsc::SyncSender<ReplayBatch>,
    batch: &mut Vec<Checked>,
    current: &mut Catalogue,
    keys: &Keys,
    checked: Checked,
) -> Result<()> {
    // A closed channel means the applying thread stopped on an error, which its join reports.
    let stopped = || Error::new(ErrorCode::Integrity, "replay stopped");
    let before = std::mem::replace(batch, Vec::with_capacity(REPLAY_BATCH));
    if !before.is_empty() {
        send.send(ReplayBatch::Checked(before, current.clone()))
            .map_err(|_| stopped())?;
    }
    let decoded = decode_record(current, keys, checked)?;
    if let Some((_, adopted)) = &decoded.adopted {
        *current = adopted.clone();
    }
    send.send(ReplayBatch::Decoded(vec![decoded]))
        .map_err(|_| stopped())
}

/// Replays a store into a new projection, leaving `writer` at the newest event, and returns
/// the catalogue adoptions it met (checked by `adoptions`). Each event is decoded under the
/// catalogue in force where it stands in the log: `catalogue` before the first adoption.
///
/// For a large log two threads share the work: this one reads the store and verifies the chain (hashes and
/// links, strictly in order); a second opens, decodes and applies the records, in the same
/// order. Decryption and decoding are about half of a replay, so on two cores they overlap
/// with reading and hashing.
pub(crate) fn replay(
    store: &dyn Store,
    catalogue: &Catalogue,
    keys: &Keys,
    writer: &mut Writer,
    adoptions: AdoptionCheck,
) -> Result<(Projection, AdoptionCheck)> {
    let large = store.head()?.is_some_and(|h| h.seq >= PARALLEL_REPLAY_FROM);
    if !large {
        return replay_in_order(store, catalogue, keys, writer, adoptions);
    }
    let (send, receive) = mpsc::sync_channel::<ReplayBatch>(4);
    std::thread::scope(|scope| {
        let apply = std::thread::Builder::new()
            .name("consent-replay".into())
            .spawn_scoped(
                scope,
                move || -> Result<(Projection, Redactions, AdoptionCheck)> {
                    let mut projection = Projection::default();
                    let mut redactions = Redactions::default();
                    let mut adoptions = adoptions;
                    for batch in receive {
                        match batch {
                            ReplayBatch::Checked(batch, catalogue) => {
                                for checked in batch {
                                    let decoded = decode_record(&catalogue, keys, checked)?;
                                    apply_decoded(
                                        decoded,
                                        &mut projection,
                                        &mut redactions,
                                        &mut adoptions,
                                        keys,
                                    )?;
                                }
                            }
                            ReplayBatch::Decoded(batch) => {
                                for decoded in batch {
                                    apply_decoded(
                                        decoded,
                                        &mut projection,
                                        &mut redactions,
                                        &mut adoptions,
                                        keys,
                                    )?;
                                }
                            }
                        }
                    }
                    Ok((projection, redactions, adoptions))
                },
            )
            .map_err(|e| Error::storage("cannot start the replay thread", e))?;
        let mut batch = Vec::with_capacity(REPLAY_BATCH);
        let mut current = catalogue.clone();
        // A closed channel means the applying thread stopped on an error, which its join
        // below reports.
        let stopped = || Error::new(ErrorCode::Integrity, "replay stopped");
        let read = store.scan(1, &mut |record| {
            let checked =
                record::check_record(record, Some((writer.last_seq + 1, &writer.last_hash)))?;
            writer.last_seq = checked.seq;
            writer.last_hash = checked.record.hash;
            if checked.kind == "catalogue_adopted" {
                return send_adoption(&send, &mut batch, &mut current, keys, checked);
            }
            batch.push(checked);
            if batch.len() == REPLAY_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(REPLAY_BATCH));
                match send.try_send(ReplayBatch::Checked(full, current.clone())) {
                    Ok(()) => {}
                    // The applying thread is behind: decode this batch here, so both cores
                    // share the decoding whichever side is slower.
                    Err(mpsc::TrySendError::Full(ReplayBatch::Checked(full, _))) => {
                        let decoded = full
                            .into_iter()
                            .map(|checked| decode_record(&current, keys, checked))
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
            let _ = send.send(ReplayBatch::Checked(batch, current));
        }
        drop(send);
        let applied = apply
            .join()
            .map_err(|_| Error::storage("replay", "the replaying thread panicked"))?;
        match (read, applied) {
            // Only a whole log can show that every unreadable payload has its erasure.
            (Ok(()), Ok((projection, redactions, adoptions))) => {
                redactions.check()?;
                Ok((projection, adoptions))
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
        let at = |seq: u64| Error::new(ErrorCode::Integrity, "bad").at_event(seq);
        let stopped = || Error::new(ErrorCode::Integrity, "replay stopped");
        assert_eq!(first_bad(at(5), at(9)).message(), "event 5: bad");
        assert_eq!(first_bad(at(9), at(5)).message(), "event 5: bad");
        assert_eq!(first_bad(stopped(), at(9)).message(), "event 9: bad");
        assert_eq!(first_bad(at(9), stopped()).message(), "event 9: bad");
    }
}
