//! C ABI over `consent-core`. The exported functions arrive with the C ABI issue.

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
