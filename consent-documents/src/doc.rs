//! The neutral form of a document: what both renderers draw, built once from a view model and
//! a language. HTML and PDF therefore show the same sections, in the same order, with the same
//! texts.

use crate::i18n::{Direction, Language};
use crate::keys::Key;
use crate::timeline::Timeline;

/// A piece of running text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Span {
    /// Text of the document's language.
    Text(String),
    /// A value from the model or a date: isolated, direction from its own first strong
    /// character (HTML `<bdi>`, Unicode FSI … PDI).
    Value(String),
    /// A code, number, citation or address that is always left to right (`<bdi dir="ltr">`,
    /// LRI … PDI).
    Code(String),
    /// Emphasised text (bold).
    Strong(String),
    /// A line break inside a paragraph or cell.
    Break,
}

impl Span {
    pub(crate) fn text(&self) -> &str {
        match self {
            Self::Text(t) | Self::Value(t) | Self::Code(t) | Self::Strong(t) => t,
            Self::Break => "",
        }
    }
}

/// A run of spans: one paragraph or one table cell.
pub(crate) type Spans = Vec<Span>;

pub(crate) fn text(s: impl Into<String>) -> Spans {
    vec![Span::Text(s.into())]
}

pub(crate) fn value(s: impl Into<String>) -> Spans {
    vec![Span::Value(s.into())]
}

pub(crate) fn code(s: impl Into<String>) -> Spans {
    vec![Span::Code(s.into())]
}

/// A table with a caption, column headers, and optionally row headers in its first column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Spans>>,
    /// The first cell of each row heads that row (`<th scope="row">`).
    pub row_headers: bool,
    /// Relative column widths for the PDF.
    pub widths: Vec<f32>,
}

/// One block of a section.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    /// A sub-heading (`<h3>`).
    Heading(String),
    /// A paragraph.
    Para(Spans),
    /// Label-value pairs (`<dl>`).
    Facts(Vec<(String, Spans)>),
    /// A bulleted list.
    List(Vec<Spans>),
    /// A table.
    Table(Table),
    /// The timeline picture (its text equivalent is a separate table).
    Timeline(Timeline),
}

/// A section with its heading (`<h2>`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    pub id: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// A whole document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Doc {
    pub lang: String,
    pub direction: Direction,
    pub title: String,
    /// Blocks under the title, before the first section (letterhead, introduction).
    pub front: Vec<Block>,
    pub sections: Vec<Section>,
}

impl Language {
    /// The text of `key` as spans, each placeholder replaced by the given span.
    pub(crate) fn spans(&self, key: Key, values: &[(&str, Span)]) -> Spans {
        let mut out = Vec::new();
        let mut rest = self.text(key);
        while let Some(open) = rest.find('{') {
            let before = rest.get(..open).unwrap_or_default();
            let after = rest.get(open + 1..).unwrap_or_default();
            let Some(close) = after.find('}') else { break };
            let name = after.get(..close).unwrap_or_default();
            if !before.is_empty() {
                out.push(Span::Text(before.to_owned()));
            }
            if let Some((_, span)) = values.iter().find(|(n, _)| *n == name) {
                out.push(span.clone());
            }
            rest = after.get(close + 1..).unwrap_or_default();
        }
        if !rest.is_empty() {
            out.push(Span::Text(rest.to_owned()));
        }
        out
    }
}

impl Doc {
    /// Every text of the document, in order.
    pub(crate) fn texts(&self) -> Vec<&str> {
        fn spans<'a>(out: &mut Vec<&'a str>, list: &'a [Span]) {
            out.extend(list.iter().map(Span::text));
        }
        fn blocks<'a>(out: &mut Vec<&'a str>, list: &'a [Block]) {
            for block in list {
                match block {
                    Block::Heading(t) => out.push(t),
                    Block::Para(s) => spans(out, s),
                    Block::Facts(rows) => {
                        for (label, value) in rows {
                            out.push(label);
                            spans(out, value);
                        }
                    }
                    Block::List(items) => items.iter().for_each(|i| spans(out, i)),
                    Block::Table(t) => {
                        out.push(&t.caption);
                        out.extend(t.head.iter().map(String::as_str));
                        t.rows.iter().flatten().for_each(|c| spans(out, c));
                    }
                    Block::Timeline(t) => {
                        out.push(&t.title);
                        out.push(&t.start_label);
                        out.push(&t.end_label);
                        out.extend(t.lanes.iter().map(String::as_str));
                        t.events.iter().for_each(|e| spans(out, &e.label));
                    }
                }
            }
        }
        let mut out = vec![self.title.as_str()];
        blocks(&mut out, &self.front);
        for section in &self.sections {
            out.push(&section.heading);
            blocks(&mut out, &section.blocks);
        }
        out
    }
}
