//! Accountability: who may do what, and every read of one person's data recorded.
//!
//! Each operation asks `policy::permission` first, before it looks at its input. A read of
//! one person's data (the export, their events, a decision made with an actor) appends a
//! `subject_accessed` event to the same hash chain before it returns: an access is never
//! acknowledged unless its record is durable.

use std::borrow::Cow;
use std::sync::{Arc, Condvar, Mutex};

use chrono::{DateTime, Utc};

use super::commit::Pending;
use super::prepared::PreparedRequest;
use super::verify::VerifyReport;
use super::{Ledger, poisoned};
use crate::catalogue::Operation;
use crate::error::Result;
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{AccessRecord, Event, EventPayload};
use crate::log::seal::Entropy;
use crate::model::decision::Decision;
use crate::model::party::Actor;
use crate::model::request::DisclosureRequest;
use crate::model::signed::Acting;
use crate::model::text;
use crate::policy::permission;
use crate::projection::Effect;

/// The group-commit queue of accesses: those waiting, and whether a caller is leading a
/// write; callers wait for their turn on `turn`.
#[derive(Debug, Default)]
pub(super) struct AccessQueue {
    queue: Mutex<Waiting>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct Waiting {
    waiting: Vec<Arc<AccessSlot>>,
    leading: bool,
}

/// An access waiting in the group-commit queue, and, once a leader committed it, the outcome.
#[derive(Debug)]
pub(super) struct AccessSlot {
    subject: Pseudonym,
    actor: Actor,
    operation: Operation,
    purpose: String,
    done: Mutex<Option<Result<()>>>,
}

impl AccessSlot {
    fn outcome(&self) -> Result<Option<Result<()>>> {
        Ok(self.done.lock().map_err(|_| poisoned())?.take())
    }
}

/// The longest purpose of lookup, in characters.
pub const MAX_LOOKUP_PURPOSE: usize = 200;

impl Ledger {
    /// The actor a call acts as (a signed one verified at the ledger's clock), once it may
    /// perform `operation` under the catalogue in force. Every call that takes an actor asks
    /// here first and then uses only the actor returned.
    ///
    /// # Errors
    /// As `permission::resolve`; `UnknownCode` for a role the catalogue lacks; `NotPermitted`
    /// naming the role and the operation.
    pub(super) fn permit<'a>(
        &self,
        actor: &'a dyn Acting,
        operation: Operation,
    ) -> Result<Cow<'a, Actor>> {
        let catalogue = &self.inner.catalogue;
        let actor = permission::resolve(
            catalogue,
            self.inner.actor_trust.as_ref(),
            actor.claim(),
            self.inner.clock.now(),
        )?;
        permission::check(catalogue, &actor, operation)?;
        Ok(actor)
    }

    /// Whether a decision without an actor may be made (not under `log_all_decisions`).
    pub(super) fn permit_unlogged(&self) -> Result<()> {
        permission::unlogged_decision(&self.inner.catalogue)
    }

    /// Whether `actor` may perform `operation`, as a caller outside the ledger asks before it
    /// does something the ledger does not do itself. A signed actor is verified as a call
    /// would verify it.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger, Operation, ErrorCode};
    /// let ledger = Ledger::in_memory(Catalogue::embedded())?;
    /// let auditor = Actor::new("revisor-1", "auditor")?;
    /// assert!(ledger.check_permission(&auditor, Operation::Verify).is_ok());
    /// let refused = ledger.check_permission(&auditor, Operation::Export).unwrap_err();
    /// assert_eq!(refused.code(), ErrorCode::NotPermitted);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` naming the role and the
    /// operation.
    pub fn check_permission(&self, actor: &dyn Acting, operation: Operation) -> Result<()> {
        self.permit(actor, operation).map(|_| ())
    }

    /// Records that `actor` read the data of the person with `pseudonym` by `operation`, for
    /// `purpose`; returns once the record is durable.
    ///
    /// Group commit: the access joins a queue. While another caller leads a write, the rest
    /// wait; when none leads, one becomes the leader, takes the writer and commits every
    /// access queued by then in one write (one transaction, one flush), tells each waiting
    /// caller the outcome and steps down, so the next leader takes what queued meanwhile.
    /// Nothing is acknowledged before its write is durable, and nothing is dropped: the queue
    /// has no bound and callers wait.
    pub(super) fn record_access(
        &self,
        pseudonym: Pseudonym,
        actor: &Actor,
        operation: Operation,
        purpose: &str,
    ) -> Result<()> {
        let slot = Arc::new(AccessSlot {
            subject: pseudonym,
            actor: actor.clone(),
            operation,
            purpose: purpose.to_owned(),
            done: Mutex::new(None),
        });
        let accesses = &self.inner.accesses;
        {
            let mut queue = accesses.queue.lock().map_err(|_| poisoned())?;
            queue.waiting.push(Arc::clone(&slot));
            loop {
                if let Some(outcome) = slot.outcome()? {
                    return outcome;
                }
                if !queue.leading {
                    queue.leading = true;
                    break;
                }
                queue = accesses.turn.wait(queue).map_err(|_| poisoned())?;
            }
        }
        // The leader. Whatever happens, it steps down and wakes the others.
        let outcome = self.lead_accesses(&slot);
        let mut queue = accesses.queue.lock().map_err(|_| poisoned())?;
        queue.leading = false;
        accesses.turn.notify_all();
        drop(queue);
        outcome
    }

    /// Commits every queued access in one write and gives each its outcome; the leader's own
    /// is returned. Should the writer not be taken, only the leader's access fails (the
    /// others stay queued for the next leader).
    fn lead_accesses(&self, own: &Arc<AccessSlot>) -> Result<()> {
        let accesses = &self.inner.accesses;
        let mut writer = match self.lock_writer() {
            Ok(writer) => writer,
            Err(error) => {
                let mut queue = accesses.queue.lock().map_err(|_| poisoned())?;
                queue.waiting.retain(|queued| !Arc::ptr_eq(queued, own));
                return Err(error);
            }
        };
        let batch = std::mem::take(&mut accesses.queue.lock().map_err(|_| poisoned())?.waiting);
        let pending = batch
            .iter()
            .map(|queued| Pending {
                actor: Some(queued.actor.clone()),
                subject: Some(queued.subject),
                payload: EventPayload::SubjectAccessed(AccessRecord {
                    operation: queued.operation,
                    purpose: queued.purpose.clone(),
                }),
                effect: Effect::None,
            })
            .collect();
        let outcome = self
            .commit(&mut writer, &own.actor, pending, &[], &mut Entropy::new())
            .map(|_| ());
        drop(writer);
        for queued in &batch {
            if !Arc::ptr_eq(queued, own) {
                *queued.done.lock().map_err(|_| poisoned())? = Some(outcome.clone());
            }
        }
        outcome
    }

    /// The permission, the subject and the purpose of a read, checked in that order; the
    /// pseudonym the person's records follow.
    fn begin_read<'a>(
        &self,
        subject: &NationalId,
        actor: &'a dyn Acting,
        operation: Operation,
        purpose: &str,
    ) -> Result<(Pseudonym, Cow<'a, Actor>)> {
        let actor = self.permit(actor, operation)?;
        check_purpose(purpose)?;
        self.check_subject(subject)?;
        Ok((self.current_pseudonym(subject)?, actor))
    }

    /// The person's events (and those of the ids they had before), in log order, each verified
    /// and opened. Recorded as an access by `actor` for `purpose` before they are read.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let case_worker = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let events = ledger.subject_events(&subject, &case_worker, "sak 2026/55: oppfølging")?;
    /// assert_eq!(events.last().map(|e| e.kind.as_str()), Some("subject_accessed"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` for a role without
    /// `subject_events`; `InvalidInput` for an empty or over-long purpose (or one holding a
    /// national id); `InvalidNationalId` for a synthetic id outside test mode; `Integrity`;
    /// `Storage`. Nothing is recorded on error.
    pub fn subject_events(
        &self,
        subject: &NationalId,
        actor: &dyn Acting,
        purpose: &str,
    ) -> Result<Vec<Event>> {
        let (pseudonym, actor) =
            self.begin_read(subject, actor, Operation::SubjectEvents, purpose)?;
        self.record_access(pseudonym, &actor, Operation::SubjectEvents, purpose)?;
        self.events_of(&pseudonym)
    }

    /// Checks a read of the export, then records it: the export is built after its access is
    /// durable, and so lists it.
    pub(super) fn export_access(
        &self,
        subject: &NationalId,
        actor: &dyn Acting,
        purpose: &str,
    ) -> Result<Pseudonym> {
        let (pseudonym, actor) = self.begin_read(subject, actor, Operation::Export, purpose)?;
        self.record_access(pseudonym, &actor, Operation::Export, purpose)?;
        Ok(pseudonym)
    }

    /// Decides a disclosure request as [`Ledger::decide`] does, and records the decision as an
    /// access to the person's data by `actor`, for `purpose` (why the person was looked up).
    /// The decision is returned only once that record is durable. The variant every decision
    /// must use when the catalogue sets `log_all_decisions`.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// use consent_core::DisclosureRequest;
    /// let case_worker = Actor::new("saksbehandler-17", "case_worker")?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let request = DisclosureRequest::new(subject, "nir", "nir_registration", &["name"], "2026-03-01T10:00:00Z".parse()?)?;
    /// let decision = ledger.decide_logged(&request, &case_worker, "melding til NIR")?;
    /// assert!(decision.permitted());
    /// assert_eq!(ledger.event_count(), 2); // the catalogue's adoption, then the access
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` for a role without
    /// `decide_logged`; `InvalidInput` for a bad purpose; otherwise as [`Ledger::decide`], and
    /// `Storage`. Nothing is recorded on error.
    pub fn decide_logged(
        &self,
        request: &DisclosureRequest,
        actor: &dyn Acting,
        purpose: &str,
    ) -> Result<Decision> {
        let (pseudonym, actor) =
            self.begin_read(&request.subject, actor, Operation::DecideLogged, purpose)?;
        let as_of = self.fresh()?;
        let decision = self.decide_request(request, as_of)?;
        self.record_access(pseudonym, &actor, Operation::DecideLogged, purpose)?;
        Ok(decision)
    }

    /// Decides a prepared request for one subject as [`Ledger::decide_prepared`] does, and
    /// records it as an access by `actor` for `purpose`, as [`Ledger::decide_logged`] does.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let system = Actor::new("nir-overforing", "system")?;
    /// let request = ledger.prepare("nir", "nir_registration", &["name"], &[])?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// assert!(ledger.decide_prepared_logged(&request, &subject, at, &system, "nattlig NIR-overføring")?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::decide_logged`] and [`Ledger::decide_prepared`].
    pub fn decide_prepared_logged(
        &self,
        request: &PreparedRequest,
        subject: &NationalId,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        purpose: &str,
    ) -> Result<Decision> {
        let (pseudonym, actor) =
            self.begin_read(subject, actor, Operation::DecideLogged, purpose)?;
        let decision = self.decide_prepared_unchecked(request, subject, at)?;
        self.record_access(pseudonym, &actor, Operation::DecideLogged, purpose)?;
        Ok(decision)
    }

    /// Verifies the hash chain as [`Ledger::verify`] does, for an actor whose role may
    /// `verify` (an auditor's).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// let ledger = Ledger::in_memory(Catalogue::embedded())?;
    /// assert!(ledger.verify_as(&Actor::new("revisor-1", "auditor")?)?.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` for a role without
    /// `verify`; otherwise as [`Ledger::verify`].
    pub fn verify_as(&self, actor: &dyn Acting) -> Result<VerifyReport> {
        self.permit(actor, Operation::Verify)?;
        self.verify()
    }
}

/// A purpose of lookup: text the person may read in their export, so no national id in it.
fn check_purpose(purpose: &str) -> Result<()> {
    text::check(purpose, "purpose", MAX_LOOKUP_PURPOSE)?;
    text::check_code(purpose, "purpose")
}
