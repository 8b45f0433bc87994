//! The national id check and the masking of messages (security finding 3): arbitrary text, and
//! a valid id built from the input and disguised as the input says (digits of another script,
//! separators between any digits, digits glued on either side, text around it).
//!
//! Asserts, with this target's own reading of digits (not the library's): no valid id survives
//! `redact_national_ids`; free text holding one is refused as an actor's id, as an actor's role,
//! and in an error message that echoes it; and neither ever panics. A DUF number written as UDI
//! writes one (12 digits in one group, or 4-4-4 or 4-8 with one separator) is masked whole and
//! refused likewise.
#![no_main]

use consent_core::{Actor, NationalId, control_digits, redact_national_ids};
use libfuzzer_sys::fuzz_target;

/// The zeros of the scripts the disguises use.
const ZEROS: [u32; 6] = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE];

/// What may stand between two digits of a disguised id.
const SEPARATORS: [&str; 12] = [
    "", " ", "  ", "-", "/", "_", ":", ".", "\u{00A0}", "\u{2013}", "\u{200B}", ") (",
];

/// This target's reading: digits of the scripts above, joined across spaces, ASCII punctuation
/// and the general punctuation block (dashes, zero-width and other format characters), broken
/// by anything else; whether 11 in a row are a valid id. (The library joins across more.)
fn holds_national_id(text: &str) -> bool {
    let mut streams: Vec<Vec<u8>> = vec![Vec::new()];
    for c in text.chars() {
        let code = u32::from(c);
        let digit = ZEROS
            .iter()
            .find_map(|zero| code.checked_sub(*zero).filter(|d| *d < 10));
        let joins = c.is_ascii_punctuation()
            || c.is_whitespace()
            || ('\u{2000}'..='\u{206F}').contains(&c)
            || c == '\u{FEFF}';
        match (digit, streams.last_mut()) {
            (Some(d), Some(stream)) => stream.push(u8::try_from(d).unwrap_or(0)),
            (None, _) if !joins => streams.push(Vec::new()),
            _ => {}
        }
    }
    streams.iter().any(|digits| {
        digits.windows(11).any(|window| {
            let text: String = window.iter().map(|d| char::from(b'0' + d)).collect();
            NationalId::parse(&text).is_ok()
        })
    })
}

/// A valid id from the first bytes, disguised as the following bytes say, inside the rest.
fn disguised(data: &[u8]) -> Option<String> {
    let (head, rest) = data.split_at_checked(12)?;
    let nine: String = head.iter().take(9).map(|b| char::from(b'0' + b % 10)).collect();
    let id = control_digits(&nine)?;
    NationalId::parse(&id).ok()?;
    let zero = ZEROS.get(usize::from(head.get(9)? % 6))?;
    let around: Vec<char> = String::from_utf8_lossy(rest).chars().collect();
    let (before, after) = around.split_at(around.len() / 2);
    let mut text: String = before.iter().collect();
    for (i, c) in id.chars().enumerate() {
        let pick = rest.get(i).copied().unwrap_or(0);
        if i > 0 {
            text.push_str(SEPARATORS.get(usize::from(pick % 12)).copied().unwrap_or(""));
        }
        text.push(char::from_u32(zero + c.to_digit(10)?)?);
    }
    text.extend(after.iter());
    Some(text)
}

fn check(text: &str) {
    let masked = redact_national_ids(text);
    assert!(!holds_national_id(&masked), "survived masking: {masked:?}");
    if holds_national_id(text) {
        assert!(Actor::new(text, "case_worker").is_err(), "accepted as an actor id");
        assert!(Actor::new("saksbehandler-17", text).is_err(), "accepted as a role");
    }
    if let Err(error) = Actor::new("saksbehandler-17", text) {
        assert!(!holds_national_id(error.message()), "echoed: {}", error.message());
    }
    if let Err(error) = consent_core::Code::new(text) {
        assert!(!holds_national_id(error.message()), "echoed: {}", error.message());
    }
}

/// A DUF number from the first bytes (12 digits from the year 19xx or 20xx), written as UDI
/// writes one: in one group, or 4-4-4 or 4-8 split by one separator; between words.
fn duf_written(data: &[u8]) -> Option<(String, String)> {
    let head = data.get(..12)?;
    let century = if head.get(10)? % 2 == 0 { "19" } else { "20" };
    let digits: String = head.iter().take(10).map(|b| char::from(b'0' + b % 10)).collect();
    let duf = format!("{century}{digits}");
    NationalId::parse(&duf).ok()?;
    let pick = head.get(11)?;
    let separator = ["", " ", "-", "/", "\u{00A0}"].get(usize::from(pick % 5)).copied()?;
    let (year, rest) = duf.split_at(4);
    let (middle, last) = rest.split_at(4);
    let written = match pick / 5 % 3 {
        0 => duf.clone(),
        1 => format!("{year}{separator}{middle}{separator}{last}"),
        _ => format!("{year}{separator}{rest}"),
    };
    Some((format!("DUF {written} ok"), duf))
}

fuzz_target!(|data: &[u8]| {
    check(&String::from_utf8_lossy(data));
    if let Some(text) = disguised(data) {
        assert!(holds_national_id(&text), "the harness made no id: {text:?}");
        check(&text);
    }
    // A DUF number as written is masked whole and refused in free text.
    if let Some((text, duf)) = duf_written(data) {
        let masked = redact_national_ids(&text);
        assert!(!masked.chars().any(|c| c.is_ascii_digit()), "survived masking: {masked:?}");
        assert!(Actor::new(&text, "case_worker").is_err(), "accepted as an actor id: {text:?}");
        // No group of four of its digits is echoed (the message's own text, such as
        // "0-9", may hold digits).
        let echoes = |message: &str| {
            (0..3).any(|i| duf.get(4 * i..4 * i + 4).is_some_and(|group| message.contains(group)))
        };
        match Actor::new("saksbehandler-17", &text) {
            Err(error) => assert!(!echoes(error.message()), "echoed: {}", error.message()),
            Ok(_) => panic!("accepted as a role: {text:?}"),
        }
    }
});
