//! The neutral document as one self-contained HTML file: inline CSS, an inline SVG timeline,
//! `lang` and `dir` on the root, semantic headings, tables with captions and scopes, every value
//! escaped and bidi-isolated.

use std::fmt::Write;

use crate::doc::{Block, Doc, Span, Table};
use crate::i18n::Direction;
use crate::timeline::{Kind, Timeline};

/// Escapes text for element content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

// Colours: text #1b1b1b on #ffffff (17:1), headings #0b3d62 (11:1), table heads #0b3d62 on
// #e6eef5 (9.6:1), muted text #4a4a4a (8.9:1); timeline marks at least 4.5:1 on white.
const CSS: &str = "\
:root{color-scheme:light}\
*{box-sizing:border-box}\
body{margin:0;background:#ffffff;color:#1b1b1b;font-family:\"Noto Sans\",\"Noto Sans Arabic\",\"Segoe UI\",Arial,sans-serif;font-size:1rem;line-height:1.55}\
main{max-width:52rem;margin:0 auto;padding:2rem 1.25rem 3rem}\
h1{font-size:1.75rem;line-height:1.25;color:#0b3d62;margin:0 0 1rem}\
h2{font-size:1.35rem;color:#0b3d62;margin:2.25rem 0 .75rem;padding-bottom:.25rem;border-bottom:2px solid #0b3d62}\
h3{font-size:1.1rem;color:#1b1b1b;margin:1.5rem 0 .5rem}\
p{margin:.5rem 0 1rem}\
dl{display:grid;grid-template-columns:minmax(9rem,max-content) 1fr;gap:.25rem 1rem;margin:.5rem 0 1rem}\
dt{font-weight:700}\
dd{margin:0}\
ul{padding-inline-start:1.5rem}\
li{margin:.35rem 0}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem;font-size:.95rem}\
caption{text-align:start;font-weight:700;padding:.25rem 0;color:#1b1b1b}\
th,td{border:1px solid #6b6b6b;padding:.4rem .5rem;vertical-align:top;text-align:start}\
thead th{background:#e6eef5;color:#0b3d62}\
tbody th{font-weight:700;background:#f4f7fa}\
.timeline{margin:.5rem 0 1rem;max-width:100%}\
.timeline svg{width:100%;height:auto;display:block}\
@media print{main{max-width:none;padding:0}h2{break-after:avoid}table,figure{break-inside:avoid}}\
";

fn spans(out: &mut String, spans: &[Span]) {
    for span in spans {
        match span {
            Span::Text(t) => out.push_str(&escape(t)),
            Span::Value(t) => {
                let _ = write!(out, "<bdi>{}</bdi>", escape(t));
            }
            Span::Code(t) => {
                let _ = write!(out, "<bdi dir=\"ltr\">{}</bdi>", escape(t));
            }
            Span::Strong(t) => {
                let _ = write!(out, "<strong>{}</strong>", escape(t));
            }
            Span::Break => out.push_str("<br>"),
        }
    }
}

fn table(out: &mut String, table: &Table) {
    out.push_str("<table>\n<caption>");
    out.push_str(&escape(&table.caption));
    out.push_str("</caption>\n<thead><tr>");
    for head in &table.head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(head));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 && table.row_headers {
                out.push_str("<th scope=\"row\">");
                spans(out, cell);
                out.push_str("</th>");
            } else {
                out.push_str("<td>");
                spans(out, cell);
                out.push_str("</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Geometry of the timeline picture in SVG user units.
const TL_WIDTH: f32 = 720.0;
const TL_LABEL: f32 = 150.0;
const TL_LANE: f32 = 34.0;
const TL_TOP: f32 = 12.0;
const TL_PAD: f32 = 16.0;

pub(crate) const MARK_COLOURS: [(Kind, &str); 5] = [
    (Kind::Granted, "#1d6b35"),
    (Kind::Ended, "#a1261c"),
    (Kind::Disclosed, "#0b3d62"),
    (Kind::Restricted, "#6b3fa0"),
    (Kind::Lifted, "#6b3fa0"),
];

pub(crate) fn colour(kind: Kind) -> &'static str {
    MARK_COLOURS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("#1b1b1b", |(_, c)| c)
}

/// The SVG shape of a timeline mark of `kind` at (`cx`, `cy`) in colour `c`.
fn mark_shape(kind: Kind, cx: f32, cy: f32, c: &str) -> String {
    match kind {
        Kind::Granted => {
            format!("<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"{c}\"/>")
        }
        Kind::Ended => format!(
            "<path d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{c}\" stroke-width=\"3\"/>",
            cx - 6.0,
            cy - 6.0,
            cx + 6.0,
            cy + 6.0,
            cx - 6.0,
            cy + 6.0,
            cx + 6.0,
            cy - 6.0
        ),
        Kind::Disclosed => format!(
            "<path d=\"M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" fill=\"{c}\"/>",
            cx,
            cy - 7.0,
            cx + 7.0,
            cy + 6.0,
            cx - 7.0,
            cy + 6.0
        ),
        Kind::Restricted => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{c}\"/>",
            cx - 6.0,
            cy - 6.0
        ),
        Kind::Lifted => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"11\" height=\"11\" fill=\"#ffffff\" stroke=\"{c}\" stroke-width=\"2\"/>",
            cx - 5.5,
            cy - 5.5
        ),
    }
}

fn svg_timeline(out: &mut String, t: &Timeline, direction: Direction, id: &str) {
    let rtl = direction == Direction::Rtl;
    let height = TL_TOP + TL_LANE * t.lanes.len() as f32 + 34.0;
    // The axis runs in reading direction: right to left for right-to-left languages.
    let axis_from = if rtl { TL_PAD } else { TL_LABEL };
    let axis_to = if rtl {
        TL_WIDTH - TL_LABEL
    } else {
        TL_WIDTH - TL_PAD
    };
    let x = |pos: f32| {
        if rtl {
            axis_to - pos * (axis_to - axis_from)
        } else {
            axis_from + pos * (axis_to - axis_from)
        }
    };
    let lane_y = |lane: usize| TL_TOP + TL_LANE * lane as f32 + TL_LANE / 2.0;
    let _ = write!(
        out,
        "<figure class=\"timeline\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {TL_WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-title\" direction=\"{}\" font-family=\"Noto Sans, Noto Sans Arabic, Arial, sans-serif\" font-size=\"12\">\n<title id=\"{id}-title\">{}</title>\n",
        direction.as_str(),
        escape(&t.title)
    );
    // Lane labels and guide lines.
    let label_x = if rtl { TL_WIDTH - 6.0 } else { 6.0 };
    for (lane, label) in t.lanes.iter().enumerate() {
        let y = lane_y(lane);
        let _ = write!(
            out,
            "<text x=\"{label_x}\" y=\"{:.1}\" fill=\"#1b1b1b\" text-anchor=\"start\">{}</text>\n<line x1=\"{axis_from}\" y1=\"{y:.1}\" x2=\"{axis_to}\" y2=\"{y:.1}\" stroke=\"#8a8a8a\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>\n",
            y + 4.0,
            escape(label)
        );
    }
    // Bars: consents in force, restrictions.
    for bar in &t.bars {
        let (a, b) = (x(bar.from), x(bar.to));
        let (left, width) = (a.min(b), (a - b).abs().max(2.0));
        let y = lane_y(bar.lane) - 4.0;
        let kind_colour = colour(bar.kind);
        let _ = writeln!(
            out,
            "<rect x=\"{left:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"8\" fill=\"{kind_colour}\" fill-opacity=\"0.35\" stroke=\"{kind_colour}\"/>"
        );
    }
    // Marks, numbered; numbers alternate above and below so neighbours stay legible.
    for event in &t.events {
        // An event another mark stands for is listed in the table only.
        let Some(tag) = &event.tag else {
            continue;
        };
        let cx = x(t.position(event.at));
        let cy = lane_y(event.lane);
        let c = colour(event.kind);
        let shape = mark_shape(event.kind, cx, cy, c);
        let ny = if !event.number_below {
            cy - 9.0
        } else {
            cy + 18.0
        };
        let _ = writeln!(
            out,
            "{shape}<text x=\"{cx:.1}\" y=\"{ny:.1}\" text-anchor=\"middle\" fill=\"#1b1b1b\" font-size=\"10\">{}</text>",
            escape(tag)
        );
    }
    // The axis with its first and last dates.
    let axis_y = TL_TOP + TL_LANE * t.lanes.len() as f32 + 6.0;
    let _ = write!(
        out,
        "<line x1=\"{axis_from}\" y1=\"{axis_y:.1}\" x2=\"{axis_to}\" y2=\"{axis_y:.1}\" stroke=\"#1b1b1b\" stroke-width=\"1.5\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"start\" fill=\"#1b1b1b\">{}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1b1b1b\">{}</text>\n",
        x(0.0),
        axis_y + 18.0,
        escape(&t.start_label),
        x(1.0),
        axis_y + 18.0,
        escape(&t.end_label),
    );
    out.push_str("</svg>\n</figure>\n");
}

/// Renders a neutral document as HTML.
pub(crate) fn render(doc: &Doc) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        escape(&doc.lang),
        doc.direction.as_str(),
        escape(&doc.title),
        escape(&doc.title),
    );
    let mut timelines = 0;
    let mut blocks = |out: &mut String, list: &[Block]| {
        for block in list {
            match block {
                Block::Heading(t) => {
                    let _ = writeln!(out, "<h3>{}</h3>", escape(t));
                }
                Block::Para(s) => {
                    out.push_str("<p>");
                    spans(out, s);
                    out.push_str("</p>\n");
                }
                Block::Facts(rows) => {
                    out.push_str("<dl>\n");
                    for (label, value) in rows {
                        let _ = write!(out, "<dt>{}</dt><dd>", escape(label));
                        spans(out, value);
                        out.push_str("</dd>\n");
                    }
                    out.push_str("</dl>\n");
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        out.push_str("<li>");
                        spans(out, item);
                        out.push_str("</li>\n");
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(t) => table(out, t),
                Block::Timeline(t) => {
                    timelines += 1;
                    svg_timeline(out, t, doc.direction, &format!("timeline-{timelines}"));
                }
            }
        }
    };
    blocks(&mut out, &doc.front);
    for section in &doc.sections {
        let id = escape(&section.id);
        let _ = write!(
            out,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{}</h2>\n",
            escape(&section.heading)
        );
        blocks(&mut out, &section.blocks);
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\" title='y'>&amp;</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
    }
}
