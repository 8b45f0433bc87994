//! A witness: it keeps, per log, the last checkpoint it accepted, cosigns a new checkpoint
//! only when a consistency proof shows the log grew from that one, and records a restore from
//! backup only when an operator declares it.

mod state;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::checkpoint::{Checkpoint, SignedCheckpoint, check_line};
use crate::cosignature::Cosignature;
use crate::error::{Error, Result};
use crate::hash::{EMPTY_ROOT, Hash};
use crate::key::{KeyType, SigningKey, VerifierKey};
use crate::note::Note;
use crate::proof::verify_consistency;

/// The longest reason a declared restore may give, in bytes.
pub const MAX_REASON_BYTES: usize = 2000;

/// A witness over its own state directory. See the crate documentation for the trust model.
///
/// It holds an exclusive lock on `<state dir>/lock` while it is open, so one process at a
/// time uses a state directory, and every change is written to disk (atomically, synced)
/// before the call that made it returns.
#[derive(Debug)]
pub struct Witness {
    dir: PathBuf,
    key: SigningKey,
    logs: BTreeMap<String, LogState>,
    /// Held for the witness's lifetime; the kernel releases it if the process dies.
    _lock: fs::File,
}

#[derive(Debug, Clone)]
struct LogState {
    key: VerifierKey,
    latest: Option<Accepted>,
    restores: Vec<RestoreRecord>,
}

#[derive(Debug, Clone)]
struct Accepted {
    checkpoint: SignedCheckpoint,
    at: DateTime<Utc>,
}

/// An operator's declaration that a log was restored from an older state (a backup): the
/// checkpoint the witness had accepted, the one it accepts instead, when and why. Kept in the
/// witness's state for as long as the state exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRecord {
    declared_at: DateTime<Utc>,
    reason: String,
    replaced: SignedCheckpoint,
    restored: SignedCheckpoint,
}

impl RestoreRecord {
    /// When the restore was declared.
    #[must_use]
    pub fn declared_at(&self) -> DateTime<Utc> {
        self.declared_at
    }

    /// The operator's reason.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The checkpoint the witness had accepted before the restore.
    #[must_use]
    pub fn replaced(&self) -> &SignedCheckpoint {
        &self.replaced
    }

    /// The checkpoint of the restored log, which the witness accepted as its new base.
    #[must_use]
    pub fn restored(&self) -> &SignedCheckpoint {
        &self.restored
    }
}

impl Witness {
    /// Opens (creating if needed) the witness state in `state_dir`, cosigning with `key`.
    /// The directory is created with mode 0700; an existing one that its group can write or
    /// other users can reach is refused. Every log's state is read and its checkpoints'
    /// signatures checked again.
    ///
    /// # Errors
    /// [`Error::Locked`] when another process has the state open; [`Error::Permissions`];
    /// [`Error::State`] for a state file that is not as the witness wrote it; [`Error::Io`].
    pub fn open(state_dir: &Path, key: SigningKey) -> Result<Witness> {
        state::private_dir(state_dir)?;
        let lock_path = state_dir.join("lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = options
            .open(&lock_path)
            .map_err(|e| Error::io(format!("cannot open `{}`", lock_path.display()), e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: state_dir.to_owned(),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::io(
                    format!("cannot lock `{}`", lock_path.display()),
                    e,
                ));
            }
        }
        let logs_dir = state_dir.join("logs");
        state::private_dir(&logs_dir)?;
        let logs = state::load(&logs_dir)?.into_iter().collect();
        Ok(Witness {
            dir: state_dir.to_owned(),
            key,
            logs,
            _lock: lock,
        })
    }

    /// The state directory.
    #[must_use]
    pub fn state_dir(&self) -> &Path {
        &self.dir
    }

    /// The witness's public key for its cosignatures (type 0x04), to give to whoever checks
    /// them.
    #[must_use]
    pub fn cosigner_key(&self) -> VerifierKey {
        self.key.cosigner_key()
    }

    /// Starts witnessing the log `origin`, whose checkpoints `log_key` signs. Adding a log
    /// again with the same key changes nothing.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an origin that cannot be a checkpoint's;
    /// [`Error::WrongKeyType`] for a cosignature key; [`Error::LogKeyConflict`] when the log
    /// is known with another key (nothing changes); [`Error::Io`].
    pub fn add_log(&mut self, origin: &str, log_key: VerifierKey) -> Result<()> {
        check_line("origin", origin)?;
        if log_key.kind() != KeyType::Ed25519 {
            return Err(Error::WrongKeyType {
                key: log_key.name().to_owned(),
                expected: KeyType::Ed25519.describe(),
            });
        }
        match self.logs.get(origin) {
            Some(known) if known.key == log_key => Ok(()),
            Some(_) => Err(Error::LogKeyConflict {
                origin: origin.to_owned(),
            }),
            None => {
                let log = LogState {
                    key: log_key,
                    latest: None,
                    restores: Vec::new(),
                };
                self.commit(origin, log)
            }
        }
    }

    /// The origins of the logs the witness knows.
    pub fn logs(&self) -> impl Iterator<Item = &str> {
        self.logs.keys().map(String::as_str)
    }

    /// The key the witness checks a log's checkpoints with.
    #[must_use]
    pub fn log_key(&self, origin: &str) -> Option<&VerifierKey> {
        self.logs.get(origin).map(|log| &log.key)
    }

    /// The last checkpoint the witness accepted for a log (the base the next consistency proof
    /// starts from), as it was submitted.
    #[must_use]
    pub fn latest(&self, origin: &str) -> Option<&SignedCheckpoint> {
        self.logs
            .get(origin)?
            .latest
            .as_ref()
            .map(|accepted| &accepted.checkpoint)
    }

    /// The restores declared for a log, oldest first.
    #[must_use]
    pub fn restores(&self, origin: &str) -> &[RestoreRecord] {
        self.logs
            .get(origin)
            .map_or(&[], |log| log.restores.as_slice())
    }

    /// [`submit_at`](Witness::submit_at) the current time.
    ///
    /// # Errors
    /// As [`submit_at`](Witness::submit_at).
    pub fn submit(&mut self, note: &[u8], proof: &[Hash]) -> Result<Cosignature> {
        self.submit_at(note, proof, Utc::now())
    }

    /// Accepts a log's signed checkpoint and cosigns it (`cosignature/v1` with `now` as its
    /// timestamp), when the note is signed by the log's key and `proof` is a consistency proof
    /// from the last checkpoint the witness accepted for that log (see
    /// [`latest`](Witness::latest)) to this one. The checkpoint is stored before the
    /// cosignature is returned.
    ///
    /// On first contact with a log (no checkpoint accepted yet) the witness trusts on first
    /// use: the proof must be empty, and whatever the log held before is taken as it is.
    /// Resubmitting the accepted checkpoint (same size and root, empty proof) cosigns it again.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a note or checkpoint not in its format, or `now` before 1970;
    /// [`Error::UnknownLog`]; the signature errors of [`Note::verify`]; [`Error::Rollback`] for
    /// a smaller tree; [`Error::Fork`] for another root at the accepted size;
    /// [`Error::Inconsistent`] when the proof does not verify; [`Error::Io`] when the state
    /// cannot be written. On every error the witness's state is unchanged.
    pub fn submit_at(
        &mut self,
        note: &[u8],
        proof: &[Hash],
        now: DateTime<Utc>,
    ) -> Result<Cosignature> {
        let timestamp = cosignature_time(now)?;
        let (checkpoint, note, log) = self.read_signed(note)?;
        let origin = checkpoint.origin().to_owned();
        let (size, root) = (checkpoint.size(), checkpoint.root());
        let (accepted, accepted_root) = match &log.latest {
            None => (0, EMPTY_ROOT),
            Some(latest) => {
                let base = latest.checkpoint.checkpoint();
                (base.size(), base.root())
            }
        };
        if size < accepted {
            return Err(Error::Rollback {
                origin,
                accepted,
                offered: size,
            });
        }
        if size == accepted && root != accepted_root {
            return Err(Error::Fork { origin, size });
        }
        verify_consistency(accepted, size, &accepted_root, &root, proof).map_err(|source| {
            Error::Inconsistent {
                origin: origin.clone(),
                accepted,
                offered: size,
                source,
            }
        })?;
        let cosignature = Cosignature::sign(&self.key, note.text(), timestamp);
        let mut updated = log.clone();
        updated.latest = Some(Accepted {
            checkpoint: SignedCheckpoint::from_verified(checkpoint, note),
            at: now,
        });
        self.commit(&origin, updated)?;
        Ok(cosignature)
    }

    /// [`declare_restore_at`](Witness::declare_restore_at) the current time.
    ///
    /// # Errors
    /// As [`declare_restore_at`](Witness::declare_restore_at).
    pub fn declare_restore(
        &mut self,
        origin: &str,
        note: &[u8],
        reason: &str,
    ) -> Result<RestoreRecord> {
        self.declare_restore_at(origin, note, reason, Utc::now())
    }

    /// Records that the log `origin` was restored from an older state (a backup), by the
    /// operator's declaration: `note` is the restored log's checkpoint, signed by the log's
    /// key, which the witness then accepts as its base in place of the one it had, with no
    /// consistency proof (a restored log cannot prove what it lost). The record (when, why,
    /// both checkpoints) is kept in the witness's state and listed by
    /// [`restores`](Witness::restores): a restore stays possible, and never silent.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a note or checkpoint not in its format, a checkpoint of
    /// another log, or a reason that is empty, longer than [`MAX_REASON_BYTES`] or holds a
    /// control character; [`Error::UnknownLog`]; the signature errors of [`Note::verify`];
    /// [`Error::NothingToRestore`] when the witness has accepted no checkpoint for the log or
    /// holds this one; [`Error::Io`]. On every error the witness's state is unchanged.
    pub fn declare_restore_at(
        &mut self,
        origin: &str,
        note: &[u8],
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RestoreRecord> {
        check_reason(reason)?;
        let (checkpoint, note, log) = self.read_signed(note)?;
        if checkpoint.origin() != origin {
            return Err(Error::malformed(
                "checkpoint",
                format!("it is for log `{}`, not `{origin}`", checkpoint.origin()),
            ));
        }
        let Some(latest) = &log.latest else {
            return Err(Error::NothingToRestore {
                origin: origin.to_owned(),
                detail: "the witness has accepted no checkpoint for it".to_owned(),
            });
        };
        let base = latest.checkpoint.checkpoint();
        if base.size() == checkpoint.size() && base.root() == checkpoint.root() {
            return Err(Error::NothingToRestore {
                origin: origin.to_owned(),
                detail: "the witness holds this checkpoint already".to_owned(),
            });
        }
        let restored = SignedCheckpoint::from_verified(checkpoint, note);
        let record = RestoreRecord {
            declared_at: now,
            reason: reason.to_owned(),
            replaced: latest.checkpoint.clone(),
            restored: restored.clone(),
        };
        let mut updated = log.clone();
        updated.latest = Some(Accepted {
            checkpoint: restored,
            at: now,
        });
        updated.restores.push(record.clone());
        self.commit(origin, updated)?;
        Ok(record)
    }

    /// Reads a note and its checkpoint and checks it is signed by its log's key.
    fn read_signed(&self, bytes: &[u8]) -> Result<(Checkpoint, Note, &LogState)> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        let log = self
            .logs
            .get(checkpoint.origin())
            .ok_or_else(|| Error::UnknownLog {
                origin: checkpoint.origin().to_owned(),
            })?;
        note.verify(&log.key)?;
        Ok((checkpoint, note, log))
    }

    /// Writes a log's new state to disk, then makes it the state in memory.
    fn commit(&mut self, origin: &str, log: LogState) -> Result<()> {
        state::save(&self.dir.join("logs"), origin, &log)?;
        self.logs.insert(origin.to_owned(), log);
        Ok(())
    }
}

/// A cosignature's timestamp: POSIX seconds, not zero.
fn cosignature_time(now: DateTime<Utc>) -> Result<u64> {
    u64::try_from(now.timestamp())
        .ok()
        .filter(|seconds| *seconds > 0)
        .ok_or_else(|| Error::malformed("time", "a cosignature's time is after 1970".to_owned()))
}

fn check_reason(reason: &str) -> Result<()> {
    let bad = |detail: &str| Error::malformed("reason", detail.to_owned());
    if reason.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(bad(&format!("longer than {MAX_REASON_BYTES} bytes")));
    }
    if reason.chars().any(char::is_control) {
        return Err(bad("it holds a control character"));
    }
    Ok(())
}
