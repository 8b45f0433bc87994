//! One connection: its own single-threaded Tokio runtime (the driver task runs while a call
//! blocks on it), the statements prepared on it, and the mapping of driver errors to
//! `consent_core::Error` with the password scrubbed.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use consent_core::{Error, ErrorCode, Result};
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::Runtime;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::schema;
use crate::url::LedgerUrl;

/// How long a session may sit idle inside a transaction before the server ends it (and so
/// releases the write lock): a writer paused or hung while holding the lock stalls the others
/// for at most this long.
pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// The statements of one connection, prepared once (each is then one message per use, and can
/// be pipelined with others).
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) lock: Statement,
    pub(crate) clock: Statement,
    pub(crate) records_between: Statement,
    pub(crate) subject_records: Statement,
    pub(crate) keys_after: Statement,
    pub(crate) keys_from_subject: Statement,
    pub(crate) head: Statement,
    pub(crate) last_seq: Statement,
    pub(crate) meta: Statement,
    pub(crate) insert_records: Statement,
    pub(crate) insert_keys: Statement,
    pub(crate) delete_keys: Statement,
    pub(crate) update_head: Statement,
    pub(crate) upsert_meta: Statement,
    pub(crate) notify: Statement,
}

/// What connecting does to the ledger's tables first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    /// Creates or upgrades them (the first connection of a `PgLog`).
    Migrate,
    /// Checks that they exist at the current version, changing nothing (a read-only open).
    Check,
    /// Nothing (a later connection: the first one did it).
    None,
}

/// What becomes of a new connection's I/O half: something must poll it on the runtime for the
/// client to work. Generic over the stream, which differs with and without TLS.
pub(crate) trait Drive {
    fn drive<S, T>(self, connection: tokio_postgres::Connection<S, T>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static;
}

/// Spawns the connection on the runtime: driven whenever a call blocks on it, ended when the
/// client closes. A broken connection shows up as an error on the next call.
struct Spawn;

impl Drive for Spawn {
    fn drive<S, T>(self, connection: tokio_postgres::Connection<S, T>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

/// Connects as the URL says, over TLS or not (`sslmode`), and hands the connection to `drive`.
///
/// # Errors
/// `Storage` when the server cannot be reached, refuses the login or the TLS handshake.
pub(crate) async fn connect_client(
    url: &LedgerUrl,
    context: &str,
    drive: impl Drive,
) -> Result<Client> {
    match &url.tls {
        None => {
            let (client, connection) = url
                .config
                .connect(NoTls)
                .await
                .map_err(|e| db_error(url, context, &e))?;
            drive.drive(connection);
            Ok(client)
        }
        Some(tls) => {
            let (client, connection) = url
                .config
                .connect(MakeRustlsConnect::new(ClientConfig::clone(tls)))
                .await
                .map_err(|e| db_error(url, context, &e))?;
            drive.drive(connection);
            Ok(client)
        }
    }
}

/// A connection to the ledger's database.
#[derive(Debug)]
pub(crate) struct Conn {
    // Field order: the client closes before the runtime that drives its connection goes.
    pub(crate) client: Client,
    pub(crate) st: Statements,
    /// Set when a call saw the connection fail: its owner drops it and connects anew.
    broken: Cell<bool>,
    /// Set while the connection holds a pinned read's transaction (`Store::begin_read`).
    pinned: Cell<bool>,
    rt: Runtime,
}

/// The channel that NOTIFY wakes listeners on.
pub(crate) fn channel(url: &LedgerUrl) -> String {
    format!("consent_{}", url.schema)
}

/// Whether an error means the connection is gone (or the server is going away), so the next
/// call must connect again.
pub(crate) fn is_connection_lost(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => {
            let class = code.code().get(..2);
            // 08: connection exception; 57: operator intervention (shutdown, terminated).
            matches!(class, Some("08") | Some("57"))
        }
    }
}

/// A driver error as a ledger error: `Conflict` for a duplicate key (a sequence number or a
/// subject key already stored), `Storage` otherwise. Server messages are used without their
/// detail (which quotes key values), and the password never appears.
pub(crate) fn db_error(url: &LedgerUrl, context: &str, e: &tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) if db.code() == &SqlState::UNIQUE_VIOLATION => Error::new(
            ErrorCode::Conflict,
            url.scrub(&format!("{context}: {}", db.message())),
        ),
        Some(db) => Error::new(
            ErrorCode::Storage,
            url.scrub(&format!(
                "{context}: {} (SQLSTATE {})",
                db.message(),
                db.code().code()
            )),
        ),
        None => Error::new(
            ErrorCode::Storage,
            url.scrub(&format!("{context}: {}", with_causes(e))),
        ),
    }
}

/// An error's message followed by its causes', joined by `: ` (a cause already quoted by the
/// message is not repeated).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// What one pipelined query answered.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A statement or command that returns no rows completed.
    Done,
    /// The rows a query returned.
    Rows(Vec<tokio_postgres::Row>),
}

/// A boxed query future, for [`pipeline`].
pub(crate) type Pending<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Reply, tokio_postgres::Error>> + 'a>>;

/// Runs queries as one pipeline: every request is sent before any answer is awaited (the driver
/// sends a query when its future is first polled), so N statements cost one round trip. Every
/// answer is awaited, in order; the first error is returned. An error aborts the server's
/// transaction, so a `COMMIT` later in the same pipeline rolls back instead.
pub(crate) async fn pipeline(
    mut queries: Vec<Pending<'_>>,
) -> std::result::Result<Vec<Reply>, tokio_postgres::Error> {
    let mut done: Vec<Option<std::result::Result<Reply, tokio_postgres::Error>>> =
        queries.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (query, slot) in queries.iter_mut().zip(done.iter_mut()) {
            if let Poll::Ready(result) = query.as_mut().poll(cx) {
                *slot = Some(result);
            }
        }
        Poll::Ready(())
    })
    .await;
    let mut replies = Vec::with_capacity(queries.len());
    let mut first_error = None;
    for (query, slot) in queries.into_iter().zip(done) {
        let result = match slot {
            Some(result) => result,
            None => query.await,
        };
        match result {
            Ok(reply) => replies.push(reply),
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(replies),
    }
}

impl Conn {
    /// Connects, sets the session up, creates or upgrades the tables when `migrate`, and
    /// prepares the statements.
    ///
    /// # Errors
    /// `Storage` when the server cannot be reached, refuses the login or a statement fails;
    /// `UnsupportedVersion` from the migration.
    pub(crate) fn connect(url: &LedgerUrl, migrate: Setup) -> Result<Conn> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::Storage,
                    format!("cannot start the database client's runtime: {e}"),
                )
            })?;
        let context = format!("cannot connect to the ledger database `{}`", url.redacted);
        let (client, st) = rt.block_on(async {
            let client = connect_client(url, &context, Spawn).await?;
            client
                .batch_execute(&format!(
                    "SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_TIMEOUT}'"
                ))
                .await
                .map_err(|e| db_error(url, &context, &e))?;
            match migrate {
                Setup::Migrate => schema::migrate(&client, url).await?,
                Setup::Check => schema::check_current(&client, url).await?,
                Setup::None => {}
            }
            let st = prepare(&client, url).await?;
            Ok::<_, Error>((client, st))
        })?;
        Ok(Conn {
            client,
            st,
            broken: Cell::new(false),
            pinned: Cell::new(false),
            rt,
        })
    }

    /// A driver error as a ledger error (see [`db_error`]), noting a lost connection.
    pub(crate) fn error(&self, url: &LedgerUrl, context: &str, e: &tokio_postgres::Error) -> Error {
        if is_connection_lost(e) {
            self.broken.set(true);
        }
        db_error(url, context, e)
    }

    /// Whether the connection failed or closed: its owner must connect anew.
    pub(crate) fn is_broken(&self) -> bool {
        self.broken.get() || self.client.is_closed()
    }

    /// Whether the connection holds a pinned read's transaction: its reads take no snapshot
    /// of their own.
    pub(crate) fn is_pinned(&self) -> bool {
        self.pinned.get()
    }

    pub(crate) fn set_pinned(&self, pinned: bool) {
        self.pinned.set(pinned);
    }

    /// Marks the connection as unusable (its transaction state is unknown).
    pub(crate) fn set_broken(&self) {
        self.broken.set(true);
    }

    /// Runs a future on this connection's runtime, driving the connection meanwhile.
    pub(crate) fn run<F: Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }
}

async fn prepare(client: &Client, url: &LedgerUrl) -> Result<Statements> {
    let s = url.quoted_schema();
    let context = "cannot prepare the ledger's statements (are its tables there?)";
    let prep = |sql: String| async move {
        client
            .prepare(&sql)
            .await
            .map_err(|e| db_error(url, context, &e))
    };
    Ok(Statements {
        lock: prep(format!(
            "SELECT last_seq, last_hash, last_at, anchor_seq, anchor_hash, anchor_mac
             FROM {s}.log_head WHERE id = 1 FOR UPDATE"
        ))
        .await?,
        clock: prep("SELECT clock_timestamp()".to_owned()).await?,
        records_between: prep(format!(
            "SELECT seq, subject, header, payload, hash FROM {s}.records
             WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        ))
        .await?,
        subject_records: prep(format!(
            "SELECT seq, subject, header, payload, hash FROM {s}.records
             WHERE subject = $1 ORDER BY seq"
        ))
        .await?,
        keys_after: prep(format!(
            "SELECT subject, since_seq, wrapped FROM {s}.subject_keys
             WHERE since_seq > $1 ORDER BY since_seq, subject"
        ))
        .await?,
        keys_from_subject: prep(format!(
            "SELECT subject, since_seq, wrapped FROM {s}.subject_keys
             WHERE subject > $1 ORDER BY subject LIMIT $2"
        ))
        .await?,
        head: prep(format!(
            "SELECT anchor_seq, anchor_hash, anchor_mac FROM {s}.log_head WHERE id = 1"
        ))
        .await?,
        last_seq: prep(format!("SELECT last_seq FROM {s}.log_head WHERE id = 1")).await?,
        meta: prep(format!("SELECT value FROM {s}.meta WHERE key = $1")).await?,
        insert_records: prep(format!(
            "INSERT INTO {s}.records (seq, subject, header, payload, hash)
             SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::bytea[], $5::bytea[])"
        ))
        .await?,
        insert_keys: prep(format!(
            "INSERT INTO {s}.subject_keys (subject, since_seq, wrapped)
             SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bytea[])"
        ))
        .await?,
        delete_keys: prep(format!(
            "DELETE FROM {s}.subject_keys WHERE subject = ANY($1::bytea[])"
        ))
        .await?,
        // `last_seq` moves only from the value read under the lock: otherwise NULL violates
        // NOT NULL, the statement fails and the pipelined COMMIT rolls back.
        update_head: prep(format!(
            "UPDATE {s}.log_head SET
                 last_seq = CASE WHEN last_seq = $1::bigint THEN $2::bigint END,
                 last_hash = $3::bytea,
                 last_at = GREATEST(last_at, $4::timestamptz),
                 anchor_seq = COALESCE($5::bigint, anchor_seq),
                 anchor_hash = COALESCE($6::bytea, anchor_hash),
                 anchor_mac = COALESCE($7::bytea, anchor_mac)
             WHERE id = 1"
        ))
        .await?,
        upsert_meta: prep(format!(
            "INSERT INTO {s}.meta (key, value) SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ))
        .await?,
        notify: prep("SELECT pg_notify($1, $2)".to_owned()).await?,
    })
}
