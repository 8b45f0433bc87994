//! The conversions behind `Ledger.adopt_catalogue`, `Ledger.record_identity_succession`,
//! `Ledger.notifications_due` and `Ledger.record_notification`: arguments checked and turned
//! into the core's values, results turned into Python values.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use uuid::Uuid;

use crate::convert::{self, from_json, type_name};
use crate::errors::{OrRaise, internal, invalid};

/// An event id: a `uuid.UUID`, or its text.
pub(crate) fn event_id(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Uuid> {
    if let Ok(id) = obj.extract::<Uuid>() {
        return Ok(id);
    }
    if !obj.is_instance_of::<PyString>() {
        return Err(invalid(format!(
            "`{field}` must be a uuid.UUID or a str, not {}",
            type_name(obj)
        )));
    }
    let text = convert::string(obj, field)?;
    Uuid::parse_str(&text).map_err(|_| invalid(format!("`{field}` is not a UUID")))
}

/// `None` or a recipient code.
pub(crate) fn optional_code(
    obj: Option<&Bound<'_, PyAny>>,
    field: &str,
) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none())
        .map(|o| convert::string(o, field))
        .transpose()
}

/// A list the core computes without the GIL, as a list of dicts with `event_id` as a
/// `uuid.UUID` (the notification worklist, the deviations).
fn listed_by_event<'py, T: serde::Serialize + Send>(
    py: Python<'py>,
    compute: impl FnOnce() -> consent_core::Result<T> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let json = py
        .detach(move || {
            compute().map(|list| serde_json::to_value(&list).map_err(|e| e.to_string()))
        })
        .or_raise()?
        .map_err(internal)?;
    let items = from_json(py, &json)?.cast_into::<PyList>()?;
    for item in items.iter() {
        convert::uuid_at(item.cast::<PyDict>()?, "event_id")?;
    }
    Ok(items.into_any())
}

/// The notification worklist as a list of dicts, `event_id` as a `uuid.UUID`.
pub(crate) fn notifications<'py>(
    py: Python<'py>,
    ledger: consent_core::Ledger,
    at: chrono::DateTime<chrono::Utc>,
) -> PyResult<Bound<'py, PyAny>> {
    listed_by_event(py, move || ledger.notifications_due(at))
}

/// `Ledger.deviations(since=...)`: the deviations as a list of dicts, `event_id` a
/// `uuid.UUID`.
pub(crate) fn deviations<'py>(
    py: Python<'py>,
    ledger: consent_core::Ledger,
    since: chrono::DateTime<chrono::Utc>,
) -> PyResult<Bound<'py, PyAny>> {
    listed_by_event(py, move || ledger.deviations(since))
}
