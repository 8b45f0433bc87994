//! Data-subject rights and reporting, orchestrated: access requests, rectification, erasure or
//! restriction, statistics and the re-consent worklist. The rules themselves live in
//! `policy/`; the export is in `export.rs`.

use crate::catalogue::Operation;
use crate::model::signed::Acting;
use chrono::{DateTime, Duration, Months, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Ledger;
use crate::catalogue::Code;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{AccessRequestRecord, Event, EventPayload, RectificationRecord};
use crate::log::record::{self, open_event};
use crate::model::party::Actor;
use crate::model::request::Correction;
use crate::model::text;
use crate::model::{GrantId, RecordId};
use crate::policy::reconsent::{self, ReconsentItem};
use crate::policy::statistics::{self, Statistics, StatisticsQuery};
use crate::projection::{Effect, rectify_effect};
use crate::time;

/// A registered access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccessRequest {
    /// The request's record id.
    pub id: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered: one month after receipt (GDPR Art. 12(3)).
    pub due_at: DateTime<Utc>,
}

/// What an erasure request, or a kassasjon, led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErasureOutcome {
    /// The archival duty keeps the records until their retention ends: the grants are
    /// withdrawn and processing is restricted (GDPR Art. 17(3)(b), arkivlova 2025 § 5).
    Restricted {
        /// From when.
        at: DateTime<Utc>,
        /// The rules with an archival or legal duty under which the data was disclosed.
        rules: Vec<Code>,
        /// The statutes they cite.
        statutes: Vec<String>,
        /// The grants withdrawn (reason `erasure_request`).
        withdrawn: Vec<GrantId>,
        /// When kassasjon is due (`None`: a purpose's retention is permanent or not stated).
        kassasjon_due_at: Option<DateTime<Utc>>,
    },
    /// The subject's personal payloads were made unrecoverable.
    Erased {
        /// When.
        at: DateTime<Utc>,
        /// How many events became unreadable.
        events_erased: u64,
    },
}

fn not_found() -> Error {
    Error::new(
        ErrorCode::NotFound,
        "the ledger holds nothing about this subject",
    )
}

impl Ledger {
    /// The pseudonym a person's records follow now: the id's own, or (after an identity
    /// succession) the new id's.
    pub(super) fn current_pseudonym(&self, subject: &NationalId) -> Result<Pseudonym> {
        let own = self.inner.key.pseudonym(subject);
        Ok(self.read()?.resolve(&own))
    }

    /// The subject's events, and those of the ids it had before, in log order; each
    /// verified on its own and opened with its subject's key.
    pub(super) fn events_of(&self, pseudonym: &Pseudonym) -> Result<Vec<Event>> {
        let earlier = self.read()?.earlier_ids(pseudonym);
        let mut records = self.inner.store.subject_records(pseudonym.as_bytes())?;
        if !earlier.is_empty() {
            for id in &earlier {
                records.extend(self.inner.store.subject_records(id.as_bytes())?);
            }
            records.sort_by_key(|r| r.seq);
        }
        let projection = self.read()?;
        // The keys of the subjects the records name (unwrapped now if not yet: an error then
        // is the call's, never a redacted payload).
        let mut keys = std::collections::HashMap::new();
        for subject in records.iter().filter_map(|r| r.subject.map(Pseudonym)) {
            if let std::collections::hash_map::Entry::Vacant(entry) = keys.entry(subject) {
                entry.insert(self.data_key(&projection, &subject)?);
            }
        }
        records
            .into_iter()
            .map(|record| {
                let verified = record::verify_record(record, None)?;
                open_event(verified, |s| keys.get(s).copied().flatten())
            })
            .collect()
    }

    /// Whether the person was erased and nothing but look-ups of their data was recorded
    /// since: a look-up needs a new data key, which the projection takes for new records, but
    /// it leaves the person as erased as before.
    pub(super) fn erased_but_looked_up(&self, pseudonym: &Pseudonym) -> Result<bool> {
        let events = self.events_of(pseudonym)?;
        let since = events
            .iter()
            .rposition(|e| matches!(e.payload, EventPayload::SubjectErased(_)));
        Ok(since.is_some_and(|at| {
            events.iter().skip(at + 1).all(|e| {
                matches!(e.payload, EventPayload::SubjectAccessed(_))
                    || (e.kind == "subject_accessed" && e.payload == EventPayload::Redacted)
            })
        }))
    }

    pub(super) fn known_subject(&self, subject: &NationalId) -> Result<Pseudonym> {
        self.check_subject(subject)?;
        let pseudonym = self.current_pseudonym(subject)?;
        // Records of look-ups alone (an export of someone the ledger never knew) hold
        // nothing about the person to restrict, erase or rectify.
        let known = self.read()?.has_state(&pseudonym)
            || self
                .inner
                .store
                .subject_records(pseudonym.as_bytes())?
                .into_iter()
                .map(|record| record::verify_record(record, None))
                .try_fold(false, |known, verified| {
                    verified.map(|v| known || v.header.kind != "subject_accessed")
                })?;
        if known {
            Ok(pseudonym)
        } else {
            Err(not_found())
        }
    }

    /// Registers an access request received at `received_at`; the export shows it with its
    /// due date, one month after receipt.
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
    /// ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let request = ledger.register_access_request(&subject, "2026-03-10T08:00:00Z".parse()?, &actor)?;
    /// assert_eq!(request.due_at.to_rfc3339(), "2026-04-10T08:00:00+00:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A person the ledger holds nothing about may ask too: the request is registered and
    /// the export answers that nothing else is held.
    ///
    /// # Errors
    /// `InvalidNationalId` for a synthetic id outside test mode; `InvalidInput` for an
    /// instant out of range; `Storage`. Nothing is written on error.
    pub fn register_access_request(
        &self,
        subject: &NationalId,
        received_at: DateTime<Utc>,
        actor: &dyn Acting,
    ) -> Result<AccessRequest> {
        let actor = self.permit(actor, Operation::RegisterAccessRequest)?;
        let actor: &Actor = &actor;
        time::to_micros(received_at, "received_at")?;
        let due_at = received_at
            .checked_add_months(Months::new(1))
            .ok_or_else(|| Error::invalid("received_at is out of range"))?;
        self.check_subject(subject)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.current_pseudonym(subject)?;
        let id = self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::AccessRequested(AccessRequestRecord {
                received_at,
                due_at,
            }),
            Effect::None,
        )?;
        Ok(AccessRequest {
            id,
            received_at,
            due_at,
        })
    }

    /// Records a correction of one of the subject's grants without rewriting history:
    /// decisions for instants from now on use the corrected value; earlier ones stand.
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
    /// use consent_core::Correction;
    /// let id = ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let correction = Correction::from_json(r#"{"field": "evidence_reference", "value": "2026/1235"}"#)?;
    /// ledger.rectify(&subject, id, correction, "typing error in the case number", &actor)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotFound` when the grant is not the subject's; `InvalidInput` for a malformed value or
    /// reason, or a validity window that would end before it starts; `Storage`.
    pub fn rectify(
        &self,
        subject: &NationalId,
        grant: GrantId,
        correction: Correction,
        reason: &str,
        actor: &dyn Acting,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::Rectify)?;
        let actor: &Actor = &actor;
        text::check(reason, "reason", 1000)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        let current = {
            let projection = self.read()?;
            match projection.grant(grant) {
                Some((owner, state)) if *owner == pseudonym => *state,
                _ => {
                    return Err(Error::new(
                        ErrorCode::NotFound,
                        format!("the subject has no grant `{grant}`"),
                    ));
                }
            }
        };
        match &correction {
            Correction::EvidenceReference(reference) => {
                text::check(reference, "evidence.reference", 128)?;
            }
            Correction::ValidFrom(from) => {
                if time::to_micros(*from, "valid_from")? >= current.valid_until {
                    return Err(Error::invalid(
                        "the corrected valid_from is not before valid_until",
                    ));
                }
            }
            Correction::ValidUntil(Some(until)) => {
                if time::to_micros(*until, "valid_until")? <= current.valid_from {
                    return Err(Error::invalid(
                        "the corrected valid_until is not after valid_from",
                    ));
                }
            }
            Correction::ValidUntil(None) => {}
        }
        let record = RectificationRecord {
            grant_id: grant,
            correction,
            effective_at: self.stamp(&writer),
            reason: reason.to_owned(),
        };
        let effect = rectify_effect(&record)?;
        self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::SubjectRectified(record),
            effect,
        )
    }

    /// Counts grants, withdrawals, refusals and disclosures by month, purpose and recipient,
    /// and active grants by purpose and recipient. Counts below the threshold are suppressed;
    /// no row describes an individual. Only an actor whose role may `statistics` (in the
    /// default catalogue: the auditor, the DPO, the archivist and the unit leader) may ask;
    /// since no row is one person's data, the read is not recorded as an access.
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
    /// use consent_core::StatisticsQuery;
    /// ledger.grant(&grant, &actor)?;
    /// let auditor = Actor::new("revisor-1", "auditor")?;
    /// let stats = ledger.statistics(&StatisticsQuery::default(), &auditor)?;
    /// // One grant is a count that could single a person out: suppressed.
    /// assert_eq!(stats.rows[0].grants, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` for a role without
    /// `statistics` (a case worker's); `InvalidInput` for instants out of range or a threshold
    /// below the catalogue's; `Integrity` when the chain does not verify; `Storage`.
    pub fn statistics(&self, query: &StatisticsQuery, actor: &dyn Acting) -> Result<Statistics> {
        self.permit(actor, Operation::Statistics)?;
        let catalogue = &self.inner.catalogue;
        let settings = catalogue.settings();
        let min_cell = statistics::min_cell(settings.statistics_min_cell, query)?;
        let now = self.inner.clock.now();
        let window = statistics::Window::new(settings.statistics_period, query, now)?;
        let mut tally = statistics::Tally::new(catalogue, &window);
        self.for_each_event(|event| tally.add(&event))?;
        let counts = tally.finish(min_cell)?;
        let active_grants = {
            let projection = self.read()?;
            statistics::active_grants(
                catalogue,
                || projection.subjects().flat_map(|(_, s)| s.grants.iter()),
                &counts,
                time::to_micros(now, "now")?,
                min_cell,
            )?
        };
        let periods = counts.labels();
        Ok(Statistics {
            min_cell,
            period: settings.statistics_period,
            periods,
            rows: counts.rows,
            totals: counts.totals,
            active_grants,
        })
    }

    /// The grants that stop covering disclosures within `window` from `at`: a
    /// representative's grant when the subject comes of age, a grant reaching `valid_until`,
    /// and (due now) grants given under a superseded privacy notice. Sorted by due date, so
    /// case workers can ask for new consent before a disclosure is denied.
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
    /// use chrono::Duration;
    /// ledger.grant(&grant, &actor)?;
    /// let due = ledger.reconsent_due("2026-03-01T00:00:00Z".parse()?, Duration::days(90))?;
    /// assert!(due.is_empty()); // the person's own grant, without an end
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range or a negative window.
    pub fn reconsent_due(&self, at: DateTime<Utc>, window: Duration) -> Result<Vec<ReconsentItem>> {
        self.fresh()?;
        if window < Duration::zero() {
            return Err(Error::invalid("the window is negative"));
        }
        let start = time::to_micros(at, "at")?;
        let end_at = at
            .checked_add_signed(window)
            .ok_or_else(|| Error::invalid("the window is out of range"))?;
        let end = time::to_micros(end_at, "at + window")?;
        let catalogue = &self.inner.catalogue;
        let projection = self.read()?;
        let mut items = Vec::new();
        for (subject, state) in projection.subjects() {
            for grant in state.grants.iter() {
                if let Some((reason, due)) = reconsent::due(grant, start, end) {
                    items.push(ReconsentItem {
                        grant_id: grant.id,
                        subject: *subject,
                        reason,
                        due_at: time::from_micros(due)?,
                        purposes: catalogue.purpose_codes(grant.purposes),
                        recipients: catalogue.recipient_codes(grant.recipients),
                        categories: catalogue.category_codes(grant.categories),
                    });
                }
            }
        }
        items.sort_by_key(|item| (item.due_at, item.grant_id));
        Ok(items)
    }
}
