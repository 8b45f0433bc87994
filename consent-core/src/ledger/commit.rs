//! Committing events: sealing payloads under their subjects' keys, chaining them, and storing
//! them in one atomic write, on a second thread for a large one; then applying their effects.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Ledger, Writer, poisoned};
use crate::error::{Error, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::event::EventPayload;
use crate::log::record::{self, EventRecord, Hash, Head};
use crate::log::seal::{DataKey, Entropy};
use crate::model::party::Actor;
use crate::projection::{Effect, keyed};
use crate::store::{Batch, Stream, SubjectKey};

impl Ledger {
    /// A new UUIDv7: the clock's milliseconds and 74 random bits.
    pub(super) fn new_id(&self, entropy: &mut Entropy) -> Result<Uuid> {
        let now = self.inner.clock.now();
        let millis = u64::try_from(now.timestamp_millis()).map_err(|_| {
            Error::invalid(format!(
                "the ledger's clock reads `{}`, before 1970",
                now.to_rfc3339()
            ))
        })?;
        Ok(uuid::Builder::from_unix_timestamp_millis(millis, &entropy.take()?).into_uuid())
    }

    pub(super) fn commit_one(
        &self,
        writer: &mut Writer,
        actor: &Actor,
        subject: Option<Pseudonym>,
        payload: EventPayload,
        effect: Effect,
    ) -> Result<Uuid> {
        let ids = self.commit(
            writer,
            actor,
            vec![Pending {
                actor: None,
                subject,
                payload,
                effect,
            }],
            &[],
            &mut Entropy::new(),
        )?;
        ids.first()
            .copied()
            .ok_or_else(|| Error::storage("commit", "no event was written"))
    }

    /// Seals, chains and stores events (and key changes) in one atomic write, then applies
    /// their effects. Personal payloads are sealed under the subject's data key, created with
    /// the subject's first such event.
    pub(super) fn commit(
        &self,
        writer: &mut Writer,
        actor: &Actor,
        pending: Vec<Pending>,
        destroy: &[Pseudonym],
        entropy: &mut Entropy,
    ) -> Result<Vec<Uuid>> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        // The effects as a replay will read them back, idempotency keys included; made before
        // anything is written, so that nothing can fail between the write and its effects.
        let mut pending = pending;
        for (item, seq) in pending.iter_mut().zip(writer.last_seq + 1..) {
            let effect = std::mem::replace(&mut item.effect, Effect::None);
            item.effect = keyed(effect, item.subject, &item.payload, seq)?;
        }
        let (keys, fresh, new_keys) =
            self.sealing_keys(writer.last_seq + 1, &pending, destroy, entropy)?;
        let destroyed: Vec<[u8; 16]> = destroy.iter().map(|s| s.0).collect();
        // New keys are known before their events are stored, so a reader that sees an event
        // can always open it; they are taken back if the write fails.
        if !new_keys.is_empty() {
            let mut projection = self.inner.projection.write().map_err(|_| poisoned())?;
            for key in &new_keys {
                let subject = Pseudonym(key.subject);
                if let Some(data_key) = fresh.get(&subject) {
                    projection.set_key(subject, *data_key, key.since_seq);
                }
            }
        }
        let write = Write {
            start: (writer.last_seq, writer.last_hash),
            at: self.stamp(writer),
            actor,
            pending: &pending,
            keys: &keys,
            new_keys: &new_keys,
            destroyed: &destroyed,
        };
        let written = if pending.len() >= PIPELINE_FROM {
            self.write_pipelined(&write)
        } else {
            self.write_batch(&write, entropy)
        };
        let (ids, seq, prev) = match written {
            Ok(written) => written,
            Err(error) => {
                if !new_keys.is_empty() {
                    let mut projection = self.inner.projection.write().map_err(|_| poisoned())?;
                    for key in &new_keys {
                        projection.remove_key(&Pseudonym(key.subject));
                    }
                }
                return Err(error);
            }
        };
        writer.last_seq = seq;
        writer.last_hash = prev;
        {
            let mut projection = self.inner.projection.write().map_err(|_| poisoned())?;
            for item in pending {
                projection.apply(item.effect);
            }
            self.inner
                .flagged
                .store(projection.any_flags(), Ordering::Release);
        }
        self.inner.events.store(seq, Ordering::Release);
        self.publish(seq);
        self.forget_stored_keys(destroy);
        Ok(ids)
    }

    /// The key that seals each pending payload or its sealed part (`None`: nothing personal),
    /// and the keys created
    /// for subjects sealed here for the first time (a destroyed key is replaced).
    #[expect(clippy::type_complexity, reason = "three parallel results of one pass")]
    fn sealing_keys(
        &self,
        first_seq: u64,
        pending: &[Pending],
        destroy: &[Pseudonym],
        entropy: &mut Entropy,
    ) -> Result<(
        Vec<Option<DataKey>>,
        HashMap<Pseudonym, DataKey>,
        Vec<SubjectKey>,
    )> {
        let projection = self.read()?;
        let mut keys = Vec::with_capacity(pending.len());
        let mut fresh: HashMap<Pseudonym, DataKey> = HashMap::new();
        let mut new_keys = Vec::new();
        for (seq, item) in (first_seq..).zip(pending) {
            let key = match item.subject {
                Some(subject) if item.payload.is_personal() || item.payload.has_sealed_part() => {
                    Some(match self.data_key(&projection, &subject)? {
                        Some((key, _)) if !destroy.contains(&subject) => key,
                        _ => match fresh.get(&subject) {
                            Some(key) => *key,
                            None => {
                                let key = DataKey::generate(entropy)?;
                                fresh.insert(subject, key);
                                new_keys.push(SubjectKey {
                                    subject: subject.0,
                                    since_seq: seq,
                                    wrapped: self
                                        .inner
                                        .wrapper
                                        .wrap(&subject, seq, &key, entropy)?,
                                });
                                key
                            }
                        },
                    })
                }
                _ => None,
            };
            keys.push(key);
        }
        Ok((keys, fresh, new_keys))
    }

    /// The stored record of one event: its payload encoded, sealed under `key` when personal,
    /// and chained to `prev`.
    fn build_record(
        &self,
        write: &Write<'_>,
        item: &Pending,
        key: Option<&DataKey>,
        seq: u64,
        prev: &Hash,
        entropy: &mut Entropy,
    ) -> Result<(Uuid, EventRecord)> {
        let id = self.new_id(entropy)?;
        let (bytes, sealed) = match (key, item.subject, &item.payload) {
            // A payload in clear with a sealed part: the part sealed, the rest in clear.
            (Some(key), Some(subject), EventPayload::IdentitySucceeded(succession)) => {
                let stored = succession.seal_reference(key, &subject, entropy)?;
                (
                    record::encode_payload(&EventPayload::IdentitySucceeded(stored))?,
                    false,
                )
            }
            (Some(key), Some(subject), payload) => (
                key.seal(&subject, &record::encode_payload(payload)?, entropy)?,
                true,
            ),
            (_, _, payload) => (record::encode_payload(payload)?, false),
        };
        let record = record::seal(
            seq,
            id,
            write.at,
            item.actor.as_ref().unwrap_or(write.actor),
            item.subject,
            item.payload.kind(),
            bytes,
            sealed,
            prev,
        )?;
        Ok((id, record))
    }

    /// Builds every record, then stores them in one write. Returns the ids, the last sequence
    /// number and the last hash.
    fn write_batch(
        &self,
        write: &Write<'_>,
        entropy: &mut Entropy,
    ) -> Result<(Vec<Uuid>, u64, Hash)> {
        let (mut seq, mut prev) = write.start;
        let mut records = Vec::with_capacity(write.pending.len());
        let mut ids = Vec::with_capacity(write.pending.len());
        for (item, key) in write.pending.iter().zip(write.keys) {
            seq += 1;
            let (id, record) = self.build_record(write, item, key.as_ref(), seq, &prev, entropy)?;
            prev = record.hash;
            ids.push(id);
            records.push(record);
        }
        self.inner.store.append(&Batch {
            records: &records,
            new_keys: write.new_keys,
            destroyed_keys: write.destroyed,
            head: &Head::new(seq, prev, &self.inner.mac_key),
        })?;
        Ok((ids, seq, prev))
    }

    /// Like [`Ledger::write_batch`] for a large write: a second thread builds the records
    /// (encoding, sealing, hashing) a chunk at a time while this one stores the chunks before
    /// it, in the same transaction.
    fn write_pipelined(&self, write: &Write<'_>) -> Result<(Vec<Uuid>, u64, Hash)> {
        let whole = *write;
        let Write {
            start,
            at: _,
            actor: _,
            pending,
            keys,
            new_keys,
            destroyed,
        } = *write;
        let (send, receive) = mpsc::sync_channel::<Result<Vec<EventRecord>>>(4);
        std::thread::scope(|scope| {
            let producer = std::thread::Builder::new()
                .name("consent-seal".into())
                .spawn_scoped(scope, move || -> Option<(Vec<Uuid>, u64, Hash)> {
                    // Its own pool: the caller's stays on the caller's thread.
                    let mut entropy = Entropy::new();
                    let (mut seq, mut prev) = start;
                    let mut ids = Vec::with_capacity(pending.len());
                    let mut chunk = Vec::with_capacity(WRITE_CHUNK);
                    for (item, key) in pending.iter().zip(keys) {
                        seq += 1;
                        match self.build_record(
                            &whole,
                            item,
                            key.as_ref(),
                            seq,
                            &prev,
                            &mut entropy,
                        ) {
                            Ok((id, record)) => {
                                prev = record.hash;
                                ids.push(id);
                                chunk.push(record);
                            }
                            Err(error) => {
                                let _ = send.send(Err(error));
                                return None;
                            }
                        }
                        if chunk.len() == WRITE_CHUNK {
                            let full =
                                std::mem::replace(&mut chunk, Vec::with_capacity(WRITE_CHUNK));
                            // A closed channel: the store stopped on an error, which it reports.
                            send.send(Ok(full)).ok()?;
                        }
                    }
                    if !chunk.is_empty() {
                        send.send(Ok(chunk)).ok()?;
                    }
                    Some((ids, seq, prev))
                })
                .map_err(|e| Error::storage("cannot start the sealing thread", e))?;
            let last = std::cell::Cell::new(start);
            let mut chunks = receive.into_iter().inspect(|chunk| {
                if let Some(record) = chunk.as_ref().ok().and_then(|c| c.last()) {
                    last.set((record.seq, record.hash));
                }
            });
            let stored = self.inner.store.append_stream(Stream {
                chunks: &mut chunks,
                new_keys,
                destroyed_keys: destroyed,
                // Asked for before the store commits: a stream that ended early (the sealing
                // thread stopped, even by panicking, which closes the channel like an end)
                // fails here, so the store commits nothing.
                head: &mut || {
                    let (seq, hash) = last.get();
                    if seq != start.0 + pending.len() as u64 {
                        return Err(Error::storage(
                            "write",
                            "the sealing thread stopped before the last record",
                        ));
                    }
                    Ok(Head::new(seq, hash, &self.inner.mac_key))
                },
            });
            // Closes the channel, so a producer still sending stops.
            drop(chunks);
            let produced = producer
                .join()
                .map_err(|_| Error::storage("write", "the sealing thread panicked"))?;
            stored?;
            // The head check above already saw the last record taken.
            produced.ok_or_else(|| Error::storage("write", "the sealing thread stopped"))
        })
    }
}

/// From this many events a write builds its records on a second thread while the store writes.
pub(super) const PIPELINE_FROM: usize = 1024;

/// How many records travel from the sealing thread to the store at a time.
const WRITE_CHUNK: usize = 256;

/// The parts of one write, once its keys are settled.
#[derive(Clone, Copy)]
struct Write<'a> {
    /// The sequence number and hash the write chains from.
    start: (u64, Hash),
    /// The instant the records are stamped with.
    at: DateTime<Utc>,
    actor: &'a Actor,
    pending: &'a [Pending],
    /// The key sealing each pending payload (`None`: not personal).
    keys: &'a [Option<DataKey>],
    new_keys: &'a [SubjectKey],
    destroyed: &'a [[u8; 16]],
}

/// A write waiting to be committed.
pub(super) struct Pending {
    /// Who performed this one, where not the write's actor (accesses committed together).
    pub(super) actor: Option<Actor>,
    pub(super) subject: Option<Pseudonym>,
    pub(super) payload: EventPayload,
    pub(super) effect: Effect,
}
