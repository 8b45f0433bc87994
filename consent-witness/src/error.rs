//! The crate's errors: one [`Error`] with a variant per failure a caller may handle differently,
//! [`ProofError`] for proofs that do not verify, and [`ErrorKind`] for hosts that map errors to
//! their own codes.

use std::path::{Path, PathBuf};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is, for hosts that map errors to their own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input that is not what it should be: a malformed note, checkpoint, key, proof argument,
    /// key file or reason. Nothing changed.
    InvalidInput,
    /// Something that does not check out: a proof, a signature, a rollback, a fork, a node store
    /// without a node it should hold, or a witness state file that was altered. Nothing changed.
    Integrity,
    /// The node store or the file system failed.
    Storage,
    /// The witness does not know the log.
    NotFound,
    /// Another process holds the witness's state directory.
    Locked,
}

/// Why a Merkle proof did not verify (RFC 9162 §2.1.3.2 and §2.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The leaf index the proof was checked for.
        index: u64,
        /// The tree size the proof was checked against.
        size: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    #[error("the old tree size {old} is larger than the new tree size {new}")]
    OldSizeLarger {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The proof has fewer hashes than the index and sizes need.
    #[error("the proof has {actual} hashes where {expected} are needed")]
    TooShort {
        /// How many hashes a proof for these sizes has.
        expected: usize,
        /// How many it had.
        actual: usize,
    },
    /// The proof has more hashes than the index and sizes need.
    #[error("the proof has {actual} hashes where {expected} are needed")]
    TooLong {
        /// How many hashes a proof for these sizes has.
        expected: usize,
        /// How many it had.
        actual: usize,
    },
    /// The proof leads to another root hash than the one given (for a consistency proof: the
    /// new tree's).
    #[error("the proof leads to another root hash")]
    RootMismatch,
    /// A consistency proof leads to another root hash for the old tree than the one given.
    /// (When the old size is a power of two, the old root is where the proof starts, and a
    /// wrong one shows as [`ProofError::RootMismatch`].)
    #[error("the proof leads to another root hash for the old tree")]
    OldRootMismatch,
}

/// An error from a node store, with its cause (shown after the message, `: `-separated).
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl StoreError {
    /// An error with a message (lowercase, no final period).
    #[must_use]
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the error that caused it.
    #[must_use]
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> StoreError {
        StoreError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// An error of this crate. Messages never hold key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A proof did not verify.
    #[error("{0}")]
    Proof(#[from] ProofError),
    /// A note, checkpoint, key, hash or reason that is not in its format.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read (`signed note`, `checkpoint`, `verifier key` …).
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A leaf index not below the tree size, in a request for a proof.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size it was asked for.
        size: u64,
    },
    /// A tree size beyond what the tree holds (or an old size beyond the new one).
    #[error("tree size {size} is larger than {limit}")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// The largest size allowed there.
        limit: u64,
    },
    /// Appending would take the tree past [`crate::MAX_TREE_SIZE`] leaves.
    #[error("the tree cannot grow past {} leaves", crate::MAX_TREE_SIZE)]
    TreeFull,
    /// A prepared append applied to a tree that changed since it was prepared.
    #[error("the append was prepared for tree size {prepared}, but the tree has {actual} leaves")]
    StaleAppend {
        /// The size the append was prepared for.
        prepared: u64,
        /// The tree's size now.
        actual: u64,
    },
    /// The node store has no hash for a node that a tree of its size must have.
    #[error("the node store has no node at level {level}, index {index}")]
    MissingNode {
        /// The node's level (0 for leaves).
        level: u8,
        /// The node's index within its level.
        index: u64,
    },
    /// The node store failed.
    #[error("node store: {0}")]
    Store(#[source] StoreError),
    /// A note has no signature by the key it was checked with.
    #[error("no signature by `{key}` on the note")]
    NoSignature {
        /// The key's name.
        key: String,
    },
    /// A note has two signatures by the key it was checked with.
    #[error("more than one signature by `{key}` on the note")]
    DuplicateSignature {
        /// The key's name.
        key: String,
    },
    /// A note's signature by the key it was checked with does not verify.
    #[error("the signature by `{key}` does not verify")]
    BadSignature {
        /// The key's name.
        key: String,
    },
    /// A key of one signature type where another is needed (a log's key to check a
    /// cosignature, or the reverse).
    #[error("key `{key}` is not a {expected} key")]
    WrongKeyType {
        /// The key's name.
        key: String,
        /// The type needed.
        expected: &'static str,
    },
    /// A key file or state directory that other users can reach.
    #[error("`{}` {detail}; restrict it with `chmod {fix} {}`", path.display(), path.display())]
    Permissions {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong, with its mode.
        detail: String,
        /// The mode that fixes it.
        fix: &'static str,
    },
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint for a log the witness does not know.
    #[error("the witness knows no log `{origin}`")]
    UnknownLog {
        /// The checkpoint's origin.
        origin: String,
    },
    /// A log added again with another key.
    #[error("the witness already knows log `{origin}` with another key")]
    LogKeyConflict {
        /// The log's origin.
        origin: String,
    },
    /// A checkpoint smaller than the one the witness accepted.
    #[error(
        "rollback of log `{origin}`: the witness accepted tree size {accepted}, this checkpoint has {offered}"
    )]
    Rollback {
        /// The log's origin.
        origin: String,
        /// The size of the checkpoint the witness accepted.
        accepted: u64,
        /// The size of the checkpoint offered.
        offered: u64,
    },
    /// A checkpoint of the accepted size with another root hash.
    #[error(
        "fork of log `{origin}`: another root hash for tree size {size}, which the witness accepted"
    )]
    Fork {
        /// The log's origin.
        origin: String,
        /// The tree size.
        size: u64,
    },
    /// A larger checkpoint whose consistency proof from the accepted one does not verify.
    #[error("log `{origin}` not shown consistent from tree size {accepted} to {offered}: {source}")]
    Inconsistent {
        /// The log's origin.
        origin: String,
        /// The size of the checkpoint the witness accepted (0 when it accepted none).
        accepted: u64,
        /// The size of the checkpoint offered.
        offered: u64,
        /// Why the proof failed.
        #[source]
        source: ProofError,
    },
    /// A declared restore for a log that has nothing to restore from, or to the checkpoint the
    /// witness already holds.
    #[error("nothing to restore for log `{origin}`: {detail}")]
    NothingToRestore {
        /// The log's origin.
        origin: String,
        /// Why.
        detail: String,
    },
    /// A witness state file that is not as the witness wrote it.
    #[error("witness state `{}`: {detail}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Another process has the witness's state directory open.
    #[error("the witness state `{}` is in use by another process", path.display())]
    Locked {
        /// The state directory.
        path: PathBuf,
    },
}

impl Error {
    /// The kind of failure, for hosts that map errors to their own codes.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed { .. }
            | Error::IndexOutOfRange { .. }
            | Error::SizeOutOfRange { .. }
            | Error::TreeFull
            | Error::StaleAppend { .. }
            | Error::WrongKeyType { .. }
            | Error::Permissions { .. }
            | Error::LogKeyConflict { .. }
            | Error::NothingToRestore { .. } => ErrorKind::InvalidInput,
            Error::Proof(_)
            | Error::MissingNode { .. }
            | Error::NoSignature { .. }
            | Error::DuplicateSignature { .. }
            | Error::BadSignature { .. }
            | Error::Rollback { .. }
            | Error::Fork { .. }
            | Error::Inconsistent { .. }
            | Error::State { .. } => ErrorKind::Integrity,
            Error::Store(_) | Error::Io { .. } => ErrorKind::Storage,
            Error::UnknownLog { .. } => ErrorKind::NotFound,
            Error::Locked { .. } => ErrorKind::Locked,
        }
    }

    pub(crate) fn malformed(what: &'static str, detail: String) -> Error {
        Error::Malformed { what, detail }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn state(path: &Path, detail: impl Into<String>) -> Error {
        Error::State {
            path: path.to_owned(),
            detail: detail.into(),
        }
    }
}
