//! `consent.Decision`: a frozen view of a core decision.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::convert::from_json;

/// The answer to a disclosure request: may it, on what basis, and if not, why not.
#[pyclass(frozen, module = "consent")]
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
            list.append(from_json(py, item)?)?;
        }
        Ok(list)
    }

    /// The decision as the core's JSON document, parsed into a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let value = from_json(py, self.json()?)?;
        Ok(value.cast_into::<PyDict>()?)
    }

    /// The decision as the core's JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// A one-line explanation of the decision.
    fn explain(&self) -> String {
        self.inner.explain()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Decision {} at {}>",
            self.inner.explain(),
            crate::convert::rfc3339(self.inner.at())
        )
    }
}
