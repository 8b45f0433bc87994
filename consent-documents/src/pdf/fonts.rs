//! The embedded fonts (Noto, SIL Open Font License: `fonts/OFL.txt`) and font fallback.

use std::sync::LazyLock;

use rustybuzz::Face;

static LATIN_REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
static LATIN_BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");
static ARABIC_REGULAR: &[u8] = include_bytes!("../../fonts/NotoSansArabic-Regular.ttf");
static ARABIC_BOLD: &[u8] = include_bytes!("../../fonts/NotoSansArabic-Bold.ttf");

/// One embedded font: its bytes, parsed for shaping.
pub(crate) struct FontFile {
    pub data: &'static [u8],
    pub face: Face<'static>,
}

/// Every font file, in fallback order: a character takes the first font that has it.
pub(crate) struct FontSet {
    pub regular: Vec<FontFile>,
    pub bold: Vec<FontFile>,
}

fn parse(files: &[&'static [u8]]) -> Option<Vec<FontFile>> {
    files
        .iter()
        .map(|data| Face::from_slice(data, 0).map(|face| FontFile { data, face }))
        .collect()
}

static FONTS: LazyLock<Option<FontSet>> = LazyLock::new(|| {
    Some(FontSet {
        regular: parse(&[LATIN_REGULAR, ARABIC_REGULAR])?,
        bold: parse(&[LATIN_BOLD, ARABIC_BOLD])?,
    })
});

/// The parsed font set, or `None` if an embedded file cannot be parsed (a test rules that out).
pub(crate) fn font_set() -> Option<&'static FontSet> {
    FONTS.as_ref()
}

/// Characters that shaping consumes without drawing: bidi controls, joiners, variation
/// selectors. They need no glyph.
pub(crate) fn is_format_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FE00}'..='\u{FE0F}' | '\u{061C}')
}

/// Bidi controls: consumed by the bidi algorithm and never shaped or drawn. Joiners (ZWJ, ZWNJ)
/// are not among them: they stay in the text so the shaper joins (or does not join) letters as
/// they ask, and the text layer keeps them.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Whether every weight of the embedded fonts can draw `c` (newlines and format controls count
/// as drawable: they are never drawn).
pub(crate) fn covers(c: char) -> bool {
    if c == '\n' || is_format_control(c) {
        return true;
    }
    let Some(set) = font_set() else {
        return false;
    };
    let has = |files: &[FontFile]| files.iter().any(|f| f.face.glyph_index(c).is_some());
    has(&set.regular) && has(&set.bold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_font_parses() {
        let set = font_set().unwrap();
        assert_eq!(set.regular.len(), 2);
        assert_eq!(set.bold.len(), 2);
    }

    #[test]
    fn coverage_reflects_the_fonts() {
        for c in ['a', 'ø', 'Å', 'є', 'ї', 'ع', 'ی', 'پ', '§', '–'] {
            assert!(covers(c), "{c}");
        }
        // Ethiopic (Tigrinya) and CJK are not embedded.
        assert!(!covers('ሰ'));
        assert!(!covers('中'));
    }
}
