//! JSON documents built from keyword arguments, with the place of every value recorded, so
//! that an error the core reports at a position of that JSON ("at line 1 column 230", which
//! a Python caller never wrote) can name the argument instead: `evidence.interpreter`.
//!
//! The core's message is kept as it is except for that: its code (and so the exception
//! class) never depends on the text, and a message without serde_json's position suffix
//! passes through unchanged. (When the core reports paths itself, this module goes.)

use serde_json::{Map, Value};

/// A compact JSON document and the byte span and path of each value in it.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) json: String,
    /// `(start, end, path)`: the value at `path` occupies `json[start..end]`.
    spans: Vec<(usize, usize, String)>,
}

impl Located {
    /// Writes `object` as compact JSON, recording where each value stands; paths start with
    /// `root.` (or nothing for an empty root: keyword arguments are named alone).
    pub(crate) fn new(object: &Map<String, Value>, root: &str) -> Self {
        let mut located = Located {
            json: String::new(),
            spans: Vec::new(),
        };
        located.object(object, root);
        located
    }

    /// The Python exception for the core's error about this document, its position replaced
    /// by a path (see [`Located::relocate`]).
    pub(crate) fn error(&self, what: &str, error: &consent_core::Error) -> pyo3::PyErr {
        crate::errors::error_for(error.code(), self.relocate(what, error.message()))
    }

    fn value(&mut self, value: &Value, path: &str) {
        let start = self.json.len();
        match value {
            Value::Object(map) => self.object(map, path),
            Value::Array(items) => {
                self.json.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.json.push(',');
                    }
                    self.value(item, &format!("{path}[{index}]"));
                }
                self.json.push(']');
            }
            // Scalars: serde_json's own text for them (escaping included).
            scalar => self.json.push_str(&scalar.to_string()),
        }
        if !path.is_empty() {
            self.spans.push((start, self.json.len(), path.to_owned()));
        }
    }

    fn object(&mut self, map: &Map<String, Value>, path: &str) {
        self.json.push('{');
        for (index, (key, item)) in map.iter().enumerate() {
            if index > 0 {
                self.json.push(',');
            }
            self.json.push_str(&Value::String(key.clone()).to_string());
            self.json.push(':');
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            self.value(item, &child);
        }
        self.json.push('}');
    }

    /// The path of the innermost value around byte offset `column` of the one-line document
    /// (serde_json's column is the number of bytes it has read: an error about a value's type
    /// comes just before its first byte or just after its last, one about an object's keys
    /// inside the object), or `None` for the document itself.
    fn path_at(&self, column: usize) -> Option<&str> {
        self.spans
            .iter()
            .filter(|(start, end, _)| *start <= column && column <= *end)
            .min_by_key(|(start, end, _)| end - start)
            .map(|(_, _, path)| path.as_str())
    }

    /// The core's message about this document (`{what}: {serde message} at line 1 column
    /// N`) with the position replaced by the path of the value it points at:
    /// `evidence.interpreter: invalid type: string "yes", expected a boolean`. Any other
    /// message is returned unchanged.
    pub(crate) fn relocate(&self, what: &str, message: &str) -> String {
        let Some((body, position)) = message.rsplit_once(" at line ") else {
            return message.to_owned();
        };
        let Some((line, column)) = position.split_once(" column ") else {
            return message.to_owned();
        };
        let (Ok(1), Ok(column)) = (line.parse::<usize>(), column.parse::<usize>()) else {
            return message.to_owned();
        };
        let detail = body
            .strip_prefix(what)
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(body);
        match self.path_at(column) {
            Some(path) => format!("{path}: {detail}"),
            None => format!("{what}: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(
        dead_code,
        reason = "only deserialised, to provoke serde_json's errors"
    )]
    struct Doc {
        subject: String,
        purposes: Vec<String>,
        evidence: Evidence,
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(
        dead_code,
        reason = "only deserialised, to provoke serde_json's errors"
    )]
    struct Evidence {
        method: Method,
        interpreter: bool,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Method {
        SignedPaper,
    }

    /// What the binding turns serde_json's error for `doc` into (as the core reports it).
    fn relocated(doc: Value) -> String {
        let Value::Object(map) = doc else {
            panic!("a document is an object")
        };
        let located = Located::new(&map, "");
        assert_eq!(
            serde_json::from_str::<Value>(&located.json).unwrap(),
            Value::Object(map)
        );
        let error = serde_json::from_str::<Doc>(&located.json).err().unwrap();
        located.relocate("grant", &format!("grant: {error}"))
    }

    #[test]
    fn errors_name_the_path_of_the_value() {
        let good = || {
            serde_json::json!({
                "subject": "x", "purposes": ["a", "b"],
                "evidence": {"method": "signed_paper", "interpreter": true}
            })
        };
        let mut doc = good();
        doc["evidence"]["interpreter"] = "yes".into();
        assert_eq!(
            relocated(doc),
            "evidence.interpreter: invalid type: string \"yes\", expected a boolean"
        );
        let mut doc = good();
        doc["evidence"]["interpreter"] = 1.into();
        assert_eq!(
            relocated(doc),
            "evidence.interpreter: invalid type: integer `1`, expected a boolean"
        );
        let mut doc = good();
        doc["evidence"]["method"] = "fax".into();
        assert!(
            relocated(doc).starts_with("evidence.method: unknown variant `fax`"),
            "enum"
        );
        let mut doc = good();
        doc["purposes"][1] = false.into();
        assert_eq!(
            relocated(doc),
            "purposes[1]: invalid type: boolean `false`, expected a string"
        );
        let mut doc = good();
        doc["subject"] = serde_json::json!({"nested": [1, 2]});
        assert!(relocated(doc).starts_with("subject: invalid type: map"));
        let mut doc = good();
        doc["evidence"]
            .as_object_mut()
            .unwrap()
            .remove("interpreter");
        assert_eq!(relocated(doc), "evidence: missing field `interpreter`");
        let mut doc = good();
        doc["evidence"]["colour"] = "red".into();
        assert!(relocated(doc).starts_with("evidence: unknown field `colour`"));
        // The document itself: the core's own prefix stays.
        let mut doc = good();
        doc["colour"] = "red".into();
        assert!(relocated(doc).starts_with("grant: unknown field `colour`"));
        let mut doc = good();
        doc.as_object_mut().unwrap().remove("subject");
        assert_eq!(relocated(doc), "grant: missing field `subject`");
    }

    #[test]
    fn other_messages_pass_unchanged() {
        let located = Located::new(&Map::new(), "");
        for message in [
            "grant: subject: national id has an invalid control digit",
            "evidence.reference: too long at line of sight",
            "grant: bad at line 2 column 3",
        ] {
            assert_eq!(located.relocate("grant", message), message);
        }
    }
}
