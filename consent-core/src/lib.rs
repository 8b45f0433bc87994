#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// The rooms of the crate, lowest first. Data flows one way: `id`, `catalogue`, `model`,
// `policy`, `log`, `store` and `projection` never import from `ledger` (a test,
// `tests/layers.rs`, fails when one does); `store` knows only `log::record`'s types; `policy`
// is pure (no I/O, no locks).
mod error;
mod hex;
mod redact;
mod small;
mod time;

mod catalogue;
mod id;
mod log;
mod model;
mod policy;
mod projection;
mod store;

mod ledger;

pub use catalogue::{
    Advice, Art6, Art9, Catalogue, Category, Code, Condition, ConsentRole, Contact, Controller,
    Exception, Gates, MAX_CATALOGUE_BYTES, MAX_CODES, NoticeEntry, Operation, Period, Purpose,
    Recipient, Retention, Role, Rule, Settings, Statute, parse_org_number,
};
pub use error::{Error, ErrorCode, Result, redact_national_ids};
pub use id::national_id::{IdKind, IdOptions, IdProfile, NationalId};
pub use id::pseudonym::{Pseudonym, PseudonymKey};
pub use ledger::{
    AccessEntry, AccessRequest, AccessRequestEntry, AgainstReport, BACKUP_DATABASE, BACKUP_KEY,
    BACKUP_MANIFEST, BACKUP_MANIFEST_SCHEMA, BackupManifest, Clock, ConsentChange, ConsentEvent,
    ConsentRecord, ConsentType, CurrentValidity, Deviation, DeviationCategory, DisclosureEntry,
    EXPORT_SCHEMA, ErasureEntry, ErasureOutcome, EventCursor, EventMeta, KassasjonDue, Ledger,
    LedgerOptions, MAX_LOOKUP_PURPOSE, MEMORY_PATH, Notification, NotificationReason, OpenMode,
    PreparedRequest, RectificationDetail, RectificationEntry, RedactedEntry, RefusalEntry,
    RestoreReport, RestrictionEntry, SNAPSHOT_EVERY, SYSTEM_ACTOR_ID, SYSTEM_ACTOR_ROLE,
    SnapshotStatus, SubjectExport, SubjectStatus, SuccessionMode, SystemClock, TestClock, Validity,
    VerifyReport, is_postgres_url, read_catalogue_file, read_key_file, write_key_file,
};
pub use log::event::{
    AccessRecord, AccessRequestRecord, CatalogueAdoptionRecord, DisclosureBasis, DisclosureRecord,
    ErasureRecord, Event, EventPayload, GrantRecord, GrantorRecord, Idempotency, LiftRecord,
    NotificationRecord, ObjectionOutcome, ObjectionRecord, ObjectionResolution, RESTRICTION_V1,
    RESTRICTION_V2, RectificationRecord, RefusalRecord, RestoreRecord, RestrictionGround,
    RestrictionRecord, SuccessionRecord, WithdrawalRecord,
};
pub use model::decision::{Basis, CategoryOutcome, Decision, DenialReason};
pub use model::party::{
    Actor, ChildHeard, ChildPosition, Evidence, EvidenceMethod, Grantor, MaturityAssessment,
    Notice, RepresentativeId, RepresentativeRole,
};
pub use model::request::{
    Assertion, Correction, DisclosureRequest, GrantRequest, IDEMPOTENCY_KEY_MAX, RefusalRequest,
};
pub use model::signed::{Acting, ActorTrust, AnyActor, SignedActor, TOKEN_LEEWAY_SECONDS};
pub use model::{GrantId, MAX_DOCUMENT_BYTES, RecordId, SCHEMA_VERSION};
pub use policy::grant_state::GrantStatus;
pub use policy::reconsent::{ReconsentItem, ReconsentReason};
pub use policy::statistics::{ActiveGrants, Statistics, StatisticsQuery, StatisticsRow};
pub use time::from_unix_millis;

/// For those who implement a [`Store`](storage::Store): the stored form of events, the head
/// anchor, subject keys, and the stores this crate ships.
pub mod storage {
    pub use crate::ledger::{
        STORAGE_SCHEMA, UpgradeReport, upgrade_file, upgrade_file_as, upgrade_file_with,
    };
    pub use crate::log::record::{EventRecord, GENESIS, Hash, Head};
    pub use crate::store::lock::lock_holder;
    pub use crate::store::memory::MemoryStore;
    pub use crate::store::sqlite::{FileAccess, SqliteStore};
    pub use crate::store::{Batch, Store, Stream, SubjectKey};
}

/// The workspace README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadme;

#[doc(hidden)]
/// Computes valid control digits; for tests and examples that need valid numbers.
pub use id::national_id::control_digits;

/// The version of this crate, as compiled (the C ABI's `consent_version` reports it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
