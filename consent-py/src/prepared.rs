//! `Ledger.prepare` and `PreparedRequest`: a disclosure request whose recipient, purpose,
//! categories and assertions are converted and checked once, decided for many subjects.

use consent_core::NationalId;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::convert::{instant, with_text};
use crate::decision::Decision;
use crate::errors::{CoreError, OrRaise, invalid};
use crate::ledger::Ledger;

/// A disclosure request without its subject and instant, from `Ledger.prepare`. Its
/// decisions are those of `Ledger.decide` with the same arguments; once its ledger is closed
/// it raises `StorageError`. May be shared between threads.
#[pyclass(frozen, module = "consent")]
#[derive(Debug)]
pub struct PreparedRequest {
    ledger: Py<Ledger>,
    inner: consent_core::PreparedRequest,
}

impl PreparedRequest {
    pub(crate) fn new(ledger: Py<Ledger>, inner: consent_core::PreparedRequest) -> Self {
        PreparedRequest { ledger, inner }
    }
}

/// The exception with `subjects[N]: ` in front of its message (never an id: the core's
/// messages hold none).
fn at_index(py: Python<'_>, error: PyErr, index: usize) -> PyErr {
    let message = match error.value(py).str() {
        Ok(text) => text.to_string(),
        Err(_) => "the subject cannot be decided".to_owned(),
    };
    PyErr::from_type(
        error.get_type(py),
        consent_core::redact_national_ids(&format!("subjects[{index}]: {message}")),
    )
}

#[pymethods]
impl PreparedRequest {
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

    /// The category codes, in the order given.
    #[getter]
    fn categories(&self) -> Vec<&str> {
        self.inner.categories().iter().map(|c| c.as_str()).collect()
    }

    /// Decides the request for `subject` (a national id, `str`) at `at` (an aware
    /// `datetime`). With `actor` and `lookup_purpose`, the decision is recorded as an access
    /// to the person's data before it is returned (required under `log_all_decisions`).
    #[pyo3(signature = (subject, at, *, actor = None, lookup_purpose = None))]
    fn decide(
        &self,
        subject: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
        lookup_purpose: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let ledger = self.ledger.get().core()?;
        let reader = crate::ledger::logged_reader(actor, lookup_purpose)?;
        let subject =
            with_text(subject, "subject", |text| ledger.parse_national_id(text))?.or_raise()?;
        let at = instant(at, "at")?;
        match reader {
            Some((actor, lookup)) => {
                ledger.decide_prepared_logged(&self.inner, &subject, at, &actor, &lookup)
            }
            None => ledger.decide_prepared(&self.inner, &subject, at),
        }
        .map(Decision::new)
        .or_raise()
    }

    /// Decides the request for each subject of `subjects` (a list or tuple of `str`) at `at`,
    /// under one read of the state and without the GIL. Raises the first bad subject's error,
    /// naming its index (`subjects[3]: ...`).
    fn decide_many<'py>(
        &self,
        py: Python<'py>,
        subjects: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let ledger = self.ledger.get().core()?;
        let at = instant(at, "at")?;
        let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = subjects.cast::<PyList>() {
            list.iter().collect()
        } else if let Ok(tuple) = subjects.cast::<PyTuple>() {
            tuple.iter().collect()
        } else {
            return Err(invalid(
                "`subjects` must be a list of str (national ids), not a single value",
            ));
        };
        let mut parsed: Vec<NationalId> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if !item.is_instance_of::<PyString>() {
                return Err(at_index(py, invalid("must be a str"), index));
            }
            let subject = with_text(item, "subject", |text| ledger.parse_national_id(text))
                .and_then(|r| r.map_err(|e| PyErr::from(CoreError(e))))
                .map_err(|e| at_index(py, e, index))?;
            parsed.push(subject);
        }
        let request = &self.inner;
        let results = py
            .detach(|| ledger.decide_prepared_many(request, &parsed, at))
            .or_raise()?;
        let decisions = PyList::empty(py);
        for (index, result) in results.into_iter().enumerate() {
            let decision = result.map_err(|e| at_index(py, PyErr::from(CoreError(e)), index))?;
            decisions.append(Bound::new(py, Decision::new(decision))?)?;
        }
        Ok(decisions)
    }

    fn __repr__(&self) -> String {
        format!(
            "PreparedRequest(recipient={:?}, purpose={:?}, categories={:?})",
            self.inner.recipient().as_str(),
            self.inner.purpose().as_str(),
            self.categories()
        )
    }
}
