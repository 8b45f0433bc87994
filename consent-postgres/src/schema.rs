//! The tables of one ledger, in its own schema, and the migrations that make and upgrade them.
//!
//! Migrations are code: an ordered list, each step a version and its statements. Opening a
//! ledger brings an older schema up to [`SCHEMA_VERSION`] inside one transaction, under a
//! transaction-level advisory lock on the schema's name (so two processes opening a new ledger
//! at once create it once); a schema of a newer version is `UnsupportedVersion`, and a schema
//! that holds tables but no version table is not a ledger (`Storage`).

use consent_core::{Error, ErrorCode, Result};
use tokio_postgres::Client;

use crate::conn::{db_error, is_connection_lost};
use crate::url::LedgerUrl;

/// The version of the tables this build reads and writes.
pub const SCHEMA_VERSION: i32 = 1;

/// One migration: the statements that take a schema from `version - 1` to `version`. `{s}`
/// stands for the quoted schema name.
struct Migration {
    version: i32,
    statements: &'static [&'static str],
}

/// Every migration, in order. Append only: a released step is never edited (a schema made by it
/// exists somewhere), a change is a new step.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &[
        // The version of these tables (one row).
        "CREATE TABLE {s}.consent_schema (
            id      integer PRIMARY KEY CHECK (id = 1),
            version integer NOT NULL
        )",
        // The log's end and the ledger's head anchor (one row). Its row lock is the ledger's
        // write lock: every write takes it first (SELECT … FOR UPDATE) and holds it to commit.
        // `last_seq`/`last_hash` are the newest record's; `last_at` the newest server time a
        // write was given; `anchor_*` the head anchor the ledger wrote (NULL before the first).
        "CREATE TABLE {s}.log_head (
            id          integer PRIMARY KEY CHECK (id = 1),
            last_seq    bigint NOT NULL CHECK (last_seq >= 0),
            last_hash   bytea NOT NULL CHECK (length(last_hash) = 32),
            last_at     timestamptz,
            anchor_seq  bigint CHECK (anchor_seq >= 0),
            anchor_hash bytea CHECK (length(anchor_hash) = 32),
            anchor_mac  bytea CHECK (length(anchor_mac) = 32)
        )",
        "INSERT INTO {s}.log_head (id, last_seq, last_hash)
         VALUES (1, 0, '\\x0000000000000000000000000000000000000000000000000000000000000000')",
        // The records, by sequence number (assigned under the write lock: no gaps, commit order).
        "CREATE TABLE {s}.records (
            seq     bigint PRIMARY KEY CHECK (seq > 0),
            subject bytea CHECK (length(subject) = 16),
            header  text NOT NULL,
            payload bytea NOT NULL,
            hash    bytea NOT NULL CHECK (length(hash) = 32)
        )",
        "CREATE INDEX records_by_subject ON {s}.records (subject) WHERE subject IS NOT NULL",
        // One data key per subject; `since_seq` finds the keys a catch-up has not seen.
        "CREATE TABLE {s}.subject_keys (
            subject   bytea PRIMARY KEY CHECK (length(subject) = 16),
            since_seq bigint NOT NULL CHECK (since_seq >= 0),
            wrapped   bytea NOT NULL
        )",
        "CREATE INDEX subject_keys_by_since ON {s}.subject_keys (since_seq)",
        "CREATE TABLE {s}.meta (
            key   text PRIMARY KEY,
            value text NOT NULL
        )",
        "INSERT INTO {s}.consent_schema (id, version) VALUES (1, 1)",
    ],
}];

fn storage(url: &LedgerUrl, context: &str, e: &tokio_postgres::Error) -> Error {
    db_error(url, context, e)
}

/// The version of the ledger tables in the URL's schema: `None` when the schema has no tables
/// at all (a new ledger).
async fn current_version(client: &Client, url: &LedgerUrl) -> Result<Option<i32>> {
    let context = "cannot read the ledger's schema version";
    let row = client
        .query_one(
            "SELECT to_regclass(format('%I.consent_schema', $1::text)) IS NOT NULL,
                    (SELECT count(*) FROM pg_catalog.pg_class c
                       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = $1::text AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))",
            &[&url.schema],
        )
        .await
        .map_err(|e| storage(url, context, &e))?;
    let has_version: bool = row.try_get(0).map_err(|e| storage(url, context, &e))?;
    let tables: i64 = row.try_get(1).map_err(|e| storage(url, context, &e))?;
    if !has_version {
        if tables > 0 {
            return Err(Error::new(
                ErrorCode::Storage,
                format!(
                    "schema `{}` holds other tables: it is not a consent ledger",
                    url.schema
                ),
            ));
        }
        return Ok(None);
    }
    let sql = format!(
        "SELECT version FROM {}.consent_schema WHERE id = 1",
        url.quoted_schema()
    );
    let row = client
        .query_opt(sql.as_str(), &[])
        .await
        .map_err(|e| storage(url, context, &e))?;
    match row {
        Some(row) => Ok(Some(row.try_get(0).map_err(|e| storage(url, context, &e))?)),
        None => Err(Error::new(
            ErrorCode::Storage,
            format!("schema `{}` has an empty version table", url.schema),
        )),
    }
}

fn check_supported(url: &LedgerUrl, version: i32) -> Result<()> {
    if version > SCHEMA_VERSION || version < 1 {
        return Err(Error::new(
            ErrorCode::UnsupportedVersion,
            format!(
                "ledger schema `{}` has table version {version}, which this version does not read (it reads up to {SCHEMA_VERSION})",
                url.schema
            ),
        ));
    }
    Ok(())
}

/// Checks, without changing anything, that the schema holds tables of [`SCHEMA_VERSION`]: what
/// a read-only open needs (it neither creates nor upgrades).
///
/// # Errors
/// `NotFound` when the schema holds no ledger tables; `UnsupportedVersion` for another
/// version (an older one is upgraded by opening the ledger for writing once); `Storage`.
pub(crate) async fn check_current(client: &Client, url: &LedgerUrl) -> Result<()> {
    match current_version(client, url).await? {
        None => Err(Error::new(
            ErrorCode::NotFound,
            format!("ledger schema `{}` holds no ledger", url.schema),
        )),
        Some(version) if version == SCHEMA_VERSION => Ok(()),
        Some(version) if (1..SCHEMA_VERSION).contains(&version) => Err(Error::new(
            ErrorCode::UnsupportedVersion,
            format!(
                "ledger schema `{}` has table version {version}; open it for writing once to upgrade it to {SCHEMA_VERSION}",
                url.schema
            ),
        )),
        Some(version) => check_supported(url, version),
    }
}

/// Creates the schema and its tables, or brings older tables up to [`SCHEMA_VERSION`].
///
/// # Errors
/// `UnsupportedVersion` for tables of a newer version; `Storage` for a schema that holds other
/// tables, a role that may not create it, or a failed statement (nothing is changed then).
pub(crate) async fn migrate(client: &Client, url: &LedgerUrl) -> Result<()> {
    // The common case, without a lock: the tables are current.
    if let Some(version) = current_version(client, url).await? {
        check_supported(url, version)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
    }
    let context = "cannot create or upgrade the ledger's tables";
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| storage(url, context, &e))?;
    let result = migrate_locked(client, url).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    match (result, client.batch_execute(end).await) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(error), _) => Err(error),
        (Ok(()), Err(e)) => Err(storage(url, context, &e)),
    }
}

async fn migrate_locked(client: &Client, url: &LedgerUrl) -> Result<()> {
    let context = "cannot create or upgrade the ledger's tables";
    let fail = |e: tokio_postgres::Error| storage(url, context, &e);
    client
        .execute(
            "SELECT pg_advisory_xact_lock(hashtext('consent-postgres migrate ' || $1::text))",
            &[&url.schema],
        )
        .await
        .map_err(fail)?;
    // Again under the lock: another process may have just made or upgraded the tables.
    let version = match current_version(client, url).await? {
        Some(version) => {
            check_supported(url, version)?;
            version
        }
        None => {
            let exists: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1::text)",
                    &[&url.schema],
                )
                .await
                .and_then(|row| row.try_get(0))
                .map_err(fail)?;
            if !exists {
                client
                    .batch_execute(&format!("CREATE SCHEMA {}", url.quoted_schema()))
                    .await
                    .map_err(fail)?;
            }
            0
        }
    };
    let quoted = url.quoted_schema();
    for migration in MIGRATIONS.iter().filter(|m| m.version > version) {
        for statement in migration.statements {
            client
                .batch_execute(&statement.replace("{s}", &quoted))
                .await
                .map_err(|e| {
                    if is_connection_lost(&e) {
                        fail(e)
                    } else {
                        storage(
                            url,
                            &format!("migration to table version {}", migration.version),
                            &e,
                        )
                    }
                })?;
        }
        client
            .execute(
                format!("UPDATE {quoted}.consent_schema SET version = $1 WHERE id = 1").as_str(),
                &[&migration.version],
            )
            .await
            .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_from_one_to_the_current_version_without_gaps() {
        let versions: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i32> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
        for migration in MIGRATIONS {
            assert!(!migration.statements.is_empty());
            for statement in migration.statements {
                // Every table name is schema-qualified: a ledger never writes into the
                // search_path's schema.
                for table in [
                    "consent_schema",
                    "log_head",
                    "records",
                    "subject_keys",
                    "meta",
                ] {
                    let unqualified = format!(" {table} ");
                    assert!(
                        !statement.contains(&unqualified),
                        "unqualified `{table}` in {statement}"
                    );
                }
            }
        }
    }
}
