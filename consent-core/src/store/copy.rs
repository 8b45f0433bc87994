//! Copying a live ledger database and replacing one, at the level of SQLite: the online backup
//! (one read transaction, so one committed state, while other processes write), and the checks
//! that no process has a database open before a restore puts another file in its place.

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode as SqliteCode, OpenFlags};

use super::sqlite::{FILE_VERSION, check_format};
use crate::error::{Error, ErrorCode, Result};

/// How often a backup step that found the source busy is retried (a writer's checkpoint can
/// hold the lock it needs for a moment).
const BUSY_RETRIES: u32 = 50;

fn sql(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::storage(context, e)
}

/// Copies the ledger database at `source` (checked to be a ledger of this format) to `dest`,
/// which must not exist, with SQLite's online backup API: every page in one step, so the copy
/// is one committed state even while other processes write (their commits after the step began
/// are simply not in it). The copy is left in rollback-journal mode, a single file that needs
/// no WAL beside it, synced to disk.
///
/// # Errors
/// `Storage` when the source is not a ledger or either file cannot be used; `Conflict` when
/// `dest` exists.
pub(crate) fn online_copy(source: &Path, dest: &Path) -> Result<()> {
    online_copy_format(source, dest, FILE_VERSION)
}

/// [`online_copy`] of a ledger file of the given format (the upgrade backs up format 1).
///
/// # Errors
/// As [`online_copy`].
pub(crate) fn online_copy_format(source: &Path, dest: &Path, format: i64) -> Result<()> {
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("cannot open the ledger for a backup"))?;
    src.execute_batch("PRAGMA busy_timeout = 5000;")
        .map_err(sql("cannot open the ledger for a backup"))?;
    check_format(&src, source, format)?;
    if std::fs::symlink_metadata(dest).is_ok() {
        return Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "`{}` already exists; refusing to overwrite it",
                dest.display()
            ),
        ));
    }
    let mut dst = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("cannot create the backup database"))?;
    dst.execute_batch("PRAGMA synchronous = FULL;")
        .map_err(sql("cannot configure the backup database"))?;
    {
        let backup = Backup::new(&src, &mut dst).map_err(sql("cannot start the backup"))?;
        let mut tries = 0;
        loop {
            match backup.step(-1).map_err(sql("cannot copy the ledger"))? {
                StepResult::Done => break,
                // `-1` copies every page in one step; `More` means the source changed under a
                // step that had to restart, so it runs again.
                StepResult::More | StepResult::Busy | StepResult::Locked
                    if tries < BUSY_RETRIES =>
                {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => {
                    return Err(Error::storage(
                        "cannot copy the ledger",
                        format!("the copy did not finish ({other:?}): the ledger stayed busy"),
                    ));
                }
            }
        }
    }
    let journal: String = dst
        .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
        .map_err(sql("cannot finish the backup database"))?;
    if !journal.eq_ignore_ascii_case("delete") {
        return Err(Error::storage(
            "cannot finish the backup database",
            format!("its journal mode stayed `{journal}`"),
        ));
    }
    dst.close()
        .map_err(|(_, e)| Error::storage("cannot close the backup database", e))?;
    sync_file(dest)
}

/// Flushes a file's contents to disk.
///
/// # Errors
/// `Storage`.
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|e| Error::storage(&format!("cannot flush `{}` to disk", path.display()), e))
}

/// Flushes a directory's entries (a rename or a new file in it) to disk.
///
/// # Errors
/// `Storage`.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|file| file.sync_all())
            .map_err(|e| Error::storage(&format!("cannot flush `{}` to disk", dir.display()), e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Makes sure no other connection (in any process) has the database at `path` open, then
/// merges its WAL into the file, so that the file alone is the whole ledger and it can be moved
/// aside and replaced. An open ledger keeps a shared lock on its database file for as long as
/// it is open (WAL mode), so an exclusive lock taken without waiting proves it is not.
///
/// The caller holds the ledger's write lock, so no writer opens it meanwhile.
///
/// # Errors
/// `Locked` when another connection has it open; `Storage`.
pub(crate) fn quiesce(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("cannot open the ledger being replaced"))?;
    let probed = conn.execute_batch(
        "PRAGMA busy_timeout = 0;
         PRAGMA locking_mode = EXCLUSIVE;
         BEGIN EXCLUSIVE;
         COMMIT;",
    );
    match probed {
        Ok(()) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                SqliteCode::DatabaseBusy | SqliteCode::DatabaseLocked
            ) =>
        {
            return Err(Error::new(
                ErrorCode::Locked,
                format!(
                    "the ledger `{}` is open in another process; stop it before restoring over it (`consent doctor` names a writer)",
                    path.display()
                ),
            ));
        }
        Err(e) => {
            return Err(Error::storage(
                "cannot inspect the ledger being replaced",
                e,
            ));
        }
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(sql("cannot checkpoint the ledger being replaced"))
    .and_then(|busy| {
        if busy == 0 {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::Locked,
                "the ledger being replaced could not be checkpointed: another process reads it",
            ))
        }
    })?;
    conn.close()
        .map_err(|(_, e)| Error::storage("cannot close the ledger being replaced", e))
}
