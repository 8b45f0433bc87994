//! The access-request answer (innsyn, GDPR Art. 15) for one person.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Category, Controller, LegalGates, non_empty};
use crate::error::Error;

/// The letter that answers one person's request for access.
///
/// There is deliberately no field for the ledger's pseudonym: a letter to a person never shows
/// it. A national id appears only if the host puts one in [`LetterRecipient::national_id`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessAnswer {
    /// Who answers.
    pub controller: Controller,
    /// The date of the letter (shown as a Norwegian local date).
    pub date: DateTime<Utc>,
    /// The case or archive reference of the request, if the host has one.
    #[serde(default)]
    pub reference: Option<String>,
    /// When the request was received, if known.
    #[serde(default)]
    pub request_received: Option<DateTime<Utc>>,
    /// The addressee for the letter's header, only when the host passes it in.
    #[serde(default)]
    pub recipient: Option<LetterRecipient>,
    /// What the controller holds about the person.
    pub content: AccessContent,
}

/// The addressee in the letter's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterRecipient {
    /// The person's name.
    pub name: String,
    /// The person's national id, printed in the header only, and only when given here.
    #[serde(default)]
    pub national_id: Option<NationalIdForHeader>,
}

/// A fødselsnummer or D-nummer that the host chose to print in a letter's header: eleven digits
/// with both mod-11 control digits valid. Its `Debug` output is masked.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalIdForHeader(String);

impl NationalIdForHeader {
    /// The eleven digits, for printing in the header.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NationalIdForHeader {
    type Error = Error;

    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) unless the text is eleven
    /// digits with valid control digits. The message never repeats the number.
    fn try_from(text: String) -> Result<Self, Error> {
        let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        let invalid = || Error::model("recipient.national_id", "is not a valid national id");
        if digits.len() != 11 || text.chars().count() != 11 {
            return Err(invalid());
        }
        let control = |weights: &[u32]| -> Option<u32> {
            let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
            match 11 - sum % 11 {
                11 => Some(0),
                10 => None,
                c => Some(c),
            }
        };
        let k1 = control(&[3, 7, 6, 1, 8, 9, 4, 5, 2]);
        let k2 = control(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
        if k1 != digits.get(9).copied() || k2 != digits.get(10).copied() {
            return Err(invalid());
        }
        Ok(Self(text))
    }
}

impl From<NationalIdForHeader> for String {
    fn from(id: NationalIdForHeader) -> Self {
        id.0
    }
}

impl fmt::Debug for NationalIdForHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NationalIdForHeader(***********)")
    }
}

/// What the controller holds about the person, or that it holds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AccessContent {
    /// Nothing is recorded about the person: the letter confirms that (Art. 15(1)) and still
    /// states the rights and how to complain.
    NothingHeld,
    /// What is recorded.
    Held(HeldRecords),
}

/// Everything recorded about one person, each list in any order (the renderer sorts by time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldRecords {
    /// Consents the person (or a representative) gave.
    #[serde(default)]
    pub consents: Vec<Consent>,
    /// Consents the person was asked for and refused.
    #[serde(default)]
    pub refusals: Vec<Refusal>,
    /// Disclosures of the person's data: who received what, when, on what basis.
    #[serde(default)]
    pub disclosures: Vec<Disclosure>,
    /// Who looked at the person's data (Art. 15 and CJEU C-579/21: dates, roles and purposes).
    #[serde(default)]
    pub lookups: Vec<Lookup>,
    /// Restrictions of processing (Art. 18).
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
    /// Objections (Art. 21).
    #[serde(default)]
    pub objections: Vec<Objection>,
}

/// One consent, with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The purpose, named for people ("Koordinering med helsetjenesten").
    pub purpose: String,
    /// Who may receive the data under it.
    pub recipients: Vec<String>,
    /// Which data.
    pub categories: Vec<Category>,
    /// Who gave it.
    pub given_by: Grantor,
    /// When it was given.
    pub given_at: DateTime<Utc>,
    /// When it ends by itself, if it does.
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// Whether it was given explicitly (needed for special categories).
    #[serde(default)]
    pub explicit: bool,
    /// How it was given, in plain words ("signed paper form, with an interpreter").
    #[serde(default)]
    pub how_given: Option<String>,
    /// Its status now.
    pub status: ConsentStatus,
    /// Changes of status after it was given, oldest first (withdrawal, expiry, lapse).
    #[serde(default)]
    pub history: Vec<StatusChange>,
    /// The two legal gates this consent serves: the GDPR basis (with its statute) and the
    /// confidentiality exception.
    pub gates: LegalGates,
}

/// Who gave a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Grantor {
    /// The person.
    Person,
    /// Someone on the person's behalf, described by role ("verge", "foreldre").
    Representative {
        /// The representative's role, in plain words.
        role: String,
    },
}

/// The status of a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    /// In force.
    Active,
    /// Withdrawn.
    Withdrawn,
    /// Ended by its own end date.
    Expired,
    /// Ended because the representative's authority ended (e.g. the person turned 18): the
    /// person must be asked again.
    Lapsed,
}

/// A change of a consent's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// The status from then on.
    pub status: ConsentStatus,
    /// Why, in plain words, if recorded.
    #[serde(default)]
    pub note: Option<String>,
}

/// A consent the person refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// The purpose asked for.
    pub purpose: String,
    /// The recipients asked for.
    pub recipients: Vec<String>,
    /// The data asked for.
    pub categories: Vec<Category>,
    /// When the person refused.
    pub at: DateTime<Utc>,
}

/// A disclosure of the person's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// When.
    pub at: DateTime<Utc>,
    /// Who received it.
    pub recipient: String,
    /// For what.
    pub purpose: String,
    /// Which data.
    pub categories: Vec<Category>,
    /// Whether the person's consent was the ground (otherwise a statute was).
    pub by_consent: bool,
    /// The two legal gates of the disclosure.
    pub gates: LegalGates,
    /// A condition the case worker asserted, in plain words, with its reference (for rules
    /// that require one, e.g. a concern reported to the child welfare service).
    #[serde(default)]
    pub condition: Option<String>,
}

/// A look-up of the person's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// When.
    pub at: DateTime<Utc>,
    /// The role of who looked ("Saksbehandler"), not the employee.
    pub role: String,
    /// Why.
    pub purpose: String,
}

/// A restriction of processing (Art. 18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    /// Why, in plain words ("you disputed that the data are correct").
    pub ground: String,
    /// From when.
    pub from: DateTime<Utc>,
    /// When it was lifted, if it was.
    #[serde(default)]
    pub lifted: Option<DateTime<Utc>>,
}

/// An objection (Art. 21) to processing for a purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    /// The purpose objected to.
    pub purpose: String,
    /// When the person objected.
    pub at: DateTime<Utc>,
    /// What came of it.
    pub outcome: ObjectionOutcome,
}

/// What came of an objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ObjectionOutcome {
    /// Not decided yet: processing on that basis has stopped meanwhile.
    Pending,
    /// Upheld: the processing stopped.
    Upheld {
        /// When it was decided.
        at: DateTime<Utc>,
    },
    /// Rejected: the controller showed compelling legitimate grounds.
    Rejected {
        /// When it was decided.
        at: DateTime<Utc>,
        /// The grounds, in plain words.
        reason: String,
    },
}

impl AccessAnswer {
    /// Checks the rules the renderers rely on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) naming the field: empty names,
    /// a missing statute for Art. 6(1)(c)/(e), a status change before its grant, a restriction
    /// lifted before it began, a status that disagrees with the last change.
    pub fn validate(&self) -> Result<(), Error> {
        self.controller.validate()?;
        if let Some(recipient) = &self.recipient {
            non_empty("recipient.name", &recipient.name)?;
        }
        let AccessContent::Held(held) = &self.content else {
            return Ok(());
        };
        for (i, consent) in held.consents.iter().enumerate() {
            let field = format!("consents[{i}]");
            non_empty(&format!("{field}.purpose"), &consent.purpose)?;
            consent.gates.validate(&format!("{field}.gates"))?;
            let mut previous = consent.given_at;
            for change in &consent.history {
                if change.at < previous {
                    return Err(Error::model(
                        &format!("{field}.history"),
                        "a status change lies before the consent or the change before it",
                    ));
                }
                previous = change.at;
            }
            let last = consent
                .history
                .last()
                .map_or(ConsentStatus::Active, |c| c.status);
            if last != consent.status {
                return Err(Error::model(
                    &format!("{field}.status"),
                    "differs from the last status in its history",
                ));
            }
        }
        for (i, disclosure) in held.disclosures.iter().enumerate() {
            let field = format!("disclosures[{i}]");
            non_empty(&format!("{field}.recipient"), &disclosure.recipient)?;
            disclosure.gates.validate(&format!("{field}.gates"))?;
        }
        for (i, restriction) in held.restrictions.iter().enumerate() {
            if restriction
                .lifted
                .is_some_and(|lifted| lifted < restriction.from)
            {
                return Err(Error::model(
                    &format!("restrictions[{i}].lifted"),
                    "lies before the restriction began",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ids_are_checked_and_masked() {
        let id = NationalIdForHeader::try_from("15038510190".to_owned()).unwrap();
        assert_eq!(id.expose(), "15038510190");
        assert!(!format!("{id:?}").contains("150385"));
        for bad in ["15038510191", "1503851019", "1503851019x", "150385101900"] {
            let error = NationalIdForHeader::try_from(bad.to_owned()).unwrap_err();
            assert!(!error.message().contains("150385"), "{error}");
        }
    }
}
