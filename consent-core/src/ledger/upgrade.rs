//! Upgrading a ledger file written by consent 0.1 (file format 1) to format 2 in place: every
//! subject key is re-wrapped with the first event it seals as associated data, and the
//! catalogue the ledger was written under is recorded as adopted (0.1 recorded only its
//! version), then the catalogue it will be opened with.

use std::path::Path;

use serde::Serialize;

use chrono::{DateTime, Utc};

use super::adopt::{adoption_payload, system_actor};
use super::check::{Wrapping, unwrap_keys};
use super::verify::verify_log;
use super::{HEAD_MAC_CONTEXT, STORAGE_SCHEMA, STORAGE_SCHEMA_1, meta};
use crate::catalogue::Catalogue;
use crate::catalogue::adoption::V0_1_VERSION;
use crate::error::{Error, ErrorCode, Result, printable};
use crate::hex;
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::record::{self, EventRecord, Head};
use crate::log::seal::{Entropy, KeyWrapper};
use crate::store::Store;
use crate::store::sqlite::{FILE_VERSION, FILE_VERSION_1, SqliteStore, UpgradeAppend};

/// What [`upgrade_file`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpgradeReport {
    /// The file format before (1).
    pub from_format: i64,
    /// The file format after (2).
    pub to_format: i64,
    /// How many events the ledger holds (all of them verified before anything changed).
    pub events: u64,
    /// How many subject keys were re-wrapped.
    pub keys_rewrapped: u64,
    /// The versions of the catalogues whose adoption the upgrade recorded, in order: the one
    /// the ledger was written under, then the one it is to be opened with (when it differs).
    pub catalogues_adopted: Vec<String>,
}

/// Upgrades the format-1 ledger file at `path` (written by consent 0.1) to format 2 in place,
/// for opening with the embedded default catalogue: as [`upgrade_file_with`] with the
/// catalogue 0.1 embedded as the one the ledger was written under.
///
/// ```no_run
/// use consent_core::PseudonymKey;
/// use consent_core::storage::upgrade_file;
/// let key = PseudonymKey::from_slice(&[7; 32])?;
/// let report = upgrade_file("consent.db".as_ref(), &key)?;
/// assert_eq!(report.to_format, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`upgrade_file_with`].
pub fn upgrade_file(path: &Path, key: &PseudonymKey) -> Result<UpgradeReport> {
    upgrade_file_with(path, key, None, &Catalogue::embedded())
}

/// Upgrades the format-1 ledger file at `path` (written by consent 0.1) to format 2 in place.
///
/// 0.1 stored only the version of its catalogue. The upgrade records, as events by the system
/// actor (`consent`, role `system`), the adoption of the catalogue the ledger was written under
/// (`written_under`; `None`: the default catalogue 0.1 embedded, version 2026-11-01, which the
/// stored version must then name), in force from the ledger's first event; then, when it
/// differs, the adoption of `open_with`, the catalogue the ledger will be opened with, in force
/// from now. `open_with` must keep the code order of `written_under` (the 0.1 default's codes
/// are a prefix of today's default). Old events keep their meaning: decisions about instants
/// before the upgrade are made under the catalogue they were written under.
///
/// Format 2 wraps each subject's data key with the first event it seals as associated data, so
/// a key row whose first event was moved (to hide the subject's newer records) no longer
/// unwraps. The upgrade takes the ledger's lock, checks the key, verifies the whole ledger as
/// format 1 (chain, payloads, erasures, head anchor: a ledger that does not verify is not
/// upgraded, so tampering is not blessed), then re-wraps every key and records the new format
/// in one transaction. It refuses anything that is not a format-1 consent ledger, and on any
/// error the file is left as it was. Take a backup first (the `consent upgrade` command does).
///
/// # Errors
/// `UnsupportedVersion` for a file that is not format 1 (one already upgraded included);
/// `NotFound`, `Integrity` (an empty file), `Storage` (not a consent ledger) as opening does;
/// `Locked` when it is open for writing elsewhere; `KeyMismatch` for another key; `Integrity`
/// when the ledger does not verify; `InvalidCatalogue` when `written_under` is not the version
/// the ledger stored, or `open_with` does not keep its code order.
pub fn upgrade_file_with(
    path: &Path,
    key: &PseudonymKey,
    written_under: Option<&Catalogue>,
    open_with: &Catalogue,
) -> Result<UpgradeReport> {
    let store = match SqliteStore::open_format(path, FILE_VERSION_1, true) {
        Err(error)
            if error.code() == ErrorCode::UnsupportedVersion
                && error.message().contains(&format!("format {FILE_VERSION} ")) =>
        {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "the ledger `{}` is already file format {FILE_VERSION}: there is nothing to upgrade",
                    path.display()
                ),
            ));
        }
        other => other?,
    };
    let lock_made = store
        .created_lock_file()
        .then(|| store.lock_file_path())
        .flatten();
    let upgraded = upgrade_store(&store, key, written_under, open_with);
    if upgraded.is_err() {
        drop(store);
        if let Some(made) = lock_made {
            let _ = std::fs::remove_file(made);
        }
    }
    upgraded
}

fn upgrade_store(
    store: &SqliteStore,
    key: &PseudonymKey,
    written_under: Option<&Catalogue>,
    open_with: &Catalogue,
) -> Result<UpgradeReport> {
    match store.meta(meta::SCHEMA)? {
        Some(version) if version == STORAGE_SCHEMA_1 => {}
        Some(version) => {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "ledger storage schema `{}` is not the format-1 schema `{STORAGE_SCHEMA_1}`",
                    printable(&version)
                ),
            ));
        }
        None => {
            return Err(Error::new(
                ErrorCode::Integrity,
                "the ledger's storage schema version is missing (its metadata was deleted)",
            ));
        }
    }
    match store.meta(meta::KEY_CHECK)? {
        Some(check) if check == key.check_value() => {}
        Some(_) => {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                "the pseudonym key does not match the key this ledger was created with",
            ));
        }
        None => {
            return Err(Error::new(
                ErrorCode::Integrity,
                "the ledger's key check value is missing (its metadata was deleted)",
            ));
        }
    }
    let written_under = catalogue_written_under(store, written_under)?;
    open_with.check_extends(&written_under).map_err(|e| {
        Error::new(
            ErrorCode::InvalidCatalogue,
            format!(
                "the catalogue to open the ledger with, `{}`, does not keep the codes of `{}`, which the ledger was written under: {}",
                printable(open_with.version()),
                printable(written_under.version()),
                e.message()
            ),
        )
    })?;
    let wrapper = KeyWrapper::new(key);
    let keys = unwrap_keys(store, &wrapper, Wrapping::Format1)?;
    let mac_key = key.derive(HEAD_MAC_CONTEXT);
    let report = verify_log(store, &keys, &mac_key, None)?;
    if !report.ok {
        return Err(Error::new(
            ErrorCode::Integrity,
            format!(
                "the ledger does not verify, so it was not upgraded: {}",
                report.problem.as_deref().unwrap_or("unknown problem")
            ),
        ));
    }
    let mut entropy = Entropy::new();
    let now = Utc::now();
    let mut adopted = vec![(written_under.clone(), first_instant(store)?.unwrap_or(now))];
    if open_with.digest() != written_under.digest() {
        adopted.push((open_with.clone(), now));
    }
    let records = adoption_records(&report, &adopted, now, &mut entropy)?;
    let head = records
        .last()
        .map(|last| Head::new(last.seq, last.hash, &mac_key));
    let first_adoption = (report.events + 1).to_string();
    let keys_rewrapped = store.upgrade_keys(
        &mut |stored| {
            let subject = Pseudonym(stored.subject);
            let data_key = wrapper.unwrap_key_format1(&subject, &stored.wrapped)?;
            let wrapped = wrapper.wrap(&subject, stored.since_seq, &data_key, &mut entropy)?;
            // Never store a key that would not come back.
            if wrapper.unwrap_key(&subject, stored.since_seq, &wrapped)? != data_key {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!("the re-wrapped key of subject `{subject}` does not unwrap"),
                ));
            }
            Ok(wrapped)
        },
        (meta::SCHEMA, STORAGE_SCHEMA),
        &UpgradeAppend {
            records: &records,
            head: head.as_ref(),
            meta: &[(meta::FIRST_ADOPTION, &first_adoption)],
        },
    )?;
    Ok(UpgradeReport {
        from_format: FILE_VERSION_1,
        to_format: FILE_VERSION,
        events: report.events,
        keys_rewrapped,
        catalogues_adopted: adopted
            .iter()
            .map(|(catalogue, _)| catalogue.version().to_owned())
            .collect(),
    })
}

/// The catalogue a 0.1 ledger was written under: the one given, or 0.1's default; either way
/// its version is the one the ledger stored.
fn catalogue_written_under(store: &SqliteStore, given: Option<&Catalogue>) -> Result<Catalogue> {
    let stored = store.meta(meta::CATALOGUE)?.ok_or_else(|| {
        Error::new(
            ErrorCode::Integrity,
            "the ledger's catalogue version is missing (its metadata was deleted)",
        )
    })?;
    let catalogue = match given {
        Some(catalogue) => catalogue.clone(),
        None if stored == V0_1_VERSION => Catalogue::embedded_v0_1(),
        None => {
            return Err(Error::new(
                ErrorCode::InvalidCatalogue,
                format!(
                    "the ledger was written under catalogue `{}`, not under the default of consent 0.1 ({V0_1_VERSION}): upgrade it with that catalogue (`upgrade_file_with`)",
                    printable(&stored)
                ),
            ));
        }
    };
    if catalogue.version() != stored {
        return Err(Error::new(
            ErrorCode::InvalidCatalogue,
            format!(
                "the ledger was written under catalogue `{}`, not `{}`: upgrade it with the catalogue it was written under",
                printable(&stored),
                printable(catalogue.version())
            ),
        ));
    }
    Ok(catalogue)
}

/// When the ledger's first event was recorded, if it has one.
fn first_instant(store: &SqliteStore) -> Result<Option<DateTime<Utc>>> {
    let mut first = None;
    store.scan_range(1, 1, &mut |stored| {
        first = Some(stored);
        Ok(())
    })?;
    first
        .map(|stored| record::verify_record(stored, None).map(|v| v.header.recorded_at))
        .transpose()
}

/// The adoption events the upgrade appends, chained after the verified log.
fn adoption_records(
    report: &super::VerifyReport,
    adopted: &[(Catalogue, DateTime<Utc>)],
    now: DateTime<Utc>,
    entropy: &mut Entropy,
) -> Result<Vec<EventRecord>> {
    let actor = system_actor()?;
    let mut prev = hex::decode32(&report.head_hash)
        .ok_or_else(|| Error::new(ErrorCode::Integrity, "the log's last hash is not hex"))?;
    let millis = u64::try_from(now.timestamp_millis())
        .map_err(|_| Error::invalid("the system clock reads before 1970"))?;
    let mut records = Vec::with_capacity(adopted.len());
    for ((catalogue, from), seq) in adopted.iter().zip(report.events + 1..) {
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &entropy.take()?).into_uuid();
        let payload = adoption_payload(catalogue, *from);
        let stored = record::seal(
            seq,
            id,
            now,
            &actor,
            None,
            payload.kind(),
            record::encode_payload(&payload)?,
            false,
            &prev,
        )?;
        prev = stored.hash;
        records.push(stored);
    }
    Ok(records)
}
