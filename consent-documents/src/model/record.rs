//! The record of processing activities (GDPR Art. 30(1)), fields (a)-(g).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Category, Contact, Controller, GdprGate, Retention, non_empty};
use crate::error::Error;

/// The controller's record of processing activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingRecord {
    /// (a) The controller and its data protection officer.
    pub controller: Controller,
    /// (a) Joint controllers, if any.
    #[serde(default)]
    pub joint_controllers: Vec<Contact>,
    /// (a) The controller's representative, if any (only for controllers outside the EU/EEA).
    #[serde(default)]
    pub representative: Option<Contact>,
    /// When the record was last updated.
    pub updated: DateTime<Utc>,
    /// One entry per processing activity (purpose).
    pub activities: Vec<ProcessingActivity>,
}

/// One processing activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingActivity {
    /// (b) The purpose.
    pub purpose: String,
    /// The GDPR basis (not required by Art. 30, but what a reader asks next).
    pub gdpr: GdprGate,
    /// (c) Categories of data subjects ("deltakere i introduksjonsprogrammet").
    pub data_subjects: Vec<String>,
    /// (c) Categories of personal data.
    pub categories: Vec<Category>,
    /// (d) Categories of recipients.
    pub recipients: Vec<RecordRecipient>,
    /// (e) Transfers to third countries or international organisations.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    /// (f) Time limits for erasure.
    pub retention: Retention,
    /// (g) A general description of the security measures (Art. 32).
    pub security: Vec<String>,
}

/// (d) A recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRecipient {
    /// Who.
    pub name: String,
    /// The third country it is in, if outside the EU/EEA.
    #[serde(default)]
    pub third_country: Option<String>,
}

/// (e) A transfer to a third country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// The country or international organisation.
    pub destination: String,
    /// The safeguards (Art. 46 and 49(1)).
    pub safeguards: String,
}

impl ProcessingRecord {
    /// Checks the rules the renderers rely on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) naming the field: no
    /// activities, an empty purpose, no data subjects or categories, a missing statute for
    /// Art. 6(1)(c)/(e), no retention, no security measures.
    pub fn validate(&self) -> Result<(), Error> {
        self.controller.validate()?;
        if self.activities.is_empty() {
            return Err(Error::model("activities", "is empty"));
        }
        for (i, activity) in self.activities.iter().enumerate() {
            let field = format!("activities[{i}]");
            non_empty(&format!("{field}.purpose"), &activity.purpose)?;
            activity.gdpr.validate(&format!("{field}.gdpr"))?;
            if activity.data_subjects.is_empty() {
                return Err(Error::model(&format!("{field}.data_subjects"), "is empty"));
            }
            if activity.categories.is_empty() {
                return Err(Error::model(&format!("{field}.categories"), "is empty"));
            }
            activity.retention.validate(&format!("{field}.retention"))?;
            if activity.security.is_empty() {
                return Err(Error::model(&format!("{field}.security"), "is empty"));
            }
        }
        Ok(())
    }
}
