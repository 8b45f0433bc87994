//! Python bindings over `consent-core`. The module arrives with the Python package issue.

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
