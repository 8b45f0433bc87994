//! The neutral document as PDF (A4), written by krilla: fonts embedded as subsets, text shaped
//! and reordered here, the timeline drawn as vector paths.

mod draw;
pub(crate) mod fonts;
mod tags;
mod text;

use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::tagging::{ArtifactType, ContentTag, SpanTag, TableHeaderScope, TagTree};
use krilla::text::Font;
use krilla::{Data, Document};

use crate::doc::{Block, Doc, Span, Spans, Table};
use crate::error::{Error, ErrorKind};
use crate::html::colour;
use crate::i18n::Direction;
use crate::timeline::{Kind, Timeline};
use draw::{Item, draw};
use fonts::{FontSet, font_set};
use tags::{Node, Role, tag_group};
use text::{Line, layout, split_breaks};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 64.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const BODY: f32 = 10.0;
const SMALL: f32 = 9.0;
const LEADING: f32 = 1.45;

const INK: (u8, u8, u8) = (0x1b, 0x1b, 0x1b);
const NAVY: (u8, u8, u8) = (0x0b, 0x3d, 0x62);
const HEAD_BG: (u8, u8, u8) = (0xe6, 0xee, 0xf5);
const ROW_BG: (u8, u8, u8) = (0xf4, 0xf7, 0xfa);
const RULE: (u8, u8, u8) = (0x6b, 0x6b, 0x6b);

fn hex(c: &str) -> (u8, u8, u8) {
    let v = |r: std::ops::Range<usize>| {
        c.get(r)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    (v(1..3), v(3..5), v(5..7))
}

/// Colours of a table row.
struct RowStyle {
    bg: Option<(u8, u8, u8)>,
    colour: (u8, u8, u8),
    first_bg: Option<(u8, u8, u8)>,
}

/// Lays blocks out top to bottom, page by page, and records the logical structure: each item
/// belongs to a structure node, or to none (an artifact: rules, borders, repeated table heads).
struct Pages<'a> {
    set: &'a FontSet,
    dir: Direction,
    pages: Vec<Vec<(Item, Option<usize>)>>,
    y: f32,
    nodes: Vec<Node>,
    roots: Vec<usize>,
    /// The node that text drawn now belongs to.
    text_node: Option<usize>,
    /// The node that shapes drawn now belong to (the timeline's figure).
    shape_node: Option<usize>,
}

impl<'a> Pages<'a> {
    fn new(set: &'a FontSet, dir: Direction) -> Self {
        Self {
            set,
            dir,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            nodes: Vec::new(),
            roots: Vec::new(),
            text_node: None,
            shape_node: None,
        }
    }

    fn rtl(&self) -> bool {
        self.dir == Direction::Rtl
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `height` more points fit.
    fn ensure(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN_BOTTOM && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    fn push(&mut self, item: Item) {
        let node = match item {
            Item::Text { .. } => self.text_node,
            _ => self.shape_node,
        };
        if let Some(page) = self.pages.last_mut() {
            page.push((item, node));
        }
    }

    /// A new structure node under `parent` (or at the top).
    fn node(&mut self, role: Role, parent: Option<usize>) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            role,
            children: Vec::new(),
            leaves: Vec::new(),
        });
        match parent.and_then(|p| self.nodes.get_mut(p)) {
            Some(p) => p.children.push(id),
            None => self.roots.push(id),
        }
        id
    }

    /// Lays out spans in a box `[left, left + width]`, aligned to the reading direction.
    fn lines(&self, spans: &Spans, size: f32, width: f32) -> Vec<Line> {
        split_breaks(spans)
            .iter()
            .flat_map(|part| layout(self.set, part, self.dir, size, width))
            .collect()
    }

    fn draw_lines(
        &mut self,
        lines: Vec<Line>,
        left: f32,
        width: f32,
        top: f32,
        size: f32,
        colour: (u8, u8, u8),
    ) -> f32 {
        let mut y = top;
        for line in lines {
            y += size * LEADING;
            let start = if self.rtl() {
                left + width - line.width
            } else {
                left
            };
            for run in line.runs {
                self.push(Item::Text {
                    x: start + run.x,
                    y: y - size * 0.3,
                    size,
                    colour,
                    bold: run.bold,
                    font: run.font,
                    text: run.text,
                    glyphs: run.glyphs,
                });
            }
        }
        y - top
    }

    /// A paragraph across the content width; breaks pages between lines.
    fn para(&mut self, spans: &Spans, size: f32, colour: (u8, u8, u8), indent: f32) {
        let width = CONTENT_W - indent;
        let left = if self.rtl() {
            MARGIN_X
        } else {
            MARGIN_X + indent
        };
        for line in self.lines(spans, size, width) {
            self.ensure(size * LEADING);
            let top = self.y;
            self.y += self.draw_lines(vec![line], left, width, top, size, colour);
        }
        self.y += size * 0.5;
    }

    fn heading(&mut self, text: &str, size: f32, level: u16, parent: Option<usize>) {
        let rule = level == 2;
        self.ensure(size * LEADING * 2.0 + 60.0);
        self.y += size * 0.6;
        let node = self.node(Role::Heading(level), parent);
        self.text_node = Some(node);
        self.para(
            &vec![Span::Strong(text.to_owned())],
            size,
            if rule { NAVY } else { INK },
            0.0,
        );
        self.text_node = None;
        if rule {
            self.push(Item::Rect {
                x: MARGIN_X,
                y: self.y - size * 0.45,
                w: CONTENT_W,
                h: 1.2,
                fill: Some((NAVY, 1.0)),
                stroke: None,
            });
            self.y += 4.0;
        }
    }

    fn facts(&mut self, rows: &[(String, Spans)], parent: Option<usize>) {
        let list = self.node(Role::List, parent);
        let label_w = CONTENT_W * 0.32;
        let value_w = CONTENT_W - label_w - 8.0;
        for (label, value) in rows {
            let label_lines = self.lines(&vec![Span::Strong(label.clone())], BODY, label_w);
            let value_lines = self.lines(value, BODY, value_w);
            let height = label_lines.len().max(value_lines.len()) as f32 * BODY * LEADING;
            self.ensure(height);
            let (label_x, value_x) = if self.rtl() {
                (MARGIN_X + CONTENT_W - label_w, MARGIN_X)
            } else {
                (MARGIN_X, MARGIN_X + label_w + 8.0)
            };
            let top = self.y;
            let item = self.node(Role::ListItem, Some(list));
            let label = self.node(Role::Label, Some(item));
            let body = self.node(Role::ListBody, Some(item));
            self.text_node = Some(label);
            self.draw_lines(label_lines, label_x, label_w, top, BODY, INK);
            self.text_node = Some(body);
            self.draw_lines(value_lines, value_x, value_w, top, BODY, INK);
            self.text_node = None;
            self.y += height + 2.0;
        }
        self.y += BODY * 0.5;
    }

    fn list(&mut self, items: &[Spans], parent: Option<usize>) {
        let list = self.node(Role::List, parent);
        for item in items {
            self.ensure(BODY * LEADING);
            let bullet_x = if self.rtl() {
                MARGIN_X + CONTENT_W - 8.0
            } else {
                MARGIN_X + 4.0
            };
            let top = self.y;
            let bullet = self.lines(&vec![Span::Text("•".to_owned())], BODY, 8.0);
            // The bullet is decoration (an artifact); the item's text is its body.
            self.draw_lines(bullet, bullet_x, 8.0, top, BODY, INK);
            let li = self.node(Role::ListItem, Some(list));
            let body = self.node(Role::ListBody, Some(li));
            self.text_node = Some(body);
            self.para(item, BODY, INK, 16.0);
            self.text_node = None;
        }
    }

    /// The columns' widths on the page: the table's relative widths, widened where a
    /// column's longest word would not fit (it would be broken inside the word: "introduksjonsr
    /// egister"), with the room taken from columns that have room to spare; as given when the
    /// longest words cannot all fit.
    fn column_widths(&self, table: &Table, pad: f32) -> Vec<f32> {
        let total: f32 = table.widths.iter().sum();
        let mut widths: Vec<f32> = table.widths.iter().map(|w| w / total * CONTENT_W).collect();
        let mut least = vec![0.0_f32; widths.len()];
        let mut widen = |column: usize, text: &str, bold: bool| {
            for word in text.split_whitespace() {
                let span = if bold {
                    Span::Strong(word.to_owned())
                } else {
                    Span::Text(word.to_owned())
                };
                let width = self
                    .lines(&vec![span], SMALL, 4.0 * CONTENT_W)
                    .first()
                    .map_or(0.0, |l| l.width);
                if let Some(slot) = least.get_mut(column) {
                    *slot = slot.max(width + 2.0 * pad + 1.0);
                }
            }
        };
        for (i, head) in table.head.iter().enumerate() {
            widen(i, head, true);
        }
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                for span in cell {
                    let bold = matches!(span, Span::Strong(_)) || (i == 0 && table.row_headers);
                    widen(i, span.text(), bold);
                }
            }
        }
        if least.iter().sum::<f32>() > CONTENT_W {
            return widths;
        }
        let need: f32 = widths
            .iter()
            .zip(&least)
            .map(|(w, l)| (l - w).max(0.0))
            .sum();
        let spare: f32 = widths
            .iter()
            .zip(&least)
            .map(|(w, l)| (w - l).max(0.0))
            .sum();
        if need <= 0.0 || spare <= 0.0 {
            return widths;
        }
        // The narrow columns get their longest word; the others give up the same total in
        // proportion to their room, so the table keeps its width.
        for (w, l) in widths.iter_mut().zip(&least) {
            if *w < *l {
                *w = *l;
            } else {
                *w -= (*w - l) / spare * need;
            }
        }
        widths
    }

    fn table(&mut self, table: &Table, parent: Option<usize>) {
        let node = self.node(Role::Table, parent);
        let pad = 4.0;
        let widths = self.column_widths(table, pad);
        let cells = |this: &Self, row: &[Spans], bold_first: bool| -> (Vec<Vec<Line>>, f32) {
            let laid: Vec<Vec<Line>> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let w = widths.get(i).copied().unwrap_or(40.0) - 2.0 * pad;
                    let spans = if i == 0 && bold_first {
                        cell.iter()
                            .map(|s| match s {
                                Span::Text(t) | Span::Value(t) => Span::Strong(t.clone()),
                                other => other.clone(),
                            })
                            .collect()
                    } else {
                        cell.clone()
                    };
                    this.lines(&spans, SMALL, w)
                })
                .collect();
            let height =
                laid.iter().map(Vec::len).max().unwrap_or(1) as f32 * SMALL * LEADING + 2.0 * pad;
            (laid, height)
        };
        let head: Vec<Spans> = table
            .head
            .iter()
            .map(|h| vec![Span::Strong(h.clone())])
            .collect();
        let (head_lines, head_h) = cells(self, &head, false);
        let caption = self.lines(&vec![Span::Strong(table.caption.clone())], BODY, CONTENT_W);
        let caption_h = caption.len() as f32 * BODY * LEADING;
        let first_row_h = table
            .rows
            .first()
            .map_or(0.0, |r| cells(self, r, table.row_headers).1);
        self.ensure(caption_h + head_h + first_row_h);
        let top = self.y;
        let caption_node = self.node(Role::Caption, Some(node));
        self.text_node = Some(caption_node);
        self.y += self.draw_lines(caption, MARGIN_X, CONTENT_W, top, BODY, INK) + 2.0;
        self.text_node = None;
        let head_style = RowStyle {
            bg: Some(HEAD_BG),
            colour: NAVY,
            first_bg: None,
        };
        let head_roles = vec![Role::HeaderCell(TableHeaderScope::Column); widths.len()];
        self.row(
            &widths,
            head_lines.clone(),
            head_h,
            &head_style,
            Some((node, &head_roles)),
        );
        let mut body_roles = vec![Role::Cell; widths.len()];
        if table.row_headers
            && let Some(first) = body_roles.first_mut()
        {
            *first = Role::HeaderCell(TableHeaderScope::Row);
        }
        let body_style = RowStyle {
            bg: None,
            colour: INK,
            first_bg: table.row_headers.then_some(ROW_BG),
        };
        for row in &table.rows {
            let (laid, h) = cells(self, row, table.row_headers);
            if self.y + h > PAGE_H - MARGIN_BOTTOM {
                self.new_page();
                // The head repeated on a new page is decoration: the structure has it once.
                self.row(&widths, head_lines.clone(), head_h, &head_style, None);
            }
            self.row(&widths, laid, h, &body_style, Some((node, &body_roles)));
        }
        self.y += BODY;
    }

    /// One table row; `structure` is the table node and each cell's role, or `None` for a
    /// row that is only decoration.
    fn row(
        &mut self,
        widths: &[f32],
        cells: Vec<Vec<Line>>,
        h: f32,
        style: &RowStyle,
        structure: Option<(usize, &[Role])>,
    ) {
        let pad = 4.0;
        let top = self.y;
        let tr = structure.map(|(table, _)| self.node(Role::Row, Some(table)));
        let mut offset = 0.0;
        for (i, (lines, w)) in cells.into_iter().zip(widths.iter().copied()).enumerate() {
            // Columns run in reading direction: right to left for right-to-left languages.
            let x = if self.rtl() {
                MARGIN_X + CONTENT_W - offset - w
            } else {
                MARGIN_X + offset
            };
            let fill = style.bg.or(if i == 0 { style.first_bg } else { None });
            self.push(Item::Rect {
                x,
                y: top,
                w,
                h,
                fill: fill.map(|c| (c, 1.0)),
                stroke: Some((RULE, 0.5)),
            });
            self.text_node = match (tr, structure.and_then(|(_, roles)| roles.get(i))) {
                (Some(tr), Some(role)) => Some(self.node(role.clone(), Some(tr))),
                _ => None,
            };
            self.draw_lines(
                lines,
                x + pad,
                w - 2.0 * pad,
                top + pad,
                SMALL,
                style.colour,
            );
            self.text_node = None;
            offset += w;
        }
        self.y += h;
    }

    /// The timeline's marks, each with its tag above or below it (numbers read left to right
    /// in a right-to-left letter too).
    fn timeline_marks(
        &mut self,
        t: &Timeline,
        x: &impl Fn(f32) -> f32,
        lane_y: &impl Fn(usize) -> f32,
    ) {
        for event in &t.events {
            // An event another mark stands for is listed in the table only.
            let Some(tag) = &event.tag else {
                continue;
            };
            let cx = x(t.position(event.at));
            let cy = lane_y(event.lane);
            self.mark(event.kind, cx, cy, hex(colour(event.kind)));
            let number = self.lines(&vec![Span::Code(tag.clone())], 7.0, 60.0);
            let w = number.first().map_or(0.0, |l| l.width);
            let ny = if !event.number_below {
                cy - 17.5
            } else {
                cy + 4.0
            };
            let saved = self.dir;
            self.dir = Direction::Ltr;
            self.draw_lines(number, cx - w / 2.0, w, ny, 7.0, INK);
            self.dir = saved;
        }
    }

    fn timeline(&mut self, t: &Timeline, parent: Option<usize>) {
        let figure = self.node(Role::Figure(t.title.clone()), parent);
        self.text_node = Some(figure);
        self.shape_node = Some(figure);
        let lane_h = 26.0;
        let label_w = 110.0;
        let height = 10.0 + lane_h * t.lanes.len() as f32 + 30.0;
        self.ensure(height);
        let top = self.y;
        let rtl = self.rtl();
        let pad = 12.0;
        let (axis_from, axis_to) = if rtl {
            (MARGIN_X + pad, MARGIN_X + CONTENT_W - label_w)
        } else {
            (MARGIN_X + label_w, MARGIN_X + CONTENT_W - pad)
        };
        let x = |pos: f32| {
            if rtl {
                axis_to - pos * (axis_to - axis_from)
            } else {
                axis_from + pos * (axis_to - axis_from)
            }
        };
        let lane_y = |lane: usize| top + 10.0 + lane_h * lane as f32 + lane_h / 2.0;
        let grey = hex("#8a8a8a");
        for (lane, label) in t.lanes.iter().enumerate() {
            let y = lane_y(lane);
            let lines = self.lines(&vec![Span::Text(label.clone())], SMALL, label_w - 8.0);
            let label_x = if rtl {
                MARGIN_X + CONTENT_W - label_w + 4.0
            } else {
                MARGIN_X
            };
            self.draw_lines(
                lines.into_iter().take(1).collect(),
                label_x,
                label_w - 8.0,
                y - SMALL * 1.05,
                SMALL,
                INK,
            );
            self.push(Item::Path {
                points: vec![(axis_from, y), (axis_to, y)],
                closed: false,
                fill: None,
                stroke: Some((grey, 0.6)),
                dash: true,
            });
        }
        for bar in &t.bars {
            let (a, b) = (x(bar.from), x(bar.to));
            let c = hex(colour(bar.kind));
            self.push(Item::Rect {
                x: a.min(b),
                y: lane_y(bar.lane) - 3.5,
                w: (a - b).abs().max(1.5),
                h: 7.0,
                fill: Some((c, 0.35)),
                stroke: Some((c, 0.8)),
            });
        }
        self.timeline_marks(t, &x, &lane_y);
        let axis_y = top + 10.0 + lane_h * t.lanes.len() as f32 + 4.0;
        self.push(Item::Path {
            points: vec![(axis_from, axis_y), (axis_to, axis_y)],
            closed: false,
            fill: None,
            stroke: Some((INK, 1.0)),
            dash: false,
        });
        let start = self.lines(&vec![Span::Value(t.start_label.clone())], SMALL, 150.0);
        let end = self.lines(&vec![Span::Value(t.end_label.clone())], SMALL, 150.0);
        let (sw, ew) = (
            start.first().map_or(0.0, |l| l.width),
            end.first().map_or(0.0, |l| l.width),
        );
        let (start_x, end_x) = if rtl {
            (x(0.0) - sw, x(1.0))
        } else {
            (x(0.0), x(1.0) - ew)
        };
        self.draw_lines(start, start_x, sw, axis_y + 1.0, SMALL, INK);
        self.draw_lines(end, end_x, ew, axis_y + 1.0, SMALL, INK);
        self.y = top + height + 6.0;
        self.text_node = None;
        self.shape_node = None;
    }

    /// The mark of a timeline event of `kind` at (`cx`, `cy`) in colour `c`.
    fn mark(&mut self, kind: Kind, cx: f32, cy: f32, c: (u8, u8, u8)) {
        let item = match kind {
            Kind::Granted => {
                let points = (0..16)
                    .map(|i| {
                        let a = i as f32 / 16.0 * std::f32::consts::TAU;
                        (cx + 5.0 * a.cos(), cy + 5.0 * a.sin())
                    })
                    .collect();
                Item::Path {
                    points,
                    closed: true,
                    fill: Some(c),
                    stroke: None,
                    dash: false,
                }
            }
            Kind::Ended => {
                self.push(Item::Path {
                    points: vec![(cx - 5.0, cy - 5.0), (cx + 5.0, cy + 5.0)],
                    closed: false,
                    fill: None,
                    stroke: Some((c, 2.2)),
                    dash: false,
                });
                Item::Path {
                    points: vec![(cx - 5.0, cy + 5.0), (cx + 5.0, cy - 5.0)],
                    closed: false,
                    fill: None,
                    stroke: Some((c, 2.2)),
                    dash: false,
                }
            }
            Kind::Disclosed => Item::Path {
                points: vec![(cx, cy - 6.0), (cx + 6.0, cy + 5.0), (cx - 6.0, cy + 5.0)],
                closed: true,
                fill: Some(c),
                stroke: None,
                dash: false,
            },
            Kind::Restricted => Item::Rect {
                x: cx - 5.0,
                y: cy - 5.0,
                w: 10.0,
                h: 10.0,
                fill: Some((c, 1.0)),
                stroke: None,
            },
            Kind::Lifted => Item::Rect {
                x: cx - 4.5,
                y: cy - 4.5,
                w: 9.0,
                h: 9.0,
                fill: Some(((255, 255, 255), 1.0)),
                stroke: Some((c, 1.5)),
            },
        };
        self.push(item);
    }

    fn blocks(&mut self, blocks: &[Block], parent: Option<usize>) {
        for block in blocks {
            match block {
                Block::Heading(t) => self.heading(t, 12.0, 3, parent),
                Block::Para(s) => {
                    let node = self.node(Role::Para, parent);
                    self.text_node = Some(node);
                    self.para(s, BODY, INK, 0.0);
                    self.text_node = None;
                }
                Block::Facts(rows) => self.facts(rows, parent),
                Block::List(items) => self.list(items, parent),
                Block::Table(t) => self.table(t, parent),
                Block::Timeline(t) => self.timeline(t, parent),
            }
        }
    }
}

/// A character the fonts cannot draw would print as an empty box, silently: refuse it.
fn refuse_missing_glyphs(doc: &Doc) -> Result<(), Error> {
    for text in doc.texts() {
        if let Some(c) = text.chars().find(|c| !c.is_control() && !fonts::covers(*c)) {
            return Err(Error::new(
                ErrorKind::MissingGlyph,
                format!(
                    "the document contains U+{:04X}, which the embedded fonts cannot draw; give the text in a script they cover or add a font to `fonts/`",
                    u32::from(c)
                ),
            ));
        }
    }
    Ok(())
}

/// Page number, bottom centre: a pagination artifact.
fn page_number(
    surface: &mut Surface<'_>,
    set: &FontSet,
    fonts: &[Vec<Font>; 2],
    index: usize,
    count: usize,
) {
    surface.start_tagged(ContentTag::Artifact(ArtifactType::Footer));
    let label = format!("{} / {count}", index + 1);
    let lines = layout(set, &[Span::Code(label)], Direction::Ltr, 8.0, 100.0);
    let w = lines.first().map_or(0.0, |l| l.width);
    for line in lines {
        for run in line.runs {
            draw(
                surface,
                Item::Text {
                    x: (PAGE_W - w) / 2.0 + run.x,
                    y: PAGE_H - 32.0,
                    size: 8.0,
                    colour: INK,
                    bold: run.bold,
                    font: run.font,
                    text: run.text,
                    glyphs: run.glyphs,
                },
                fonts,
            );
        }
    }
    surface.end_tagged();
}

/// Renders a neutral document as PDF bytes.
pub(crate) fn render(doc: &Doc) -> Result<Vec<u8>, Error> {
    let set =
        font_set().ok_or_else(|| Error::new(ErrorKind::Pdf, "an embedded font cannot be read"))?;
    refuse_missing_glyphs(doc)?;
    let mut pages = Pages::new(set, doc.direction);
    let title = pages.node(Role::Heading(1), None);
    pages.text_node = Some(title);
    pages.para(&vec![Span::Strong(doc.title.clone())], 18.0, NAVY, 0.0);
    pages.text_node = None;
    pages.y += 4.0;
    pages.blocks(&doc.front, None);
    for section in &doc.sections {
        let node = pages.node(Role::Section, None);
        pages.heading(&section.heading, 14.0, 2, Some(node));
        pages.blocks(&section.blocks, Some(node));
    }
    let Pages {
        pages: laid_out,
        mut nodes,
        roots,
        ..
    } = pages;

    let load = |files: &[fonts::FontFile]| -> Result<Vec<Font>, Error> {
        files
            .iter()
            .map(|f| {
                Font::new(Data::from(f.data), 0)
                    .ok_or_else(|| Error::new(ErrorKind::Pdf, "an embedded font cannot be read"))
            })
            .collect()
    };
    let fonts = [load(&set.regular)?, load(&set.bold)?];
    let mut document = Document::new();
    let count = laid_out.len();
    for (index, items) in laid_out.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| Error::new(ErrorKind::Pdf, "invalid page size"))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        // Each run of items of one structure node is one marked-content sequence; items of no
        // node are artifacts.
        let mut open: Option<Option<usize>> = None;
        for (item, node) in items {
            if open != Some(node) {
                if open.is_some() {
                    surface.end_tagged();
                }
                match node.and_then(|n| nodes.get_mut(n)) {
                    Some(target) => {
                        let tag = if matches!(target.role, Role::Figure(_)) {
                            ContentTag::Other
                        } else {
                            ContentTag::Span(SpanTag::empty())
                        };
                        target.leaves.push(surface.start_tagged(tag));
                    }
                    None => {
                        surface.start_tagged(ContentTag::Artifact(ArtifactType::Other));
                    }
                }
                open = Some(node);
            }
            draw(&mut surface, item, &fonts);
        }
        if open.is_some() {
            surface.end_tagged();
        }
        page_number(&mut surface, set, &fonts, index, count);
        surface.finish();
        page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some(doc.lang.clone()));
    for root in roots {
        if let Some(group) = tag_group(&mut nodes, root) {
            tree.push(group);
        }
    }
    document.set_tag_tree(tree);
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(doc.lang.clone())
            .creator("consent-documents".to_owned()),
    );
    document
        .finish()
        .map_err(|e| Error::new(ErrorKind::Pdf, format!("the PDF cannot be written: {e:?}")))
}
