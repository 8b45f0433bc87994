//! The embedded SQLite store: the default. WAL journal, `synchronous = FULL` (a commit that
//! returns is on disk), one writing process at a time (an exclusive lock file beside the
//! database).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::{Error, ErrorCode, Result};
use crate::log::record::{EventRecord, Head};
use crate::store::{Batch, Store, Stream, SubjectKey};

/// The file format version, kept in SQLite's `user_version`.
const FILE_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER PRIMARY KEY,
    subject BLOB,
    header  TEXT NOT NULL,
    payload BLOB NOT NULL,
    hash    BLOB NOT NULL
) STRICT;
-- The first 8 bytes of the pseudonym find a subject's events; the index is half the size of
-- one on the whole pseudonym, and a bulk import rewrites much of it on every commit.
CREATE INDEX IF NOT EXISTS events_by_subject ON events(substr(subject, 1, 8)) WHERE subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS subject_keys (
    subject   BLOB NOT NULL,
    since_seq INTEGER NOT NULL,
    wrapped   BLOB NOT NULL
) STRICT;
";

const HEAD_KEY: &str = "head";

/// Inserts one record of a write (see `SqliteStore::write`).
type Insert<'a> = dyn FnMut(&EventRecord) -> Result<()> + 'a;

/// Events in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    // Field order matters: the connection closes before the lock is released.
    conn: Mutex<Connection>,
    _lock: File,
    path: PathBuf,
}

fn sql(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::storage(context, e)
}

/// The lock file that keeps a second process from writing the same ledger.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` for writing.
    ///
    /// # Errors
    /// `Locked` when another process has the ledger open; `UnsupportedVersion` for a file of
    /// another format version; `Storage` when the file is not a consent ledger or cannot be
    /// opened.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(path))
            .map_err(|e| Error::storage("cannot create the ledger's lock file", e))?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorCode::Locked,
                    format!(
                        "the ledger `{}` is open for writing in another process",
                        path.display()
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::storage("cannot lock the ledger", e));
            }
        }
        let conn = Connection::open(path).map_err(sql("cannot open the ledger database"))?;
        let not_ledger = |e: rusqlite::Error| {
            Error::storage(
                &format!("`{}` is not a consent ledger database", path.display()),
                e,
            )
        };
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(not_ledger)?;
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                [],
                |row| row.get(0),
            )
            .map_err(not_ledger)?;
        if version == 0 && tables > 0 {
            return Err(Error::storage(
                &format!("`{}` is not a consent ledger database", path.display()),
                "it holds other tables",
            ));
        }
        if version != 0 && version != FILE_VERSION {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "ledger file format {version} is not supported by this version (expected {FILE_VERSION})"
                ),
            ));
        }
        if version == 0 {
            // Before the first table and the WAL: a new file only. Rows are about 1 KB, so
            // 16 KiB pages hold a dozen each and a replay reads a quarter as many pages.
            conn.execute_batch("PRAGMA page_size = 16384;")
                .map_err(sql("cannot configure the ledger database"))?;
        }
        let journal: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sql("cannot enable the WAL journal"))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(Error::storage("cannot enable the WAL journal", journal));
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 4096;",
        )
        .map_err(sql("cannot configure the ledger database"))?;
        if version == 0 {
            let tx = conn
                .unchecked_transaction()
                .map_err(sql("cannot create the ledger schema"))?;
            tx.execute_batch(SCHEMA)
                .map_err(sql("cannot create the ledger schema"))?;
            tx.pragma_update(None, "user_version", FILE_VERSION)
                .map_err(sql("cannot create the ledger schema"))?;
            tx.commit()
                .map_err(sql("cannot create the ledger schema"))?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            _lock: lock_file,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One write transaction: the records `feed` hands to its callback, in order and starting
    /// at the next sequence number, then key changes and the head.
    fn write(
        &self,
        feed: &mut dyn FnMut(&mut Insert<'_>) -> Result<()>,
        new_keys: &[SubjectKey],
        destroyed_keys: &[[u8; 16]],
        head: &mut dyn FnMut() -> Result<Head>,
    ) -> Result<()> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("cannot begin a write"))?;
        let last: Option<i64> = tx
            .query_row("SELECT max(seq) FROM events", [], |row| row.get(0))
            .map_err(sql("cannot read the log's end"))?;
        let mut next = last.unwrap_or(0) + 1;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (seq, subject, header, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(sql("cannot append"))?;
            feed(&mut |record: &EventRecord| {
                let seq = to_i64(record.seq)?;
                if seq != next {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!("event {} is not the next event {next}", record.seq),
                    ));
                }
                next += 1;
                insert
                    .execute(params![
                        seq,
                        record.subject.as_ref().map(|s| s.as_slice()),
                        record.header,
                        record.payload,
                        record.hash.as_slice(),
                    ])
                    .map_err(sql("cannot append"))?;
                Ok(())
            })?;
        }
        // subject_keys has no index on `subject`: new keys are appended, never inserted at a
        // random place (a bulk import stores one per new subject), and the rare erasure
        // scans the table instead. The ledger keeps one key per subject.
        for subject in destroyed_keys {
            tx.execute(
                "DELETE FROM subject_keys WHERE subject = ?1",
                params![subject.as_slice()],
            )
            .map_err(sql("cannot destroy a subject key"))?;
        }
        if !new_keys.is_empty() {
            // Cached like the event insert: a bulk import stores one key per new subject,
            // and preparing the statement for each was about 3% of its time.
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO subject_keys (subject, since_seq, wrapped) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql("cannot store a subject key"))?;
            for key in new_keys {
                insert
                    .execute(params![
                        key.subject.as_slice(),
                        to_i64(key.since_seq)?,
                        key.wrapped
                    ])
                    .map_err(sql("cannot store a subject key"))?;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![HEAD_KEY, head()?.encode()],
        )
        .map_err(sql("cannot append"))?;
        tx.commit().map_err(sql("cannot commit"))?;
        if !destroyed_keys.is_empty() {
            // secure_delete zeroed the rows in the database pages; move them out of the WAL
            // too. The batch is already durable, so this is best effort: a reader holding the
            // WAL (a backup, a shell) delays it to the next checkpoint, never fails the write.
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::storage("ledger database", "a writer panicked"))
    }
}

/// A stored column that cannot be what the ledger wrote: the row was altered.
fn malformed(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Blob,
        format!("malformed {what}").into(),
    )
}

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRecord> {
    let seq: i64 = row.get(0)?;
    let subject: Option<Vec<u8>> = row.get(1)?;
    let hash: Vec<u8> = row.get(4)?;
    Ok(EventRecord {
        seq: u64::try_from(seq).map_err(|_| malformed(0, "sequence number"))?,
        subject: subject
            .map(|s| s.try_into().map_err(|_| malformed(1, "subject")))
            .transpose()?,
        header: row.get(2)?,
        payload: row.get(3)?,
        hash: hash.try_into().map_err(|_| malformed(4, "hash"))?,
    })
}

fn to_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::invalid("sequence number out of range"))
}

impl Store for SqliteStore {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        self.write(
            &mut |insert| batch.records.iter().try_for_each(&mut *insert),
            batch.new_keys,
            batch.destroyed_keys,
            &mut || Ok(batch.head.clone()),
        )
    }

    fn append_stream(&self, stream: Stream<'_>) -> Result<()> {
        let chunks = stream.chunks;
        self.write(
            &mut |insert| {
                for chunk in &mut *chunks {
                    chunk?.iter().try_for_each(&mut *insert)?;
                }
                Ok(())
            },
            stream.new_keys,
            stream.destroyed_keys,
            stream.head,
        )
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        let conn = self.lock()?;
        let mut statement = conn
            .prepare("SELECT subject, since_seq, wrapped FROM subject_keys")
            .map_err(sql("cannot read subject keys"))?;
        let mut rows = statement
            .query([])
            .map_err(sql("cannot read subject keys"))?;
        while let Some(row) = rows.next().map_err(sql("cannot read subject keys"))? {
            let subject: Vec<u8> = row.get(0).map_err(sql("cannot read subject keys"))?;
            let since: i64 = row.get(1).map_err(sql("cannot read subject keys"))?;
            let wrapped: Vec<u8> = row.get(2).map_err(sql("cannot read subject keys"))?;
            let subject: [u8; 16] = subject.try_into().map_err(|_| {
                Error::new(
                    ErrorCode::Integrity,
                    "a subject key row has a malformed subject",
                )
            })?;
            visit(SubjectKey {
                subject,
                since_seq: u64::try_from(since).map_err(|_| {
                    Error::new(
                        ErrorCode::Integrity,
                        "a subject key row has a malformed sequence number",
                    )
                })?,
                wrapped,
            })?;
        }
        Ok(())
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        let conn = self.lock()?;
        let mut statement = conn
            .prepare("SELECT seq, subject, header, payload, hash FROM events WHERE seq >= ?1 ORDER BY seq")
            .map_err(sql("cannot read the log"))?;
        let mut rows = statement
            .query(params![to_i64(from_seq)?])
            .map_err(sql("cannot read the log"))?;
        while let Some(row) = rows.next().map_err(sql("cannot read the log"))? {
            visit(record_from_row(row).map_err(sql("cannot read the log"))?)?;
        }
        Ok(())
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        let conn = self.lock()?;
        let mut statement = conn
            .prepare_cached(
                // Uses events_by_subject in either form: on the 8-byte prefix (files made since
                // the prefix index) or on the whole pseudonym (older files).
                "SELECT seq, subject, header, payload, hash FROM events
                 WHERE substr(subject, 1, 8) = substr(?1, 1, 8) AND subject = ?1 ORDER BY seq",
            )
            .map_err(sql("cannot read the log"))?;
        let rows = statement
            .query_map(params![subject.as_slice()], record_from_row)
            .map_err(sql("cannot read the log"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql("cannot read the log"))
    }

    fn head(&self) -> Result<Option<Head>> {
        match self.meta(HEAD_KEY)? {
            None => Ok(None),
            Some(text) => Head::decode(&text)
                .map(Some)
                .ok_or_else(|| Error::new(ErrorCode::Integrity, "the head anchor is malformed")),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.lock()?
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql("cannot read the ledger's metadata"))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.lock()?
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(sql("cannot write the ledger's metadata"))
    }
}
