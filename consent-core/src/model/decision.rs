//! The answer to a disclosure request: may it, on what basis, and if not, why not.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::catalogue::{Art9, Catalogue, Code, Gates, Rule, bits};
use crate::model::{GrantId, SCHEMA_VERSION};
use crate::small::Small;

/// Why a category was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DenialReason {
    /// No statutory rule and no grant covers the category.
    NoBasis,
    /// A grant covered it, but was withdrawn before the instant.
    Withdrawn,
    /// A grant covered it, but its `valid_until` had passed.
    Expired,
    /// Special-category data, and the covering grant was not explicit consent.
    NotExplicit,
    /// A representative's grant covered it, but the subject has since come of age.
    ReconsentRequired,
    /// The subject's processing is restricted (erasure requested under an archival duty).
    Restricted,
    /// A statutory rule would cover the category, but it requires a condition (for example
    /// `serious_concern`) that the request did not assert.
    ConditionNotAsserted,
    /// A representative's grant covered it, but the representative's authority had ended.
    GrantorAuthorityEnded,
    /// The subject objected to the processing for this purpose (GDPR Art. 21), and the
    /// objection is pending or was upheld.
    Objected,
}

impl DenialReason {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialReason::NoBasis => "no_basis",
            DenialReason::Withdrawn => "withdrawn",
            DenialReason::Expired => "expired",
            DenialReason::NotExplicit => "not_explicit",
            DenialReason::ReconsentRequired => "reconsent_required",
            DenialReason::Restricted => "restricted",
            DenialReason::ConditionNotAsserted => "condition_not_asserted",
            DenialReason::GrantorAuthorityEnded => "grantor_authority_ended",
            DenialReason::Objected => "objected",
        }
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome for one category, as stored (interned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Statute(u16),
    Consent { grant: GrantId, explicit: bool },
    Denied(DenialReason),
}

/// The basis that permits one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Basis<'a> {
    /// A statutory rule of the catalogue ("hjemmel i lov").
    Statute(&'a Rule),
    /// A consent grant.
    Consent {
        /// The grant.
        grant: GrantId,
        /// Whether it was explicit consent (Art. 9(2)(a) for special categories).
        explicit: bool,
    },
}

/// The outcome for one requested category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CategoryOutcome<'a> {
    /// The category.
    pub category: &'a Code,
    /// Whether the category is special-category data.
    pub special: bool,
    /// The basis, when permitted; the denial reason otherwise.
    pub result: std::result::Result<Basis<'a>, DenialReason>,
    /// The two gates the basis passes (`None` when denied): the GDPR gate and the exception
    /// from the duty of confidentiality.
    pub gates: Option<Gates<'a>>,
    /// The asserted condition that let a conditional rule permit.
    pub condition: Option<&'a Code>,
}

/// How many category outcomes a decision holds without a heap allocation.
const INLINE: usize = 6;

/// The outcome of each requested category, in request order: inline for the common few, on
/// the heap beyond that, so a typical decision allocates nothing.
pub(crate) type Slots = Small<(u8, Slot), INLINE>;

/// The outcome of each category of `categories`, in order, from `outcome`.
pub(crate) fn slots(categories: &[u8], mut outcome: impl FnMut(u8) -> Slot) -> Slots {
    const FILLER: (u8, Slot) = (0, Slot::Denied(DenialReason::NoBasis));
    Small::map_from(FILLER, categories, |category| (category, outcome(category)))
}

/// A decision on a disclosure: permitted only when every requested category is covered.
#[derive(Clone)]
pub struct Decision {
    pub(crate) catalogue: Catalogue,
    pub(crate) at: DateTime<Utc>,
    pub(crate) recipient: u8,
    pub(crate) purpose: u8,
    /// The conditions the request asserted, as a bitset of condition ids.
    pub(crate) asserted: u64,
    pub(crate) categories: Slots,
    pub(crate) permitted: bool,
    /// The ledger position the decision was made at.
    pub(crate) as_of_seq: u64,
}

impl Decision {
    /// The ledger position the decision was made at: it reflects every event up to this
    /// sequence number, which includes every write acknowledged (in this process or another
    /// that has the ledger file open) before the decision started.
    pub fn as_of_seq(&self) -> u64 {
        self.as_of_seq
    }

    /// Whether the disclosure is permitted: every category has a basis.
    pub fn permitted(&self) -> bool {
        self.permitted
    }

    /// The instant the decision is for.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The recipient.
    pub fn recipient(&self) -> &Code {
        self.catalogue.recipient_code(self.recipient)
    }

    /// The purpose.
    pub fn purpose(&self) -> &Code {
        self.catalogue.purpose_code(self.purpose)
    }

    /// The outcome of each requested category, in request order.
    pub fn outcomes(&self) -> impl ExactSizeIterator<Item = CategoryOutcome<'_>> + '_ {
        self.categories.as_slice().iter().map(|(category, slot)| {
            let special = self.catalogue.special_mask() & (1u64 << category) != 0;
            let (result, gates, condition) = match *slot {
                // `decide` made the index from this catalogue's own rule table and checked
                // that it resolves, and the decision keeps that catalogue: the lookup holds.
                Slot::Statute(index) => match self.catalogue.rule(index) {
                    Some(rule) => (
                        Ok(Basis::Statute(rule)),
                        Some(rule_gates(rule, special)),
                        bits(rule.requires_set & self.asserted)
                            .next()
                            .map(|id| self.catalogue.condition_code(id)),
                    ),
                    None => (Err(DenialReason::NoBasis), None, None),
                },
                Slot::Consent { grant, explicit } => (
                    Ok(Basis::Consent { grant, explicit }),
                    Some(self.catalogue.consent_gates(self.purpose, special)),
                    None,
                ),
                Slot::Denied(reason) => (Err(reason), None, None),
            };
            CategoryOutcome {
                category: self.catalogue.category_code(*category),
                special,
                result,
                gates,
                condition,
            }
        })
    }

    /// The reason of the first denied category, if any.
    pub fn denial(&self) -> Option<DenialReason> {
        self.categories
            .as_slice()
            .iter()
            .find_map(|(_, slot)| match slot {
                Slot::Denied(reason) => Some(*reason),
                _ => None,
            })
    }

    /// The decision as compact JSON (`docs/json.md` describes the shape). The same document
    /// as its `Serialize` form, written directly: building it cannot fail, so there is no
    /// error to hide and no empty string.
    pub fn to_json(&self) -> String {
        let mut out = JsonText(String::with_capacity(
            128 + 96 * self.categories.as_slice().len(),
        ));
        out.raw("{\"version\":");
        out.raw(&SCHEMA_VERSION.to_string());
        out.raw(",\"permitted\":");
        out.raw(if self.permitted { "true" } else { "false" });
        out.raw(",\"at\":");
        out.string(&self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        out.raw(",\"recipient\":");
        out.string(self.recipient().as_str());
        out.raw(",\"purpose\":");
        out.string(self.purpose().as_str());
        out.raw(",\"as_of_seq\":");
        out.raw(&self.as_of_seq.to_string());
        out.raw(",\"categories\":[");
        for (i, outcome) in self.outcomes().enumerate() {
            if i > 0 {
                out.raw(",");
            }
            out.outcome(&outcome);
        }
        out.raw("]}");
        out.0
    }

    /// A one-line explanation: the basis of each category or why it was denied.
    pub fn explain(&self) -> String {
        let parts: Vec<String> = self
            .outcomes()
            .map(|o| match o.result {
                Ok(Basis::Statute(rule)) => {
                    format!("{}: {} ({})", o.category, rule.statute, rule.code)
                }
                Ok(Basis::Consent { grant, .. }) => format!("{}: consent {grant}", o.category),
                Err(reason) => format!("{}: denied, {reason}", o.category),
            })
            .collect();
        format!(
            "{} to {} for {}: {}",
            if self.permitted {
                "permitted"
            } else {
                "denied"
            },
            self.recipient(),
            self.purpose(),
            parts.join("; ")
        )
    }
}

/// Two decisions are equal when they decide the same thing the same way, whatever the ledger
/// position each was made at ([`Decision::as_of_seq`]).
impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        self.catalogue.ptr_eq(&other.catalogue)
            && self.at == other.at
            && self.recipient == other.recipient
            && self.purpose == other.purpose
            && self.asserted == other.asserted
            && self.categories == other.categories
            && self.permitted == other.permitted
    }
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}

/// The gates of a statutory rule for a category, `special` or not.
fn rule_gates(rule: &Rule, special: bool) -> Gates<'_> {
    Gates {
        art6: rule.art6,
        art9: rule.art9.filter(|_| special),
        statute: Some(&rule.statute),
        confidentiality_exception: &rule.confidentiality_exception,
        confidentiality_statute: rule.confidentiality_statute.as_deref(),
    }
}

/// JSON text written by hand: every operation appends to a `String`, which cannot fail.
struct JsonText(String);

impl JsonText {
    fn raw(&mut self, text: &str) {
        self.0.push_str(text);
    }

    fn string(&mut self, text: &str) {
        self.0.push('"');
        for c in text.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if u32::from(c) < 0x20 => {
                    self.0.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    fn optional(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.string(text),
            None => self.raw("null"),
        }
    }

    fn outcome(&mut self, outcome: &CategoryOutcome<'_>) {
        self.raw("{\"category\":");
        self.string(outcome.category.as_str());
        match (outcome.result, outcome.gates) {
            (Ok(basis), Some(gates)) => {
                self.raw(",\"permitted\":true,\"basis\":");
                self.basis(basis, &gates, outcome.condition);
            }
            (Err(reason), _) => {
                self.raw(",\"permitted\":false,\"reason\":");
                self.string(reason.as_str());
            }
            // A basis always has its gates (`Decision::outcomes`); without them nothing is
            // shown as permitted.
            (Ok(_), None) => {
                self.raw(",\"permitted\":false,\"reason\":");
                self.string(DenialReason::NoBasis.as_str());
            }
        }
        self.raw("}");
    }

    fn basis(&mut self, basis: Basis<'_>, gates: &Gates<'_>, condition: Option<&Code>) {
        match basis {
            Basis::Statute(rule) => {
                self.raw("{\"kind\":\"statute\",\"rule\":");
                self.string(rule.code.as_str());
                if let Some(condition) = condition {
                    self.raw(",\"condition\":");
                    self.string(condition.as_str());
                }
            }
            Basis::Consent { grant, explicit } => {
                self.raw("{\"kind\":\"consent\",\"grant_id\":");
                self.string(&grant.to_string());
                self.raw(",\"explicit\":");
                self.raw(if explicit { "true" } else { "false" });
            }
        }
        self.raw(",\"statute\":");
        self.optional(gates.statute);
        self.raw(",\"art6\":");
        self.string(gates.art6.as_str());
        self.raw(",\"art9\":");
        self.optional(gates.art9.map(Art9::as_str));
        self.raw(",\"confidentiality_exception\":");
        self.string(gates.confidentiality_exception.as_str());
        self.raw(",\"confidentiality_statute\":");
        self.optional(gates.confidentiality_statute);
        self.raw("}");
    }
}

struct BasisJson<'a>(Basis<'a>, Gates<'a>, Option<&'a Code>);

impl Serialize for BasisJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let gates = &self.1;
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            Basis::Statute(rule) => {
                map.serialize_entry("kind", "statute")?;
                map.serialize_entry("rule", &rule.code)?;
                if let Some(condition) = self.2 {
                    map.serialize_entry("condition", condition)?;
                }
            }
            Basis::Consent { grant, explicit } => {
                map.serialize_entry("kind", "consent")?;
                map.serialize_entry("grant_id", &grant)?;
                map.serialize_entry("explicit", &explicit)?;
            }
        }
        map.serialize_entry("statute", &gates.statute)?;
        map.serialize_entry("art6", &gates.art6)?;
        map.serialize_entry("art9", &gates.art9)?;
        map.serialize_entry("confidentiality_exception", gates.confidentiality_exception)?;
        map.serialize_entry("confidentiality_statute", &gates.confidentiality_statute)?;
        map.end()
    }
}

struct OutcomeJson<'a>(CategoryOutcome<'a>);

impl Serialize for OutcomeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("category", self.0.category)?;
        match (self.0.result, self.0.gates) {
            (Ok(basis), Some(gates)) => {
                map.serialize_entry("permitted", &true)?;
                map.serialize_entry("basis", &BasisJson(basis, gates, self.0.condition))?;
            }
            (Err(reason), _) => {
                map.serialize_entry("permitted", &false)?;
                map.serialize_entry("reason", &reason)?;
            }
            (Ok(_), None) => {
                map.serialize_entry("permitted", &false)?;
                map.serialize_entry("reason", &DenialReason::NoBasis)?;
            }
        }
        map.end()
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let outcomes: Vec<OutcomeJson<'_>> = self.outcomes().map(OutcomeJson).collect();
        let mut out = serializer.serialize_struct("Decision", 7)?;
        out.serialize_field("version", &SCHEMA_VERSION)?;
        out.serialize_field("permitted", &self.permitted)?;
        out.serialize_field("at", &self.at)?;
        out.serialize_field("recipient", self.recipient())?;
        out.serialize_field("purpose", self.purpose())?;
        out.serialize_field("as_of_seq", &self.as_of_seq)?;
        out.serialize_field("categories", &outcomes)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_strings_are_the_json_serde_writes() {
        for text in [
            "",
            "integreringsloven § 42",
            "quote \" and back\\slash",
            "line\nbreak\ttab\rreturn",
            "\u{1}\u{1f}\u{7f}",
            "ærøå عربى",
        ] {
            let mut out = JsonText(String::new());
            out.string(text);
            assert_eq!(out.0, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }
}
