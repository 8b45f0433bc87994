//! The shared head file: a small file beside a ledger, mapped by every process that has the
//! ledger open, holding the newest committed sequence number.
//!
//! Layout (128 bytes, one file per ledger):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `b"CNSTHEAD"` |
//! | 8 | 4 | layout version, little-endian (1) |
//! | 12 | 4 | file length, little-endian (128) |
//! | 16 | 16 | the ledger's identity |
//! | 32 | 32 | zero (reserved) |
//! | 64 | 8 | the head sequence number, an atomic word in the machine's byte order |
//! | 72 | 56 | zero (reserved) |
//!
//! The header (the first 64 bytes) is written once, before the file appears under its name, and
//! never changes; the word at 64 is only ever touched atomically and only ever grows.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorKind, Result};
use crate::sys::MappedWord;

/// The length of a head file, in bytes.
pub const FILE_LEN: usize = 128;

const MAGIC: [u8; 8] = *b"CNSTHEAD";
const LAYOUT_VERSION: u32 = 1;
const HEAD_OFFSET: usize = 64;
const HEADER_LEN: usize = 64;

/// Who may open a head file besides its owner. Either way, other users get no access at all,
/// whatever the process's umask (the mode is set with `fchmod`, which the umask does not touch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Mode 0600: processes running as the file's owner.
    Owner,
    /// Mode 0660: also processes of the file's group (services under different users sharing
    /// a ledger through a group).
    OwnerAndGroup,
}

impl Access {
    /// The file mode this access creates.
    pub fn mode(self) -> u32 {
        match self {
            Access::Owner => 0o600,
            Access::OwnerAndGroup => 0o660,
        }
    }
}

/// The newest committed sequence number of a ledger, shared by every process on the host that
/// maps the same file. Writers [`advance`](SharedHead::advance) it after each commit; a decision
/// [`load`](SharedHead::load)s it (about a nanosecond) and catches up from the database only
/// when it moved past what the process has applied.
///
/// Frozen after opening; may be shared across threads (`Send + Sync`).
pub struct SharedHead {
    word: MappedWord,
    identity: [u8; 16],
    path: PathBuf,
    file: File,
}

impl fmt::Debug for SharedHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedHead")
            .field("path", &self.path)
            .field("identity", &hex(&self.identity))
            .field("head", &self.load())
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "FILE_LEN is 128, which a u32 holds"
)]
fn header(identity: &[u8; 16]) -> [u8; FILE_LEN] {
    let mut bytes = [0u8; FILE_LEN];
    let fields: [(usize, &[u8]); 4] = [
        (0, &MAGIC),
        (8, &LAYOUT_VERSION.to_le_bytes()),
        (12, &(FILE_LEN as u32).to_le_bytes()),
        (16, identity),
    ];
    for (offset, field) in fields {
        if let Some(slot) = bytes.get_mut(offset..offset + field.len()) {
            slot.copy_from_slice(field);
        }
    }
    bytes
}

fn open_flags() -> i32 {
    // No symlink as the last component; no blocking on a FIFO or a device; not inherited by
    // programs the host executes.
    libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC
}

impl SharedHead {
    /// Opens the head file at `path`, creating it when it does not exist (with the counter at 0
    /// and the mode `access` gives, whatever the umask). A new file appears under its name only
    /// once complete, so a concurrent opener never sees a half-written one; when two processes
    /// create it at once, both end up mapping the same file.
    ///
    /// The counter starts at 0 in a new file: the opener then [`advance`](SharedHead::advance)s
    /// it to the head it reads from the database.
    ///
    /// # Errors
    /// [`ErrorKind::Symlink`], [`ErrorKind::NotRegularFile`], [`ErrorKind::Permissions`] (other
    /// users have access), [`ErrorKind::WrongSize`], [`ErrorKind::WrongMagic`],
    /// [`ErrorKind::UnsupportedVersion`], [`ErrorKind::WrongIdentity`] (the file belongs to
    /// another ledger), [`ErrorKind::Io`].
    pub fn open(path: impl AsRef<Path>, identity: [u8; 16], access: Access) -> Result<SharedHead> {
        let path = path.as_ref();
        // A create can lose a race to another creator; the file is then there to open.
        for _ in 0..3 {
            match open_existing(path) {
                Ok(file) => return SharedHead::from_file(path, file, identity),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(open_error(path, e)),
            }
            if let Some(file) = create(path, &identity, access)? {
                return SharedHead::from_file(path, file, identity);
            }
        }
        Err(Error::new(
            ErrorKind::Io,
            format!(
                "`{}` keeps appearing and disappearing while it is opened",
                path.display()
            ),
        ))
    }

    fn from_file(path: &Path, file: File, identity: [u8; 16]) -> Result<SharedHead> {
        check(path, &file, &identity)?;
        let word = MappedWord::map(&file, FILE_LEN, HEAD_OFFSET)
            .map_err(|e| Error::io(format!("cannot map `{}`", path.display()), e))?;
        Ok(SharedHead {
            word,
            identity,
            path: path.to_owned(),
            file,
        })
    }

    /// The newest sequence number any process advanced the counter to: one atomic load with
    /// `Acquire` ordering.
    #[inline]
    pub fn load(&self) -> u64 {
        self.word.word().load(Ordering::Acquire)
    }

    /// Raises the counter to `seq` unless it is already at or past it (`fetch_max`, `Release`
    /// ordering), and returns the value before. The counter never goes down.
    #[inline]
    pub fn advance(&self, seq: u64) -> u64 {
        self.word.word().fetch_max(seq, Ordering::Release)
    }

    /// The ledger identity the file was checked against.
    pub fn identity(&self) -> [u8; 16] {
        self.identity
    }

    /// The path the file was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the path still names the file this head maps (same device and inode, and not a
    /// symlink). A head file deleted or replaced under a running process leaves that process on
    /// a counter nobody else advances: a writer can check this under its write lock (a `stat`,
    /// too slow for every decision) and reopen.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the mapped file cannot be examined. A path that no longer exists
    /// is `Ok(false)`.
    pub fn is_current(&self) -> Result<bool> {
        let mapped = self
            .file
            .metadata()
            .map_err(|e| Error::io(format!("cannot examine `{}`", self.path.display()), e))?;
        match fs::symlink_metadata(&self.path) {
            Ok(now) => Ok(now.file_type().is_file()
                && now.dev() == mapped.dev()
                && now.ino() == mapped.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(
                format!("cannot examine `{}`", self.path.display()),
                e,
            )),
        }
    }
}

fn open_existing(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(open_flags())
        .open(path)
}

fn open_error(path: &Path, e: io::Error) -> Error {
    // O_NOFOLLOW on a symlink fails with ELOOP.
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::new(
            ErrorKind::Symlink,
            format!(
                "`{}` is a symbolic link; a head file must be a regular file",
                path.display()
            ),
        );
    }
    // O_RDWR on a directory fails with EISDIR.
    if e.raw_os_error() == Some(libc::EISDIR) {
        return Error::new(
            ErrorKind::NotRegularFile,
            format!("`{}` is not a regular file", path.display()),
        );
    }
    Error::io(format!("cannot open `{}`", path.display()), e)
}

/// Checks an opened file: regular, no access for others, the right size, magic, version and
/// identity.
fn check(path: &Path, file: &File, identity: &[u8; 16]) -> Result<()> {
    let shown = path.display();
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("cannot examine `{shown}`"), e))?;
    if !meta.file_type().is_file() {
        return Err(Error::new(
            ErrorKind::NotRegularFile,
            format!("`{shown}` is not a regular file"),
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o007 != 0 {
        return Err(Error::new(
            ErrorKind::Permissions,
            format!("`{shown}` has mode {mode:o}: other users must have no access to a head file"),
        ));
    }
    if meta.len() != FILE_LEN as u64 {
        return Err(Error::new(
            ErrorKind::WrongSize,
            format!(
                "`{shown}` has {} bytes; a head file has {FILE_LEN}",
                meta.len()
            ),
        ));
    }
    let mut bytes = [0u8; HEADER_LEN];
    file.read_exact_at(&mut bytes, 0)
        .map_err(|e| Error::io(format!("cannot read `{shown}`"), e))?;
    let expected = header(identity);
    let field = |range: std::ops::Range<usize>| (bytes.get(range.clone()), expected.get(range));
    let (magic, want_magic) = field(0..8);
    if magic != want_magic {
        return Err(Error::new(
            ErrorKind::WrongMagic,
            format!("`{shown}` is not a consent head file"),
        ));
    }
    let (layout, want_layout) = field(8..16);
    if layout != want_layout {
        return Err(Error::new(
            ErrorKind::UnsupportedVersion,
            format!("`{shown}` has a head file layout this version does not read"),
        ));
    }
    let (found, want) = field(16..32);
    if found != want {
        return Err(Error::new(
            ErrorKind::WrongIdentity,
            format!(
                "`{shown}` belongs to another ledger (identity {}, expected {})",
                found.map(hex).unwrap_or_default(),
                hex(identity)
            ),
        ));
    }
    Ok(())
}

/// Creates the file under a temporary name beside `path`, complete and with its final mode,
/// then links it to `path`, which fails if another process got there first (`Ok(None)`).
fn create(path: &Path, identity: &[u8; 16], access: Access) -> Result<Option<File>> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".{}.{nanos}.tmp", std::process::id()));
    let temp = PathBuf::from(temp_name);
    let shown = temp.display();
    let result = (|| {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(access.mode())
            .custom_flags(open_flags())
            .open(&temp)
            .map_err(|e| Error::io(format!("cannot create `{shown}`"), e))?;
        // The umask may have taken bits away (0660 under umask 077); set exactly the mode asked.
        file.set_permissions(fs::Permissions::from_mode(access.mode()))
            .map_err(|e| Error::io(format!("cannot set the mode of `{shown}`"), e))?;
        file.write_all(&header(identity))
            .map_err(|e| Error::io(format!("cannot write `{shown}`"), e))?;
        match fs::hard_link(&temp, path) {
            Ok(()) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(Error::io(format!("cannot create `{}`", path.display()), e)),
        }
    })();
    // The temporary name goes either way; a leftover (a crash between create and link) is
    // harmless and never opened.
    let _ = fs::remove_file(&temp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_laid_out_as_documented() {
        let bytes = header(&[0xab; 16]);
        assert_eq!(&bytes[0..8], b"CNSTHEAD");
        assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
        assert_eq!(&bytes[12..16], &[128, 0, 0, 0]);
        assert_eq!(&bytes[16..32], &[0xab; 16]);
        assert!(bytes[32..].iter().all(|b| *b == 0));
    }

    #[test]
    fn shared_head_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SharedHead>();
    }
}
