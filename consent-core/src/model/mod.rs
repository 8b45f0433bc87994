//! The input documents of the ledger and its answers: requests (`request.rs`), the parties who
//! act and consent (`party.rs`), and decisions (`decision.rs`). Their JSON forms are the contract
//! shared with C, C#, Python and the CLI (`docs/json.md`).

pub(crate) mod decision;
pub(crate) mod language;
pub(crate) mod party;
pub(crate) mod request;
pub(crate) mod signed;
pub(crate) mod text;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result, printable};

/// The schema version of the JSON documents.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest JSON document the ledger reads (a grant, a refusal, a request, an actor, the
/// options): 1 MiB, a thousand times a real grant. A larger one is refused before it is parsed,
/// so no input can make the parser build an unbounded value.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Parses a JSON document of at most [`MAX_DOCUMENT_BYTES`].
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(json: &'a str, what: &str) -> Result<T> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(format!(
            "{what}: the document is larger than {MAX_DOCUMENT_BYTES} bytes"
        )));
    }
    serde_json::from_str(json).map_err(|e| json_error(what, &e))
}

/// Maps a serde_json error to `InvalidInput` (`Error::new` masks anything that looks like a
/// national id in its text).
pub(crate) fn json_error(what: &str, error: &serde_json::Error) -> Error {
    Error::invalid(format!("{what}: {}", error.to_string().replace('\n', " ")))
}

/// A grant's identifier: a UUIDv7.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GrantId(pub(crate) Uuid);

impl GrantId {
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

impl FromStr for GrantId {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Uuid::parse_str(text)
            .map(GrantId)
            .map_err(|_| Error::invalid(format!("grant id `{}` is not a UUID", printable(text))))
    }
}

/// The identifier of a recorded refusal or disclosure: the event's UUIDv7.
pub type RecordId = Uuid;

/// A code from input: a malformed code is unknown to any catalogue.
pub(crate) fn code(text: &str, field: &str) -> Result<Code> {
    Code::new(text).map_err(|_| {
        Error::new(
            ErrorCode::UnknownCode,
            format!("{field}: unknown code `{}`", printable(text)),
        )
    })
}

pub(crate) fn codes(texts: Vec<String>, field: &str) -> Result<Vec<Code>> {
    if texts.len() > crate::catalogue::MAX_CODES {
        return Err(Error::invalid(format!(
            "`{field}` lists more than {} codes, more than a catalogue holds",
            crate::catalogue::MAX_CODES
        )));
    }
    texts.iter().map(|t| code(t, field)).collect()
}
