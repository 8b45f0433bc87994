//! Verifying the hash chain and its head anchor: of an open ledger, or of a file that no longer
//! opens.

use std::path::Path;

use serde::Serialize;

use super::{HEAD_MAC_CONTEXT, Ledger, LedgerOptions};
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::log::record::{self, EventRecord, GENESIS, Hash, Head};
use crate::store::Store;
use crate::store::sqlite::SqliteStore;

/// The outcome of walking the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Whether every event verified and the head anchor matches.
    pub ok: bool,
    /// How many events verified before the first problem (all of them when `ok`).
    pub events: u64,
    /// The hash of the last verified event, hex.
    pub head_hash: String,
    /// The sequence number of the first bad event.
    pub first_bad_seq: Option<u64>,
    /// What was wrong with it.
    pub problem: Option<String>,
}

/// Checks the head anchor against the last event of the chain.
///
/// # Errors
/// `Integrity` when the anchor is missing, its MAC does not verify, or it names another event.
pub(crate) fn check_head(
    head: Option<Head>,
    last_seq: u64,
    last_hash: &Hash,
    mac_key: &[u8; 32],
) -> Result<()> {
    match head {
        // Every ledger writes a head for its empty log when it is created, so a missing head
        // means the log (or its anchor) was deleted.
        None => Err(Error::new(
            ErrorCode::Integrity,
            if last_seq == 0 {
                "the head anchor is missing (a deleted log?)"
            } else {
                "the head anchor is missing"
            },
        )),
        Some(head) => {
            if Head::compute_mac(head.seq, &head.hash, mac_key) != head.mac {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    "the head anchor's MAC does not verify",
                ));
            }
            if head.seq > last_seq {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "missing; the log ends at {last_seq} but its head anchor is at {}",
                        head.seq
                    ),
                )
                .at_event(last_seq + 1));
            }
            if head.seq < last_seq || &head.hash != last_hash {
                return Err(
                    Error::new(ErrorCode::Integrity, "does not match the head anchor")
                        .at_event(head.seq.min(last_seq)),
                );
            }
            Ok(())
        }
    }
}

/// Verifies a store's chain and head anchor under the given head-MAC key, in one pinned view.
pub(crate) fn verify_store(store: &dyn Store, mac_key: &[u8; 32]) -> Result<VerifyReport> {
    store.begin_read()?;
    let report = verify_pinned(store, mac_key);
    let ended = store.end_read();
    let report = report?;
    ended?;
    Ok(report)
}

fn verify_pinned(store: &dyn Store, mac_key: &[u8; 32]) -> Result<VerifyReport> {
    let mut last_seq = 0u64;
    let mut last_hash = GENESIS;
    let mut failure: Option<Error> = None;
    // Strict: the whole header decodes (an audit also wants the actor, the id and the time
    // well formed), where a replay reads only what it needs.
    let scanned = store.scan(1, &mut |record: EventRecord| match record::verify_record(
        record,
        Some((last_seq + 1, &last_hash)),
    ) {
        Ok(verified) => {
            last_seq = verified.header.seq;
            last_hash = verified.hash;
            Ok(())
        }
        Err(error) => {
            failure = Some(error.clone());
            Err(error)
        }
    });
    if let (Err(error), None) = (scanned, &failure) {
        return Err(error);
    }
    if failure.is_none()
        && let Err(error) = check_head(store.head()?, last_seq, &last_hash, mac_key)
    {
        failure = Some(error);
    }
    Ok(VerifyReport {
        ok: failure.is_none(),
        events: last_seq,
        head_hash: hex::encode(&last_hash),
        // A problem that names no event (the head anchor's MAC, a missing anchor) is found
        // after the last event that verified.
        first_bad_seq: failure.as_ref().map(|e| e.event().unwrap_or(last_seq + 1)),
        problem: failure.map(|e| e.message().to_owned()),
    })
}

impl Ledger {
    /// Walks the stored chain from the first event and checks every hash, link and payload,
    /// and that the newest event matches the head anchor (so a cut-off tail is seen).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::in_memory(Catalogue::embedded())?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let report = ledger.verify()?;
    /// assert!(report.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Storage` when the store cannot be read; problems in the chain are in the report.
    pub fn verify(&self) -> Result<VerifyReport> {
        // Writes wait (decisions do not), so the chain and its head are read as one state.
        let _writer = self.lock_writer()?;
        verify_store(self.inner.store.as_ref(), &self.inner.mac_key)
    }

    /// Verifies a ledger file without replaying it into a projection: for auditors, and for
    /// a file that no longer opens because it was tampered with.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// drop(Ledger::open(&path, LedgerOptions::default())?);
    /// let report = Ledger::verify_file(&path, &LedgerOptions::default())?;
    /// assert!(report.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::open`] for the lock, the key and the file; problems in the chain are in the
    /// report.
    pub fn verify_file(path: impl AsRef<Path>, options: &LedgerOptions) -> Result<VerifyReport> {
        let path = path.as_ref();
        // Read-only: no key, no lock file, no WAL is created, and a writer may keep working.
        let store = SqliteStore::open_read_only(path)?;
        let key = super::open::existing_key(path, options)?;
        store.begin_read()?;
        let report = match super::check_metadata(&store, &key) {
            Ok(()) => verify_store(&store, &key.derive(HEAD_MAC_CONTEXT)),
            Err(error) => Err(error),
        };
        store.end_read()?;
        report
    }
}
