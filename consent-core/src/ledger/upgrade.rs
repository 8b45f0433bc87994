//! Upgrading a ledger file written by consent 0.1 (file format 1) to format 2 in place: every
//! subject key is re-wrapped with the first event it seals as associated data, and the
//! catalogue the ledger was written under is recorded as adopted (0.1 recorded only its
//! version), then the catalogue it will be opened with.

use std::path::Path;

use serde::Serialize;

use chrono::{DateTime, Utc};

use super::adopt::{adoption_payload, system_actor};
use super::backup::{
    BACKUP_DATABASE, BACKUP_KEY, BACKUP_MANIFEST, BACKUP_MANIFEST_SCHEMA, BackupManifest,
};
use super::backup::{cannot, file_digest, write_new};
use super::check::{Wrapping, unwrap_keys};
use super::open::{create_key_file, occupied};
use super::verify::verify_log;
use super::{HEAD_MAC_CONTEXT, STORAGE_SCHEMA, STORAGE_SCHEMA_1, meta};
use crate::catalogue::adoption::V0_1_VERSION;
use crate::catalogue::{Catalogue, Operation};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::hex;
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::record::{self, EventRecord, Head};
use crate::log::seal::{Entropy, KeyWrapper};
use crate::model::party::Actor;
use crate::model::signed::sealed::Claim;
use crate::policy::permission;
use crate::store::Store;
use crate::store::copy::{online_copy_format, sync_dir};
use crate::store::sqlite::{FILE_VERSION, FILE_VERSION_1, SqliteStore, UpgradeAppend};
use crate::store::sqlite::{FileAccess, set_mode};

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
    upgrade(path, key, written_under, open_with, None).map(|(_, report)| report)
}

/// Upgrades as [`upgrade_file_with`] does, as the recorded and permitted step an operator takes
/// (`consent upgrade`), with a backup first.
///
/// `actor` must be permitted `adopt_catalogue` both by the catalogue the ledger was written
/// under (the one in force, as [`Ledger::adopt_catalogue`](crate::Ledger::adopt_catalogue)
/// asks; a 0.1 catalogue has the default roles) and by `open_with` (by default the `dpo`, and
/// the `system` integration role): what the upgrade changes in meaning is which catalogue
/// decisions are made under, so it takes the permission that changes it, and a catalogue the
/// caller brings cannot grant it to itself; a role without it is `NotPermitted` (`UnknownCode`
/// for a role either catalogue lacks) and nothing is written. The upgrade's adoption events are recorded as
/// `actor`'s. The backup goes into the new directory `backup`, made once the ledger's lock is
/// held and the whole file verified (so nothing is written between the copy and the upgrade):
/// a copy of the format-1 file (SQLite's online backup, `ledger.db`), verified again, its key
/// file (`ledger.key`, unless `include_key` is false) and a manifest (`manifest.json`, with
/// `file_format` 1: it is a backup of the 0.1 file, which this version neither restores nor
/// verifies against; to go back, put `ledger.db` and the key in place and upgrade again). A
/// backup that cannot be made stops the upgrade, removes the directory and leaves the ledger as
/// it was. An upgrade that fails after the backup leaves the ledger as it was and keeps the
/// backup.
///
/// # Errors
/// As [`upgrade_file_with`]; `UnknownCode` for a role `open_with` does not declare,
/// `NotPermitted` for a role without `adopt_catalogue`, or for any actor when `open_with` sets
/// `require_signed_actors` (this step takes no signed actor yet); `Conflict` when `backup` exists;
/// `Storage` or `Integrity` when the backup cannot be made or does not verify.
pub fn upgrade_file_as(
    path: &Path,
    key: &PseudonymKey,
    written_under: Option<&Catalogue>,
    open_with: &Catalogue,
    actor: &Actor,
    backup: &Path,
    include_key: bool,
) -> Result<(BackupManifest, UpgradeReport)> {
    // A plain actor, as every call takes one: refused when `open_with` requires signed actors.
    let actor = permission::resolve(open_with, None, Claim::Named(actor), Utc::now())?;
    let actor: &Actor = &actor;
    permission::check(open_with, actor, Operation::AdoptCatalogue)?;
    if occupied(backup) {
        return Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "`{}` already exists; the backup before an upgrade goes into a new directory",
                backup.display()
            ),
        ));
    }
    let operator = Operator {
        actor,
        backup,
        include_key,
    };
    let (manifest, report) = upgrade(path, key, written_under, open_with, Some(&operator))?;
    let manifest = manifest.ok_or_else(|| {
        Error::new(
            ErrorCode::Integrity,
            "the upgrade finished without its backup",
        )
    })?;
    Ok((manifest, report))
}

/// Who upgrades, and where the backup goes ([`upgrade_file_as`]).
struct Operator<'a> {
    actor: &'a Actor,
    backup: &'a Path,
    include_key: bool,
}

fn upgrade(
    path: &Path,
    key: &PseudonymKey,
    written_under: Option<&Catalogue>,
    open_with: &Catalogue,
    operator: Option<&Operator<'_>>,
) -> Result<(Option<BackupManifest>, UpgradeReport)> {
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
    let upgraded = upgrade_store(&store, path, key, written_under, open_with, operator);
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
    path: &Path,
    key: &PseudonymKey,
    written_under: Option<&Catalogue>,
    open_with: &Catalogue,
    operator: Option<&Operator<'_>>,
) -> Result<(Option<BackupManifest>, UpgradeReport)> {
    check_format_1(store, key)?;
    let written_under = catalogue_written_under(store, written_under)?;
    if let Some(op) = operator {
        // As `adopt_catalogue` asks the catalogue in force: a catalogue the caller brings to
        // open with cannot grant its own adoption (its roles were checked too, before the
        // lock). A 0.1 catalogue declares no roles and has the default ones.
        permission::check(&written_under, op.actor, Operation::AdoptCatalogue)?;
    }
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
    let manifest = operator
        .map(|op| backup_format_1(path, key, &report, op))
        .transpose()?;
    let mut entropy = Entropy::new();
    let now = Utc::now();
    let mut adopted = vec![(written_under.clone(), first_instant(store)?.unwrap_or(now))];
    if open_with.digest() != written_under.digest() {
        adopted.push((open_with.clone(), now));
    }
    let actor = match operator {
        Some(op) => op.actor.clone(),
        None => system_actor()?,
    };
    let records = adoption_records(&report, &adopted, now, &actor, &mut entropy)?;
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
    Ok((
        manifest,
        UpgradeReport {
            from_format: FILE_VERSION_1,
            to_format: FILE_VERSION,
            events: report.events,
            keys_rewrapped,
            catalogues_adopted: adopted
                .iter()
                .map(|(catalogue, _)| catalogue.version().to_owned())
                .collect(),
        },
    ))
}

/// The file is format 1 (storage schema 1) and `key` is its key.
fn check_format_1(store: &SqliteStore, key: &PseudonymKey) -> Result<()> {
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
    Ok(())
}

/// The backup before an upgrade (under its lock, after the file verified as `verified`): into
/// the new directory `op.backup`, removed again when the backup fails.
fn backup_format_1(
    source: &Path,
    key: &PseudonymKey,
    verified: &super::VerifyReport,
    op: &Operator<'_>,
) -> Result<BackupManifest> {
    let dest = op.backup;
    std::fs::create_dir(dest).map_err(cannot("create the backup directory", dest))?;
    let made = (|| {
        set_mode(dest, 0o700).map_err(cannot("set the mode of", dest))?;
        let database = dest.join(BACKUP_DATABASE);
        online_copy_format(source, &database, FILE_VERSION_1)?;
        set_mode(&database, 0o600).map_err(cannot("set the mode of", &database))?;
        // The copy verifies as the file did, to the same head.
        let copy = SqliteStore::open_read_only_format(&database, FILE_VERSION_1)?;
        let keys = unwrap_keys(&copy, &KeyWrapper::new(key), Wrapping::Format1)?;
        let checked = verify_log(&copy, &keys, &key.derive(HEAD_MAC_CONTEXT), None)?;
        drop(copy);
        if !checked.ok
            || checked.events != verified.events
            || checked.head_hash != verified.head_hash
        {
            return Err(Error::new(
                ErrorCode::Integrity,
                format!(
                    "the backup copy does not verify as the ledger did: {}",
                    checked.problem.as_deref().unwrap_or("another head")
                ),
            ));
        }
        let (database_sha256, database_bytes) = file_digest(&database)?;
        if op.include_key {
            create_key_file(&dest.join(BACKUP_KEY), key, FileAccess::Owner)?;
        }
        let manifest = BackupManifest {
            schema: BACKUP_MANIFEST_SCHEMA.to_owned(),
            created_at: Utc::now(),
            consent_version: crate::VERSION.to_owned(),
            file_format: FILE_VERSION_1,
            storage_schema: STORAGE_SCHEMA_1.to_owned(),
            head_seq: verified.events,
            head_hash: verified.head_hash.clone(),
            key_check: key.check_value(),
            key_included: op.include_key,
            database: BACKUP_DATABASE.to_owned(),
            database_bytes,
            database_sha256,
        };
        let mut text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| Error::storage("cannot encode the backup manifest", e))?;
        text.push('\n');
        write_new(&dest.join(BACKUP_MANIFEST), text.as_bytes(), 0o600)?;
        sync_dir(dest)?;
        Ok(manifest)
    })();
    if made.is_err() {
        let _ = std::fs::remove_dir_all(dest);
    }
    made
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
    actor: &Actor,
    entropy: &mut Entropy,
) -> Result<Vec<EventRecord>> {
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
            actor,
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
