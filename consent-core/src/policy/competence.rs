//! Who may consent, and until when a representative's consent holds.
//!
//! A person consents alone from the catalogue's `self_consent_age` (ordinary categories) or
//! `self_consent_age_special` (special categories such as health); below it a representative
//! grants. A representative of a minor cannot grant for an adult, and a representative's grant
//! lapses when the subject reaches `representative_until_age`, at local midnight in Norway on
//! that birthday. The event log keeps only the lapse instant, never the birth date.

use chrono::{DateTime, Utc};

use crate::catalogue::Settings;
use crate::error::{Error, Result};
use crate::id::national_id::NationalId;
use crate::model::party::Grantor;

fn age_unknown() -> Error {
    Error::invalid(
        "the subject's age cannot be read from a 2032-style national id, so the grantor's competence cannot be checked",
    )
}

/// Checks that `grantor` may grant for `subject` from `valid_from`, and returns when the grant
/// lapses because the subject comes of age (`None`: it does not lapse).
///
/// # Errors
/// `InvalidInput` when the subject is too young to consent alone, when a representative of a
/// minor grants for an adult, or when the subject's age cannot be read from the number.
pub(crate) fn lapse_of(
    settings: &Settings,
    grantor: &Grantor,
    subject: &NationalId,
    valid_from: DateTime<Utc>,
    special: bool,
) -> Result<Option<DateTime<Utc>>> {
    match grantor {
        Grantor::Subject => {
            let age = if special {
                settings.self_consent_age_special
            } else {
                settings.self_consent_age
            };
            let competent_at = subject.reaches_age_at(age).ok_or_else(age_unknown)?;
            if valid_from < competent_at {
                return Err(Error::invalid(format!(
                    "the subject is under {age} at valid_from and cannot consent alone{}; a representative must grant",
                    if special {
                        " to special categories"
                    } else {
                        ""
                    }
                )));
            }
            Ok(None)
        }
        Grantor::Representative { role, .. } => {
            let adult_at = subject
                .reaches_age_at(settings.representative_until_age)
                .ok_or_else(age_unknown)?;
            let minor = valid_from < adult_at;
            if !minor && role.minors_only() {
                return Err(Error::invalid(format!(
                    "the subject is {} or older at valid_from, so a representative of a minor cannot grant",
                    settings.representative_until_age
                )));
            }
            Ok(minor.then_some(adult_at))
        }
    }
}
