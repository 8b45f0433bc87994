//! `Ledger.decide_many`'s conversion of a list of request dicts into owned Rust data.
//!
//! A batch nearly always repeats the same objects: one recipient, purpose, category list and
//! `at` for many subjects. Each field therefore remembers the object it saw last and its
//! converted value, and converts a field again only when the object differs (an `is` check).
//! Python `str` objects are immutable and every remembered object is kept alive until the
//! batch is converted, so an identical object always has the remembered value. The codes are
//! kept once in a pool; each request refers to them by index, and the core decides the batch
//! from borrowed parts (`Ledger::decide_many_with`), so no request is built per item.
//!
//! The checks and their order are those of `Ledger.decide` for each request, and the first
//! bad request raises, as before: `at`, the keys present, `subject` (a `str` and a valid
//! national id), `recipient`, `purpose` and `categories` (their types), then the codes' form.

use chrono::{DateTime, Utc};
use consent_core::{Code, Decision, DisclosureRequest, Ledger, NationalId};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::convert::{instant, string, with_text};
use crate::errors::{OrRaise, internal, invalid};

/// One request: the subject and the instant, with its codes as indices into the pool.
struct Item {
    subject: NationalId,
    recipient: usize,
    purpose: usize,
    /// `categories[start..start + len]` of the batch.
    start: usize,
    len: usize,
    at: DateTime<Utc>,
}

/// A converted batch: owned Rust data only, so it can cross into `py.detach`.
pub(crate) struct Batch {
    /// Each distinct code once (a code seen again as another object is stored again).
    codes: Vec<String>,
    /// The category codes of every request, in order, as indices into `codes`.
    categories: Vec<usize>,
    items: Vec<Item>,
}

impl Batch {
    /// Decides every request under one read of the ledger's state; each gets its own result.
    pub(crate) fn decide(
        &self,
        ledger: &Ledger,
    ) -> consent_core::Result<Vec<consent_core::Result<Decision>>> {
        // An index is always in range (the converter made it); a missing code would be "",
        // which the catalogue rejects as unknown: never a permit.
        let code = |index: usize| self.codes.get(index).map_or("", String::as_str);
        let categories: Vec<&str> = self.categories.iter().map(|&i| code(i)).collect();
        ledger.decide_many_with(self.items.iter().map(|item| {
            (
                &item.subject,
                code(item.recipient),
                code(item.purpose),
                // The converter made the range; were it ever out of bounds, the empty list is
                // refused by the core (`categories is empty`): never a permit.
                categories
                    .get(item.start..item.start + item.len)
                    .unwrap_or_default(),
                item.at,
            )
        }))
    }
}

/// The object a field held in the previous request and the index of its code.
struct Seen<'py> {
    object: Bound<'py, PyAny>,
    index: usize,
}

/// A code's text and whether it has a code's form (`Code::new` accepts it).
struct Pooled {
    text: String,
    valid: bool,
}

/// Converts a list of request dicts, remembering the last object of each field.
pub(crate) struct Converter<'py> {
    ledger: Ledger,
    codes: Vec<Pooled>,
    categories: Vec<usize>,
    items: Vec<Item>,
    recipient: Option<Seen<'py>>,
    purpose: Option<Seen<'py>>,
    /// Per position in the category list.
    category: Vec<Option<Seen<'py>>>,
    at: Option<(Bound<'py, PyAny>, DateTime<Utc>)>,
}

impl<'py> Converter<'py> {
    pub(crate) fn new(ledger: Ledger, capacity: usize) -> Self {
        Converter {
            ledger,
            codes: Vec::new(),
            categories: Vec::with_capacity(capacity.saturating_mul(3)),
            items: Vec::with_capacity(capacity),
            recipient: None,
            purpose: None,
            category: Vec::new(),
            at: None,
        }
    }

    /// The converted batch.
    pub(crate) fn finish(self) -> Batch {
        Batch {
            codes: self.codes.into_iter().map(|c| c.text).collect(),
            categories: self.categories,
            items: self.items,
        }
    }

    /// Converts one request dict and adds it to the batch. The error is the request's own,
    /// without its index.
    pub(crate) fn push(&mut self, item: &Bound<'py, PyAny>) -> PyResult<()> {
        let dict = item
            .cast::<PyDict>()
            .map_err(|_| invalid("must be a dict"))?;
        if dict.len() != 5 {
            return Err(invalid(
                "takes exactly the keys subject, recipient, purpose, categories, at",
            ));
        }
        let [at_object, subject, recipient, purpose, categories] = fields(dict)?;
        let at = match &self.at {
            Some((seen, at)) if seen.is(&at_object) => *at,
            _ => {
                let at = instant(&at_object, "at")?;
                self.at = Some((at_object, at));
                at
            }
        };

        let ledger = &self.ledger;
        let subject =
            with_text(&subject, "subject", |text| ledger.parse_national_id(text))?.or_raise()?;
        let recipient = pooled(&mut self.codes, &mut self.recipient, &recipient, || {
            string(&recipient, "recipient")
        })?;
        let purpose = pooled(&mut self.codes, &mut self.purpose, &purpose, || {
            string(&purpose, "purpose")
        })?;
        let start = self.categories.len();
        let mut add = |index: usize, item: Bound<'py, PyAny>| -> PyResult<()> {
            if self.category.len() <= index {
                self.category.resize_with(index + 1, || None);
            }
            let seen = self
                .category
                .get_mut(index)
                .ok_or_else(|| internal("category position out of range"))?;
            // The message of a bad entry names its position, as for a single decision.
            let code = pooled(&mut self.codes, seen, &item, || {
                string(&item, &format!("categories[{index}]"))
            })?;
            self.categories.push(code);
            Ok(())
        };
        if let Ok(list) = categories.cast::<PyList>() {
            crate::convert::check_codes_len(list.len(), "categories")?;
            for (index, item) in list.iter().enumerate() {
                add(index, item)?;
            }
        } else if let Ok(tuple) = categories.cast::<PyTuple>() {
            crate::convert::check_codes_len(tuple.len(), "categories")?;
            for (index, item) in tuple.iter().enumerate() {
                add(index, item)?;
            }
        } else {
            return Err(invalid(format!(
                "`categories` must be a list of str, not {}",
                crate::convert::type_name(&categories)
            )));
        }
        let len = self.categories.len() - start;

        let valid = |index: usize| self.codes.get(index).is_some_and(|c| c.valid);
        let all_valid = valid(recipient)
            && valid(purpose)
            && self
                .categories
                .get(start..)
                .unwrap_or_default()
                .iter()
                .all(|&i| valid(i));
        if !all_valid {
            // A malformed code: the core's request builder gives the exact error a single
            // decision gets.
            let text = |index: usize| self.codes.get(index).map_or("", |c| c.text.as_str());
            let categories: Vec<&str> = self
                .categories
                .get(start..)
                .unwrap_or_default()
                .iter()
                .map(|&i| text(i))
                .collect();
            DisclosureRequest::new(subject, text(recipient), text(purpose), &categories, at)
                .or_raise()?;
            return Err(internal("a malformed code passed the request builder"));
        }
        self.items.push(Item {
            subject,
            recipient,
            purpose,
            start,
            len,
            at,
        });
        Ok(())
    }
}

/// The values of `at`, `subject`, `recipient`, `purpose` and `categories` of a request dict
/// of five keys, or the error for the first one missing (in that order).
fn fields<'py>(dict: &Bound<'py, PyDict>) -> PyResult<[Bound<'py, PyAny>; 5]> {
    let py = dict.py();
    let names = [
        intern!(py, "at"),
        intern!(py, "subject"),
        intern!(py, "recipient"),
        intern!(py, "purpose"),
        intern!(py, "categories"),
    ];
    // Fast path: one pass over the dict. Keys written as literals are the interned names
    // themselves, so pointer comparisons find them and no Python code runs while iterating.
    let mut found: [Option<Bound<'py, PyAny>>; 5] = Default::default();
    for (key, value) in dict.iter() {
        let Some(slot) = names
            .iter()
            .position(|name| name.is(&key))
            .and_then(|i| found.get_mut(i))
        else {
            break;
        };
        *slot = Some(value);
    }
    if let [Some(a), Some(b), Some(c), Some(d), Some(e)] = found {
        return Ok([a, b, c, d, e]);
    }
    // Keys that are other (equal or unequal) objects: look each name up.
    let field = |name: &Bound<'py, PyString>| -> PyResult<Bound<'py, PyAny>> {
        dict.get_item(name)?
            .ok_or_else(|| invalid(format!("missing `{}`", name.to_string_lossy())))
    };
    let [at, subject, recipient, purpose, categories] = names;
    Ok([
        field(at)?,
        field(subject)?,
        field(recipient)?,
        field(purpose)?,
        field(categories)?,
    ])
}

/// The pool index of a code field's text: the remembered one when `object` is the object
/// seen last in this field, otherwise `convert(object)`'s text, added to the pool.
fn pooled<'py>(
    codes: &mut Vec<Pooled>,
    seen: &mut Option<Seen<'py>>,
    object: &Bound<'py, PyAny>,
    convert: impl FnOnce() -> PyResult<String>,
) -> PyResult<usize> {
    if let Some(seen) = seen
        && seen.object.is(object)
    {
        return Ok(seen.index);
    }
    let text = convert()?;
    let index = codes.len();
    codes.push(Pooled {
        valid: Code::new(&text).is_ok(),
        text,
    });
    *seen = Some(Seen {
        object: object.clone(),
        index,
    });
    Ok(index)
}
