//! Prepared requests: the recipient, purpose, categories and assertions of a disclosure
//! request checked and interned once, so that each decision passes only the subject and the
//! instant. For integrations that ask the same question about many people (a nightly NIR
//! transfer, a C or .NET system deciding per client).

use chrono::{DateTime, Utc};

use super::Ledger;
use super::decide::Interned;
use crate::catalogue::{Catalogue, Code};
use crate::error::Result;
use crate::id::national_id::NationalId;
use crate::model::decision::Decision;
use crate::model::request::Assertion;
use crate::time;

/// A disclosure request without its subject and instant, checked and interned once by
/// [`Ledger::prepare`]. [`Ledger::decide_prepared`] gives exactly the decision
/// [`Ledger::decide_asserted`] gives for the same parts, also under a catalogue adopted after
/// the request was prepared (its codes are then interned again, in the catalogue in force at
/// the decision's instant).
///
/// Plain data: it keeps no ledger open. `Send + Sync`.
///
/// ```
/// # use consent_core::{Ledger, LedgerOptions};
/// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
/// let request = ledger.prepare("nir", "nir_registration", &["name", "national_id"], &[])?;
/// let at = "2026-03-01T10:00:00Z".parse()?;
/// let subject = ledger.parse_national_id("15038510190")?; // one of many
/// assert!(ledger.decide_prepared(&request, &subject, at)?.permitted());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The catalogue the codes were interned in.
    catalogue: Catalogue,
    interned: Interned,
    recipient: Code,
    purpose: Code,
    categories: Vec<Code>,
    assertions: Vec<Assertion>,
}

impl Ledger {
    /// Checks and interns the parts of a disclosure request that stay the same from subject to
    /// subject (recipient, purpose, categories, and the conditions asserted), in the
    /// catalogue in force now.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// use consent_core::{Assertion, ErrorCode};
    /// let concern = [Assertion::new("serious_concern", "2026/55")?];
    /// let request = ledger.prepare("barnevern", "child_welfare_followup", &["name"], &concern)?;
    /// assert_eq!(request.purpose().as_str(), "child_welfare_followup");
    /// let err = ledger.prepare("imdi", "settlement", &["shoe_size"], &[]).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::UnknownCode);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::decide_asserted`] for its parts: `UnknownCode` for a code or condition the
    /// catalogue does not have; `InvalidInput` for no categories, a repeated one, or a bad
    /// assertion reference.
    pub fn prepare<S: AsRef<str>>(
        &self,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        assertions: &[Assertion],
    ) -> Result<PreparedRequest> {
        let catalogue = self.inner.catalogue.current().clone();
        let interned = Interned::new(&catalogue, recipient, purpose, categories, assertions)?;
        // The codes as the catalogue spells them, from the ids just interned.
        let recipient = catalogue.recipient_code(interned.recipient()).clone();
        let purpose = catalogue.purpose_code(interned.purpose()).clone();
        let categories = interned
            .categories()?
            .iter()
            .map(|&id| catalogue.category_code(id).clone())
            .collect();
        Ok(PreparedRequest {
            catalogue,
            interned,
            recipient,
            purpose,
            categories,
            assertions: assertions.to_vec(),
        })
    }

    /// Decides a prepared request for `subject` at `at`.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// use consent_core::DenialReason;
    /// let request = ledger.prepare("nav", "employment_followup", &["finances"], &[])?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let decision = ledger.decide_prepared(&request, &subject, "2026-03-01T10:00:00Z".parse()?)?;
    /// assert_eq!(decision.denial(), Some(DenialReason::NoBasis)); // no statute, no grant
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `InvalidNationalId` for a synthetic id
    /// outside test mode; `UnknownCode` when the catalogue in force at `at` lacks one of the
    /// request's codes (an instant before the adoption that added it). An error is never a
    /// permit.
    pub fn decide_prepared(
        &self,
        request: &PreparedRequest,
        subject: &NationalId,
        at: DateTime<Utc>,
    ) -> Result<Decision> {
        self.permit_unlogged()?;
        self.decide_prepared_unchecked(request, subject, at)
    }

    /// [`Ledger::decide_prepared`] once the caller settled whether it may decide.
    pub(super) fn decide_prepared_unchecked(
        &self,
        request: &PreparedRequest,
        subject: &NationalId,
        at: DateTime<Utc>,
    ) -> Result<Decision> {
        let at_micros = time::to_micros(at, "decision time")?;
        let catalogue = self.inner.catalogue.at(at_micros);
        self.check_subject(subject)?;
        let as_of = self.fresh()?;
        if catalogue.ptr_eq(&request.catalogue) {
            self.decide_interned(
                None,
                as_of,
                subject,
                catalogue,
                &request.interned,
                at,
                at_micros,
            )
        } else {
            let interned = request.intern_in(catalogue)?;
            self.decide_interned(None, as_of, subject, catalogue, &interned, at, at_micros)
        }
    }

    /// Decides a prepared request for each subject at `at`, under one read of the state; each
    /// gets its own result.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let request = ledger.prepare("nir", "nir_registration", &["name"], &[])?;
    /// let subjects = [ledger.parse_national_id("15038510190")?];
    /// let decisions = ledger.decide_prepared_many(&request, &subjects, "2026-03-01T10:00:00Z".parse()?)?;
    /// assert!(decisions[0].as_ref().is_ok_and(|d| d.permitted()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range and `UnknownCode` as
    /// [`Ledger::decide_prepared`] (for the whole batch: the instant is the same for all);
    /// `Storage` when the state cannot be read; a subject's own error (`InvalidNationalId`)
    /// in its result.
    pub fn decide_prepared_many(
        &self,
        request: &PreparedRequest,
        subjects: &[NationalId],
        at: DateTime<Utc>,
    ) -> Result<Vec<Result<Decision>>> {
        self.permit_unlogged()?;
        let at_micros = time::to_micros(at, "decision time")?;
        let catalogue = self.inner.catalogue.at(at_micros);
        let reinterned;
        let interned = if catalogue.ptr_eq(&request.catalogue) {
            &request.interned
        } else {
            reinterned = request.intern_in(catalogue)?;
            &reinterned
        };
        let as_of = self.fresh()?;
        let projection = self.read()?;
        Ok(subjects
            .iter()
            .map(|subject| {
                self.check_subject(subject)?;
                self.decide_interned(
                    Some(&projection),
                    as_of,
                    subject,
                    catalogue,
                    interned,
                    at,
                    at_micros,
                )
            })
            .collect())
    }
}

impl PreparedRequest {
    /// The request's codes interned in another catalogue (one adopted before or after the
    /// one it was prepared in).
    fn intern_in(&self, catalogue: &Catalogue) -> Result<Interned> {
        Interned::new(
            catalogue,
            self.recipient.as_str(),
            self.purpose.as_str(),
            &self.categories,
            &self.assertions,
        )
    }

    /// The recipient.
    pub fn recipient(&self) -> &Code {
        &self.recipient
    }

    /// The purpose.
    pub fn purpose(&self) -> &Code {
        &self.purpose
    }

    /// The categories, in the order given.
    pub fn categories(&self) -> &[Code] {
        &self.categories
    }

    /// The conditions asserted.
    pub fn assertions(&self) -> &[Assertion] {
        &self.assertions
    }
}
