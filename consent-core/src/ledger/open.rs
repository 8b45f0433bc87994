//! Opening a ledger file: the key file beside it, the options document the bindings share,
//! and verifying a file without replaying it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Ledger, LedgerOptions, meta};
use crate::catalogue::Catalogue;
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::id::pseudonym::PseudonymKey;
use crate::model::json_error;
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::sqlite::SqliteStore;

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
}

impl LedgerOptions {
    /// Reads the options document that the C ABI and the Python package pass:
    /// `{"key_file": "...", "key_hex": "64 hex digits", "test_mode": false,
    /// "accept_pid2032": true, "catalogue_file": "catalogue.toml"}`, every field optional.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field or a bad key;
    /// `InvalidCatalogue` for a catalogue file that does not validate; `Storage` when the
    /// catalogue file cannot be read.
    pub fn from_json(json: &str) -> Result<LedgerOptions> {
        let doc: OptionsDoc =
            serde_json::from_str(json).map_err(|e| json_error("ledger options", &e))?;
        let mut options = LedgerOptions {
            key_file: doc.key_file,
            ..LedgerOptions::default()
        };
        if let Some(key) = doc.key_hex {
            let bytes =
                hex::decode(&key).ok_or_else(|| Error::invalid("key_hex must be 64 hex digits"))?;
            options.key = Some(PseudonymKey::from_slice(&bytes)?);
        }
        options.id_options.test_mode = doc.test_mode;
        if let Some(accept) = doc.accept_pid2032 {
            options.id_options.accept_pid2032 = accept;
        }
        if let Some(path) = doc.catalogue_file {
            let text = fs::read_to_string(&path).map_err(|e| {
                Error::storage(&format!("cannot read catalogue `{}`", path.display()), e)
            })?;
            options.catalogue = Some(Catalogue::from_toml(&text)?);
        }
        Ok(options)
    }
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

/// Creates a key file readable and writable by its owner only.
fn create_key(path: &Path) -> Result<PseudonymKey> {
    let key = PseudonymKey::generate()?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::storage(&format!("cannot create key file `{}`", path.display()), e))?;
    file.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::storage(&format!("cannot write key file `{}`", path.display()), e))?;
    Ok(key)
}

/// The key for a ledger file: given, read from its key file, or created with a new ledger.
pub(super) fn resolve_key(
    store: &dyn Store,
    path: &Path,
    options: &LedgerOptions,
) -> Result<PseudonymKey> {
    if let Some(key) = &options.key {
        return Ok(key.clone());
    }
    let key_path = options
        .key_file
        .clone()
        .unwrap_or_else(|| default_key_path(path));
    if key_path.exists() {
        return read_key(&key_path);
    }
    if store.meta(meta::KEY_CHECK)?.is_some() {
        return Err(Error::new(
            ErrorCode::KeyMismatch,
            format!(
                "the ledger `{}` exists but its key file `{}` is missing",
                path.display(),
                key_path.display()
            ),
        ));
    }
    create_key(&key_path)
}

impl Ledger {
    /// Opens the ledger at `path`, creating it (and its key file) on first use: the embedded
    /// SQLite store, durable on return. `":memory:"` opens an in-memory ledger.
    ///
    /// Opening checks the key, replays every event into the projection and verifies the chain.
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
    /// `Locked` when another process has it open; `KeyMismatch` for a wrong or missing key;
    /// `Integrity` naming the first bad event; `UnsupportedVersion`; `Storage`;
    /// `InvalidInput` for a `key_file` with `":memory:"`.
    pub fn open(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Ledger> {
        let path = path.as_ref();
        if path.as_os_str() == MEMORY_PATH {
            if options.key_file.is_some() {
                return Err(Error::invalid(format!(
                    "`key_file` applies only to a ledger file, not to `{MEMORY_PATH}`"
                )));
            }
            return Ledger::with_store(Box::new(MemoryStore::new()), options);
        }
        let store = SqliteStore::open(path)?;
        let key = resolve_key(&store, path, &options)?;
        Ledger::with_store(
            Box::new(store),
            LedgerOptions {
                key: Some(key),
                ..options
            },
        )
    }
}
