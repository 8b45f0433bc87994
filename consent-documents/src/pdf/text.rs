//! Text for the PDF: font fallback, shaping (rustybuzz), bidi reordering (unicode-bidi) and
//! line breaking.
//!
//! A paragraph is kept in logical order with Unicode isolates (FSI/LRI … PDI) around values and
//! codes; each line is split into bidi runs in visual order, each run into font segments, and
//! each segment is shaped in its own direction. Every glyph keeps the range of the logical text
//! it came from, so the PDF's text layer maps shaped Arabic back to its letters.

use std::ops::Range;

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction as RbDirection, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};

use super::fonts::{FontFile, FontSet, is_bidi_control};
use crate::doc::Span;
use crate::i18n::Direction;

const FSI: char = '\u{2068}';
const LRI: char = '\u{2066}';
const PDI: char = '\u{2069}';

/// A shaped piece of one font, weight and direction.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub bold: bool,
    pub font: usize,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Offset from the line's left edge, in points.
    pub x: f32,
}

/// A laid-out line: runs in visual order, left to right.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
}

/// A paragraph in logical order with its weights.
struct Styled {
    text: String,
    /// Whether the byte at each index is bold.
    bold: Vec<bool>,
}

fn clean(text: &str) -> String {
    // Newlines and other controls would start new bidi paragraphs: a value is one line.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn styled(spans: &[Span]) -> Styled {
    let mut text = String::new();
    let mut bold = Vec::new();
    let push = |s: &str, b: bool, text: &mut String, bold: &mut Vec<bool>| {
        text.push_str(s);
        bold.resize(text.len(), b);
    };
    for span in spans {
        match span {
            Span::Text(t) => push(&clean(t), false, &mut text, &mut bold),
            Span::Strong(t) => push(&clean(t), true, &mut text, &mut bold),
            Span::Value(t) => push(
                &format!("{FSI}{}{PDI}", clean(t)),
                false,
                &mut text,
                &mut bold,
            ),
            Span::Code(t) => push(
                &format!("{LRI}{}{PDI}", clean(t)),
                false,
                &mut text,
                &mut bold,
            ),
            Span::Break => {}
        }
    }
    Styled { text, bold }
}

/// Splits spans at [`Span::Break`] into paragraphs of one block.
pub(crate) fn split_breaks(spans: &[Span]) -> Vec<Vec<Span>> {
    let mut out = vec![Vec::new()];
    for span in spans {
        if *span == Span::Break {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(span.clone());
        }
    }
    out
}

fn files(set: &FontSet, bold: bool) -> &[FontFile] {
    if bold { &set.bold } else { &set.regular }
}

fn covers(file: &FontFile, c: char) -> bool {
    file.face.glyph_index(c).is_some()
}

/// The font index for each character: the previous character's font when it has the glyph and
/// the character is not a letter (spaces, digits, punctuation stay with their neighbours),
/// otherwise the first font that has it (or the first font, which draws `.notdef`).
fn pick_fonts(set: &FontSet, styled: &Styled) -> Vec<usize> {
    let mut out = vec![0; styled.text.len()];
    let mut previous: Option<usize> = None;
    for (i, c) in styled.text.char_indices() {
        let bold = styled.bold.get(i).copied().unwrap_or(false);
        let list = files(set, bold);
        let keep =
            previous.filter(|p| !c.is_alphabetic() && list.get(*p).is_some_and(|f| covers(f, c)));
        let font = keep
            .or_else(|| list.iter().position(|f| covers(f, c)))
            .unwrap_or(0);
        if !is_bidi_control(c) {
            previous = Some(font);
        }
        for b in i..i + c.len_utf8() {
            if let Some(slot) = out.get_mut(b) {
                *slot = font;
            }
        }
    }
    out
}

/// Shapes one segment of one font in one direction.
fn shape(file: &FontFile, text: &str, rtl: bool) -> Vec<KrillaGlyph> {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        RbDirection::RightToLeft
    } else {
        RbDirection::LeftToRight
    });
    let output = rustybuzz::shape(&file.face, &[], buffer);
    let upem = file.face.units_per_em() as f32;
    let mut starts: Vec<usize> = output
        .glyph_infos()
        .iter()
        .map(|i| i.cluster as usize)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    output
        .glyph_infos()
        .iter()
        .zip(output.glyph_positions())
        .map(|(info, pos)| {
            let start = info.cluster as usize;
            let end = starts
                .iter()
                .find(|s| **s > start)
                .copied()
                .unwrap_or(text.len());
            KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end,
                None,
            )
        })
        .collect()
}

/// The text of a right-to-left run as the PDF's text layer stores it.
///
/// The glyphs of a right-to-left run are written in visual order, and krilla marks such a run
/// `/ReversedChars`: a reader reverses the characters to get logical order. A glyph that stands
/// for several characters (the lam-alef ligature, a letter with its mark) must then carry them
/// in visual order too, or the reversal turns "لا" into "ال". So the characters of each
/// multi-character cluster are reversed here; every cluster keeps its byte range.
fn reverse_clusters(text: &str, glyphs: &[KrillaGlyph]) -> String {
    let mut out = text.to_owned();
    let mut ranges: Vec<Range<usize>> = glyphs.iter().map(|g| g.text_range.clone()).collect();
    ranges.sort_by_key(|r| r.start);
    ranges.dedup();
    for range in ranges {
        if let Some(cluster) = text.get(range.clone())
            && cluster.chars().nth(1).is_some()
        {
            let reversed: String = cluster.chars().rev().collect();
            out.replace_range(range, &reversed);
        }
    }
    out
}

fn advance(glyphs: &[KrillaGlyph]) -> f32 {
    glyphs.iter().map(|g| g.x_advance).sum()
}

/// Segments of `range` that share font and weight, in logical order, without format controls.
fn segments(
    styled: &Styled,
    fonts: &[usize],
    range: Range<usize>,
) -> Vec<(Range<usize>, usize, bool)> {
    let mut out: Vec<(Range<usize>, usize, bool)> = Vec::new();
    let Some(slice) = styled.text.get(range.clone()) else {
        return out;
    };
    for (offset, c) in slice.char_indices() {
        let i = range.start + offset;
        let end = i + c.len_utf8();
        if is_bidi_control(c) {
            // Isolates and marks are consumed by the bidi algorithm, never drawn.
            out.push((end..end, usize::MAX, false));
            continue;
        }
        let font = fonts.get(i).copied().unwrap_or(0);
        let bold = styled.bold.get(i).copied().unwrap_or(false);
        match out.last_mut() {
            Some((r, f, b)) if *f == font && *b == bold && r.end == i => r.end = end,
            _ => out.push((i..end, font, bold)),
        }
    }
    out.retain(|(r, f, _)| *f != usize::MAX && !r.is_empty());
    out
}

/// The width in points of the logical `range` at `size`.
fn measure(set: &FontSet, styled: &Styled, fonts: &[usize], range: Range<usize>, size: f32) -> f32 {
    segments(styled, fonts, range)
        .into_iter()
        .map(|(r, font, bold)| {
            let file = files(set, bold).get(font);
            match (file, styled.text.get(r)) {
                (Some(file), Some(text)) => advance(&shape(file, text, false)) * size,
                _ => 0.0,
            }
        })
        .sum()
}

/// Break opportunities: after each run of spaces.
fn tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        let space = c == ' ';
        if in_space && !space {
            out.push(start..i);
            start = i;
        }
        in_space = space;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

fn trim_end(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = text.get(range.clone()).unwrap_or_default();
    range.start..range.start + slice.trim_end_matches(' ').len()
}

/// Lays out `spans` as lines no wider than `max_width` points (a word longer than a line is
/// split between characters).
pub(crate) fn layout(
    set: &FontSet,
    spans: &[Span],
    base: Direction,
    size: f32,
    max_width: f32,
) -> Vec<Line> {
    let styled = styled(spans);
    if styled.text.trim().is_empty() {
        return vec![Line::default()];
    }
    let fonts = pick_fonts(set, &styled);

    // Greedy line filling over break opportunities.
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut line_start = 0;
    let mut width = 0.0;
    for token in tokens(&styled.text) {
        let visible = trim_end(&styled.text, token.clone());
        let token_width = measure(set, &styled, &fonts, visible.clone(), size);
        if width > 0.0 && width + token_width > max_width {
            lines.push(line_start..token.start);
            line_start = token.start;
            width = 0.0;
        }
        if token_width > max_width {
            // Split an over-long word between characters.
            let mut piece_start = token.start;
            let mut piece_width = 0.0;
            for (offset, c) in styled
                .text
                .get(visible.clone())
                .unwrap_or_default()
                .char_indices()
            {
                let i = visible.start + offset;
                let w = measure(set, &styled, &fonts, i..i + c.len_utf8(), size);
                if piece_width + w > max_width && i > piece_start {
                    lines.push(piece_start..i);
                    piece_start = i;
                    piece_width = 0.0;
                }
                piece_width += w;
            }
            line_start = piece_start;
            width = piece_width;
            continue;
        }
        width += measure(set, &styled, &fonts, token, size);
    }
    lines.push(line_start..styled.text.len());

    let level = match base {
        Direction::Ltr => Level::ltr(),
        Direction::Rtl => Level::rtl(),
    };
    let bidi = BidiInfo::new(&styled.text, Some(level));
    let Some(para) = bidi.paragraphs.first() else {
        return vec![Line::default()];
    };
    lines
        .into_iter()
        .map(|range| {
            let mut line = Line::default();
            if trim_end(&styled.text, range.clone()).is_empty() {
                return line;
            }
            // The space that ends a line stays in it (drawn, invisible, past the measured
            // width), so the text layer and the tag tree keep the words apart.

            let (levels, runs) = bidi.visual_runs(para, range);
            let mut x = 0.0;
            for run in runs {
                let rtl = levels.get(run.start).is_some_and(Level::is_rtl);
                let mut pieces = segments(&styled, &fonts, run);
                if rtl {
                    pieces.reverse();
                }
                for (r, font, bold) in pieces {
                    let (Some(file), Some(text)) = (files(set, bold).get(font), styled.text.get(r))
                    else {
                        continue;
                    };
                    let glyphs = shape(file, text, rtl);
                    let w = advance(&glyphs) * size;
                    let text = if rtl {
                        reverse_clusters(text, &glyphs)
                    } else {
                        text.to_owned()
                    };
                    line.runs.push(Run {
                        bold,
                        font,
                        text,
                        glyphs,
                        x,
                    });
                    x += w;
                }
            }
            line.width = x;
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::fonts::font_set;

    fn visual(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                l.runs
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    #[test]
    fn lines_respect_the_width() {
        let set = font_set().unwrap();
        let spans = vec![Span::Text("ord ".repeat(60))];
        let lines = layout(set, &spans, Direction::Ltr, 10.0, 200.0);
        assert!(lines.len() > 3);
        assert!(
            lines.iter().all(|l| l.width <= 200.0),
            "{:?}",
            lines.iter().map(|l| l.width).collect::<Vec<_>>()
        );
    }

    #[test]
    fn arabic_with_a_latin_code_runs_right_to_left() {
        let set = font_set().unwrap();
        let spans = vec![
            Span::Text("المادة ".to_owned()),
            Span::Code("GDPR art. 6".to_owned()),
            Span::Text(" من القانون".to_owned()),
        ];
        let lines = layout(set, &spans, Direction::Rtl, 10.0, 500.0);
        // Visual order, left to right: the last Arabic words, then the code, then the first word.
        let runs = visual(&lines);
        assert_eq!(runs.len(), 1);
        let line = &runs[0];
        let code = line.find("GDPR").unwrap();
        assert!(line.find("القانون").unwrap() < code, "{line}");
        assert!(line.find("المادة").unwrap() > code, "{line}");
    }

    #[test]
    fn isolates_are_never_drawn() {
        let set = font_set().unwrap();
        let lines = layout(
            set,
            &[Span::Value("Elverum".to_owned())],
            Direction::Ltr,
            10.0,
            500.0,
        );
        let text: String = lines
            .iter()
            .flat_map(|l| l.runs.iter())
            .map(|r| r.text.clone())
            .collect();
        assert_eq!(text, "Elverum");
    }
}
