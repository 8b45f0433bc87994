//! Language codes an evidence record may name: ISO 639-1 (`ar`, `uk`, `nb`) and ISO 639-3
//! (`prs` for Dari, `kmr` for Kurmanji, `ckb` for Sorani, `tir` for Tigrinya), from the code
//! tables of the registration authority (`consent-core/data/iso639.txt`,
//! `scripts/gen-iso639.sh`).

use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/iso639.txt");

fn codes() -> &'static [&'static str] {
    static CODES: OnceLock<Vec<&'static str>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut codes: Vec<&'static str> = TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .collect();
        codes.sort_unstable();
        codes
    })
}

/// Whether `code` is an ISO 639-1 or ISO 639-3 language code (lowercase).
pub(crate) fn is_language_code(code: &str) -> bool {
    codes().binary_search(&code).is_ok()
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
        assert!(codes().len() > 8000);
    }
}
