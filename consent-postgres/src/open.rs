//! [`open`]: one entry point for every surface (the C library, the Python package, the CLI)
//! that takes a file path, `":memory:"` or a PostgreSQL URL.

use std::path::Path;

use consent_core::{
    Error, ErrorCode, Ledger, LedgerOptions, OpenMode, PseudonymKey, Result, is_postgres_url,
    read_key_file, write_key_file,
};

use crate::log::PgLog;

/// Opens the ledger at `location`: a file path or `":memory:"` as [`Ledger::open`] does, or a
/// `postgresql://` (or `postgres://`) URL, whose `?schema=NAME` names the ledger's schema.
///
/// For PostgreSQL the pseudonym key comes from the host, never from the database (which holds
/// only its check value): `options.key`, or the key file `options.key_file` names. With
/// [`OpenMode::OpenOrCreate`] a schema without a ledger gets a new one, and a key file that does
/// not exist yet is created (0600) before the ledger, holding a new key; with
/// [`OpenMode::Create`] the schema must not hold a ledger yet.
///
/// # Errors
/// As [`Ledger::open`] for a path. For a URL: `Storage` for a malformed URL, a server that is
/// down or a refused login (no message carries the password); `KeyMismatch` for a key other
/// than the ledger's, or a key file missing for a ledger that exists; `UnsupportedVersion` for
/// tables or a ledger of another format version; `Conflict` in `Create` mode for a schema that
/// holds a ledger; `InvalidInput` without a key or key file. [`OpenMode::ReadOnly`] creates
/// nothing, takes no lock and refuses every write ([`PgLog::open_read_only`]); a schema without
/// a ledger is `NotFound` there.
pub fn open(location: &str, options: LedgerOptions) -> Result<Ledger> {
    if is_postgres_url(location) {
        open_postgres(location, options)
    } else {
        Ledger::open(location, options)
    }
}

fn open_postgres(url: &str, options: LedgerOptions) -> Result<Ledger> {
    if options.mode == OpenMode::ReadOnly {
        return open_read_only(url, options);
    }
    let (key, new_key_file) = match (&options.key, &options.key_file) {
        (Some(key), _) => (key.clone(), None),
        (None, Some(path)) if std::fs::symlink_metadata(path).is_ok() => {
            (read_key_file(path)?, None)
        }
        (None, Some(path)) => (PseudonymKey::generate()?, Some(path.clone())),
        (None, None) => return Err(keyless()),
    };
    let log = PgLog::open(url)?;
    let holds = holds_ledger(&log)?;
    if holds && options.mode == OpenMode::Create {
        return Err(Error::new(
            ErrorCode::Conflict,
            format!("the schema `{}` already holds a ledger", log.schema()),
        ));
    }
    if let Some(path) = &new_key_file {
        if holds {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                format!(
                    "the ledger in schema `{}` exists but its key file `{}` is missing",
                    log.schema(),
                    path.display()
                ),
            ));
        }
        write_key_file(path, &key, options.file_access)?;
    }
    let opened = Ledger::with_store(Box::new(log), options.with_key(key));
    if opened.is_err()
        && let Some(path) = &new_key_file
    {
        remove_new_key_file(path);
    }
    opened
}

/// A PostgreSQL ledger opened for reading only: nothing is created, no key file written, no
/// lock taken; decisions still check the head.
fn open_read_only(url: &str, options: LedgerOptions) -> Result<Ledger> {
    let key = match (&options.key, &options.key_file) {
        (Some(key), _) => key.clone(),
        (None, Some(path)) if std::fs::symlink_metadata(path).is_ok() => read_key_file(path)?,
        (None, Some(path)) => {
            return Err(Error::new(
                ErrorCode::KeyMismatch,
                format!("the key file `{}` is missing", path.display()),
            ));
        }
        (None, None) => return Err(keyless()),
    };
    let log = PgLog::open_read_only(url)?;
    if !holds_ledger(&log)? {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("the schema `{}` holds no ledger", log.schema()),
        ));
    }
    Ledger::with_store(Box::new(log), options.with_key(key))
}

fn keyless() -> Error {
    Error::new(
        ErrorCode::InvalidInput,
        "a PostgreSQL ledger needs the host's pseudonym key (a key file, or the key's bytes): the database holds only its check value",
    )
}

/// Removes a key file this open wrote for a ledger it could not create (the error that stopped
/// it is what the caller learns; a file left behind holds a key no ledger uses).
fn remove_new_key_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// Whether the schema holds a ledger (its key check value, or any event).
fn holds_ledger(log: &PgLog) -> Result<bool> {
    Ok(log.meta("key_check")?.is_some() || log.last_seq()? > 0)
}
