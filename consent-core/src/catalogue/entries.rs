//! The entries of a catalogue: the GDPR bases, the settings, purposes, recipients, categories,
//! statutes, confidentiality exceptions, conditions, notices and statutory rules.

use serde::{Deserialize, Serialize};

use super::Code;
use crate::time::Micros;

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

/// What a person's consent does for a purpose.
///
/// In a municipality, processing usually rests on law (GDPR Art. 6(1)(c) or (e) with a statute,
/// Art. 6(3)), and the person's consent lifts the duty of confidentiality so that a partner may
/// receive the data: a `ConfidentialityWaiver`. Only where no statute covers the processing is
/// consent itself the GDPR basis (Art. 6(1)(a), and Art. 9(2)(a) for special categories): a
/// `Basis`. A version-1 catalogue has no such field and reads as `Basis`, as 0.1 reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentRole {
    /// Consent lifts confidentiality; the GDPR basis is the purpose's statute.
    ConfidentialityWaiver,
    /// Consent is the GDPR basis.
    Basis,
}

/// How long the records of a purpose are kept before kassasjon (arkivlova 2025 § 5 and the
/// municipality's approved bevarings- og kassasjonsplan), counted from the end of the subject's
/// last case event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retention {
    /// Kept this many years, then due for kassasjon.
    Years(u32),
    /// Kept for good (bevares): never due for kassasjon.
    Permanent,
}

impl Retention {
    /// Years, or `None` for permanent.
    pub fn years(self) -> Option<u32> {
        match self {
            Retention::Years(years) => Some(years),
            Retention::Permanent => None,
        }
    }
}

impl Serialize for Retention {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Retention::Years(years) => serializer.serialize_u32(*years),
            Retention::Permanent => serializer.serialize_str("permanent"),
        }
    }
}

impl ConsentRole {
    /// The snake_case name, as in the catalogue and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentRole::ConfidentialityWaiver => "confidentiality_waiver",
            ConsentRole::Basis => "basis",
        }
    }
}

/// The fixed periods statistics are counted in (Norwegian local time), so that no two answers
/// overlap and none can be subtracted from another to single a person out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Period {
    /// Calendar months (`2026-03`).
    Month,
    /// Calendar quarters (`2026-Q1`).
    Quarter,
    /// Calendar years (`2026`).
    Year,
}

impl Period {
    /// The snake_case name, as in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }
}

/// The catalogue's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Settings {
    /// Age from which a person may consent alone to ordinary categories.
    pub self_consent_age: u32,
    /// Age from which a minor may consent alone to ordinary categories with a recorded
    /// maturity assessment (equal to `self_consent_age` in a format-1 catalogue: none needed).
    pub mature_minor_min_age: u32,
    /// Age from which a person may consent alone to special categories (format 1's
    /// `self_consent_age_special`).
    pub special_self_consent_age: u32,
    /// Age from which a representative's grant must record that the child was heard (`None`
    /// in a format-1 catalogue).
    pub hear_child_from_age: Option<u32>,
    /// Age at which a representative's grant lapses for ordinary categories.
    pub representative_until_age: u32,
    /// Age at which a representative's grant lapses for special categories: the age from
    /// which the person consents to them alone (format 2), or `representative_until_age`
    /// (format 1).
    pub representative_special_until_age: u32,
    /// Statistics suppress every count from 1 to one below this (small cells identify people).
    pub statistics_min_cell: u32,
    /// The period statistics are counted in.
    pub statistics_period: Period,
    /// How far before the moment it is recorded a grant's `valid_from` may lie, in days.
    pub max_backdating_days: u32,
    /// The actor roles that may record historical consents (a migration of paper records).
    pub migration_roles: Vec<Code>,
    /// The actor roles that may record that a person's id was succeeded by another (a DUF
    /// number by a D-nummer, a D-nummer by a fødselsnummer).
    pub succession_roles: Vec<Code>,
    /// The statutes of the archival duty, in the order they came into force.
    pub archival_statutes: Vec<Code>,
    /// Whether every decision must be recorded as an access: plain decisions without an actor
    /// are then `NotPermitted` (default `false`).
    pub log_all_decisions: bool,
    /// Whether every actor must come as a signed token the ledger verifies: an actor the host
    /// names is then `NotPermitted` on every call that takes an actor (default `false`).
    pub require_signed_actors: bool,
    /// Whether a person's export names the staff who looked at their data (default `false`:
    /// dates, roles, operations and purposes only, as C-579/21 reads Art. 15).
    pub disclose_staff_ids: bool,
    /// How many years access events are kept before they fall under kassasjon with the
    /// person's other records (default 5).
    pub access_log_retention_years: u32,
}

/// A purpose: what the data is processed for, and on what GDPR basis.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purpose {
    /// The code.
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    /// What consent does for this purpose.
    pub consent_role: ConsentRole,
    /// The GDPR Art. 6(1) basis of the processing when consent only waives confidentiality.
    pub art6: Option<Art6>,
    /// The Art. 9(2) condition the purpose declares for special categories (when `None`,
    /// explicit consent admits them: Art. 9(2)(a)).
    pub art9: Option<Art9>,
    /// The statutes the processing rests on (Art. 6(3)), joined for display.
    pub statute: Option<String>,
    /// The exception from confidentiality a consent gives (`fvl_13a_1`).
    pub consent_exception: Code,
    /// From when new grants may no longer name the purpose (`None`: in use).
    pub retired_from: Option<Micros>,
    /// How long its records are kept before kassasjon (`None`: the catalogue does not say,
    /// so kassasjon never becomes due: nothing is destroyed without an approved rule).
    pub retention: Option<Retention>,
}

/// A recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// The code.
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    /// Whether the recipient is inside the same legal entity as the discloser (a unit of the
    /// same municipality): only then may `fvl § 13 b nr. 3` lift confidentiality.
    pub same_legal_entity: bool,
    /// From when new grants may no longer name the recipient.
    pub retired_from: Option<Micros>,
}

/// A data category.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Category {
    /// The code.
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    /// Whether the category is special-category data under GDPR Art. 9.
    pub special: bool,
    /// Whether the category is strictly confidential though not special (child welfare).
    pub confidential: bool,
    /// From when new grants may no longer name the category.
    pub retired_from: Option<Micros>,
}

/// A statute reference ("hjemmel i lov").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// An exception from the duty of confidentiality (taushetsplikt).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exception {
    /// The code (`fvl_13a_1`, `fvl_13b_3`, `special_statute`, …).
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    /// The statute that makes the exception, when one does (for display).
    pub statute: Option<String>,
    /// Whether the exception lifts confidentiality only towards recipients inside the same
    /// legal entity (fvl § 13 b nr. 3).
    pub same_legal_entity: bool,
}

/// A condition a rule may require the requester to assert (for example `serious_concern`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Condition {
    /// The code.
    pub code: Code,
    /// What the requester asserts.
    pub name: String,
}

/// A statutory rule: a recipient may receive these categories for these purposes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// The rule's code.
    pub code: Code,
    /// The statutes of the GDPR gate (Art. 6(3)), joined for display. In a version-1 catalogue,
    /// every statute the rule cites.
    pub statute: String,
    /// The Art. 6(1) basis.
    pub art6: Art6,
    /// The Art. 9(2) condition, which a rule needs to cover special categories.
    pub art9: Option<Art9>,
    /// The exception from confidentiality (for example `special_statute`, `fvl_13b_3`).
    pub confidentiality_exception: Code,
    /// The statute behind the confidentiality exception, when the catalogue names one.
    pub confidentiality_statute: Option<String>,
    /// The conditions of which the requester must assert one before the rule permits (empty:
    /// the rule permits without an assertion).
    pub requires: Vec<Code>,
    /// Whether an archival or legal duty keeps the records of subjects disclosed under this
    /// rule: their erasure request becomes a restriction (GDPR Art. 17(3), arkivlova).
    pub archival_duty: bool,
    /// Version 0.1's flag: whether a restriction recorded with 0.1's meaning (an erasure
    /// request that became a restriction) also stops disclosures under this rule.
    pub restriction_applies: bool,
    /// Whether disclosures under this rule continue while the subject's processing is
    /// restricted (GDPR Art. 18(2): legal claims, the rights of another person, an important
    /// public interest), as the catalogue's DPO decides. Without it a restriction recorded
    /// since 0.2 denies the rule `restricted`.
    pub continues_under_restriction: bool,
    pub(crate) recipient: u8,
    pub(crate) purposes: u64,
    pub(crate) categories: u64,
    /// The required conditions as a bitset of condition ids.
    pub(crate) requires_set: u64,
    pub(crate) valid_from: Micros,
    pub(crate) valid_to: Option<Micros>,
}

impl Rule {
    /// Whether the rule permits without an asserted condition.
    pub fn is_unconditional(&self) -> bool {
        self.requires_set == 0
    }
}

/// What a decision tests of a rule, copied next to the other rules of its (recipient,
/// purpose) so the statute path reads one small array and no `Rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuleRef {
    pub(crate) categories: u64,
    /// The conditions of which one must be asserted (0: none).
    pub(crate) requires: u64,
    pub(crate) valid_from: Micros,
    /// `Micros::MAX` for a rule without an end.
    pub(crate) valid_to: Micros,
    /// The rule's position in the catalogue.
    pub(crate) index: u16,
    /// Whether the rule has an Art. 9(2) condition (it may cover special categories).
    pub(crate) art9: bool,
    pub(crate) restriction_applies: bool,
    pub(crate) continues_under_restriction: bool,
    /// Whether the rule's GDPR gate is Art. 6(1)(e), which the subject may object to (Art. 21).
    pub(crate) objectable: bool,
}

impl RuleRef {
    pub(crate) fn new(index: u16, rule: &Rule) -> RuleRef {
        RuleRef {
            categories: rule.categories,
            requires: rule.requires_set,
            valid_from: rule.valid_from,
            valid_to: rule.valid_to.unwrap_or(Micros::MAX),
            index,
            art9: rule.art9.is_some(),
            restriction_applies: rule.restriction_applies,
            continues_under_restriction: rule.continues_under_restriction,
            objectable: rule.art6 == Art6::E,
        }
    }

    /// Whether the rule is in force at `at`. `valid_to` is never `Micros::MAX` for a rule that
    /// has an end, since instants are limited to the years 1850-9999.
    pub(crate) fn valid_at(&self, at: Micros) -> bool {
        self.valid_from <= at && at < self.valid_to
    }

    /// Whether the rule's condition, if it has one, is among the asserted ones.
    pub(crate) fn condition_met(&self, asserted: u64) -> bool {
        self.requires == 0 || self.requires & asserted != 0
    }
}

/// A privacy notice in use: its current version and the earlier versions grants may still
/// name (a grant given under an earlier one is listed for re-consent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoticeEntry {
    /// The notice's id.
    pub id: String,
    /// The current version.
    pub version: String,
    /// Earlier versions still accepted on a grant.
    pub earlier: Vec<String>,
}
