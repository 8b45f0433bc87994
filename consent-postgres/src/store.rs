//! consent-core's `Store` contract over [`PgLog`]: `Ledger::with_store(Box::new(log), options)`
//! runs a ledger on PostgreSQL that any number of processes and hosts write at once: each write
//! takes the lock, catches up, validates and appends in one transaction.

use chrono::{DateTime, Utc};
use consent_core::storage::{Batch, EventRecord, Head, Store, SubjectKey};
use consent_core::{Error, ErrorCode, Result};

use crate::log::PgLog;

impl Store for PgLog {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        self.write(|txn| {
            txn.append(batch.records)?;
            txn.destroy_keys(batch.destroyed_keys);
            txn.add_keys(batch.new_keys)?;
            txn.set_head(batch.head);
            Ok(())
        })
    }

    /// A new ledger's metadata and the anchor of its empty log, in one transaction under the
    /// write lock: two hosts creating one ledger at once cannot both write its key check, and
    /// an interrupted creation leaves nothing.
    fn initialize(&self, meta: &[(&str, &str)], head: &Head) -> Result<()> {
        self.write(|txn| {
            let mut new = txn.last_seq() == 0 && txn.head()?.is_none();
            for (key, _) in meta {
                new = new && txn.meta(key)?.is_none();
            }
            if !new {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    "the ledger's schema already holds a ledger",
                ));
            }
            txn.set_head(head);
            for (key, value) in meta {
                txn.set_meta(key, value);
            }
            Ok(())
        })
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        PgLog::subject_keys(self, visit)
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        PgLog::scan(self, from_seq, visit)
    }

    fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        PgLog::scan_range(self, from_seq, last_seq, visit)
    }

    /// Pins this thread's reads to one snapshot: opening or verifying a ledger reads one state
    /// of the log while other hosts keep writing (a head anchor read after the records could
    /// otherwise name an event the scan did not see).
    fn begin_read(&self) -> Result<()> {
        self.begin_pinned_read()
    }

    fn end_read(&self) -> Result<()> {
        self.end_pinned_read()
    }

    /// Takes the ledger's write lock (the row lock on `log_head`, by the first statement of a
    /// transaction on this thread's write connection) and holds the transaction open: the
    /// ledger catches up ([`Store::tail`]), validates, and appends in it; `append` commits.
    fn begin_write(&self) -> Result<()> {
        self.begin_held_write()
    }

    /// Rolls back a held write nothing committed (a request that failed validation).
    fn end_write(&self) -> Result<()> {
        self.end_held_write()
    }

    /// Under a held write lock: what other hosts committed, read in that transaction.
    /// Otherwise: one snapshot of the newest committed state (a decision's catch-up).
    fn tail(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        self.tail_current(after_seq, keys, records)
    }

    /// Other hosts write this log.
    fn remote(&self) -> bool {
        true
    }

    /// The log's end, one round trip (`SELECT last_seq`).
    fn committed_seq(&self) -> Result<Option<u64>> {
        self.last_seq().map(Some)
    }

    /// The server's clock read under the held write lock, never before the newest time an
    /// earlier write was given.
    fn write_clock(&self) -> Result<Option<DateTime<Utc>>> {
        self.held_clock()
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        PgLog::subject_records(self, subject)
    }

    fn head(&self) -> Result<Option<Head>> {
        PgLog::head(self)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        PgLog::meta(self, key)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|txn| {
            txn.set_meta(key, value);
            Ok(())
        })
    }
}
