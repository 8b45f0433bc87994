//! Where events live. A store appends records durably in order and hands them back in order;
//! the ledger does everything else (validation, hashing, the projection).

pub(crate) mod memory;
pub(crate) mod sqlite;

use std::fmt;

use crate::error::Result;
use crate::ledger::event::{EventRecord, Head};

/// A durable, append-only sequence of event records.
///
/// Only one writer appends at a time (the ledger serialises its writes); a store that several
/// processes share must enforce that itself, for example with a lock or by rejecting a record
/// whose sequence number is not the next one.
pub trait Store: Send + Sync + fmt::Debug {
    /// Appends records (consecutive sequence numbers, following the last stored one) and
    /// replaces the head anchor, atomically: when this returns `Ok`, all of them are durable;
    /// when it returns an error, none of them is stored.
    ///
    /// # Errors
    /// `Storage` when the write fails; `Conflict` when the first sequence number is not the
    /// next one.
    fn append(&self, records: &[EventRecord], head: &Head) -> Result<()>;

    /// Calls `visit` with every record whose sequence number is at least `from_seq`, in order.
    ///
    /// # Errors
    /// `Storage` when reading fails, or whatever `visit` returns.
    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()>;

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
