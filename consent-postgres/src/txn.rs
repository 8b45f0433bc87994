//! [`WriteTxn`]: what a writer can do while it holds the ledger's write lock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use consent_core::storage::{EventRecord, Hash, Head, SubjectKey};
use consent_core::{Error, ErrorCode, Result};

use crate::conn::{Conn, Pending, Reply, channel, pipeline};
use crate::log::{PAGE_ROWS, integrity, key_from_row, record_from_row, to_i64};
use crate::url::LedgerUrl;

/// Appended records are sent once this many are waiting (a bulk import), not all at commit.
const FLUSH_ROWS: usize = 1_000;

/// … or once they hold this many bytes.
const FLUSH_BYTES: usize = 4 << 20;

/// One write transaction under the ledger's write lock (see [`PgLog::write`]).
///
/// Reads ([`WriteTxn::records_after`], [`WriteTxn::keys_after`]) run at once and see every
/// committed write (the lock is held, so nothing newer can commit meanwhile). Changes
/// ([`WriteTxn::append`], keys, the head anchor, metadata) are checked at once and sent with the
/// commit, in one round trip with it (appends of a bulk import go in batches before that).
///
/// [`PgLog::write`]: crate::PgLog::write
pub struct WriteTxn<'a> {
    conn: &'a Conn,
    url: &'a LedgerUrl,
    /// The log's end when the lock was taken.
    locked_seq: u64,
    locked_hash: Hash,
    /// The head anchor committed when the lock was taken.
    locked_anchor: Option<Head>,
    /// The server's clock under the lock, never before the newest time given to a write.
    now: DateTime<Utc>,
    now_used: bool,
    /// The log's end including this transaction's appends.
    end_seq: u64,
    end_hash: Hash,
    /// Appended records not yet sent.
    pending: Vec<EventRecord>,
    pending_bytes: usize,
    new_keys: Vec<SubjectKey>,
    destroyed_keys: Vec<[u8; 16]>,
    head: Option<Head>,
    meta: BTreeMap<String, String>,
    /// A statement failed: the server's transaction is aborted and cannot commit.
    failed: bool,
    /// The COMMIT or ROLLBACK was sent.
    finished: bool,
}

impl std::fmt::Debug for WriteTxn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("schema", &self.url.schema)
            .field("locked_seq", &self.locked_seq)
            .field("end_seq", &self.end_seq)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

fn hash_from(bytes: Vec<u8>, what: &str) -> Result<Hash> {
    <[u8; 32]>::try_from(bytes).map_err(|_| integrity(format!("{what} is malformed")))
}

/// What a write transaction read when it took the lock: the log's end, the head anchor and
/// the server's clock. Kept between the calls of a write the ledger drives through
/// `Store::begin_write` … `Store::end_write`, whose transaction stays open on one connection.
#[derive(Debug, Clone)]
pub(crate) struct Locked {
    seq: u64,
    hash: Hash,
    anchor: Option<Head>,
    now: DateTime<Utc>,
}

impl Locked {
    /// The server's clock under the lock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }
}

impl<'a> WriteTxn<'a> {
    /// Begins the transaction, takes the lock and reads the log's end and the server's clock:
    /// three statements, one round trip.
    pub(crate) fn begin(conn: &'a Conn, url: &'a LedgerUrl) -> Result<WriteTxn<'a>> {
        let locked = lock(conn, url)?;
        Ok(WriteTxn::resume(conn, url, &locked))
    }

    /// The transaction [`lock`] began on `conn`, as a `WriteTxn` that has changed nothing yet.
    pub(crate) fn resume(conn: &'a Conn, url: &'a LedgerUrl, locked: &Locked) -> WriteTxn<'a> {
        WriteTxn {
            conn,
            url,
            locked_seq: locked.seq,
            locked_hash: locked.hash,
            locked_anchor: locked.anchor.clone(),
            now: locked.now,
            now_used: false,
            end_seq: locked.seq,
            end_hash: locked.hash,
            pending: Vec::new(),
            pending_bytes: 0,
            new_keys: Vec::new(),
            destroyed_keys: Vec::new(),
            head: None,
            meta: BTreeMap::new(),
            failed: false,
            finished: false,
        }
    }

    /// Whether a statement of this write failed (its server transaction is aborted).
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }
}

/// Begins a transaction on `conn`, takes the ledger's write lock and reads the log's end, the
/// head anchor and the server's clock: three statements, one round trip.
pub(crate) fn lock(conn: &Conn, url: &LedgerUrl) -> Result<Locked> {
    let context = "cannot take the ledger's write lock";
    let replies = conn
        .run(pipeline(vec![
            Box::pin(async {
                conn.client
                    .batch_execute("BEGIN")
                    .await
                    .map(|()| Reply::Done)
            }) as Pending<'_>,
            Box::pin(async { conn.client.query(&conn.st.lock, &[]).await.map(Reply::Rows) }),
            Box::pin(async {
                conn.client
                    .query(&conn.st.clock, &[])
                    .await
                    .map(Reply::Rows)
            }),
        ]))
        .map_err(|e| {
            // BEGIN may have run: the session is in a transaction nobody will finish.
            conn.set_broken();
            conn.error(url, context, &e)
        })?;
    let broken = |what: &str| {
        conn.set_broken();
        integrity(format!("{context}: {what}"))
    };
    let (head, clock) = match replies.as_slice() {
        [_, Reply::Rows(head), Reply::Rows(clock)] => (head, clock),
        _ => return Err(broken("unexpected replies")),
    };
    let (Some(head), Some(clock)) = (head.first(), clock.first()) else {
        return Err(broken("the log_head row is missing"));
    };
    let read = (|| {
        let seq: i64 = head.try_get(0)?;
        let hash: Vec<u8> = head.try_get(1)?;
        let last_at: Option<DateTime<Utc>> = head.try_get(2)?;
        let anchor_seq: Option<i64> = head.try_get(3)?;
        let anchor_hash: Option<Vec<u8>> = head.try_get(4)?;
        let anchor_mac: Option<Vec<u8>> = head.try_get(5)?;
        let clock: DateTime<Utc> = clock.try_get(0)?;
        Ok::<_, tokio_postgres::Error>((
            seq,
            hash,
            last_at,
            (anchor_seq, anchor_hash, anchor_mac),
            clock,
        ))
    })();
    let (seq, hash, last_at, anchor, clock) = read.map_err(|e| {
        conn.set_broken();
        conn.error(url, context, &e)
    })?;
    let anchor = anchor_from_parts(anchor).inspect_err(|_| conn.set_broken())?;
    let locked_seq = u64::try_from(seq).map_err(|_| broken("the log's end is negative"))?;
    let locked_hash = hash_from(hash, "the log's last hash").inspect_err(|_| conn.set_broken())?;
    // The server's clock can be stepped back (NTP); a recorded time never goes back.
    let now = last_at.map_or(clock, |last| clock.max(last));
    Ok(Locked {
        seq: locked_seq,
        hash: locked_hash,
        anchor,
        now,
    })
}

/// The head anchor from its three columns (all NULL before the first).
fn anchor_from_parts(
    parts: (Option<i64>, Option<Vec<u8>>, Option<Vec<u8>>),
) -> Result<Option<Head>> {
    let malformed = || integrity("the head anchor is malformed");
    match parts {
        (None, None, None) => Ok(None),
        (Some(seq), Some(hash), Some(mac)) => Ok(Some(Head::from_parts(
            u64::try_from(seq).map_err(|_| malformed())?,
            <[u8; 32]>::try_from(hash).map_err(|_| malformed())?,
            <[u8; 32]>::try_from(mac).map_err(|_| malformed())?,
        ))),
        _ => Err(integrity("the head anchor is partly missing")),
    }
}

impl<'a> WriteTxn<'a> {
    fn fail(&mut self, context: &str, e: &tokio_postgres::Error) -> Error {
        self.failed = true;
        self.conn.error(self.url, context, e)
    }

    /// The newest committed sequence number, read under the lock (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.locked_seq
    }

    /// The hash of the newest committed record, read under the lock (zeros for an empty log):
    /// the `prev_hash` of the next record.
    pub fn last_hash(&self) -> Hash {
        self.locked_hash
    }

    /// The sequence number the next appended record must have.
    pub fn next_seq(&self) -> u64 {
        self.end_seq + 1
    }

    /// The database server's clock, read right after the lock was taken, and never before the
    /// newest time an earlier write was given: one clock for every host, which never runs
    /// backwards. The same instant for every call in one transaction (microsecond precision).
    pub fn now(&mut self) -> DateTime<Utc> {
        self.now_used = true;
        self.now
    }

    /// Calls `visit` with every committed record after `seq`, in order (the catch-up of a
    /// writer whose view ends at `seq`). Catch up on most of a long backlog with
    /// [`PgLog::scan`](crate::PgLog::scan) before taking the lock; this reads what is left.
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed stored row; or whatever
    /// `visit` returns.
    pub fn records_after(
        &mut self,
        seq: u64,
        visit: &mut dyn FnMut(EventRecord) -> Result<()>,
    ) -> Result<()> {
        let context = "cannot read the records to catch up on";
        let mut after = to_i64(seq)?;
        let upto = to_i64(self.locked_seq)?;
        while after < upto {
            let rows = match self.conn.run(
                self.conn
                    .client
                    .query(&self.conn.st.records_between, &[&after, &upto, &PAGE_ROWS]),
            ) {
                Ok(rows) => rows,
                Err(e) => return Err(self.fail(context, &e)),
            };
            if rows.is_empty() {
                return Err(integrity(format!(
                    "event {}: missing below the log's end {upto}",
                    after + 1
                )));
            }
            for row in &rows {
                let record =
                    record_from_row(row).map_err(|e| e.into_error(self.conn, self.url, context))?;
                after = to_i64(record.seq)?;
                visit(record)?;
            }
        }
        Ok(())
    }

    /// The subject keys added after `seq` (those whose `since_seq` is greater), committed by
    /// other writers: a catching-up writer needs them to open the records it reads.
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed stored row.
    pub fn keys_after(&mut self, seq: u64) -> Result<Vec<SubjectKey>> {
        let context = "cannot read the subject keys to catch up on";
        let after = to_i64(seq)?;
        let rows = match self
            .conn
            .run(self.conn.client.query(&self.conn.st.keys_after, &[&after]))
        {
            Ok(rows) => rows,
            Err(e) => return Err(self.fail(context, &e)),
        };
        rows.iter()
            .map(|row| key_from_row(row).map_err(|e| e.into_error(self.conn, self.url, context)))
            .collect()
    }

    /// A metadata value as this write sees it: set earlier in this transaction, else committed
    /// (read under the lock, so no other write can change it before this one commits). What a
    /// writer creating a ledger checks first, so two hosts creating one at once cannot both
    /// write its key check value.
    ///
    /// # Errors
    /// `Storage` when reading fails.
    pub fn meta(&mut self, key: &str) -> Result<Option<String>> {
        if let Some(value) = self.meta.get(key) {
            return Ok(Some(value.clone()));
        }
        let context = "cannot read the ledger's metadata";
        let row = match self
            .conn
            .run(self.conn.client.query_opt(&self.conn.st.meta, &[&key]))
        {
            Ok(row) => row,
            Err(e) => return Err(self.fail(context, &e)),
        };
        match row.map(|row| row.try_get::<_, String>(0)).transpose() {
            Ok(value) => Ok(value),
            Err(e) => Err(self.fail(context, &e)),
        }
    }

    /// The head anchor as this write sees it: set earlier in this transaction, else committed
    /// (read under the lock). What creating a ledger checks, with the metadata, to know the log
    /// is new.
    ///
    /// # Errors
    /// `Storage` when reading fails; `Integrity` for a malformed anchor.
    pub fn head(&mut self) -> Result<Option<Head>> {
        // Read with the lock, so no other write can have changed it since.
        Ok(self.head.clone().or_else(|| self.locked_anchor.clone()))
    }

    /// Appends records, which must carry the next sequence numbers in order.
    ///
    /// # Errors
    /// `Conflict` for a record whose sequence number is not the next one (a gap or a
    /// duplicate); nothing of the call is kept then. `Storage` when sending a batch fails.
    pub fn append(&mut self, records: &[EventRecord]) -> Result<()> {
        for (next, record) in (self.end_seq + 1..).zip(records) {
            if record.seq != next {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("event {} is not the next event {next}", record.seq),
                ));
            }
        }
        to_i64(self.end_seq.saturating_add(records.len() as u64))?;
        if let Some(last) = records.last() {
            self.end_seq = last.seq;
            self.end_hash = last.hash;
        }
        for record in records {
            self.pending_bytes += record.header.len() + record.payload.len() + 64;
            self.pending.push(record.clone());
            if self.pending.len() >= FLUSH_ROWS || self.pending_bytes >= FLUSH_BYTES {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Sends the waiting records now, inside the transaction.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let columns = Columns::of(&records)?;
        let sent = self.conn.run(
            self.conn
                .client
                .execute(&self.conn.st.insert_records, &columns.params()),
        );
        match sent {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail("cannot append", &e)),
        }
    }

    /// Stores subject keys (with the commit).
    ///
    /// # Errors
    /// `Conflict` at commit when a subject already has a key.
    pub fn add_keys(&mut self, keys: &[SubjectKey]) -> Result<()> {
        for key in keys {
            to_i64(key.since_seq)?;
        }
        self.new_keys.extend_from_slice(keys);
        Ok(())
    }

    /// Destroys subjects' keys (with the commit, before the keys added in the same transaction
    /// are stored, so a key can be replaced).
    pub fn destroy_keys(&mut self, subjects: &[[u8; 16]]) {
        self.destroyed_keys.extend_from_slice(subjects);
    }

    /// Sets the head anchor (with the commit). It must name the log's end at commit.
    pub fn set_head(&mut self, head: &Head) {
        self.head = Some(head.clone());
    }

    /// Sets a metadata value (with the commit; the last value set for a key wins).
    pub fn set_meta(&mut self, key: &str, value: &str) {
        self.meta.insert(key.to_owned(), value.to_owned());
    }

    /// The head anchor set in this write must name the log's end at commit.
    fn check_anchor(&self) -> Result<()> {
        match &self.head {
            Some(head) if head.seq != self.end_seq || head.hash != self.end_hash => {
                Err(Error::new(
                    ErrorCode::Conflict,
                    format!(
                        "the head anchor names event {} but the log ends at {}",
                        head.seq, self.end_seq
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Sends what is waiting and commits, in one round trip. When this returns an error
    /// before sending the COMMIT, the caller rolls back ([`WriteTxn::finished`] is false).
    pub(crate) fn commit(&mut self) -> Result<()> {
        let context = "cannot commit";
        if self.failed {
            return Err(Error::new(
                ErrorCode::Storage,
                "cannot commit: a statement of this write failed",
            ));
        }
        self.check_anchor()?;
        let records = std::mem::take(&mut self.pending);
        let columns = Columns::of(&records)?;
        let appended = self.end_seq != self.locked_seq;
        let keys = KeyColumns::of(&self.new_keys)?;
        let destroyed: Vec<&[u8]> = self.destroyed_keys.iter().map(|s| s.as_slice()).collect();
        let (meta_keys, meta_values): (Vec<&str>, Vec<&str>) = self
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .unzip();
        let locked = to_i64(self.locked_seq)?;
        let end = to_i64(self.end_seq)?;
        let end_hash = self.end_hash.as_slice();
        let now = self.now_used.then_some(self.now);
        let anchor_seq = self.head.as_ref().map(|h| to_i64(h.seq)).transpose()?;
        let anchor_hash = self.head.as_ref().map(|h| h.hash.as_slice());
        let anchor_mac = self.head.as_ref().map(|h| h.mac.as_slice());
        let channel = channel(self.url);
        let payload = self.end_seq.to_string();
        let conn = self.conn;
        let st = &conn.st;
        let client = &conn.client;
        let count = |f: Result<u64, tokio_postgres::Error>| f.map(|_| Reply::Done);
        let mut queries: Vec<Pending<'_>> = Vec::new();
        if !records.is_empty() {
            let params = columns.params();
            queries.push(Box::pin(async move {
                count(client.execute(&st.insert_records, &params).await)
            }));
        }
        if !destroyed.is_empty() {
            queries.push(Box::pin(async {
                count(client.execute(&st.delete_keys, &[&destroyed]).await)
            }));
        }
        if !self.new_keys.is_empty() {
            let params = keys.params();
            queries.push(Box::pin(async move {
                count(client.execute(&st.insert_keys, &params).await)
            }));
        }
        if !meta_keys.is_empty() {
            queries.push(Box::pin(async {
                count(
                    client
                        .execute(&st.upsert_meta, &[&meta_keys, &meta_values])
                        .await,
                )
            }));
        }
        if appended || now.is_some() || self.head.is_some() {
            queries.push(Box::pin(async {
                count(
                    client
                        .execute(
                            &st.update_head,
                            &[
                                &locked,
                                &end,
                                &end_hash,
                                &now,
                                &anchor_seq,
                                &anchor_hash,
                                &anchor_mac,
                            ],
                        )
                        .await,
                )
            }));
        }
        if appended {
            queries.push(Box::pin(async {
                count(client.execute(&st.notify, &[&channel, &payload]).await)
            }));
        }
        queries.push(Box::pin(async {
            client.batch_execute("COMMIT").await.map(|()| Reply::Done)
        }));
        self.finished = true;
        match conn.run(pipeline(queries)) {
            Ok(_) => Ok(()),
            Err(e) => {
                // An error before the COMMIT aborted the transaction and the COMMIT rolled it
                // back; an error of the COMMIT itself leaves nothing committed either. Only a
                // lost connection leaves the outcome unknown (the error says Storage).
                Err(conn.error(self.url, context, &e))
            }
        }
    }

    /// Whether the COMMIT or ROLLBACK was sent (the server's transaction is over, or its
    /// connection is marked broken).
    pub(crate) fn finished(&self) -> bool {
        self.finished
    }

    /// Rolls the transaction back; a connection that cannot is not used again.
    pub(crate) fn rollback(&mut self) {
        self.finished = true;
        if self
            .conn
            .run(self.conn.client.batch_execute("ROLLBACK"))
            .is_err()
        {
            self.conn.set_broken();
        }
    }
}

/// The records as the insert statement's column arrays.
struct Columns<'r> {
    seqs: Vec<i64>,
    subjects: Vec<Option<&'r [u8]>>,
    headers: Vec<&'r str>,
    payloads: Vec<&'r [u8]>,
    hashes: Vec<&'r [u8]>,
}

impl<'r> Columns<'r> {
    fn of(records: &'r [EventRecord]) -> Result<Columns<'r>> {
        Ok(Columns {
            seqs: records
                .iter()
                .map(|r| to_i64(r.seq))
                .collect::<Result<_>>()?,
            subjects: records
                .iter()
                .map(|r| r.subject.as_ref().map(|s| s.as_slice()))
                .collect(),
            headers: records.iter().map(|r| r.header.as_str()).collect(),
            payloads: records.iter().map(|r| r.payload.as_slice()).collect(),
            hashes: records.iter().map(|r| r.hash.as_slice()).collect(),
        })
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 5] {
        [
            &self.seqs,
            &self.subjects,
            &self.headers,
            &self.payloads,
            &self.hashes,
        ]
    }
}

/// Subject keys as the insert statement's column arrays.
struct KeyColumns<'k> {
    subjects: Vec<&'k [u8]>,
    since: Vec<i64>,
    wrapped: Vec<&'k [u8]>,
}

impl<'k> KeyColumns<'k> {
    fn of(keys: &'k [SubjectKey]) -> Result<KeyColumns<'k>> {
        Ok(KeyColumns {
            subjects: keys.iter().map(|k| k.subject.as_slice()).collect(),
            since: keys
                .iter()
                .map(|k| to_i64(k.since_seq))
                .collect::<Result<_>>()?,
            wrapped: keys.iter().map(|k| k.wrapped.as_slice()).collect(),
        })
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 3] {
        [&self.subjects, &self.since, &self.wrapped]
    }
}
