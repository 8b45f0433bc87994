//! consent-core's `Store` contract over [`PgLog`]: `Ledger::with_store(Box::new(log), options)`
//! runs a ledger on PostgreSQL today, with one writing process (the ledger still trusts its own
//! view of the log's end; the shared write path catches up under the lock instead).

use consent_core::{Batch, EventRecord, Head, Result, Store, SubjectKey};

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

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        PgLog::subject_keys(self, visit)
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        PgLog::scan(self, from_seq, visit)
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
