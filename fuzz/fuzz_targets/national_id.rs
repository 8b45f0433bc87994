//! National id parsing: never panics; whatever it accepts is eleven ASCII digits (a national
//! id) or twelve starting with 19 or 20 (a DUF number) that it gives back unchanged, and the
//! error never echoes the input.
#![no_main]

use consent_core::{IdKind, IdOptions, NationalId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for options in [
        IdOptions::default(),
        IdOptions {
            accept_pid2032: false,
            test_mode: true,
        },
    ] {
        match NationalId::parse_with(text, options) {
            Ok(id) => {
                assert!(text.bytes().all(|b| b.is_ascii_digit()));
                if id.kind() == IdKind::Duf {
                    assert_eq!(text.len(), 12);
                    assert!(text.starts_with("19") || text.starts_with("20"));
                    assert!(!id.has_birth_date());
                } else {
                    assert_eq!(text.len(), 11);
                }
                assert_eq!(id.expose(), text);
            }
            Err(err) => {
                if text.len() == 11 || text.len() == 12 {
                    assert!(!err.message().contains(text));
                }
            }
        }
    }
});
