//! A verified snapshot of the projection beside a ledger file (`<database>.snapshot`), so that
//! opening replays and verifies only the events after it.
//!
//! The file holds the state at event N (the projection without data keys, the catalogues
//! adopted), the chain hash of event N, and a keyed BLAKE3 MAC over all of it under a key
//! derived from the ledger's pseudonym key: only a holder of the key can write one that is
//! used. Opening uses it only when the MAC verifies and the stored event N has that hash; a
//! snapshot that is stale (the log does not hold its event N: a restore), corrupt, forged, of
//! another ledger or of another version is ignored (a full replay) and reported through
//! [`Ledger::snapshot_status`]. `verify` always checks the whole chain.
//!
//! The snapshot holds no key material: it names which subjects have a data key and the first
//! event each seals. Opening from it reads no key; a call that needs a subject's key (a write
//! for the subject, reading its events) unwraps that key from the store then
//! ([`Ledger::data_key`]), and fails with `Integrity` when it is missing or does not unwrap.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use std::collections::HashMap;

use super::adopt::Adoption;
use super::{Ledger, Writer};
use crate::catalogue::Catalogue;
use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::record::Hash;
use crate::log::seal::DataKey;
use crate::projection::Projection;
use crate::projection::snapshot::{Reader, Writer as Bytes};
use crate::store::sqlite::{beside, set_mode};
use crate::store::{Store, SubjectKey};

/// The first bytes of a snapshot file of this layout.
/// Version 3 adds which subjects hold a data key (version 2 snapshots are ignored: the open
/// then replays the log and the next close writes one of this version).
const MAGIC: &[u8; 16] = b"consent-snap-v3\n";

/// The key-derivation context of the snapshot's MAC.
const MAC_CONTEXT: &str = "consent 2026 projection snapshot";

/// How many times [`Ledger::write_snapshot`] catches up and writes before it gives up on a
/// ledger other processes keep writing.
const SNAPSHOT_ATTEMPTS: u32 = 3;

/// How many events after the last snapshot make closing a ledger write a new one, by default.
pub const SNAPSHOT_EVERY: u64 = 10_000;

/// What opening a ledger made of its snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SnapshotStatus {
    /// No snapshot was there (or the ledger is in memory, or new).
    #[default]
    Absent,
    /// The snapshot at event `seq` was used: only the events after it were replayed.
    Used {
        /// The event the snapshot holds the state after.
        seq: u64,
    },
    /// A snapshot was there and was not trusted: the whole log was replayed.
    Ignored {
        /// Why (corrupt, forged, stale, of another ledger or version, or the events after it
        /// could not be applied to it).
        reason: String,
    },
}

impl SnapshotStatus {
    /// The event of the snapshot used (0: none).
    pub(super) fn used_seq(&self) -> u64 {
        match self {
            SnapshotStatus::Used { seq } => *seq,
            _ => 0,
        }
    }
}

/// `<database>.snapshot`, for the database's canonical path.
pub(super) fn snapshot_path(real: &Path) -> PathBuf {
    beside(real, ".snapshot")
}

/// The state a snapshot holds.
pub(super) struct Loaded {
    pub projection: Projection,
    pub writer: Writer,
    pub adoptions: Vec<Adoption>,
}

fn mac(key: &PseudonymKey, bytes: &[u8]) -> Hash {
    *blake3::keyed_hash(&key.derive(MAC_CONTEXT), bytes).as_bytes()
}

/// Reads the snapshot at `path`: `Ok(None)` when there is none, `Err(reason)` when there is one
/// that must not be trusted.
pub(super) fn load(
    path: &Path,
    store: &dyn Store,
    key: &PseudonymKey,
) -> std::result::Result<Option<Loaded>, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let Some((body, tag)) = bytes.split_last_chunk::<32>() else {
        return Err("it is truncated".to_owned());
    };
    // The MAC is checked on a second thread while this one decodes: nothing decoded is used
    // unless the MAC verifies, and decoding never trusts a length, so reading bytes not yet
    // verified costs at most the work of a snapshot of that size.
    let (verified, decoded) = std::thread::scope(|scope| {
        let check = || constant_time_eq(&mac(key, body), tag);
        let checking = std::thread::Builder::new()
            .name("consent-snapshot".into())
            .spawn_scoped(scope, check);
        let decoded = decode(body);
        let verified = match checking {
            // A thread that panicked verified nothing.
            Ok(thread) => thread.join().unwrap_or(false),
            // No thread to be had: checked here.
            Err(_) => check(),
        };
        (verified, decoded)
    });
    if !verified {
        return Err("its MAC does not verify (corrupt, forged, or of another key)".to_owned());
    }
    let (seq, hash, adoptions, projection) = decoded?;
    // The log must hold the snapshot's last event, unchanged.
    let mut stored = None;
    store
        .scan_range(seq, seq, &mut |record| {
            stored = Some(record.hash);
            Ok(())
        })
        .map_err(|e| format!("cannot read event {seq}: {e}"))?;
    if stored != Some(hash) {
        return Err(format!(
            "it is stale: the log does not hold its event {seq} (a restored or another ledger)"
        ));
    }
    let adoptions = adoptions
        .into_iter()
        .map(|(from, toml)| {
            Catalogue::from_toml(&toml)
                .map(|catalogue| Adoption { from, catalogue })
                .map_err(|e| format!("an adopted catalogue does not parse: {e}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some(Loaded {
        projection,
        writer: Writer {
            last_seq: seq,
            last_hash: hash,
            stamp: None,
        },
        adoptions,
    }))
}

/// The snapshot's contents: its event, that event's hash, the adopted catalogues and the
/// projection; `Err(reason)` for another layout or bytes that do not decode.
#[expect(
    clippy::type_complexity,
    reason = "the parts of one file, named where they are used"
)]
fn decode(body: &[u8]) -> std::result::Result<(u64, Hash, Vec<(i64, String)>, Projection), String> {
    let mut r = Reader(body);
    if r.take::<16>().as_ref() != Some(MAGIC) {
        return Err("it is of another version".to_owned());
    }
    let decoded = (|| {
        let seq = r.u64()?;
        let hash = r.take::<32>()?;
        let mut adoptions = Vec::new();
        for _ in 0..r.len(16)? {
            let from = r.i64()?;
            let length = r.len(1)?;
            let text = r.0.get(..length)?;
            r.0 = r.0.get(length..)?;
            let toml = std::str::from_utf8(text).ok()?;
            adoptions.push((from, toml.to_owned()));
        }
        let projection = Projection::decode(&mut r)?;
        r.is_empty().then_some((seq, hash, adoptions, projection))
    })();
    decoded.ok_or_else(|| "its contents do not decode".to_owned())
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Ledger {
    /// What opening made of the ledger's snapshot: used (and at which event), ignored (and
    /// why: then the whole log was replayed), or absent.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions, SnapshotStatus};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// let ledger = Ledger::open(&path, LedgerOptions::default())?;
    /// assert_eq!(ledger.snapshot_status(), SnapshotStatus::Absent);
    /// ledger.write_snapshot()?;
    /// drop(ledger);
    /// let reopened = Ledger::open(&path, LedgerOptions::default())?;
    /// assert_eq!(reopened.snapshot_status(), SnapshotStatus::Used { seq: 1 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot_status(&self) -> SnapshotStatus {
        self.inner
            .snapshot_status
            .get()
            .cloned()
            .unwrap_or(SnapshotStatus::Absent)
    }

    /// Writes a snapshot of the ledger's state beside the ledger file (replacing the one
    /// there, atomically), so the next open replays only what follows. It first applies what
    /// other processes wrote, and the snapshot is of the store's head: one is put in place only
    /// while the event it holds the state after is still the newest. Returns that event, or
    /// `None` for a ledger that keeps none (in memory, read-only). A ledger also writes one by
    /// itself when it is closed (its last handle dropped) with
    /// [`LedgerOptions::snapshot_every`] or more events beyond its last, unless another
    /// process wrote after it (then the next to close writes one).
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ledger = Ledger::open(dir.path().join("consent.db"), LedgerOptions::default())?;
    /// assert_eq!(ledger.write_snapshot()?, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`LedgerOptions::snapshot_every`]: crate::LedgerOptions::snapshot_every
    ///
    /// # Errors
    /// `Storage` when the file cannot be written or the store read; `Integrity` when what
    /// other processes wrote does not verify; `Conflict` when other processes wrote each time
    /// this one had caught up (three times): nothing was put in place.
    pub fn write_snapshot(&self) -> Result<Option<u64>> {
        if self.inner.snapshot_file.get().is_none() {
            return Ok(None);
        }
        for _ in 0..SNAPSHOT_ATTEMPTS {
            // Taking the writer lock applies what other processes committed.
            drop(self.lock_writer()?);
            match write_snapshot(&self.inner, false)? {
                Written::NotKept => return Ok(None),
                Written::At(seq) => return Ok(Some(seq)),
                Written::Behind => {}
            }
        }
        Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "other processes wrote to the ledger while each of {SNAPSHOT_ATTEMPTS} snapshots was written; no snapshot was written, try again"
            ),
        ))
    }
}

impl Ledger {
    /// After opening from a snapshot: applies the events after it, checked as a replay checks
    /// them (nothing is applied unless all of it verifies).
    ///
    /// # Errors
    /// As [`Ledger::catch_up`]: the caller then replays the log instead.
    pub(super) fn after_snapshot(&self, status: &SnapshotStatus) -> Result<()> {
        if status.used_seq() > 0 {
            let mut writer = self.inner.writer.lock().map_err(|_| super::poisoned())?;
            if self.catch_up(&mut writer)? > 0 {
                // A kassasjon came after the snapshot (through a ledger that did not know the
                // snapshot's file): the file holds state of a subject shredded since, and is
                // removed as soon as this ledger knows where it is (`keep_snapshots`).
                self.inner.snapshot_shredded.store(true, Ordering::Release);
            }
        }
        Ok(())
    }

    /// Removes the ledger's snapshot (before a kassasjon: it holds the state of the subjects
    /// being shredded); the next open replays the log, and a later close writes a new one.
    ///
    /// # Errors
    /// `Storage` when the file exists and cannot be removed (then nothing is shredded).
    pub(super) fn forget_snapshot(&self) -> Result<()> {
        let Some((path, _)) = self.inner.snapshot_file.get() else {
            return Ok(());
        };
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::storage(
                    &format!("cannot remove the snapshot `{}`", path.display()),
                    e,
                ));
            }
        }
        self.inner.snapshot_seq.store(0, Ordering::Release);
        Ok(())
    }

    /// Makes this (writable, file) ledger write its snapshots to `path` with `mode`, and
    /// removes the snapshot there when opening from it caught up past a kassasjon.
    ///
    /// # Errors
    /// `Storage` when that snapshot cannot be removed.
    pub(super) fn keep_snapshots(&self, path: PathBuf, mode: u32) -> Result<()> {
        let _ = self.inner.snapshot_file.set((path, mode));
        if self.inner.snapshot_shredded.swap(false, Ordering::AcqRel) {
            self.forget_snapshot()?;
        }
        Ok(())
    }
}

/// The subject keys as the store holds them (wrapped), by subject.
pub(super) type StoredKeys = HashMap<Pseudonym, SubjectKey>;

/// What the ledger holds of a subject's data key (see [`Ledger::key_lookup`]).
pub(super) enum KeyLookup {
    /// The ledger holds no key for the subject.
    Absent,
    /// The key and the first event it seals.
    Held(DataKey, u64),
    /// The snapshot named a key for events from `since` on, and the store holds none for the
    /// subject: deleted behind the ledger's back, or destroyed by a kassasjon another process
    /// recorded after this one last looked (only a catch-up that applies that erasure may
    /// accept this, see `Ledger::decode_tail`).
    NotStored { since: u64 },
}

/// The error of a data key the snapshot named that the store no longer holds as named.
pub(super) fn key_not_stored(subject: &Pseudonym, since: u64) -> Error {
    Error::new(
        ErrorCode::Integrity,
        format!(
            "the data key of subject `{subject}` for events from {since} on is not stored: it was deleted or replaced behind the ledger's back (`consent verify` checks the whole ledger)"
        ),
    )
}

impl Ledger {
    /// A subject's data key and the first event it seals (`None`: the ledger holds none for
    /// it). A key the snapshot named is unwrapped from the store the first time it is needed,
    /// and kept unwrapped from then on.
    ///
    /// # Errors
    /// `Integrity` when the key the snapshot names is not stored (or for another first event),
    /// does not unwrap (altered, or of another subject), or the subject has two; `Storage`.
    pub(super) fn data_key(
        &self,
        projection: &Projection,
        subject: &Pseudonym,
    ) -> Result<Option<(DataKey, u64)>> {
        match self.key_lookup(projection, subject)? {
            KeyLookup::Absent => Ok(None),
            KeyLookup::Held(key, since) => Ok(Some((key, since))),
            KeyLookup::NotStored { since } => Err(key_not_stored(subject, since)),
        }
    }

    /// As [`Ledger::data_key`], but a key the snapshot named that the store holds no key for
    /// at all is [`KeyLookup::NotStored`] rather than an error, for the caller to explain.
    ///
    /// # Errors
    /// `Integrity` when the store holds a key for the subject for another first event, it does
    /// not unwrap, or the subject has two; `Storage`.
    pub(super) fn key_lookup(
        &self,
        projection: &Projection,
        subject: &Pseudonym,
    ) -> Result<KeyLookup> {
        let Some(entry) = projection.key_entry(subject) else {
            return Ok(KeyLookup::Absent);
        };
        if let Some(key) = entry.key.get() {
            return Ok(KeyLookup::Held(*key, entry.since));
        }
        let mut stored = self
            .inner
            .stored_keys
            .lock()
            .map_err(|_| super::poisoned())?;
        // Another thread may have unwrapped it while this one waited.
        if let Some(key) = entry.key.get() {
            return Ok(KeyLookup::Held(*key, entry.since));
        }
        Ok(
            match self.unwrap_stored(&mut stored, subject, entry.since)? {
                Some(unwrapped) => {
                    KeyLookup::Held(*entry.key.get_or_init(|| unwrapped), entry.since)
                }
                None => KeyLookup::NotStored { since: entry.since },
            },
        )
    }

    /// Reads the wrapped keys from the store into the cache now, if a key the snapshot named
    /// is still wrapped and the cache is empty: a caller that is about to read the store
    /// (scanning events, whose visitor asks for keys) calls this first, since the store's
    /// read connection is not re-entrant.
    ///
    /// # Errors
    /// As [`Ledger::unwrap_stored`].
    pub(super) fn preload_stored_keys(&self) -> Result<()> {
        // Only a ledger opened from a snapshot holds keys it has not unwrapped.
        if !matches!(
            self.inner.snapshot_status.get(),
            Some(SnapshotStatus::Used { .. })
        ) {
            return Ok(());
        }
        let mut stored = self
            .inner
            .stored_keys
            .lock()
            .map_err(|_| super::poisoned())?;
        if stored.is_none() {
            *stored = Some(self.read_stored_keys()?);
        }
        Ok(())
    }

    /// The wrapped subject keys as the store holds them.
    ///
    /// # Errors
    /// `Integrity` when a subject has two; `Storage`.
    fn read_stored_keys(&self) -> Result<StoredKeys> {
        let mut keys = StoredKeys::new();
        self.inner.store.subject_keys(&mut |key: SubjectKey| {
            let subject = Pseudonym(key.subject);
            match keys.insert(subject, key) {
                None => Ok(()),
                Some(_) => Err(Error::new(
                    ErrorCode::Integrity,
                    format!("subject `{subject}` has two data keys"),
                )),
            }
        })?;
        Ok(keys)
    }

    /// Unwraps the stored key of `subject` for events from `since` on (and drops its wrapped
    /// copy: it is held unwrapped from now on); `None` when the store holds no key for the
    /// subject. The wrapped keys are read from the store once, on the first call.
    ///
    /// # Errors
    /// `Integrity` when the stored key is for another first event, does not unwrap, or the
    /// subject has two; `Storage`.
    fn unwrap_stored(
        &self,
        stored: &mut Option<StoredKeys>,
        subject: &Pseudonym,
        since: u64,
    ) -> Result<Option<DataKey>> {
        let keys = match stored {
            Some(keys) => keys,
            empty => empty.insert(self.read_stored_keys()?),
        };
        match keys.get(subject) {
            None => Ok(None),
            Some(key) if key.since_seq == since => {
                let unwrapped = self
                    .inner
                    .wrapper
                    .unwrap_key(subject, since, &key.wrapped)?;
                keys.remove(subject);
                Ok(Some(unwrapped))
            }
            Some(_) => Err(key_not_stored(subject, since)),
        }
    }

    /// Drops the wrapped copies read from the store of the keys of `erased` subjects: a key a
    /// kassasjon destroyed is not kept in this process's memory either. (Removing entries is
    /// right even if a thread panicked holding the copies, so a poisoned lock is entered.)
    pub(super) fn forget_stored_keys(&self, erased: &[Pseudonym]) {
        if erased.is_empty() {
            return;
        }
        let mut stored = match self.inner.stored_keys.lock() {
            Ok(stored) => stored,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(keys) = stored.as_mut() {
            for subject in erased {
                keys.remove(subject);
            }
        }
    }
}

/// What writing a snapshot came to.
pub(super) enum Written {
    /// The ledger keeps no snapshot (in memory, read-only, or a child after `fork()`).
    NotKept,
    /// A snapshot of the state after this event is in place.
    At(u64),
    /// The store's head had moved past this ledger's last event (another process wrote):
    /// nothing was put in place, and the snapshot there (if any) is unchanged.
    Behind,
}

/// Writes the snapshot of a ledger's state as of its last event, and puts it in place only
/// while that event is still the store's head. The check and the rename happen under the
/// store's write lock, the lock a kassasjon holds when it removes the snapshot and shreds: a
/// snapshot written by a process that has not applied a later kassasjon (or any later event)
/// is never put in place, so a snapshot is never behind the head it was written at, and never
/// holds the state of a subject shredded since. Encoding and writing the file happen before
/// the lock is taken, so other writers wait only for the check and the rename.
pub(super) fn write_snapshot(inner: &super::Inner, closing: bool) -> Result<Written> {
    let Some((path, mode)) = inner.snapshot_file.get() else {
        return Ok(Written::NotKept);
    };
    if inner
        .shared
        .get()
        .is_some_and(super::shared::Shared::forked)
    {
        return Ok(Written::NotKept);
    }
    let mut bytes = Vec::with_capacity(1 << 20);
    bytes.extend_from_slice(MAGIC);
    let (seq, hash) = {
        // The writer's lock keeps the projection and its position together.
        let writer = inner.writer.lock().map_err(|_| super::poisoned())?;
        // Behind already (another process wrote, perhaps a kassasjon): nothing is encoded or
        // written to disk, not even to a temporary file. The check under the store's lock
        // below still decides; this one only keeps state that may be shredded off the disk.
        if inner
            .store
            .head()?
            .is_some_and(|head| head.seq != writer.last_seq)
        {
            return Ok(Written::Behind);
        }
        let projection = inner.projection.read().map_err(|_| super::poisoned())?;
        let mut w = Bytes(&mut bytes);
        w.u64(writer.last_seq);
        w.bytes(&writer.last_hash);
        let entries = inner.catalogue.entries();
        w.len(entries.len());
        for (from, catalogue) in entries {
            w.i64(from);
            w.len(catalogue.toml().len());
            w.bytes(catalogue.toml().as_bytes());
        }
        projection.encode(&mut bytes);
        (writer.last_seq, writer.last_hash)
    };
    let tag = mac(&inner.key, &bytes);
    bytes.extend_from_slice(&tag);
    let temporary = write_temporary(path, &bytes, *mode)?;
    // Closing never waits long for another process's write (a verify or a backup holds the
    // lock for its whole run): the snapshot is skipped instead, and a later close writes it.
    let wait = closing.then_some(CLOSE_WAIT);
    let placed = place_at_head(inner, &temporary, path, seq, &hash, wait);
    if !matches!(placed, Ok(true)) {
        let _ = fs::remove_file(&temporary);
    }
    if placed? {
        inner.snapshot_seq.store(seq, Ordering::Release);
        Ok(Written::At(seq))
    } else {
        Ok(Written::Behind)
    }
}

/// Renames `temporary` over `path` if the store's head is event `seq` with `hash`, under this
/// process's writer lock and the store's write lock (taken in the order every writer takes
/// them); `false`, and nothing renamed, when the head is elsewhere.
fn place_at_head(
    inner: &super::Inner,
    temporary: &Path,
    path: &Path,
    seq: u64,
    hash: &Hash,
    wait: Option<Duration>,
) -> Result<bool> {
    let _writer = inner.writer.lock().map_err(|_| super::poisoned())?;
    match wait {
        None => inner.store.begin_write()?,
        Some(limit) => {
            if !inner.store.begin_write_within(limit)? {
                return Ok(false);
            }
        }
    }
    let placed = (|| {
        let at_head = match inner.store.head()? {
            Some(head) => head.seq == seq && head.hash == *hash,
            None => false,
        };
        if at_head {
            fs::rename(temporary, path).map_err(|e| {
                Error::storage(
                    &format!("cannot write the snapshot `{}`", path.display()),
                    e,
                )
            })?;
        }
        Ok(at_head)
    })();
    let ended = inner.store.end_write();
    let placed = placed?;
    ended?;
    Ok(placed)
}

/// How long closing waits for the store's write lock before it skips the snapshot.
const CLOSE_WAIT: Duration = Duration::from_millis(200);

/// Whether closing should write a snapshot: enough events followed the last one.
pub(super) fn due_on_close(inner: &super::Inner) -> bool {
    let every = inner.snapshot_every;
    inner.snapshot_file.get().is_some()
        && every != 0
        && inner
            .events
            .load(Ordering::Acquire)
            .saturating_sub(inner.snapshot_seq.load(Ordering::Acquire))
            >= every
}

/// Writes `bytes` to a temporary file beside `path`, flushed to disk, and returns its path
/// (the caller renames it over `path` or removes it).
fn write_temporary(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
    // Unique within the process too: two handles of one file may close at once.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let temporary = beside(
        path,
        &format!(
            ".new-{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ),
    );
    let written = (|| {
        // A new file, never one that is there (a leftover of a killed process with this
        // process's id, or a link someone put in its place): that one is removed first.
        match fs::remove_file(&temporary) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        set_mode(&temporary, mode)
    })();
    match written {
        Ok(()) => Ok(temporary),
        Err(e) => {
            let _ = fs::remove_file(&temporary);
            Err(Error::storage(
                &format!("cannot write the snapshot `{}`", path.display()),
                e,
            ))
        }
    }
}
