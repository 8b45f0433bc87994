//! Deciding disclosures, one or many, and recording a permitted one.

use crate::catalogue::Operation;
use crate::model::signed::Acting;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use super::Ledger;
use crate::catalogue::{Catalogue, MAX_CODES};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::id::national_id::NationalId;
use crate::log::event::{DisclosureBasis, DisclosureRecord, EventPayload};
use crate::model::decision::{Basis, Decision};
use crate::model::party::Actor;
use crate::model::request::{Assertion, DisclosureRequest};
use crate::policy::decide;
use crate::projection::{Effect, Projection};
use crate::time;

impl Ledger {
    /// Decides a disclosure request.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// use consent_core::DisclosureRequest;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let request = DisclosureRequest::new(subject, "nir", "nir_registration", &["name"], "2026-03-01T10:00:00Z".parse()?)?;
    /// assert!(ledger.decide(&request)?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a code not in the catalogue; `InvalidInput` for no categories, a
    /// repeated category or an instant out of range; `InvalidNationalId` for a synthetic id
    /// outside test mode. An error is never a permit.
    pub fn decide(&self, request: &DisclosureRequest) -> Result<Decision> {
        self.permit_unlogged()?;
        let as_of = self.fresh()?;
        self.decide_request(request, as_of)
    }

    /// Decides a request on the state as it is (the caller made it fresh), at ledger position
    /// `as_of`.
    pub(super) fn decide_request(
        &self,
        request: &DisclosureRequest,
        as_of: u64,
    ) -> Result<Decision> {
        self.decide_parts(
            None,
            as_of,
            &request.subject,
            request.recipient.as_str(),
            request.purpose.as_str(),
            &request.categories,
            &request.assertions,
            request.at,
        )
    }

    /// Decides a disclosure given as borrowed parts, with the conditions the requester
    /// asserts: a statutory rule that requires a condition permits only when one of its
    /// conditions is asserted (the default catalogue's duty to inform the child welfare
    /// service needs `serious_concern` or `order`).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// use consent_core::{Assertion, DenialReason};
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// let routine = ledger.decide_asserted(&subject, "barnevern", "child_welfare_followup", &["name"], &[], at)?;
    /// assert_eq!(routine.denial(), Some(DenialReason::ConditionNotAsserted));
    /// let concern = [Assertion::new("serious_concern", "2026/55")?];
    /// let decision = ledger.decide_asserted(&subject, "barnevern", "child_welfare_followup", &["name"], &concern, at)?;
    /// assert!(decision.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::decide`]; `UnknownCode` for a condition the catalogue does not declare;
    /// `InvalidInput` for a bad reference.
    pub fn decide_asserted<S: AsRef<str>>(
        &self,
        subject: &NationalId,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        assertions: &[Assertion],
        at: DateTime<Utc>,
    ) -> Result<Decision> {
        self.permit_unlogged()?;
        let as_of = self.fresh()?;
        self.decide_parts(
            None, as_of, subject, recipient, purpose, categories, assertions, at,
        )
    }

    /// Decides a disclosure given as borrowed parts (no request to build).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let decision = ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], "2026-03-01T10:00:00Z".parse()?)?;
    /// assert!(!decision.permitted()); // no statute covers it, and no grant
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::decide`].
    pub fn decide_with<S: AsRef<str>>(
        &self,
        subject: &NationalId,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        at: DateTime<Utc>,
    ) -> Result<Decision> {
        self.permit_unlogged()?;
        // No lock yet: the statute path never reads the subjects' state.
        let as_of = self.fresh()?;
        self.decide_parts(
            None,
            as_of,
            subject,
            recipient,
            purpose,
            categories,
            &[],
            at,
        )
    }

    /// Decides many requests under one read of the state; each gets its own result.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// use consent_core::DisclosureRequest;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// let requests = [
    ///     DisclosureRequest::new(subject.clone(), "nir", "nir_registration", &["name"], at)?,
    ///     DisclosureRequest::new(subject, "nav", "employment_followup", &["finances"], at)?,
    /// ];
    /// let decisions = ledger.decide_many(&requests)?;
    /// assert!(decisions[0].as_ref().is_ok_and(|d| d.permitted()));
    /// assert!(decisions[1].as_ref().is_ok_and(|d| !d.permitted()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_many(&self, requests: &[DisclosureRequest]) -> Result<Vec<Result<Decision>>> {
        self.permit_unlogged()?;
        let as_of = self.fresh()?;
        let projection = self.read()?;
        Ok(requests
            .iter()
            .map(|r| {
                self.decide_parts(
                    Some(&projection),
                    as_of,
                    &r.subject,
                    r.recipient.as_str(),
                    r.purpose.as_str(),
                    &r.categories,
                    &r.assertions,
                    r.at,
                )
            })
            .collect())
    }

    /// Decides many requests given as borrowed parts (the arguments of [`Ledger::decide_with`],
    /// in order) under one read of the state, as [`Ledger::decide_many`] does; each gets its
    /// own result. For callers that convert many requests at once (the bindings), so no
    /// [`DisclosureRequest`] has to be built for each.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// let categories = ["name"];
    /// let decisions = ledger.decide_many_with([(&subject, "nir", "nir_registration", &categories[..], at)])?;
    /// assert!(decisions[0].as_ref().is_ok_and(|d| d.permitted()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `Storage` when the state cannot be read; each request's own error as
    /// [`Ledger::decide`].
    pub fn decide_many_with<'a, S, I>(&self, requests: I) -> Result<Vec<Result<Decision>>>
    where
        S: AsRef<str> + 'a,
        I: IntoIterator<Item = (&'a NationalId, &'a str, &'a str, &'a [S], DateTime<Utc>)>,
    {
        self.permit_unlogged()?;
        let as_of = self.fresh()?;
        let projection = self.read()?;
        Ok(requests
            .into_iter()
            .map(|(subject, recipient, purpose, categories, at)| {
                self.decide_parts(
                    Some(&projection),
                    as_of,
                    subject,
                    recipient,
                    purpose,
                    categories,
                    &[],
                    at,
                )
            })
            .collect())
    }

    /// Decides one request, reading the subject's state under `held` (a read lock the caller
    /// holds) or, when `None`, under a read lock taken only if a category needs consent; under
    /// the catalogue in force at the request's instant. `as_of` is the ledger position the
    /// caller made the state fresh to.
    #[expect(
        clippy::too_many_arguments,
        reason = "the parts of one request, borrowed, so no request is built per decision"
    )]
    fn decide_parts<S: AsRef<str>>(
        &self,
        held: Option<&Projection>,
        as_of: u64,
        subject: &NationalId,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        assertions: &[Assertion],
        at: DateTime<Utc>,
    ) -> Result<Decision> {
        let at_micros = time::to_micros(at, "decision time")?;
        // One atomic load while the ledger has adopted one catalogue.
        let catalogue = self.inner.catalogue.at(at_micros);
        self.check_subject(subject)?;
        let interned = Interned::new(catalogue, recipient, purpose, categories, assertions)?;
        self.decide_interned(held, as_of, subject, catalogue, &interned, at, at_micros)
    }

    /// Decides a request whose codes are interned in `catalogue` (the one in force at
    /// `at_micros`), for a subject already checked, on the state made fresh to `as_of`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the interned parts of one request, so the hot path builds nothing"
    )]
    pub(super) fn decide_interned(
        &self,
        held: Option<&Projection>,
        as_of: u64,
        subject: &NationalId,
        catalogue: &Catalogue,
        interned: &Interned,
        at: DateTime<Utc>,
        at_micros: time::Micros,
    ) -> Result<Decision> {
        let key = &self.inner.key;
        let mut decision = decide::decide(
            catalogue,
            interned.recipient,
            interned.purpose,
            interned.categories()?,
            interned.asserted,
            at,
            at_micros,
            self.inner.flagged.load(Ordering::Acquire),
            |resolve| {
                let pseudonym = key.pseudonym(subject);
                match held {
                    Some(projection) => resolve(projection.view(&pseudonym)),
                    None => resolve(self.read()?.view(&pseudonym)),
                }
                Ok(())
            },
        )?;
        decision.as_of_seq = as_of;
        Ok(decision)
    }

    /// Decides a disclosure and, when it is permitted, records it with the basis of each
    /// category. Returns the permitting decision.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// use consent_core::DisclosureRequest;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let request = DisclosureRequest::new(subject, "nir", "nir_registration", &["name", "national_id"], "2026-03-01T10:00:00Z".parse()?)?;
    /// let decision = ledger.record_disclosure(&request, &actor)?;
    /// assert!(decision.permitted());
    /// assert_eq!(ledger.event_count(), 2); // the catalogue's adoption, then the disclosure
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotPermitted` when the decision denies (nothing is recorded); otherwise as
    /// [`Ledger::decide`], and `Storage`.
    pub fn record_disclosure(
        &self,
        request: &DisclosureRequest,
        actor: &dyn Acting,
    ) -> Result<Decision> {
        let actor = self.permit(actor, Operation::RecordDisclosure)?;
        let actor: &Actor = &actor;
        // Under the write lock the ledger has caught up with every process's writes, so the
        // permit is checked again on the state the disclosure is recorded on.
        let mut writer = self.lock_writer()?;
        let as_of = writer.last_seq;
        let decision = self.decide_request(request, as_of)?;
        if !decision.permitted() {
            return Err(Error::new(
                ErrorCode::NotPermitted,
                format!("disclosure not permitted: {}", decision.explain()),
            ));
        }
        let bases = decision
            .outcomes()
            .map(|o| {
                let (rule, grant_id) = match o.result {
                    Ok(Basis::Statute(rule)) => (Some(rule.code.clone()), None),
                    Ok(Basis::Consent { grant, .. }) => (None, Some(grant)),
                    Err(_) => (None, None),
                };
                DisclosureBasis {
                    category: o.category.clone(),
                    rule,
                    statute: o.gates.and_then(|g| g.statute).map(str::to_owned),
                    grant_id,
                    condition: o.condition.cloned(),
                    art6: o.gates.map(|g| g.art6),
                    art9: o.gates.and_then(|g| g.art9),
                    confidentiality_exception: o.gates.map(|g| g.confidentiality_exception.clone()),
                    confidentiality_statute: o
                        .gates
                        .and_then(|g| g.confidentiality_statute)
                        .map(str::to_owned),
                }
            })
            .collect();
        let payload = EventPayload::DisclosureRecorded(DisclosureRecord {
            recipient: decision.recipient().clone(),
            purpose: decision.purpose().clone(),
            categories: decision.outcomes().map(|o| o.category.clone()).collect(),
            at: request.at,
            bases,
            assertions: request.assertions.clone(),
        });
        let subject = self.current_pseudonym(&request.subject)?;
        self.commit_one(&mut writer, actor, Some(subject), payload, Effect::None)?;
        Ok(decision)
    }
}

/// A request's codes as the ids of one catalogue: what every decision needs before it looks
/// at the subject, done once for a prepared request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    recipient: u8,
    purpose: u8,
    ids: [u8; MAX_CODES],
    len: usize,
    /// The asserted conditions, as a bitset of condition ids.
    asserted: u64,
}

impl Interned {
    /// Checks and interns a request's codes in `catalogue`.
    ///
    /// # Errors
    /// `UnknownCode` for a code `catalogue` does not have; `InvalidInput` for no categories, a
    /// repeated one, or a bad assertion.
    pub(super) fn new<S: AsRef<str>>(
        catalogue: &Catalogue,
        recipient: &str,
        purpose: &str,
        categories: &[S],
        assertions: &[Assertion],
    ) -> Result<Interned> {
        let mut asserted = 0u64;
        for assertion in assertions {
            assertion.validate()?;
            asserted |= 1u64 << catalogue.condition_id(assertion.condition.as_str())?;
        }
        let recipient = catalogue.recipient_id(recipient)?;
        let purpose = catalogue.purpose_id(purpose)?;
        if categories.is_empty() {
            return Err(Error::invalid("categories is empty"));
        }
        if categories.len() > MAX_CODES {
            return Err(Error::invalid("more categories than the catalogue has"));
        }
        let mut ids = [0u8; MAX_CODES];
        let mut seen = 0u64;
        for (slot, code) in ids.iter_mut().zip(categories) {
            let code = code.as_ref();
            let id = catalogue.category_id(code)?;
            let bit = 1u64 << id;
            if seen & bit != 0 {
                return Err(Error::invalid(format!(
                    "category `{}` is listed twice",
                    printable(code)
                )));
            }
            seen |= bit;
            *slot = id;
        }
        Ok(Interned {
            recipient,
            purpose,
            ids,
            len: categories.len(),
            asserted,
        })
    }

    /// The recipient's id.
    pub(super) fn recipient(&self) -> u8 {
        self.recipient
    }

    /// The purpose's id.
    pub(super) fn purpose(&self) -> u8 {
        self.purpose
    }

    /// The asserted conditions, as a bitset of condition ids.
    pub(super) fn asserted(&self) -> u64 {
        self.asserted
    }

    /// The category ids, in the request's order.
    ///
    /// # Errors
    /// `InvalidInput` should the length exceed the ids (checked when interned: never a permit).
    pub(super) fn categories(&self) -> Result<&[u8]> {
        self.ids
            .get(..self.len)
            .ok_or_else(|| Error::invalid("more categories than the catalogue has"))
    }
}
