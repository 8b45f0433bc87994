//! The view model: what a document shows, already in plain terms.
//!
//! Every text in these types is shown as given (escaped, never interpreted), in the language of
//! the document the host asks for. Fixed texts (headings, the person's rights, what a GDPR
//! article means) come from the translation files instead. Instants are [`DateTime<Utc>`]; the
//! renderers show them as Norwegian local dates.

mod access;
mod notice;
mod record;

pub use access::{
    AccessAnswer, AccessContent, Consent, ConsentStatus, Disclosure, Grantor, HeldRecords,
    LetterRecipient, Lookup, NationalIdForHeader, Objection, ObjectionOutcome, Refusal,
    Restriction, StatusChange,
};
pub use notice::{ConsentRole, NoticeDisclosure, NoticePurpose, PrivacyNotice, Retention};
pub use record::{ProcessingActivity, ProcessingRecord, RecordRecipient, Transfer};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A Norwegian organisation number (organisasjonsnummer): nine digits whose last is a mod-11
/// control digit (weights 3, 2, 7, 6, 5, 4, 3, 2).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgNumber(String);

impl OrgNumber {
    /// The nine digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number grouped as it is usually printed: `974 770 539`.
    #[must_use]
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(11);
        for (i, c) in self.0.chars().enumerate() {
            if i == 3 || i == 6 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl TryFrom<String> for OrgNumber {
    type Error = Error;

    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) unless the text is nine
    /// digits (spaces allowed between them) with a valid control digit.
    fn try_from(text: String) -> Result<Self, Error> {
        consent_core::parse_org_number(&text)
            .map(Self)
            .map_err(|why| Error::model("org_number", format!("`{text}` {why}")))
    }
}

impl std::str::FromStr for OrgNumber {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::try_from(text.to_owned())
    }
}

impl From<OrgNumber> for String {
    fn from(number: OrgNumber) -> Self {
        number.0
    }
}

impl fmt::Debug for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgNumber({})", self.0)
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

/// How to reach someone: at least one of e-mail, telephone, address or web address is set
/// (checked when rendering).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A person's or office's name, e.g. "Personvernombudet".
    #[serde(default)]
    pub name: Option<String>,
    /// An e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// A telephone number as printed.
    #[serde(default)]
    pub phone: Option<String>,
    /// A postal address on one line.
    #[serde(default)]
    pub address: Option<String>,
    /// A web address.
    #[serde(default)]
    pub url: Option<String>,
}

impl Contact {
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        // A name alone is no way to reach anyone.
        let parts = [&self.email, &self.phone, &self.address, &self.url];
        if parts
            .iter()
            .all(|p| p.as_deref().is_none_or(|t| t.trim().is_empty()))
        {
            return Err(Error::model(field, "no way to reach them is given"));
        }
        Ok(())
    }
}

/// The data controller (behandlingsansvarlig): the municipality, and the unit that answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// The legal entity, e.g. "Elverum kommune".
    pub name: String,
    /// Its organisation number.
    pub org_number: OrgNumber,
    /// The unit that processes the data and answers, e.g. "Flyktningtjenesten".
    pub unit: String,
    /// How to reach the unit.
    pub contact: Contact,
    /// How to reach the data protection officer (personvernombud).
    pub dpo: Contact,
}

impl Controller {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        non_empty("controller.name", &self.name)?;
        non_empty("controller.unit", &self.unit)?;
        self.contact.validate("controller.contact")?;
        self.dpo.validate("controller.dpo")
    }
}

/// A statute, as cited: "integreringsloven § 42".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statute {
    /// The citation as people read it.
    pub title: String,
    /// Lovdata's id of the act, e.g. `LOV-2020-11-06-127`, if known.
    #[serde(default)]
    pub lovdata_id: Option<String>,
}

/// A GDPR Art. 6(1) basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Art6 {
    /// (a) consent.
    #[serde(rename = "A6_1_a")]
    A,
    /// (b) a contract with the person.
    #[serde(rename = "A6_1_b")]
    B,
    /// (c) a legal obligation of the controller.
    #[serde(rename = "A6_1_c")]
    C,
    /// (d) vital interests.
    #[serde(rename = "A6_1_d")]
    D,
    /// (e) a task in the public interest or the exercise of official authority.
    #[serde(rename = "A6_1_e")]
    E,
    /// (f) legitimate interests (not for a public authority's tasks).
    #[serde(rename = "A6_1_f")]
    F,
}

/// A GDPR Art. 9(2) condition for special categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Art9 {
    /// (a) explicit consent.
    #[serde(rename = "A9_2_a")]
    A,
    /// (b) employment and social security law.
    #[serde(rename = "A9_2_b")]
    B,
    /// (c) vital interests where the person cannot consent.
    #[serde(rename = "A9_2_c")]
    C,
    /// (d) not-for-profit bodies and their members.
    #[serde(rename = "A9_2_d")]
    D,
    /// (e) data the person has made public.
    #[serde(rename = "A9_2_e")]
    E,
    /// (f) legal claims and courts.
    #[serde(rename = "A9_2_f")]
    F,
    /// (g) substantial public interest in law.
    #[serde(rename = "A9_2_g")]
    G,
    /// (h) health or social care.
    #[serde(rename = "A9_2_h")]
    H,
    /// (i) public health.
    #[serde(rename = "A9_2_i")]
    I,
    /// (j) archiving, research and statistics in law.
    #[serde(rename = "A9_2_j")]
    J,
}

/// The GDPR gate of a basis: the Art. 6 basis, the Art. 9 condition for special categories,
/// and the statute Art. 6(3) needs for (c) and (e).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdprGate {
    /// The Art. 6(1) basis.
    pub art6: Art6,
    /// The Art. 9(2) condition, where special categories are processed.
    #[serde(default)]
    pub art9: Option<Art9>,
    /// The statute behind the basis (required for (c) and (e)).
    #[serde(default)]
    pub statute: Option<Statute>,
}

impl GdprGate {
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        if matches!(self.art6, Art6::C | Art6::E) && self.statute.is_none() {
            return Err(Error::model(
                field,
                "a basis on Art. 6(1)(c) or (e) needs the statute behind it (Art. 6(3))",
            ));
        }
        Ok(())
    }
}

/// What lifts the duty of confidentiality (taushetsplikt) for a disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidentialityException {
    /// The person's consent (forvaltningsloven § 13 a nr. 1; for health personnel
    /// helsepersonelloven § 22).
    Consent,
    /// Use inside the same body for its work and archive routines (forvaltningsloven § 13 b
    /// nr. 3).
    SameBody,
    /// A statute that allows or requires the sharing (named in the gate's statute).
    SpecialStatute,
    /// A duty to inform that overrides confidentiality (e.g. to the child welfare service).
    DutyToInform,
    /// Nothing confidential is shared (forvaltningsloven § 13 a nr. 2 and 3).
    NotConfidential,
}

/// The confidentiality gate of a basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidentialityGate {
    /// What lifts confidentiality.
    pub exception: ConfidentialityException,
    /// The statute that does it, where one does.
    #[serde(default)]
    pub statute: Option<Statute>,
}

/// Both gates a disclosure passes: the GDPR basis and the exception from confidentiality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalGates {
    /// The GDPR gate.
    pub gdpr: GdprGate,
    /// The confidentiality gate.
    pub confidentiality: ConfidentialityGate,
}

impl LegalGates {
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        self.gdpr.validate(&format!("{field}.gdpr"))
    }
}

/// A category of personal data, named for people ("Helseopplysninger").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Its name.
    pub name: String,
    /// A special category under GDPR Art. 9 (health, ethnic origin, religion, …).
    #[serde(default)]
    pub special: bool,
}

pub(crate) fn non_empty(field: &str, text: &str) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(Error::model(field, "is empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_numbers_are_checked() {
        let number: OrgNumber = "974 770 539".parse().unwrap();
        assert_eq!(number.as_str(), "974770539");
        assert_eq!(number.to_string(), "974 770 539");
        for bad in ["974770538", "97477053", "97477053a", "9747705390", ""] {
            let error = bad.parse::<OrgNumber>().unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidModel, "{bad}");
        }
    }
}
