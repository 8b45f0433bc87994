//! The log: what an event records (`event.rs`), its stored form and the hash chain over it
//! (`record.rs`), and the sealing of personal payloads under per-subject keys (`seal.rs`).
//!
//! Nothing here does I/O or knows the ledger; stores keep `record.rs`'s types, and the ledger
//! builds and checks them.

pub(crate) mod event;
pub(crate) mod record;
pub(crate) mod seal;
