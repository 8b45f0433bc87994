//! Drawing the laid-out items with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, KrillaGlyph};

/// One thing to draw on a page.
pub(super) enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        colour: (u8, u8, u8),
        bold: bool,
        font: usize,
        text: String,
        glyphs: Vec<KrillaGlyph>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<((u8, u8, u8), f32)>,
        stroke: Option<((u8, u8, u8), f32)>,
    },
    Path {
        points: Vec<(f32, f32)>,
        closed: bool,
        fill: Option<(u8, u8, u8)>,
        stroke: Option<((u8, u8, u8), f32)>,
        dash: bool,
    },
}

fn color((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

fn fill((c, opacity): ((u8, u8, u8), f32)) -> Fill {
    Fill {
        paint: color(c).into(),
        opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ONE),
        rule: krilla::paint::FillRule::default(),
    }
}

fn stroke((c, width): ((u8, u8, u8), f32), dash: bool) -> Stroke {
    Stroke {
        paint: color(c).into(),
        width,
        dash: dash.then(|| StrokeDash {
            array: vec![2.0, 2.5],
            offset: 0.0,
        }),
        ..Stroke::default()
    }
}

pub(super) fn draw(surface: &mut Surface<'_>, item: Item, fonts: &[Vec<Font>; 2]) {
    match item {
        Item::Text {
            x,
            y,
            size,
            colour,
            bold,
            font,
            text,
            glyphs,
        } => {
            let Some(font) = fonts
                .get(usize::from(bold))
                .and_then(|f| f.get(font))
                .cloned()
            else {
                return;
            };
            surface.set_fill(Some(fill((colour, 1.0))));
            surface.set_stroke(None);
            surface.draw_glyphs(Point::from_xy(x, y), &glyphs, font, &text, size, false);
        }
        Item::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke: s,
        } => {
            let Some(rect) = Rect::from_xywh(x, y, w, h) else {
                return;
            };
            let mut builder = PathBuilder::new();
            builder.push_rect(rect);
            let Some(path) = builder.finish() else { return };
            surface.set_fill(f.map(fill));
            surface.set_stroke(s.map(|s| stroke(s, false)));
            surface.draw_path(&path);
        }
        Item::Path {
            points,
            closed,
            fill: f,
            stroke: s,
            dash,
        } => {
            let mut builder = PathBuilder::new();
            for (i, (px, py)) in points.into_iter().enumerate() {
                if i == 0 {
                    builder.move_to(px, py)
                } else {
                    builder.line_to(px, py)
                }
            }
            if closed {
                builder.close();
            }
            let Some(path) = builder.finish() else { return };
            surface.set_fill(f.map(|c| fill((c, 1.0))));
            surface.set_stroke(s.map(|s| stroke(s, dash)));
            surface.draw_path(&path);
        }
    }
}
