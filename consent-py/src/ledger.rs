//! `consent.Ledger`: converts Python arguments into the core's documents, releases the GIL
//! around the core's work (with only owned Rust data crossing in), and converts back.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::RwLock;

use consent_core::{
    Actor, Catalogue, DisclosureRequest, GrantId, IdOptions, LedgerOptions, MEMORY_PATH,
    MemoryStore, RefusalRequest,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::{Map, Value};

use crate::convert::{from_json, instant, object, rfc3339, serialised, string, strings, to_json};
use crate::decision::Decision;
use crate::errors::{OrRaise, StorageError, internal, invalid};

/// A consent ledger: records grants, withdrawals, refusals and disclosures in a hash-chained
/// log, and decides disclosures. May be shared between threads.
#[pyclass(frozen, module = "consent")]
pub struct Ledger {
    /// `None` once closed. Each call clones the (cheap, shared) core ledger out, so a call in
    /// flight on another thread keeps the store alive until it returns.
    inner: RwLock<Option<consent_core::Ledger>>,
    id_options: IdOptions,
    in_memory: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("open", &self.core().is_ok())
            .field("test_mode", &self.id_options.test_mode)
            .finish()
    }
}

/// The actor dict (`{"id": ..., "role": ...}`) as the core's actor, validated by the core.
fn actor(obj: &Bound<'_, PyAny>) -> PyResult<Actor> {
    let json = Value::Object(object(obj, "actor")?).to_string();
    Actor::from_json(&json).or_raise()
}

/// The keyword arguments that are instants: they must be aware `datetime`s (`valid_until` may
/// also be `None`), never text.
const INSTANT_FIELDS: [&str; 3] = ["valid_from", "valid_until", "at"];

/// Keyword arguments as a JSON document: each key as given (the core rejects unknown ones),
/// instants as RFC 3339 text.
fn fields_json(fields: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let mut map = Map::new();
    if let Some(fields) = fields {
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
    Ok(Value::Object(map).to_string())
}

fn options(test_mode: bool) -> IdOptions {
    IdOptions {
        test_mode,
        ..IdOptions::default()
    }
}

impl Ledger {
    fn new(inner: consent_core::Ledger, id_options: IdOptions, in_memory: bool) -> Self {
        Ledger {
            inner: RwLock::new(Some(inner)),
            id_options,
            in_memory,
        }
    }

    /// The core ledger, or `StorageError` once closed.
    fn core(&self) -> PyResult<consent_core::Ledger> {
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
        at: &Bound<'_, PyAny>,
    ) -> PyResult<DisclosureRequest> {
        let doc = serde_json::json!({
            "subject": string(subject, "subject")?,
            "recipient": string(recipient, "recipient")?,
            "purpose": string(purpose, "purpose")?,
            "categories": strings(categories, "categories")?,
            "at": rfc3339(instant(at, "at")?),
        });
        DisclosureRequest::from_json_with(&doc.to_string(), self.id_options).or_raise()
    }
}

#[pymethods]
impl Ledger {
    /// Opens the ledger file at `path` (the embedded SQLite store, durable on return), creating
    /// it and its key file (`<path>.key` unless `key_file` is given) on first use. The path
    /// `":memory:"` opens an in-memory ledger. Opening replays and verifies every event.
    #[staticmethod]
    #[pyo3(signature = (path, *, key_file = None, test_mode = false))]
    fn open(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key_file: Option<&Bound<'_, PyAny>>,
        test_mode: bool,
    ) -> PyResult<Ledger> {
        let path: PathBuf = path
            .extract()
            .map_err(|_| invalid("`path` must be a str or os.PathLike"))?;
        let key_file: Option<PathBuf> = match key_file {
            Some(k) if !k.is_none() => Some(
                k.extract()
                    .map_err(|_| invalid("`key_file` must be a str or os.PathLike"))?,
            ),
            _ => None,
        };
        let in_memory = path.as_os_str() == MEMORY_PATH;
        if in_memory && key_file.is_some() {
            return Err(invalid(
                "`key_file` cannot be used with an in-memory ledger",
            ));
        }
        let id_options = options(test_mode);
        let ledger_options = LedgerOptions {
            catalogue: Some(Catalogue::embedded()),
            key_file,
            id_options,
            ..LedgerOptions::default()
        };
        let inner = py
            .detach(move || consent_core::Ledger::open(&path, ledger_options))
            .or_raise()?;
        Ok(Ledger::new(inner, id_options, in_memory))
    }

    /// A ledger that keeps its events in memory, with the default catalogue and a fresh key.
    /// `test_mode` accepts synthetic test national ids (never in production).
    #[staticmethod]
    #[pyo3(signature = (*, test_mode = false))]
    fn in_memory(test_mode: bool) -> PyResult<Ledger> {
        let id_options = options(test_mode);
        let inner = consent_core::Ledger::with_store(
            Box::new(MemoryStore::new()),
            LedgerOptions {
                catalogue: Some(Catalogue::embedded()),
                id_options,
                ..LedgerOptions::default()
            },
        )
        .or_raise()?;
        Ok(Ledger::new(inner, id_options, true))
    }

    /// Records a consent; keyword arguments are the grant JSON's keys. Returns the grant id.
    #[pyo3(signature = (*, actor, **fields))]
    fn grant(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let actor = self::actor(actor)?;
        let json = fields_json(fields)?;
        let ledger = self.core()?;
        py.detach(move || {
            let request = ledger.parse_grant(&json)?;
            ledger.grant(&request, &actor).map(|id| id.to_string())
        })
        .or_raise()
    }

    /// Withdraws a grant from `at` onward; decisions before `at` are unchanged.
    #[pyo3(signature = (grant_id, *, at, actor, reason = None))]
    fn withdraw(
        &self,
        py: Python<'_>,
        grant_id: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let grant = GrantId::from_str(&string(grant_id, "grant_id")?).or_raise()?;
        let at = instant(at, "at")?;
        let actor = self::actor(actor)?;
        let reason = match reason {
            Some(r) if !r.is_none() => Some(string(r, "reason")?),
            _ => None,
        };
        let ledger = self.core()?;
        py.detach(move || ledger.withdraw(grant, at, &actor, reason.as_deref()))
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
    ) -> PyResult<String> {
        let actor = self::actor(actor)?;
        let json = fields_json(fields)?;
        let ledger = self.core()?;
        let id_options = self.id_options;
        py.detach(move || {
            let request = RefusalRequest::from_json_with(&json, id_options)?;
            ledger.refuse(&request, &actor).map(|id| id.to_string())
        })
        .or_raise()
    }

    /// Decides whether `categories` about `subject` may go to `recipient` for `purpose` at `at`.
    #[pyo3(signature = (*, subject, recipient, purpose, categories, at))]
    fn decide(
        &self,
        subject: &Bound<'_, PyAny>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
    ) -> PyResult<Decision> {
        let ledger = self.core()?;
        let subject = ledger
            .parse_national_id(&string(subject, "subject")?)
            .or_raise()?;
        let recipient = string(recipient, "recipient")?;
        let purpose = string(purpose, "purpose")?;
        let categories = strings(categories, "categories")?;
        let at = instant(at, "at")?;
        ledger
            .decide_with(&subject, &recipient, &purpose, &categories, at)
            .map(Decision::new)
            .or_raise()
    }

    /// Decides many requests (dicts with `subject`, `recipient`, `purpose`, `categories`,
    /// `at`) under one read of the state, without the GIL. Raises the first request's error,
    /// naming its index.
    fn decide_many(&self, py: Python<'_>, requests: &Bound<'_, PyAny>) -> PyResult<Vec<Decision>> {
        let list = requests
            .cast::<PyList>()
            .map_err(|_| invalid("`requests` must be a list of dicts"))?;
        let mut owned = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let field = |name: &str| -> PyResult<Bound<'_, PyAny>> {
                let dict = item
                    .cast::<PyDict>()
                    .map_err(|_| invalid(format!("request {index}: must be a dict")))?;
                if dict.len() != 5 {
                    return Err(invalid(format!(
                        "request {index}: takes exactly the keys subject, recipient, purpose, categories, at"
                    )));
                }
                dict.get_item(name)?
                    .ok_or_else(|| invalid(format!("request {index}: missing `{name}`")))
            };
            let request = self
                .disclosure_request(
                    &field("subject")?,
                    &field("recipient")?,
                    &field("purpose")?,
                    &field("categories")?,
                    &field("at")?,
                )
                .map_err(|e| with_index(py, e, index))?;
            owned.push(request);
        }
        let ledger = self.core()?;
        let results = py.detach(move || ledger.decide_many(&owned)).or_raise()?;
        results
            .into_iter()
            .enumerate()
            .map(|(index, result)| {
                result
                    .map(Decision::new)
                    .or_raise()
                    .map_err(|e| with_index(py, e, index))
            })
            .collect()
    }

    /// Decides a disclosure and, when permitted, records it with each category's basis.
    /// Raises `NotPermittedError` (recording nothing) when the decision denies.
    #[pyo3(signature = (*, subject, recipient, purpose, categories, at, actor))]
    fn record_disclosure(
        &self,
        subject: &Bound<'_, PyAny>,
        recipient: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        categories: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Decision> {
        let py = subject.py();
        let request = self.disclosure_request(subject, recipient, purpose, categories, at)?;
        let actor = self::actor(actor)?;
        let ledger = self.core()?;
        py.detach(move || ledger.record_disclosure(&request, &actor))
            .map(Decision::new)
            .or_raise()
    }

    /// Everything the ledger holds about a subject (GDPR Art. 15), as a dict.
    fn subject_export<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ledger = self.core()?;
        let subject = ledger
            .parse_national_id(&string(subject, "subject")?)
            .or_raise()?;
        let export = py
            .detach(move || ledger.subject_export(&subject))
            .or_raise()?;
        from_json(py, export.as_value())
    }

    /// Walks the hash chain: `{"ok", "events", "head_hash", "first_bad_seq", "problem"}`.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ledger = self.core()?;
        let report = py.detach(move || ledger.verify()).or_raise()?;
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
    /// pseudonyms).
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ledger = self.core()?;
        let json = py
            .detach(move || {
                ledger
                    .events()
                    .map(|events| serde_json::to_value(&events).map_err(|e| e.to_string()))
            })
            .or_raise()?
            .map_err(crate::errors::internal)?;
        from_json(py, &json)
    }

    fn __repr__(&self) -> String {
        format!(
            "<consent.Ledger {}, {}{}>",
            if self.in_memory { "in memory" } else { "file" },
            match self.core() {
                Ok(ledger) => format!("{} events", ledger.event_count()),
                Err(_) => "closed".to_owned(),
            },
            if self.id_options.test_mode {
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
    PyErr::from_type(error.get_type(py), format!("request {index}: {message}"))
}
