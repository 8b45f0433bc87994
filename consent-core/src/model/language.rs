//! Language codes an evidence record may name: ISO 639-1 (`ar`, `uk`, `nb`) and ISO 639-3
//! (`prs` for Dari, `kmr` for Kurmanji, `ckb` for Sorani, `tir` for Tigrinya), from the code
//! tables of the registration authority (`consent-core/data/iso639.txt`,
//! `scripts/gen-iso639.sh`).

use std::cmp::Ordering;

const TABLE: &str = include_str!("../../data/iso639.txt");

/// The table's codes: one per line, sorted bytewise, after the `#` header lines.
fn body() -> &'static [u8] {
    let mut rest = TABLE;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest.as_bytes()
}

/// Whether `code` is an ISO 639-1 or ISO 639-3 language code (lowercase).
///
/// A binary search over the embedded sorted lines, in place: no table is built, so nothing
/// is allocated (a process-lifetime table would show up as memory still in use at exit in
/// the C library's leak checks).
pub(crate) fn is_language_code(code: &str) -> bool {
    let lines = body();
    let needle = code.as_bytes();
    // `lo` and `hi` are line starts (or the end); the lines in between are still candidates.
    let (mut lo, mut hi) = (0, lines.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = lines
            .get(lo..mid)
            .and_then(|before| before.iter().rposition(|&b| b == b'\n'))
            .map_or(lo, |p| lo + p + 1);
        let end = lines
            .get(start..hi)
            .and_then(|after| after.iter().position(|&b| b == b'\n'))
            .map_or(hi, |p| start + p);
        let Some(line) = lines.get(start..end) else {
            return false;
        };
        match line.cmp(needle) {
            Ordering::Equal => return !line.is_empty(),
            Ordering::Less => lo = (end + 1).min(hi),
            Ordering::Greater => hi = start,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_languages_of_the_people_served_are_codes_and_inventions_are_not() {
        for code in [
            "ar", "ti", "tir", "uk", "prs", "kmr", "ckb", "so", "nb", "nn", "en", "fa",
        ] {
            assert!(is_language_code(code), "{code}");
        }
        for code in ["xx", "zz", "abcd", "", "AR", "a"] {
            assert!(!is_language_code(code), "{code}");
        }
        // Every line of the table is found, and the table is sorted (the search relies on it).
        let codes: Vec<&str> = std::str::from_utf8(body()).unwrap().lines().collect();
        assert!(codes.len() > 8000);
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "the table is not sorted"
        );
        assert!(codes.iter().all(|code| is_language_code(code)));
    }
}
