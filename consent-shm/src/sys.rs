//! The only place with `unsafe`: the atomic word inside the mapping, and the registration of the
//! fork handler. Everything else in the crate is safe code over these two helpers.
#![expect(
    unsafe_code,
    reason = "the shared mapping and pthread_atfork: every unsafe block of the crate lives here"
)]

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

/// A shared, writable mapping of a file's first `len` bytes with an aligned 64-bit word at a
/// fixed offset. The constructor checks the bounds and the alignment once, so reading the word
/// costs nothing more than the atomic access itself.
#[derive(Debug)]
pub(crate) struct MappedWord {
    map: MmapRaw,
    offset: usize,
}

impl MappedWord {
    /// Maps `len` bytes of `file` (`MAP_SHARED`, read and write) and checks that the word at
    /// `offset` lies inside the mapping and is 8-byte aligned.
    ///
    /// The caller has checked that the file is a regular file of at least `len` bytes.
    pub(crate) fn map(file: &File, len: usize, offset: usize) -> io::Result<MappedWord> {
        let map = MmapOptions::new().len(len).map_raw(file)?;
        let end = offset
            .checked_add(std::mem::size_of::<AtomicU64>())
            .ok_or_else(|| io::Error::other("the counter's offset overflows"))?;
        if end > map.len() {
            return Err(io::Error::other("the counter lies outside the mapping"));
        }
        let address = (map.as_ptr() as usize)
            .checked_add(offset)
            .ok_or_else(|| io::Error::other("the counter's address overflows"))?;
        if address % std::mem::align_of::<AtomicU64>() != 0 {
            return Err(io::Error::other("the counter is not aligned"));
        }
        Ok(MappedWord { map, offset })
    }

    /// The word, as an atomic shared with every process that maps the same file.
    #[inline(always)]
    pub(crate) fn word(&self) -> &AtomicU64 {
        // SAFETY: `map` checked in `MappedWord::map` that `offset..offset + 8` lies inside the
        // mapping and that the address is aligned for `AtomicU64`. The mapping lives as long as
        // `self` (it is unmapped only when `map` drops), so the reference cannot outlive it. The
        // bytes are initialised (they are file contents), every bit pattern is a valid `u64`, and
        // this crate only ever touches the word through atomic operations, which are lock-free
        // for 64 bits on the targets the crate compiles for (lib.rs requires
        // `target_has_atomic = "64"`), so they are coherent across processes mapping the same
        // page. A process that truncates the file under us makes the access raise SIGBUS (a
        // crash, not undefined behaviour); the file is created with owner or group access only.
        unsafe { &*self.map.as_ptr().add(self.offset).cast::<AtomicU64>() }
    }
}

/// The fork generation: bumped in every child process right after `fork()`, before `fork()`
/// returns there.
pub(crate) static GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one lock-free atomic add. Only the forking thread exists in the child,
    // and it runs this before `fork()` returns, so a relaxed add is seen by its later loads.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Registers the child handler with `pthread_atfork`, returning its result code (0 on success).
/// The caller calls this once per process (a `OnceLock`).
pub(crate) fn register_fork_handler() -> i32 {
    // SAFETY: `pthread_atfork` only stores the three function pointers. The prepare and parent
    // handlers are NULL; the child handler is a `extern "C"` function with the required
    // signature that never unwinds (an atomic add cannot panic) and does only
    // async-signal-safe work, as POSIX asks of a child handler in a multithreaded program.
    unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_word_outside_the_mapping_or_misaligned_is_refused() {
        let mut file = tempfile::tempfile().expect("temp file");
        file.write_all(&[0u8; 128]).expect("write");
        assert!(MappedWord::map(&file, 128, 120).is_ok());
        assert!(MappedWord::map(&file, 128, 121).is_err(), "past the end");
        assert!(MappedWord::map(&file, 128, 124).is_err(), "past the end");
        assert!(MappedWord::map(&file, 128, 68).is_err(), "misaligned");
        assert!(MappedWord::map(&file, 128, usize::MAX).is_err(), "overflow");
    }

    #[test]
    fn the_word_is_the_file_contents_and_writes_reach_the_file() {
        use std::os::unix::fs::FileExt;
        let mut file = tempfile::tempfile().expect("temp file");
        let mut bytes = [0u8; 128];
        bytes[64..72].copy_from_slice(&42u64.to_ne_bytes());
        file.write_all(&bytes).expect("write");
        let word = MappedWord::map(&file, 128, 64).expect("map");
        assert_eq!(word.word().load(Ordering::Acquire), 42);
        word.word().store(7, Ordering::Release);
        let mut read = [0u8; 8];
        file.read_exact_at(&mut read, 64).expect("read");
        assert_eq!(u64::from_ne_bytes(read), 7);
    }
}
