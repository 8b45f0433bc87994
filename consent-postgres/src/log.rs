//! [`PgLog`]: the ledger's event log in PostgreSQL, with reads outside the write lock and
//! [`PgLog::write`] under it.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use consent_core::storage::{EventRecord, Head, SubjectKey};
use consent_core::{Error, ErrorCode, Result};
use tokio_postgres::Row;

use crate::conn::{Conn, Setup};
use crate::listen::Listener;
use crate::txn::{Locked, WriteTxn, lock};
use crate::url::LedgerUrl;

/// How many rows one page of a scan reads.
pub(crate) const PAGE_ROWS: i64 = 2_000;

/// A ledger's event log in one schema of a PostgreSQL database, shared by any number of
/// processes and hosts.
///
/// Writes go through [`PgLog::write`], which holds the ledger's one write lock (the row lock on
/// the schema's `log_head` row) from its first statement to its commit: sequence numbers are
/// assigned under it, so commit order is sequence order and a reader tailing `seq > last` never
/// skips an event. Reads take no lock.
///
/// Each `PgLog` keeps two connections, opened on demand and opened again on the next call after
/// one failed: one for writes and one for reads, so a long scan does not hold up a write from
/// the same process. Calls on one connection are serialised.
pub struct PgLog {
    /// Opened with [`PgLog::open_read_only`]: writes fail, no lock is taken.
    read_only: bool,
    url: LedgerUrl,
    writer: Mutex<Option<Conn>>,
    reader: Mutex<Option<Conn>>,
    /// Reads pinned to one snapshot by [`Store::begin_read`](consent_core::storage::Store),
    /// per thread: the thread that opens or verifies a ledger reads one state of the log while
    /// other threads and hosts keep writing, and other threads' reads stay current.
    pinned: Mutex<Vec<Pinned>>,
    /// Write transactions held open by [`Store::begin_write`](consent_core::storage::Store)
    /// until `end_write`, per thread: the ledger catches up, validates and appends under one
    /// lock, on the calling thread's connection.
    held: Mutex<Vec<Held>>,
}

/// A thread's write transaction held between `begin_write` and `end_write`.
struct Held {
    thread: ThreadId,
    /// `None` while a call uses it.
    conn: Option<Conn>,
    /// What the transaction read when it took the lock.
    locked: Locked,
    /// Whether the transaction is still open (not yet committed, rolled back or failed).
    open: bool,
    /// Whether the ledger stamped the write with the server's clock (stored as the newest time
    /// given to a write, so the next one never reads an earlier time).
    clock_used: bool,
}

/// A thread's pinned read: its own connection inside a read-only repeatable-read transaction.
struct Pinned {
    thread: ThreadId,
    /// How deeply `begin_read` calls nest on this thread (the outermost pins the snapshot).
    depth: usize,
    /// `None` while a read uses it, and for good once it failed: the snapshot is gone, so the
    /// thread's later reads fail instead of reading another state.
    conn: Option<Conn>,
}

impl fmt::Debug for PgLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgLog")
            .field("url", &self.url.redacted)
            .field("schema", &self.url.schema)
            .finish_non_exhaustive()
    }
}

/// Locks a connection slot. A panic while the slot was held (a caller's write closure) left its
/// connection in an unknown transaction state: it is dropped, which ends the server session and
/// rolls its transaction back, and the next call connects anew.
fn lock_slot(slot: &Mutex<Option<Conn>>) -> MutexGuard<'_, Option<Conn>> {
    match slot.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            let mut guard = poisoned.into_inner();
            *guard = None;
            slot.clear_poison();
            guard
        }
    }
}

pub(crate) fn integrity(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Integrity, message)
}

/// A record from a row of `seq, subject, header, payload, hash`.
pub(crate) fn record_from_row(row: &Row) -> std::result::Result<EventRecord, RowError> {
    let seq: i64 = row.try_get(0)?;
    let subject: Option<Vec<u8>> = row.try_get(1)?;
    let header: String = row.try_get(2)?;
    let payload: Vec<u8> = row.try_get(3)?;
    let hash: Vec<u8> = row.try_get(4)?;
    let seq = u64::try_from(seq)
        .map_err(|_| RowError::Malformed(format!("a record has sequence number {seq}")))?;
    let subject = match subject {
        None => None,
        Some(bytes) => Some(<[u8; 16]>::try_from(bytes).map_err(|_| {
            RowError::Malformed(format!("event {seq}: the stored subject is malformed"))
        })?),
    };
    let hash = <[u8; 32]>::try_from(hash)
        .map_err(|_| RowError::Malformed(format!("event {seq}: the stored hash is malformed")))?;
    Ok(EventRecord::new(seq, subject, header, payload, hash))
}

/// A subject key from a row of `subject, since_seq, wrapped`.
pub(crate) fn key_from_row(row: &Row) -> std::result::Result<SubjectKey, RowError> {
    let subject: Vec<u8> = row.try_get(0)?;
    let since: i64 = row.try_get(1)?;
    let wrapped: Vec<u8> = row.try_get(2)?;
    let subject = <[u8; 16]>::try_from(subject)
        .map_err(|_| RowError::Malformed("a subject key row has a malformed subject".into()))?;
    let since_seq = u64::try_from(since)
        .map_err(|_| RowError::Malformed("a subject key row has a negative sequence".into()))?;
    Ok(SubjectKey::new(subject, since_seq, wrapped))
}

/// Why a row could not be read: the driver's error, or a stored value out of shape.
#[derive(Debug)]
pub(crate) enum RowError {
    Driver(tokio_postgres::Error),
    Malformed(String),
}

impl From<tokio_postgres::Error> for RowError {
    fn from(e: tokio_postgres::Error) -> Self {
        RowError::Driver(e)
    }
}

impl RowError {
    pub(crate) fn into_error(self, conn: &Conn, url: &LedgerUrl, context: &str) -> Error {
        match self {
            RowError::Driver(e) => conn.error(url, context, &e),
            RowError::Malformed(message) => integrity(message),
        }
    }
}

/// A `Storage` error: what could not be done, and why.
fn storage_error(context: &str, cause: &str) -> Error {
    Error::new(ErrorCode::Storage, format!("{context}: {cause}"))
}

pub(crate) fn to_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| {
        Error::new(
            ErrorCode::InvalidInput,
            format!("sequence number {seq} is out of range"),
        )
    })
}

impl PgLog {
    /// Opens the log in the schema the URL names (`?schema=NAME`, default `consent`), creating
    /// the schema and its tables on first use and upgrading older tables. Connects at once, so a
    /// wrong URL, password or server fails here.
    ///
    /// # Errors
    /// `Storage` for a malformed URL, a server that cannot be reached, a refused login, a
    /// schema that holds other tables or a role that may not create it; `UnsupportedVersion`
    /// for tables of a newer version. No message carries the password.
    pub fn open(url: &str) -> Result<PgLog> {
        PgLog::connect(url, false)
    }

    /// Opens the log of an existing ledger for reading only: nothing is created or upgraded,
    /// every write fails with `Storage`, and no write lock is ever taken (an auditor's or a
    /// reporting script's view beside the writing hosts).
    ///
    /// # Errors
    /// As [`PgLog::open`]; `NotFound` for a schema without ledger tables; `UnsupportedVersion`
    /// for tables of another version.
    pub fn open_read_only(url: &str) -> Result<PgLog> {
        PgLog::connect(url, true)
    }

    fn connect(url: &str, read_only: bool) -> Result<PgLog> {
        let url = LedgerUrl::parse(url)?;
        let setup = if read_only {
            Setup::Check
        } else {
            Setup::Migrate
        };
        let writer = Conn::connect(&url, setup)?;
        Ok(PgLog {
            read_only,
            url,
            writer: Mutex::new(Some(writer)),
            reader: Mutex::new(None),
            pinned: Mutex::new(Vec::new()),
            held: Mutex::new(Vec::new()),
        })
    }

    /// Whether the log was opened with [`PgLog::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The schema that holds this ledger.
    pub fn schema(&self) -> &str {
        &self.url.schema
    }

    /// The URL with the password replaced by `***`.
    pub fn redacted_url(&self) -> &str {
        &self.url.redacted
    }

    /// Runs `f` under the ledger's write lock, in one transaction: commits when `f` returns
    /// `Ok` (durable when this returns `Ok`), rolls back when it returns an error (or panics),
    /// and returns `f`'s result. See [`WriteTxn`] for what `f` can do.
    ///
    /// The lock is taken by the transaction's first statement and released by its commit or
    /// rollback; writers on every host queue for it in order. A session that sits idle in the
    /// transaction for 60 s is ended by the server, releasing the lock.
    ///
    /// # Errors
    /// `f`'s error; `Conflict` for a sequence number or subject key that is already stored;
    /// `Storage` when the database fails or the connection drops (the write is then either
    /// whole or absent: a retry must first read the log to learn which).
    pub fn write<T>(&self, f: impl FnOnce(&mut WriteTxn<'_>) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(storage_error(
                "cannot write to the ledger",
                "it is open read-only",
            ));
        }
        let mut f = Some(f);
        if let Some(result) = self.write_held(&mut f) {
            return result;
        }
        let Some(f) = f else {
            return Err(storage_error("write", "the write was already run"));
        };
        let mut slot = lock_slot(&self.writer);
        let (mut conn, mut reused) = match slot.take() {
            Some(conn) => (conn, true),
            None => (Conn::connect(&self.url, Setup::None)?, false),
        };
        loop {
            let mut txn = match WriteTxn::begin(&conn, &self.url) {
                Ok(txn) => txn,
                // A connection that sat idle was dropped (a server restart): nothing of this
                // write has been sent, so it begins once more on a new one.
                Err(_) if reused && conn.is_broken() => {
                    conn = Conn::connect(&self.url, Setup::None)?;
                    reused = false;
                    continue;
                }
                Err(error) => {
                    if !conn.is_broken() {
                        *slot = Some(conn);
                    }
                    return Err(error);
                }
            };
            let result = f(&mut txn).and_then(|value| txn.commit().map(|()| value));
            if !txn.finished() {
                txn.rollback();
            }
            if !conn.is_broken() {
                *slot = Some(conn);
            }
            return result;
        }
    }

    /// Takes this thread's held write out of the list for one call (`None`: it holds none).
    fn take_held(&self) -> Option<Held> {
        let me = std::thread::current().id();
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let index = held.iter().position(|h| h.thread == me)?;
        Some(held.swap_remove(index))
    }

    fn put_held(&self, held: Held) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(held);
    }

    /// Takes the ledger's write lock for the calling thread and holds its transaction open
    /// until [`PgLog::end_held_write`]: what `Store::begin_write` does.
    pub(crate) fn begin_held_write(&self) -> Result<()> {
        // A read-only log takes no lock: its writes fail anyway, and a catch-up reads a
        // snapshot.
        if self.read_only {
            return Ok(());
        }
        if let Some(held) = self.take_held() {
            self.put_held(held);
            return Err(storage_error(
                "cannot take the ledger's write lock",
                "this thread already holds it",
            ));
        }
        let (mut conn, mut reused) = match lock_slot(&self.writer).take() {
            Some(conn) => (conn, true),
            None => (Conn::connect(&self.url, Setup::None)?, false),
        };
        let locked = loop {
            match lock(&conn, &self.url) {
                Ok(locked) => break locked,
                // A connection that sat idle was dropped (a server restart): nothing was sent
                // that could have changed anything, so the lock is taken on a new one.
                Err(_) if reused && conn.is_broken() => {
                    conn = Conn::connect(&self.url, Setup::None)?;
                    reused = false;
                }
                Err(error) => {
                    if !conn.is_broken() {
                        let mut slot = lock_slot(&self.writer);
                        if slot.is_none() {
                            *slot = Some(conn);
                        }
                    }
                    return Err(error);
                }
            }
        };
        self.put_held(Held {
            thread: std::thread::current().id(),
            conn: Some(conn),
            locked,
            open: true,
            clock_used: false,
        });
        Ok(())
    }

    /// Ends what [`PgLog::begin_held_write`] began: rolls back a transaction nothing committed
    /// (a write that failed validation) and keeps the connection for the next write.
    pub(crate) fn end_held_write(&self) -> Result<()> {
        let Some(held) = self.take_held() else {
            return Ok(());
        };
        let Some(conn) = held.conn else {
            return Ok(());
        };
        let mut result = Ok(());
        if held.open
            && let Err(e) = conn.run(conn.client.batch_execute("ROLLBACK"))
        {
            conn.set_broken();
            result = Err(conn.error(&self.url, "cannot end the write", &e));
        }
        if !conn.is_broken() {
            let mut slot = lock_slot(&self.writer);
            if slot.is_none() {
                *slot = Some(conn);
            }
        }
        result
    }

    /// Runs `f` (taken out of the option) inside the calling thread's held write and commits:
    /// `None` when the thread holds no open write (then `f` is left in place).
    fn write_held<T, F>(&self, f: &mut Option<F>) -> Option<Result<T>>
    where
        F: FnOnce(&mut WriteTxn<'_>) -> Result<T>,
    {
        let mut held = self.take_held()?;
        if !held.open {
            self.put_held(held);
            return None;
        }
        let (Some(conn), Some(f)) = (held.conn.take(), f.take()) else {
            self.put_held(held);
            return Some(Err(storage_error(
                "write",
                "the held write's connection is in use",
            )));
        };
        let result = {
            let mut txn = WriteTxn::resume(&conn, &self.url, &held.locked);
            if held.clock_used {
                txn.now();
            }
            let result = f(&mut txn).and_then(|value| txn.commit().map(|()| value));
            if !txn.finished() {
                txn.rollback();
            }
            result
        };
        // Committed, rolled back or failed: the transaction is over either way.
        held.open = false;
        if !conn.is_broken() {
            held.conn = Some(conn);
        }
        self.put_held(held);
        Some(result)
    }

    /// The server's clock read under the calling thread's held write lock.
    pub(crate) fn held_clock(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        // Nothing is written, so nothing is stamped (the write that asks fails).
        if self.read_only {
            return Ok(None);
        }
        let Some(mut held) = self.take_held() else {
            return Err(storage_error(
                "cannot read the server's clock",
                "this thread holds no write lock",
            ));
        };
        let now = held.locked.now();
        let open = held.open;
        held.clock_used = true;
        self.put_held(held);
        if open {
            Ok(Some(now))
        } else {
            Err(storage_error(
                "cannot read the server's clock",
                "this thread's write already ended",
            ))
        }
    }

    /// What was committed after `after_seq` (see `Store::tail`): under the calling thread's
    /// held write lock when it holds one (no reads needed when nothing was committed since this
    /// process last looked: the lock statement read the log's end and the head anchor), else
    /// from one snapshot of the newest state.
    pub(crate) fn tail_current(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        match self.take_held() {
            Some(held) if held.open => self.tail_held(held, after_seq, keys, records),
            Some(held) => {
                self.put_held(held);
                self.tail_snapshot(after_seq, keys, records)
            }
            None => self.tail_snapshot(after_seq, keys, records),
        }
    }

    fn tail_held(
        &self,
        mut held: Held,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        let Some(conn) = held.conn.take() else {
            self.put_held(held);
            return Err(storage_error(
                "cannot catch up",
                "the held write's connection is in use",
            ));
        };
        let result = (|| {
            let mut txn = WriteTxn::resume(&conn, &self.url, &held.locked);
            if after_seq > txn.last_seq() {
                return Err(integrity(format!(
                    "this process has applied event {after_seq} but the log ends at {}",
                    txn.last_seq()
                )));
            }
            let read = (|| {
                if after_seq < txn.last_seq() {
                    txn.keys_after(after_seq)?
                        .into_iter()
                        .try_for_each(&mut *keys)?;
                    txn.records_after(after_seq, records)?;
                }
                txn.head()
            })();
            if txn.failed() {
                // The server aborted the transaction: it can no longer commit.
                held.open = false;
            }
            read
        })();
        if !conn.is_broken() {
            held.conn = Some(conn);
        }
        self.put_held(held);
        result
    }

    /// The tail from one read-only snapshot of the newest state, on the reader connection
    /// (never a snapshot the thread pinned), tried once more on a new connection when the old
    /// one was dropped.
    fn tail_snapshot(
        &self,
        after_seq: u64,
        keys: &mut dyn FnMut(SubjectKey) -> Result<()>,
        records: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        let context = "cannot read what other hosts wrote";
        let after = to_i64(after_seq)?;
        let read = |conn: &Conn| {
            snapshot(conn, &self.url, context, |conn| {
                let rows = conn
                    .run(conn.client.query(&conn.st.keys_after, &[&after]))
                    .map_err(|e| conn.error(&self.url, context, &e))?;
                let found_keys = rows
                    .iter()
                    .map(|row| {
                        key_from_row(row).map_err(|e| e.into_error(conn, &self.url, context))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut found = Vec::new();
                let mut last = after;
                loop {
                    let rows = conn
                        .run(
                            conn.client
                                .query(&conn.st.records_between, &[&last, &i64::MAX, &PAGE_ROWS]),
                        )
                        .map_err(|e| conn.error(&self.url, context, &e))?;
                    let full = i64::try_from(rows.len()) == Ok(PAGE_ROWS);
                    for row in &rows {
                        let record = record_from_row(row)
                            .map_err(|e| e.into_error(conn, &self.url, context))?;
                        last = to_i64(record.seq)?;
                        found.push(record);
                    }
                    if !full {
                        break;
                    }
                }
                let row = conn
                    .run(conn.client.query_one(&conn.st.head, &[]))
                    .map_err(|e| conn.error(&self.url, context, &e))?;
                let head =
                    head_from_row(&row).map_err(|e| e.into_error(conn, &self.url, context))?;
                Ok((found_keys, found, head))
            })
        };
        let mut attempt = 0;
        let (found_keys, found, head) = loop {
            attempt += 1;
            let mut slot = lock_slot(&self.reader);
            let (conn, reused) = match slot.take() {
                Some(conn) => (conn, true),
                None => (Conn::connect(&self.url, Setup::None)?, false),
            };
            let result = read(&conn);
            let lost = conn.is_broken();
            if !lost {
                *slot = Some(conn);
            }
            match result {
                Err(_) if lost && reused && attempt == 1 => {}
                other => break other?,
            }
        };
        found_keys.into_iter().try_for_each(keys)?;
        found.into_iter().try_for_each(records)?;
        Ok(head)
    }

    /// Runs a read on the reader connection, connecting when needed. Returns the result and
    /// whether a connection that had worked before was found dropped (a server restart).
    fn read_once<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> (Result<T>, bool) {
        if let Some(pinned) = self.take_pinned() {
            // Inside the thread's snapshot: never retried on another connection, which would
            // read another state.
            return (pinned.and_then(|conn| self.read_pinned(conn, f)), false);
        }
        let mut slot = lock_slot(&self.reader);
        let (conn, reused) = match slot.take() {
            Some(conn) => (conn, true),
            None => match Conn::connect(&self.url, Setup::None) {
                Ok(conn) => (conn, false),
                Err(error) => return (Err(error), false),
            },
        };
        let result = f(&conn);
        let lost = conn.is_broken();
        if !lost {
            *slot = Some(conn);
        }
        (result, lost && reused)
    }

    /// The pinned connection of the calling thread, taken out for one read: `None` when the
    /// thread pinned no snapshot, an error when its snapshot was lost.
    fn take_pinned(&self) -> Option<Result<Conn>> {
        let me = std::thread::current().id();
        let mut pins = self.pinned.lock().unwrap_or_else(PoisonError::into_inner);
        let pin = pins.iter_mut().find(|p| p.thread == me)?;
        Some(pin.conn.take().ok_or_else(|| {
            Error::new(
                ErrorCode::Storage,
                "cannot read the log: the connection of this read's snapshot was lost",
            )
        }))
    }

    /// Runs `f` on the thread's pinned connection, and puts the connection back unless it
    /// failed.
    fn read_pinned<T>(&self, conn: Conn, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let result = f(&conn);
        if !conn.is_broken() {
            let me = std::thread::current().id();
            let mut pins = self.pinned.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(pin) = pins.iter_mut().find(|p| p.thread == me) {
                pin.conn = Some(conn);
            }
        }
        result
    }

    /// Pins the calling thread's reads to one snapshot of the log until
    /// [`PgLog::end_pinned_read`] (calls nest; the outermost pins). The thread reads on a
    /// connection of its own, in a read-only repeatable-read transaction.
    pub(crate) fn begin_pinned_read(&self) -> Result<()> {
        let me = std::thread::current().id();
        {
            let mut pins = self.pinned.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(pin) = pins.iter_mut().find(|p| p.thread == me) {
                pin.depth += 1;
                return Ok(());
            }
        }
        let context = "cannot begin a read";
        // The idle reader connection if there is one (tried once more on a new connection
        // when it turns out to be dropped), else a new one.
        let (mut conn, mut reused) = match lock_slot(&self.reader).take() {
            Some(conn) => (conn, true),
            None => (Conn::connect(&self.url, Setup::None)?, false),
        };
        loop {
            let begun = conn.run(
                conn.client
                    .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            );
            match begun {
                Ok(()) => break,
                Err(_) if reused && conn.is_broken() => {
                    conn = Conn::connect(&self.url, Setup::None)?;
                    reused = false;
                }
                Err(e) => return Err(conn.error(&self.url, context, &e)),
            }
        }
        conn.set_pinned(true);
        let mut pins = self.pinned.lock().unwrap_or_else(PoisonError::into_inner);
        pins.push(Pinned {
            thread: me,
            depth: 1,
            conn: Some(conn),
        });
        Ok(())
    }

    /// Ends what [`PgLog::begin_pinned_read`] started on the calling thread: the outermost
    /// call ends the transaction and keeps its connection as the reader connection.
    pub(crate) fn end_pinned_read(&self) -> Result<()> {
        let me = std::thread::current().id();
        let conn = {
            let mut pins = self.pinned.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(index) = pins.iter().position(|p| p.thread == me) else {
                return Ok(());
            };
            let Some(pin) = pins.get_mut(index) else {
                return Ok(());
            };
            pin.depth = pin.depth.saturating_sub(1);
            if pin.depth > 0 {
                return Ok(());
            }
            pins.swap_remove(index).conn
        };
        // A connection lost during the read: the read that lost it reported the error, and
        // the server ended its transaction.
        let Some(conn) = conn else {
            return Ok(());
        };
        conn.run(conn.client.batch_execute("COMMIT"))
            .map_err(|e| conn.error(&self.url, "cannot end a read", &e))?;
        conn.set_pinned(false);
        let mut slot = lock_slot(&self.reader);
        if slot.is_none() && !conn.is_broken() {
            *slot = Some(conn);
        }
        Ok(())
    }

    /// [`PgLog::read_once`], tried once more on a new connection when the old one turned out to
    /// be dropped: for reads that can simply be repeated.
    fn read<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        match self.read_once(&mut f) {
            (Err(_), true) => self.read_once(f).0,
            (result, _) => result,
        }
    }

    /// Calls `visit` with every record whose sequence number is at least `from_seq`, in order,
    /// all from one snapshot (records committed during the scan are not included; a later
    /// scan from the next sequence number finds them). `visit` must not call back into this log.
    ///
    /// # Errors
    /// `Storage` when reading fails (a dropped connection too: records already visited stay
    /// visited); `Integrity` for a malformed stored row; or whatever `visit` returns (the scan
    /// stops there).
    pub fn scan(
        &self,
        from_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        self.scan_snapshot(from_seq, i64::MAX, visit, false)
            .map(|_| ())
    }

    /// [`PgLog::scan`] up to `last_seq` (inclusive): one page of the log, reading no record
    /// past it.
    ///
    /// # Errors
    /// As [`PgLog::scan`].
    pub fn scan_range(
        &self,
        from_seq: u64,
        last_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        // A bound past what a sequence number can be is no bound.
        let until = i64::try_from(last_seq).unwrap_or(i64::MAX);
        self.scan_snapshot(from_seq, until, visit, false)
            .map(|_| ())
    }

    /// [`PgLog::scan`], and the head anchor from the same snapshot: what a replay or a verify
    /// checks the records against while other hosts keep writing (a head read after the scan
    /// could name events the scan did not see).
    ///
    /// # Errors
    /// As [`PgLog::scan`]; `Integrity` for a malformed anchor.
    pub fn scan_with_head(
        &self,
        from_seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<Option<Head>> {
        self.scan_snapshot(from_seq, i64::MAX, visit, true)
    }

    fn scan_snapshot(
        &self,
        from_seq: u64,
        until: i64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
        with_head: bool,
    ) -> Result<Option<Head>> {
        let context = "cannot read the log";
        let mut after = to_i64(from_seq)?.saturating_sub(1);
        self.read_once(|conn| {
            snapshot(conn, &self.url, context, |conn| {
                loop {
                    let rows = conn
                        .run(
                            conn.client
                                .query(&conn.st.records_between, &[&after, &until, &PAGE_ROWS]),
                        )
                        .map_err(|e| conn.error(&self.url, context, &e))?;
                    let full = i64::try_from(rows.len()) == Ok(PAGE_ROWS);
                    for row in &rows {
                        let record = record_from_row(row)
                            .map_err(|e| e.into_error(conn, &self.url, context))?;
                        after = to_i64(record.seq)?;
                        visit(record)?;
                    }
                    if !full {
                        break;
                    }
                }
                if !with_head {
                    return Ok(None);
                }
                let row = conn
                    .run(conn.client.query_one(&conn.st.head, &[]))
                    .map_err(|e| conn.error(&self.url, context, &e))?;
                head_from_row(&row).map_err(|e| e.into_error(conn, &self.url, context))
            })
        })
        .0
    }

    /// The records of one subject, in order.
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed stored row.
    pub fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        let context = "cannot read the subject's records";
        self.read(|conn| {
            let rows = conn
                .run(
                    conn.client
                        .query(&conn.st.subject_records, &[&subject.as_slice()]),
                )
                .map_err(|e| conn.error(&self.url, context, &e))?;
            rows.iter()
                .map(|row| record_from_row(row).map_err(|e| e.into_error(conn, &self.url, context)))
                .collect()
        })
    }

    /// The head anchor the last write that set one stored (`None` before any).
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed anchor.
    pub fn head(&self) -> Result<Option<Head>> {
        let context = "cannot read the head anchor";
        self.read(|conn| {
            let row = conn
                .run(conn.client.query_one(&conn.st.head, &[]))
                .map_err(|e| conn.error(&self.url, context, &e))?;
            head_from_row(&row).map_err(|e| e.into_error(conn, &self.url, context))
        })
    }

    /// A metadata value.
    ///
    /// # Errors
    /// `Storage` when reading fails.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let context = "cannot read the ledger's metadata";
        self.read(|conn| {
            let row = conn
                .run(conn.client.query_opt(&conn.st.meta, &[&key]))
                .map_err(|e| conn.error(&self.url, context, &e))?;
            row.map(|row| row.try_get::<_, String>(0))
                .transpose()
                .map_err(|e| conn.error(&self.url, context, &e))
        })
    }

    /// Calls `visit` with every subject key, from one snapshot.
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed row; or whatever `visit`
    /// returns.
    pub fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        let context = "cannot read subject keys";
        // Collected first: a retried read must not visit a key twice.
        let keys =
            self.read(|conn| {
                snapshot(conn, &self.url, context, |conn| {
                    let mut keys = Vec::new();
                    let mut after: Vec<u8> = Vec::new();
                    loop {
                        let rows = conn
                            .run(conn.client.query(
                                &conn.st.keys_from_subject,
                                &[&after.as_slice(), &PAGE_ROWS],
                            ))
                            .map_err(|e| conn.error(&self.url, context, &e))?;
                        let full = i64::try_from(rows.len()) == Ok(PAGE_ROWS);
                        for row in &rows {
                            let key = key_from_row(row)
                                .map_err(|e| e.into_error(conn, &self.url, context))?;
                            after = key.subject.to_vec();
                            keys.push(key);
                        }
                        if !full {
                            return Ok(keys);
                        }
                    }
                })
            })?;
        keys.into_iter().try_for_each(visit)
    }

    /// The newest committed sequence number: one round trip, no lock (the cross-host freshness
    /// check: a process whose projection is at this number has seen every acknowledged write).
    ///
    /// # Errors
    /// `Storage` when reading fails.
    pub fn last_seq(&self) -> Result<u64> {
        let context = "cannot read the log's end";
        self.read(|conn| {
            let row = conn
                .run(conn.client.query_one(&conn.st.last_seq, &[]))
                .map_err(|e| conn.error(&self.url, context, &e))?;
            let seq: i64 = row
                .try_get(0)
                .map_err(|e| conn.error(&self.url, context, &e))?;
            u64::try_from(seq).map_err(|_| integrity("the log's end is negative"))
        })
    }

    /// A listener woken after each commit (`LISTEN`/`NOTIFY`): a hint to poll sooner, never a
    /// replacement for reading the log by sequence number (a notification can be missed while
    /// the listener reconnects).
    ///
    /// # Errors
    /// `Storage` when its connection cannot be made.
    pub fn listen(&self) -> Result<Listener> {
        Listener::connect(&self.url)
    }
}

/// Runs `f` inside a read-only repeatable-read transaction (one snapshot for all its queries).
fn snapshot<T>(
    conn: &Conn,
    url: &LedgerUrl,
    context: &str,
    f: impl FnOnce(&Conn) -> Result<T>,
) -> Result<T> {
    // Inside a pinned read the pinned transaction is already the snapshot.
    if conn.is_pinned() {
        return f(conn);
    }
    conn.run(
        conn.client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    )
    .map_err(|e| conn.error(url, context, &e))?;
    let result = f(conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    if let Err(e) = conn.run(conn.client.batch_execute(end)) {
        // The transaction's state is unknown: this connection is not used again.
        conn.set_broken();
        return Err(result.err().unwrap_or_else(|| conn.error(url, context, &e)));
    }
    result
}

pub(crate) fn head_from_row(row: &Row) -> std::result::Result<Option<Head>, RowError> {
    let seq: Option<i64> = row.try_get(0)?;
    let hash: Option<Vec<u8>> = row.try_get(1)?;
    let mac: Option<Vec<u8>> = row.try_get(2)?;
    match (seq, hash, mac) {
        (None, None, None) => Ok(None),
        (Some(seq), Some(hash), Some(mac)) => {
            let malformed = || RowError::Malformed("the head anchor is malformed".into());
            Ok(Some(Head::from_parts(
                u64::try_from(seq).map_err(|_| malformed())?,
                <[u8; 32]>::try_from(hash).map_err(|_| malformed())?,
                <[u8; 32]>::try_from(mac).map_err(|_| malformed())?,
            )))
        }
        _ => Err(RowError::Malformed(
            "the head anchor is partly missing".into(),
        )),
    }
}
