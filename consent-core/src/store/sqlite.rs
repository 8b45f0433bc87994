//! The embedded SQLite store: the default. WAL journal, `synchronous = FULL` (a commit that
//! returns is on disk), any number of processes with the file open, writes serialised across
//! them by an exclusive lock on a lock file beside the database that a writer holds only while
//! it writes (`store/lock.rs`), and long reads on a connection of their own.
//!
//! Opening never changes a file it does not recognise: what is at the path is inspected first
//! (without SQLite, then with a connection that writes nothing), and only a consent ledger of
//! this format is opened for writing. A new ledger is created only where nothing exists, with
//! its files readable by the owner alone (or the owner's group, when the host shares the
//! ledger between service accounts), whatever the umask.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::error::{Error, ErrorCode, Result};
use crate::log::record::{EventRecord, Head};
use crate::store::lock::{
    Wait, canonical, lock, lock_path, open_lock_file, refuse_hard_links, unlock,
};
use crate::store::{Batch, Store, Stream, SubjectKey};

/// The file format version, kept in SQLite's `user_version`: 2 since subject keys are wrapped
/// with the first event they seal as associated data.
pub(crate) const FILE_VERSION: i64 = 2;

/// The format consent 0.1 wrote; `consent_core::storage::upgrade_file` converts it.
pub(crate) const FILE_VERSION_1: i64 = 1;

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The tables of a ledger.
const TABLES: [&str; 3] = ["meta", "events", "subject_keys"];

const SCHEMA: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    subject BLOB,
    header  TEXT NOT NULL,
    payload BLOB NOT NULL,
    hash    BLOB NOT NULL
) STRICT;
-- The first 8 bytes of the pseudonym find a subject's events; the index is half the size of
-- one on the whole pseudonym, and a bulk import rewrites much of it on every commit.
CREATE INDEX events_by_subject ON events(substr(subject, 1, 8)) WHERE subject IS NOT NULL;
CREATE TABLE subject_keys (
    subject   BLOB NOT NULL,
    since_seq INTEGER NOT NULL,
    wrapped   BLOB NOT NULL
) STRICT;
";

const HEAD_KEY: &str = "head";

/// What an upgrade appends in its transaction: events (the catalogue adoptions), the new head
/// anchor and metadata values.
#[derive(Debug, Default)]
pub(crate) struct UpgradeAppend<'a> {
    pub records: &'a [EventRecord],
    pub head: Option<&'a Head>,
    pub meta: &'a [(&'a str, &'a str)],
}

/// Inserts one record of a write (see `SqliteStore::write`).
type Insert<'a> = dyn FnMut(&EventRecord) -> Result<()> + 'a;

/// Who besides the owner may use a ledger's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FileAccess {
    /// The owner alone: files are created 0600. The default.
    #[default]
    Owner,
    /// The owner and the owner's group (service accounts that share the ledger): files are
    /// created 0660 and the key file 0640.
    Group,
}

impl FileAccess {
    /// The mode of the database, its WAL, its shared-memory index and its lock file.
    pub(crate) fn data_mode(self) -> u32 {
        match self {
            FileAccess::Owner => 0o600,
            FileAccess::Group => 0o660,
        }
    }

    /// The mode of a new key file: the group may read it, never write it.
    pub(crate) fn key_mode(self) -> u32 {
        match self {
            FileAccess::Owner => 0o600,
            FileAccess::Group => 0o640,
        }
    }
}

/// Events in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    // Field order matters: the reader closes first, so the writer is the last connection and
    // checkpoints and removes the WAL and its index; then the lock is released.
    /// A read-only connection for long reads (statistics, the event stream), so writes never
    /// wait for them: WAL lets it read a snapshot beside the writer. `None` when read-only
    /// and no other process has the file open.
    reader: Option<Mutex<Connection>>,
    /// The writing connection (or, read-only, the only one).
    conn: Mutex<Connection>,
    read_only: bool,
    /// The lock file (`None` read-only): a writer holds its exclusive lock only while it
    /// writes, or for the store's life when `exclusive`.
    lock: Option<File>,
    /// Whether the lock is held for now, beyond single writes: for the store's life (the
    /// format upgrade), or until a new ledger is complete ([`SqliteStore::finish_creation`]).
    exclusive: AtomicBool,
    /// Whether the creation's lock ends with the first write (a store created outside
    /// `Ledger::open`).
    release_after_write: AtomicBool,
    /// Whether this open made the lock file (a failed open removes it again).
    lock_created: bool,
    /// How deeply `begin_read` calls nest (the outermost pins the snapshot).
    reads: AtomicUsize,
    /// How long a write waits for another process's write lock, in milliseconds; 0 waits as
    /// long as it takes ([`SqliteStore::set_write_wait`]).
    write_wait_ms: AtomicU64,
    path: PathBuf,
    /// The database's canonical path, which the files beside it are named after.
    real: PathBuf,
    /// This store's entry in the process's table of open ledger files; last, so that it is
    /// dropped after the connections are closed.
    _open_file: OpenFile,
}

/// The ledger database files this process has open, by file identity (device, inode), with a
/// count of stores. [`inspect`] must not open and close such a file itself: closing any
/// descriptor of a file drops every POSIX lock the process holds on it, SQLite's included (the
/// shared lock of each WAL connection, which tells other processes that someone still reads
/// the WAL), and SQLite could not know.
static OPEN_FILES: Mutex<BTreeMap<(u64, u64), usize>> = Mutex::new(BTreeMap::new());

/// A store's entry in [`OPEN_FILES`], removed when the store is dropped.
#[derive(Debug)]
struct OpenFile(Option<(u64, u64)>);

fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The table, also after a panic elsewhere while it was held (a count is never left half
/// changed: each change is one statement).
fn open_files() -> MutexGuard<'static, BTreeMap<(u64, u64), usize>> {
    OPEN_FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl OpenFile {
    fn new(path: &Path) -> OpenFile {
        let id = identity(path);
        if let Some(id) = id {
            *open_files().entry(id).or_insert(0) += 1;
        }
        OpenFile(id)
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if let Some(id) = self.0 {
            let mut files = open_files();
            match files.get_mut(&id) {
                Some(count) if *count > 1 => *count -= 1,
                _ => {
                    files.remove(&id);
                }
            }
            // An empty map still holds its root node: a fresh one holds nothing, so a process
            // that has closed its ledgers leaves no allocation behind (valgrind checks the C
            // hosts for exactly that).
            if files.is_empty() {
                *files = BTreeMap::new();
            }
        }
    }
}

fn sql(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::storage(context, e)
}

/// `<path><suffix>`: the files SQLite and the ledger keep beside a database.
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// What is at a ledger's path, found without changing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing.
    Absent,
    /// A file of 0 bytes (never a ledger: every ledger has its schema and its anchor).
    Empty,
    /// An SQLite database, which may or may not be a ledger.
    Sqlite,
}

fn not_a_ledger(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::storage(
        &format!("`{}` is not a consent ledger database", path.display()),
        why,
    )
}

/// Looks at what is at `path` without SQLite and without writing: a regular file that starts
/// like an SQLite database, an empty file, or nothing. A directory, a FIFO, a device or a file
/// of another kind (JSON, text) is refused before any file is created beside it.
pub(crate) fn inspect(path: &Path) -> Result<Found> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Absent),
        Err(e) => {
            return Err(Error::storage(
                &format!("cannot inspect the ledger `{}`", path.display()),
                e,
            ));
        }
    };
    if !metadata.is_file() {
        return Err(not_a_ledger(path, "it is not a regular file"));
    }
    if metadata.len() == 0 {
        return Ok(Found::Empty);
    }
    // A file this process has open as a ledger is one, and must not be opened and closed here
    // (`OPEN_FILES`): that would drop the process's SQLite locks on it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if open_files().contains_key(&(metadata.dev(), metadata.ino())) {
            return Ok(Found::Sqlite);
        }
    }
    let mut magic = [0u8; 16];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .map_err(|e| not_a_ledger(path, e))?;
    if &magic == SQLITE_MAGIC {
        Ok(Found::Sqlite)
    } else {
        Err(not_a_ledger(path, "it is not an SQLite database"))
    }
}

/// Checks that an open connection is a consent ledger of the format this build writes, by
/// reading only (the journal mode, the tables and the format version are left as they are).
pub(crate) fn check_format(conn: &Connection, path: &Path, expected: i64) -> Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| not_a_ledger(path, e))?;
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .map_err(|e| not_a_ledger(path, e))?;
    let tables = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| not_a_ledger(path, e))?;
    let ledger = TABLES.iter().all(|t| tables.iter().any(|n| n == t));
    if !ledger || version < FILE_VERSION_1 {
        return Err(not_a_ledger(
            path,
            if tables.is_empty() {
                "it holds no tables"
            } else {
                "it holds other tables"
            },
        ));
    }
    if version == expected {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::UnsupportedVersion,
        if version == FILE_VERSION_1 {
            format!(
                "ledger file format 1 (written by consent 0.1) must be upgraded to format {FILE_VERSION} before this version opens it: run `consent upgrade` (it keeps a backup)"
            )
        } else {
            format!(
                "ledger file format {version} is not supported by this version (expected {expected})"
            )
        },
    ))
}

/// A `file:` URI for SQLite, with the path percent-encoded and a query.
fn file_uri(path: &Path, query: &str) -> String {
    let mut uri = String::from("file:");
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(char::from(*byte));
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

/// Sets a file's mode exactly (the umask only ever removes bits, and group sharing needs them).
#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Takes off any bit that lets other users in from a file that exists (a ledger created by 0.1
/// was 0644), keeping the owner's and the group's.
#[cfg(unix)]
fn restrict_existing(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(metadata) => {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o007 != 0 {
                set_mode(path, mode & !0o007).map_err(|e| {
                    Error::storage(
                        &format!("cannot restrict the permissions of `{}`", path.display()),
                        e,
                    )
                })?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::storage(
            &format!("cannot inspect `{}`", path.display()),
            e,
        )),
    }
}

#[cfg(not(unix))]
fn restrict_existing(_path: &Path) -> Result<()> {
    Ok(())
}

/// The access an existing database file was given: `Group` when its group may use it.
pub(crate) fn existing_access(path: &Path) -> FileAccess {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o060 != 0) {
            return FileAccess::Group;
        }
    }
    let _ = path;
    FileAccess::Owner
}

/// The connection settings of a writer.
fn configure_writer(conn: &Connection) -> Result<()> {
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
    .map_err(sql("cannot configure the ledger database"))
}

/// A read-only connection beside a writer of this process (the WAL and its index exist).
fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("cannot open a reader of the ledger"))?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384;")
        .map_err(sql("cannot configure a reader of the ledger"))?;
    Ok(conn)
}

/// Removes what a failed creation left behind: the database, its WAL and index, and the lock
/// file when the creation made it (`lock_file`).
pub(crate) fn remove_created(path: &Path, lock_file: Option<&Path>) {
    for suffix in ["-wal", "-shm", ""] {
        let _ = std::fs::remove_file(beside(path, suffix));
    }
    if let Some(lock_file) = lock_file {
        let _ = std::fs::remove_file(lock_file);
    }
}

/// The database exists but no ledger is there.
fn not_found(path: &Path) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("no ledger at `{}`", path.display()),
    )
}

impl SqliteStore {
    /// Creates a new, empty ledger database at `path`, which must not exist: the file, its
    /// WAL and its index get `access`'s mode whatever the umask. The store holds the write lock
    /// until its first write ends (a new ledger's first state), so another process opening the
    /// path meanwhile waits instead of finding an empty file.
    ///
    /// # Errors
    /// `Conflict` when something exists at `path`; `Locked` when another process is creating
    /// it; `Storage` when it cannot be created (nothing is left behind).
    pub fn create(path: &Path, access: FileAccess) -> Result<SqliteStore> {
        let store = SqliteStore::create_held(path, access)?;
        store.release_after_write.store(true, Ordering::Release);
        Ok(store)
    }

    /// Creates a new ledger database as [`SqliteStore::create`] does, holding the write lock
    /// until [`SqliteStore::finish_creation`]: `Ledger::open` releases it once the new ledger
    /// is whole (its first event and its key file).
    pub(crate) fn create_held(path: &Path, access: FileAccess) -> Result<SqliteStore> {
        let exists = || {
            Error::new(
                ErrorCode::Conflict,
                format!(
                    "a file already exists at `{}`; refusing to overwrite it",
                    path.display()
                ),
            )
        };
        if inspect(path)? != Found::Absent {
            return Err(exists());
        }
        let real = canonical(path)?;
        let (lock_file, lock_created) = open_lock_file(&real, access)?;
        let lock_made = lock_created.then(|| lock_path(&real));
        if let Err(error) = lock(&lock_file, Wait::Briefly, path) {
            if let Some(made) = &lock_made {
                let _ = std::fs::remove_file(made);
            }
            return Err(error);
        }
        let mut file = OpenOptions::new();
        file.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            file.mode(access.data_mode());
        }
        if let Err(e) = file.open(path) {
            if let Some(made) = &lock_made {
                let _ = std::fs::remove_file(made);
            }
            return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                exists()
            } else {
                Error::storage("cannot create the ledger database", e)
            });
        }
        let created = (|| {
            set_mode(path, access.data_mode())
                .map_err(|e| Error::storage("cannot create the ledger database", e))?;
            // SQLite gives the WAL and its index the database file's mode.
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sql("cannot create the ledger database"))?;
            // Before the first table and the WAL: rows are about 1 KB, so 16 KiB pages hold
            // a dozen each and a replay reads a quarter as many pages.
            conn.execute_batch("PRAGMA page_size = 16384;")
                .map_err(sql("cannot configure the ledger database"))?;
            configure_writer(&conn)?;
            let tx = conn
                .unchecked_transaction()
                .map_err(sql("cannot create the ledger schema"))?;
            tx.execute_batch(SCHEMA)
                .map_err(sql("cannot create the ledger schema"))?;
            tx.pragma_update(None, "user_version", FILE_VERSION)
                .map_err(sql("cannot create the ledger schema"))?;
            tx.commit()
                .map_err(sql("cannot create the ledger schema"))?;
            let reader = open_reader(path)?;
            Ok((conn, reader))
        })();
        match created {
            Ok((conn, reader)) => Ok(SqliteStore {
                conn: Mutex::new(conn),
                reader: Some(Mutex::new(reader)),
                read_only: false,
                lock: Some(lock_file),
                exclusive: AtomicBool::new(true),
                release_after_write: AtomicBool::new(false),
                lock_created,
                reads: AtomicUsize::new(0),
                write_wait_ms: AtomicU64::new(0),
                path: path.to_owned(),
                real,
                _open_file: OpenFile::new(path),
            }),
            Err(error) => {
                remove_created(path, lock_made.as_deref());
                Err(error)
            }
        }
    }

    /// Opens an existing ledger database for writing, beside any number of other processes
    /// that have it open. Nothing is created beside a file that is not a ledger, and an open
    /// that fails leaves every file as it was.
    ///
    /// # Errors
    /// `NotFound` when nothing is at `path`; `Integrity` for an empty file;
    /// `UnsupportedVersion` for a file of another format (format 1 names the upgrade command);
    /// `Storage` when the file is not a consent ledger, has a second hard link, or cannot be
    /// opened.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_format(path, FILE_VERSION, false)
    }

    /// Opens an existing ledger of the given format for writing. `exclusive` (the upgrade)
    /// holds the write lock for the store's life and fails with `Locked` when another process
    /// holds it; otherwise the lock is held only while the file is checked (so a ledger being
    /// created or upgraded is waited for, never seen half made).
    pub(crate) fn open_format(path: &Path, format: i64, exclusive: bool) -> Result<SqliteStore> {
        match inspect(path)? {
            Found::Absent => return Err(not_found(path)),
            Found::Empty | Found::Sqlite => {}
        }
        refuse_hard_links(path)?;
        let real = canonical(path)?;
        // The lock file is shared like the database: a group-readable ledger gets a lock file
        // its group can open.
        let (lock_file, lock_created) = open_lock_file(&real, existing_access(path))?;
        let lock_made = lock_created.then(|| lock_path(&real));
        let opened = (|| {
            lock(
                &lock_file,
                if exclusive {
                    Wait::Briefly
                } else {
                    Wait::Block
                },
                path,
            )?;
            // Under the lock: a creation that was under way has finished (or failed).
            match inspect(path)? {
                Found::Absent => return Err(not_found(path)),
                Found::Empty => return Err(emptied(path)),
                Found::Sqlite => {}
            }
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sql("cannot open the ledger database"))?;
            // Read before anything is written: a foreign file keeps its journal mode.
            check_format(&conn, path, format)?;
            configure_writer(&conn)?;
            for suffix in ["", "-wal", "-shm"] {
                restrict_existing(&beside(path, suffix))?;
            }
            let reader = open_reader(path)?;
            if !exclusive {
                unlock(&lock_file)?;
            }
            Ok((conn, reader))
        })();
        match opened {
            Ok((conn, reader)) => Ok(SqliteStore {
                conn: Mutex::new(conn),
                reader: Some(Mutex::new(reader)),
                read_only: false,
                lock: Some(lock_file),
                exclusive: AtomicBool::new(exclusive),
                release_after_write: AtomicBool::new(false),
                lock_created,
                reads: AtomicUsize::new(0),
                write_wait_ms: AtomicU64::new(0),
                path: path.to_owned(),
                real,
                _open_file: OpenFile::new(path),
            }),
            Err(error) => {
                if let Some(made) = &lock_made {
                    let _ = std::fs::remove_file(made);
                }
                Err(error)
            }
        }
    }

    /// Opens an existing ledger for reading only: no lock file, nothing created or written.
    /// Beside writers (the WAL exists, so some process has it open) it reads consistent
    /// snapshots through the WAL and sees what they write after; otherwise the file is read as
    /// it is on disk (SQLite's `immutable`), so not even a WAL or its index appears beside it,
    /// and writes that a process starting later makes are not seen.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_read_only(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_read_only_format(path, FILE_VERSION)
    }

    /// [`SqliteStore::open_read_only`] for a file of the given format (the upgrade's backup
    /// of a format-1 file is checked so).
    pub(crate) fn open_read_only_format(path: &Path, format: i64) -> Result<SqliteStore> {
        match inspect(path)? {
            Found::Absent => return Err(not_found(path)),
            Found::Empty => return Err(emptied(path)),
            Found::Sqlite => {}
        }
        let real = canonical(path)?;
        let live = beside(&real, "-wal").exists() && beside(&real, "-shm").exists();
        let uri = file_uri(path, if live { "mode=ro" } else { "immutable=1" });
        let connect = || {
            let conn = Connection::open_with_flags(
                &uri,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sql("cannot open the ledger database"))?;
            conn.execute_batch("PRAGMA busy_timeout = 5000;")
                .map_err(sql("cannot configure the ledger database"))?;
            Ok::<_, Error>(conn)
        };
        let conn = connect()?;
        check_format(&conn, path, format)?;
        // Beside writers, a second connection for long reads, so catching up with their writes
        // (on `conn`) never reads a snapshot a long read pinned.
        let reader = if live {
            Some(Mutex::new(connect()?))
        } else {
            None
        };
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            reader,
            read_only: true,
            lock: None,
            exclusive: AtomicBool::new(false),
            release_after_write: AtomicBool::new(false),
            lock_created: false,
            reads: AtomicUsize::new(0),
            write_wait_ms: AtomicU64::new(0),
            path: path.to_owned(),
            // Read-only and not live: the file as it is, which no later write changes.
            real: if live { real } else { PathBuf::new() },
            _open_file: OpenFile::new(path),
        })
    }

    /// The database's canonical path when other processes' writes can be seen through this
    /// store (any writable store; a read-only one opened beside a writer), else `None`.
    pub(crate) fn shared_path(&self) -> Option<&Path> {
        (!self.real.as_os_str().is_empty()).then_some(self.real.as_path())
    }

    /// Ends a creation: the new ledger is complete (its first event and its key file are
    /// there), so the lock the creation held is released and, from now on, held only while
    /// this process writes.
    ///
    /// # Errors
    /// `Storage` when the lock cannot be released.
    pub(crate) fn finish_creation(&self) -> Result<()> {
        match &self.lock {
            Some(file) if self.exclusive.swap(false, Ordering::AcqRel) => unlock(file),
            _ => Ok(()),
        }
    }

    /// The lock file's path (`None` read-only).
    pub(crate) fn lock_file_path(&self) -> Option<PathBuf> {
        self.lock.as_ref().map(|_| lock_path(&self.real))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bounds how long a write waits for another process's write lock: past `wait` it fails
    /// with `Locked` naming the holder, and writes nothing. `None` (the default) waits as long
    /// as it takes, since a writer holds the lock only for one write. Whole milliseconds; a
    /// wait under one millisecond is one millisecond.
    pub fn set_write_wait(&self, wait: Option<Duration>) {
        let ms = wait.map_or(0, |wait| {
            // Saturates: a wait longer than u64::MAX milliseconds is forever anyway.
            u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        self.write_wait_ms.store(ms, Ordering::Relaxed);
    }

    /// Whether this open created the lock file.
    pub(crate) fn created_lock_file(&self) -> bool {
        self.lock_created
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn refuse_if_read_only(&self) -> Result<()> {
        if self.read_only {
            Err(Error::storage(
                &format!("cannot write to `{}`", self.path.display()),
                "the ledger is open read-only",
            ))
        } else {
            Ok(())
        }
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
        self.refuse_if_read_only()?;
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

    /// Re-wraps every subject key and moves the file to format 2, in one transaction: either
    /// all of it is stored or nothing changes. `rewrap` gets each stored key and returns its
    /// new wrapped bytes.
    pub(crate) fn upgrade_keys(
        &self,
        rewrap: &mut dyn FnMut(&SubjectKey) -> Result<Vec<u8>>,
        schema: (&str, &str),
        append: &UpgradeAppend<'_>,
    ) -> Result<u64> {
        self.refuse_if_read_only()?;
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("cannot begin the upgrade"))?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sql("cannot read the file format"))?;
        if version != FILE_VERSION_1 {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!("ledger file format {version} is not format 1"),
            ));
        }
        let mut rows = Vec::new();
        {
            let mut statement = tx
                .prepare("SELECT rowid, subject, since_seq, wrapped FROM subject_keys")
                .map_err(sql("cannot read subject keys"))?;
            let mut query = statement
                .query([])
                .map_err(sql("cannot read subject keys"))?;
            while let Some(row) = query.next().map_err(sql("cannot read subject keys"))? {
                let rowid: i64 = row.get(0).map_err(sql("cannot read subject keys"))?;
                rows.push((rowid, subject_key(row, 1)?));
            }
        }
        let mut count = 0u64;
        for (rowid, key) in &rows {
            let wrapped = rewrap(key)?;
            tx.execute(
                "UPDATE subject_keys SET wrapped = ?1 WHERE rowid = ?2",
                params![wrapped, rowid],
            )
            .map_err(sql("cannot store a re-wrapped subject key"))?;
            count += 1;
        }
        if let Some(first) = append.records.first() {
            let last: Option<i64> = tx
                .query_row("SELECT max(seq) FROM events", [], |row| row.get(0))
                .map_err(sql("cannot read the log's end"))?;
            if to_i64(first.seq)? != last.unwrap_or(0) + 1 {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("event {} is not the next event", first.seq),
                ));
            }
            for record in append.records {
                tx.execute(
                    "INSERT INTO events (seq, subject, header, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        to_i64(record.seq)?,
                        record.subject.as_ref().map(|s| s.as_slice()),
                        record.header,
                        record.payload,
                        record.hash.as_slice(),
                    ],
                )
                .map_err(sql("cannot append"))?;
            }
        }
        let head = append.head.map(Head::encode);
        for (key, value) in [schema]
            .into_iter()
            .chain(append.meta.iter().copied())
            .chain(head.as_deref().map(|head| (HEAD_KEY, head)))
        {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(sql("cannot record the new format"))?;
        }
        tx.pragma_update(None, "user_version", FILE_VERSION)
            .map_err(sql("cannot record the new format"))?;
        tx.commit().map_err(sql("cannot commit the upgrade"))?;
        Ok(count)
    }

    /// The writing connection (or, read-only, the only one).
    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::storage("ledger database", "a writer panicked"))
    }

    /// The connection for long reads: the reader beside a writer, or the only connection.
    fn read_conn(&self) -> Result<MutexGuard<'_, Connection>> {
        match &self.reader {
            Some(reader) => reader
                .lock()
                .map_err(|_| Error::storage("ledger database", "a reader panicked")),
            None => self.lock(),
        }
    }
}

/// An empty file where a ledger was: never opened as a new ledger.
pub(crate) fn emptied(path: &Path) -> Error {
    Error::new(
        ErrorCode::Integrity,
        format!(
            "the ledger file `{}` is empty: a ledger always holds its schema and head anchor, so it was emptied (or its creation was interrupted); restore it from a backup",
            path.display()
        ),
    )
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

/// A subject key from columns `first..first + 3` (subject, since_seq, wrapped).
fn subject_key(row: &rusqlite::Row<'_>, first: usize) -> Result<SubjectKey> {
    let subject: Vec<u8> = row.get(first).map_err(sql("cannot read subject keys"))?;
    let since: i64 = row
        .get(first + 1)
        .map_err(sql("cannot read subject keys"))?;
    let wrapped: Vec<u8> = row
        .get(first + 2)
        .map_err(sql("cannot read subject keys"))?;
    let subject: [u8; 16] = subject.try_into().map_err(|_| {
        Error::new(
            ErrorCode::Integrity,
            "a subject key row has a malformed subject",
        )
    })?;
    Ok(SubjectKey {
        subject,
        since_seq: u64::try_from(since).map_err(|_| {
            Error::new(
                ErrorCode::Integrity,
                "a subject key row has a malformed sequence number",
            )
        })?,
        wrapped,
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

    fn initialize(&self, meta: &[(&str, &str)], head: &Head) -> Result<()> {
        self.refuse_if_read_only()?;
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("cannot create the ledger"))?;
        let used: i64 = tx
            .query_row(
                "SELECT (SELECT count(*) FROM meta) + (SELECT count(*) FROM events) + (SELECT count(*) FROM subject_keys)",
                [],
                |row| row.get(0),
            )
            .map_err(sql("cannot create the ledger"))?;
        if used != 0 {
            return Err(Error::new(
                ErrorCode::Integrity,
                "the ledger is not new: it already holds metadata, events or keys",
            ));
        }
        for (key, value) in meta
            .iter()
            .chain([(HEAD_KEY, head.encode().as_str())].iter())
        {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(sql("cannot create the ledger"))?;
        }
        tx.commit().map_err(sql("cannot create the ledger"))
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        let conn = self.read_conn()?;
        let mut statement = conn
            .prepare("SELECT subject, since_seq, wrapped FROM subject_keys")
            .map_err(sql("cannot read subject keys"))?;
        let mut rows = statement
            .query([])
            .map_err(sql("cannot read subject keys"))?;
        while let Some(row) = rows.next().map_err(sql("cannot read subject keys"))? {
            visit(subject_key(row, 0)?)?;
        }
        Ok(())
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        self.scan_range(from_seq, u64::MAX, visit)
    }

    fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        let conn = self.read_conn()?;
        let mut statement = conn
            .prepare_cached(
                "SELECT seq, subject, header, payload, hash FROM events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq",
            )
            .map_err(sql("cannot read the log"))?;
        let mut rows = statement
            // Past i64::MAX means "to the end": no stored seq is larger.
            .query(params![
                to_i64(from_seq)?,
                i64::try_from(last_seq).unwrap_or(i64::MAX)
            ])
            .map_err(sql("cannot read the log"))?;
        while let Some(row) = rows.next().map_err(sql("cannot read the log"))? {
            visit(record_from_row(row).map_err(sql("cannot read the log"))?)?;
        }
        Ok(())
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        let conn = self.read_conn()?;
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
        // Inside a pinned read, from its snapshot (the head must match the events read).
        let conn = if self.reads.load(Ordering::Acquire) > 0 {
            self.read_conn()?
        } else {
            self.lock()?
        };
        conn.query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![key],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql("cannot read the ledger's metadata"))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.refuse_if_read_only()?;
        self.lock()?
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(sql("cannot write the ledger's metadata"))
    }

    fn begin_read(&self) -> Result<()> {
        // The outermost read pins one snapshot for them all: other processes write while this
        // one reads. (Read-only, the one connection serves every read.)
        if self.reads.fetch_add(1, Ordering::AcqRel) == 0 {
            let pinned = (|| {
                let conn = self.read_conn()?;
                conn.execute_batch("BEGIN DEFERRED")
                    .map_err(sql("cannot begin a read"))?;
                conn.query_row("SELECT count(*) FROM meta", [], |_| Ok(()))
                    .map_err(sql("cannot begin a read"))
            })();
            if pinned.is_err() {
                self.reads.fetch_sub(1, Ordering::AcqRel);
                if let Ok(conn) = self.read_conn()
                    && !conn.is_autocommit()
                {
                    let _ = conn.execute_batch("ROLLBACK");
                }
            }
            pinned?;
        }
        Ok(())
    }

    fn end_read(&self) -> Result<()> {
        if self.reads.fetch_sub(1, Ordering::AcqRel) == 1 {
            let conn = self.read_conn()?;
            if !conn.is_autocommit() {
                conn.execute_batch("COMMIT")
                    .map_err(sql("cannot end a read"))?;
            }
        }
        Ok(())
    }

    fn begin_write(&self) -> Result<()> {
        match &self.lock {
            // Read-only: nothing to lock; an append fails on its own.
            None => Ok(()),
            // The upgrade, or the creation, holds it already.
            Some(_) if self.exclusive.load(Ordering::Acquire) => Ok(()),
            Some(file) => {
                let wait = match self.write_wait_ms.load(Ordering::Relaxed) {
                    0 => Wait::Block,
                    ms => Wait::For(Duration::from_millis(ms)),
                };
                lock(file, wait, &self.path)
            }
        }
    }

    fn end_write(&self) -> Result<()> {
        if self.release_after_write.swap(false, Ordering::AcqRel) {
            return self.finish_creation();
        }
        match &self.lock {
            Some(file) if !self.exclusive.load(Ordering::Acquire) => unlock(file),
            _ => Ok(()),
        }
    }

    fn tail(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        // The writing connection, never pinned: one read transaction, so the keys, the events
        // and the head are one state even while another process commits.
        let conn = self.lock()?;
        let tx = conn
            .unchecked_transaction()
            .map_err(sql("cannot begin a read"))?;
        let after = to_i64(after_seq)?;
        {
            let mut statement = tx
                .prepare_cached(
                    "SELECT subject, since_seq, wrapped FROM subject_keys WHERE since_seq > ?1",
                )
                .map_err(sql("cannot read subject keys"))?;
            let mut rows = statement
                .query(params![after])
                .map_err(sql("cannot read subject keys"))?;
            while let Some(row) = rows.next().map_err(sql("cannot read subject keys"))? {
                keys(subject_key(row, 0)?)?;
            }
        }
        {
            let mut statement = tx
                .prepare_cached(
                    "SELECT seq, subject, header, payload, hash FROM events WHERE seq > ?1 ORDER BY seq",
                )
                .map_err(sql("cannot read the log"))?;
            let mut rows = statement
                .query(params![after])
                .map_err(sql("cannot read the log"))?;
            while let Some(row) = rows.next().map_err(sql("cannot read the log"))? {
                records(record_from_row(row).map_err(sql("cannot read the log"))?)?;
            }
        }
        let head: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![HEAD_KEY],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql("cannot read the ledger's metadata"))?;
        tx.commit().map_err(sql("cannot end a read"))?;
        head.map(|text| {
            Head::decode(&text)
                .ok_or_else(|| Error::new(ErrorCode::Integrity, "the head anchor is malformed"))
        })
        .transpose()
    }
}
