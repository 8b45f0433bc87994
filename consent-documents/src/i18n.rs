//! Translation files: loading, validation, and the texts the renderers use.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind};
use crate::keys::Key;
use crate::pdf::fonts;
use crate::time;

/// The translation files shipped with the crate: `(file name, text)`.
const BUILTIN: &[(&str, &str)] = &[
    ("nb.toml", include_str!("../i18n/nb.toml")),
    ("nn.toml", include_str!("../i18n/nn.toml")),
    ("en.toml", include_str!("../i18n/en.toml")),
    ("ar.toml", include_str!("../i18n/ar.toml")),
    ("uk.toml", include_str!("../i18n/uk.toml")),
    ("prs.toml", include_str!("../i18n/prs.toml")),
];

/// The writing direction of a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left (Arabic, Dari).
    Rtl,
}

impl Direction {
    /// The value of the HTML `dir` attribute.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

/// One language's texts, validated: every key present, no unknown key, the right placeholders,
/// and a glyph in the embedded fonts for every character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    code: String,
    name: String,
    direction: Direction,
    reviewed: bool,
    texts: BTreeMap<Key, String>,
}

impl Language {
    /// Parses and validates one translation file.
    ///
    /// The file is TOML with a `[meta]` table (`code`, `name`, `direction` = `"ltr"` or `"rtl"`,
    /// `reviewed` = whether a qualified translator has checked it) and one table per section
    /// of keys (see `i18n/nb.toml`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTranslationFile`] for bad TOML or `[meta]`,
    /// [`ErrorKind::MissingTranslationKey`], [`ErrorKind::UnknownTranslationKey`],
    /// [`ErrorKind::PlaceholderMismatch`], and [`ErrorKind::MissingGlyph`] when a character has
    /// no glyph in the embedded PDF fonts.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidTranslationFile,
                format!("translation file is not valid TOML: {}", e.message()),
            )
        })?;
        let mut flat = BTreeMap::new();
        let mut meta = None;
        for (section, value) in table {
            match (section.as_str(), value) {
                ("meta", toml::Value::Table(t)) => meta = Some(t),
                (_, toml::Value::Table(t)) => flatten(&section, t, &mut flat)?,
                (_, _) => {
                    return Err(Error::new(
                        ErrorKind::InvalidTranslationFile,
                        format!("`{section}` must be a table of texts"),
                    ));
                }
            }
        }
        let meta = meta.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidTranslationFile,
                "translation file has no `[meta]` table",
            )
        })?;
        let code = meta_str(&meta, "code")?;
        if !valid_code(&code) {
            return Err(Error::new(
                ErrorKind::InvalidTranslationFile,
                format!(
                    "`{code}` is not a language code (2-3 lowercase letters, optionally -REGION)"
                ),
            ));
        }
        let name = meta_str(&meta, "name")?;
        let direction = match meta_str(&meta, "direction")?.as_str() {
            "ltr" => Direction::Ltr,
            "rtl" => Direction::Rtl,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidTranslationFile,
                    format!("`{code}`: direction `{other}` is neither `ltr` nor `rtl`"),
                ));
            }
        };
        let reviewed = match meta.get("reviewed") {
            Some(toml::Value::Boolean(b)) => *b,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidTranslationFile,
                    format!("`{code}`: `[meta] reviewed` must be true or false"),
                ));
            }
        };
        if let Some(extra) = meta.keys().find(|k| {
            !["code", "name", "direction", "reviewed", "translator"].contains(&k.as_str())
        }) {
            return Err(Error::new(
                ErrorKind::InvalidTranslationFile,
                format!("`{code}`: unknown `[meta]` field `{extra}`"),
            ));
        }

        let mut texts = BTreeMap::new();
        for key in Key::ALL {
            let text = flat.remove(key.name()).ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingTranslationKey,
                    format!("translation `{code}` lacks the key `{}`", key.name()),
                )
            })?;
            check_placeholders(&code, *key, &text)?;
            check_glyphs(&code, key.name(), &text)?;
            texts.insert(*key, text);
        }
        if let Some(unknown) = flat.keys().next() {
            return Err(Error::new(
                ErrorKind::UnknownTranslationKey,
                format!("translation `{code}` has the unknown key `{unknown}`"),
            ));
        }
        check_glyphs(&code, "meta.name", &name)?;
        Ok(Self {
            code,
            name,
            direction,
            reviewed,
            texts,
        })
    }

    /// The language code (`nb`, `ar`, …), as used in HTML `lang`.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The language's name in itself (`norsk bokmål`, `العربية`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its writing direction.
    #[must_use]
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Whether a qualified translator has reviewed the texts (`false` for translations the
    /// project made itself).
    #[must_use]
    pub fn reviewed(&self) -> bool {
        self.reviewed
    }

    pub(crate) fn text(&self, key: Key) -> &str {
        // Every key is present: `from_toml` is the only constructor and checks them all.
        self.texts.get(&key).map_or("", String::as_str)
    }

    /// The text of `key` with its placeholders filled in.
    pub(crate) fn fill(&self, key: Key, values: &[(&str, &str)]) -> String {
        let mut out = self.text(key).to_owned();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    pub(crate) fn month(&self, month: u32) -> &str {
        let key = match month {
            1 => Key::Month1,
            2 => Key::Month2,
            3 => Key::Month3,
            4 => Key::Month4,
            5 => Key::Month5,
            6 => Key::Month6,
            7 => Key::Month7,
            8 => Key::Month8,
            9 => Key::Month9,
            10 => Key::Month10,
            11 => Key::Month11,
            _ => Key::Month12,
        };
        self.text(key)
    }

    /// `at` as a Norwegian local date in this language ("1. mars 2026").
    pub(crate) fn date(&self, at: DateTime<Utc>) -> String {
        let local = time::local(at);
        self.fill(
            Key::DateFormat,
            &[
                ("day", &local.day.to_string()),
                ("month", self.month(local.month)),
                ("year", &local.year.to_string()),
            ],
        )
    }

    /// `at` as a Norwegian local date and time ("1. mars 2026 kl. 11:00").
    pub(crate) fn date_time(&self, at: DateTime<Utc>) -> String {
        let local = time::local(at);
        let clock = format!("{:02}:{:02}", local.hour, local.minute);
        self.fill(
            Key::DateTimeFormat,
            &[("date", &self.date(at)), ("time", &clock)],
        )
    }
}

fn flatten(
    prefix: &str,
    table: toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    for (name, value) in table {
        let key = format!("{prefix}.{name}");
        match value {
            toml::Value::String(text) => {
                if text.trim().is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidTranslationFile,
                        format!("the text of `{key}` is empty"),
                    ));
                }
                out.insert(key, text);
            }
            toml::Value::Table(inner) => flatten(&key, inner, out)?,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidTranslationFile,
                    format!("`{key}` must be a string"),
                ));
            }
        }
    }
    Ok(())
}

fn meta_str(meta: &toml::Table, field: &str) -> Result<String, Error> {
    match meta.get(field) {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(Error::new(
            ErrorKind::InvalidTranslationFile,
            format!("`[meta] {field}` must be a non-empty string"),
        )),
    }
}

fn valid_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let language = parts.next().unwrap_or_default();
    let region_ok = match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(region), None) => {
            (region.len() == 2 && region.chars().all(|c| c.is_ascii_uppercase()))
                || (region.len() == 3 && region.chars().all(|c| c.is_ascii_digit()))
        }
        (Some(_), Some(_)) => false,
    };
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && region_ok
}

/// The `{name}` placeholders of a text, in order of appearance.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                found.push(after.get(..close).unwrap_or_default());
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => {
                found.push(after);
                break;
            }
        }
    }
    found
}

fn check_placeholders(code: &str, key: Key, text: &str) -> Result<(), Error> {
    let mut used = placeholders(text);
    used.sort_unstable();
    used.dedup();
    let mut wanted = key.placeholders().to_vec();
    wanted.sort_unstable();
    if used != wanted || text.matches('{').count() != text.matches('}').count() {
        let list = |names: &[&str]| {
            if names.is_empty() {
                "none".to_owned()
            } else {
                names
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        return Err(Error::new(
            ErrorKind::PlaceholderMismatch,
            format!(
                "translation `{code}`, key `{}`: uses placeholders {} but must use {}",
                key.name(),
                list(&used),
                list(&wanted)
            ),
        ));
    }
    Ok(())
}

fn check_glyphs(code: &str, key: &str, text: &str) -> Result<(), Error> {
    if let Some(c) = text.chars().find(|c| !fonts::covers(*c)) {
        return Err(Error::new(
            ErrorKind::MissingGlyph,
            format!(
                "translation `{code}`, key `{key}`: character U+{:04X} has no glyph in the embedded fonts",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// The loaded languages, by code.
///
/// ```
/// use consent_documents::Translations;
///
/// let translations = Translations::builtin()?;
/// assert!(translations.codes().any(|code| code == "ar"));
/// let arabic = translations.get("ar")?;
/// assert_eq!(arabic.direction().as_str(), "rtl");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Translations {
    languages: BTreeMap<String, Language>,
}

impl Translations {
    /// The languages shipped with the crate: `nb`, `nn`, `en`, `ar`, `uk`, `prs`.
    ///
    /// # Errors
    ///
    /// Any error of [`Language::from_toml`] (a test keeps the shipped files valid).
    pub fn builtin() -> Result<Self, Error> {
        let mut translations = Self::default();
        for (file, text) in BUILTIN {
            let language = Language::from_toml(text)?;
            check_file_name(file, &language)?;
            translations.add(language);
        }
        Ok(translations)
    }

    /// Adds a language, replacing one with the same code (a municipality's own wording).
    pub fn add(&mut self, language: Language) {
        self.languages.insert(language.code.clone(), language);
    }

    /// Adds every `<code>.toml` file of a folder, at run time.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the folder cannot be read, any error of [`Language::from_toml`]
    /// naming the file, and [`ErrorKind::InvalidTranslationFile`] when a file's name differs
    /// from its `[meta] code`. Nothing is added unless every file is valid.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), Error> {
        let io = |e: std::io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read `{}`: {e}", dir.display()),
            )
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut loaded = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let language = Language::from_toml(&text)
                .map_err(|e| Error::new(e.kind(), format!("`{file}`: {}", e.message())))?;
            check_file_name(&file, &language)?;
            loaded.push(language);
        }
        for language in loaded {
            self.add(language);
        }
        Ok(())
    }

    /// The language with this code.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownLanguage`] if none is loaded.
    pub fn get(&self, code: &str) -> Result<&Language, Error> {
        self.languages.get(code).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownLanguage,
                format!("no translation for `{code}` is loaded"),
            )
        })
    }

    /// The codes of the loaded languages, sorted.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// The keys every translation file must have (`section.name`), for tools that help
    /// translators.
    pub fn required_keys() -> impl Iterator<Item = &'static str> {
        Key::ALL.iter().map(|k| k.name())
    }
}

fn check_file_name(file: &str, language: &Language) -> Result<(), Error> {
    if file != format!("{}.toml", language.code) {
        return Err(Error::new(
            ErrorKind::InvalidTranslationFile,
            format!(
                "`{file}` holds the language `{}`; name it `{}.toml`",
                language.code, language.code
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found() {
        assert_eq!(placeholders("a {x} b {y}{z}"), ["x", "y", "z"]);
        assert_eq!(placeholders("no braces"), Vec::<&str>::new());
        assert_eq!(placeholders("open {x"), ["x"]);
    }

    #[test]
    fn every_character_of_every_translation_file_has_a_glyph() {
        // The whole file, comments included: a translator's note in the file's script must
        // render too if it is ever shown.
        for (file, text) in BUILTIN {
            for (line, content) in text.lines().enumerate() {
                for c in content.chars() {
                    assert!(
                        fonts::covers(c),
                        "{file}:{}: U+{:04X} `{c}` has no glyph in the embedded fonts",
                        line + 1,
                        u32::from(c)
                    );
                }
            }
        }
    }

    #[test]
    fn the_shipped_files_are_named_for_their_language() {
        for (file, text) in BUILTIN {
            let language = Language::from_toml(text).unwrap();
            check_file_name(file, &language).unwrap();
        }
    }

    #[test]
    fn language_codes() {
        for good in ["nb", "prs", "en-GB", "es-419"] {
            assert!(valid_code(good), "{good}");
        }
        for bad in ["", "n", "NB", "nbno", "nb-", "nb-gb", "nb-GB-x", "../x"] {
            assert!(!valid_code(bad), "{bad}");
        }
    }
}
