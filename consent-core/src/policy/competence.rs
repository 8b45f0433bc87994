//! Who may consent, and until when a representative's consent holds (DOMAIN.md section 0.3).
//!
//! - **Alone**, a person consents to ordinary categories from the catalogue's
//!   `self_consent_age` (18: Datatilsynet's main rule), or from `mature_minor_min_age` (15)
//!   with a recorded maturity assessment; to special categories such as health from
//!   `special_self_consent_age` (16: pasient- og brukerrettighetsloven § 4-3). Below that only
//!   a representative grants.
//! - **A representative** of a minor who is at least `hear_child_from_age` (12) records that
//!   the child was heard (barnelova § 31, barnekonvensjonen art. 12). Their grant lapses for
//!   special categories at `special_self_consent_age` and for the others at
//!   `representative_until_age` (18), at local midnight in Norway on that birthday; a grant
//!   that mixes both lapses per category. A representative of a minor cannot grant for an
//!   adult. The representative's authority may also end on a known date
//!   (`authority_valid_until`), which the grant keeps.
//! - **The age** is read from the subject's birth date in Folkeregisteret when the caller
//!   gives it (`subject_birth_date`), otherwise from the number; a D-nummer's date may be a
//!   registration date and a 2032-scheme number has no century, so for them the birth date is
//!   what makes an age-dependent grant possible. The event log keeps only the lapse instants,
//!   never a birth date.
//!
//! A format-1 catalogue keeps 0.1's meaning: no maturity window, no hearing required, one
//! lapse for every category (`catalogue::Settings`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalogue::Settings;
use crate::error::{Error, Result};
use crate::id::national_id::{IdKind, IdProfile, NationalId};
use crate::model::party::{ChildHeard, Grantor, MaturityAssessment};
use crate::time;

/// What a grant needs checked for competence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applicant<'a> {
    pub grantor: &'a Grantor,
    pub subject: &'a NationalId,
    /// The birth date from Folkeregisteret, when given.
    pub birth_date: Option<NaiveDate>,
    pub valid_from: DateTime<Utc>,
    /// Whether the grant covers special categories, and ordinary ones.
    pub special: bool,
    pub ordinary: bool,
    pub maturity_assessment: Option<&'a MaturityAssessment>,
    pub child_heard: Option<&'a ChildHeard>,
    /// The ledger's clock: an assessment or hearing cannot lie after it.
    pub recorded_at: DateTime<Utc>,
}

/// When a representative's grant stops covering each kind of category because the subject
/// comes of age (`None`: it does not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Lapses {
    /// For the ordinary categories it covers.
    pub ordinary: Option<DateTime<Utc>>,
    /// For the special categories it covers.
    pub special: Option<DateTime<Utc>>,
}

/// The birth date the age rules use: Folkeregisteret's when given, else the number's.
///
/// # Errors
/// `InvalidInput` when a given birth date contradicts the date of an ordinary fødselsnummer
/// (whose date is the birth date: a mismatch is a typing error in one of them).
fn birth_date(subject: &NationalId, given: Option<NaiveDate>) -> Result<Option<NaiveDate>> {
    let from_number = subject.birth_date();
    match (given, from_number) {
        (Some(given), Some(number))
            if given != number
                && subject.kind() == IdKind::Fodselsnummer
                && subject.profile() == IdProfile::Legacy =>
        {
            Err(Error::invalid(
                "subject_birth_date does not match the date in the fødselsnummer; check Folkeregisteret",
            ))
        }
        (Some(given), _) => Ok(Some(given)),
        (None, number) => Ok(number),
    }
}

/// The instant (local midnight in Norway) the subject reaches `age`.
fn reaches(birth: Option<NaiveDate>, age: u32) -> Result<DateTime<Utc>> {
    birth
        .and_then(|date| time::anniversary(date, age))
        .and_then(time::oslo_midnight)
        .ok_or_else(|| {
            Error::invalid(
                "the subject's age cannot be read from the number (a 2032-scheme number, or a DUF number), so the grantor's competence cannot be checked: give subject_birth_date from Folkeregisteret",
            )
        })
}

/// Checks that the applicant may grant from `valid_from`, and returns when a representative's
/// grant lapses.
///
/// # Errors
/// `InvalidInput` naming the rule: a subject too young to consent alone (or without the
/// maturity assessment the age needs), a representative's grant without the record that the
/// child was heard, a representative of a minor granting for an adult, an assessment or
/// hearing dated after the recording, an authority that ends before the grant starts, or an
/// age that cannot be read.
pub(crate) fn check(settings: &Settings, applicant: &Applicant<'_>) -> Result<Lapses> {
    let birth = birth_date(applicant.subject, applicant.birth_date)?;
    if applicant
        .maturity_assessment
        .is_some_and(|a| a.at > applicant.recorded_at)
        || applicant
            .child_heard
            .is_some_and(|h| h.at > applicant.recorded_at)
    {
        return Err(Error::invalid(
            "a maturity assessment or a hearing of the child cannot lie after the grant is recorded",
        ));
    }
    if let Some(assessment) = applicant.maturity_assessment {
        assessment.validate()?;
    }
    if let Some(heard) = applicant.child_heard {
        heard.validate()?;
    }
    match applicant.grantor {
        Grantor::Subject => {
            if applicant.child_heard.is_some() {
                return Err(Error::invalid(
                    "child_heard belongs to a representative's grant, not the subject's own",
                ));
            }
            alone(settings, applicant, birth)?;
            Ok(Lapses::default())
        }
        Grantor::Representative {
            role,
            authority_valid_until,
            ..
        } => {
            if applicant.maturity_assessment.is_some() {
                return Err(Error::invalid(
                    "maturity_assessment belongs to a minor's own grant, not a representative's",
                ));
            }
            if authority_valid_until.is_some_and(|until| until <= applicant.valid_from) {
                return Err(Error::invalid(
                    "grantor.authority_valid_until is not after valid_from: the representative's authority has ended",
                ));
            }
            let adult_at = reaches(birth, settings.representative_until_age)?;
            let minor = applicant.valid_from < adult_at;
            if !minor {
                if role.minors_only() {
                    return Err(Error::invalid(format!(
                        "the subject is {} or older at valid_from, so a representative of a minor cannot grant",
                        settings.representative_until_age
                    )));
                }
                return Ok(Lapses::default());
            }
            if let Some(hear_from) = settings.hear_child_from_age
                && applicant.child_heard.is_none()
                && applicant.valid_from >= reaches(birth, hear_from)?
            {
                return Err(Error::invalid(format!(
                    "the child is {hear_from} or older: a representative's grant must record that the child was heard (child_heard {{at, position, reference}})"
                )));
            }
            let special_at = reaches(birth, settings.representative_special_until_age)?;
            if applicant.special && applicant.valid_from >= special_at {
                return Err(Error::invalid(format!(
                    "the subject is {} or older at valid_from and consents to special categories alone; a representative's grant cannot cover them",
                    settings.representative_special_until_age
                )));
            }
            Ok(Lapses {
                ordinary: applicant.ordinary.then_some(adult_at),
                special: applicant.special.then_some(special_at),
            })
        }
    }
}

/// The subject's own grant: old enough for what it covers.
fn alone(settings: &Settings, applicant: &Applicant<'_>, birth: Option<NaiveDate>) -> Result<()> {
    let at = applicant.valid_from;
    if applicant.special {
        let age = settings.special_self_consent_age;
        if at < reaches(birth, age)? {
            return Err(Error::invalid(format!(
                "the subject is under {age} at valid_from and cannot consent alone to special categories; a representative must grant"
            )));
        }
    }
    if applicant.ordinary && at < reaches(birth, settings.self_consent_age)? {
        let mature_from = settings.mature_minor_min_age;
        if mature_from < settings.self_consent_age && at >= reaches(birth, mature_from)? {
            if applicant.maturity_assessment.is_none() {
                return Err(Error::invalid(format!(
                    "the subject is under {} at valid_from: a minor from {mature_from} consents alone only after a maturity assessment (maturity_assessment {{assessed_by, reference, at}}); otherwise a representative must grant",
                    settings.self_consent_age
                )));
            }
        } else {
            return Err(Error::invalid(format!(
                "the subject is under {} at valid_from and cannot consent alone; a representative must grant",
                mature_from
            )));
        }
    }
    if applicant.maturity_assessment.is_some() && at >= reaches(birth, settings.self_consent_age)? {
        return Err(Error::invalid(format!(
            "maturity_assessment is only for a minor under {}; an adult consents alone",
            settings.self_consent_age
        )));
    }
    Ok(())
}
