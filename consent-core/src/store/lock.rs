//! The lock file beside a ledger database: writers in every process serialise through its
//! exclusive `flock`, held only while one of them writes (or creates or upgrades the file).
//!
//! The lock belongs to the file, not to the path string: every file beside a database (the lock,
//! the shared head) is named after the database's canonical path, so a symlink leads to the same
//! lock; and a database with a second hard link is refused, since the link's name would lead to
//! another lock file (and SQLite's own WAL index would split in two as well).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::sqlite::{FileAccess, beside, set_mode};
use crate::error::{Error, ErrorCode, Result};

/// How long to wait for a lock that must be had at once (creating a ledger, upgrading one).
const TRY_FOR: Duration = Duration::from_millis(500);

/// How to take the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Wait as long as another writer holds it: a writer holds it only for one write.
    Block,
    /// Fail with `Locked` unless it is had within half a second: for what must be exclusive
    /// (creating a ledger; the format upgrade, which a consent 0.1 process must not see).
    Briefly,
    /// Wait for a writer at most this long (`LedgerOptions::write_wait`), then fail with
    /// `Locked` naming the process that holds it.
    For(Duration),
}

/// The canonical path of a database that may not exist yet (its directory must): symlinks
/// resolved, so every name of the file leads to the same files beside it.
///
/// # Errors
/// `Storage` when the directory cannot be resolved.
pub(crate) fn canonical(path: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let cannot = |e| {
                Error::storage(
                    &format!("cannot resolve the ledger path `{}`", path.display()),
                    e,
                )
            };
            let name = path.file_name().ok_or_else(|| {
                Error::storage(
                    &format!("cannot resolve the ledger path `{}`", path.display()),
                    "it names no file",
                )
            })?;
            let parent = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            Ok(std::fs::canonicalize(parent).map_err(cannot)?.join(name))
        }
        Err(e) => Err(Error::storage(
            &format!("cannot resolve the ledger path `{}`", path.display()),
            e,
        )),
    }
}

/// Refuses a database file with more than one name: two names would mean two lock files.
///
/// # Errors
/// `Storage` naming the count of links.
#[cfg(unix)]
pub(crate) fn refuse_hard_links(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.nlink() > 1 => Err(Error::storage(
            &format!("cannot open the ledger `{}`", path.display()),
            format!(
                "the file has {} hard links; a ledger must have exactly one name, or processes opening it by different names would not exclude each other",
                metadata.nlink()
            ),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::storage(
            &format!("cannot inspect the ledger `{}`", path.display()),
            e,
        )),
    }
}

#[cfg(not(unix))]
pub(crate) fn refuse_hard_links(_path: &Path) -> Result<()> {
    Ok(())
}

/// The lock file of the database whose canonical path is `real`: `<real>.lock`.
pub(crate) fn lock_path(real: &Path) -> PathBuf {
    beside(real, ".lock")
}

/// The lock file, open (not locked), and whether this open created it.
pub(crate) fn open_lock_file(real: &Path, access: FileAccess) -> Result<(File, bool)> {
    let lock = lock_path(real);
    let mut create = OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        create.mode(access.data_mode());
    }
    match create.open(&lock) {
        Ok(file) => {
            set_mode(&lock, access.data_mode())
                .map_err(|e| Error::storage("cannot create the ledger's lock file", e))?;
            Ok((file, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((
            OpenOptions::new()
                .write(true)
                .open(&lock)
                .map_err(|e| Error::storage("cannot open the ledger's lock file", e))?,
            false,
        )),
        Err(e) => Err(Error::storage("cannot create the ledger's lock file", e)),
    }
}

/// Takes the exclusive lock on an open lock file. `shown` names the ledger in the message.
///
/// # Errors
/// `Locked` when `wait` is [`Wait::Briefly`] and another process holds it; `Storage`.
pub(crate) fn lock(file: &File, wait: Wait, shown: &Path) -> Result<()> {
    let limit = match wait {
        Wait::Block => {
            return file
                .lock()
                .map_err(|e| Error::storage("cannot lock the ledger for a write", e));
        }
        // A process that forks (to run a program) holds a copy of every open file
        // description until its child execs, so a lock released a moment ago can look held
        // for a few microseconds: half a second covers that window.
        Wait::Briefly => TRY_FOR,
        Wait::For(limit) => limit,
    };
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut attempt = file.try_lock();
    while matches!(attempt, Err(std::fs::TryLockError::WouldBlock)) {
        let waited = started.elapsed();
        if waited >= limit {
            break;
        }
        // Short pauses first (a write holds the lock for about a millisecond), never past
        // the limit.
        std::thread::sleep(pause.min(limit - waited));
        pause = (pause * 2).min(Duration::from_millis(20));
        attempt = file.try_lock();
    }
    match attempt {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            ErrorCode::Locked,
            match wait {
                Wait::For(limit) => format!(
                    "another process{} has held the write lock of the ledger `{}` for longer than the {} ms this handle waits (write_wait); nothing was written",
                    file.metadata()
                        .ok()
                        .and_then(|meta| holder_of(&meta))
                        .map_or_else(String::new, |(pid, command)| match command {
                            Some(command) => format!(" (pid {pid}, `{command}`)"),
                            None => format!(" (pid {pid})"),
                        }),
                    shown.display(),
                    limit.as_millis()
                ),
                _ => format!(
                    "the ledger `{}` is being created or upgraded by another process, or is open in a consent 0.1 process",
                    shown.display()
                ),
            },
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::storage("cannot lock the ledger", e)),
    }
}

/// The process that holds the lock on the lock file `lock` (`<ledger>.lock`), from the
/// kernel's table of locks (`/proc/locks`): its pid and, where readable, its command name.
/// `None` when nobody holds it, the file is missing, or there is no such table (not Linux). It
/// only names a holder for people (`consent doctor`, a `Locked` message): nothing depends on it.
pub fn lock_holder(lock: &std::path::Path) -> Option<(u32, Option<String>)> {
    holder_of(&std::fs::metadata(lock).ok()?)
}

#[cfg(unix)]
fn holder_of(meta: &std::fs::Metadata) -> Option<(u32, Option<String>)> {
    use std::os::unix::fs::MetadataExt;
    // Linux's encoding of a device number (glibc's `major()` and `minor()`).
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = table.lines().find_map(|line| {
        // `1: FLOCK  ADVISORY  WRITE 2171 fd:01:1311 0 EOF`; waiters are marked `->`.
        if line.contains("->") {
            return None;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = fields.iter().position(|f| f.matches(':').count() == 2)?;
        let mut parts = fields.get(at)?.split(':');
        let file_major = u64::from_str_radix(parts.next()?, 16).ok()?;
        let file_minor = u64::from_str_radix(parts.next()?, 16).ok()?;
        let inode: u64 = parts.next()?.parse().ok()?;
        if (file_major, file_minor, inode) != (major, minor, meta.ino()) {
            return None;
        }
        fields.get(at.checked_sub(1)?)?.parse::<u32>().ok()
    })?;
    let command = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|name| crate::error::printable(name.trim()));
    Some((pid, command))
}

#[cfg(not(unix))]
fn holder_of(_meta: &std::fs::Metadata) -> Option<(u32, Option<String>)> {
    None
}

/// Releases the lock.
///
/// # Errors
/// `Storage`.
pub(crate) fn unlock(file: &File) -> Result<()> {
    file.unlock()
        .map_err(|e| Error::storage("cannot unlock the ledger", e))
}
