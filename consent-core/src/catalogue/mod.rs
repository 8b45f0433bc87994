//! The catalogue: policy as data. Purposes, recipients, data categories, statutes, statutory
//! rules and settings, with every code interned to a small integer.

mod index;
mod parse;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result, printable};
use crate::time::Micros;
use index::CodeIndex;

/// The most purposes, recipients or categories a catalogue may hold (they are bitsets).
pub const MAX_CODES: usize = 64;

/// The largest catalogue document read: 1 MiB, far above any real catalogue (the default is a
/// few kilobytes). A larger one is refused before it is parsed.
pub const MAX_CATALOGUE_BYTES: usize = 1 << 20;

/// A catalogue code: 1 to 64 characters of `[a-z0-9_]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(Box<str>);

impl Code {
    /// Validates a code.
    ///
    /// # Errors
    /// `InvalidInput` when the code is empty, longer than 64 characters or has a character
    /// outside `[a-z0-9_]`.
    pub fn new(text: &str) -> Result<Self> {
        let valid = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Code(text.into()))
        } else {
            Err(Error::invalid(format!(
                "code `{}` must be 1 to 64 characters of a-z, 0-9 and _",
                printable(text)
            )))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Code {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Code::new(text)
    }
}

impl TryFrom<String> for Code {
    type Error = Error;
    fn try_from(text: String) -> Result<Self> {
        Code::new(&text)
    }
}

impl TryFrom<&str> for Code {
    type Error = Error;
    fn try_from(text: &str) -> Result<Self> {
        Code::new(text)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0.into()
    }
}

/// A lawful basis under GDPR Art. 6(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Art6 {
    /// (a) consent.
    #[serde(rename = "A6_1_a")]
    A,
    /// (b) contract.
    #[serde(rename = "A6_1_b")]
    B,
    /// (c) legal obligation.
    #[serde(rename = "A6_1_c")]
    C,
    /// (d) vital interests.
    #[serde(rename = "A6_1_d")]
    D,
    /// (e) public task or official authority.
    #[serde(rename = "A6_1_e")]
    E,
    /// (f) legitimate interests (not available to public authorities for their tasks).
    #[serde(rename = "A6_1_f")]
    F,
}

impl Art6 {
    /// The code, as in JSON (`A6_1_c`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Art6::A => "A6_1_a",
            Art6::B => "A6_1_b",
            Art6::C => "A6_1_c",
            Art6::D => "A6_1_d",
            Art6::E => "A6_1_e",
            Art6::F => "A6_1_f",
        }
    }
}

/// A condition under GDPR Art. 9(2) for special-category data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[expect(
    missing_docs,
    reason = "the variants are the letters of Art. 9(2), documented on the type"
)]
pub enum Art9 {
    #[serde(rename = "A9_2_a")]
    A,
    #[serde(rename = "A9_2_b")]
    B,
    #[serde(rename = "A9_2_c")]
    C,
    #[serde(rename = "A9_2_d")]
    D,
    #[serde(rename = "A9_2_e")]
    E,
    #[serde(rename = "A9_2_f")]
    F,
    #[serde(rename = "A9_2_g")]
    G,
    #[serde(rename = "A9_2_h")]
    H,
    #[serde(rename = "A9_2_i")]
    I,
    #[serde(rename = "A9_2_j")]
    J,
}

impl Art9 {
    /// The code, as in JSON (`A9_2_a`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Art9::A => "A9_2_a",
            Art9::B => "A9_2_b",
            Art9::C => "A9_2_c",
            Art9::D => "A9_2_d",
            Art9::E => "A9_2_e",
            Art9::F => "A9_2_f",
            Art9::G => "A9_2_g",
            Art9::H => "A9_2_h",
            Art9::I => "A9_2_i",
            Art9::J => "A9_2_j",
        }
    }
}

/// The catalogue's settings: age thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Age from which a person may consent alone to ordinary categories.
    pub self_consent_age: u32,
    /// Age from which a person may consent alone to special categories.
    pub self_consent_age_special: u32,
    /// Age at which a representative's grant lapses.
    pub representative_until_age: u32,
    /// Statistics suppress every count from 1 to one below this (small cells identify people).
    #[serde(default = "default_min_cell")]
    pub statistics_min_cell: u32,
}

fn default_min_cell() -> u32 {
    5
}

/// A purpose or recipient entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The code.
    pub code: Code,
    /// A human-readable name.
    pub name: String,
}

/// A data category entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The code.
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    /// Whether the category is special-category data under GDPR Art. 9.
    pub special: bool,
}

/// A statute reference ("hjemmel i lov").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statute {
    /// The code.
    pub code: Code,
    /// The citation, for example `integreringsloven § 43`.
    pub title: String,
    /// The Lovdata identifier, for example `LOV-2020-11-06-127`.
    pub lovdata_id: Option<String>,
    pub(crate) valid_from: Micros,
    pub(crate) valid_to: Option<Micros>,
}

/// A statutory rule: a recipient may receive these categories for these purposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule's code.
    pub code: Code,
    /// The statutes cited, joined for display (`integreringsloven § 41, forvaltningsloven …`).
    pub statute: String,
    /// The Art. 6(1) basis.
    pub art6: Art6,
    /// The Art. 9(2) condition, which a rule needs to cover special categories.
    pub art9: Option<Art9>,
    /// The exception from confidentiality (for example `special_statute`, `fvl_13b_3`).
    pub confidentiality_exception: Code,
    /// Whether an archival or legal duty keeps the records of subjects disclosed under this
    /// rule: their erasure request becomes a restriction (GDPR Art. 17(3), arkivlova).
    pub archival_duty: bool,
    /// Whether a restriction also stops disclosures under this rule (normally a statutory
    /// duty is unaffected by a restriction).
    pub restriction_applies: bool,
    pub(crate) recipient: u8,
    pub(crate) purposes: u64,
    pub(crate) categories: u64,
    pub(crate) valid_from: Micros,
    pub(crate) valid_to: Option<Micros>,
}

/// What a decision tests of a rule, copied next to the other rules of its (recipient,
/// purpose) so the statute path reads one small array and no `Rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuleRef {
    pub(crate) categories: u64,
    pub(crate) valid_from: Micros,
    /// `Micros::MAX` for a rule without an end.
    pub(crate) valid_to: Micros,
    /// The rule's position in the catalogue.
    pub(crate) index: u16,
    /// Whether the rule has an Art. 9(2) condition (it may cover special categories).
    pub(crate) art9: bool,
    pub(crate) restriction_applies: bool,
}

impl RuleRef {
    pub(crate) fn new(index: u16, rule: &Rule) -> RuleRef {
        RuleRef {
            categories: rule.categories,
            valid_from: rule.valid_from,
            valid_to: rule.valid_to.unwrap_or(Micros::MAX),
            index,
            art9: rule.art9.is_some(),
            restriction_applies: rule.restriction_applies,
        }
    }

    /// Whether the rule is in force at `at`. `valid_to` is never `Micros::MAX` for a rule that has an end,
    /// since instants are limited to the years 1850-9999.
    pub(crate) fn valid_at(&self, at: Micros) -> bool {
        self.valid_from <= at && at < self.valid_to
    }
}

/// A validated catalogue. Cheap to clone (shared).
#[derive(Clone)]
pub struct Catalogue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    version: String,
    digest: String,
    settings: Settings,
    purposes: Vec<Entry>,
    recipients: Vec<Entry>,
    categories: Vec<Category>,
    statutes: Vec<Statute>,
    rules: Vec<Rule>,
    notices: Vec<(String, String)>,
    purpose_index: CodeIndex,
    recipient_index: CodeIndex,
    category_index: CodeIndex,
    special_mask: u64,
    /// The rules per (recipient, purpose), in catalogue order:
    /// `rule_table[recipient * purposes + purpose]`.
    rule_table: Vec<Vec<RuleRef>>,
}

impl fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalogue")
            .field("version", &self.inner.version)
            .field("purposes", &self.inner.purposes.len())
            .field("recipients", &self.inner.recipients.len())
            .field("categories", &self.inner.categories.len())
            .field("rules", &self.inner.rules.len())
            .finish()
    }
}

const EMBEDDED_TOML: &str = include_str!("default.toml");

impl Catalogue {
    /// Loads and validates a catalogue from its TOML text.
    ///
    /// # Errors
    /// `InvalidCatalogue` naming the first problem: a TOML syntax error, a duplicate or
    /// malformed code, a rule naming an unknown code, a special category in a rule without an
    /// Art. 9 condition, an end before a start, or more than 64 codes of one kind.
    pub fn from_toml(text: &str) -> Result<Self> {
        if text.len() > MAX_CATALOGUE_BYTES {
            return Err(Error::new(
                ErrorCode::InvalidCatalogue,
                format!("the catalogue is larger than {MAX_CATALOGUE_BYTES} bytes"),
            ));
        }
        parse::parse(text)
    }

    /// The default catalogue of the settlement and introduction domain (`docs/catalogue.md`).
    pub fn embedded() -> Self {
        static EMBEDDED: OnceLock<Catalogue> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                // The embedded document is validated by a unit test; should it ever fail, the
                // result is an empty catalogue, which denies everything (fail closed).
                Catalogue::from_toml(EMBEDDED_TOML).unwrap_or_else(|_| parse::empty())
            })
            .clone()
    }

    /// The TOML text of the default catalogue.
    pub fn embedded_toml() -> &'static str {
        EMBEDDED_TOML
    }

    /// The catalogue's own version string.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// SHA-256 of the catalogue's TOML text, hex; recorded in the ledger's metadata.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The purposes, in catalogue order.
    pub fn purposes(&self) -> &[Entry] {
        &self.inner.purposes
    }

    /// The recipients, in catalogue order.
    pub fn recipients(&self) -> &[Entry] {
        &self.inner.recipients
    }

    /// The data categories, in catalogue order.
    pub fn categories(&self) -> &[Category] {
        &self.inner.categories
    }

    /// The statutes, in catalogue order.
    pub fn statutes(&self) -> &[Statute] {
        &self.inner.statutes
    }

    /// The statutory rules, in catalogue order.
    pub fn rules(&self) -> &[Rule] {
        &self.inner.rules
    }

    /// The current version of a privacy notice, when the catalogue lists it.
    pub fn current_notice_version(&self, id: &str) -> Option<&str> {
        self.inner
            .notices
            .iter()
            .find(|(notice, _)| notice == id)
            .map(|(_, version)| version.as_str())
    }

    /// Whether a grant given under notice `id` at `version` was given under a version older
    /// than the catalogue's current one (a notice the catalogue does not list is not).
    pub fn notice_superseded(&self, id: &str, version: &str) -> bool {
        self.current_notice_version(id)
            .is_some_and(|current| current != version)
    }

    /// The recipient a rule applies to.
    pub fn rule_recipient(&self, rule: &Rule) -> &Code {
        self.recipient_code(rule.recipient)
    }

    /// The purposes a rule covers.
    pub fn rule_purposes(&self, rule: &Rule) -> Vec<&Code> {
        bits(rule.purposes).map(|i| self.purpose_code(i)).collect()
    }

    /// The categories a rule covers.
    pub fn rule_categories(&self, rule: &Rule) -> Vec<&Code> {
        bits(rule.categories)
            .map(|i| self.category_code(i))
            .collect()
    }

    #[inline]
    pub(crate) fn purpose_id(&self, code: &str) -> Result<u8> {
        match self.inner.purpose_index.get(code) {
            Some(id) => Ok(id),
            None => Err(unknown_code("purpose", code)),
        }
    }

    #[inline]
    pub(crate) fn recipient_id(&self, code: &str) -> Result<u8> {
        match self.inner.recipient_index.get(code) {
            Some(id) => Ok(id),
            None => Err(unknown_code("recipient", code)),
        }
    }

    #[inline]
    pub(crate) fn category_id(&self, code: &str) -> Result<u8> {
        match self.inner.category_index.get(code) {
            Some(id) => Ok(id),
            None => Err(unknown_code("category", code)),
        }
    }

    /// A bitset of category codes; duplicates are an error.
    pub(crate) fn category_set<S: AsRef<str>>(&self, codes: &[S]) -> Result<u64> {
        code_set(codes, "category", |c| self.category_id(c))
    }

    pub(crate) fn purpose_set<S: AsRef<str>>(&self, codes: &[S]) -> Result<u64> {
        code_set(codes, "purpose", |c| self.purpose_id(c))
    }

    pub(crate) fn recipient_set<S: AsRef<str>>(&self, codes: &[S]) -> Result<u64> {
        code_set(codes, "recipient", |c| self.recipient_id(c))
    }

    pub(crate) fn special_mask(&self) -> u64 {
        self.inner.special_mask
    }

    pub(crate) fn purpose_code(&self, id: u8) -> &Code {
        entry_code(&self.inner.purposes, id)
    }

    pub(crate) fn recipient_code(&self, id: u8) -> &Code {
        entry_code(&self.inner.recipients, id)
    }

    pub(crate) fn category_code(&self, id: u8) -> &Code {
        self.inner
            .categories
            .get(usize::from(id))
            .map(|c| &c.code)
            .unwrap_or_else(|| unknown())
    }

    pub(crate) fn rule(&self, index: u16) -> Option<&Rule> {
        self.inner.rules.get(usize::from(index))
    }

    /// The rules for one recipient and purpose.
    pub(crate) fn rules_for(&self, recipient: u8, purpose: u8) -> &[RuleRef] {
        let width = self.inner.purposes.len();
        self.inner
            .rule_table
            .get(usize::from(recipient) * width + usize::from(purpose))
            .map_or(&[], Vec::as_slice)
    }

    /// Codes of a bitset, in catalogue order.
    pub(crate) fn category_codes(&self, set: u64) -> Vec<Code> {
        bits(set).map(|i| self.category_code(i).clone()).collect()
    }

    pub(crate) fn purpose_codes(&self, set: u64) -> Vec<Code> {
        bits(set).map(|i| self.purpose_code(i).clone()).collect()
    }

    pub(crate) fn recipient_codes(&self, set: u64) -> Vec<Code> {
        bits(set).map(|i| self.recipient_code(i).clone()).collect()
    }

    pub(crate) fn ptr_eq(&self, other: &Catalogue) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

#[cold]
#[inline(never)]
fn unknown_code(kind: &str, code: &str) -> Error {
    Error::unknown_code(kind, code)
}

/// The code shown for an id this catalogue never issued. Ids reach these lookups only from
/// this catalogue's own interning (a decision keeps the catalogue it was made with), so it is
/// never shown; were it ever, it names no purpose, recipient or category and permits nothing.
fn unknown() -> &'static Code {
    static UNKNOWN: OnceLock<Code> = OnceLock::new();
    UNKNOWN.get_or_init(|| Code("unknown".into()))
}

fn entry_code(entries: &[Entry], id: u8) -> &Code {
    entries
        .get(usize::from(id))
        .map(|e| &e.code)
        .unwrap_or_else(|| unknown())
}

fn code_set<S: AsRef<str>>(
    codes: &[S],
    kind: &str,
    lookup: impl Fn(&str) -> Result<u8>,
) -> Result<u64> {
    let mut set = 0u64;
    for code in codes {
        let code = code.as_ref();
        let bit = 1u64 << lookup(code)?;
        if set & bit != 0 {
            return Err(Error::invalid(format!(
                "{kind} `{}` is listed twice",
                printable(code)
            )));
        }
        set |= bit;
    }
    Ok(set)
}

/// The indices of the set bits, lowest first.
pub(crate) fn bits(mut set: u64) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let index = set.trailing_zeros();
        set &= set - 1;
        u8::try_from(index).ok()
    })
}

#[cfg(test)]
mod tests;
