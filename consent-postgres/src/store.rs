//! consent-core's `Store` contract over [`PgLog`]: `Ledger::with_store(Box::new(log), options)`
//! runs a ledger on PostgreSQL today, with one writing process (the ledger still trusts its own
//! view of the log's end; the shared write path catches up under the lock instead).

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
