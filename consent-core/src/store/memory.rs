//! The in-memory store: a vector of records behind a mutex. Nothing survives the process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, ErrorCode, Result};
use crate::log::record::{EventRecord, Head};
use crate::store::{Batch, Store, SubjectKey};

/// Keeps events in memory, for tests and short-lived tools.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<EventRecord>,
    keys: BTreeMap<[u8; 16], SubjectKey>,
    head: Option<Head>,
    meta: BTreeMap<String, String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::storage("memory store", "a writer panicked"))
    }

    /// Changes a stored record in place, to test that verification catches it.
    #[doc(hidden)]
    pub fn tamper(&self, seq: u64, change: impl FnOnce(&mut EventRecord)) {
        if let Ok(mut state) = self.lock()
            && let Some(record) = state.records.iter_mut().find(|r| r.seq == seq)
        {
            change(record);
        }
    }
}

impl Store for MemoryStore {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        let records = batch.records;
        let mut state = self.lock()?;
        let first = state.records.last().map_or(1, |r| r.seq + 1);
        for (next, record) in (first..).zip(records) {
            if record.seq != next {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("event {} is not the next event {next}", record.seq),
                ));
            }
        }
        state.records.extend_from_slice(records);
        for key in batch.destroyed_keys {
            state.keys.remove(key);
        }
        for key in batch.new_keys {
            state.keys.insert(key.subject, key.clone());
        }
        state.head = Some(batch.head.clone());
        Ok(())
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        let keys: Vec<SubjectKey> = self.lock()?.keys.values().cloned().collect();
        keys.into_iter().try_for_each(visit)
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        let records: Vec<EventRecord> = self
            .lock()?
            .records
            .iter()
            .filter(|r| r.seq >= from_seq)
            .cloned()
            .collect();
        records.into_iter().try_for_each(visit)
    }

    fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        let records: Vec<EventRecord> = self
            .lock()?
            .records
            .iter()
            .filter(|r| (from_seq..=last_seq).contains(&r.seq))
            .cloned()
            .collect();
        records.into_iter().try_for_each(visit)
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        Ok(self
            .lock()?
            .records
            .iter()
            .filter(|r| r.subject.as_ref() == Some(subject))
            .cloned()
            .collect())
    }

    fn head(&self) -> Result<Option<Head>> {
        Ok(self.lock()?.head.clone())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock()?.meta.get(key).cloned())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.lock()?.meta.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
