#![doc = include_str!("../README.md")]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(not(all(unix, target_has_atomic = "64")))]
compile_error!("consent-shm needs a Unix system with 64-bit atomics");

mod error;
mod fork;
mod head;
mod sys;

pub use error::{Error, ErrorKind};
pub use fork::{ForkGuard, fork_generation};
pub use head::{Access, FILE_LEN, SharedHead};

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
