//! Upgrading a ledger file written by consent 0.1 (file format 1) to format 2 in place: every
//! subject key is re-wrapped with the first event it seals as associated data.

use std::path::Path;

use serde::Serialize;

use super::check::{Wrapping, unwrap_keys};
use super::verify::verify_log;
use super::{HEAD_MAC_CONTEXT, STORAGE_SCHEMA, STORAGE_SCHEMA_1, meta};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::seal::{Entropy, KeyWrapper};
use crate::store::Store;
use crate::store::sqlite::{FILE_VERSION, FILE_VERSION_1, SqliteStore, lock_path};

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
}

/// Upgrades the format-1 ledger file at `path` (written by consent 0.1) to format 2 in place.
///
/// Format 2 wraps each subject's data key with the first event it seals as associated data, so
/// a key row whose first event was moved (to hide the subject's newer records) no longer
/// unwraps. The upgrade takes the ledger's lock, checks the key, verifies the whole ledger as
/// format 1 (chain, payloads, erasures, head anchor: a ledger that does not verify is not
/// upgraded, so tampering is not blessed), then re-wraps every key and records the new format
/// in one transaction. It refuses anything that is not a format-1 consent ledger, and on any
/// error the file is left as it was. Take a backup first (the `consent upgrade` command does).
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
/// `UnsupportedVersion` for a file that is not format 1 (one already upgraded included);
/// `NotFound`, `Integrity` (an empty file), `Storage` (not a consent ledger) as opening does;
/// `Locked` when it is open for writing elsewhere; `KeyMismatch` for another key; `Integrity`
/// when the ledger does not verify.
pub fn upgrade_file(path: &Path, key: &PseudonymKey) -> Result<UpgradeReport> {
    let store = match SqliteStore::open_format(path, FILE_VERSION_1) {
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
    let lock_created = store.created_lock_file();
    let upgraded = upgrade_store(&store, key);
    if upgraded.is_err() {
        drop(store);
        if lock_created {
            let _ = std::fs::remove_file(lock_path(path));
        }
    }
    upgraded
}

fn upgrade_store(store: &SqliteStore, key: &PseudonymKey) -> Result<UpgradeReport> {
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
    let wrapper = KeyWrapper::new(key);
    let keys = unwrap_keys(store, &wrapper, Wrapping::Format1)?;
    let report = verify_log(store, &keys, &key.derive(HEAD_MAC_CONTEXT))?;
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
    )?;
    Ok(UpgradeReport {
        from_format: FILE_VERSION_1,
        to_format: FILE_VERSION,
        events: report.events,
        keys_rewrapped,
    })
}
