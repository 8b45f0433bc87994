//! The rights that stop processing, orchestrated: restriction (GDPR Art. 18), objection
//! (Art. 21), and erasure against the archival duty (Art. 17(3), arkivlova 2025 § 5) with its
//! kassasjon. What each stops is decided in `policy/restriction.rs`; when kassasjon is due, in
//! `policy/erasure.rs`.

use crate::catalogue::Operation;
use crate::model::signed::Acting;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Ledger;
use super::commit::Pending;
use super::rights::ErasureOutcome;
use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{
    ErasureRecord, EventPayload, LiftRecord, NotificationRecord, ObjectionOutcome, ObjectionRecord,
    ObjectionResolution, RESTRICTION_V2, RestrictionGround, RestrictionRecord, WithdrawalRecord,
};
use crate::log::seal::Entropy;
use crate::model::party::Actor;
use crate::model::text;
use crate::model::{GrantId, RecordId};
use crate::policy::admission;
use crate::policy::erasure;
use crate::policy::grant_state::NEVER;
use crate::policy::notification::{self, Notification};
use crate::projection::Effect;
use crate::time;

/// A subject whose erasure was requested and whose records' retention has ended: kassasjon
/// is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KassasjonDue {
    /// The subject's pseudonym.
    pub subject: Pseudonym,
    /// When the retention ended.
    pub due_at: DateTime<Utc>,
}

fn reason_text(reason: &str) -> Result<()> {
    text::check(reason, "reason", 1000)
}

impl Ledger {
    /// Restricts the processing of a subject's data from `at` on a ground of GDPR Art. 18(1)
    /// (`A18_1_a` … `A18_1_d`). While restricted, consent-based disclosures are still
    /// permitted (Art. 18(2)) and statutory ones are denied `restricted`, unless the
    /// catalogue marks their rule `continues_under_restriction`.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::{DenialReason, RestrictionGround};
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// ledger.restrict(&subject, RestrictionGround::Accuracy, "2026-03-01T10:00:00Z".parse()?, &actor)?;
    /// let at = "2026-03-02T10:00:00Z".parse()?;
    /// let decision = ledger.decide_with(&subject, "imdi", "settlement", &["name"], at)?;
    /// assert_eq!(decision.denial(), Some(DenialReason::Restricted));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for `erasure_request` as a ground (only [`Ledger::request_erasure`]
    /// records it), or an instant after the ledger's clock or further back than the
    /// catalogue's `max_backdating_days` (5 minutes of clock difference are tolerated);
    /// `Conflict` when the subject is already
    /// restricted on that ground; `Storage`.
    pub fn restrict(
        &self,
        subject: &NationalId,
        ground: RestrictionGround,
        at: DateTime<Utc>,
        actor: &dyn Acting,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::Restrict)?;
        let actor: &Actor = &actor;
        if ground == RestrictionGround::ErasureRequest {
            return Err(Error::invalid(
                "erasure_request is not a ground of Art. 18(1): use request_erasure",
            ));
        }
        let from = time::to_micros(at, "at")?;
        admission::admit_start(
            &self.inner.catalogue,
            "restriction",
            from,
            self.now_micros()?,
        )?;
        self.check_subject(subject)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.current_pseudonym(subject)?;
        self.refuse_open_restriction(&pseudonym, ground)?;
        self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::SubjectRestricted(RestrictionRecord {
                at,
                rules: Vec::new(),
                statutes: Vec::new(),
                version: RESTRICTION_V2,
                ground: Some(ground),
            }),
            Effect::Restrict {
                subject: pseudonym,
                from,
                legacy: false,
                erasure: false,
            },
        )
    }

    /// `Conflict` when a restriction on `ground` is in force and not lifted (0.1's
    /// restrictions count as erasure requests).
    fn refuse_open_restriction(
        &self,
        subject: &Pseudonym,
        ground: RestrictionGround,
    ) -> Result<()> {
        let projection = self.read()?;
        let open = projection.flags(subject).is_some_and(|flags| {
            flags.restrictions.iter().any(|r| {
                // An open 0.1 restriction came from an erasure request.
                r.until == NEVER && (!r.legacy || ground == RestrictionGround::ErasureRequest)
            })
        });
        if !open {
            return Ok(());
        }
        // Which ground the open restriction has is in the event, not the projection: read it.
        drop(projection);
        let events = self.events_of(subject)?;
        let mut open_grounds: Vec<RestrictionGround> = Vec::new();
        for event in &events {
            match &event.payload {
                EventPayload::SubjectRestricted(r) => open_grounds.push(
                    r.ground
                        .filter(|_| r.version >= RESTRICTION_V2)
                        .unwrap_or(RestrictionGround::ErasureRequest),
                ),
                // A lift ends the Art. 18(1) grounds; an erasure request's restriction stays.
                EventPayload::RestrictionLifted(_) => {
                    open_grounds.retain(|g| *g == RestrictionGround::ErasureRequest);
                }
                _ => {}
            }
        }
        if open_grounds.contains(&ground) {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "the subject is already restricted on the ground {}",
                    ground.as_str()
                ),
            ));
        }
        Ok(())
    }

    /// Lifts every restriction of the subject on a ground of Art. 18(1) from `at`, which is now
    /// or later. The person must be told before the lift takes effect (Art. 18(3)): record the
    /// lift for the day it takes effect, and [`Ledger::notifications_due`] lists the letter to
    /// the person with that day as its deadline (`before`).
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::RestrictionGround;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// ledger.restrict(&subject, RestrictionGround::Accuracy, "2026-03-01T10:00:00Z".parse()?, &actor)?;
    /// ledger.lift_restriction(&subject, "2026-03-10T10:00:00Z".parse()?, &dpo, "the address was verified")?;
    /// let at = "2026-03-11T10:00:00Z".parse()?;
    /// assert!(ledger.decide_with(&subject, "imdi", "settlement", &["name"], at)?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` when the subject has no restriction in force; `InvalidInput` for an empty
    /// or oversized reason, a national id in it, an instant before the ledger's clock (a lift
    /// never turns denials already given into permits) or before the restriction began;
    /// `Storage`.
    pub fn lift_restriction(
        &self,
        subject: &NationalId,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        reason: &str,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::LiftRestriction)?;
        let actor: &Actor = &actor;
        reason_text(reason)?;
        let at_micros = time::to_micros(at, "at")?;
        admission::admit_end("lift", at_micros, self.now_micros()?)?;
        self.check_subject(subject)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.current_pseudonym(subject)?;
        {
            let projection = self.read()?;
            let open = projection
                .flags(&pseudonym)
                .and_then(|flags| flags.liftable().copied())
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        "the subject has no restriction on a ground of Art. 18(1) in force (an erasure request's restriction ends only with kassasjon)",
                    )
                })?;
            if at_micros < open.from {
                return Err(Error::invalid(
                    "the lift is before the restriction it lifts began",
                ));
            }
        }
        self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::RestrictionLifted(LiftRecord {
                at,
                reason: reason.to_owned(),
            }),
            Effect::Lift {
                subject: pseudonym,
                at: at_micros,
            },
        )
    }

    /// Records the subject's objection (GDPR Art. 21(1)) to processing for `purpose` from
    /// `at`. Every basis of that purpose whose GDPR gate is Art. 6(1)(e) (statutory rules, and
    /// consents that only waive confidentiality) then denies `objected`, until
    /// [`Ledger::resolve_objection`] rejects it. A consent that is itself the Art. 6(1)(a)
    /// basis is untouched: the person withdraws it instead. Returns the objection's id.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::{DenialReason, ObjectionOutcome};
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let objection = ledger.object(&subject, "introduction_programme", "2026-03-01T10:00:00Z".parse()?, &actor)?;
    /// let at = "2026-03-02T10:00:00Z".parse()?;
    /// let decision = ledger.decide_with(&subject, "nav", "introduction_programme", &["name"], at)?;
    /// assert_eq!(decision.denial(), Some(DenialReason::Objected));
    /// ledger.resolve_objection(objection, ObjectionOutcome::Rejected, "2026-03-03T10:00:00Z".parse()?, &dpo, "vedtak 2026/90: compelling grounds")?;
    /// let later = "2026-03-04T10:00:00Z".parse()?;
    /// assert!(ledger.decide_with(&subject, "nav", "introduction_programme", &["name"], later)?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a purpose not in the catalogue; `InvalidInput` for a purpose with no
    /// basis on Art. 6(1)(e) (nothing to object to), or an instant after the ledger's clock or
    /// further back than the catalogue's `max_backdating_days`; `Conflict`
    /// when an unresolved objection to the purpose exists; `Storage`.
    pub fn object(
        &self,
        subject: &NationalId,
        purpose: &str,
        at: DateTime<Utc>,
        actor: &dyn Acting,
    ) -> Result<Uuid> {
        let actor = self.permit(actor, Operation::Object)?;
        let actor: &Actor = &actor;
        let catalogue = &self.inner.catalogue;
        let purpose_id = catalogue.purpose_id(purpose)?;
        if !catalogue.objectable(purpose_id) {
            return Err(Error::invalid(format!(
                "purpose `{purpose}` rests on no Art. 6(1)(e) basis, so Art. 21(1) gives no right to object; a consent that is the basis is withdrawn instead"
            )));
        }
        let from = time::to_micros(at, "at")?;
        admission::admit_start(&self.inner.catalogue, "objection", from, self.now_micros()?)?;
        self.check_subject(subject)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.current_pseudonym(subject)?;
        let pending = self.read()?.flags(&pseudonym).is_some_and(|flags| {
            flags
                .objections
                .iter()
                .any(|o| o.purpose == purpose_id && !o.resolved)
        });
        if pending {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!("an objection to `{purpose}` is not yet resolved"),
            ));
        }
        let id = Uuid::now_v7();
        self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::ObjectionRecorded(ObjectionRecord {
                objection_id: id,
                purpose: catalogue.purpose_code(purpose_id).clone(),
                at,
            }),
            Effect::Object {
                subject: pseudonym,
                id,
                purpose: purpose_id,
                from,
            },
        )?;
        Ok(id)
    }

    /// Resolves an objection from `at`: `Upheld` (the municipality could not show compelling
    /// grounds: the processing for the purpose stays stopped) or `Rejected` (it resumes).
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::{DenialReason, ObjectionOutcome};
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let objection = ledger.object(&subject, "settlement", "2026-03-01T10:00:00Z".parse()?, &actor)?;
    /// ledger.resolve_objection(objection, ObjectionOutcome::Upheld, "2026-03-05T10:00:00Z".parse()?, &dpo, "no compelling grounds")?;
    /// let later = "2026-06-01T10:00:00Z".parse()?;
    /// let decision = ledger.decide_with(&subject, "imdi", "settlement", &["name"], later)?;
    /// assert_eq!(decision.denial(), Some(DenialReason::Objected));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown objection; `Conflict` when it is already resolved;
    /// `InvalidInput` for a bad reason, an instant before the ledger's clock or before the
    /// objection;
    /// `Storage`.
    pub fn resolve_objection(
        &self,
        objection: Uuid,
        outcome: ObjectionOutcome,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        reason: &str,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::ResolveObjection)?;
        let actor: &Actor = &actor;
        reason_text(reason)?;
        let at_micros = time::to_micros(at, "at")?;
        admission::admit_end("resolution", at_micros, self.now_micros()?)?;
        let mut writer = self.lock_writer()?;
        let subject = {
            let projection = self.read()?;
            let not_found =
                || Error::new(ErrorCode::NotFound, format!("no objection `{objection}`"));
            let subject = *projection
                .objection_subject(objection)
                .ok_or_else(not_found)?;
            let span = projection
                .flags(&subject)
                .and_then(|flags| flags.objections.iter().find(|o| o.id == objection).copied())
                .ok_or_else(not_found)?;
            if span.resolved {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("objection `{objection}` is already resolved"),
                ));
            }
            if at_micros < span.from {
                return Err(Error::invalid(
                    "the resolution is before the objection was made",
                ));
            }
            subject
        };
        self.commit_one(
            &mut writer,
            actor,
            Some(subject),
            EventPayload::ObjectionResolved(ObjectionResolution {
                objection_id: objection,
                outcome,
                at,
                reason: reason.to_owned(),
            }),
            Effect::ResolveObjection {
                id: objection,
                at: at_micros,
                upheld: outcome == ObjectionOutcome::Upheld,
            },
        )
    }

    /// Evaluates an erasure request (GDPR Art. 17) at the ledger's clock. Consent forms,
    /// refusals and disclosure records are archival material (arkivlova 2025 § 5), so nothing
    /// is destroyed now: every active grant is withdrawn (reason `erasure_request`), the
    /// subject's processing is restricted (ground `erasure_request`), and the outcome says
    /// when kassasjon is due (`None`: a purpose's retention is permanent or not stated).
    /// [`Ledger::execute_kassasjon`] then crypto-shreds.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// use consent_core::ErasureOutcome;
    /// ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let outcome = ledger.request_erasure(&subject, &dpo)?;
    /// // The default catalogue keeps settlement records for good (bevares).
    /// assert!(matches!(outcome, ErasureOutcome::Restricted { kassasjon_due_at: None, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` when the ledger holds nothing about the subject; `Conflict` when erasure
    /// was already requested or the subject is erased; `Storage`.
    pub fn request_erasure(
        &self,
        subject: &NationalId,
        actor: &dyn Acting,
    ) -> Result<ErasureOutcome> {
        let actor = self.permit(actor, Operation::RequestErasure)?;
        let actor: &Actor = &actor;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        if self.read()?.is_erased(&pseudonym) || self.erased_but_looked_up(&pseudonym)? {
            return Err(Error::new(
                ErrorCode::Conflict,
                "the subject is already erased",
            ));
        }
        self.refuse_open_restriction(&pseudonym, RestrictionGround::ErasureRequest)
            .map_err(|e| match e.code() {
                ErrorCode::Conflict => {
                    Error::new(ErrorCode::Conflict, "erasure was already requested")
                }
                _ => e,
            })?;
        let catalogue = &self.inner.catalogue;
        let now = self.inner.clock.now();
        let now_micros = time::to_micros(now, "the ledger's clock")?;
        // Every grant not withdrawn and not ended by now.
        let active: Vec<(GrantId, i64)> = {
            let projection = self.read()?;
            let state = projection.subject(&pseudonym);
            let mut ids: Vec<(GrantId, i64)> = Vec::new();
            for grant in state.grants.iter() {
                if grant.withdrawn_at == NEVER
                    && grant.valid_until > now_micros
                    && !ids.iter().any(|(id, _)| *id == grant.id)
                {
                    ids.push((grant.id, grant.valid_from));
                }
            }
            ids
        };
        let events = self.events_of(&pseudonym)?;
        let rules = erasure::archival_rules(catalogue, &events);
        let statutes = erasure::statutes_of(catalogue, &rules);
        let mut pending: Vec<Pending> = Vec::new();
        for (grant, valid_from) in &active {
            // A grant not yet in effect is withdrawn from when it would have begun.
            let at_micros = now_micros.max(*valid_from);
            pending.push(Pending {
                actor: None,
                subject: Some(pseudonym),
                payload: EventPayload::GrantWithdrawn(WithdrawalRecord {
                    grant_id: *grant,
                    at: time::from_micros(at_micros)?,
                    reason: Some("erasure_request".to_owned()),
                    idempotency: None,
                }),
                effect: Effect::Withdraw {
                    grant: *grant,
                    at: at_micros,
                },
            });
        }
        pending.push(Pending {
            actor: None,
            subject: Some(pseudonym),
            payload: EventPayload::SubjectRestricted(RestrictionRecord {
                at: now,
                rules: rules.clone(),
                statutes: statutes.clone(),
                version: RESTRICTION_V2,
                ground: Some(RestrictionGround::ErasureRequest),
            }),
            effect: Effect::Restrict {
                subject: pseudonym,
                from: now_micros,
                legacy: false,
                erasure: true,
            },
        });
        self.commit(&mut writer, actor, pending, &[], &mut Entropy::new())?;
        let events = self.events_of(&pseudonym)?;
        Ok(ErasureOutcome::Restricted {
            at: now,
            rules,
            statutes,
            withdrawn: active.into_iter().map(|(id, _)| id).collect(),
            kassasjon_due_at: erasure::kassasjon_due(catalogue, &events),
        })
    }

    /// The subjects whose erasure was requested and whose records' retention has ended by
    /// `at`, sorted by due date.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger, LedgerOptions};
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// // A catalogue whose purposes are kept one year after the last case event.
    /// let toml = Catalogue::embedded_toml().replace("retention_years = \"permanent\"", "retention_years = 1");
    /// let options = LedgerOptions::default()
    ///     .with_catalogue(Catalogue::from_toml(&toml)?)
    ///     .with_test_clock("2026-01-05T10:00:00Z".parse()?);
    /// let ledger = Ledger::open(":memory:", options)?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// ledger.request_erasure(&subject, &dpo)?;
    /// assert!(ledger.erasure_due("2026-06-01T00:00:00Z".parse()?)?.is_empty());
    /// assert_eq!(ledger.erasure_due("2027-02-01T00:00:00Z".parse()?)?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `Integrity` when an event does not verify;
    /// `Storage`.
    pub fn erasure_due(&self, at: DateTime<Utc>) -> Result<Vec<KassasjonDue>> {
        self.fresh()?;
        time::to_micros(at, "at")?;
        let requested: Vec<Pseudonym> = {
            let projection = self.read()?;
            projection
                .subjects()
                .filter(|(_, state)| state.flagged)
                .map(|(subject, _)| *subject)
                .collect()
        };
        let mut due = Vec::new();
        for subject in requested {
            if let Some(due_at) = self.kassasjon_due_of(&subject)?
                && due_at <= at
            {
                due.push(KassasjonDue { subject, due_at });
            }
        }
        due.sort_by_key(|d| (d.due_at, d.subject));
        Ok(due)
    }

    /// When kassasjon of the subject is due: `None` unless erasure was requested (and not
    /// lifted), the subject is not erased, no restriction the person asked for to keep the
    /// data (Art. 18(1)(b) or (c)) stands, and every retention has an end.
    fn kassasjon_due_of(&self, subject: &Pseudonym) -> Result<Option<DateTime<Utc>>> {
        if self.read()?.is_erased(subject) {
            return Ok(None);
        }
        let events = self.events_of(subject)?;
        let mut open: Vec<RestrictionGround> = Vec::new();
        for event in &events {
            match &event.payload {
                // A 0.1 restriction came from an erasure request.
                EventPayload::SubjectRestricted(r) => open.push(
                    r.ground
                        .filter(|_| r.version >= RESTRICTION_V2)
                        .unwrap_or(RestrictionGround::ErasureRequest),
                ),
                EventPayload::RestrictionLifted(_) => {
                    open.retain(|g| *g == RestrictionGround::ErasureRequest);
                }
                _ => {}
            }
        }
        let keeps = open.iter().any(|g| {
            matches!(
                g,
                RestrictionGround::Unlawful | RestrictionGround::LegalClaims
            )
        });
        if keeps || !open.contains(&RestrictionGround::ErasureRequest) {
            return Ok(None);
        }
        Ok(erasure::kassasjon_due(&self.inner.catalogue, &events))
    }

    /// Kassasjon: crypto-shreds the subject's personal payloads (their data key is
    /// destroyed; the hash chain still verifies), once their erasure was requested and the
    /// retention of their records has ended, judged by the ledger's own clock.
    ///
    /// Backups made before a kassasjon still hold the wrapped key: keep backups no longer than
    /// the shortest period after which kassasjon must reach them (see the operations guide).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger, LedgerOptions};
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::{ErasureOutcome, ErrorCode};
    /// let toml = Catalogue::embedded_toml().replace("retention_years = \"permanent\"", "retention_years = 1");
    /// let options = LedgerOptions::default()
    ///     .with_catalogue(Catalogue::from_toml(&toml)?)
    ///     .with_test_clock("2026-01-05T10:00:00Z".parse()?);
    /// let ledger = Ledger::open(":memory:", options)?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// ledger.request_erasure(&subject, &dpo)?;
    /// let early = ledger.execute_kassasjon(&subject, &archivist).unwrap_err();
    /// assert_eq!(early.code(), ErrorCode::NotPermitted);
    /// ledger.set_clock("2027-02-01T00:00:00Z".parse()?)?;
    /// assert!(matches!(ledger.execute_kassasjon(&subject, &archivist)?, ErasureOutcome::Erased { .. }));
    /// assert!(ledger.verify()?.ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` when the ledger holds nothing about the subject; `NotPermitted` before the
    /// retention has ended (or while it never ends, no erasure was requested, or a restriction
    /// the person asked for to keep the data stands); `Conflict` when already erased;
    /// `Storage`.
    pub fn execute_kassasjon(
        &self,
        subject: &NationalId,
        actor: &dyn Acting,
    ) -> Result<ErasureOutcome> {
        let actor = self.permit(actor, Operation::ExecuteKassasjon)?;
        let actor: &Actor = &actor;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        if self.read()?.is_erased(&pseudonym) || self.erased_but_looked_up(&pseudonym)? {
            return Err(Error::new(
                ErrorCode::Conflict,
                "the subject is already erased",
            ));
        }
        let now = self.inner.clock.now();
        match self.kassasjon_due_of(&pseudonym)? {
            Some(due) if due <= now => {}
            Some(due) => {
                return Err(Error::new(
                    ErrorCode::NotPermitted,
                    format!(
                        "kassasjon is not due before {}: the records' retention has not ended",
                        due.to_rfc3339()
                    ),
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorCode::NotPermitted,
                    "kassasjon is not due: no erasure was requested, a purpose's retention is permanent or not stated, or a restriction keeps the data",
                ));
            }
        }
        let events = self.events_of(&pseudonym)?;
        // The person's current id and every id they had before: each key is destroyed, and
        // each erasure recorded under its own pseudonym (so every unreadable payload is
        // explained by an erasure of its subject).
        // The earlier ids first, the current one last, so the export's erasure is the
        // current id's (which carries the recipients to tell).
        let mut ids: Vec<Pseudonym> = {
            let projection = self.read()?;
            projection
                .earlier_ids(&pseudonym)
                .into_iter()
                .filter(|id| projection.has_key(id))
                .collect()
        };
        ids.push(pseudonym);
        // Who received the person's data, to be told (Art. 19): read now, before the
        // payloads that say so become unreadable.
        let mut recipients: Vec<Code> = Vec::new();
        for event in &events {
            if let EventPayload::DisclosureRecorded(d) = &event.payload
                && !recipients.contains(&d.recipient)
            {
                recipients.push(d.recipient.clone());
            }
        }
        let mut total = 0u64;
        let mut pending = Vec::with_capacity(ids.len());
        for id in &ids {
            let events_erased = events
                .iter()
                .filter(|e| {
                    e.subject.as_ref() == Some(id)
                        && !matches!(e.payload, EventPayload::Redacted)
                        && e.payload.is_personal()
                })
                .count() as u64;
            total += events_erased;
            pending.push(Pending {
                actor: None,
                subject: Some(*id),
                payload: EventPayload::SubjectErased(ErasureRecord {
                    at: now,
                    events_erased,
                    // The current id's erasure carries the list; the earlier ids' do not.
                    recipients: if *id == pseudonym {
                        recipients.clone()
                    } else {
                        Vec::new()
                    },
                }),
                effect: Effect::Erase { subject: *id },
            });
        }
        // The snapshot holds the subject's grant states: it goes before the shredding does.
        self.forget_snapshot()?;
        self.commit(&mut writer, actor, pending, &ids, &mut Entropy::new())?;
        Ok(ErasureOutcome::Erased {
            at: now,
            events_erased: total,
        })
    }

    /// The notification worklist up to `at`: tell the person before a restriction is
    /// lifted (GDPR Art. 18(3)), and tell every recipient who received the person's data of
    /// a rectification, a restriction or an erasure (Art. 19). A task stays until
    /// [`Ledger::record_notification`] marks it done.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::{DisclosureRequest, RestrictionGround};
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// ledger.record_disclosure(&DisclosureRequest::new(subject.clone(), "imdi", "settlement", &["name"], at)?, &actor)?;
    /// ledger.restrict(&subject, RestrictionGround::Accuracy, at, &actor)?;
    /// let tasks = ledger.notifications_due("2026-03-02T00:00:00Z".parse()?)?;
    /// assert_eq!(tasks.len(), 1); // tell IMDi of the restriction
    /// ledger.record_notification(tasks[0].event_id, Some("imdi"), "2026-03-01T12:00:00Z".parse()?, &actor)?;
    /// assert!(ledger.notifications_due("2026-03-02T00:00:00Z".parse()?)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `Integrity` when an event does not verify;
    /// `Storage`.
    pub fn notifications_due(&self, at: DateTime<Utc>) -> Result<Vec<Notification>> {
        time::to_micros(at, "at")?;
        let mut events = Vec::new();
        self.for_each_event(|event| {
            events.push(event);
            Ok(())
        })?;
        Ok(notification::due(&events, at))
    }

    /// Marks a task of the notification worklist done: the person (`recipient` `None`) or a
    /// recipient was told at `at` of the change recorded by `event_id`.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-03-01T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// # let archivist = Actor::new("arkivar-1", "archivist")?;
    /// use consent_core::RestrictionGround;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// ledger.restrict(&subject, RestrictionGround::Accuracy, "2026-03-01T10:00:00Z".parse()?, &actor)?;
    /// ledger.lift_restriction(&subject, "2026-03-02T10:00:00Z".parse()?, &dpo, "verified")?;
    /// let tasks = ledger.notifications_due("2026-03-03T00:00:00Z".parse()?)?;
    /// assert_eq!(tasks[0].recipient, None); // tell the person
    /// ledger.record_notification(tasks[0].event_id, None, "2026-03-02T09:00:00Z".parse()?, &actor)?;
    /// assert!(ledger.notifications_due("2026-03-03T00:00:00Z".parse()?)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a recipient not in the catalogue; `NotFound` when no such task is on
    /// the worklist (or it is already done); `InvalidInput` for an instant out of range;
    /// `Storage`. Nothing is written on error.
    pub fn record_notification(
        &self,
        event_id: Uuid,
        recipient: Option<&str>,
        at: DateTime<Utc>,
        actor: &dyn Acting,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::RecordNotification)?;
        let actor: &Actor = &actor;
        time::to_micros(at, "at")?;
        let catalogue = &self.inner.catalogue;
        let recipient = recipient
            .map(|code| {
                catalogue
                    .recipient_id(code)
                    .map(|id| catalogue.recipient_code(id).clone())
            })
            .transpose()?;
        let mut writer = self.lock_writer()?;
        let open = self.notifications_due(self.inner.clock.now().max(at))?;
        let task = open
            .iter()
            .find(|n| n.event_id == event_id && n.recipient == recipient)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    "no such task on the notification worklist (or it is already done)",
                )
            })?;
        let subject = task.subject;
        self.commit_one(
            &mut writer,
            actor,
            Some(subject),
            EventPayload::NotificationSent(NotificationRecord {
                event_id,
                recipient,
                at,
            }),
            Effect::None,
        )
    }
}
