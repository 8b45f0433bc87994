//! `consent.Decision`: a frozen view of a core decision.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::convert::{from_json, uuid_at};

/// The answer to a disclosure request: may it, on what basis, and if not, why not.
///
/// Equal when they answer the same request the same way under the same catalogue (the core's
/// equality); hashable. It has no truth value: `if decision:` raises `TypeError`, since a
/// denial is a decision too (read `.permitted`).
#[pyclass(frozen, eq, hash, module = "consent")]
pub struct Decision {
    inner: consent_core::Decision,
    /// The core's JSON form, built the first time `bases` or `to_dict` asks (most callers read
    /// only `permitted`).
    json: OnceLock<Value>,
}

impl Decision {
    pub(crate) fn new(inner: consent_core::Decision) -> Self {
        Decision {
            inner,
            json: OnceLock::new(),
        }
    }

    /// The decision's JSON document, parsed once; a failure is an exception, never an empty
    /// document.
    fn json(&self) -> PyResult<&Value> {
        if let Some(value) = self.json.get() {
            return Ok(value);
        }
        let value: Value = serde_json::from_str(&self.inner.to_json()).map_err(|e| {
            crate::errors::internal(format!("cannot read the decision's JSON: {e}"))
        })?;
        Ok(self.json.get_or_init(|| value))
    }

    fn categories_json(&self) -> PyResult<&[Value]> {
        self.json()?
            .get("categories")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .ok_or_else(|| crate::errors::internal("the decision's JSON has no categories"))
    }
}

impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

/// Hashes what equal decisions share (the core's equality also compares the outcomes).
impl std::hash::Hash for Decision {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.permitted().hash(state);
        self.inner.at().hash(state);
        self.inner.recipient().as_str().hash(state);
        self.inner.purpose().as_str().hash(state);
    }
}

/// One category of `bases` or `to_dict()["categories"]` as a dict, its grant id a `uuid.UUID`.
fn outcome_dict<'py>(py: Python<'py>, item: &Value) -> PyResult<Bound<'py, PyDict>> {
    let dict = from_json(py, item)?.cast_into::<PyDict>()?;
    if let Some(basis) = dict.get_item("basis")? {
        uuid_at(basis.cast::<PyDict>()?, "grant_id")?;
    }
    Ok(dict)
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.inner.explain())
    }
}

#[pymethods]
impl Decision {
    /// Whether the disclosure is permitted: every requested category has a basis.
    #[getter]
    fn permitted(&self) -> bool {
        self.inner.permitted()
    }

    /// The instant the decision is for (aware, UTC).
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.inner.at()
    }

    /// The recipient code.
    #[getter]
    fn recipient(&self) -> &str {
        self.inner.recipient().as_str()
    }

    /// The purpose code.
    #[getter]
    fn purpose(&self) -> &str {
        self.inner.purpose().as_str()
    }

    /// The ledger position the decision was made at: it reflects every event up to this
    /// sequence number, which includes every write acknowledged before the decision started,
    /// in this process or any other that has the ledger file open.
    #[getter]
    fn as_of_seq(&self) -> u64 {
        self.inner.as_of_seq()
    }

    /// The reason the first denied category was denied, or `None` when permitted.
    #[getter]
    fn denial(&self) -> Option<&'static str> {
        self.inner.denial().map(consent_core::DenialReason::as_str)
    }

    /// One dict per requested category, in request order: `category`, `permitted`, and either
    /// `basis` (a dict) or `reason` (a denial reason).
    #[getter]
    fn bases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for item in self.categories_json()? {
            list.append(outcome_dict(py, item)?)?;
        }
        Ok(list)
    }

    /// The decision as the core's JSON document, parsed into a dict (grant ids as
    /// `uuid.UUID`, the instant as RFC 3339 text).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = from_json(py, self.json()?)?.cast_into::<PyDict>()?;
        dict.set_item("categories", self.bases(py)?)?;
        Ok(dict)
    }

    /// The decision as the core's JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// A one-line explanation of the decision.
    fn explain(&self) -> String {
        self.inner.explain()
    }

    /// A decision has no truth value: a denial is a decision too.
    fn __bool__(&self) -> PyResult<bool> {
        Err(PyTypeError::new_err(
            "a Decision has no truth value (a denial is a Decision too): use `decision.permitted`",
        ))
    }

    /// `<Decision permitted: nir for nir_registration at 2026-03-01T12:00:00Z; name: statute
    /// nir_registration>` or `<Decision denied (no_basis): ...; health: no_basis>`.
    fn __repr__(&self) -> String {
        let verdict = match self.inner.denial() {
            None if self.inner.permitted() => "permitted".to_owned(),
            None => "denied".to_owned(),
            Some(reason) => format!("denied ({})", reason.as_str()),
        };
        let categories: Vec<String> = self
            .inner
            .outcomes()
            .map(|o| match o.result {
                Ok(consent_core::Basis::Statute(rule)) => {
                    format!("{}: statute {}", o.category, rule.code)
                }
                Ok(consent_core::Basis::Consent { grant, .. }) => {
                    format!("{}: consent {grant}", o.category)
                }
                Ok(_) => format!("{}: permitted", o.category),
                Err(reason) => format!("{}: {}", o.category, reason.as_str()),
            })
            .collect();
        format!(
            "<Decision {verdict}: {} for {} at {}; {}>",
            self.inner.recipient().as_str(),
            self.inner.purpose().as_str(),
            crate::convert::rfc3339(self.inner.at()),
            categories.join("; ")
        )
    }
}
