//! The ledger: validates requests, records events through a store, keeps the projection the
//! engine reads, and verifies the hash chain.

mod clock;
mod commit;
mod decide;
mod export;
mod open;
mod replay;
mod rights;
mod verify;
mod write;

pub use clock::{Clock, SystemClock, TestClock};
pub use export::{
    AccessRequestEntry, ConsentChange, ConsentEvent, ConsentRecord, ConsentType, CurrentValidity,
    DisclosureEntry, EXPORT_SCHEMA, ErasureEntry, EventMeta, RectificationDetail,
    RectificationEntry, RedactedEntry, RefusalEntry, RestrictionEntry, SubjectExport,
    SubjectStatus, Validity,
};
pub use open::MEMORY_PATH;
pub use rights::{AccessRequest, ErasureOutcome};
pub use verify::VerifyReport;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};

use crate::catalogue::Catalogue;
use crate::error::{Error, ErrorCode, Result, printable};
use crate::id::national_id::{IdKind, IdOptions, NationalId};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};
use crate::log::event::Event;
use crate::log::record::{self, GENESIS, Hash, Head, open_event};
use crate::log::seal::{DataKey, KeyWrapper};
use crate::model::request::{GrantRequest, RefusalRequest};
use crate::projection::Projection;
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::{Batch, SubjectKey};
use crate::time;
use verify::check_head;

/// The ledger's metadata keys.
pub(crate) mod meta {
    /// The storage schema version.
    pub const SCHEMA: &str = "schema_version";
    /// The pseudonym key's check value.
    pub const KEY_CHECK: &str = "key_check";
    /// The version of the catalogue the ledger was created with.
    pub const CATALOGUE: &str = "catalogue_version";
}

/// The key-derivation context of the head anchor's MAC.
pub(crate) const HEAD_MAC_CONTEXT: &str = "consent 2026 head anchor";

/// The storage schema version this build writes and reads.
pub const STORAGE_SCHEMA: &str = "1";

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
    /// The catalogue; the embedded default when `None`.
    pub catalogue: Option<Catalogue>,
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
}

impl LedgerOptions {
    /// These options with a catalogue other than the embedded default.
    #[must_use]
    pub fn with_catalogue(mut self, catalogue: Catalogue) -> Self {
        self.catalogue = Some(catalogue);
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

    /// These options with another clock.
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
            key: None,
            key_file: None,
            id_options: IdOptions::default(),
            clock: Arc::new(SystemClock),
            test_clock: None,
        }
    }
}

#[derive(Debug)]
struct Writer {
    last_seq: u64,
    last_hash: Hash,
}

struct Inner {
    catalogue: Catalogue,
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
    /// assert_eq!(ledger.event_count(), 0);
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

    /// Opens a ledger over any store: checks the key, replays and verifies every event.
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
    /// schema; `InvalidCatalogue` when an event names a code the catalogue lacks; `Storage`.
    pub fn with_store(store: Box<dyn Store>, options: LedgerOptions) -> Result<Ledger> {
        let catalogue = options.catalogue.unwrap_or_else(Catalogue::embedded);
        let key = match options.key {
            Some(key) => key,
            None => PseudonymKey::generate()?,
        };
        match store.meta(meta::SCHEMA)? {
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
            None => store.set_meta(meta::SCHEMA, STORAGE_SCHEMA)?,
        }
        match store.meta(meta::KEY_CHECK)? {
            Some(check) if check != key.check_value() => {
                return Err(Error::new(
                    ErrorCode::KeyMismatch,
                    "the pseudonym key does not match the key this ledger was created with",
                ));
            }
            Some(_) => {}
            None => {
                // A new ledger anchors its empty log, so deleting every event later is seen.
                let genesis = Head::new(0, GENESIS, &key.derive(HEAD_MAC_CONTEXT));
                store.append(&Batch {
                    records: &[],
                    new_keys: &[],
                    destroyed_keys: &[],
                    head: &genesis,
                })?;
                store.set_meta(meta::KEY_CHECK, &key.check_value())?;
                store.set_meta(meta::CATALOGUE, catalogue.version())?;
            }
        }
        let mac_key = key.derive(HEAD_MAC_CONTEXT);
        let wrapper = KeyWrapper::new(&key);
        let keys = unwrap_keys(store.as_ref(), &wrapper)?;
        let mut writer = Writer {
            last_seq: 0,
            last_hash: GENESIS,
        };
        let mut projection = replay::replay(store.as_ref(), &catalogue, &keys, &mut writer)?;
        for (subject, (key, since)) in keys {
            projection.set_key(subject, key, since);
        }
        check_head(store.head()?, writer.last_seq, &writer.last_hash, &mac_key)?;
        projection.shrink();
        Ok(Ledger {
            inner: Arc::new(Inner {
                catalogue,
                key,
                mac_key,
                wrapper,
                id_options: options.id_options,
                clock: options.clock,
                test_clock: options.test_clock,
                store,
                projection: RwLock::new(projection),
                events: AtomicU64::new(writer.last_seq),
                writer: Mutex::new(writer),
            }),
        })
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

    /// The catalogue.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// assert!(ledger.catalogue().purposes().iter().any(|p| p.code.as_str() == "settlement"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
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

    /// The number of events recorded.
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
    /// assert_eq!(ledger.event_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn event_count(&self) -> u64 {
        self.inner.events.load(Ordering::Acquire)
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Projection>> {
        self.inner.projection.read().map_err(|_| poisoned())
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, Writer>> {
        self.inner.writer.lock().map_err(|_| poisoned())
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
    /// assert_eq!(events[0].kind, "grant_recorded");
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
    /// order, without holding the whole log in memory. (A SQLite store holds its connection
    /// for the scan, so writes wait for it; decisions do not.)
    pub(crate) fn for_each_event(&self, mut visit: impl FnMut(Event) -> Result<()>) -> Result<()> {
        let mut expected = 1u64;
        let mut prev = GENESIS;
        self.inner.store.scan(1, &mut |record| {
            let verified = record::verify_record(record, Some((expected, &prev)))?;
            expected += 1;
            prev = verified.hash;
            // A lock that cannot be read is an error, never a redacted payload.
            let key = match verified.header.subject {
                Some(subject) => self.read()?.key(&subject),
                None => None,
            };
            visit(open_event(verified, |_| key)?)
        })
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

/// Reads and unwraps every stored subject key; a large ledger unwraps on two threads.
fn unwrap_keys(
    store: &dyn Store,
    wrapper: &KeyWrapper,
) -> Result<HashMap<Pseudonym, (DataKey, u64)>> {
    let mut stored = Vec::new();
    store.subject_keys(&mut |key: SubjectKey| {
        stored.push(key);
        Ok(())
    })?;
    let unwrap = |keys: &[SubjectKey]| -> Result<Vec<(Pseudonym, (DataKey, u64))>> {
        keys.iter()
            .map(|stored| {
                let subject = Pseudonym(stored.subject);
                let key = wrapper.unwrap_key(&subject, &stored.wrapped)?;
                Ok((subject, (key, stored.since_seq)))
            })
            .collect()
    };
    let unwrapped = if stored.len() < PARALLEL_UNWRAP_FROM {
        unwrap(&stored)?
    } else {
        let (first, second) = stored.split_at(stored.len() / 2);
        let (mut first, second) = std::thread::scope(|scope| {
            let other = std::thread::Builder::new()
                .name("consent-keys".into())
                .spawn_scoped(scope, || unwrap(second))
                .map_err(|e| Error::storage("cannot start the key thread", e))?;
            let first = unwrap(first);
            let second = other
                .join()
                .map_err(|_| Error::storage("open", "the key thread panicked"))?;
            Ok::<_, Error>((first?, second?))
        })?;
        first.extend(second);
        first
    };
    let mut keys = HashMap::with_capacity(unwrapped.len());
    for (subject, key) in unwrapped {
        if keys.insert(subject, key).is_some() {
            return Err(Error::new(
                ErrorCode::Integrity,
                format!("subject `{subject}` has two data keys"),
            ));
        }
    }
    Ok(keys)
}

/// From this many subject keys, opening unwraps them on two threads.
const PARALLEL_UNWRAP_FROM: usize = 10_000;

#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod tests;
