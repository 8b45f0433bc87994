//! The ledger: validates requests, records events through a store, keeps the projection the
//! engine reads, and verifies the hash chain.

mod access;
mod adopt;
mod backup;
mod check;
mod clock;
mod commit;
mod decide;
mod deviations;
mod export;
mod identity;
mod once;
mod open;
mod prepared;
mod replay;
mod restrict;
mod rights;
mod shared;
mod snapshot;
mod upgrade;
mod verify;
mod write;

pub use crate::policy::notification::{Notification, NotificationReason};
pub use access::MAX_LOOKUP_PURPOSE;
pub use adopt::{SYSTEM_ACTOR_ID, SYSTEM_ACTOR_ROLE};
pub use backup::{
    AgainstReport, BACKUP_DATABASE, BACKUP_KEY, BACKUP_MANIFEST, BACKUP_MANIFEST_SCHEMA,
    BackupManifest, RestoreReport,
};
pub use clock::{Clock, SystemClock, TestClock};
pub use deviations::{Deviation, DeviationCategory};
pub use export::{
    AccessEntry, AccessRequestEntry, ConsentChange, ConsentEvent, ConsentRecord, ConsentType,
    CurrentValidity, DisclosureEntry, EXPORT_SCHEMA, ErasureEntry, EventMeta, RectificationDetail,
    RectificationEntry, RedactedEntry, RefusalEntry, RestrictionEntry, SubjectExport,
    SubjectStatus, Validity,
};
pub use identity::SuccessionMode;
pub use open::{MEMORY_PATH, is_postgres_url, read_catalogue_file, read_key_file, write_key_file};
pub use prepared::PreparedRequest;
pub use restrict::KassasjonDue;
pub use rights::{AccessRequest, ErasureOutcome};
pub use snapshot::{SNAPSHOT_EVERY, SnapshotStatus};
pub use upgrade::{UpgradeReport, upgrade_file, upgrade_file_as, upgrade_file_with};
pub use verify::VerifyReport;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};

use crate::catalogue::{Catalogue, Catalogues};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::id::national_id::{IdKind, IdOptions, NationalId};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::event::Event;
use crate::log::record::{self, GENESIS, Hash, Head, open_event};
use crate::log::seal::KeyWrapper;
use crate::model::party::Actor;
use crate::model::request::{GrantRequest, RefusalRequest};
use crate::model::signed::ActorTrust;
use crate::projection::{self, Projection};
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::sqlite::FileAccess;
use crate::time;
use verify::check_head;

/// The ledger's metadata keys.
pub(crate) mod meta {
    /// The storage schema version.
    pub const SCHEMA: &str = "schema_version";
    /// The pseudonym key's check value.
    pub const KEY_CHECK: &str = "key_check";
    /// The version of the catalogue the ledger was created with (0.1 read nothing else; the
    /// catalogues since are recorded in the log as `catalogue_adopted` events).
    pub const CATALOGUE: &str = "catalogue_version";
    /// The sequence number of the first `catalogue_adopted` event, where it is not the first
    /// event (a 0.1 ledger upgraded: its earlier events are read under that catalogue).
    pub const FIRST_ADOPTION: &str = "first_catalogue_adoption";
}

/// The key-derivation context of the head anchor's MAC.
pub(crate) const HEAD_MAC_CONTEXT: &str = "consent 2026 head anchor";

/// The storage schema version this build writes and reads.
pub const STORAGE_SCHEMA: &str = "2";

/// The storage schema of consent 0.1 (subject keys wrapped without their first event), which
/// [`upgrade_file`](crate::storage::upgrade_file) converts.
pub(crate) const STORAGE_SCHEMA_1: &str = "1";

/// A place in the event log, for reading it a page at a time with [`Ledger::events_page`]:
/// the next event's sequence number and the hash of the one before it, so each page is checked
/// against the chain where the last one ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    next_seq: u64,
    prev_hash: Hash,
}

impl EventCursor {
    /// Before the first event.
    pub fn start() -> EventCursor {
        EventCursor {
            next_seq: 1,
            prev_hash: GENESIS,
        }
    }

    /// The sequence number of the next event to read.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

/// How [`Ledger::open`] treats the files at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OpenMode {
    /// Opens the ledger at the path, or creates one (and its key file) where neither the
    /// database nor the key file exists. A key file without its database, or an empty database
    /// file, is an `Integrity` error: the ledger was deleted or emptied.
    #[default]
    OpenOrCreate,
    /// Creates a new ledger; nothing may exist at the path. An existing key file is adopted
    /// (a host may make its key first), a missing one is created (`consent init`).
    Create,
    /// Opens an existing ledger for reading only: nothing is created or written (no key, no
    /// lock file, no WAL), and it works beside a writer in another process. Writes fail with
    /// `Storage`. For auditors and reports.
    ReadOnly,
}

/// How a ledger is opened: start from `LedgerOptions::default()` and change what differs.
///
/// ```
/// use consent_core::{Catalogue, LedgerOptions, PseudonymKey};
/// let options = LedgerOptions::default()
///     .with_catalogue(Catalogue::embedded())
///     .with_key(PseudonymKey::from_bytes([7; 32]));
/// assert!(options.key_file.is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LedgerOptions {
    /// The catalogue. `None`: a new ledger adopts the embedded default, an existing one uses
    /// the catalogue in force (the last it adopted). Given for an existing ledger, it must be
    /// the one in force (`Conflict` otherwise: adopt a new one with
    /// [`Ledger::adopt_catalogue`]).
    pub catalogue: Option<Catalogue>,
    /// The catalogue a new ledger adopts when `catalogue` is `None` (the embedded default when
    /// this is `None` too); never checked against an existing ledger. For a host that must
    /// not keep the process-wide copy of the embedded catalogue (a C host that frees every
    /// allocation before it exits).
    pub new_ledger_catalogue: Option<Catalogue>,
    /// Who records the adoption of a new ledger's catalogue; `{"id": "consent", "role":
    /// "system"}` ([`SYSTEM_ACTOR_ID`], [`SYSTEM_ACTOR_ROLE`]) when `None`.
    pub actor: Option<Actor>,
    /// The pseudonym key. When `None`, a file ledger reads `key_file` (creating it on first
    /// open) and an in-memory ledger generates one.
    pub key: Option<PseudonymKey>,
    /// Where a file ledger's key is kept; `<database>.key` beside the database when `None`.
    pub key_file: Option<PathBuf>,
    /// How national ids are parsed (test mode for synthetic numbers).
    pub id_options: IdOptions,
    /// The clock that stamps events.
    pub clock: Arc<dyn Clock>,
    /// A clock tests set (`Ledger::set_clock`); when given, it is also `clock`.
    pub test_clock: Option<Arc<TestClock>>,
    /// Whether to open, create or only read the ledger file.
    pub mode: OpenMode,
    /// Who besides the owner may use the files a new ledger creates.
    pub file_access: FileAccess,
    /// Closing a file ledger (its last handle) writes a snapshot of its state when this many
    /// events or more followed the last snapshot ([`SNAPSHOT_EVERY`], 10,000, by default;
    /// 0: never by itself, only [`Ledger::write_snapshot`]). Opening then replays only the
    /// events after the snapshot.
    pub snapshot_every: u64,
    /// How long a write waits for another process's write lock on a shared file before it
    /// fails with `Locked` naming the holder (nothing written). `None`, the default, waits as
    /// long as it takes: a writer holds the lock only for one write.
    pub write_wait: Option<std::time::Duration>,
    /// For a ledger other hosts write (PostgreSQL): how old, in milliseconds, the answer of the
    /// last check of the database's head may be before a decision asks again. `0` (the
    /// default): every decision asks (one round trip), so it reflects every write acknowledged
    /// anywhere before it started. A host that prefers speed may accept decisions up to this
    /// old; each reports the position it was made at (`Decision::as_of_seq`). A ledger on a file
    /// or in memory ignores it (its check is free).
    pub max_staleness_ms: u64,
    /// The issuer and keys the ledger believes signed actors from ([`SignedActor`](crate::SignedActor)); `None`:
    /// a call given a signed actor is `NotPermitted` (the ledger cannot check it).
    pub actor_trust: Option<ActorTrust>,
}

impl LedgerOptions {
    /// These options with a catalogue other than the embedded default.
    #[must_use]
    pub fn with_catalogue(mut self, catalogue: Catalogue) -> Self {
        self.catalogue = Some(catalogue);
        self
    }

    /// These options with the actor who records the adoption of a new ledger's catalogue.
    #[must_use]
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// These options with the issuer and keys whose signed actors the ledger believes: each
    /// call given a [`SignedActor`](crate::SignedActor) verifies it against them at the call's instant and acts as
    /// the id and role of its claims. The host still opens the ledger; the token lets the
    /// ledger check who acts without trusting every caller to name them.
    ///
    /// ```
    /// # use consent_core::{ActorTrust, Ledger, LedgerOptions};
    /// let jwks = r#"{"keys": [{"kty": "EC", "crv": "P-256", "kid": "idp-1",
    ///     "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
    ///     "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}"#;
    /// let trust = ActorTrust::from_jwks("https://login.kommune.no", jwks)?.with_claims("sub", "role");
    /// let ledger = Ledger::open(":memory:", LedgerOptions::default().with_actor_trust(trust))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_actor_trust(mut self, trust: ActorTrust) -> Self {
        self.actor_trust = Some(trust);
        self
    }

    /// These options with a pseudonym key the host supplies.
    #[must_use]
    pub fn with_key(mut self, key: PseudonymKey) -> Self {
        self.key = Some(key);
        self
    }

    /// These options with the key kept in another file than `<database>.key`.
    #[must_use]
    pub fn with_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }

    /// These options with other national id options (test mode, the 2032 rule).
    #[must_use]
    pub fn with_id_options(mut self, id_options: IdOptions) -> Self {
        self.id_options = id_options;
        self
    }

    /// These options with another open mode (create only, or read only).
    #[must_use]
    pub fn with_mode(mut self, mode: OpenMode) -> Self {
        self.mode = mode;
        self
    }

    /// These options with the files of a new ledger shared with the owner's group (0660, the
    /// key file 0640), for service accounts that share one ledger.
    #[must_use]
    pub fn with_file_access(mut self, access: FileAccess) -> Self {
        self.file_access = access;
        self
    }

    /// These options with another snapshot interval (see [`LedgerOptions::snapshot_every`]).
    #[must_use]
    pub fn with_snapshot_every(mut self, events: u64) -> Self {
        self.snapshot_every = events;
        self
    }

    /// These options with a bound on how long a write waits for another process's write
    /// lock; past it the write fails with `Locked`, naming the process that holds the lock.
    /// The bound counts in whole milliseconds, at least one (the options document's
    /// `write_wait_ms` must be at least 1).
    ///
    /// ```
    /// # use consent_core::LedgerOptions;
    /// let options = LedgerOptions::default().with_write_wait(std::time::Duration::from_secs(5));
    /// assert_eq!(options.write_wait, Some(std::time::Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn with_write_wait(mut self, wait: std::time::Duration) -> Self {
        self.write_wait = Some(wait);
        self
    }

    /// These options with a bounded staleness for a ledger other hosts write: a decision
    /// checks the database's head only when the last check is older than `ms` milliseconds
    /// (see [`LedgerOptions::max_staleness_ms`]).
    #[must_use]
    pub fn with_max_staleness_ms(mut self, ms: u64) -> Self {
        self.max_staleness_ms = ms;
        self
    }

    /// These options with another clock (tests set a fixed one).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self.test_clock = None;
        self
    }

    /// These options with a clock that reads `at` until [`Ledger::set_clock`] moves it: for
    /// tests and training ledgers that keep fixed dates.
    #[must_use]
    pub fn with_test_clock(mut self, at: DateTime<Utc>) -> Self {
        let clock = Arc::new(TestClock::new(at));
        self.clock = clock.clone();
        self.test_clock = Some(clock);
        self
    }
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            catalogue: None,
            new_ledger_catalogue: None,
            actor: None,
            key: None,
            key_file: None,
            id_options: IdOptions::default(),
            clock: Arc::new(SystemClock),
            test_clock: None,
            mode: OpenMode::default(),
            file_access: FileAccess::default(),
            snapshot_every: SNAPSHOT_EVERY,
            write_wait: None,
            max_staleness_ms: 0,
            actor_trust: None,
        }
    }
}

#[derive(Debug)]
struct Writer {
    last_seq: u64,
    last_hash: Hash,
    /// The store's clock, read under the write lock for the write in progress (see
    /// [`Store::write_clock`]); `None` between writes and for stores without one.
    stamp: Option<DateTime<Utc>>,
}

struct Inner {
    /// The catalogues adopted, each in force from its instant; dereferences to the one in
    /// force now.
    catalogue: Catalogues,
    key: PseudonymKey,
    mac_key: [u8; 32],
    wrapper: KeyWrapper,
    id_options: IdOptions,
    clock: Arc<dyn Clock>,
    test_clock: Option<Arc<TestClock>>,
    store: Box<dyn Store>,
    projection: RwLock<Projection>,
    writer: Mutex<Writer>,
    events: AtomicU64,
    /// Whether some subject has a restriction or an objection recorded: until one has, the
    /// statute path never looks a subject up (set under the projection's write lock, before a
    /// write is acknowledged).
    flagged: AtomicBool,
    /// For a ledger file: the head counter shared with the other processes that have it open,
    /// set once the ledger is open.
    shared: OnceLock<shared::Shared>,
    /// For a store other hosts write (`Store::remote`): when the head was last checked.
    remote: Option<shared::Remote>,
    /// What opening made of the snapshot.
    snapshot_status: OnceLock<snapshot::SnapshotStatus>,
    /// Where a writable file ledger writes its snapshot, and the file's mode.
    snapshot_file: OnceLock<(PathBuf, u32)>,
    /// The event the newest snapshot holds the state after (0: none).
    snapshot_seq: AtomicU64,
    /// Opening from the snapshot caught up past a kassasjon: the snapshot holds state of a
    /// subject shredded since (removed once the ledger knows the file, `keep_snapshots`).
    snapshot_shredded: AtomicBool,
    /// [`LedgerOptions::snapshot_every`].
    snapshot_every: u64,
    /// The wrapped subject keys, read from the store when a key a snapshot named is first
    /// needed (`snapshot.rs`): wrapped as the store holds them, unwrapped one at a time.
    stored_keys: Mutex<Option<snapshot::StoredKeys>>,
    /// Accesses waiting to be recorded: whoever holds the writer next commits them all in one
    /// write (group commit, `access.rs`).
    accesses: access::AccessQueue,
    /// [`LedgerOptions::actor_trust`].
    actor_trust: Option<ActorTrust>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A snapshot only saves the next open time: one that cannot be written now, or that
        // would be behind the store's head (another process wrote after this one), is not
        // put in place, and the next open starts from the snapshot there or replays the log.
        if snapshot::due_on_close(self) {
            let _ = snapshot::write_snapshot(self, true);
        }
    }
}

/// A consent ledger. Cheap to clone; clones share one ledger, and it may be used from many
/// threads at once (decisions never wait for a write's disk flush).
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("catalogue", &self.inner.catalogue)
            .field("events", &self.event_count())
            .field("store", &self.inner.store)
            .finish()
    }
}

fn poisoned() -> Error {
    Error::storage(
        "ledger state",
        "a thread panicked while writing; reopen the ledger",
    )
}

impl Ledger {
    /// A ledger that keeps its events in memory, with a fresh random pseudonym key.
    ///
    /// ```
    /// use consent_core::{Catalogue, Ledger};
    /// let ledger = Ledger::in_memory(Catalogue::embedded())?;
    /// assert_eq!(ledger.event_count(), 1); // the adoption of its catalogue
    /// assert_eq!(ledger.events()?[0].kind, "catalogue_adopted");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Storage` if the operating system's random source fails.
    pub fn in_memory(catalogue: Catalogue) -> Result<Ledger> {
        Ledger::with_store(
            Box::new(MemoryStore::new()),
            LedgerOptions {
                catalogue: Some(catalogue),
                ..LedgerOptions::default()
            },
        )
    }

    /// Opens a ledger over any store: checks the key, replays and verifies every event. A new
    /// store records the adoption of its catalogue as its first event.
    ///
    /// ```
    /// # use consent_core::Ledger;
    /// use consent_core::LedgerOptions;
    /// use consent_core::storage::MemoryStore;
    /// let store = MemoryStore::new();
    /// let ledger = Ledger::with_store(Box::new(store), LedgerOptions::default())?;
    /// assert!(ledger.verify()?.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `KeyMismatch` when the store was written under another key; `Integrity` when the chain
    /// does not verify (naming the first bad event); `UnsupportedVersion` for another storage
    /// schema; `InvalidCatalogue` when an event names a code the catalogue lacks; `Conflict`
    /// when a catalogue is given that is not the one in force; `Storage`.
    pub fn with_store(store: Box<dyn Store>, options: LedgerOptions) -> Result<Ledger> {
        // A store this crate did not open can only show that it is new by holding nothing.
        let fresh = store.meta(meta::SCHEMA)?.is_none()
            && store.meta(meta::KEY_CHECK)?.is_none()
            && store.head()?.is_none()
            && first_record(store.as_ref())?.is_none()
            && !has_subject_keys(store.as_ref())?;
        Ledger::build(store, options, fresh)
    }

    /// Opens a ledger over a store that is `fresh` (just created: its first state is written
    /// now, in one step) or that already holds a ledger (nothing is written: an open that
    /// fails leaves the store as it was).
    pub(crate) fn build(
        store: Box<dyn Store>,
        options: LedgerOptions,
        fresh: bool,
    ) -> Result<Ledger> {
        Ledger::build_with(store, options, fresh, None)
    }

    /// The catalogues a ledger decides under, from its adoptions: and whether it must adopt
    /// `catalogue` now (a new ledger, or one whose creation stopped before its first event).
    fn catalogues(
        adoptions: &[adopt::Adoption],
        given: Option<&Catalogue>,
        catalogue: &Catalogue,
        last_seq: u64,
        now: DateTime<Utc>,
        mode: OpenMode,
    ) -> Result<(Catalogues, bool)> {
        Ok(match adoptions.split_first() {
            Some((first, rest)) => {
                let chain = Catalogues::new(first.catalogue.clone(), first.from);
                for adoption in rest {
                    chain.push(adoption.catalogue.clone(), adoption.from)?;
                }
                if let Some(given) = given
                    && given.digest() != chain.current().digest()
                {
                    return Err(adopt::mismatch(chain.current(), given));
                }
                (chain, false)
            }
            // A new ledger, or one whose creation stopped before its first event: nothing was
            // decided under any catalogue yet, so it adopts the one it is opened with.
            None if last_seq == 0 => (
                Catalogues::new(
                    catalogue.clone(),
                    time::to_micros(now, "the ledger's clock")?,
                ),
                mode != OpenMode::ReadOnly,
            ),
            // The replay refuses events before the first adoption; this is never reached.
            None => {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    "the ledger records no catalogue adoption",
                ));
            }
        })
    }

    /// As [`Ledger::build`], starting from the snapshot at `snapshot` when there is one that
    /// can be trusted (then only the events after it are replayed).
    pub(crate) fn build_with(
        store: Box<dyn Store>,
        options: LedgerOptions,
        fresh: bool,
        snapshot: Option<&std::path::Path>,
    ) -> Result<Ledger> {
        let given = options.catalogue;
        let catalogue = given
            .clone()
            .or(options.new_ledger_catalogue)
            .unwrap_or_else(Catalogue::embedded);
        let key = match options.key {
            Some(key) => key,
            None => PseudonymKey::generate()?,
        };
        if fresh {
            // A new ledger anchors its empty log, so deleting every event later is seen.
            let genesis = Head::new(0, GENESIS, &key.derive(HEAD_MAC_CONTEXT));
            store.initialize(
                &[
                    (meta::SCHEMA, STORAGE_SCHEMA),
                    (meta::KEY_CHECK, &key.check_value()),
                    (meta::CATALOGUE, catalogue.version()),
                ],
                &genesis,
            )?;
        }
        store.begin_read()?;
        let (opened, status) = match snapshot {
            Some(path) if !fresh => Ledger::from_snapshot(store.as_ref(), &catalogue, &key, path),
            _ => (
                Ledger::replayed(store.as_ref(), &catalogue, &key),
                Default::default(),
            ),
        };
        let ended = store.end_read();
        let (projection, writer, adoptions) = opened?;
        ended?;
        let snapshot_seq = status.used_seq();
        let now = options.clock.now();
        let mode = options.mode;
        let (catalogues, mut adopt_now) = Ledger::catalogues(
            &adoptions,
            given.as_ref(),
            &catalogue,
            writer.last_seq,
            now,
            options.mode,
        )?;
        let actor = match options.actor {
            // Named by the host: whatever it deserialised, never marked as signed.
            Some(actor) => actor.unsigned().into_owned(),
            None => adopt::system_actor()?,
        };
        let mac_key = key.derive(HEAD_MAC_CONTEXT);
        let wrapper = KeyWrapper::new(&key);
        let remote = store
            .remote()
            .then(|| shared::Remote::new(options.max_staleness_ms));
        let mut ledger = Ledger {
            inner: Arc::new(Inner {
                catalogue: catalogues,
                key,
                mac_key,
                wrapper,
                id_options: options.id_options,
                clock: options.clock,
                test_clock: options.test_clock,
                store,
                flagged: AtomicBool::new(projection.any_flags()),
                projection: RwLock::new(projection),
                events: AtomicU64::new(writer.last_seq),
                writer: Mutex::new(writer),
                shared: OnceLock::new(),
                remote,
                snapshot_status: OnceLock::new(),
                snapshot_file: OnceLock::new(),
                snapshot_seq: AtomicU64::new(snapshot_seq),
                snapshot_shredded: AtomicBool::new(false),
                snapshot_every: options.snapshot_every,
                stored_keys: Mutex::new(None),
                accesses: access::AccessQueue::default(),
                actor_trust: options.actor_trust,
            }),
        };
        if let Some(adopt) =
            ledger.settle_snapshot(status, &catalogue, given.as_ref(), now, mode)?
        {
            adopt_now = adopt;
        }
        if adopt_now {
            let mut writer = ledger.lock_writer()?;
            // Another host may have created the ledger's first event since the replay: caught
            // up under the lock, this one then adopts nothing.
            if writer.last_seq != 0 {
                drop(writer);
                return Ok(ledger);
            }
            ledger.commit_one(
                &mut writer,
                &actor,
                None,
                adopt::adoption_payload(&catalogue, now),
                projection::Effect::None,
            )?;
        }
        Ok(ledger)
    }

    /// The ledger's clock: what it stamps events with and judges backdating by.
    ///
    /// ```
    /// # use consent_core::{Catalogue, Ledger, LedgerOptions};
    /// let at = "2026-01-05T10:00:00Z".parse()?;
    /// let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock(at))?;
    /// assert_eq!(ledger.now(), at);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Moves the test clock the ledger was opened with (`LedgerOptions::with_test_clock`, or
    /// `"clock"` in the options document of a test-mode ledger).
    ///
    /// ```
    /// # use consent_core::{Catalogue, Ledger, LedgerOptions};
    /// let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// ledger.set_clock("2026-06-01T10:00:00Z".parse()?)?;
    /// assert_eq!(ledger.now().to_rfc3339(), "2026-06-01T10:00:00+00:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotPermitted` for a ledger that runs on a real clock; `InvalidInput` for an instant out
    /// of range.
    pub fn set_clock(&self, at: DateTime<Utc>) -> Result<()> {
        let clock = self.inner.test_clock.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotPermitted,
                "this ledger runs on the system clock; only a ledger opened with a test clock (test mode) can have it set",
            )
        })?;
        time::to_micros(at, "clock")?;
        clock.set(at);
        Ok(())
    }

    /// Opens from the snapshot at `path` when it can be trusted (the state at its event; the
    /// caller applies what follows), else replays the whole log; says which.
    fn from_snapshot(
        store: &dyn Store,
        catalogue: &Catalogue,
        key: &PseudonymKey,
        path: &std::path::Path,
    ) -> (
        Result<(Projection, Writer, Vec<adopt::Adoption>)>,
        snapshot::SnapshotStatus,
    ) {
        // The subject keys are not read here: the snapshot names which subjects have one, and
        // each is unwrapped from the store when a call first needs it (`Ledger::data_key`).
        let loaded = check_metadata(store, key)
            .map_err(|e| e.to_string())
            .and_then(|()| snapshot::load(path, store, key));
        match loaded {
            Ok(Some(loaded)) => {
                let seq = loaded.writer.last_seq;
                let mut projection = loaded.projection;
                projection.shrink();
                (
                    Ok((projection, loaded.writer, loaded.adoptions)),
                    snapshot::SnapshotStatus::Used { seq },
                )
            }
            Ok(None) => (
                Ledger::replayed(store, catalogue, key),
                snapshot::SnapshotStatus::Absent,
            ),
            Err(reason) => (
                Ledger::replayed(store, catalogue, key),
                snapshot::SnapshotStatus::Ignored { reason },
            ),
        }
    }

    /// After opening from a snapshot, applies the events after it and records what opening
    /// made of the snapshot. A snapshot whose following events cannot be applied to it is not
    /// used: the log is replayed instead, and the snapshot reported as ignored (an open fails
    /// only when the log itself does not verify). Returns whether the ledger must then adopt
    /// its catalogue (`None`: as decided before).
    ///
    /// # Errors
    /// As [`Ledger::replay_instead`].
    fn settle_snapshot(
        &mut self,
        status: snapshot::SnapshotStatus,
        catalogue: &Catalogue,
        given: Option<&Catalogue>,
        now: DateTime<Utc>,
        mode: OpenMode,
    ) -> Result<Option<bool>> {
        let (status, adopt) = match self.after_snapshot(&status) {
            Ok(()) => (status, None),
            Err(error) => {
                let adopt = self.replay_instead(catalogue, given, now, mode)?;
                let reason = format!(
                    "the events after it could not be applied to it ({error}); the log was replayed"
                );
                (snapshot::SnapshotStatus::Ignored { reason }, Some(adopt))
            }
        };
        let _ = self.inner.snapshot_status.set(status);
        Ok(adopt)
    }

    /// Replaces the state a snapshot gave a ledger being opened (no handle of it is out yet)
    /// with a full replay of its log; returns whether the ledger must adopt its catalogue now
    /// (as [`Ledger::catalogues`]).
    ///
    /// # Errors
    /// As [`Ledger::replayed`] and [`Ledger::catalogues`].
    fn replay_instead(
        &mut self,
        catalogue: &Catalogue,
        given: Option<&Catalogue>,
        now: DateTime<Utc>,
        mode: OpenMode,
    ) -> Result<bool> {
        let inner = Arc::get_mut(&mut self.inner)
            .ok_or_else(|| Error::storage("opening the ledger", "it is already in use"))?;
        inner.store.begin_read()?;
        let replayed = Ledger::replayed(inner.store.as_ref(), catalogue, &inner.key);
        let ended = inner.store.end_read();
        let (projection, writer, adoptions) = replayed?;
        ended?;
        let (catalogues, adopt_now) =
            Ledger::catalogues(&adoptions, given, catalogue, writer.last_seq, now, mode)?;
        inner.catalogue = catalogues;
        *inner.flagged.get_mut() = projection.any_flags();
        *inner.projection.get_mut().map_err(|_| poisoned())? = projection;
        *inner.events.get_mut() = writer.last_seq;
        *inner.writer.get_mut().map_err(|_| poisoned())? = writer;
        // No snapshot holds this state: the next close writes one.
        *inner.snapshot_seq.get_mut() = 0;
        *inner.stored_keys.get_mut().map_err(|_| poisoned())? = None;
        Ok(adopt_now)
    }

    /// Checks a stored ledger's metadata and key, replays every event into a new projection and
    /// checks the head anchor: every read of an open, in one pinned view of the store.
    fn replayed(
        store: &dyn Store,
        catalogue: &Catalogue,
        key: &PseudonymKey,
    ) -> Result<(Projection, Writer, Vec<adopt::Adoption>)> {
        check_metadata(store, key)?;
        let wrapper = KeyWrapper::new(key);
        let keys = check::unwrap_keys(store, &wrapper, check::Wrapping::Current)?;
        let mut writer = Writer {
            last_seq: 0,
            last_hash: GENESIS,
            stamp: None,
        };
        // Events before the first adoption (an upgraded 0.1 ledger) are read under the
        // catalogue it adopts; a ledger created since adopts its catalogue in its first event.
        let check = adopt::adoption_check(store)?;
        let decoding = check.before_first().unwrap_or(catalogue).clone();
        let (mut projection, adoptions) =
            replay::replay(store, &decoding, &keys, &mut writer, check)?;
        for (subject, (key, since)) in keys {
            projection.set_key(subject, key, since);
        }
        check_head(
            store.head()?,
            writer.last_seq,
            &writer.last_hash,
            &key.derive(HEAD_MAC_CONTEXT),
        )?;
        projection.shrink();
        Ok((projection, writer, adoptions.adoptions))
    }

    /// The catalogue in force now: the last the ledger adopted. Decisions about an earlier
    /// instant are made under the one in force then ([`Ledger::catalogue_at`]).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// assert!(ledger.catalogue().purposes().iter().any(|p| p.code.as_str() == "settlement"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn catalogue(&self) -> &Catalogue {
        self.inner.catalogue.current()
    }

    /// Parses a national id with this ledger's options (test mode or not).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// assert!(ledger.parse_national_id("15038510191").is_err());
    /// # let _ = subject;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidNationalId`.
    pub fn parse_national_id(&self, value: &str) -> Result<NationalId> {
        NationalId::parse_with(value, self.inner.id_options)
    }

    /// Parses the grant JSON with this ledger's national id options.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let id = ledger.grant(&grant, &actor)?;
    /// # let _ = id;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`GrantRequest::from_json`].
    pub fn parse_grant(&self, json: &str) -> Result<GrantRequest> {
        GrantRequest::from_json_with(json, self.inner.id_options)
    }

    /// Parses the refusal JSON with this ledger's national id options.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let refusal = ledger.parse_refusal(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    ///   "purposes": ["health_coordination"], "recipients": ["helsetjenesten"], "categories": ["health"],
    ///   "at": "2026-03-01T09:00:00Z",
    ///   "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti", "interpreter": true},
    ///   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.refuse(&refusal, &actor)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`RefusalRequest::from_json_with`].
    pub fn parse_refusal(&self, json: &str) -> Result<RefusalRequest> {
        RefusalRequest::from_json_with(json, self.inner.id_options)
    }

    /// How this ledger parses national ids (test mode or not).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// assert!(!ledger.id_options().test_mode);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id_options(&self) -> IdOptions {
        self.inner.id_options
    }

    /// The pseudonym under which a subject's events are recorded.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let pseudonym = ledger.pseudonym(&subject);
    /// assert_eq!(pseudonym.to_string().len(), 32);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pseudonym(&self, subject: &NationalId) -> Pseudonym {
        self.inner.key.pseudonym(subject)
    }

    /// The number of events recorded, the ledger's own included (a new ledger's first event
    /// records the adoption of its catalogue).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// assert_eq!(ledger.event_count(), 2); // the catalogue's adoption, then the grant
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn event_count(&self) -> u64 {
        self.inner.events.load(Ordering::Acquire)
    }

    /// The ledger's clock in microseconds.
    fn now_micros(&self) -> Result<time::Micros> {
        time::to_micros(self.inner.clock.now(), "the ledger's clock")
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Projection>> {
        self.inner.projection.read().map_err(|_| poisoned())
    }

    fn check_subject(&self, subject: &NationalId) -> Result<()> {
        if subject.kind() == IdKind::Synthetic && !self.inner.id_options.test_mode {
            return Err(Error::new(
                ErrorCode::InvalidNationalId,
                "synthetic test numbers are accepted only by a ledger in test mode",
            ));
        }
        Ok(())
    }

    /// Every event, decoded and verified, in order.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// let events = ledger.events()?;
    /// assert_eq!(events[0].kind, "catalogue_adopted");
    /// assert_eq!(events[1].kind, "grant_recorded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Integrity` when the stored chain does not verify; `Storage`.
    pub fn events(&self) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        self.for_each_event(|event| {
            events.push(event);
            Ok(())
        })?;
        Ok(events)
    }

    /// Streams every event, verified against the chain and opened with its subject's key, in
    /// order, without holding the whole log in memory. A SQLite store reads on its own
    /// connection, so writes never wait for the scan (and neither do decisions).
    pub(crate) fn for_each_event(&self, mut visit: impl FnMut(Event) -> Result<()>) -> Result<()> {
        let mut cursor = EventCursor::start();
        self.visit_events(&mut cursor, u64::MAX, &mut visit)
    }

    /// Visits the events after `cursor` up to `last_seq`, each verified against the chain
    /// (linked to the event before it, as the cursor remembers it) and opened with its
    /// subject's key; the cursor moves past each one visited.
    fn visit_events(
        &self,
        cursor: &mut EventCursor,
        last_seq: u64,
        visit: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        // Up to what this handle has applied, after catching up on what other handles and
        // processes wrote: an event beyond it could name a subject key not yet known here,
        // and would read as redacted.
        let last_seq = last_seq.min(self.fresh()?);
        // The visitor may need a key a snapshot named and nobody unwrapped yet; reading it
        // from the store inside the scan would wait on the scan's own connection.
        self.preload_stored_keys()?;
        self.inner
            .store
            .scan_range(cursor.next_seq, last_seq, &mut |record| {
                let verified =
                    record::verify_record(record, Some((cursor.next_seq, &cursor.prev_hash)))?;
                let hash = verified.hash;
                // A lock that cannot be read is an error, never a redacted payload.
                let key = match verified.header.subject {
                    Some(subject) => self.data_key(&*self.read()?, &subject)?,
                    None => None,
                };
                let event = open_event(verified, |_| key)?;
                cursor.next_seq += 1;
                cursor.prev_hash = hash;
                visit(event)
            })
    }

    /// The next page of the event log after `cursor`: at most `max` events, each verified
    /// against the chain (also across pages: the cursor carries the last hash) and opened with
    /// its subject's key. An empty page is the end. For reading a large log without holding it
    /// in memory (the C callback and the Python iterator read it this way).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// use consent_core::EventCursor;
    /// ledger.grant(&grant, &actor)?;
    /// ledger.grant(&grant, &actor)?;
    /// let mut cursor = EventCursor::start();
    /// assert_eq!(ledger.events_page(&mut cursor, 1)?[0].kind, "catalogue_adopted");
    /// assert_eq!(ledger.events_page(&mut cursor, 1)?[0].seq, 2);
    /// assert_eq!(ledger.events_page(&mut cursor, 5)?.len(), 1);
    /// assert!(ledger.events_page(&mut cursor, 1)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Integrity` when the stored chain does not verify; `Storage`.
    pub fn events_page(&self, cursor: &mut EventCursor, max: usize) -> Result<Vec<Event>> {
        let mut page = Vec::with_capacity(max.min(4096));
        let count = u64::try_from(max).map_err(|_| Error::invalid("the page is too large"))?;
        if count == 0 {
            return Ok(page);
        }
        let last = cursor.next_seq.saturating_add(count - 1);
        self.visit_events(cursor, last, &mut |event| {
            page.push(event);
            Ok(())
        })?;
        Ok(page)
    }

    /// Counts of what the projection holds: (subjects, grants).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// assert_eq!(ledger.sizes()?, (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sizes(&self) -> Result<(usize, usize)> {
        self.fresh()?;
        let projection = self.read()?;
        Ok((projection.subject_count(), projection.grant_count()))
    }

    #[cfg(test)]
    pub(crate) fn projection_snapshot(
        &self,
    ) -> Result<Vec<(Pseudonym, crate::policy::grant_state::GrantState)>> {
        Ok(self.read()?.all())
    }

    #[doc(hidden)]
    /// The store, for tests that tamper with it.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }
}

fn nonempty(set: u64, field: &str) -> Result<u64> {
    if set == 0 {
        Err(Error::invalid(format!("`{field}` is empty")))
    } else {
        Ok(set)
    }
}

/// Checks a stored ledger's format version and key check value. A ledger missing either was
/// tampered with (every ledger is created with both, in one step): it is never taken for a new
/// one.
pub(crate) fn check_metadata(store: &dyn Store, key: &PseudonymKey) -> Result<()> {
    match store.meta(meta::SCHEMA)? {
        None => {
            return Err(Error::new(
                ErrorCode::Integrity,
                "the ledger's storage schema version is missing (its metadata was deleted)",
            ));
        }
        Some(version) if version == STORAGE_SCHEMA_1 => {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "ledger storage schema 1 (written by consent 0.1) must be upgraded to {STORAGE_SCHEMA} before this version opens it: run `consent upgrade` (it keeps a backup)"
                ),
            ));
        }
        Some(version) if version != STORAGE_SCHEMA => {
            return Err(Error::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "ledger storage schema `{}` is not supported by this version (expected `{STORAGE_SCHEMA}`)",
                    printable(&version)
                ),
            ));
        }
        Some(_) => {}
    }
    match store.meta(meta::KEY_CHECK)? {
        None => Err(Error::new(
            ErrorCode::Integrity,
            "the ledger's key check value is missing (its metadata was deleted)",
        )),
        Some(check) if check != key.check_value() => Err(Error::new(
            ErrorCode::KeyMismatch,
            "the pseudonym key does not match the key this ledger was created with",
        )),
        Some(_) => Ok(()),
    }
}

/// The first stored record, if any.
fn first_record(store: &dyn Store) -> Result<Option<crate::log::record::EventRecord>> {
    let mut first = None;
    store.scan_range(1, 1, &mut |record| {
        first = Some(record);
        Ok(())
    })?;
    Ok(first)
}

/// Whether the store holds any subject key.
fn has_subject_keys(store: &dyn Store) -> Result<bool> {
    let mut any = false;
    store.subject_keys(&mut |_| {
        any = true;
        Ok(())
    })?;
    Ok(any)
}

#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod tests;
