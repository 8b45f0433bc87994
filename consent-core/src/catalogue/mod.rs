//! The catalogue: policy as data. Purposes, recipients, data categories, statutes, statutory
//! rules and settings, with every code interned to a small integer.

pub(crate) mod adoption;
mod advice;
mod controller;
mod entries;
mod index;
mod parse;
mod roles;

pub(crate) use adoption::Catalogues;
pub use advice::Advice;
pub use controller::{Contact, Controller, parse_org_number};
pub(crate) use entries::RuleRef;
pub use entries::{
    Art6, Art9, Category, Condition, ConsentRole, Exception, NoticeEntry, Period, Purpose,
    Recipient, Retention, Rule, Settings, Statute,
};
pub use roles::{Operation, Role};

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

    /// `fvl_13a_1`: the exception from confidentiality a consent gives (forvaltningsloven
    /// § 13 a nr. 1) where the catalogue names no other.
    pub(crate) fn fvl_13a_1() -> Code {
        consent_exception_code().clone()
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

/// A validated catalogue. Cheap to clone (shared).
#[derive(Clone)]
pub struct Catalogue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The document's format: 1 (version 0.1) or 2.
    format: u32,
    version: String,
    digest: String,
    /// The TOML text it was parsed from: a ledger records it when it adopts the catalogue.
    text: Box<str>,
    settings: Settings,
    purposes: Vec<Purpose>,
    recipients: Vec<Recipient>,
    categories: Vec<Category>,
    statutes: Vec<Statute>,
    exceptions: Vec<Exception>,
    conditions: Vec<Condition>,
    rules: Vec<Rule>,
    notices: Vec<NoticeEntry>,
    /// The data controller, when the document declares one (`[controller]`).
    controller: Option<Controller>,
    /// The roles and what each may do (the default roles when the document declares none).
    roles: Vec<Role>,
    /// Whether the document declares its roles (`[[role]]`).
    roles_declared: bool,
    purpose_index: CodeIndex,
    recipient_index: CodeIndex,
    category_index: CodeIndex,
    condition_index: CodeIndex,
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

    /// The format of the catalogue's document: 1 (written for version 0.1, read with the
    /// meanings it had then) or 2.
    pub fn format(&self) -> u32 {
        self.inner.format
    }

    /// SHA-256 of the catalogue's TOML text, hex; recorded in the ledger's metadata.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// The TOML text the catalogue was parsed from, as a ledger records it when it adopts the
    /// catalogue ([`Ledger::adopt_catalogue`](crate::Ledger::adopt_catalogue)).
    pub fn toml(&self) -> &str {
        &self.inner.text
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The roles, each with the operations it may perform. A catalogue that declares no
    /// `[[role]]` (one written before roles existed, such as a 0.1 catalogue) has the default
    /// catalogue's roles.
    pub fn roles(&self) -> &[Role] {
        &self.inner.roles
    }

    /// The role with this code, if the catalogue has it.
    pub fn role(&self, code: &str) -> Option<&Role> {
        self.inner.roles.iter().find(|r| r.code.as_str() == code)
    }

    /// Whether the document declares its roles; `false`: it has the default roles.
    pub fn declares_roles(&self) -> bool {
        self.inner.roles_declared
    }

    /// The purposes, in catalogue order.
    pub fn purposes(&self) -> &[Purpose] {
        &self.inner.purposes
    }

    /// The recipients, in catalogue order.
    pub fn recipients(&self) -> &[Recipient] {
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

    /// The exceptions from confidentiality the catalogue declares (format 2), in catalogue order.
    pub fn exceptions(&self) -> &[Exception] {
        &self.inner.exceptions
    }

    /// The conditions rules may require, in catalogue order.
    pub fn conditions(&self) -> &[Condition] {
        &self.inner.conditions
    }

    /// The data controller (behandlingsansvarlig), its unit and how to reach the unit and the
    /// data protection officer, when the catalogue declares them (`[controller]`, format 2):
    /// the privacy notice, the record of processing and the access letter print them.
    pub fn controller(&self) -> Option<&Controller> {
        self.inner.controller.as_ref()
    }

    /// The privacy notices in use.
    pub fn notices(&self) -> &[NoticeEntry] {
        &self.inner.notices
    }

    /// The current version of a privacy notice, when the catalogue lists it.
    pub fn current_notice_version(&self, id: &str) -> Option<&str> {
        self.inner
            .notices
            .iter()
            .find(|notice| notice.id == id)
            .map(|notice| notice.version.as_str())
    }

    /// Whether a grant may name notice `id` at `version`: a format-2 catalogue lists every
    /// notice and version it accepts; a format-1 catalogue accepts any, as 0.1 did.
    pub fn notice_accepted(&self, id: &str, version: &str) -> bool {
        if self.inner.format < 2 {
            return true;
        }
        self.inner
            .notices
            .iter()
            .any(|n| n.id == id && (n.version == version || n.earlier.iter().any(|e| e == version)))
    }

    /// The exception the catalogue declares under `code`.
    pub fn exception(&self, code: &str) -> Option<&Exception> {
        self.inner
            .exceptions
            .iter()
            .find(|e| e.code.as_str() == code)
    }

    /// The GDPR and confidentiality gates of a consent for `purpose` covering a category,
    /// `special` or not. Consent that waives confidentiality names the purpose's statutory
    /// basis; consent that is the basis names Art. 6(1)(a), and Art. 9(2)(a) for a special
    /// category (explicit consent is what admits it).
    pub(crate) fn consent_gates(&self, purpose: u8, special: bool) -> Gates<'_> {
        let entry = self.inner.purposes.get(usize::from(purpose));
        let exception = match entry {
            Some(p) => &p.consent_exception,
            None => consent_exception_code(),
        };
        let confidentiality_statute = self
            .exception(exception.as_str())
            .and_then(|e| e.statute.as_deref());
        match entry {
            Some(p) if p.consent_role == ConsentRole::ConfidentialityWaiver => Gates {
                art6: p.art6.unwrap_or(Art6::A),
                art9: special.then(|| p.art9.unwrap_or(Art9::A)),
                statute: p.statute.as_deref(),
                confidentiality_exception: exception,
                confidentiality_statute,
            },
            _ => Gates {
                art6: Art6::A,
                art9: special.then_some(Art9::A),
                statute: None,
                confidentiality_exception: exception,
                confidentiality_statute,
            },
        }
    }

    /// Whether the person may object (GDPR Art. 21(1)) to processing for `purpose`: a rule
    /// for it, or a consent that only waives confidentiality for it, rests on Art. 6(1)(e).
    pub(crate) fn objectable(&self, purpose: u8) -> bool {
        let bit = 1u64 << purpose;
        let by_rule = self
            .rules()
            .iter()
            .any(|r| r.purposes & bit != 0 && r.art6 == Art6::E);
        let by_consent = self
            .inner
            .purposes
            .get(usize::from(purpose))
            .is_some_and(|p| {
                p.consent_role == ConsentRole::ConfidentialityWaiver && p.art6 == Some(Art6::E)
            });
        by_rule || by_consent
    }

    /// A purpose's consent role (`Basis` for an id the catalogue never issued).
    pub(crate) fn consent_role(&self, purpose: u8) -> ConsentRole {
        self.inner
            .purposes
            .get(usize::from(purpose))
            .map_or(ConsentRole::Basis, |p| p.consent_role)
    }

    /// The first unconditional statutory rule valid at `at` that already covers one of the
    /// combinations of `purposes` × `recipients` × `categories` (a special category only
    /// through a rule with an Art. 9(2) condition): consent is not asked where the law is the
    /// basis.
    pub(crate) fn statute_covers(
        &self,
        purposes: u64,
        recipients: u64,
        categories: u64,
        at: Micros,
    ) -> Option<Cover<'_>> {
        for recipient in bits(recipients) {
            for purpose in bits(purposes) {
                for rule in self.rules_for(recipient, purpose) {
                    if rule.requires != 0 || !rule.valid_at(at) {
                        continue;
                    }
                    let usable = if rule.art9 {
                        rule.categories
                    } else {
                        rule.categories & !self.inner.special_mask
                    };
                    if let Some(category) = bits(usable & categories).next() {
                        return Some(Cover {
                            rule: self.rule(rule.index)?,
                            purpose: self.purpose_code(purpose),
                            recipient: self.recipient_code(recipient),
                            category: self.category_code(category),
                        });
                    }
                }
            }
        }
        None
    }

    /// The first code in the sets that is retired at `at`, with its kind.
    pub(crate) fn retired(
        &self,
        purposes: u64,
        recipients: u64,
        categories: u64,
        at: Micros,
    ) -> Option<(&'static str, &Code)> {
        let gone = |from: Option<Micros>| from.is_some_and(|from| from <= at);
        if let Some(p) = bits(purposes)
            .filter_map(|i| self.inner.purposes.get(usize::from(i)))
            .find(|p| gone(p.retired_from))
        {
            return Some(("purpose", &p.code));
        }
        if let Some(r) = bits(recipients)
            .filter_map(|i| self.inner.recipients.get(usize::from(i)))
            .find(|r| gone(r.retired_from))
        {
            return Some(("recipient", &r.code));
        }
        bits(categories)
            .filter_map(|i| self.inner.categories.get(usize::from(i)))
            .find(|c| gone(c.retired_from))
            .map(|c| ("category", &c.code))
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

    /// A condition's id.
    pub(crate) fn condition_id(&self, code: &str) -> Result<u8> {
        match self.inner.condition_index.get(code) {
            Some(id) => Ok(id),
            None => Err(unknown_code("condition", code)),
        }
    }

    pub(crate) fn condition_code(&self, id: u8) -> &Code {
        self.inner
            .conditions
            .get(usize::from(id))
            .map(|c| &c.code)
            .unwrap_or_else(|| unknown())
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

/// A combination a statutory rule covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cover<'a> {
    pub rule: &'a Rule,
    pub purpose: &'a Code,
    pub recipient: &'a Code,
    pub category: &'a Code,
}

/// `fvl_13a_1`: the exception a consent gives where a purpose names none.
fn consent_exception_code() -> &'static Code {
    static FVL_13A_1: OnceLock<Code> = OnceLock::new();
    FVL_13A_1.get_or_init(|| Code("fvl_13a_1".into()))
}

/// The two gates a basis passes: the GDPR gate (Art. 6(1), Art. 9(2) for a special category,
/// and the statute Art. 6(3) needs) and the exception from the duty of confidentiality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gates<'a> {
    /// The Art. 6(1) basis.
    pub art6: Art6,
    /// The Art. 9(2) condition, for a special category.
    pub art9: Option<Art9>,
    /// The statute the processing rests on (`None` when consent is the basis).
    pub statute: Option<&'a str>,
    /// The exception from confidentiality.
    pub confidentiality_exception: &'a Code,
    /// The statute behind that exception, when the catalogue names one.
    pub confidentiality_statute: Option<&'a str>,
}

/// Anything that has a code (the entries of a catalogue).
trait Coded {
    fn code(&self) -> &Code;
}

impl Coded for Purpose {
    fn code(&self) -> &Code {
        &self.code
    }
}

impl Coded for Recipient {
    fn code(&self) -> &Code {
        &self.code
    }
}

fn entry_code<E: Coded>(entries: &[E], id: u8) -> &Code {
    entries
        .get(usize::from(id))
        .map(Coded::code)
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
