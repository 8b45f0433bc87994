//! Opening a ledger file: the key file beside it, the options document the bindings share,
//! and verifying a file without replaying it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use std::sync::Arc;

use super::{Ledger, LedgerOptions, OpenMode};
use crate::catalogue::{Catalogue, MAX_CATALOGUE_BYTES};
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::PseudonymKey;
use crate::model::parse_json;
use crate::model::party::Actor;
use crate::model::signed::ActorTrust;
use crate::store::memory::MemoryStore;
use crate::store::sqlite::{
    FileAccess, Found, SqliteStore, beside, emptied, existing_access, inspect, remove_created,
};

/// The path that opens an in-memory ledger.
pub const MEMORY_PATH: &str = ":memory:";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsDoc {
    #[serde(default)]
    key_file: Option<PathBuf>,
    #[serde(default)]
    key_hex: Option<String>,
    #[serde(default)]
    test_mode: bool,
    #[serde(default)]
    accept_pid2032: Option<bool>,
    #[serde(default)]
    catalogue_file: Option<PathBuf>,
    #[serde(default)]
    clock: Option<DateTime<Utc>>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    group_access: bool,
    #[serde(default)]
    actor: Option<Actor>,
    #[serde(default)]
    write_wait_ms: Option<u64>,
    #[serde(default)]
    max_staleness_ms: Option<u64>,
    #[serde(default)]
    actor_trust: Option<ActorTrustDoc>,
}

/// `"actor_trust"`: whose signed actors the ledger believes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorTrustDoc {
    issuer: String,
    jwks_file: PathBuf,
    #[serde(default)]
    id_claim: Option<String>,
    #[serde(default)]
    role_claim: Option<String>,
    #[serde(default)]
    audience: Option<String>,
}

impl ActorTrustDoc {
    fn into_trust(self) -> Result<ActorTrust> {
        let trust = ActorTrust::from_jwks_file(&self.issuer, &self.jwks_file)
            .map_err(|e| e.context("ledger options: actor_trust"))?;
        let claim = |name: Option<String>, default: &str, what: &str| -> Result<String> {
            match name {
                None => Ok(default.to_owned()),
                Some(name) if !name.trim().is_empty() && name.len() <= 128 => Ok(name),
                Some(_) => Err(Error::invalid(format!(
                    "ledger options: actor_trust.{what} must be a claim name of 1 to 128 bytes"
                ))),
            }
        };
        let trust = trust.with_claims(
            &claim(self.id_claim, "sub", "id_claim")?,
            &claim(self.role_claim, "role", "role_claim")?,
        );
        Ok(match self.audience {
            Some(audience) if audience.trim().is_empty() => {
                return Err(Error::invalid(
                    "ledger options: actor_trust.audience is empty",
                ));
            }
            Some(audience) => trust.with_audience(&audience),
            None => trust,
        })
    }
}

impl ActorTrust {
    /// Reads the `actor_trust` object of the options document, `{"issuer":
    /// "https://login.kommune.no", "jwks_file": "idp.jwks.json", "id_claim": "sub",
    /// "role_claim": "role", "audience": "consent"}` (issuer and JWKS file required): for hosts
    /// that configure the trust apart from the rest of the options (the Python package, the CLI).
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field, an empty claim name or audience, or a
    /// bad JWKS document; `Storage` when the JWKS file cannot be read.
    pub fn from_config_json(json: &str) -> Result<ActorTrust> {
        let doc: ActorTrustDoc = parse_json(json, "actor_trust")?;
        doc.into_trust()
    }
}

impl LedgerOptions {
    /// Reads the options document that the C ABI and the Python package pass:
    /// `{"key_file": "...", "key_hex": "64 hex digits", "test_mode": false,
    /// "accept_pid2032": true, "catalogue_file": "catalogue.toml",
    /// "mode": "open_or_create" | "create" | "read_only", "group_access": false,
    /// "clock": "2026-01-05T10:00:00Z", "actor": {"id": "...", "role": "..."},
    /// "write_wait_ms": 5000, "max_staleness_ms": 0, "actor_trust": {"issuer":
    /// "https://login.kommune.no", "jwks_file": "idp.jwks.json", "id_claim": "sub",
    /// "role_claim": "role", "audience": "consent"}}`, every field optional; `actor_trust`
    /// (issuer and JWKS file required, the rest optional) is whose signed actors the ledger
    /// believes ([`LedgerOptions::with_actor_trust`]); `write_wait_ms`
    /// bounds how long a write waits for another process's write lock
    /// ([`LedgerOptions::with_write_wait`]); `max_staleness_ms` lets decisions on a ledger
    /// other hosts write answer from a head check that old
    /// ([`LedgerOptions::with_max_staleness_ms`]); `actor` records the adoption of a new
    /// ledger's catalogue ([`LedgerOptions::with_actor`]); `clock` (a test clock,
    /// [`LedgerOptions::with_test_clock`]) only with `test_mode`. The document is at most
    /// 64 KiB.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field, a bad key, or a clock outside test
    /// mode, or a bad `actor_trust` (as [`ActorTrust::from_jwks`]);
    /// `InvalidCatalogue` for a catalogue file that does not validate; `Storage` when the
    /// catalogue or JWKS file cannot be read.
    pub fn from_json(json: &str) -> Result<LedgerOptions> {
        let doc: OptionsDoc = parse_json(json, "ledger options")?;
        let mut options = LedgerOptions {
            key_file: doc.key_file,
            ..LedgerOptions::default()
        };
        options.mode = match doc.mode.as_deref() {
            None | Some("open_or_create") => OpenMode::OpenOrCreate,
            Some("create") => OpenMode::Create,
            Some("read_only") => OpenMode::ReadOnly,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "ledger options: `mode` `{}` is not one of open_or_create, create, read_only",
                    crate::error::printable(other)
                )));
            }
        };
        options.actor = doc.actor;
        if let Some(trust) = doc.actor_trust {
            options.actor_trust = Some(trust.into_trust()?);
        }
        options.write_wait = match doc.write_wait_ms {
            None => None,
            Some(0) => {
                return Err(Error::invalid(
                    "ledger options: `write_wait_ms` must be at least 1 (leave it out to wait as long as it takes)",
                ));
            }
            Some(ms) => Some(std::time::Duration::from_millis(ms)),
        };
        if let Some(ms) = doc.max_staleness_ms {
            options.max_staleness_ms = ms;
        }
        if doc.group_access {
            options.file_access = FileAccess::Group;
        }
        if let Some(key) = doc.key_hex {
            let bytes =
                hex::decode(&key).ok_or_else(|| Error::invalid("key_hex must be 64 hex digits"))?;
            options.key = Some(PseudonymKey::from_slice(&bytes)?);
        }
        options.id_options.test_mode = doc.test_mode;
        if let Some(accept) = doc.accept_pid2032 {
            options.id_options.accept_pid2032 = accept;
        }
        if let Some(at) = doc.clock {
            if !doc.test_mode {
                return Err(Error::invalid(
                    "`clock` sets the ledger's clock, which only a test-mode ledger allows (`\"test_mode\": true`)",
                ));
            }
            crate::time::to_micros(at, "clock")?;
            options = options.with_test_clock(at);
        }
        if let Some(path) = doc.catalogue_file {
            options.catalogue = Some(Catalogue::from_toml(&read_catalogue_file(&path)?)?);
        }
        Ok(options)
    }
}

/// Reads a catalogue file of at most [`MAX_CATALOGUE_BYTES`]: a regular file (a FIFO would
/// block, a device never end), read no further than that.
pub fn read_catalogue_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let shown = path.display();
    let cannot = |e: std::io::Error| Error::storage(&format!("cannot read catalogue `{shown}`"), e);
    if !fs::metadata(path).map_err(cannot)?.is_file() {
        return Err(Error::invalid(format!(
            "catalogue `{shown}` is not a regular file"
        )));
    }
    let mut text = String::new();
    fs::File::open(path)
        .map_err(cannot)?
        .take(u64::try_from(MAX_CATALOGUE_BYTES).map_err(|_| Error::invalid("limit"))? + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() > MAX_CATALOGUE_BYTES {
        return Err(Error::new(
            ErrorCode::InvalidCatalogue,
            format!("catalogue `{shown}` is larger than {MAX_CATALOGUE_BYTES} bytes"),
        ));
    }
    Ok(text)
}

/// `<database>.key`.
fn default_key_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// The most bytes a key file holds: 64 hex digits and a line ending (`\r\n` at most).
const KEY_FILE_MAX: usize = 66;

/// Reads a key file: a regular file that no other user may read or write (the owner's group may
/// read it, for service accounts that share a ledger), of at most [`KEY_FILE_MAX`] bytes.
///
/// A FIFO would block the read and `/dev/zero` would never end it, so anything but a regular file
/// is refused before it is opened, and the file that was opened is checked to be the one that
/// was inspected.
pub(super) fn read_key(path: &Path) -> Result<PseudonymKey> {
    use std::io::Read;
    let shown = path.display();
    let inspected = fs::metadata(path)
        .map_err(|e| Error::storage(&format!("cannot read key file `{shown}`"), e))?;
    check_key_metadata(path, &inspected)?;
    let file = fs::File::open(path)
        .map_err(|e| Error::storage(&format!("cannot read key file `{shown}`"), e))?;
    let opened = file
        .metadata()
        .map_err(|e| Error::storage(&format!("cannot read key file `{shown}`"), e))?;
    check_key_metadata(path, &opened)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (opened.dev(), opened.ino()) != (inspected.dev(), inspected.ino()) {
            return Err(Error::storage(
                &format!("cannot read key file `{shown}`"),
                "it was replaced while it was being opened",
            ));
        }
    }
    let mut bytes = Vec::with_capacity(KEY_FILE_MAX + 1);
    // One byte more than a key file holds shows that it holds more.
    file.take(67)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::storage(&format!("cannot read key file `{shown}`"), e))?;
    if bytes.len() > KEY_FILE_MAX {
        return Err(Error::invalid(format!(
            "key file `{shown}` is larger than a key (32 bytes or 64 hex digits)"
        )));
    }
    if bytes.len() == PseudonymKey::LEN {
        return PseudonymKey::from_slice(&bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let decoded = hex::decode(text.trim()).ok_or_else(|| {
        Error::invalid(format!(
            "key file `{shown}` must hold 32 bytes or 64 hex digits"
        ))
    })?;
    PseudonymKey::from_slice(&decoded).map_err(|e| e.context(format!("key file `{shown}`")))
}

/// A key file must be a regular file that other users can neither read nor write.
fn check_key_metadata(path: &Path, metadata: &fs::Metadata) -> Result<()> {
    if !metadata.is_file() {
        return Err(Error::invalid(format!(
            "key file `{}` is not a regular file",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o007 != 0 {
            return Err(Error::invalid(format!(
                "key file `{}` can be read or written by other users (mode {mode:04o}); restrict it with `chmod 600 {}` (or `chmod 640` for a group of service accounts)",
                path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// Reads a pseudonym key file as a file ledger does (a private regular file of 32 bytes or
/// 64 hex digits): for a store outside this crate, whose key the host keeps in a file.
///
/// # Errors
/// `Storage` when it cannot be read; `InvalidInput` when it is not private or not a key.
pub fn read_key_file(path: &Path) -> Result<PseudonymKey> {
    read_key(path)
}

/// Writes a new key file as a new file ledger does (0600, or 0640 for a group; never over an
/// existing file): for a store outside this crate, whose key the host keeps in a file.
///
/// # Errors
/// `Storage` when it cannot be written or already exists.
pub fn write_key_file(path: &Path, key: &PseudonymKey, access: FileAccess) -> Result<()> {
    create_key_file(path, key, access)
}

/// Whether `location` is a PostgreSQL URL (`postgresql://` or `postgres://`), which
/// consent-postgres opens, rather than a file path.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.get(..13).map(str::to_ascii_lowercase);
    lower.as_deref() == Some("postgresql://")
        || location
            .get(..11)
            .is_some_and(|p| p.eq_ignore_ascii_case("postgres://"))
}

/// Writes a new key file with `access`'s mode (0600, or 0640 for a group), whatever the umask.
/// The key is written under a temporary name and renamed into place, so a key file that
/// exists is always whole.
pub(super) fn create_key_file(path: &Path, key: &PseudonymKey, access: FileAccess) -> Result<()> {
    let shown = path.display();
    let temporary = beside(path, ".new");
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(access.key_mode());
    }
    let mut file = options
        .open(&temporary)
        .map_err(|e| Error::storage(&format!("cannot create key file `{shown}`"), e))?;
    let written = (|| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(access.key_mode()))?;
        }
        file.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())?;
        file.sync_all()?;
        // Never over an existing key file (a race with another creator): link, then unlink.
        fs::hard_link(&temporary, path)
    })();
    let _ = fs::remove_file(&temporary);
    written.map_err(|e| Error::storage(&format!("cannot write key file `{shown}`"), e))
}

/// Where a file ledger's key is kept: the `key_file` option or `<database>.key`.
pub(super) fn key_path(path: &Path, options: &LedgerOptions) -> PathBuf {
    options
        .key_file
        .clone()
        .unwrap_or_else(|| default_key_path(path))
}

/// Whether anything (even a dangling link) is at `path`.
pub(super) fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// The key of an existing ledger file: given, or read from its key file. Never creates one.
pub(super) fn existing_key(path: &Path, options: &LedgerOptions) -> Result<PseudonymKey> {
    if let Some(key) = &options.key {
        return Ok(key.clone());
    }
    let key_path = key_path(path, options);
    if !occupied(&key_path) {
        return Err(Error::new(
            ErrorCode::KeyMismatch,
            format!(
                "the ledger `{}` exists but its key file `{}` is missing",
                path.display(),
                key_path.display()
            ),
        ));
    }
    read_key(&key_path)
}

impl Ledger {
    /// Opens the ledger at `path`: the embedded SQLite store, durable on return. `":memory:"`
    /// opens an in-memory ledger.
    ///
    /// With the default [`OpenMode::OpenOrCreate`] a path where neither the database nor its
    /// key file exists gets a new ledger and key file (0600, or 0660 and 0640 with
    /// [`FileAccess::Group`]); an existing ledger is opened; and a key file without its
    /// database, or an empty file where the database should be, is an `Integrity` error (the
    /// ledger was deleted or emptied), never a new, empty ledger. [`OpenMode::Create`] creates
    /// a ledger (adopting an existing key file) and [`OpenMode::ReadOnly`] opens one without
    /// creating or writing anything. A failed open leaves every file as it was.
    ///
    /// Opening checks the key, replays every event into the projection and verifies the chain.
    ///
    /// Any number of processes (and handles in one process) may have one ledger file open at
    /// once, each with its own projection. A write takes the file's lock for that write only,
    /// first applies what the others committed, then validates and appends; a decision sees
    /// every write acknowledged anywhere before it started (a head counter in
    /// `<database>.head`, shared through memory, tells it when to catch up), and reports the
    /// position it was made at ([`Decision::as_of_seq`](crate::Decision::as_of_seq)). A ledger
    /// built with [`Ledger::with_store`] over a [`SqliteStore`] does none of this: it must be
    /// the file's only writer.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("consent.db");
    /// let ledger = Ledger::open(&path, LedgerOptions::default())?; // creates it and its key file
    /// drop(ledger);
    /// let reopened = Ledger::open(&path, LedgerOptions::default())?;
    /// assert!(reopened.verify()?.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Locked` when another process is creating the ledger (`Create` mode) or upgrading its
    /// format (an ordinary open waits for either to finish); `KeyMismatch` for a wrong or
    /// missing key; `Integrity` naming the first bad event, or for a deleted or emptied ledger;
    /// `NotFound` for a missing ledger in `ReadOnly` mode; `Conflict` for an existing file in
    /// `Create` mode; `UnsupportedVersion` for a file of another format (a format-1 file names
    /// the upgrade command); `Storage` for a file that is not a consent ledger, a file with a
    /// second hard link, or a shared head file that cannot be used;
    /// `InvalidInput` for a `key_file` with `":memory:"` or a key file that is not private.
    pub fn open(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Ledger> {
        let path = path.as_ref();
        if path.to_str().is_some_and(is_postgres_url) {
            // Never a file named after a URL: consent-core keeps no network dependency.
            return Err(Error::invalid(
                "a PostgreSQL URL is opened by consent-postgres (`consent_postgres::open`), which the C library, the Python package and the CLI include",
            ));
        }
        if path.as_os_str() == MEMORY_PATH {
            if options.key_file.is_some() {
                return Err(Error::invalid(format!(
                    "`key_file` applies only to a ledger file, not to `{MEMORY_PATH}`"
                )));
            }
            if options.mode == OpenMode::ReadOnly {
                return Err(Error::invalid(format!(
                    "`{MEMORY_PATH}` cannot be opened read-only: it is new and empty"
                )));
            }
            return Ledger::with_store(Box::new(MemoryStore::new()), options);
        }
        match options.mode {
            OpenMode::ReadOnly => open_existing(path, options, true),
            OpenMode::Create => create(path, options),
            OpenMode::OpenOrCreate => match inspect(path)? {
                Found::Absent => {
                    let key_path = key_path(path, &options);
                    if options.key.is_none() && occupied(&key_path) {
                        return Err(Error::new(
                            ErrorCode::Integrity,
                            format!(
                                "the key file `{}` exists but its ledger `{}` does not: the ledger was deleted or moved; restore it from a backup (to start a new ledger with this key, create it explicitly, as `consent init` does)",
                                key_path.display(),
                                path.display()
                            ),
                        ));
                    }
                    create(path, options)
                }
                Found::Empty => Err(emptied(path)),
                Found::Sqlite => open_existing(path, options, false),
            },
        }
    }
}

/// Opens an existing ledger file, for writing or read-only, beside any other processes that
/// have it open. Nothing is created: not a key, not a lock file for a file that is not a ledger
/// (one this open made is removed when it fails).
fn open_existing(path: &Path, options: LedgerOptions, read_only: bool) -> Result<Ledger> {
    let store = Arc::new(if read_only {
        SqliteStore::open_read_only(path)?
    } else {
        SqliteStore::open(path)?
    });
    store.set_write_wait(options.write_wait);
    let lock_made = store
        .created_lock_file()
        .then(|| store.lock_file_path())
        .flatten();
    let snapshot =
        crate::store::lock::canonical(path).map(|real| super::snapshot::snapshot_path(&real))?;
    let opened = existing_key(path, &options)
        .and_then(|key| {
            Ledger::build_with(
                Box::new(Arc::clone(&store)),
                LedgerOptions {
                    key: Some(key),
                    ..options
                },
                false,
                Some(&snapshot),
            )
        })
        .and_then(|ledger| match store.shared_path() {
            Some(real) => ledger
                .share(real, existing_access(path), !read_only)
                .map(|()| ledger),
            None => Ok(ledger),
        })
        .and_then(|ledger| {
            if !read_only {
                ledger.keep_snapshots(snapshot, existing_access(path).data_mode())?;
            }
            Ok(ledger)
        });
    if opened.is_err() {
        drop(store);
        if let Some(made) = lock_made {
            let _ = fs::remove_file(made);
        }
    }
    opened
}

/// Creates a new ledger file: its key is given, read from an existing key file (adopted), or
/// made now and written once the database holds its first state, so a key file always belongs
/// to a ledger that was created. Nothing is left behind when it fails.
fn create(path: &Path, options: LedgerOptions) -> Result<Ledger> {
    let access = options.file_access;
    let (key, new_key_file) = match &options.key {
        Some(key) => (key.clone(), None),
        None => {
            let key_path = key_path(path, &options);
            if occupied(&key_path) {
                (read_key(&key_path)?, None)
            } else {
                (PseudonymKey::generate()?, Some(key_path))
            }
        }
    };
    let store = Arc::new(SqliteStore::create_held(path, access)?);
    store.set_write_wait(options.write_wait);
    let lock_made = store
        .created_lock_file()
        .then(|| store.lock_file_path())
        .flatten();
    let created = Ledger::build(
        Box::new(Arc::clone(&store)),
        LedgerOptions {
            key: Some(key.clone()),
            ..options
        },
        true,
    )
    .and_then(|ledger| match &new_key_file {
        Some(key_path) => create_key_file(key_path, &key, access).map(|()| ledger),
        None => Ok(ledger),
    })
    .and_then(|ledger| match store.shared_path() {
        Some(real) => ledger.share(real, access, true).map(|()| ledger),
        None => Ok(ledger),
    })
    .and_then(|ledger| store.finish_creation().map(|()| ledger))
    .and_then(|ledger| {
        let real = crate::store::lock::canonical(path)?;
        ledger.keep_snapshots(super::snapshot::snapshot_path(&real), access.data_mode())?;
        Ok(ledger)
    });
    if created.is_err() {
        drop(store);
        remove_created(path, lock_made.as_deref());
    }
    created
}
