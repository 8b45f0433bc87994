//! Where events live. A store appends records durably in order and hands them back in order;
//! the ledger does everything else (validation, hashing, the projection).

pub(crate) mod copy;
pub(crate) mod lock;
pub(crate) mod memory;
pub(crate) mod sqlite;

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::log::record::{EventRecord, Head};

/// A subject's wrapped data key, valid for the subject's events from `since_seq` on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectKey {
    /// The subject's pseudonym.
    pub subject: [u8; 16],
    /// The first event sealed under this key.
    pub since_seq: u64,
    /// The key, wrapped under a key derived from the pseudonym key.
    pub wrapped: Vec<u8>,
}

impl SubjectKey {
    /// A subject key as a store read it back (for stores outside this crate).
    pub fn new(subject: [u8; 16], since_seq: u64, wrapped: Vec<u8>) -> SubjectKey {
        SubjectKey {
            subject,
            since_seq,
            wrapped,
        }
    }
}

/// One atomic write: new events, new subject keys, destroyed subject keys and the new head.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Records with consecutive sequence numbers following the last stored one.
    pub records: &'a [EventRecord],
    /// Data keys of subjects first seen in this batch.
    pub new_keys: &'a [SubjectKey],
    /// Subjects whose data keys are destroyed (erasure).
    pub destroyed_keys: &'a [[u8; 16]],
    /// The head anchor after this batch.
    pub head: &'a Head,
}

/// One atomic write whose records arrive a chunk at a time while they are still being made (a
/// bulk import seals and hashes on one thread while the store writes on another).
pub struct Stream<'a> {
    /// The records in order, a chunk at a time; an `Err` abandons the write.
    pub chunks: &'a mut dyn Iterator<Item = Result<Vec<EventRecord>>>,
    /// Subject keys first used by these records.
    pub new_keys: &'a [SubjectKey],
    /// Subject keys to destroy.
    pub destroyed_keys: &'a [[u8; 16]],
    /// The new head, asked for once every chunk has been taken.
    pub head: &'a mut dyn FnMut() -> Result<Head>,
}

impl fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("new_keys", &self.new_keys.len())
            .field("destroyed_keys", &self.destroyed_keys.len())
            .finish_non_exhaustive()
    }
}

/// A durable, append-only sequence of event records.
///
/// Only one writer appends at a time: the ledger serialises the writes of one process, and a
/// store that several processes share serialises theirs with [`Store::begin_write`] (a lock held
/// until [`Store::end_write`], under which the writer catches up with [`Store::tail`] before it
/// validates and appends). Such a store also rejects a record whose sequence number is not the
/// next one.
pub trait Store: Send + Sync + fmt::Debug {
    /// Writes a batch atomically: when this returns `Ok`, all of it is durable; when it
    /// returns an error, none of it is stored. A destroyed key must be unrecoverable from the
    /// store afterwards.
    ///
    /// # Errors
    /// `Storage` when the write fails; `Conflict` when the first sequence number is not the
    /// next one.
    fn append(&self, batch: &Batch<'_>) -> Result<()>;

    /// Writes a stream atomically, like [`Store::append`]. The default collects the chunks and
    /// appends them as one batch; a store that can write while the chunks are being made
    /// overrides it.
    ///
    /// # Errors
    /// As [`Store::append`], and the first error a chunk carries (nothing is stored).
    fn append_stream(&self, stream: Stream<'_>) -> Result<()> {
        let mut records = Vec::new();
        for chunk in stream.chunks {
            records.extend(chunk?);
        }
        let head = (stream.head)()?;
        self.append(&Batch {
            records: &records,
            new_keys: stream.new_keys,
            destroyed_keys: stream.destroyed_keys,
            head: &head,
        })
    }

    /// Writes a new ledger's first state in one step: its metadata and the head anchor of its
    /// empty log. The default writes the anchor, then each value; a store that can should do
    /// it atomically (the SQLite store does), so an interrupted creation leaves no ledger that
    /// looks half made.
    ///
    /// # Errors
    /// `Storage` when the write fails; `Integrity` when the store is not new.
    fn initialize(&self, meta: &[(&str, &str)], head: &Head) -> Result<()> {
        self.append(&Batch {
            records: &[],
            new_keys: &[],
            destroyed_keys: &[],
            head,
        })?;
        meta.iter()
            .try_for_each(|(key, value)| self.set_meta(key, value))
    }

    /// Calls `visit` with every stored subject key.
    ///
    /// # Errors
    /// `Storage` when reading fails, or whatever `visit` returns.
    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()>;

    /// Calls `visit` with every record whose sequence number is at least `from_seq`, in order.
    ///
    /// # Errors
    /// `Storage` when reading fails, or whatever `visit` returns.
    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()>;

    /// Calls `visit` with every record from `from_seq` to `last_seq` (inclusive), in order: a
    /// page of the log. The default reads [`Store::scan`] and stops after `last_seq`; a store
    /// that can should ask for the range only.
    ///
    /// # Errors
    /// As [`Store::scan`].
    fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        let mut past_the_end = false;
        let scanned = self.scan(from_seq, &mut |record| {
            if record.seq > last_seq {
                past_the_end = true;
                return Err(crate::error::Error::storage(
                    "scan",
                    "past the end of the page",
                ));
            }
            visit(record)
        });
        match scanned {
            Err(_) if past_the_end => Ok(()),
            other => other,
        }
    }

    /// Starts a group of reads that must see one state of the store (opening a ledger,
    /// verifying it) until [`Store::end_read`]. A store that other processes write while this
    /// one reads pins a snapshot here (the SQLite store opened read-only does); the default
    /// does nothing, which is right for a store only this process writes.
    ///
    /// # Errors
    /// `Storage` when the snapshot cannot be taken.
    fn begin_read(&self) -> Result<()> {
        Ok(())
    }

    /// Ends what [`Store::begin_read`] started.
    ///
    /// # Errors
    /// `Storage`.
    fn end_read(&self) -> Result<()> {
        Ok(())
    }

    /// Takes the lock that serialises writers across every process that has the store open,
    /// waiting while another holds it, until [`Store::end_write`]. The default takes none,
    /// which is right for a store only this process writes; a read-only store takes none.
    ///
    /// # Errors
    /// `Storage` when the lock cannot be taken.
    fn begin_write(&self) -> Result<()> {
        Ok(())
    }

    /// As [`Store::begin_write`], waiting at most `limit`: `Ok(false)`, and nothing taken,
    /// when another process still holds the lock then. For what may be skipped rather than
    /// wait (a snapshot at close). The default waits as [`Store::begin_write`] does.
    ///
    /// # Errors
    /// `Storage` when the lock cannot be taken for another reason.
    fn begin_write_within(&self, limit: std::time::Duration) -> Result<bool> {
        let _ = limit;
        self.begin_write().map(|()| true)
    }

    /// Releases what [`Store::begin_write`] took.
    ///
    /// # Errors
    /// `Storage`.
    fn end_write(&self) -> Result<()> {
        Ok(())
    }

    /// What was committed after event `after_seq`, as of the newest commit (never a snapshot
    /// [`Store::begin_read`] pinned), read as one state: calls `keys` with every subject key
    /// whose first event follows `after_seq`, then `records` with every record after it in
    /// order, and returns the head anchor. The default reads [`Store::subject_keys`],
    /// [`Store::scan`] and [`Store::head`] one after the other, which is one state for a store
    /// only this process writes.
    ///
    /// # Errors
    /// `Storage` when reading fails, or whatever a callback returns.
    fn tail(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        self.subject_keys(&mut |key| {
            if key.since_seq > after_seq {
                keys(key)
            } else {
                Ok(())
            }
        })?;
        self.scan(after_seq.saturating_add(1), records)?;
        self.head()
    }

    /// Whether processes on other hosts write this store, with no head counter this process
    /// can map (a database server): the ledger then catches up under every write lock, and
    /// before a decision asks [`Store::committed_seq`] whether the log moved. The default is
    /// `false` (a store only this process writes, or a file whose head the ledger maps).
    fn remote(&self) -> bool {
        false
    }

    /// The newest committed sequence number as the store holds it now (one round trip for a
    /// database), for the freshness check of a [`Store::remote`] store; `None` from a store
    /// that cannot tell more cheaply than [`Store::tail`] (the default).
    ///
    /// # Errors
    /// `Storage` when reading fails.
    fn committed_seq(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// The instant that stamps the write in progress: read from the store's own clock under
    /// the lock [`Store::begin_write`] took, so writers on every host share one clock that never
    /// runs backwards (a database server's). `None` (the default): the ledger's clock stamps it.
    /// Called only between [`Store::begin_write`] and [`Store::end_write`].
    ///
    /// # Errors
    /// `Storage` when the clock cannot be read.
    fn write_clock(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(None)
    }

    /// The records of one subject, in order.
    ///
    /// # Errors
    /// `Storage` when reading fails.
    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>>;

    /// The head anchor written by the last append, if any.
    ///
    /// # Errors
    /// `Storage` when reading fails.
    fn head(&self) -> Result<Option<Head>>;

    /// Reads a metadata value.
    ///
    /// # Errors
    /// `Storage` when reading fails.
    fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Writes a metadata value durably.
    ///
    /// # Errors
    /// `Storage` when writing fails.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}

/// A shared store: several ledgers over time (for example a reopen in a test) may use one.
impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        (**self).append(batch)
    }

    fn append_stream(&self, stream: Stream<'_>) -> Result<()> {
        (**self).append_stream(stream)
    }

    fn initialize(&self, meta: &[(&str, &str)], head: &Head) -> Result<()> {
        (**self).initialize(meta, head)
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        (**self).subject_keys(visit)
    }

    fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        (**self).scan_range(from_seq, last_seq, visit)
    }

    fn begin_read(&self) -> Result<()> {
        (**self).begin_read()
    }

    fn end_read(&self) -> Result<()> {
        (**self).end_read()
    }

    fn begin_write(&self) -> Result<()> {
        (**self).begin_write()
    }

    fn begin_write_within(&self, limit: std::time::Duration) -> Result<bool> {
        (**self).begin_write_within(limit)
    }

    fn end_write(&self) -> Result<()> {
        (**self).end_write()
    }

    fn tail(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        (**self).tail(after_seq, keys, records)
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        (**self).scan(from_seq, visit)
    }

    fn remote(&self) -> bool {
        (**self).remote()
    }

    fn committed_seq(&self) -> Result<Option<u64>> {
        (**self).committed_seq()
    }

    fn write_clock(&self) -> Result<Option<DateTime<Utc>>> {
        (**self).write_clock()
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        (**self).subject_records(subject)
    }

    fn head(&self) -> Result<Option<Head>> {
        (**self).head()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        (**self).meta(key)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        (**self).set_meta(key, value)
    }
}
