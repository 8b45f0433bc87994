//! One ledger file, many processes: the write lock a writer holds only for one write, catching
//! up with what other processes wrote (under that lock, and before a decision when the shared
//! head moved), and the shared head counter that makes the check before a decision nearly free.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};

use consent_shm::{Access, ErrorKind as ShmErrorKind, ForkGuard, SharedHead};

use super::check::{Keys, Redactions};
use super::replay::{Decoded, decode_record};
use super::snapshot::{KeyLookup, key_not_stored};
use super::verify::check_head;
use super::{Ledger, Writer, poisoned};
use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::record::{self, EventRecord, Hash};
use crate::store::SubjectKey;
use crate::store::sqlite::{FileAccess, beside};

/// What a ledger opened on a file shares with the other processes that have it open.
#[derive(Debug)]
pub(super) struct Shared {
    /// The newest committed sequence number, mapped from `<database>.head`.
    head: SharedHead,
    /// The process the ledger was opened in: a child of `fork()` must not act on its state.
    fork: ForkGuard,
    /// Whether this ledger may write (a read-only one never advances the head).
    writes: bool,
}

impl Shared {
    /// Whether this is a child of `fork()`, which must not act on the ledger's state.
    pub(super) fn forked(&self) -> bool {
        self.fork.is_forked()
    }
}

/// What a ledger on a store other hosts write (`Store::remote`, PostgreSQL) keeps to check
/// the store's head before decisions: when it last asked, for a bounded staleness.
#[derive(Debug)]
pub(super) struct Remote {
    /// How long, in microseconds, the answer of one head check stands (0: never).
    staleness_micros: u64,
    /// When this process was opened, the base of `checked`.
    epoch: Instant,
    /// When the last head check that found the projection current began, in microseconds
    /// since `epoch` plus one (0: never).
    checked: AtomicU64,
}

impl Remote {
    pub(super) fn new(max_staleness_ms: u64) -> Remote {
        Remote {
            staleness_micros: max_staleness_ms.saturating_mul(1_000),
            epoch: Instant::now(),
            checked: AtomicU64::new(0),
        }
    }

    /// Microseconds since `epoch`, plus one (so 0 means never).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// Whether a check that began at or after `now - staleness` found the projection current.
    fn still_fresh(&self, now: u64) -> bool {
        if self.staleness_micros == 0 {
            return false;
        }
        let checked = self.checked.load(Ordering::Acquire);
        checked != 0 && now.saturating_sub(checked) < self.staleness_micros
    }
}

/// The writer lock of one ledger handle and, for a shared file, the lock that serialises
/// writers across processes: held from before the writer catches up until its write ends.
pub(super) struct WriteGuard<'a> {
    writer: MutexGuard<'a, Writer>,
    ledger: &'a Ledger,
}

impl Deref for WriteGuard<'_> {
    type Target = Writer;

    fn deref(&self) -> &Writer {
        &self.writer
    }
}

impl DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.writer
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.writer.stamp = None;
        // Releasing a `flock` on an open descriptor cannot fail in a way this process could
        // act on; should it, the kernel releases the lock when the file is closed (when the
        // ledger is dropped or the process ends). A database's write transaction that cannot
        // be rolled back ends with its connection, which is then dropped. Every write it
        // guarded has already returned its own result.
        let _ = self.ledger.inner.store.end_write();
    }
}

/// The error of a ledger used in a child process after `fork()`.
fn forked() -> Error {
    Error::storage(
        "ledger",
        "it was opened before this process was forked; open the ledger again in the child",
    )
}

/// The error of a shared head file that cannot be used.
fn head_error(path: &Path, error: &consent_shm::Error) -> Error {
    Error::storage(
        &format!("cannot use the shared head file `{}`", path.display()),
        error,
    )
}

impl Ledger {
    /// Takes the writer lock: this handle's, then (for a shared file) the one across processes,
    /// and applies every event other processes committed since this one last looked, so the
    /// write that follows is validated against the current state.
    ///
    /// # Errors
    /// `Storage` when a lock cannot be taken, in a child after `fork()`, or the store cannot be
    /// read; `Integrity` when what another process wrote does not verify.
    pub(super) fn lock_writer(&self) -> Result<WriteGuard<'_>> {
        let shared = self.inner.shared.get();
        if shared.is_some_and(|s| s.fork.is_forked()) {
            return Err(forked());
        }
        let writer = self.inner.writer.lock().map_err(|_| poisoned())?;
        self.inner.store.begin_write()?;
        let mut guard = WriteGuard {
            writer,
            ledger: self,
        };
        if shared.is_some() || self.inner.remote.is_some() {
            self.catch_up(&mut guard)?;
        }
        // A test clock (test mode) stays the ledger's clock; otherwise a store with a clock of
        // its own (a database server's, read under the lock) stamps the write.
        guard.stamp = match self.inner.test_clock {
            Some(_) => None,
            None => self.inner.store.write_clock()?,
        };
        Ok(guard)
    }

    /// The instant that stamps the write `writer` holds: the store's clock read under the
    /// write lock where it has one, else the ledger's clock.
    pub(super) fn stamp(&self, writer: &Writer) -> DateTime<Utc> {
        writer.stamp.unwrap_or_else(|| self.inner.clock.now())
    }

    /// The ledger position a decision starting now must include: every event this process
    /// applied, and every event another process acknowledged (its writer advanced the shared
    /// head after committing). One atomic load and a compare while nothing changed elsewhere;
    /// catches up from the store when the head moved.
    ///
    /// # Errors
    /// As [`Ledger::catch_up`]; `Storage` in a child after `fork()`.
    #[inline]
    pub(super) fn fresh(&self) -> Result<u64> {
        let applied = self.inner.events.load(Ordering::Acquire);
        match self.inner.shared.get() {
            None => match &self.inner.remote {
                None => Ok(applied),
                Some(remote) => self.fresh_remote(remote, applied),
            },
            Some(shared) => {
                if shared.fork.is_forked() {
                    return Err(forked());
                }
                if shared.head.load() > applied {
                    self.catch_up_now()
                } else {
                    Ok(applied)
                }
            }
        }
    }

    /// [`Ledger::fresh`] for a store other hosts write: one round trip for the store's head
    /// (skipped while the last check is within the bounded staleness), and a catch-up when it
    /// moved past what this process applied.
    ///
    /// # Errors
    /// `Storage` when the store cannot be read; as [`Ledger::catch_up`].
    #[cold]
    fn fresh_remote(&self, remote: &Remote, applied: u64) -> Result<u64> {
        let started = remote.now();
        if remote.still_fresh(started) {
            return Ok(applied);
        }
        let committed = self.inner.store.committed_seq()?;
        let seq = match committed {
            Some(head) if head <= applied => applied,
            // Moved, or the store cannot say without reading: catch up.
            _ => self.catch_up_now()?,
        };
        if remote.staleness_micros > 0 {
            remote.checked.fetch_max(started, Ordering::AcqRel);
        }
        Ok(seq)
    }

    #[cold]
    fn catch_up_now(&self) -> Result<u64> {
        let mut writer = self.inner.writer.lock().map_err(|_| poisoned())?;
        self.catch_up(&mut writer)?;
        Ok(writer.last_seq)
    }

    /// Tells the other processes that the log now reaches `seq` (after a commit).
    pub(super) fn publish(&self, seq: u64) {
        if let Some(shared) = self.inner.shared.get()
            && shared.writes
        {
            shared.head.advance(seq);
        }
    }

    /// Applies what other processes committed after `writer`'s last event, verified as a
    /// replay verifies it: each record's hash and its link to the one before, each sealed
    /// payload opened with its subject's key (or explained by a later erasure), each adopted
    /// catalogue keeping the codes of the one before, and the head anchor's MAC at the end.
    /// Nothing is applied unless all of it verifies.
    ///
    /// # Errors
    /// `Integrity` naming the first bad event; `Storage`.
    pub(super) fn catch_up(&self, writer: &mut Writer) -> Result<usize> {
        let inner = &self.inner;
        let mut stored_keys: Vec<SubjectKey> = Vec::new();
        let mut records: Vec<EventRecord> = Vec::new();
        let head = inner.store.tail(
            writer.last_seq,
            &mut |key| {
                stored_keys.push(key);
                Ok(())
            },
            &mut |record| {
                records.push(record);
                Ok(())
            },
        )?;
        if records.is_empty() {
            if !stored_keys.is_empty() {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    "a subject key names an event that is not stored",
                ));
            }
            return check_head(head, writer.last_seq, &writer.last_hash, &inner.mac_key)
                .map(|()| 0);
        }
        let new_keys = self.unwrap_new_keys(&stored_keys)?;
        let (decoded, seq, hash) = self.decode_tail(writer, records, &new_keys)?;
        check_head(head, seq, &hash, &inner.mac_key)?;
        let mut erased = Vec::new();
        {
            let mut projection = inner.projection.write().map_err(|_| poisoned())?;
            for event in decoded {
                if let Some((from, adopted)) = event.adopted {
                    inner.catalogue.push(adopted, from)?;
                }
                if event.erasure
                    && let Some(subject) = event.subject
                {
                    erased.push(subject);
                }
                if let Some(effect) = event.effect {
                    projection.apply(effect);
                }
            }
            // As a replay does: the stored keys last, so an erasure among the new events
            // removes the key it destroyed and a key made after it stays.
            for (subject, (key, since)) in new_keys {
                projection.set_key(subject, key, since);
            }
            inner
                .flagged
                .store(projection.any_flags(), Ordering::Release);
        }
        writer.last_seq = seq;
        writer.last_hash = hash;
        inner.events.store(seq, Ordering::Release);
        self.forget_stored_keys(&erased);
        Ok(erased.len())
    }

    /// Unwraps the subject keys stored after this process last looked: subjects first seen,
    /// or seen again after their erasure.
    fn unwrap_new_keys(&self, stored_keys: &[SubjectKey]) -> Result<Keys> {
        let mut new_keys: Keys = HashMap::with_capacity(stored_keys.len());
        for stored in stored_keys {
            let subject = Pseudonym(stored.subject);
            let key = self
                .inner
                .wrapper
                .unwrap_key(&subject, stored.since_seq, &stored.wrapped)?;
            if new_keys.insert(subject, (key, stored.since_seq)).is_some() {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!("subject `{subject}` has two data keys"),
                ));
            }
        }
        Ok(new_keys)
    }

    /// Checks the records after `writer`'s last event against the chain and decodes them, as a
    /// replay does; returns them with the last sequence number and hash.
    fn decode_tail(
        &self,
        writer: &Writer,
        records: Vec<EventRecord>,
        new_keys: &Keys,
    ) -> Result<(Vec<Decoded>, u64, Hash)> {
        let inner = &self.inner;
        // Every key the new events may be sealed under: the new ones, and this process's for
        // subjects it knew. A key a snapshot named and this process never unwrapped may be
        // gone from the store because another process's kassasjon destroyed it: its subject
        // then has no key here (its sealed events before the erasure are unreadable, as a
        // replay finds them), and the erasure must be among these events (checked below).
        let mut keys = new_keys.clone();
        let mut not_stored: HashMap<Pseudonym, u64> = HashMap::new();
        {
            let projection = self.read()?;
            for subject in records.iter().filter_map(|r| r.subject.map(Pseudonym)) {
                if keys.contains_key(&subject) || not_stored.contains_key(&subject) {
                    continue;
                }
                match self.key_lookup(&projection, &subject)? {
                    KeyLookup::Absent => {}
                    KeyLookup::Held(key, since) => {
                        keys.insert(subject, (key, since));
                    }
                    KeyLookup::NotStored { since } => {
                        not_stored.insert(subject, since);
                    }
                }
            }
        }
        let (mut seq, mut hash) = (writer.last_seq, writer.last_hash);
        let mut current = inner.catalogue.current().clone();
        let mut current_from = inner.catalogue.current_from();
        let mut redactions = Redactions::default();
        let mut decoded = Vec::with_capacity(records.len());
        for record in records {
            let checked = record::check_record(record, Some((seq + 1, &hash)))?;
            seq = checked.seq;
            hash = checked.record.hash;
            let event = decode_record(&current, &keys, checked)?;
            if let Some((from, adopted)) = &event.adopted {
                adopted.check_extends(&current).map_err(|e| {
                    Error::new(
                        ErrorCode::Integrity,
                        format!(
                            "the adopted catalogue does not keep the codes of the one before: {}",
                            e.message()
                        ),
                    )
                    .at_event(seq)
                })?;
                if *from < current_from {
                    return Err(Error::new(
                        ErrorCode::Integrity,
                        "the adopted catalogue takes force before the one before it",
                    )
                    .at_event(seq));
                }
                current = adopted.clone();
                current_from = *from;
            }
            match (event.effect.is_none(), event.subject) {
                (true, Some(subject)) => redactions.unreadable(subject, seq),
                (false, Some(subject)) if event.erasure => {
                    redactions.erased(subject, seq, new_keys)?;
                    not_stored.remove(&subject);
                }
                _ => {}
            }
            decoded.push(event);
        }
        // A key missing from the store with no erasure of its subject here was deleted behind
        // the ledger's back: nothing is applied (fail closed, as `Ledger::data_key` does).
        if let Some((subject, since)) = not_stored.iter().min_by_key(|(_, since)| **since) {
            return Err(key_not_stored(subject, *since));
        }
        redactions.check()?;
        Ok((decoded, seq, hash))
    }

    /// Shares a ledger file with the other processes that have it open: maps the head file
    /// beside the database at `real` (its canonical path), created when `create` (a writer)
    /// and missing, catches up with what was committed since this ledger replayed its
    /// snapshot, and (a writer) advances the head to it. A read-only ledger without a head file
    /// stays on its snapshot.
    ///
    /// # Errors
    /// `Storage` when the head file cannot be used; as [`Ledger::catch_up`].
    pub(super) fn share(&self, real: &Path, access: FileAccess, create: bool) -> Result<()> {
        let head_path = beside(real, ".head");
        if !create && std::fs::symlink_metadata(&head_path).is_err() {
            return Ok(());
        }
        // The ledger's identity: its first event, which every opened ledger has.
        let mut identity = None;
        self.inner.store.scan_range(1, 1, &mut |record| {
            identity = record
                .hash
                .get(..16)
                .and_then(|h| <[u8; 16]>::try_from(h).ok());
            Ok(())
        })?;
        let Some(identity) = identity else {
            return Ok(());
        };
        let access = match access {
            FileAccess::Group => Access::OwnerAndGroup,
            _ => Access::Owner,
        };
        let head = match SharedHead::open(&head_path, identity, access) {
            // A head file left by a ledger that was deleted and made again at this path: a
            // writer replaces it (under the write lock, so no writer of this ledger is between
            // its commit and its advance).
            Err(e) if create && e.kind() == ShmErrorKind::WrongIdentity => {
                self.inner.store.begin_write()?;
                let replaced = std::fs::remove_file(&head_path)
                    .map_err(|e| {
                        Error::storage(&format!("cannot replace `{}`", head_path.display()), e)
                    })
                    .and_then(|()| {
                        SharedHead::open(&head_path, identity, access)
                            .map_err(|e| head_error(&head_path, &e))
                    });
                self.inner.store.end_write()?;
                replaced?
            }
            other => other.map_err(|e| head_error(&head_path, &e))?,
        };
        let fork = ForkGuard::new().map_err(|e| head_error(&head_path, &e))?;
        let shared = Shared {
            head,
            fork,
            writes: create,
        };
        if self.inner.shared.set(shared).is_err() {
            return Err(Error::storage("ledger", "it is already shared"));
        }
        let mut writer = self.inner.writer.lock().map_err(|_| poisoned())?;
        self.catch_up(&mut writer)?;
        self.publish(writer.last_seq);
        Ok(())
    }
}
