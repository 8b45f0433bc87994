//! Conversions between Python objects and the core's JSON documents and instants.
//!
//! Every wrong Python type becomes an `InvalidInputError` naming the field (never a bare
//! `TypeError`), and the value itself is never echoed, so a national id cannot leak.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo,
};
use serde_json::{Map, Value};

use consent_core::{MAX_CODES, MAX_DOCUMENT_BYTES};

use crate::errors::invalid;

/// The Python type name of an object, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "object".to_owned())
}

/// The Unix epoch as an aware `datetime`, made once.
static EPOCH: PyOnceLock<Py<PyDateTime>> = PyOnceLock::new();

/// Microseconds since the Unix epoch of an aware `datetime`, by Python's own (C) arithmetic:
/// the fields of `obj - epoch`, a `timedelta`. `None` for a naive datetime (the subtraction
/// fails) and for a UTC offset with a fraction of a second, which the conversion below has
/// always dropped (so such an offset keeps converting as it did): the difference's
/// microseconds then differ from the datetime's own.
fn epoch_micros(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    let py = obj.py();
    let epoch = EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let utc = PyTzInfo::utc(py)?;
        Ok(PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc))?.unbind())
    })?;
    let delta = obj.sub(epoch.bind(py))?;
    let field = |name: &Bound<'_, PyString>| -> PyResult<i64> { delta.getattr(name)?.extract() };
    let micros = field(intern!(py, "microseconds"))?;
    if obj.getattr(intern!(py, "microsecond"))?.extract::<i64>()? != micros {
        return Ok(None);
    }
    let days = field(intern!(py, "days"))?;
    let seconds = field(intern!(py, "seconds"))?;
    Ok(days
        .checked_mul(86_400_000_000)
        .and_then(|d| d.checked_add(seconds.checked_mul(1_000_000)?))
        .and_then(|t| t.checked_add(micros)))
}

/// A timezone-aware `datetime` as a UTC instant. Naive datetimes and other types are rejected.
pub(crate) fn instant(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<DateTime<Utc>> {
    // Fastest path, for a plain `datetime` (not a subclass, whose attributes could differ
    // from its C fields): datetime arithmetic in C. Under the stable ABI pyo3 reads a
    // datetime's fields one attribute call at a time, about eight times the work.
    if obj.is_exact_instance_of::<PyDateTime>()
        && let Some(at) = epoch_micros(obj)
            .ok()
            .flatten()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
    {
        return Ok(at);
    }
    // Fast path: an aware datetime with a fixed offset (timezone.utc and the like) converts in
    // one step; anything else takes the careful path below, which names the problem.
    if let Ok(at) = obj.extract::<DateTime<FixedOffset>>() {
        return Ok(at.with_timezone(&Utc));
    }
    let dt = obj.cast::<PyDateTime>().map_err(|_| {
        invalid(format!(
            "`{field}` must be a timezone-aware datetime, not {}",
            type_name(obj)
        ))
    })?;
    // A tzinfo whose utcoffset() raises or returns a wrong type is a bad argument too.
    let offset = dt
        .call_method0("utcoffset")
        .map_err(|_| invalid(format!("`{field}` has a tzinfo whose utcoffset() fails")))?;
    if offset.is_none() {
        return Err(invalid(format!(
            "`{field}` is a naive datetime; pass a timezone-aware one (for example with tzinfo=datetime.timezone.utc)"
        )));
    }
    let py = obj.py();
    let utc = PyTzInfo::utc(py)?;
    dt.call_method1("astimezone", (utc,))
        .and_then(|d| d.extract::<DateTime<Utc>>())
        .map_err(|_| invalid(format!("`{field}` is out of range")))
}

/// The RFC 3339 text of an instant, as the JSON documents carry it.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A list of codes may hold at most as many as a catalogue can (`MAX_CODES`): a longer one is
/// refused before any item is converted (ten million categories took 4.6 s and 1.2 GB).
pub(crate) fn check_codes_len(len: usize, field: &str) -> PyResult<()> {
    if len > MAX_CODES {
        return Err(invalid(format!(
            "`{field}` has {len} items, more than a catalogue holds ({MAX_CODES})"
        )));
    }
    Ok(())
}

/// A `str` of at most `MAX_DOCUMENT_BYTES` characters (its length is known without reading it).
fn check_text_len(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<()> {
    if obj.len().is_ok_and(|len| len > MAX_DOCUMENT_BYTES) {
        return Err(invalid(format!(
            "`{field}` is longer than {MAX_DOCUMENT_BYTES} characters"
        )));
    }
    Ok(())
}

/// A `str` argument.
pub(crate) fn string(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    if !obj.is_instance_of::<PyString>() {
        return Err(invalid(format!(
            "`{field}` must be a str, not {}",
            type_name(obj)
        )));
    }
    check_text_len(obj, field)?;
    obj.extract::<String>()
        .map_err(|_| invalid(format!("`{field}` is not valid text")))
}

/// Runs `f` on the text of a `str` argument without copying it into a `String` (the national
/// id on the decide paths is parsed straight from the UTF-8 bytes). Errors as [`string`].
pub(crate) fn with_text<R>(
    obj: &Bound<'_, PyAny>,
    field: &str,
    f: impl FnOnce(&str) -> R,
) -> PyResult<R> {
    let text = obj
        .cast::<PyString>()
        .map_err(|_| invalid(format!("`{field}` must be a str, not {}", type_name(obj))))?;
    check_text_len(obj, field)?;
    // A lone surrogate cannot be encoded: not valid text.
    let bytes = text
        .encode_utf8()
        .map_err(|_| invalid(format!("`{field}` is not valid text")))?;
    let text = std::str::from_utf8(bytes.as_bytes())
        .map_err(|_| invalid(format!("`{field}` is not valid text")))?;
    Ok(f(text))
}

/// A list (or tuple) of `str`; a bare `str` is rejected rather than split into characters.
pub(crate) fn strings(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<String>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = obj.cast::<PyList>() {
        check_codes_len(list.len(), field)?;
        list.iter().collect()
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        check_codes_len(tuple.len(), field)?;
        tuple.iter().collect()
    } else {
        return Err(invalid(format!(
            "`{field}` must be a list of str, not {}",
            type_name(obj)
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            // Fast path for a plain str; the field name is formatted only for an error.
            item.extract::<String>()
                .or_else(|_| string(item, &format!("{field}[{i}]")))
        })
        .collect()
}

/// How deeply lists and dicts may nest in an argument. The documents are at most three levels
/// deep; the limit keeps a self-referencing list or a very deep one from overflowing the stack
/// (which would kill the interpreter) and matches serde_json's own recursion limit.
const MAX_DEPTH: usize = 128;

/// A Python value as JSON: `None`, `bool`, `int`, `float`, `str`, `list`/`tuple` and `dict`
/// with `str` keys; an aware `datetime` becomes RFC 3339 text.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Value> {
    to_json_at(obj, field, 0)
}

fn to_json_at(obj: &Bound<'_, PyAny>, field: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "`{field}` nests lists or dicts more than {MAX_DEPTH} levels deep (or contains itself)"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<i64>()
            .map(Value::from)
            .map_err(|_| invalid(format!("`{field}` is out of range")));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| invalid(format!("`{field}` must be a finite number")));
    }
    if obj.is_instance_of::<PyString>() {
        return string(obj, field).map(Value::String);
    }
    if obj.is_instance_of::<PyDateTime>() {
        return instant(obj, field).map(|at| Value::String(rfc3339(at)));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return dict_to_json_at(dict, field, depth + 1).map(Value::Object);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        // No list of a document holds more than a catalogue's codes.
        check_codes_len(obj.len()?, field)?;
        let items: Vec<Bound<'_, PyAny>> = match obj.cast::<PyList>() {
            Ok(list) => list.iter().collect(),
            Err(_) => obj.cast::<PyTuple>().map(|t| t.iter().collect())?,
        };
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| to_json_at(item, &format!("{field}[{i}]"), depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(invalid(format!(
        "`{field}` has an unsupported type {}",
        type_name(obj)
    )))
}

/// A `dict` with `str` keys as a JSON object.
pub(crate) fn dict_to_json(dict: &Bound<'_, PyDict>, field: &str) -> PyResult<Map<String, Value>> {
    dict_to_json_at(dict, field, 0)
}

fn dict_to_json_at(
    dict: &Bound<'_, PyDict>,
    field: &str,
    depth: usize,
) -> PyResult<Map<String, Value>> {
    // No object of a document has more keys than a catalogue has codes of a kind.
    check_codes_len(dict.len(), field)?;
    let mut map = Map::new();
    for (key, value) in dict.iter() {
        let key = string(&key, &format!("a key of `{field}`"))?;
        let path = if field.is_empty() {
            key.clone()
        } else {
            format!("{field}.{key}")
        };
        let value = to_json_at(&value, &path, depth)?;
        map.insert(key, value);
    }
    Ok(map)
}

/// A `dict` argument as a JSON object.
pub(crate) fn object(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Map<String, Value>> {
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| invalid(format!("`{field}` must be a dict, not {}", type_name(obj))))?;
    dict_to_json(dict, field)
}

/// JSON as Python objects (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub(crate) fn from_json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // Without serde_json's arbitrary precision every number is an i64, a u64 or
                // an f64; anything else is an error, never a NaN.
                n.as_f64()
                    .ok_or_else(|| {
                        crate::errors::internal(format!("the number {n} has no float form"))
                    })?
                    .into_pyobject(py)?
                    .into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A grant id argument: a `uuid.UUID` or its text.
pub(crate) fn grant_id(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<consent_core::GrantId> {
    let text = match obj.extract::<uuid::Uuid>() {
        Ok(id) => id.hyphenated().to_string(),
        Err(_) if obj.is_instance_of::<PyString>() => string(obj, field)?,
        Err(_) => {
            return Err(invalid(format!(
                "`{field}` must be a uuid.UUID or a str, not {}",
                type_name(obj)
            )));
        }
    };
    crate::errors::OrRaise::or_raise(text.parse::<consent_core::GrantId>())
}

/// A record id argument (an objection's): a `uuid.UUID` or its text.
pub(crate) fn record_id(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<uuid::Uuid> {
    if let Ok(id) = obj.extract::<uuid::Uuid>() {
        return Ok(id);
    }
    if !obj.is_instance_of::<PyString>() {
        return Err(invalid(format!(
            "`{field}` must be a uuid.UUID or a str, not {}",
            type_name(obj)
        )));
    }
    let text = string(obj, field)?;
    uuid::Uuid::parse_str(&text).map_err(|_| invalid(format!("`{field}` is not a UUID")))
}

/// Replaces each text of the id list at `key` of a result dict (made from the core's JSON)
/// with a `uuid.UUID`; a missing entry stays as it is.
pub(crate) fn uuids_at(dict: &Bound<'_, PyDict>, key: &str) -> PyResult<()> {
    let Some(value) = dict.get_item(key)? else {
        return Ok(());
    };
    let list = value
        .cast::<PyList>()
        .map_err(|_| crate::errors::internal(format!("the core's `{key}` is not a list")))?;
    let ids = list
        .iter()
        .map(|item| {
            let text: String = item.extract().map_err(|_| {
                crate::errors::internal(format!("an item of the core's `{key}` is not text"))
            })?;
            uuid::Uuid::parse_str(&text).map_err(|_| {
                crate::errors::internal(format!("an item of the core's `{key}` is not a UUID"))
            })
        })
        .collect::<PyResult<Vec<uuid::Uuid>>>()?;
    dict.set_item(key, ids)
}

/// Replaces the text of the id at `key` of a result dict (made from the core's JSON) with a
/// `uuid.UUID`; a missing or `None` entry stays as it is.
pub(crate) fn uuid_at(dict: &Bound<'_, PyDict>, key: &str) -> PyResult<()> {
    let Some(value) = dict.get_item(key)? else {
        return Ok(());
    };
    if value.is_none() {
        return Ok(());
    }
    let text: String = value
        .extract()
        .map_err(|_| crate::errors::internal(format!("the core's `{key}` is not text")))?;
    let id = uuid::Uuid::parse_str(&text)
        .map_err(|_| crate::errors::internal(format!("the core's `{key}` is not a UUID")))?;
    dict.set_item(key, id)
}

/// A serialisable core value as Python objects.
pub(crate) fn serialised<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| crate::errors::internal(e.to_string()))?;
    from_json(py, &json)
}
