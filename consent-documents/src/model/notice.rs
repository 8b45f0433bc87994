//! The privacy notice (personvernerklæring), generated from a catalogue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Category, Controller, GdprGate, LegalGates, non_empty};
use crate::error::Error;

/// A privacy notice for one unit of the controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyNotice {
    /// Who is responsible.
    pub controller: Controller,
    /// The notice's version, as the catalogue names it (grants record the version they were
    /// given under).
    pub version: String,
    /// When this version took effect.
    pub published: DateTime<Utc>,
    /// What the unit processes personal data for.
    pub purposes: Vec<NoticePurpose>,
}

/// One purpose of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePurpose {
    /// Its name ("Bosetting").
    pub name: String,
    /// What it involves, in plain words, if the catalogue says.
    #[serde(default)]
    pub description: Option<String>,
    /// The GDPR basis of the processing itself.
    pub gdpr: GdprGate,
    /// Whether the person's consent is asked for, and what it does: `None` when it is not.
    #[serde(default)]
    pub consent: Option<ConsentRole>,
    /// The data processed for it.
    pub categories: Vec<Category>,
    /// Who receives data for it, and on what basis.
    #[serde(default)]
    pub disclosures: Vec<NoticeDisclosure>,
    /// How long the data are kept.
    pub retention: Retention,
}

/// What a person's consent does for a purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentRole {
    /// Consent lifts the duty of confidentiality so that a partner may receive the data; the
    /// GDPR basis is the purpose's statute.
    ConfidentialityWaiver,
    /// Consent is the GDPR basis (Art. 6(1)(a), and 9(2)(a) for special categories).
    Basis,
}

/// A recipient of data for a purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeDisclosure {
    /// Who receives it.
    pub recipient: String,
    /// Which data.
    pub categories: Vec<Category>,
    /// Whether it happens only with the person's consent.
    pub by_consent: bool,
    /// The legal gates, with the statute behind the disclosure.
    pub gates: LegalGates,
    /// A condition that must hold before it happens, in plain words.
    #[serde(default)]
    pub condition: Option<String>,
}

/// How long data are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Years after the case ends, if a fixed number (one of years, a text or an archival
    /// duty is needed).
    #[serde(default)]
    pub years: Option<u32>,
    /// The rule in plain words, where a number says too little ("until the programme ends").
    #[serde(default)]
    pub text: Option<String>,
    /// Whether the records are archived for posterity under the archive act (arkivlova), so that
    /// erasure is limited.
    #[serde(default)]
    pub archival_duty: bool,
}

impl Retention {
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        // Records kept for good under the archive act need no years: the archival-duty text
        // says how long.
        if self.years.is_none()
            && !self.archival_duty
            && self.text.as_deref().is_none_or(|t| t.trim().is_empty())
        {
            return Err(Error::model(
                field,
                "gives neither years, a text nor an archival duty",
            ));
        }
        Ok(())
    }
}

impl PrivacyNotice {
    /// Checks the rules the renderers rely on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) naming the field: no
    /// purposes, an empty name, a missing statute for Art. 6(1)(c)/(e), no retention.
    pub fn validate(&self) -> Result<(), Error> {
        self.controller.validate()?;
        non_empty("version", &self.version)?;
        if self.purposes.is_empty() {
            return Err(Error::model("purposes", "is empty"));
        }
        for (i, purpose) in self.purposes.iter().enumerate() {
            let field = format!("purposes[{i}]");
            non_empty(&format!("{field}.name"), &purpose.name)?;
            purpose.gdpr.validate(&format!("{field}.gdpr"))?;
            purpose.retention.validate(&format!("{field}.retention"))?;
            for (j, disclosure) in purpose.disclosures.iter().enumerate() {
                let field = format!("{field}.disclosures[{j}]");
                non_empty(&format!("{field}.recipient"), &disclosure.recipient)?;
                disclosure.gates.validate(&format!("{field}.gates"))?;
            }
        }
        Ok(())
    }
}
