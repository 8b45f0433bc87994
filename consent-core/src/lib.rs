#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod catalogue;
mod engine;
mod error;
mod hex;
mod id;
mod ledger;
mod model;
mod store;
mod time;

pub use catalogue::{
    Art6, Art9, Catalogue, Category, Code, Entry, MAX_CODES, Rule, Settings, Statute,
};
pub use error::{Error, ErrorCode, Result, redact_national_ids};
pub use id::national_id::{IdKind, IdOptions, IdProfile, NationalId};
pub use id::pseudonym::{Pseudonym, PseudonymKey};
pub use ledger::event::{
    AccessRequestRecord, Correction, DisclosureBasis, DisclosureRecord, ErasureRecord, Event,
    EventPayload, EventRecord, GENESIS, GrantRecord, GrantorRecord, Hash, Head,
    RectificationRecord, RefusalRecord, RestrictionRecord, WithdrawalRecord,
};
pub use ledger::{
    AccessRequest, ActiveGrants, Clock, ErasureOutcome, Ledger, LedgerOptions, MEMORY_PATH,
    ReconsentItem, ReconsentReason, STORAGE_SCHEMA, Statistics, StatisticsQuery, StatisticsRow,
    SubjectExport, SystemClock, VerifyReport,
};
pub use model::decision::{Basis, CategoryOutcome, Decision, DenialReason};
pub use model::grant::{
    Actor, DisclosureRequest, Evidence, EvidenceMethod, GrantId, GrantRequest, Grantor, Notice,
    RecordId, RefusalRequest, RepresentativeId, RepresentativeRole, SCHEMA_VERSION,
};
pub use store::memory::MemoryStore;
pub use store::sqlite::SqliteStore;
pub use store::{Batch, Store, SubjectKey};
pub use time::from_unix_millis;

/// The workspace README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadme;

#[doc(hidden)]
/// Computes valid control digits; for tests and examples that need valid numbers.
pub use id::national_id::control_digits;

/// The version of this crate, as compiled (the C ABI's `consent_version` reports it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
