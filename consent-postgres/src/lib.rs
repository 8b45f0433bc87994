#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod conn;
mod listen;
mod log;
mod open;
mod schema;
mod store;
mod tls;
mod txn;
mod url;

pub use conn::IDLE_IN_TRANSACTION_TIMEOUT;
pub use listen::Listener;
pub use log::PgLog;
pub use open::open;
pub use schema::SCHEMA_VERSION;
pub use txn::WriteTxn;
pub use url::{DEFAULT_SCHEMA, MAX_SCHEMA_LEN, valid_schema_name};

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
