//! `consent.Ledger`: converts Python arguments into the core's documents, releases the GIL
//! around the core's work (with only owned Rust data crossing in), and converts back.

use std::path::PathBuf;
use std::sync::RwLock;

use chrono::{DateTime, Utc};

use consent_core::storage::{FileAccess, MemoryStore};
use consent_core::{
    ActorTrust, AnyActor, Assertion, Catalogue, Correction, DisclosureRequest, IdOptions,
    LedgerOptions, MEMORY_PATH, NationalId, ObjectionOutcome, OpenMode, RestrictionGround,
    StatisticsQuery, SuccessionMode,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDelta, PyDict, PyInt, PyList, PyTuple};
use serde_json::{Map, Value};
use uuid::Uuid;

use consent_documents::interop::FhirOptions;

use crate::batch::Converter;
use crate::convert::{
    self, from_json, instant, object, rfc3339, serialised, string, strings, to_json, with_text,
};
use crate::decision::Decision;
use crate::errors::{CoreError, OrRaise, StorageError, internal, invalid};
use crate::located::Located;
use crate::prepared::PreparedRequest;

/// A consent ledger: records grants, withdrawals, refusals and disclosures in a hash-chained
/// log, and decides disclosures. May be shared between threads.
#[pyclass(frozen, module = "consent")]
pub struct Ledger {
    /// `None` once closed. Each call clones the (cheap, shared) core ledger out, so a call in
    /// flight on another thread keeps the store alive until it returns.
    inner: RwLock<Option<consent_core::Ledger>>,
    in_memory: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("open", &self.core().is_ok())
            .field(
                "test_mode",
                &self.core().is_ok_and(|l| l.id_options().test_mode),
            )
            .finish()
    }
}

/// The actor dict (`{"id": ..., "role": ...}`, or a signed `{"token": ...}` the ledger
/// verifies) as the core's actor, validated by the core (an error names the key:
/// `actor.role: ...`; never the token).
fn actor(obj: &Bound<'_, PyAny>) -> PyResult<AnyActor> {
    let located = Located::new(&object(obj, "actor")?, "actor");
    AnyActor::from_json(&located.json).map_err(|e| located.error("actor", &e))
}

/// The actor and purpose of lookup of a logged read: both, or neither (an unlogged decision).
pub(crate) fn logged_reader(
    actor: Option<&Bound<'_, PyAny>>,
    lookup_purpose: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<(AnyActor, String)>> {
    match (actor, lookup_purpose) {
        (None, None) => Ok(None),
        (Some(actor), Some(purpose)) => Ok(Some((
            self::actor(actor)?,
            string(purpose, "lookup_purpose")?,
        ))),
        (Some(_), None) => Err(invalid(
            "`lookup_purpose` is missing: a decision made with an actor is recorded with why the person was looked up",
        )),
        (None, Some(_)) => Err(invalid(
            "`actor` is missing: a purpose of lookup is recorded with who looked",
        )),
    }
}

/// The keyword arguments that are instants: they must be aware `datetime`s (`valid_until` may
/// also be `None`), never text.
const INSTANT_FIELDS: [&str; 3] = ["valid_from", "valid_until", "at"];

/// Keyword arguments as a JSON document: each key as given (the core rejects unknown ones),
/// instants as RFC 3339 text, with the place of each value recorded so that an error in it
/// names the argument (`evidence.interpreter: ...`).
fn fields_json(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Located> {
    let mut map = Map::new();
    if let Some(fields) = fields {
        crate::convert::check_codes_len(fields.len(), "keyword arguments")?;
        for (key, value) in fields.iter() {
            let key = string(&key, "a keyword argument's name")?;
            let json = if INSTANT_FIELDS.contains(&key.as_str()) {
                if key == "valid_until" && value.is_none() {
                    Value::Null
                } else {
                    Value::String(rfc3339(instant(&value, &key)?))
                }
            } else {
                to_json(&value, &key)?
            };
            map.insert(key, json);
        }
    }
    Ok(Located::new(&map, ""))
}

/// A positive number of seconds (an `int`, a `float` or a `timedelta`), at least a
/// millisecond: how long a write waits for another process's write lock.
fn seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<std::time::Duration> {
    let seconds: f64 = match value.extract::<chrono::TimeDelta>() {
        Ok(delta) => delta.as_seconds_f64(),
        Err(_) => value.extract().map_err(|_| {
            invalid(format!(
                "`{name}` must be a number of seconds or a timedelta"
            ))
        })?,
    };
    if !seconds.is_finite() || !(0.001..=86_400.0).contains(&seconds) {
        return Err(invalid(format!(
            "`{name}` must be from 0.001 to 86400 seconds (leave it out to wait as long as it takes)"
        )));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// An optional `str` or `os.PathLike` keyword argument (`None` when absent or `None`).
fn optional_path(obj: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<PathBuf>> {
    match obj {
        Some(p) if !p.is_none() => p
            .extract()
            .map(Some)
            .map_err(|_| invalid(format!("`{field}` must be a str or os.PathLike"))),
        _ => Ok(None),
    }
}

/// The catalogue in `catalogue_file`, read and validated by the core's options reader (so a
/// bad file raises `InvalidCatalogueError`, an unreadable one `StorageError`), or the
/// embedded default.
fn catalogue(py: Python<'_>, catalogue_file: Option<&Bound<'_, PyAny>>) -> PyResult<Catalogue> {
    let Some(path) = optional_path(catalogue_file, "catalogue_file")? else {
        return Ok(Catalogue::embedded());
    };
    // The options document is JSON, so the path must be text.
    let path = path
        .to_str()
        .ok_or_else(|| invalid("`catalogue_file` must be valid UTF-8"))?
        .to_owned();
    let doc = serde_json::json!({ "catalogue_file": path }).to_string();
    py.detach(move || LedgerOptions::from_json(&doc))
        .or_raise()?
        .catalogue
        .ok_or_else(|| internal("the options reader returned no catalogue"))
}

/// The correction of one grant field: `evidence_reference` takes a `str`, `valid_from` an
/// aware `datetime`, `valid_until` an aware `datetime` or `None` (no end).
fn correction(field: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<Correction> {
    match string(field, "field")?.as_str() {
        "evidence_reference" => string(value, "value").map(Correction::EvidenceReference),
        "valid_from" => instant(value, "value").map(Correction::ValidFrom),
        "valid_until" if value.is_none() => Ok(Correction::ValidUntil(None)),
        "valid_until" => instant(value, "value").map(|at| Correction::ValidUntil(Some(at))),
        _ => Err(invalid(
            "`field` must be one of evidence_reference, valid_from, valid_until",
        )),
    }
}

/// A core value serialised to JSON inside `py.detach` (so large results convert without the
/// GIL); a failure is the binding's, not the caller's.
fn json_value<T: serde::Serialize>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// A `bool` keyword argument: `True` or `False` only (an int, a str or `None` is refused, so
/// `test_mode="yes"` is an `InvalidInputError`, not a `TypeError` or a silent truth value).
fn flag(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<bool> {
    obj.cast::<PyBool>().map(|b| b.is_true()).map_err(|_| {
        invalid(format!(
            "`{field}` must be True or False, not {}",
            crate::convert::type_name(obj)
        ))
    })
}

/// An export for another system that cannot be made: `InvalidInputError` for what the caller
/// passed (a national id that is not the subject's, or has no FHIR system), `StorageError`
/// otherwise.
fn document_error(error: consent_documents::Error) -> PyErr {
    let code = match error.kind() {
        consent_documents::ErrorKind::InvalidExport => consent_core::ErrorCode::InvalidInput,
        _ => consent_core::ErrorCode::Storage,
    };
    crate::errors::error_for(code, error.message())
}

fn options(test_mode: bool) -> IdOptions {
    IdOptions {
        test_mode,
        ..IdOptions::default()
    }
}

/// Ledger options for `test_mode`, with a test clock at `clock` (test mode only).
fn ledger_options(
    py: Python<'_>,
    test_mode: bool,
    clock: Option<&Bound<'_, PyAny>>,
    catalogue_file: Option<&Bound<'_, PyAny>>,
) -> PyResult<LedgerOptions> {
    let mut options = LedgerOptions::default().with_id_options(options(test_mode));
    // Without `catalogue_file` an existing ledger opens under the catalogue in force (a new one
    // under the embedded default); a file other than the one in force is a `ConflictError`.
    if catalogue_file.is_some_and(|c| !c.is_none()) {
        options = options.with_catalogue(catalogue(py, catalogue_file)?);
    }
    if let Some(clock) = clock.filter(|c| !c.is_none()) {
        if !test_mode {
            return Err(invalid(
                "`clock` sets the ledger's clock, which only a test-mode ledger allows (test_mode=True)",
            ));
        }
        options = options.with_test_clock(instant(clock, "clock")?);
    }
    Ok(options)
}

/// `[{"condition": ..., "reference": ...}, ...]` (or `None`) as core assertions.
pub(crate) fn assertions(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Assertion>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let list = obj
        .cast::<PyList>()
        .map_err(|_| invalid("`assertions` must be a list of dicts"))?;
    if list.len() > 64 {
        return Err(invalid("`assertions` holds more than 64 items"));
    }
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            let dict = item
                .cast::<PyDict>()
                .map_err(|_| invalid(format!("assertions[{index}] must be a dict")))?;
            let field = |key: &str| -> PyResult<String> {
                let value = dict
                    .get_item(key)?
                    .ok_or_else(|| invalid(format!("assertions[{index}]: missing `{key}`")))?;
                string(&value, &format!("assertions[{index}].{key}"))
            };
            if dict.len() != 2 {
                return Err(invalid(format!(
                    "assertions[{index}] takes exactly `condition` and `reference`"
                )));
            }
            Assertion::new(&field("condition")?, &field("reference")?)
                .map_err(|e| PyErr::from(CoreError(e.context(format!("assertions[{index}]")))))
        })
        .collect()
}

impl Ledger {
    fn new(inner: consent_core::Ledger, in_memory: bool) -> Self {
        Ledger {
            inner: RwLock::new(Some(inner)),
            in_memory,
        }
    }

    /// The core ledger, or `StorageError` once closed.
    pub(crate) fn core(&self) -> PyResult<consent_core::Ledger> {
        self.inner
            .read()
            .map_err(|_| internal("the ledger's handle is poisoned"))?
            .clone()
            .ok_or_else(|| StorageError::new_err("the ledger is closed"))
    }

    fn disclosure_request(
        &self,
        subject: &Bound<'_, PyAny>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        at: DateTime<Utc>,
    ) -> PyResult<DisclosureRequest> {
        let subject = self
            .core()?
            .parse_national_id(&string(subject, "subject")?)
            .or_raise()?;
        DisclosureRequest::new(
            subject,
            &string(recipient, "recipient")?,
            &string(purpose, "purpose")?,
            &strings(categories, "categories")?,
            at,
        )
        .or_raise()
    }

    /// The core ledger and the subject argument parsed with its options.
    fn core_and_subject(
        &self,
        subject: &Bound<'_, PyAny>,
    ) -> PyResult<(consent_core::Ledger, NationalId)> {
        let ledger = self.core()?;
        let subject = ledger
            .parse_national_id(&string(subject, "subject")?)
            .or_raise()?;
        Ok((ledger, subject))
    }
}

#[pymethods]
impl Ledger {
    /// Opens the ledger file at `path` (the embedded SQLite store, durable on return), creating
    /// it and its key file (`<path>.key` unless `key_file` is given) on first use. The path
    /// `":memory:"` opens an in-memory ledger; a `postgresql://user:password@host/db?schema=NAME`
    /// URL opens (or creates) a ledger many hosts share, with its key from `key_file` (created
    /// there for a new ledger; the database holds only its check value). Opening replays and verifies every event.
    /// `catalogue_file` is a catalogue TOML file to use instead of the embedded default; an
    /// existing ledger opens under the catalogue in force, and a different file raises
    /// `ConflictError` until `adopt_catalogue` records it.
    #[staticmethod]
    ///
    /// A key file without its database, or an empty database file, raises `IntegrityError`
    /// (the ledger was deleted or emptied) instead of starting a new one. `read_only=True`
    /// opens an existing ledger without creating or writing anything (writes raise
    /// `StorageError`); `group_access=True` creates a new ledger's files for the owner's group
    /// too (0660, the key 0640), for service accounts that share it. `clock` (an aware
    /// `datetime`, test mode only) runs the ledger on a test clock from that instant.
    /// `actor_trust` (`{"issuer": ..., "jwks_file": ..., "id_claim": "sub", "role_claim":
    /// "role", "audience": None}`, issuer and JWKS file required) is whose signed actors the
    /// ledger believes: every `actor=` may then be `{"token": "<JWT>"}`, verified at the call's
    /// instant.
    #[pyo3(
        signature = (path, *, key_file = None, test_mode = None, catalogue_file = None, read_only = None, group_access = None, clock = None, write_wait = None, max_staleness_ms = None, actor_trust = None),
        text_signature = "(path, *, key_file=None, test_mode=False, catalogue_file=None, read_only=False, group_access=False, clock=None, write_wait=None, max_staleness_ms=0, actor_trust=None)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "Python's keyword arguments of `open`, each checked here"
    )]
    fn open(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key_file: Option<&Bound<'_, PyAny>>,
        test_mode: Option<&Bound<'_, PyAny>>,
        catalogue_file: Option<&Bound<'_, PyAny>>,
        read_only: Option<&Bound<'_, PyAny>>,
        group_access: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        write_wait: Option<&Bound<'_, PyAny>>,
        max_staleness_ms: Option<&Bound<'_, PyAny>>,
        actor_trust: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Ledger> {
        let test_mode = test_mode.map_or(Ok(false), |t| flag(t, "test_mode"))?;
        let read_only = read_only.map_or(Ok(false), |t| flag(t, "read_only"))?;
        let write_wait = match write_wait {
            Some(w) if !w.is_none() => Some(seconds(w, "write_wait")?),
            _ => None,
        };
        let max_staleness_ms: u64 = match max_staleness_ms {
            Some(m) if !m.is_none() => m.extract().map_err(|_| {
                invalid("`max_staleness_ms` must be a whole number of milliseconds, from 0")
            })?,
            _ => 0,
        };
        let group_access = group_access.map_or(Ok(false), |t| flag(t, "group_access"))?;
        let path: PathBuf = path
            .extract()
            .map_err(|_| invalid("`path` must be a str or os.PathLike"))?;
        let key_file = optional_path(key_file, "key_file")?;
        let in_memory = path.as_os_str() == MEMORY_PATH;
        let mut ledger_options = ledger_options(py, test_mode, clock, catalogue_file)?;
        if let Some(key_file) = key_file {
            ledger_options = ledger_options.with_key_file(key_file);
        }
        if read_only {
            ledger_options = ledger_options.with_mode(OpenMode::ReadOnly);
        }
        if group_access {
            ledger_options = ledger_options.with_file_access(FileAccess::Group);
        }
        if let Some(wait) = write_wait {
            ledger_options = ledger_options.with_write_wait(wait);
        }
        ledger_options = ledger_options.with_max_staleness_ms(max_staleness_ms);
        if let Some(trust) = actor_trust.filter(|t| !t.is_none()) {
            let located = Located::new(&object(trust, "actor_trust")?, "actor_trust");
            let trust = ActorTrust::from_config_json(&located.json)
                .map_err(|e| located.error("actor_trust", &e))?;
            ledger_options = ledger_options.with_actor_trust(trust);
        }
        let inner = py
            .detach(move || match path.to_str() {
                Some(location) if consent_core::is_postgres_url(location) => {
                    consent_postgres::open(location, ledger_options)
                }
                _ => consent_core::Ledger::open(&path, ledger_options),
            })
            .or_raise()?;
        Ok(Ledger::new(inner, in_memory))
    }

    /// A ledger that keeps its events in memory, with a fresh key and the default catalogue
    /// (or the one in `catalogue_file`). `test_mode` accepts synthetic test national ids
    /// (never in production); with it, `clock` (an aware `datetime`) runs the ledger's clock
    /// from that instant until `set_clock` moves it.
    #[staticmethod]
    #[pyo3(
        signature = (*, test_mode = None, catalogue_file = None, clock = None),
        text_signature = "(*, test_mode=False, catalogue_file=None, clock=None)"
    )]
    fn in_memory(
        py: Python<'_>,
        test_mode: Option<&Bound<'_, PyAny>>,
        catalogue_file: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Ledger> {
        let test_mode = test_mode.map_or(Ok(false), |t| flag(t, "test_mode"))?;
        let options = ledger_options(py, test_mode, clock, catalogue_file)?;
        let inner =
            consent_core::Ledger::with_store(Box::new(MemoryStore::new()), options).or_raise()?;
        Ok(Ledger::new(inner, true))
    }

    /// Moves the test clock of a ledger opened with `clock=` (test mode): what it stamps events
    /// with and judges backdating by. `NotPermittedError` for a ledger on the system clock.
    fn set_clock(&self, at: &Bound<'_, PyAny>) -> PyResult<()> {
        let at = instant(at, "at")?;
        self.core()?.set_clock(at).or_raise()
    }

    /// Adopts the catalogue in the TOML file `catalogue_file`: from now on (the ledger's clock)
    /// decisions are made under it, and the ledger records its adoption (the whole text and its
    /// SHA-256) as a `catalogue_adopted` event by `actor`. Decisions about earlier instants keep
    /// the rules in force then. Returns the event id. The catalogue must keep every code of the
    /// one in force at the same position. `InvalidCatalogueError` for a file that does not
    /// validate, `InvalidInputError` for one that moves or drops a code, `ConflictError` when it
    /// is the catalogue in force.
    #[pyo3(signature = (catalogue_file, *, actor))]
    fn adopt_catalogue(
        &self,
        py: Python<'_>,
        catalogue_file: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        if catalogue_file.is_none() {
            return Err(invalid(
                "`catalogue_file` must be a str or os.PathLike, not None",
            ));
        }
        let catalogue = self::catalogue(py, Some(catalogue_file))?;
        let actor = self::actor(actor)?;
        let ledger = self.core()?;
        py.detach(move || ledger.adopt_catalogue(&catalogue, &actor))
            .or_raise()
    }

    /// Records that the person known under `from_id` (a DUF number, a D-number) is now known
    /// under `to_id` (a D-number, a fødselsnummer): their grants, refusals, restrictions and
    /// history follow them. `reference` names the case or register entry that documents the
    /// change (never a national id); it is stored sealed. Returns the event id. Only the
    /// catalogue's `succession_roles` may record it (`NotPermittedError`); `NotFoundError` when
    /// the ledger holds nothing under `from_id`; `InvalidInputError` for a step backwards (a
    /// fødselsnummer to a D-number or a DUF number, a D-number to a DUF number);
    /// `ConflictError` when `from_id` was already succeeded, or `to_id` already holds records
    /// and `merge` is not `True` (joining two histories cannot be undone: pass `merge=True`
    /// only once both ids are known to be one person, and the event records the merge).
    #[pyo3(
        signature = (from_id, to_id, reference, *, actor, merge = None),
        text_signature = "($self, from_id, to_id, reference, *, actor, merge=False)"
    )]
    fn record_identity_succession(
        &self,
        py: Python<'_>,
        from_id: &Bound<'_, PyAny>,
        to_id: &Bound<'_, PyAny>,
        reference: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        merge: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Uuid> {
        let mode = match merge.map(|m| flag(m, "merge")).transpose()? {
            Some(true) => SuccessionMode::Merge,
            _ => SuccessionMode::Move,
        };
        let ledger = self.core()?;
        let from = ledger
            .parse_national_id(&string(from_id, "from_id")?)
            .or_raise()?;
        let to = ledger
            .parse_national_id(&string(to_id, "to_id")?)
            .or_raise()?;
        let reference = string(reference, "reference")?;
        let actor = self::actor(actor)?;
        py.detach(move || ledger.record_identity_succession(&from, &to, &reference, mode, &actor))
            .or_raise()
    }

    /// The notification worklist at `at` (an aware `datetime`): the tasks of changes recorded
    /// up to then that are not marked done. Each item is `{"event_id" (a uuid.UUID), "subject"
    /// (a pseudonym), "reason", "recipient" (a code, or `None`: tell the person), "due_at"}`,
    /// with reason `restriction_lifted` (tell the person, Art. 18(3)), `rectification`,
    /// `restriction` or `erasure` (tell each recipient, Art. 19).
    #[pyo3(signature = (*, at))]
    fn notifications_due<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let at = instant(at, "at")?;
        crate::casework::notifications(py, self.core()?, at)
    }

    /// The deviations (avvik): disclosures recorded at or after `since` (an aware `datetime`)
    /// that the ledger would now deny at their instant (a withdrawal, a restriction or an
    /// objection it learnt of later, dated before them). Each item is `{"event_id" (a
    /// uuid.UUID), "seq", "subject" (a pseudonym), "recipient", "purpose", "at",
    /// "recorded_at", "categories": [{"category", "reason"}]}`.
    #[pyo3(signature = (*, since))]
    fn deviations<'py>(
        &self,
        py: Python<'py>,
        since: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let since = instant(since, "since")?;
        crate::casework::deviations(py, self.core()?, since)
    }

    /// Marks a task of the notification worklist done: the person (`recipient=None`) or the
    /// recipient was told at `at` of the change recorded by `event_id`. Returns the record
    /// id. `NotFoundError` when no such task is open, `UnknownCodeError` for a recipient not in
    /// the catalogue.
    #[pyo3(signature = (event_id, *, at, actor, recipient = None))]
    fn record_notification(
        &self,
        py: Python<'_>,
        event_id: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        recipient: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Uuid> {
        let event_id = crate::casework::event_id(event_id, "event_id")?;
        let recipient = crate::casework::optional_code(recipient, "recipient")?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        let ledger = self.core()?;
        py.detach(move || ledger.record_notification(event_id, recipient.as_deref(), at, &actor))
            .or_raise()
    }

    /// Records historical consents (a migration of paper records) in one durable write, all or
    /// none: `grants` is a list of dicts with the grant JSON's keys. They may start long before
    /// they are recorded and are marked `migrated`; only the catalogue's migration roles may
    /// record them. Returns the grant ids.
    #[pyo3(signature = (grants, *, actor))]
    fn grant_historical(
        &self,
        py: Python<'_>,
        grants: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Uuid>> {
        let actor = self::actor(actor)?;
        let list = grants
            .cast::<PyList>()
            .map_err(|_| invalid("`grants` must be a list of dicts"))?;
        let ledger = self.core()?;
        let mut requests = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let dict = item
                .cast::<PyDict>()
                .map_err(|_| invalid(format!("grants[{index}] must be a dict")))?;
            let doc = fields_json(Some(dict))?;
            let request = ledger
                .parse_grant(&doc.json)
                .map_err(|e| with_index(py, doc.error("grant", &e), index))?;
            requests.push(request);
        }
        py.detach(move || ledger.grant_historical(&requests, &actor))
            .map(|ids| ids.into_iter().map(|id| id.as_uuid()).collect())
            .or_raise()
    }

    /// Records a consent; keyword arguments are the grant JSON's keys. Returns the grant id.
    #[pyo3(signature = (*, actor, **fields))]
    fn grant(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Uuid> {
        let actor = self::actor(actor)?;
        let doc = fields_json(fields)?;
        let ledger = self.core()?;
        let request = py
            .detach(|| ledger.parse_grant(&doc.json))
            .map_err(|e| doc.error("grant", &e))?;
        py.detach(move || ledger.grant(&request, &actor).map(|id| id.as_uuid()))
            .or_raise()
    }

    /// Withdraws a grant from `at` onward; decisions before `at` are unchanged. With an
    /// `idempotency_key`, the same withdrawal again writes nothing and succeeds (a retry
    /// after a dropped connection); the same key with another request is `ConflictError`.
    #[pyo3(signature = (grant_id, *, at, actor, reason = None, idempotency_key = None))]
    fn withdraw(
        &self,
        py: Python<'_>,
        grant_id: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let grant = convert::grant_id(grant_id, "grant_id")?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        let reason = match reason {
            Some(r) if !r.is_none() => Some(string(r, "reason")?),
            _ => None,
        };
        let key = match idempotency_key {
            Some(k) if !k.is_none() => Some(string(k, "idempotency_key")?),
            _ => None,
        };
        let ledger = self.core()?;
        py.detach(move || match key {
            None => ledger.withdraw(grant, at, &actor, reason.as_deref()),
            Some(key) => ledger.withdraw_idempotent(grant, at, &actor, reason.as_deref(), &key),
        })
        .or_raise()
    }

    /// Records that the subject (or a representative) refused to consent; keyword arguments
    /// are the grant JSON's `subject`, `grantor`, `purposes`, `recipients`, `categories`,
    /// `evidence`, `notice`, and `at`. Returns the record id.
    #[pyo3(signature = (*, actor, **fields))]
    fn refuse(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Uuid> {
        let actor = self::actor(actor)?;
        let doc = fields_json(fields)?;
        let ledger = self.core()?;
        let request = py
            .detach(|| ledger.parse_refusal(&doc.json))
            .map_err(|e| doc.error("refusal", &e))?;
        py.detach(move || ledger.refuse(&request, &actor))
            .or_raise()
    }

    /// Decides whether `categories` about `subject` may go to `recipient` for `purpose` at `at`.
    /// `assertions` lists the conditions the requester asserts (`[{"condition":
    /// "serious_concern", "reference": "2026/55"}]`): a statutory rule that requires a
    /// condition permits only with one of its conditions asserted.
    ///
    /// With `actor` (a dict like the actor JSON) and `lookup_purpose` (why the person was
    /// looked up), the decision is recorded as an access to the person's data before it is
    /// returned; a catalogue with `log_all_decisions` requires them.
    #[pyo3(signature = (*, subject, recipient, purpose, categories, at, assertions = None, actor = None, lookup_purpose = None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the keyword arguments of one Python call"
    )]
    fn decide(
        &self,
        subject: &Bound<'_, PyAny>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        assertions: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
        lookup_purpose: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let ledger = self.core()?;
        let reader = logged_reader(actor, lookup_purpose)?;
        let subject =
            with_text(subject, "subject", |text| ledger.parse_national_id(text))?.or_raise()?;
        let recipient = string(recipient, "recipient")?;
        let purpose = string(purpose, "purpose")?;
        let categories = strings(categories, "categories")?;
        let at = instant(at, "at")?;
        let assertions = self::assertions(assertions)?;
        if let Some((actor, lookup)) = reader {
            let request = consent_core::DisclosureRequest::new(
                subject,
                &recipient,
                &purpose,
                &categories,
                at,
            )
            .or_raise()?
            .with_assertions(assertions);
            return ledger
                .decide_logged(&request, &actor, &lookup)
                .map(Decision::new)
                .or_raise();
        }
        let decision = if assertions.is_empty() {
            ledger.decide_with(&subject, &recipient, &purpose, &categories, at)
        } else {
            ledger.decide_asserted(&subject, &recipient, &purpose, &categories, &assertions, at)
        };
        decision.map(Decision::new).or_raise()
    }

    /// Prepares a request for many subjects: `recipient`, `purpose`, `categories` and
    /// `assertions` are converted and checked once; `PreparedRequest.decide(subject, at)` and
    /// `.decide_many(subjects, at)` then pass only the subject and the instant.
    #[pyo3(signature = (*, recipient, purpose, categories, assertions = None))]
    fn prepare(
        slf: &Bound<'_, Self>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        assertions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PreparedRequest> {
        let ledger = slf.get().core()?;
        let recipient = string(recipient, "recipient")?;
        let purpose = string(purpose, "purpose")?;
        let categories = strings(categories, "categories")?;
        let assertions = self::assertions(assertions)?;
        let prepared = ledger
            .prepare(&recipient, &purpose, &categories, &assertions)
            .or_raise()?;
        Ok(PreparedRequest::new(slf.clone().unbind(), prepared))
    }

    /// Decides many requests (dicts with `subject`, `recipient`, `purpose`, `categories`,
    /// `at`) under one read of the state, without the GIL. Raises the first request's error,
    /// naming its index.
    fn decide_many<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let list = requests
            .cast::<PyList>()
            .map_err(|_| invalid("`requests` must be a list of dicts"))?;
        let ledger = self.core()?;
        let mut converter = Converter::new(ledger.clone(), list.len());
        for (index, item) in list.iter().enumerate() {
            converter
                .push(&item)
                .map_err(|e| with_index(py, e, index))?;
        }
        let batch = converter.finish();
        let results = py.detach(move || batch.decide(&ledger)).or_raise()?;
        // The first request's error, naming its index.
        if let Some(index) = results.iter().position(Result::is_err) {
            let error = match results.into_iter().nth(index) {
                Some(Err(error)) => PyErr::from(CoreError(error)),
                _ => internal("a failed decision went missing"),
            };
            return Err(with_index(py, error, index));
        }
        // Straight into the list: no intermediate Vec of Python-bound decisions.
        let decisions = PyList::empty(py);
        for decision in results.into_iter().flatten() {
            decisions.append(Bound::new(py, Decision::new(decision))?)?;
        }
        Ok(decisions)
    }

    /// Decides a disclosure and, when permitted, records it with each category's basis.
    /// Raises `NotPermittedError` (recording nothing) when the decision denies.
    #[pyo3(signature = (*, subject, recipient, purpose, categories, at, actor, assertions = None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the keyword arguments of one Python call"
    )]
    fn record_disclosure(
        &self,
        subject: &Bound<'_, PyAny>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        assertions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let py = subject.py();
        let request = self
            .disclosure_request(subject, recipient, purpose, categories, instant(at, "at")?)?
            .with_assertions(self::assertions(assertions)?);
        let actor = self::actor(actor)?;
        let ledger = self.core()?;
        py.detach(move || ledger.record_disclosure(&request, &actor))
            .map(Decision::new)
            .or_raise()
    }

    /// The keyed pseudonym under which the subject's events are recorded (32 hex digits), so
    /// a case system can match re-consent items and exports to its clients.
    fn pseudonym(&self, subject: &Bound<'_, PyAny>) -> PyResult<String> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        Ok(ledger.pseudonym(&subject).to_string())
    }

    /// Everything the ledger holds about a subject (GDPR Art. 15), as a dict. For a person
    /// the ledger holds nothing about, an export whose `status` is `nothing_held`.
    ///
    /// The export is a read of the person's data: `actor` needs a role that may `export`, and
    /// the read is recorded with `lookup_purpose` before the export is built; its `accesses`
    /// list who looked (this export included).
    #[pyo3(signature = (subject, *, actor, lookup_purpose))]
    fn subject_export<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
        lookup_purpose: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        let lookup = string(lookup_purpose, "lookup_purpose")?;
        let (ledger, subject) = self.core_and_subject(subject)?;
        let export = py
            .detach(move || ledger.subject_export(&subject, &actor, &lookup)?.to_value())
            .or_raise()?;
        from_json(py, &export)
    }

    /// The subject's events (and those of the ids they had before), in log order, as dicts
    /// shaped like `events()`'s. Recorded as an access by `actor` (a role that may
    /// `subject_events`) for `lookup_purpose` before they are read: the list ends with it.
    #[pyo3(signature = (subject, *, actor, lookup_purpose))]
    fn subject_events<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
        lookup_purpose: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        let lookup = string(lookup_purpose, "lookup_purpose")?;
        let (ledger, subject) = self.core_and_subject(subject)?;
        let events = py
            .detach(move || ledger.subject_events(&subject, &actor, &lookup))
            .or_raise()?;
        serialised(py, &events)
    }

    /// The subject's grants and refusals as HL7 FHIR R5 `Consent` resources in a `Bundle` of
    /// type `collection`, as JSON text (docs/fhir.md). The person is named by pseudonym;
    /// `national_id_in_subject=True` names them by fødselsnummer instead, for a health service
    /// that must match the patient (an `InvalidInputError` for a D-nummer or DUF number).
    /// Recorded as an access by `actor` for `lookup_purpose`, as `subject_export` is.
    #[pyo3(
        signature = (subject, *, actor, lookup_purpose, national_id_in_subject = None),
        text_signature = "($self, subject, *, actor, lookup_purpose, national_id_in_subject=False)"
    )]
    fn subject_export_fhir(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        lookup_purpose: &Bound<'_, PyAny>,
        national_id_in_subject: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let by_national_id = match national_id_in_subject {
            Some(value) => flag(value, "national_id_in_subject")?,
            None => false,
        };
        let actor = self::actor(actor)?;
        let lookup = string(lookup_purpose, "lookup_purpose")?;
        let (ledger, subject) = self.core_and_subject(subject)?;
        let document = py
            .detach(move || {
                let export = ledger.subject_export(&subject, &actor, &lookup)?;
                Ok(if by_national_id {
                    FhirOptions::with_national_id(&ledger, &export, &subject)
                } else {
                    Ok(FhirOptions::pseudonym())
                }
                .and_then(|options| consent_documents::interop::fhir_bundle(&export, &options)))
            })
            .or_raise()?;
        document.map_err(document_error)
    }

    /// The subject's grants and refusals as ISO/IEC TS 27560 consent records with W3C DPV
    /// terms, as JSON-LD text (docs/dpv.md). The person appears by pseudonym only. Recorded
    /// as an access by `actor` for `lookup_purpose`, as `subject_export` is.
    #[pyo3(signature = (subject, *, actor, lookup_purpose))]
    fn subject_export_dpv(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        lookup_purpose: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let actor = self::actor(actor)?;
        let lookup = string(lookup_purpose, "lookup_purpose")?;
        let (ledger, subject) = self.core_and_subject(subject)?;
        let document = py
            .detach(move || {
                let export = ledger.subject_export(&subject, &actor, &lookup)?;
                Ok(consent_documents::interop::dpv_jsonld(&export))
            })
            .or_raise()?;
        document.map_err(document_error)
    }

    /// The answer to the subject's request for access (GDPR Art. 15) as a letter in `lang`:
    /// `bytes` for `format="pdf"`, `str` for `format="html"`. Recorded as an access by `actor`
    /// for `lookup_purpose`, as `subject_export` is. `profile` is the documents profile (a
    /// dict, or its JSON text: the controller and what the catalogue does not hold). The
    /// letter never shows the pseudonym; it shows the national id in its header only with
    /// `national_id_in_header=True` (which needs `recipient_name`). An unknown `lang` or
    /// `format` raises `InvalidInputError` before anything is read or recorded.
    #[pyo3(
        signature = (subject, *, actor, lookup_purpose, profile, lang = None, format = None, recipient_name = None, national_id_in_header = None, reference = None),
        text_signature = "($self, subject, *, actor, lookup_purpose, profile, lang='nb', format='pdf', recipient_name=None, national_id_in_header=False, reference=None)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "keyword arguments of one Python method"
    )]
    fn access_letter<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
        lookup_purpose: &Bound<'py, PyAny>,
        profile: &Bound<'py, PyAny>,
        lang: Option<&Bound<'py, PyAny>>,
        format: Option<&Bound<'py, PyAny>>,
        recipient_name: Option<&Bound<'py, PyAny>>,
        national_id_in_header: Option<&Bound<'py, PyAny>>,
        reference: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let format = crate::documents::format(format, "pdf", &["html", "pdf"])?;
        let (translations, code) = crate::documents::language(lang)?;
        let profile = crate::documents::profile(py, profile)?;
        let in_header = match national_id_in_header {
            Some(value) => flag(value, "national_id_in_header")?,
            None => false,
        };
        let name = recipient_name
            .filter(|v| !v.is_none())
            .map(|v| string(v, "recipient_name"))
            .transpose()?;
        if in_header && name.is_none() {
            return Err(invalid(
                "`national_id_in_header` needs `recipient_name` for the header",
            ));
        }
        let reference = reference
            .filter(|v| !v.is_none())
            .map(|v| string(v, "reference"))
            .transpose()?;
        let actor = self::actor(actor)?;
        let lookup = string(lookup_purpose, "lookup_purpose")?;
        let (ledger, subject) = self.core_and_subject(subject)?;
        let national_id = if in_header {
            Some(
                consent_documents::NationalIdForHeader::try_from(subject.expose()).map_err(
                    |_| {
                        invalid(
                            "`national_id_in_header`: the subject's id is not a fødselsnummer or D-nummer",
                        )
                    },
                )?,
            )
        } else {
            None
        };
        let details = consent_documents::LetterDetails {
            recipient: name.map(|name| consent_documents::LetterRecipient { name, national_id }),
            reference,
        };
        let document = py
            .detach(move || {
                let export = ledger.subject_export(&subject, &actor, &lookup)?;
                Ok(consent_documents::access_answer(
                    &export,
                    ledger.catalogue(),
                    &profile,
                    ledger.now(),
                    details,
                )
                .and_then(|letter| {
                    let lang = translations.get(&code)?;
                    match format {
                        "pdf" => letter.to_pdf(lang).map(crate::documents::Rendered::Bytes),
                        _ => letter.to_html(lang).map(crate::documents::Rendered::Text),
                    }
                }))
            })
            .or_raise()?;
        crate::documents::output(py, document.map_err(crate::documents::error)?)
    }

    /// The privacy notice of the profile's unit, generated from the ledger's catalogue, in
    /// `lang` (`"nb"` or `"nn"`, or any shipped language): `bytes` for `format="pdf"`, `str`
    /// for `format="html"`. Reads no person's data.
    #[pyo3(
        signature = (*, profile, lang = None, format = None),
        text_signature = "($self, *, profile, lang='nb', format='html')"
    )]
    fn privacy_notice<'py>(
        &self,
        py: Python<'py>,
        profile: &Bound<'py, PyAny>,
        lang: Option<&Bound<'py, PyAny>>,
        format: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let format = crate::documents::format(format, "html", &["html", "pdf"])?;
        let (translations, code) = crate::documents::language(lang)?;
        let profile = crate::documents::profile(py, profile)?;
        let ledger = self.core()?;
        let document = py.detach(move || {
            consent_documents::privacy_notice(ledger.catalogue(), &profile).and_then(|notice| {
                let lang = translations.get(&code)?;
                match format {
                    "pdf" => notice.to_pdf(lang).map(crate::documents::Rendered::Bytes),
                    _ => notice.to_html(lang).map(crate::documents::Rendered::Text),
                }
            })
        });
        crate::documents::output(py, document.map_err(crate::documents::error)?)
    }

    /// The record of processing activities (GDPR Art. 30) of the profile's unit, generated
    /// from the ledger's catalogue and dated by the ledger's clock: `bytes` for
    /// `format="pdf"`, `str` for `"html"` and `"csv"`. Reads no person's data.
    #[pyo3(
        signature = (*, profile, lang = None, format = None),
        text_signature = "($self, *, profile, lang='nb', format='html')"
    )]
    fn processing_record<'py>(
        &self,
        py: Python<'py>,
        profile: &Bound<'py, PyAny>,
        lang: Option<&Bound<'py, PyAny>>,
        format: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let format = crate::documents::format(format, "html", &["html", "pdf", "csv"])?;
        let (translations, code) = crate::documents::language(lang)?;
        let profile = crate::documents::profile(py, profile)?;
        let ledger = self.core()?;
        let document = py.detach(move || {
            consent_documents::processing_record(ledger.catalogue(), &profile, ledger.now())
                .and_then(|record| {
                    let lang = translations.get(&code)?;
                    match format {
                        "pdf" => record.to_pdf(lang).map(crate::documents::Rendered::Bytes),
                        "csv" => record.to_csv(lang).map(crate::documents::Rendered::Text),
                        _ => record.to_html(lang).map(crate::documents::Rendered::Text),
                    }
                })
        });
        crate::documents::output(py, document.map_err(crate::documents::error)?)
    }

    /// Registers an access request (GDPR Art. 15) received at `received_at`:
    /// `{"id", "received_at", "due_at"}`, due one month after receipt. The subject's export
    /// lists it.
    #[pyo3(signature = (subject, *, received_at, actor))]
    fn register_access_request<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        received_at: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let received_at = instant(received_at, "received_at")?;
        let actor = self::actor(actor)?;
        let request = py
            .detach(move || ledger.register_access_request(&subject, received_at, &actor))
            .or_raise()?;
        let dict = serialised(py, &request)?.cast_into::<PyDict>()?;
        convert::uuid_at(&dict, "id")?;
        Ok(dict.into_any())
    }

    /// Corrects one field of one of the subject's grants (GDPR Art. 16) without rewriting
    /// history: decisions for instants from now on use the corrected value, earlier ones
    /// stand. `field` is `evidence_reference` (`value` a str), `valid_from` (an aware
    /// datetime) or `valid_until` (an aware datetime, or `None` for no end). Returns the
    /// record id.
    #[pyo3(signature = (subject, grant_id, *, field, value, reason, actor))]
    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors the Python keyword arguments"
    )]
    fn rectify(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        grant_id: &Bound<'_, PyAny>,
        field: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let grant = convert::grant_id(grant_id, "grant_id")?;
        let correction = correction(field, value)?;
        let reason = string(reason, "reason")?;
        let actor = self::actor(actor)?;
        py.detach(move || ledger.rectify(&subject, grant, correction, &reason, &actor))
            .or_raise()
    }

    /// Evaluates an erasure request (GDPR Art. 17) at the ledger's clock. Consent forms,
    /// refusals and disclosure records are archival material (arkivlova 2025 § 5), so nothing
    /// is destroyed now: every active grant is withdrawn (reason `erasure_request`), the
    /// subject's processing is restricted (ground `erasure_request`), and the outcome says when
    /// kassasjon is due: `{"outcome": "restricted", "at", "rules", "statutes", "withdrawn"
    /// (the grant ids, as `uuid.UUID`), "kassasjon_due_at"}` (`None` while a purpose's
    /// retention is permanent or not stated). `execute_kassasjon` crypto-shreds once it is
    /// due. A second request raises `ConflictError`; a subject the ledger holds nothing about,
    /// `NotFoundError`.
    #[pyo3(signature = (subject, *, actor))]
    fn request_erasure<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let actor = self::actor(actor)?;
        let outcome = py
            .detach(move || ledger.request_erasure(&subject, &actor))
            .or_raise()?;
        let dict = serialised(py, &outcome)?.cast_into::<PyDict>()?;
        convert::uuids_at(&dict, "withdrawn")?;
        Ok(dict.into_any())
    }

    /// Restricts the processing of the subject's data from `at` on a ground of GDPR Art. 18(1):
    /// `ground` is `A18_1_a` (accuracy contested), `A18_1_b` (unlawful, erasure opposed),
    /// `A18_1_c` (needed for legal claims) or `A18_1_d` (objection pending). While
    /// restricted, consent-based disclosures are still permitted (Art. 18(2)); statutory ones
    /// are denied `restricted` unless the catalogue marks their rule
    /// `continues_under_restriction`. Returns the record id. `ConflictError` when already
    /// restricted on that ground.
    #[pyo3(signature = (subject, *, ground, at, actor))]
    fn restrict(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        ground: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let ground = RestrictionGround::parse(&string(ground, "ground")?).or_raise()?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        py.detach(move || ledger.restrict(&subject, ground, at, &actor))
            .or_raise()
    }

    /// Lifts every restriction of the subject in force, from `at`; tell the person first
    /// (Art. 18(3)). `reason` (required, no national id) says why. Returns the record id.
    /// `NotFoundError` when no restriction is in force.
    #[pyo3(signature = (subject, *, at, actor, reason))]
    fn lift_restriction(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        let reason = string(reason, "reason")?;
        py.detach(move || ledger.lift_restriction(&subject, at, &actor, &reason))
            .or_raise()
    }

    /// Records the subject's objection (GDPR Art. 21(1)) to processing for `purpose` from
    /// `at`. Every basis of the purpose whose GDPR gate is Art. 6(1)(e) (statutory rules, and
    /// consents that only waive confidentiality) then denies `objected`, until
    /// `resolve_objection` rejects it; a consent that is itself the Art. 6(1)(a) basis is
    /// untouched. Returns the objection's id. `UnknownCodeError` for a purpose not in the
    /// catalogue, `InvalidInputError` for one with no Art. 6(1)(e) basis, `ConflictError`
    /// while an objection to it is unresolved.
    #[pyo3(name = "object", signature = (subject, *, purpose, at, actor))]
    fn object_to(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let purpose = string(purpose, "purpose")?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        py.detach(move || ledger.object(&subject, &purpose, at, &actor))
            .or_raise()
    }

    /// Resolves an objection from `at`: `outcome` is `upheld` (no compelling grounds were
    /// shown: the processing for the purpose stays stopped) or `rejected` (it resumes).
    /// `reason` (required) says why. Returns the record id. `NotFoundError` for an unknown
    /// objection, `ConflictError` when it is already resolved.
    #[pyo3(signature = (objection_id, *, outcome, at, actor, reason))]
    fn resolve_objection(
        &self,
        py: Python<'_>,
        objection_id: &Bound<'_, PyAny>,
        outcome: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
    ) -> PyResult<Uuid> {
        let objection = convert::record_id(objection_id, "objection_id")?;
        let outcome = ObjectionOutcome::parse(&string(outcome, "outcome")?).or_raise()?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        let reason = string(reason, "reason")?;
        let ledger = self.core()?;
        py.detach(move || ledger.resolve_objection(objection, outcome, at, &actor, &reason))
            .or_raise()
    }

    /// The subjects whose erasure was requested and whose records' retention has ended by
    /// `at`, sorted by due date: `[{"subject" (a pseudonym), "due_at"}]`.
    #[pyo3(signature = (*, at))]
    fn erasure_due<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let at = instant(at, "at")?;
        let ledger = self.core()?;
        let json = py
            .detach(move || ledger.erasure_due(at).map(|due| json_value(&due)))
            .or_raise()?
            .map_err(internal)?;
        from_json(py, &json)
    }

    /// Kassasjon: crypto-shreds the subject's personal payloads (the chain still verifies)
    /// once their erasure was requested and their records' retention has ended, judged by the
    /// ledger's own clock: `{"outcome": "erased", "at", "events_erased"}`. `NotPermittedError`
    /// before then (or while a retention is permanent, or no erasure was requested),
    /// `ConflictError` when already erased. Backups made before it still hold the wrapped key:
    /// keep them no longer than the operations guide says.
    #[pyo3(signature = (subject, *, actor))]
    fn execute_kassasjon<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (ledger, subject) = self.core_and_subject(subject)?;
        let actor = self::actor(actor)?;
        let outcome = py
            .detach(move || ledger.execute_kassasjon(&subject, &actor))
            .or_raise()?;
        serialised(py, &outcome)
    }

    /// Aggregate counts with small cells suppressed (`None`): grants, withdrawals, refusals
    /// and disclosures per fixed period (the catalogue's `statistics_period`: `2026-03`,
    /// `2026-Q1` or `2026`), purpose and recipient, with per-period totals, secondary
    /// suppression, and active grants at each period's end. `from_period` and `to_period`
    /// name whole periods, both included (every period when `None`). `min_cell` can only
    /// raise the catalogue's threshold. `actor` is who asks: a role that may `statistics`
    /// (the auditor, the DPO; not a case worker, `NotPermittedError`). Nothing is recorded.
    #[pyo3(signature = (*, actor, from_period = None, to_period = None, min_cell = None))]
    fn statistics<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        from_period: Option<&Bound<'py, PyAny>>,
        to_period: Option<&Bound<'py, PyAny>>,
        min_cell: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let min_cell = match min_cell {
            Some(m) if !m.is_none() => {
                if !m.is_instance_of::<PyInt>() || m.is_instance_of::<PyBool>() {
                    return Err(invalid("`min_cell` must be an int"));
                }
                Some(
                    m.extract::<u32>()
                        .map_err(|_| invalid("`min_cell` is out of range"))?,
                )
            }
            _ => None,
        };
        let period = |obj: Option<&Bound<'py, PyAny>>, field: &str| -> PyResult<Option<String>> {
            obj.filter(|o| !o.is_none())
                .map(|o| string(o, field))
                .transpose()
        };
        let query = StatisticsQuery {
            from: period(from_period, "from_period")?,
            to: period(to_period, "to_period")?,
            min_cell,
        };
        let actor = self::actor(actor)?;
        let ledger = self.core()?;
        let json = py
            .detach(move || ledger.statistics(&query, &actor).map(|s| json_value(&s)))
            .or_raise()?
            .map_err(internal)?;
        from_json(py, &json)
    }

    /// The re-consent worklist: grants that stop covering disclosures within `window` (a
    /// `datetime.timedelta`, not negative) from `at`, sorted by due date. Each item is
    /// `{"grant_id", "subject" (a pseudonym), "reason", "due_at", "purposes", "recipients",
    /// "categories"}`, with reason `comes_of_age`, `expires`, `notice_superseded` or
    /// `authority_ends` (a representative's `authority_valid_until`).
    #[pyo3(signature = (*, at, window))]
    fn reconsent_due<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
        window: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let at = instant(at, "at")?;
        if !window.is_instance_of::<PyDelta>() {
            return Err(invalid("`window` must be a datetime.timedelta"));
        }
        let window: chrono::Duration = window
            .extract()
            .map_err(|_| invalid("`window` is out of range"))?;
        let ledger = self.core()?;
        let json = py
            .detach(move || {
                ledger
                    .reconsent_due(at, window)
                    .map(|items| json_value(&items))
            })
            .or_raise()?
            .map_err(internal)?;
        let items = from_json(py, &json)?.cast_into::<PyList>()?;
        for item in items.iter() {
            convert::uuid_at(item.cast::<PyDict>()?, "grant_id")?;
        }
        Ok(items.into_any())
    }

    /// Walks the hash chain: `{"ok", "events", "head_hash", "first_bad_seq", "problem"}`.
    #[pyo3(signature = (*, actor = None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        actor: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ledger = self.core()?;
        let actor = actor.map(self::actor).transpose()?;
        let report = py
            .detach(move || match actor {
                Some(actor) => ledger.verify_as(&actor),
                None => ledger.verify(),
            })
            .or_raise()?;
        serialised(py, &report)
    }

    /// The number of events recorded.
    #[getter]
    fn event_count(&self) -> PyResult<u64> {
        Ok(self.core()?.event_count())
    }

    /// Closes the ledger: the file and its lock are released once calls in flight return.
    /// Any later call raises `StorageError`. Closing twice is harmless.
    fn close(&self) -> PyResult<()> {
        let ledger = self
            .inner
            .write()
            .map_err(|_| internal("the ledger's handle is poisoned"))?
            .take();
        drop(ledger);
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    /// Every event, decoded and verified, in order, as dicts (subjects appear only as
    /// pseudonyms): an iterator that reads the log a page at a time (without the GIL), so a
    /// large ledger is never held in memory. Each page is checked against the chain where the
    /// last one ended; an event that does not verify raises `IntegrityError` when reached.
    fn events(&self) -> PyResult<EventIterator> {
        Ok(EventIterator {
            ledger: self.core()?,
            state: std::sync::Mutex::new((
                consent_core::EventCursor::start(),
                std::collections::VecDeque::new(),
            )),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<consent.Ledger {}, {}{}>",
            if self.in_memory { "in memory" } else { "file" },
            match self.core() {
                Ok(ledger) => format!("{} events", ledger.event_count()),
                Err(_) => "closed".to_owned(),
            },
            if self.core().is_ok_and(|l| l.id_options().test_mode) {
                ", test mode"
            } else {
                ""
            }
        )
    }
}

/// The same exception with `request N: ` in front of its message.
fn with_index(py: Python<'_>, error: PyErr, index: usize) -> PyErr {
    let message = error
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    PyErr::from_type(
        error.get_type(py),
        consent_core::redact_national_ids(&format!("request {index}: {message}")),
    )
}

/// How many events `Ledger.events()` reads from the store at a time.
const EVENT_PAGE: usize = 512;

/// The iterator `Ledger.events()` returns: a page of events at a time, each page read and
/// encoded without the GIL.
#[pyclass(frozen, module = "consent")]
pub struct EventIterator {
    ledger: consent_core::Ledger,
    /// Where the next page starts, and the events of the current page not yet handed out.
    state: std::sync::Mutex<(consent_core::EventCursor, std::collections::VecDeque<Value>)>,
}

impl std::fmt::Debug for EventIterator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventIterator").finish_non_exhaustive()
    }
}

#[pymethods]
impl EventIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| internal("the event iterator is poisoned"))?;
        if state.1.is_empty() {
            let mut cursor = state.0.clone();
            let ledger = self.ledger.clone();
            let (page, cursor) = py
                .detach(move || {
                    let page = ledger.events_page(&mut cursor, EVENT_PAGE)?;
                    Ok::<_, consent_core::Error>((page, cursor))
                })
                .or_raise()?;
            let values = page
                .iter()
                .map(|event| serde_json::to_value(event).map_err(|e| internal(e.to_string())))
                .collect::<PyResult<std::collections::VecDeque<_>>>()?;
            *state = (cursor, values);
        }
        match state.1.pop_front() {
            Some(value) => from_json(py, &value).map(Some),
            None => Ok(None),
        }
    }
}
