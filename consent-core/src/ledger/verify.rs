//! Verifying the hash chain and its head anchor: of an open ledger, or of a file that no longer
//! opens.

use std::path::Path;

use serde::Serialize;

use std::collections::HashSet;

use super::adopt::{AdoptionCheck, adopted_catalogue, adoption_check};
use super::check::{Keys, Redactions, Wrapping, open_payload, unwrap_keys};
use super::{HEAD_MAC_CONTEXT, Ledger, LedgerOptions};
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::event::EventPayload;
use crate::log::record::{self, EventRecord, GENESIS, Hash, Head};
use crate::log::seal::KeyWrapper;
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

/// Verifies a stored ledger in one pinned view: its subject keys, its chain, every payload
/// (opened, or explained by an erasure) and its head anchor.
pub(crate) fn verify_store(store: &dyn Store, key: &PseudonymKey) -> Result<VerifyReport> {
    store.begin_read()?;
    let checked = unwrap_keys(store, &KeyWrapper::new(key), Wrapping::Current)
        .and_then(|keys| Ok((keys, adoption_check(store)?)));
    let report = match checked {
        Ok((keys, adoptions)) => {
            verify_log(store, &keys, &key.derive(HEAD_MAC_CONTEXT), Some(adoptions))
        }
        // A key that does not unwrap, or two keys of one subject: a problem of the file, not
        // of the call, so it is reported like a bad event (it names none).
        Err(error) if error.code() == ErrorCode::Integrity => Ok(VerifyReport {
            ok: false,
            events: 0,
            head_hash: hex::encode(&GENESIS),
            first_bad_seq: None,
            problem: Some(error.message().to_owned()),
        }),
        Err(error) => Err(error),
    };
    let ended = store.end_read();
    let report = report?;
    ended?;
    Ok(report)
}

/// Checks one verified record beyond its chain: its payload opens under the subject's key or
/// is explained by an erasure, decodes strictly, and an erasure really destroyed the key.
fn check_payload(
    verified: record::Verified,
    keys: &Keys,
    redactions: &mut Redactions,
    first_events: &mut HashSet<Pseudonym>,
    adoptions: Option<&mut AdoptionCheck>,
) -> Result<()> {
    let seq = verified.header.seq;
    let subject = verified.header.subject;
    let sealed = verified.header.sealed;
    match open_payload(keys, subject, seq, sealed, verified.payload)? {
        None => {
            if let Some(adoptions) = adoptions {
                adoptions.event(seq)?;
            }
            if let Some(subject) = subject {
                redactions.unreadable(subject, seq);
            }
        }
        Some(plain) => {
            let payload =
                record::decode_payload(&verified.header.kind, &plain).ok_or_else(|| {
                    Error::new(ErrorCode::Integrity, "payload cannot be decoded").at_event(seq)
                })?;
            // A format-1 log (verified before its upgrade) has no adoptions to check.
            if let Some(adoptions) = adoptions {
                match &payload {
                    EventPayload::CatalogueAdopted(adoption) => {
                        if subject.is_some() {
                            return Err(Error::new(
                                ErrorCode::Integrity,
                                "a catalogue adoption names a subject",
                            )
                            .at_event(seq));
                        }
                        let (catalogue, from) =
                            adopted_catalogue(adoption).map_err(|e| e.at_event(seq))?;
                        adoptions.adopted(seq, from, catalogue)?;
                    }
                    _ => adoptions.event(seq)?,
                }
            }
            if let Some(subject) = subject {
                // A payload in clear may hold a part sealed under the subject's key (a
                // succession's reference): it must open, and it may be the key's first use.
                let mut has_sealed_part = false;
                if let EventPayload::IdentitySucceeded(succession) = &payload
                    && succession.sealed_reference.is_some()
                {
                    has_sealed_part = true;
                    let mut opened = succession.clone();
                    opened.open_reference(
                        keys.get(&subject).map(|(k, s)| (k, *s)),
                        &subject,
                        seq,
                    )?;
                }
                if (sealed || has_sealed_part)
                    && keys.get(&subject).is_some_and(|(_, since)| *since == seq)
                {
                    first_events.insert(subject);
                }
                if matches!(payload, EventPayload::SubjectErased(_)) {
                    redactions.erased(subject, seq, keys)?;
                }
            } else if matches!(payload, EventPayload::SubjectErased(_)) {
                return Err(
                    Error::new(ErrorCode::Integrity, "an erasure names no subject").at_event(seq),
                );
            }
        }
    }
    Ok(())
}

/// Verifies the chain, every payload and the head anchor of a store whose keys were unwrapped
/// (the upgrade passes format-1 keys). Everything a replay checks, and more: every header and
/// payload decodes strictly, and every key's first event is one of its subject's sealed events.
pub(crate) fn verify_log(
    store: &dyn Store,
    keys: &Keys,
    mac_key: &[u8; 32],
    mut adoptions: Option<AdoptionCheck>,
) -> Result<VerifyReport> {
    let mut last_seq = 0u64;
    let mut last_hash = GENESIS;
    let mut failure: Option<Error> = None;
    let mut redactions = Redactions::default();
    let mut first_events = HashSet::new();
    // Strict: the whole header decodes (an audit also wants the actor, the id and the time
    // well formed), where a replay reads only what it needs.
    let scanned = store.scan(1, &mut |record: EventRecord| {
        let checked =
            record::verify_record(record, Some((last_seq + 1, &last_hash))).and_then(|verified| {
                let (seq, hash) = (verified.header.seq, verified.hash);
                check_payload(
                    verified,
                    keys,
                    &mut redactions,
                    &mut first_events,
                    adoptions.as_mut(),
                )?;
                Ok((seq, hash))
            });
        match checked {
            Ok((seq, hash)) => {
                last_seq = seq;
                last_hash = hash;
                Ok(())
            }
            Err(error) => {
                failure = Some(error.clone());
                Err(error)
            }
        }
    });
    if let (Err(error), None) = (scanned, &failure) {
        return Err(error);
    }
    if failure.is_none()
        && let Err(error) = redactions.check()
    {
        failure = Some(error);
    }
    if failure.is_none() {
        let mut unused: Vec<(&Pseudonym, u64)> = keys
            .iter()
            .filter(|(subject, _)| !first_events.contains(*subject))
            .map(|(subject, (_, since))| (subject, *since))
            .collect();
        unused.sort_by_key(|(_, since)| *since);
        if let Some((subject, since)) = unused.first() {
            failure = Some(Error::new(
                ErrorCode::Integrity,
                format!(
                    "the data key of subject `{subject}` names event {since} as its first, which is not one of the subject's sealed events"
                ),
            ));
        }
    }
    if failure.is_none()
        && let Err(error) = check_head(store.head()?, last_seq, &last_hash, mac_key)
    {
        failure = Some(error);
    }
    // A problem found after the scan (an unexplained payload) names an event before the end:
    // only the events before it count as verified.
    let events = match failure.as_ref().and_then(Error::event) {
        Some(bad) => last_seq.min(bad.saturating_sub(1)),
        None => last_seq,
    };
    Ok(VerifyReport {
        ok: failure.is_none(),
        events,
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
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
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
        verify_store(self.inner.store.as_ref(), &self.inner.key)
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
            Ok(()) => verify_store(&store, &key),
            Err(error) => Err(error),
        };
        store.end_read()?;
        report
    }
}
