//! The record of processing activities as CSV (RFC 4180): one row per activity, columns (a) to
//! (g) of Art. 30(1), UTF-8, comma-separated, every field quoted, CRLF line ends.

use crate::build::{activity_rows, record_controller};
use crate::doc::{Span, Spans};
use crate::i18n::Language;
use crate::keys::Key;
use crate::model::ProcessingRecord;

fn plain(spans: &Spans) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Break => out.push('\n'),
            other => out.push_str(other.text()),
        }
    }
    out
}

/// Quotes a field. A field that a spreadsheet would read as a formula (starting with `=`, `+`,
/// `-`, `@`, tab or carriage return) gets a leading apostrophe, so opening the file never runs
/// a formula (CSV injection).
pub(crate) fn field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

pub(crate) fn render(model: &ProcessingRecord, lang: &Language) -> String {
    let controller = record_controller(lang, model)
        .iter()
        .map(|(label, spans)| format!("{label}: {}", plain(spans)))
        .collect::<Vec<_>>()
        .join("\n");
    let header = [
        Key::RecordA,
        Key::RecordB,
        Key::RecordCSubjects,
        Key::RecordCData,
        Key::RecordD,
        Key::RecordE,
        Key::RecordF,
        Key::RecordG,
    ]
    .map(|k| field(lang.text(k)))
    .join(",");
    let mut out = header;
    out.push_str("\r\n");
    for activity in &model.activities {
        let mut row = vec![field(&controller)];
        row.extend(
            activity_rows(lang, activity)
                .iter()
                .map(|(_, spans)| field(&plain(spans))),
        );
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_disarmed() {
        assert_eq!(field("a \"b\", c"), "\"a \"\"b\"\", c\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }
}
