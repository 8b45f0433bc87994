//! Backups of a ledger file, restoring one, and proving that a ledger is the one backed up.
//!
//! A backup is a directory: `ledger.db` (a consistent copy made with SQLite's online backup API
//! while other processes write), `ledger.key` (the pseudonym key, unless left out on purpose)
//! and `manifest.json` (what the copy holds: its head, its key's check value, its digest). A
//! restore checks all of it on a copy beside the target before it renames that copy into place,
//! and records itself in the restored ledger (`ledger_restored`), as a rollback when it goes
//! back in time.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::open::{create_key_file, existing_key, key_path, occupied, read_key};
use super::verify::verify_store;
use super::{HEAD_MAC_CONTEXT, Ledger, LedgerOptions, STORAGE_SCHEMA, check_metadata};
use crate::catalogue::Operation;
use crate::error::{Error, ErrorCode, Result, printable};
use crate::hex;
use crate::id::pseudonym::PseudonymKey;
use crate::log::event::{EventPayload, RestoreRecord};
use crate::log::record::{GENESIS, Hash, Head};
use crate::model::signed::Acting;
use crate::projection::Effect;
use crate::store::Store;
use crate::store::copy::{online_copy, quiesce, sync_dir, sync_file};
use crate::store::lock::{Wait, canonical, lock, lock_path, open_lock_file, unlock};
use crate::store::sqlite::{
    FILE_VERSION, FileAccess, Found, SqliteStore, beside, existing_access, inspect, set_mode,
};

/// The `schema` of a backup manifest: its shape and version.
pub const BACKUP_MANIFEST_SCHEMA: &str = "consent-backup-manifest/1";

/// The database's name inside a backup directory.
pub const BACKUP_DATABASE: &str = "ledger.db";

/// The key file's name inside a backup directory.
pub const BACKUP_KEY: &str = "ledger.key";

/// The manifest's name inside a backup directory.
pub const BACKUP_MANIFEST: &str = "manifest.json";

/// The most bytes a manifest file may hold.
const MANIFEST_MAX: u64 = 64 * 1024;

/// What a backup holds, written beside its copy as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BackupManifest {
    /// [`BACKUP_MANIFEST_SCHEMA`].
    pub schema: String,
    /// When the copy was made.
    pub created_at: DateTime<Utc>,
    /// The consent version that made it.
    pub consent_version: String,
    /// The ledger file format of the copy (SQLite `user_version`).
    pub file_format: i64,
    /// The storage schema of the copy.
    pub storage_schema: String,
    /// The copy's last event: its sequence number.
    pub head_seq: u64,
    /// The copy's last event: its hash, hex.
    pub head_hash: String,
    /// The check value of the ledger's pseudonym key (never the key).
    pub key_check: String,
    /// Whether the key file is in the backup. Without it, a restore needs the key from
    /// elsewhere (kept apart from the copy on purpose).
    pub key_included: bool,
    /// The database file in the backup directory.
    pub database: String,
    /// Its size in bytes.
    pub database_bytes: u64,
    /// Its SHA-256, hex: a damaged copy is found before anything is verified.
    pub database_sha256: String,
}

impl BackupManifest {
    /// Reads a manifest: `path` is the manifest file or the backup directory holding it.
    ///
    /// # Errors
    /// `InvalidInput` for a file that is not a manifest of this schema; `Storage` when it
    /// cannot be read.
    pub fn read(path: &Path) -> Result<BackupManifest> {
        Ok(read_manifest(path)?.0)
    }

    /// Parses a manifest document.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field or another schema.
    pub fn from_json(json: &str) -> Result<BackupManifest> {
        let manifest: BackupManifest = crate::model::parse_json(json, "backup manifest")?;
        if manifest.schema != BACKUP_MANIFEST_SCHEMA {
            return Err(Error::invalid(format!(
                "backup manifest: `schema` `{}` is not `{BACKUP_MANIFEST_SCHEMA}`",
                printable(&manifest.schema)
            )));
        }
        if hex::decode32(&manifest.head_hash).is_none()
            || hex::decode32(&manifest.database_sha256).is_none()
        {
            return Err(Error::invalid(
                "backup manifest: `head_hash` and `database_sha256` must be 64 hex digits",
            ));
        }
        if manifest.database.contains(['/', '\\']) || manifest.database.starts_with('.') {
            return Err(Error::invalid(
                "backup manifest: `database` must name a file in the backup directory",
            ));
        }
        Ok(manifest)
    }
}

/// What [`Ledger::restore_file`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RestoreReport {
    /// The restored ledger's head after the `ledger_restored` event: its sequence number.
    pub head_seq: u64,
    /// Its hash, hex.
    pub head_hash: String,
    /// The event recording the restore, as written.
    pub restore: RestoreRecord,
    /// Where the replaced ledger file was kept (`None` when nothing was replaced).
    pub replaced_file: Option<PathBuf>,
    /// Whether the key file was written from the backup (there was none at the target).
    pub key_written: bool,
}

/// What [`Ledger::verify_against_file`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AgainstReport {
    /// Whether the ledger verifies and its chain holds the backup's head at its place.
    pub ok: bool,
    /// The ledger's key is the backup's (same check value).
    pub key_matches: bool,
    /// The whole chain verifies.
    pub chain_ok: bool,
    /// How many events verified.
    pub events: u64,
    /// The ledger's head hash, hex.
    pub head_hash: String,
    /// The event at the manifest's `head_seq` is the manifest's `head_hash`.
    pub contains_backup_head: bool,
    /// The manifest's head.
    pub backup_head_seq: u64,
    /// What did not match, when something did not.
    pub problem: Option<String>,
}

pub(super) fn cannot(what: &str, path: &Path) -> impl Fn(std::io::Error) -> Error {
    let context = format!("cannot {what} `{}`", path.display());
    move |e| Error::storage(&context, e)
}

/// SHA-256 of a file and its size, read as a stream.
pub(super) fn file_digest(path: &Path) -> Result<(String, u64)> {
    let mut file = fs::File::open(path).map_err(cannot("read", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(cannot("read", path))?;
        let Some(chunk) = buffer.get(..read) else {
            return Err(Error::storage("read", "a read returned more than asked"));
        };
        if chunk.is_empty() {
            break;
        }
        hasher.update(chunk);
        total += u64::try_from(read).map_err(|_| Error::storage("read", "size"))?;
    }
    Ok((hex::encode(&hasher.finalize()), total))
}

/// Reads a manifest file (or `manifest.json` in a directory): the manifest, its directory and
/// the SHA-256 of its bytes.
fn read_manifest(path: &Path) -> Result<(BackupManifest, PathBuf, String)> {
    let file = if path.is_dir() {
        path.join(BACKUP_MANIFEST)
    } else {
        path.to_owned()
    };
    let metadata = fs::metadata(&file).map_err(cannot("read the backup manifest", &file))?;
    if !metadata.is_file() || metadata.len() > MANIFEST_MAX {
        return Err(Error::invalid(format!(
            "backup manifest `{}` is not a regular file of at most {MANIFEST_MAX} bytes",
            file.display()
        )));
    }
    let bytes = fs::read(&file).map_err(cannot("read the backup manifest", &file))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::invalid(format!(
            "backup manifest `{}` is not UTF-8 text",
            file.display()
        ))
    })?;
    let manifest =
        BackupManifest::from_json(text).map_err(|e| e.context(format!("`{}`", file.display())))?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((manifest, dir, hex::encode(&Sha256::digest(&bytes))))
}

/// Writes a file that must not exist, with `mode`, and syncs it.
pub(super) fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    let mut file = options.open(path).map_err(cannot("create", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(cannot("write", path))?;
    set_mode(path, mode).map_err(cannot("set the mode of", path))
}

/// The head of a stored ledger after its whole chain verified under `key`.
fn verified_head(store: &dyn Store, key: &PseudonymKey) -> Result<Head> {
    store.begin_read()?;
    let checked = check_metadata(store, key)
        .and_then(|()| verify_store(store, key))
        .and_then(|report| {
            if report.ok {
                store.head()
            } else {
                Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "the copy does not verify: event {}: {}",
                        report
                            .first_bad_seq
                            .map_or_else(|| "?".to_owned(), |s| s.to_string()),
                        report.problem.as_deref().unwrap_or("unknown problem")
                    ),
                ))
            }
        });
    let ended = store.end_read();
    let head = checked?;
    ended?;
    head.ok_or_else(|| Error::new(ErrorCode::Integrity, "the copy has no head anchor"))
}

/// The hash of the stored event `seq` (the genesis hash for 0), if the store holds it.
fn hash_at(store: &dyn Store, seq: u64) -> Result<Option<Hash>> {
    if seq == 0 {
        return Ok(Some(GENESIS));
    }
    let mut found = None;
    store.scan_range(seq, seq, &mut |record| {
        found = Some(record.hash);
        Ok(())
    })?;
    Ok(found)
}

/// A name beside `path` that nothing uses yet: `<path><suffix>`, then `<path><suffix>-2`, …
fn unused_beside(path: &Path, suffix: &str) -> Result<PathBuf> {
    for n in 1..1000u32 {
        let candidate = if n == 1 {
            beside(path, suffix)
        } else {
            beside(path, &format!("{suffix}-{n}"))
        };
        if !occupied(&candidate) {
            return Ok(candidate);
        }
    }
    Err(Error::storage(
        &format!("cannot name a file beside `{}`", path.display()),
        "every candidate name is taken",
    ))
}

/// The directory a path is in (`.` for a bare name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// What was at the target before a restore.
struct Replaced {
    /// The head its anchor named, when the anchor's MAC verified under the key.
    head: Option<Head>,
}

impl Ledger {
    /// Backs up the ledger file at `source` into the new directory `dest`: a consistent copy
    /// made with SQLite's online backup API while other processes keep writing (the copy holds
    /// every event committed before it began, and none after), verified whole under the key,
    /// then the key file (unless `include_key` is false: keep the key apart, the manifest says
    /// so) and a manifest naming the copy's head, its key's check value and its SHA-256.
    /// Nothing is written to the ledger. A failed backup removes `dest`.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// drop(Ledger::open(&path, LedgerOptions::default())?);
    /// let manifest = Ledger::backup_file(&path, &LedgerOptions::default(), &dir.path().join("backup"), true)?;
    /// assert_eq!(manifest.head_seq, 1); // the adoption of the catalogue
    /// assert!(manifest.key_included);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Conflict` when `dest` exists; `KeyMismatch` for a wrong or missing key; `Integrity`
    /// when the copy does not verify; `UnsupportedVersion` for a ledger of another format;
    /// `Storage`.
    pub fn backup_file(
        source: &Path,
        options: &LedgerOptions,
        dest: &Path,
        include_key: bool,
    ) -> Result<BackupManifest> {
        match inspect(source)? {
            Found::Sqlite => {}
            Found::Absent => {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    format!("no ledger at `{}`", source.display()),
                ));
            }
            Found::Empty => {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!("the ledger `{}` is empty", source.display()),
                ));
            }
        }
        let key = existing_key(source, options)?;
        if occupied(dest) {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "`{}` already exists; a backup goes into a new directory",
                    dest.display()
                ),
            ));
        }
        fs::create_dir(dest).map_err(cannot("create the backup directory", dest))?;
        let made = (|| {
            set_mode(dest, 0o700).map_err(cannot("set the mode of", dest))?;
            Ledger::backup_into(source, options, &key, dest, include_key)
        })();
        if made.is_err() {
            let _ = fs::remove_dir_all(dest);
        }
        made
    }

    fn backup_into(
        source: &Path,
        options: &LedgerOptions,
        key: &PseudonymKey,
        dest: &Path,
        include_key: bool,
    ) -> Result<BackupManifest> {
        let database = dest.join(BACKUP_DATABASE);
        online_copy(source, &database)?;
        set_mode(&database, 0o600).map_err(cannot("set the mode of", &database))?;
        let head = {
            let store = SqliteStore::open_read_only(&database)?;
            verified_head(&store, key)?
        };
        let (database_sha256, database_bytes) = file_digest(&database)?;
        if include_key {
            create_key_file(&dest.join(BACKUP_KEY), key, FileAccess::Owner)?;
        }
        let manifest = BackupManifest {
            schema: BACKUP_MANIFEST_SCHEMA.to_owned(),
            created_at: options.clock.now(),
            consent_version: crate::VERSION.to_owned(),
            file_format: FILE_VERSION,
            storage_schema: STORAGE_SCHEMA.to_owned(),
            head_seq: head.seq,
            head_hash: hex::encode(&head.hash),
            key_check: key.check_value(),
            key_included: include_key,
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
    }

    /// Restores the backup in directory `backup` to the ledger file `target`.
    ///
    /// Checks first, on a copy beside `target` (so what is checked is what is put in place):
    /// the manifest, the copy's SHA-256, the key (the backup's key file, or `options`' key or
    /// key file when the backup has none) against the manifest's check value, the whole chain,
    /// and the head against the manifest. Then, holding the target's write lock and having
    /// found no process with the target open, it records the restore in the copy as a
    /// `ledger_restored` event by `actor` with `reason` (a rollback when the ledger it replaces
    /// is not in the backup's chain: newer, another history, or unreadable), keeps the replaced
    /// file beside the target as `<target>.replaced-<time>`, and renames the copy into place.
    /// A key file is written from the backup only where there is none; an existing one must
    /// hold the same key. On any error before the rename, the target is as it was.
    ///
    /// `actor` (named, or a token verified against `options`' actor trust) must be permitted
    /// `adopt_catalogue` by the restored ledger's catalogue in force (by default the `dpo`): a
    /// restore puts another history in force, as an upgrade does, so it takes the operator's
    /// permission the catalogue already has; the catalogue has no restore operation of its own.
    /// That catalogue is the backup's, so the check comes once the copy is verified, before
    /// anything is recorded or renamed.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// drop(Ledger::open(&path, LedgerOptions::default())?);
    /// let backup = dir.path().join("backup");
    /// Ledger::backup_file(&path, &LedgerOptions::default(), &backup, true)?;
    /// let elsewhere = dir.path().join("restored.db");
    /// let operator = Actor::new("personvernombud-1", "dpo")?;
    /// let report = Ledger::restore_file(&backup, &elsewhere, &LedgerOptions::default(), &operator, "restore drill")?;
    /// assert!(!report.restore.rollback); // nothing newer was replaced
    /// let restored = Ledger::open(&elsewhere, LedgerOptions::default())?;
    /// assert_eq!(restored.events()?.last().map(|e| e.kind.as_str()), Some("ledger_restored"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for a manifest that is not one; `Integrity` for a copy whose digest,
    /// chain or head does not match; `KeyMismatch` for a key that is not the backup's;
    /// `Locked` when another process has the target open or writes it; `Storage` for a target
    /// that is not a ledger file, or a file that cannot be written; `UnknownCode` for a role the
    /// restored catalogue lacks and `NotPermitted` for one without `adopt_catalogue`, a plain
    /// actor under `require_signed_actors` or a token that does not verify (the target as it
    /// was).
    pub fn restore_file(
        backup: &Path,
        target: &Path,
        options: &LedgerOptions,
        actor: &dyn Acting,
        reason: &str,
    ) -> Result<RestoreReport> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid(
                "a restore records why it was made: the reason is empty",
            ));
        }
        let (manifest, dir, manifest_sha256) = read_manifest(backup)?;
        let key_in_target = key_path(target, options);
        let key = if manifest.key_included {
            read_key(&dir.join(BACKUP_KEY))?
        } else if options.key.is_some() || occupied(&key_in_target) {
            existing_key(target, options)?
        } else {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                format!(
                    "the backup holds no key (its manifest says so) and there is no key file at `{}`: pass the ledger's key file",
                    key_in_target.display()
                ),
            ));
        };
        if key.check_value() != manifest.key_check {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                "the key is not the backed-up ledger's (its check value differs from the manifest's)",
            ));
        }
        // The key file at the target, if any, must hold the same key.
        let write_key = options.key.is_none() && !occupied(&key_in_target);
        if !write_key && existing_key(target, options)?.check_value() != manifest.key_check {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                format!(
                    "the key file `{}` belongs to another ledger than the backup; move it away or name the right one",
                    key_in_target.display()
                ),
            ));
        }
        let found = inspect(target)?;
        let access = if found == Found::Absent {
            options.file_access
        } else {
            existing_access(target)
        };
        let real = canonical(target)?;
        let (lock_file, lock_created) = open_lock_file(&real, access)?;
        let restored = lock(&lock_file, Wait::Briefly, target).and_then(|()| {
            let restored = Ledger::restore_locked(RestoreJob {
                manifest: &manifest,
                dir: &dir,
                manifest_sha256,
                key: &key,
                target,
                real: &real,
                found,
                access,
                write_key: write_key.then_some(key_in_target.as_path()),
                options,
                actor,
                reason,
            });
            let unlocked = unlock(&lock_file);
            let report = restored?;
            unlocked?;
            Ok(report)
        });
        if restored.is_err() && lock_created && found == Found::Absent {
            let _ = fs::remove_file(lock_path(&real));
        }
        restored
    }

    fn restore_locked(job: RestoreJob<'_>) -> Result<RestoreReport> {
        let replaced = match job.found {
            Found::Absent => None,
            Found::Empty => Some(Replaced { head: None }),
            Found::Sqlite => {
                quiesce(job.target)?;
                Some(replaced_head(job.target, job.key))
            }
        };
        // A canonical path of a file always has a name; none would be a bug, never a default.
        let name = job.real.file_name().ok_or_else(|| {
            Error::storage(
                &format!("cannot restore into `{}`", job.real.display()),
                "the path names no file",
            )
        })?;
        let temporary = unused_beside(
            &parent_dir(job.real).join(format!(".{}", name.to_string_lossy())),
            &format!(".restoring-{}", std::process::id()),
        )?;
        let prepared = prepare_copy(&job, &temporary, replaced.as_ref());
        let outcome = prepared.and_then(|(record, head)| {
            install(&job, &temporary, replaced.is_some()).map(|(replaced_file, key_written)| {
                RestoreReport {
                    head_seq: head.seq,
                    head_hash: hex::encode(&head.hash),
                    restore: record,
                    replaced_file,
                    key_written,
                }
            })
        });
        if outcome.is_err() {
            for suffix in ["", "-wal", "-shm", ".lock", ".head"] {
                let _ = fs::remove_file(beside(&temporary, suffix));
            }
        }
        outcome
    }

    /// Proves that the ledger file at `path` is the one a backup's `manifest` describes, or
    /// grew from it: the key is the same, the whole chain verifies, and the event at the
    /// manifest's `head_seq` has the manifest's `head_hash`. Read-only, beside writers.
    ///
    /// ```
    /// # use consent_core::{BackupManifest, Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// drop(Ledger::open(&path, LedgerOptions::default())?);
    /// Ledger::backup_file(&path, &LedgerOptions::default(), &dir.path().join("backup"), false)?;
    /// let manifest = BackupManifest::read(&dir.path().join("backup/manifest.json"))?;
    /// assert!(Ledger::verify_against_file(&path, &LedgerOptions::default(), &manifest)?.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::verify_file`]; a mismatch is in the report, not an error (except a key
    /// that is not the ledger's own, `KeyMismatch`).
    pub fn verify_against_file(
        path: &Path,
        options: &LedgerOptions,
        manifest: &BackupManifest,
    ) -> Result<AgainstReport> {
        let store = SqliteStore::open_read_only(path)?;
        let key = existing_key(path, options)?;
        store.begin_read()?;
        let checked = check_metadata(&store, &key)
            .and_then(|()| verify_store(&store, &key))
            .and_then(|report| Ok((report, hash_at(&store, manifest.head_seq)?)));
        let ended = store.end_read();
        let (report, at_seq) = checked?;
        ended?;
        let key_matches = key.check_value() == manifest.key_check;
        let contains = at_seq.is_some_and(|hash| hex::encode(&hash) == manifest.head_hash);
        let problem = if !key_matches {
            Some("the ledger's key is not the backup's".to_owned())
        } else if !report.ok {
            Some(format!(
                "the chain does not verify at event {}: {}",
                report
                    .first_bad_seq
                    .map_or_else(|| "?".to_owned(), |s| s.to_string()),
                report.problem.as_deref().unwrap_or("unknown problem")
            ))
        } else if at_seq.is_none() {
            Some(format!(
                "the ledger ends at event {} before the backup's head {}",
                report.events, manifest.head_seq
            ))
        } else if !contains {
            Some(format!(
                "event {} is not the backup's head: this ledger holds another history",
                manifest.head_seq
            ))
        } else {
            None
        };
        Ok(AgainstReport {
            ok: problem.is_none(),
            key_matches,
            chain_ok: report.ok,
            events: report.events,
            head_hash: report.head_hash,
            contains_backup_head: contains,
            backup_head_seq: manifest.head_seq,
            problem,
        })
    }

    /// Records a restore (the restore's own event), after every other event, as `actor`'s,
    /// who must be permitted `adopt_catalogue` by this (the restored) ledger's catalogue.
    fn record_restore(&self, actor: &dyn Acting, record: RestoreRecord) -> Result<Head> {
        let actor = self.permit(actor, Operation::AdoptCatalogue)?;
        let mut writer = self.lock_writer()?;
        self.commit_one(
            &mut writer,
            &actor,
            None,
            EventPayload::LedgerRestored(record),
            Effect::None,
        )?;
        Ok(Head::new(
            writer.last_seq,
            writer.last_hash,
            &self.inner.mac_key,
        ))
    }
}

/// Everything a restore under the target's lock needs.
struct RestoreJob<'a> {
    manifest: &'a BackupManifest,
    dir: &'a Path,
    manifest_sha256: String,
    key: &'a PseudonymKey,
    target: &'a Path,
    real: &'a Path,
    found: Found,
    access: FileAccess,
    /// Where to write the key file (none is there).
    write_key: Option<&'a Path>,
    options: &'a LedgerOptions,
    actor: &'a dyn Acting,
    reason: &'a str,
}

/// The head the replaced ledger's anchor names, when its MAC verifies under the key (a file
/// that is not a ledger of this format, or of another key, names none).
fn replaced_head(target: &Path, key: &PseudonymKey) -> Replaced {
    let head = SqliteStore::open_read_only(target)
        .and_then(|store| store.head())
        .ok()
        .flatten()
        .filter(|head| {
            Head::compute_mac(head.seq, &head.hash, &key.derive(HEAD_MAC_CONTEXT)) == head.mac
        });
    Replaced { head }
}

/// Copies the backup beside the target, checks it (digest, key, chain, head) and records the
/// restore in it. Returns the record and the copy's new head.
fn prepare_copy(
    job: &RestoreJob<'_>,
    temporary: &Path,
    replaced: Option<&Replaced>,
) -> Result<(RestoreRecord, Head)> {
    let manifest = job.manifest;
    let source = job.dir.join(&manifest.database);
    if !fs::metadata(&source)
        .map_err(cannot("read the backup", &source))?
        .is_file()
    {
        return Err(Error::invalid(format!(
            "the backup's database `{}` is not a regular file",
            source.display()
        )));
    }
    fs::copy(&source, temporary).map_err(cannot("copy the backup to", temporary))?;
    set_mode(temporary, job.access.data_mode()).map_err(cannot("set the mode of", temporary))?;
    let (digest, bytes) = file_digest(temporary)?;
    if digest != manifest.database_sha256 || bytes != manifest.database_bytes {
        return Err(Error::new(
            ErrorCode::Integrity,
            format!(
                "the backup's database `{}` is not the file its manifest describes (its SHA-256 or size differs): it was damaged or replaced",
                source.display()
            ),
        ));
    }
    let head = {
        let store = SqliteStore::open_read_only(temporary)?;
        verified_head(&store, job.key)?
    };
    if head.seq != manifest.head_seq || hex::encode(&head.hash) != manifest.head_hash {
        return Err(Error::new(
            ErrorCode::Integrity,
            format!(
                "the backup's head (event {}) is not the manifest's (event {})",
                head.seq, manifest.head_seq
            ),
        ));
    }
    // Forward only when the replaced ledger's head is in the backup's chain.
    let replaced_head = replaced.and_then(|r| r.head.as_ref());
    let store = SqliteStore::open(temporary)?;
    let forward = match replaced_head {
        Some(old) => hash_at(&store, old.seq)? == Some(old.hash),
        None => replaced.is_none(),
    };
    let record = RestoreRecord {
        reason: job.reason.to_owned(),
        manifest_sha256: job.manifest_sha256.clone(),
        backup_created_at: manifest.created_at,
        backup_head_seq: manifest.head_seq,
        backup_head_hash: manifest.head_hash.clone(),
        replaced_head_seq: replaced_head.map(|h| h.seq),
        replaced_head_hash: replaced_head.map(|h| hex::encode(&h.hash)),
        replaced: replaced.is_some(),
        rollback: !forward,
    };
    let ledger = Ledger::with_store(
        Box::new(store),
        LedgerOptions {
            key: Some(job.key.clone()),
            key_file: None,
            catalogue: None,
            new_ledger_catalogue: None,
            actor: None,
            mode: super::OpenMode::OpenOrCreate,
            ..job.options.clone()
        },
    )?;
    let head = ledger.record_restore(job.actor, record.clone())?;
    drop(ledger);
    for suffix in ["-wal", "-shm"] {
        if occupied(&beside(temporary, suffix)) {
            return Err(Error::storage(
                "cannot finish the restored copy",
                "its WAL was not merged when it closed",
            ));
        }
    }
    let _ = fs::remove_file(lock_path(&canonical(temporary)?));
    sync_file(temporary)?;
    Ok((record, head))
}

/// Puts the checked copy in place: the key file (where none is), the replaced file kept
/// beside, the copy renamed over the target, the stale shared head counter removed.
fn install(
    job: &RestoreJob<'_>,
    temporary: &Path,
    replacing: bool,
) -> Result<(Option<PathBuf>, bool)> {
    let dir = parent_dir(job.real);
    let mut key_written = false;
    if let Some(key_file) = job.write_key {
        create_key_file(key_file, job.key, job.access)?;
        key_written = true;
    }
    // No process has the ledger open (checked under the lock): the shared head counter of the
    // replaced ledger would name events the restored one does not hold, and a WAL or its index
    // left by a crash belongs to the replaced file (its content was merged by `quiesce`).
    for suffix in [".head", ".snapshot", "-wal", "-shm"] {
        let stale = beside(job.real, suffix);
        if occupied(&stale) {
            fs::remove_file(&stale).map_err(cannot("remove", &stale))?;
        }
    }
    let kept = if replacing {
        let stamp = job
            .options
            .clock
            .now()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
            .replace(':', "");
        let aside = unused_beside(job.real, &format!(".replaced-{stamp}"))?;
        fs::hard_link(job.real, &aside).map_err(cannot("keep the replaced ledger as", &aside))?;
        Some(aside)
    } else {
        None
    };
    let renamed =
        fs::rename(temporary, job.real).map_err(cannot("move the restored ledger to", job.real));
    if let Err(error) = renamed {
        if let Some(aside) = &kept {
            let _ = fs::remove_file(aside);
        }
        if let (true, Some(key_file)) = (key_written, job.write_key) {
            let _ = fs::remove_file(key_file);
        }
        return Err(error);
    }
    sync_dir(&dir)?;
    Ok((kept, key_written))
}
