//! Recording consent: grants (one or many), withdrawals and refusals, each validated under the
//! writer lock against exactly the state it changes.

use crate::catalogue::Operation;
use crate::model::signed::Acting;
use chrono::{DateTime, Utc};

use super::commit::Pending;
use super::once::{BatchKeys, Once};
use super::{Ledger, nonempty};
use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{
    EventPayload, GrantRecord, GrantorRecord, Idempotency, RefusalRecord, WithdrawalRecord,
};
use crate::log::record;
use crate::log::seal::Entropy;
use crate::model::party::{Actor, Grantor, RepresentativeId};
use crate::model::request::{GrantRequest, RefusalRequest};
use crate::model::text;
use crate::model::{GrantId, RecordId};
use crate::policy::admission::{self, Candidate, Entry};
use crate::policy::competence::{self, Applicant};
use crate::policy::grant_state::{GrantState, NEVER};
use crate::projection::{Effect, GrantFields, Remembered};
use crate::time::{self, Micros};

/// The grant a repeated grant request returns.
fn first_grant(first: &Remembered) -> Result<GrantId> {
    first.grant.ok_or_else(|| {
        Error::new(
            ErrorCode::Integrity,
            "an idempotency key of a grant names no grant",
        )
    })
}

impl Ledger {
    /// Records a consent and returns its id.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let id = ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let decision = ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], "2026-03-01T10:00:00Z".parse()?)?;
    /// assert!(decision.permitted());
    /// # let _ = id;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a code not in the catalogue; `InvalidInput` for an empty or repeated
    /// code list, `valid_until` not after `valid_from`, an instant outside 1850–9999, bad
    /// evidence, a subject below the catalogue's self-consent age, or a representative for an
    /// adult; `InvalidNationalId`; `Storage`. Nothing is recorded on error.
    pub fn grant(&self, request: &GrantRequest, actor: &dyn Acting) -> Result<GrantId> {
        let actor = self.permit(actor, Operation::Grant)?;
        let actor: &Actor = &actor;
        let mut writer = self.lock_writer()?;
        let idempotency = match self.grant_once(request)? {
            Once::Repeat(first) => return first_grant(&first),
            Once::New(idempotency) => idempotency,
        };
        let mut entropy = Entropy::new();
        let recorded_at = time::to_micros(self.stamp(&writer), "the ledger's clock")?;
        let (subject, record, state) = self.prepare_grant(
            request,
            Entry::Current,
            recorded_at,
            &mut entropy,
            idempotency,
        )?;
        let id = record.grant_id;
        self.commit(
            &mut writer,
            actor,
            vec![Pending {
                actor: None,
                subject: Some(subject),
                payload: EventPayload::GrantRecorded(record),
                effect: Effect::AddGrant {
                    subject,
                    grant: state,
                },
            }],
            &[],
            &mut entropy,
        )?;
        Ok(id)
    }

    /// Records many consents in one durable write: all of them or none.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let ids = ledger.grant_many(&[grant.clone(), grant], &actor)?;
    /// assert_eq!(ids.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::grant`], naming the index of the first bad request; nothing is recorded.
    pub fn grant_many(
        &self,
        requests: &[GrantRequest],
        actor: &dyn Acting,
    ) -> Result<Vec<GrantId>> {
        let actor = self.permit(actor, Operation::Grant)?;
        let actor: &Actor = &actor;
        self.write_grants(requests, actor, Entry::Current)
    }

    /// Records historical consents (a migration of paper records) in one durable write, all
    /// of them or none: they may start long before they are recorded, are kept as the records
    /// they were even where a statute covers them now, and are marked `migrated`. Only the
    /// roles the catalogue's `migration_roles` names may migrate.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let dpo = Actor::new("personvernombud", "dpo")?;
    /// let paper = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    ///   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    ///   "explicit": false, "valid_from": "2021-03-01T09:00:00Z",
    ///   "evidence": {"method": "signed_paper", "reference": "2021/88", "language": "ar", "interpreter": true},
    ///   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let ids = ledger.grant_historical(&[paper], &dpo)?;
    /// assert!(ledger.events()?.iter().any(|e| matches!(&e.payload,
    ///     consent_core::EventPayload::GrantRecorded(g) if g.migrated && g.grant_id == ids[0])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotPermitted` for a role the catalogue does not allow to migrate; otherwise as
    /// [`Ledger::grant_many`], except that `valid_from` may lie any time back and a statute's
    /// coverage is not refused. Nothing is recorded on error.
    pub fn grant_historical(
        &self,
        requests: &[GrantRequest],
        actor: &dyn Acting,
    ) -> Result<Vec<GrantId>> {
        let actor = self.permit(actor, Operation::GrantHistorical)?;
        let actor: &Actor = &actor;
        let settings = self.inner.catalogue.settings();
        if !settings.migration_roles.contains(actor.role()) {
            return Err(Error::new(
                ErrorCode::NotPermitted,
                format!(
                    "role `{}` may not record historical consents (the catalogue's migration_roles)",
                    actor.role()
                ),
            ));
        }
        self.write_grants(requests, actor, Entry::Historical)
    }

    fn write_grants(
        &self,
        requests: &[GrantRequest],
        actor: &Actor,
        entry: Entry,
    ) -> Result<Vec<GrantId>> {
        let mut writer = self.lock_writer()?;
        let mut pending = Vec::with_capacity(requests.len());
        let mut ids = Vec::with_capacity(requests.len());
        let mut entropy = Entropy::new();
        let mut batch = BatchKeys::default();
        let recorded_at = time::to_micros(self.stamp(&writer), "the ledger's clock")?;
        for (index, request) in requests.iter().enumerate() {
            let context = |e: Error| e.context(format!("grant {index}"));
            // A request written before (a re-run import) returns its first id; one repeated
            // within the batch is written once.
            let idempotency = match self.grant_once(request).map_err(context)? {
                Once::Repeat(first) => {
                    ids.push(first_grant(&first).map_err(context)?);
                    continue;
                }
                Once::New(idempotency) => idempotency,
            };
            if let Some(once) = &idempotency
                && let Some(first) = batch.check(once, index).map_err(context)?
            {
                let id = ids.get(first).copied().ok_or_else(|| {
                    Error::new(ErrorCode::Integrity, "a batch's earlier request has no id")
                })?;
                ids.push(id);
                continue;
            }
            let (subject, record, state) = self
                .prepare_grant(request, entry, recorded_at, &mut entropy, idempotency)
                .map_err(context)?;
            ids.push(record.grant_id);
            pending.push(Pending {
                actor: None,
                subject: Some(subject),
                payload: EventPayload::GrantRecorded(record),
                effect: Effect::AddGrant {
                    subject,
                    grant: state,
                },
            });
        }
        self.commit(&mut writer, actor, pending, &[], &mut entropy)?;
        Ok(ids)
    }

    fn prepare_grant(
        &self,
        request: &GrantRequest,
        entry: Entry,
        recorded_at: Micros,
        entropy: &mut Entropy,
        idempotency: Option<Idempotency>,
    ) -> Result<(Pseudonym, GrantRecord, GrantState)> {
        let catalogue = &self.inner.catalogue;
        let (purposes, recipients, categories) = self.checked_scope(
            &request.subject,
            &request.purposes,
            &request.recipients,
            &request.categories,
        )?;
        let valid_from = time::to_micros(request.valid_from, "valid_from")?;
        if let Some(until) = request.valid_until
            && time::to_micros(until, "valid_until")? <= valid_from
        {
            return Err(Error::invalid(format!(
                "valid_until `{}` is not after valid_from `{}`",
                until.to_rfc3339(),
                request.valid_from.to_rfc3339()
            )));
        }
        request.evidence.validate()?;
        request.notice.validate()?;
        admission::admit(
            catalogue,
            &Candidate {
                purposes,
                recipients,
                categories,
                explicit: request.explicit,
                valid_from,
                notice: &request.notice,
                recorded_at,
            },
            entry,
        )?;

        let special = categories & catalogue.special_mask();
        let grantor = self.grantor_record(&request.grantor, &request.subject)?;
        let lapses = competence::check(
            catalogue.settings(),
            &Applicant {
                grantor: &request.grantor,
                subject: &request.subject,
                birth_date: request.subject_birth_date,
                valid_from: request.valid_from,
                special: special != 0,
                ordinary: categories & !special != 0,
                maturity_assessment: request.maturity_assessment.as_ref(),
                child_heard: request.child_heard.as_ref(),
                recorded_at: time::from_micros(recorded_at)?,
            },
        )?;
        for lapse in [lapses.ordinary, lapses.special].into_iter().flatten() {
            time::to_micros(lapse, "lapses_at")?;
        }

        let grant_id = GrantId(self.new_id(entropy)?);
        let subject = self.current_pseudonym(&request.subject)?;
        let record = GrantRecord {
            grant_id,
            grantor,
            purposes: catalogue.purpose_codes(purposes),
            recipients: catalogue.recipient_codes(recipients),
            categories: catalogue.category_codes(categories),
            explicit: request.explicit,
            valid_from: request.valid_from,
            valid_until: request.valid_until,
            lapses_at: lapses.ordinary,
            special_lapses_at: lapses.special,
            evidence: request.evidence.clone(),
            notice: request.notice.clone(),
            migrated: entry == Entry::Historical,
            maturity_assessment: request.maturity_assessment.clone(),
            child_heard: request.child_heard.clone(),
            idempotency,
        };
        // The same reading of the record a replay makes: the state a write installs is the
        // state a reopened ledger rebuilds.
        let state = GrantFields::of_record(&record).state(catalogue)?;
        Ok((subject, record, state))
    }

    /// The checked subject and the interned scope of a grant or refusal: each list non-empty,
    /// known and without repeats.
    fn checked_scope(
        &self,
        subject: &NationalId,
        purposes: &[Code],
        recipients: &[Code],
        categories: &[Code],
    ) -> Result<(u64, u64, u64)> {
        self.check_subject(subject)?;
        let catalogue = &self.inner.catalogue;
        Ok((
            nonempty(catalogue.purpose_set(purposes)?, "purposes")?,
            nonempty(catalogue.recipient_set(recipients)?, "recipients")?,
            nonempty(catalogue.category_set(categories)?, "categories")?,
        ))
    }

    /// The grantor as recorded: a person representative by pseudonym only.
    fn grantor_record(&self, grantor: &Grantor, subject: &NationalId) -> Result<GrantorRecord> {
        Ok(match grantor {
            Grantor::Subject => GrantorRecord {
                role: "self".into(),
                id: None,
                authority: None,
                authority_valid_until: None,
            },
            Grantor::Representative {
                role,
                id,
                authority,
                authority_valid_until,
            } => GrantorRecord {
                role: role.as_str().into(),
                id: Some(match id {
                    RepresentativeId::Person(person) => {
                        self.check_subject(person)?;
                        if person == subject {
                            return Err(Error::invalid(
                                "the representative is the subject; use grantor `self`",
                            ));
                        }
                        self.current_pseudonym(person)?.to_string()
                    }
                    RepresentativeId::Service(service) => service.clone(),
                }),
                authority: Some(authority.clone()),
                authority_valid_until: *authority_valid_until,
            },
        })
    }

    /// Withdraws a grant from `at` onward. Decisions for instants before `at` are unchanged
    /// (GDPR Art. 7(3)); the grant's record is kept.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let id = ledger.grant(&grant, &actor)?;
    /// ledger.withdraw(id, "2026-04-01T00:00:00Z".parse()?, &actor, Some("by phone"))?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let before = ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], "2026-03-01T10:00:00Z".parse()?)?;
    /// let after = ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], "2026-05-01T10:00:00Z".parse()?)?;
    /// assert!(before.permitted() && !after.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown grant; `Conflict` when it is already withdrawn;
    /// `InvalidInput` when `at` is before the grant's `valid_from` or out of range, or the
    /// reason is malformed; `Storage`. Nothing is recorded on error.
    pub fn withdraw(
        &self,
        grant: GrantId,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        reason: Option<&str>,
    ) -> Result<()> {
        self.withdraw_keyed(grant, at, actor, reason, None)
    }

    /// [`Ledger::withdraw`] with an idempotency key the caller chooses (at most 128
    /// characters, never a national id): the same withdrawal again with the same key writes
    /// nothing and succeeds, where without a key it is `Conflict` (already withdrawn); the
    /// same key with another request is `Conflict`.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let id = ledger.grant(&grant, &actor)?;
    /// let at = "2026-04-01T00:00:00Z".parse()?;
    /// ledger.withdraw_idempotent(id, at, &actor, None, "2026/1234-withdrawal")?;
    /// // The call is retried after a dropped connection: nothing more is written.
    /// ledger.withdraw_idempotent(id, at, &actor, None, "2026/1234-withdrawal")?;
    /// assert_eq!(ledger.event_count(), 3); // the catalogue, the grant, one withdrawal
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::withdraw`]; `InvalidInput` for a bad key; `Conflict` for a key used for
    /// another request.
    pub fn withdraw_idempotent(
        &self,
        grant: GrantId,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<()> {
        text::check(
            idempotency_key,
            "idempotency_key",
            crate::model::request::IDEMPOTENCY_KEY_MAX,
        )?;
        self.withdraw_keyed(grant, at, actor, reason, Some(idempotency_key))
    }

    fn withdraw_keyed(
        &self,
        grant: GrantId,
        at: DateTime<Utc>,
        actor: &dyn Acting,
        reason: Option<&str>,
        key: Option<&str>,
    ) -> Result<()> {
        let actor = self.permit(actor, Operation::Withdraw)?;
        let actor: &Actor = &actor;
        let at_micros = time::to_micros(at, "withdrawal time")?;
        if let Some(reason) = reason {
            text::check(reason, "reason", 1000)?;
        }
        let mut writer = self.lock_writer()?;
        let idempotency = match self.once(key, "withdrawal", || {
            Ok(format!(
                "{grant}\0{}\0{}",
                at.to_rfc3339(),
                reason.unwrap_or("\0")
            ))
        })? {
            Once::Repeat(_) => return Ok(()),
            Once::New(idempotency) => idempotency,
        };
        let subject = {
            let projection = self.read()?;
            let (subject, state) = projection
                .grant(grant)
                .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no grant `{grant}`")))?;
            if state.withdrawn_at != NEVER {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("grant `{grant}` is already withdrawn"),
                ));
            }
            if at_micros < state.valid_from {
                return Err(Error::invalid(format!(
                    "withdrawal at `{}` is before grant `{grant}` takes effect",
                    at.to_rfc3339()
                )));
            }
            *subject
        };
        self.commit(
            &mut writer,
            actor,
            vec![Pending {
                actor: None,
                subject: Some(subject),
                payload: EventPayload::GrantWithdrawn(WithdrawalRecord {
                    grant_id: grant,
                    at,
                    reason: reason.map(str::to_owned),
                    idempotency,
                }),
                effect: Effect::Withdraw {
                    grant,
                    at: at_micros,
                },
            }],
            &[],
            &mut Entropy::new(),
        )
        .map(|_| ())
    }

    /// Records that the subject (or a representative) refused to consent.
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger};
    /// # let ledger = Ledger::open(":memory:", consent_core::LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// let refusal = ledger.parse_refusal(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    ///   "purposes": ["health_coordination"], "recipients": ["helsetjenesten"], "categories": ["health"],
    ///   "at": "2026-03-01T09:00:00Z",
    ///   "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti", "interpreter": true},
    ///   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// let id = ledger.refuse(&refusal, &actor)?;
    /// assert_eq!(ledger.events()?[1].id, id); // after the catalogue's adoption
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::grant`] for the codes, the evidence and the ids.
    pub fn refuse(&self, request: &RefusalRequest, actor: &dyn Acting) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::Refuse)?;
        let actor: &Actor = &actor;
        // The key first, under the lock: a retried refusal returns the first one's id even
        // where it would no longer be admitted (recorded too long after it was given).
        let mut writer = self.lock_writer()?;
        let idempotency = match self.once(request.idempotency_key.as_deref(), "refusal", || {
            request.content()
        })? {
            Once::Repeat(first) => return self.event_id(first.seq),
            Once::New(idempotency) => idempotency,
        };
        let catalogue = &self.inner.catalogue;
        let (purposes, recipients, categories) = self.checked_scope(
            &request.subject,
            &request.purposes,
            &request.recipients,
            &request.categories,
        )?;
        time::to_micros(request.at, "at")?;
        request.evidence.validate()?;
        request.notice.validate()?;
        admission::admit_refusal(
            catalogue,
            purposes,
            recipients,
            categories,
            &request.notice,
            time::to_micros(self.stamp(&writer), "the ledger's clock")?,
        )?;
        let grantor = self.grantor_record(&request.grantor, &request.subject)?;
        let subject = self.current_pseudonym(&request.subject)?;
        let payload = EventPayload::GrantRefused(RefusalRecord {
            grantor,
            purposes: catalogue.purpose_codes(purposes),
            recipients: catalogue.recipient_codes(recipients),
            categories: catalogue.category_codes(categories),
            at: request.at,
            evidence: request.evidence.clone(),
            notice: request.notice.clone(),
            idempotency,
        });
        self.commit_one(&mut writer, actor, Some(subject), payload, Effect::None)
    }

    /// A grant request's idempotency key, looked up.
    fn grant_once(&self, request: &GrantRequest) -> Result<Once> {
        self.once(request.idempotency_key.as_deref(), "grant", || {
            request.content()
        })
    }

    /// The id of the event at `seq` (what a refusal returned).
    fn event_id(&self, seq: u64) -> Result<RecordId> {
        let mut id = None;
        self.inner.store.scan_range(seq, seq, &mut |record| {
            id = Some(record::verify_record(record, None)?.header.id);
            Ok(())
        })?;
        id.ok_or_else(|| Error::new(ErrorCode::Integrity, format!("event {seq} is not stored")))
    }
}
