//! Finding national ids in disguise in any text, and masking them: for the free-text check
//! (`model/text.rs`) and for every error message (`Error::new`).
//!
//! A person typing an id into a free-text field, or a message echoing one, may write it
//! `150385/10190`, `150385 10190`, with `_`, `:`, parentheses, double or no-break spaces, en
//! dashes or zero-width spaces between the groups, in full-width or Arabic-Indic digits, or
//! inside a longer digit run. So the text is read as Unicode compatibility decomposition
//! (NFKD, as NFKC sees digits), every decimal digit of any script is read as its value, and
//! digits are joined across any run of characters that are neither letters nor digits
//! (spaces, punctuation, symbols, format and combining characters). Every 11-digit window of
//! such a *stream* is a candidate.
//!
//! A DUF number (12 digits, UDI's case number, starting with the year 19xx or 20xx) is found
//! where it is written as one: 12 digits that stand alone in their stream, or groups of
//! 4-4-4 or 4-8 split by a single separator (`2016 1234 5678`, `2016-12345678`,
//! `201612345678`), inside a longer stream too. Other 12-digit groupings (a date and time
//! such as `2026-11-30 10:22`: 4-2-2-2-2) and longer runs (`20261130102233`) are not one.
//!
//! Cheap for ASCII text with fewer than 11 digits, which is nearly every field of a bulk
//! import: one pass over the bytes.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// What one character of normalised text is to the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A decimal digit, with its value.
    Digit(u8),
    /// Joins digit groups: spaces, punctuation, symbols, format and combining characters.
    Separator,
    /// Ends a stream: a letter, or a number that is not a decimal digit.
    Other,
}

/// The value of a decimal digit (`Nd`) of any script. Unicode assigns them in complete runs of
/// ten, `0` to `9` in order, so the value is the distance from the run's start modulo ten.
fn decimal_value(c: char) -> Option<u8> {
    if c.general_category() != GeneralCategory::DecimalNumber {
        return None;
    }
    let mut start = u32::from(c);
    while let Some(before) = start.checked_sub(1).and_then(char::from_u32) {
        if before.general_category() != GeneralCategory::DecimalNumber {
            break;
        }
        start -= 1;
    }
    u8::try_from((u32::from(c) - start) % 10).ok()
}

fn class_of_normalised(c: char) -> Class {
    if let Some(value) = c.to_digit(10) {
        return u8::try_from(value).map_or(Class::Other, Class::Digit);
    }
    if c.is_ascii() {
        return if c.is_ascii_alphabetic() {
            Class::Other
        } else {
            Class::Separator
        };
    }
    if let Some(value) = decimal_value(c) {
        return Class::Digit(value);
    }
    if c.is_alphanumeric() {
        Class::Other
    } else {
        Class::Separator
    }
}

/// Classifies the characters one original character stands for after compatibility
/// decomposition (`１` is `1`, `①` is `1`, `⑩` is `1` `0`, a no-break space a space).
fn classify(c: char, out: &mut impl FnMut(Class)) {
    if c.is_ascii() {
        out(class_of_normalised(c));
        return;
    }
    unicode_normalization::char::decompose_compatible(c, |d| out(class_of_normalised(d)));
}

/// One decimal digit of a stream: its value, and the byte range of the original character it
/// came from.
#[derive(Debug, Clone, Copy)]
struct Unit {
    value: u8,
    start: usize,
    end: usize,
    /// How many separators came between this digit and the one before it (0 for the
    /// first digit of a stream).
    gap: u32,
}

impl Unit {
    /// Whether a separator came between this digit and the one before it.
    fn after_separator(&self) -> bool {
        self.gap > 0
    }
}

/// Calls `stream` with each maximal stream of digits (joined across separators) in `text`.
fn streams(text: &str, mut stream: impl FnMut(&[Unit])) {
    let mut units: Vec<Unit> = Vec::new();
    let mut separators = 0u32;
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        classify(c, &mut |class| match class {
            Class::Digit(value) => {
                units.push(Unit {
                    value,
                    start,
                    end,
                    gap: if units.is_empty() { 0 } else { separators },
                });
                separators = 0;
            }
            Class::Separator => separators = separators.saturating_add(1),
            Class::Other => {
                if !units.is_empty() {
                    stream(&units);
                    units.clear();
                }
                separators = 0;
            }
        });
    }
    if !units.is_empty() {
        stream(&units);
    }
}

/// Whether `text` may hold 11 digits at all: for ASCII text, a count of its digits (the
/// common case, and a single pass); any other text may hide digits in other scripts.
fn may_hold_eleven_digits(text: &str) -> bool {
    !text.is_ascii() || text.bytes().filter(u8::is_ascii_digit).count() >= 11
}

/// Whether any 11 consecutive digits of a stream in `text` satisfy `is_id`.
pub(crate) fn any_window(text: &str, mut is_id: impl FnMut(&[u8; 11]) -> bool) -> bool {
    if !may_hold_eleven_digits(text) {
        return false;
    }
    let mut found = false;
    streams(text, |units| {
        if found {
            return;
        }
        found = units.windows(11).any(|window| {
            let mut digits = [0u8; 11];
            for (slot, unit) in digits.iter_mut().zip(window) {
                *slot = unit.value;
            }
            is_id(&digits)
        });
    });
    found
}

/// Whether a stream holds a DUF number as one is written (see the module's doc): 12 digits
/// starting with 19 or 20, that make up a group of their own, or groups of 4 and 8, or of 4,
/// 4 and 4, split by one separator each.
fn holds_duf(units: &[Unit]) -> bool {
    if units.len() < 12 {
        return false;
    }
    // The digit groups: (index of the first digit, length, separators before it).
    let mut groups: Vec<(usize, usize, u32)> = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        match groups.last_mut() {
            Some((_, len, _)) if !unit.after_separator() => *len += 1,
            _ => groups.push((i, 1, unit.gap)),
        }
    }
    let starts_with_year = |first: usize| {
        let value = |i: usize| units.get(i).map(|u| u.value);
        matches!(
            (value(first), value(first + 1)),
            (Some(1), Some(9)) | (Some(2), Some(0))
        )
    };
    (0..groups.len()).any(|i| {
        let shape: Vec<(usize, u32)> = groups
            .iter()
            .skip(i)
            .take(3)
            .map(|(_, len, gap)| (*len, *gap))
            .collect();
        let joined = |n: usize| shape.iter().skip(1).take(n).all(|(_, gap)| *gap == 1);
        let lens: Vec<usize> = shape.iter().map(|(len, _)| *len).collect();
        let is_duf = match lens.as_slice() {
            [12, ..] => true,
            [4, 8, ..] => joined(1),
            [4, 4, 4] => joined(2),
            _ => false,
        };
        is_duf
            && groups
                .get(i)
                .is_some_and(|(first, _, _)| starts_with_year(*first))
    })
}

/// Whether `text` holds a DUF number as one is written (see the module's doc).
pub(crate) fn any_duf(text: &str) -> bool {
    if !may_hold_eleven_digits(text) {
        return false;
    }
    let mut found = false;
    streams(text, |units| found = found || holds_duf(units));
    found
}

/// Whether 11 digits could be a national id as far as a message is concerned: the second
/// control digit holds, and the first does under the 2032 rule (remainder 0 to 3). A superset
/// of valid ids (the date is not checked), so masking never lets one through.
pub(crate) fn could_be_national_id(digits: &[u8; 11]) -> bool {
    const W1: [u32; 10] = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1];
    const W2: [u32; 11] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    let sum = |weights: &[u32]| -> u32 {
        digits
            .iter()
            .zip(weights)
            .map(|(d, w)| u32::from(*d) * w)
            .sum()
    };
    sum(&W1) % 11 <= 3 && sum(&W2) % 11 == 0
}

/// Masks every national id in `text`, in any of the disguises above, with `*` for each of its
/// digits (separators stay); every DUF number as one is written; and, as before, every run of
/// 11 or more digits without separators, valid or not (a mistyped id is still personal data).
///
/// A stream that holds an id anywhere is masked whole: masking only the id's own digits could
/// leave digits on either side that join, across the masked ones, into another id (an id
/// typed into the middle of another, found by the fuzz target `redaction`).
pub(crate) fn mask(text: &str) -> String {
    if !may_hold_eleven_digits(text) {
        return text.to_owned();
    }
    let mut masked: Vec<(usize, usize)> = Vec::new();
    streams(text, |units| {
        let mut hide = vec![false; units.len()];
        for (i, window) in units.windows(11).enumerate() {
            let mut digits = [0u8; 11];
            for (slot, unit) in digits.iter_mut().zip(window) {
                *slot = unit.value;
            }
            if could_be_national_id(&digits) {
                hide.iter_mut().skip(i).take(11).for_each(|h| *h = true);
            }
        }
        if hide.contains(&true) || holds_duf(units) {
            hide.iter_mut().for_each(|h| *h = true);
        }
        // Runs without separators of 11 or more digits.
        let mut run_start = 0;
        for i in 0..=units.len() {
            let breaks = i == units.len() || units.get(i).is_some_and(Unit::after_separator);
            if breaks {
                if i - run_start >= 11 {
                    hide.iter_mut()
                        .skip(run_start)
                        .take(i - run_start)
                        .for_each(|h| *h = true);
                }
                run_start = i;
            }
        }
        for (unit, hidden) in units.iter().zip(hide) {
            if hidden && masked.last() != Some(&(unit.start, unit.end)) {
                masked.push((unit.start, unit.end));
            }
        }
    });
    if masked.is_empty() {
        return text.to_owned();
    }
    // The ranges are the byte ranges of `char_indices`, so every slice below is on a char
    // boundary; were one not, the text would be dropped rather than echoed (a mask never
    // fails open), which is why the empty default is the right one here.
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in masked {
        if start < at {
            continue;
        }
        out.push_str(text.get(at..start).unwrap_or_default());
        out.push('*');
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_other_scripts_and_compatibility_forms_are_read() {
        let forms = [
            "15038510190",
            "１５０３８５１０１９０",
            "١٥٠٣٨٥١٠١٩٠",
            "۱۵۰۳۸۵۱۰۱۹۰",
            "१५०३८५१०१९०",
            "150385\u{200B}10190",
            "150385\u{00A0}\u{00A0}10190",
            "150385–10190",
            "(150385) 10190",
            "150385/10190",
            "150385_10190",
            "150385:10190",
            "99150385101909",
            "①⑤⓪③⑧⑤①⓪①⑨⓪",
        ];
        for form in forms {
            assert!(
                any_window(form, |d| d == &[1, 5, 0, 3, 8, 5, 1, 0, 1, 9, 0]),
                "{form}"
            );
            let masked = mask(form);
            assert!(
                !any_window(&masked, could_be_national_id),
                "{form} -> {masked}"
            );
        }
    }

    #[test]
    fn letters_end_a_stream_and_short_text_is_left_alone() {
        assert!(!any_window("150385 a 10190", |_| true));
        assert_eq!(
            mask("event 12: 2026-03-01T10:00:00Z"),
            "event 12: 2026-03-01T10:00:00Z"
        );
        assert_eq!(mask("x15038510190y"), "x***********y");
        assert_eq!(mask("150385 10190"), "****** *****");
        assert_eq!(mask("ø150385101901"), "ø************");
        // A run of 11 digits that is not an id is masked all the same; with separators it
        // is left as written.
        assert_eq!(mask("15038510191"), "***********");
        assert_eq!(mask("2026-1234 567"), "2026-1234 567");
    }

    /// Review finding: DUF numbers (12 digits) were masked only when unseparated.
    #[test]
    fn duf_numbers_are_masked_as_written_and_nothing_else() {
        for (text, masked) in [
            ("201612345678", "************"),
            ("DUF 2016 1234 5678.", "DUF **** **** ****."),
            ("DUF 2016-12345678", "DUF ****-********"),
            ("a 1999-1234-5678 b", "a ****-****-**** b"),
            ("ref 12, 2016 1234 5678", "ref **, **** **** ****"),
            ("٢٠١٦ ١٢٣٤ ٥٦٧٨", "**** **** ****"),
        ] {
            let out = mask(text);
            assert!(!any_duf(&out), "{text} -> {out}");
            assert_eq!(out, masked, "{text}");
        }
        for kept in [
            "2026-11-30 10:22",
            "at 2026-11-30 10:22:33 in case 2026/1234",
            "3016 1234 5678",
            "2016-123456789",
            "2016, 1234, 5678",
            "event 12: 2026-03-01T10:00:00Z",
        ] {
            assert_eq!(mask(kept), kept);
        }
        // A run of 14 digits is not a DUF number; it is masked as before, as a run of 11 or
        // more digits without separators.
        assert!(!any_duf("20261130102233"));
        assert!(!any_duf("2016 1234 56789"));
    }

    /// The fuzz target `redaction` found it: an id typed into the middle of another. Masking
    /// only the inner id left `15038` and `510190`, which join across the masks.
    #[test]
    fn an_id_inside_another_leaves_no_digits_that_join() {
        let text = "15038 1/5/0/3/8/5/1/0/1/9/0 510190";
        let masked = mask(text);
        assert!(!any_window(&masked, could_be_national_id), "{masked}");
        assert!(!masked.chars().any(|c| c.is_ascii_digit()), "{masked}");
    }
}
