//! The answer to a disclosure request: may it, on what basis, and if not, why not.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::catalogue::{Art6, Art9, Catalogue, Code, Rule};
use crate::model::{GrantId, SCHEMA_VERSION};

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
pub struct CategoryOutcome<'a> {
    /// The category.
    pub category: &'a Code,
    /// Whether the category is special-category data.
    pub special: bool,
    /// The basis, when permitted; the denial reason otherwise.
    pub result: std::result::Result<Basis<'a>, DenialReason>,
}

/// How many category outcomes a decision holds without a heap allocation.
const INLINE: usize = 6;

/// The outcome of each requested category, in request order: inline for the common few, on
/// the heap beyond that, so a typical decision allocates nothing.
#[derive(Debug, Clone)]
pub(crate) enum Slots {
    Inline {
        len: u8,
        items: [(u8, Slot); INLINE],
    },
    Heap(Vec<(u8, Slot)>),
}

impl Slots {
    const FILLER: (u8, Slot) = (0, Slot::Denied(DenialReason::NoBasis));

    /// The outcome of each category, in order, from `outcome`.
    pub(crate) fn build(categories: &[u8], mut outcome: impl FnMut(u8) -> Slot) -> Slots {
        match u8::try_from(categories.len()) {
            Ok(len) if usize::from(len) <= INLINE => {
                let mut items = [Self::FILLER; INLINE];
                for (item, &category) in items.iter_mut().zip(categories) {
                    *item = (category, outcome(category));
                }
                Slots::Inline { len, items }
            }
            _ => Slots::Heap(categories.iter().map(|&c| (c, outcome(c))).collect()),
        }
    }

    pub(crate) fn as_slice(&self) -> &[(u8, Slot)] {
        match self {
            Slots::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or_default(),
            Slots::Heap(items) => items,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [(u8, Slot)] {
        match self {
            Slots::Inline { len, items } => items.get_mut(..usize::from(*len)).unwrap_or_default(),
            Slots::Heap(items) => items,
        }
    }
}

impl PartialEq for Slots {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A decision on a disclosure: permitted only when every requested category is covered.
#[derive(Clone)]
pub struct Decision {
    pub(crate) catalogue: Catalogue,
    pub(crate) at: DateTime<Utc>,
    pub(crate) recipient: u8,
    pub(crate) purpose: u8,
    pub(crate) categories: Slots,
    pub(crate) permitted: bool,
}

impl Decision {
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
            let result = match *slot {
                Slot::Statute(index) => match self.catalogue.rule(index) {
                    Some(rule) => Ok(Basis::Statute(rule)),
                    None => Err(DenialReason::NoBasis),
                },
                Slot::Consent { grant, explicit } => Ok(Basis::Consent { grant, explicit }),
                Slot::Denied(reason) => Err(reason),
            };
            CategoryOutcome {
                category: self.catalogue.category_code(*category),
                special: self.catalogue.special_mask() & (1u64 << category) != 0,
                result,
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

    /// The decision as JSON (the shape of DESIGN.md section 5 and the README).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
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

impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        self.catalogue.ptr_eq(&other.catalogue)
            && self.at == other.at
            && self.recipient == other.recipient
            && self.purpose == other.purpose
            && self.categories == other.categories
            && self.permitted == other.permitted
    }
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}

struct BasisJson<'a>(Basis<'a>, bool);

impl Serialize for BasisJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            Basis::Statute(rule) => {
                map.serialize_entry("kind", "statute")?;
                map.serialize_entry("rule", &rule.code)?;
                map.serialize_entry("statute", &rule.statute)?;
                map.serialize_entry("art6", &rule.art6)?;
                map.serialize_entry("art9", &rule.art9.filter(|_| self.1))?;
                map.serialize_entry("confidentiality_exception", &rule.confidentiality_exception)?;
            }
            Basis::Consent { grant, explicit } => {
                map.serialize_entry("kind", "consent")?;
                map.serialize_entry("grant_id", &grant)?;
                map.serialize_entry("explicit", &explicit)?;
                map.serialize_entry("art6", &Art6::A)?;
                map.serialize_entry("art9", &(self.1 && explicit).then_some(Art9::A))?;
                map.serialize_entry("confidentiality_exception", "fvl_13a_1")?;
            }
        }
        map.end()
    }
}

struct OutcomeJson<'a>(CategoryOutcome<'a>);

impl Serialize for OutcomeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("category", self.0.category)?;
        match self.0.result {
            Ok(basis) => {
                map.serialize_entry("permitted", &true)?;
                map.serialize_entry("basis", &BasisJson(basis, self.0.special))?;
            }
            Err(reason) => {
                map.serialize_entry("permitted", &false)?;
                map.serialize_entry("reason", &reason)?;
            }
        }
        map.end()
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let outcomes: Vec<OutcomeJson<'_>> = self.outcomes().map(OutcomeJson).collect();
        let mut out = serializer.serialize_struct("Decision", 6)?;
        out.serialize_field("version", &SCHEMA_VERSION)?;
        out.serialize_field("permitted", &self.permitted)?;
        out.serialize_field("at", &self.at)?;
        out.serialize_field("recipient", self.recipient())?;
        out.serialize_field("purpose", self.purpose())?;
        out.serialize_field("categories", &outcomes)?;
        out.end()
    }
}
