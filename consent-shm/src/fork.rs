//! Noticing, at nearly no cost, that the process is a child of `fork()`.
//!
//! A ledger opened before `fork()` shares its lock, its connection and its in-memory state with
//! the parent; in the child it must refuse to decide or write, not act on that state. A
//! `pthread_atfork` child handler (registered once per process) bumps a process-wide generation;
//! a [`ForkGuard`] remembers the generation it was made in and compares with one relaxed load.

use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use crate::error::{Error, ErrorKind, Result};
use crate::sys;

/// The result code of the one `pthread_atfork` registration of this process.
static REGISTERED: OnceLock<i32> = OnceLock::new();

/// How many `fork()`s separate this process from the first process in its line that loaded this
/// crate's handler: 0 there, 1 in its children, 2 in their children. Only meaningful once a
/// [`ForkGuard`] has been made (that registers the handler); for tests and diagnostics.
pub fn fork_generation() -> u64 {
    sys::GENERATION.load(Ordering::Relaxed)
}

/// Remembers the process it was made in; [`ForkGuard::is_forked`] tells whether the caller now
/// runs in a child made by `fork()` since. Copy it into anything that must not outlive a fork.
///
/// Not seen: a child made by a raw `clone()` system call that skips the `pthread_atfork`
/// handlers (glibc's `fork()` runs them; `posix_spawn` and `vfork` children exec at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkGuard {
    generation: u64,
}

impl ForkGuard {
    /// A guard for the current process, registering the fork handler on first use.
    ///
    /// # Errors
    /// [`ErrorKind::ForkHandler`] when `pthread_atfork` fails (it can only run out of memory);
    /// then no guard can be trusted, so none is made.
    pub fn new() -> Result<ForkGuard> {
        let code = *REGISTERED.get_or_init(sys::register_fork_handler);
        if code != 0 {
            return Err(Error::new(
                ErrorKind::ForkHandler,
                format!("cannot register the fork handler (pthread_atfork returned {code})"),
            ));
        }
        Ok(ForkGuard {
            generation: fork_generation(),
        })
    }

    /// Whether this process is a child made by `fork()` after the guard was made: one relaxed
    /// load and a compare.
    #[inline]
    pub fn is_forked(&self) -> bool {
        sys::GENERATION.load(Ordering::Relaxed) != self.generation
    }
}
