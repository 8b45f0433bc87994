//! The crate's error: a kind to match on and a message for people.

use std::fmt;
use std::io;

/// What went wrong with a shared head file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A system call failed (the message names it and the path).
    Io,
    /// The path names a symbolic link: refused, so a link cannot redirect the counter.
    Symlink,
    /// The path names a directory, a device, a FIFO or a socket.
    NotRegularFile,
    /// The file is readable or writable by users other than its owner and group.
    Permissions,
    /// The file does not have the size of a head file.
    WrongSize,
    /// The file does not start with the head file's magic bytes.
    WrongMagic,
    /// The file is a head file of another layout version.
    UnsupportedVersion,
    /// The file belongs to another ledger (or to a deleted one whose file survived).
    WrongIdentity,
    /// `pthread_atfork` could not register the fork handler.
    ForkHandler,
}

/// An error of this crate. Messages start lowercase, end without a period and quote paths in
/// backticks.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<io::Error>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn io(message: impl Into<String>, source: io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            message: message.into(),
            source: Some(source),
        }
    }

    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
