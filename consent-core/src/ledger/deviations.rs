//! Deviations (avvik): disclosures that were permitted when they were recorded but that the
//! ledger, knowing what it knows now, would deny at their instant. A withdrawal recorded later
//! with an earlier instant, a representative's authority that ended before the disclosure, a
//! restriction or an objection dated back before it, or a grant whose validity was rectified:
//! each turns a recorded disclosure into one the municipality's deviation routine must follow
//! up (the person may have to be told, the recipient asked to delete).
//!
//! The rule is one: decide the recorded request again, at its instant, under the catalogue in
//! force then, against today's state. What the decision denies, and why, is the deviation.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Ledger;
use super::decide::Interned;
use crate::catalogue::Code;
use crate::error::Result;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{DisclosureRecord, EventPayload};
use crate::model::decision::DenialReason;
use crate::policy::decide;
use crate::time;

/// A recorded disclosure the ledger would now deny at its instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Deviation {
    /// The disclosure event's id.
    pub event_id: Uuid,
    /// Its sequence number.
    pub seq: u64,
    /// The subject's pseudonym (their current one, after an identity succession).
    pub subject: Pseudonym,
    /// Who received the data.
    pub recipient: Code,
    /// What for.
    pub purpose: Code,
    /// When the data was disclosed.
    pub at: DateTime<Utc>,
    /// When the disclosure was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Each category that would now be denied, with the reason.
    pub categories: Vec<DeviationCategory>,
}

/// A category of a deviation, and why it would now be denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviationCategory {
    /// The category.
    pub category: Code,
    /// Why it would be denied now (`withdrawn`, `grantor_authority_ended`, `restricted`,
    /// `objected`, `expired`, …).
    pub reason: DenialReason,
}

impl Ledger {
    /// The disclosures recorded at or after `since` that the ledger would now deny at their
    /// instant: the list a municipality's deviation routine (avvik) starts from. In the order
    /// they were recorded. Disclosures whose records were erased (kassasjon) are not listed.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// # let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// # let grant = ledger.parse_grant(r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// use consent_core::{DenialReason, DisclosureRequest};
    /// let grant_id = ledger.grant(&grant, &actor)?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// let sent = "2026-01-20T10:00:00Z".parse()?;
    /// ledger.set_clock(sent)?;
    /// ledger.record_disclosure(&DisclosureRequest::new(subject, "nav", "employment_followup", &["finances"], sent)?, &actor)?;
    /// // The withdrawal letter, dated 15 January, is registered on 1 February.
    /// ledger.set_clock("2026-02-01T10:00:00Z".parse()?)?;
    /// ledger.withdraw(grant_id, "2026-01-15T00:00:00Z".parse()?, &actor, None)?;
    /// let deviations = ledger.deviations("2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(deviations.len(), 1);
    /// assert_eq!(deviations[0].categories[0].reason, DenialReason::Withdrawn);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `Integrity` when an event does not verify;
    /// `Storage`.
    pub fn deviations(&self, since: DateTime<Utc>) -> Result<Vec<Deviation>> {
        time::to_micros(since, "since")?;
        let mut disclosures: Vec<(Uuid, u64, Pseudonym, DateTime<Utc>, DisclosureRecord)> =
            Vec::new();
        self.for_each_event(|event| {
            if event.recorded_at < since {
                return Ok(());
            }
            if let (EventPayload::DisclosureRecorded(record), Some(subject)) =
                (event.payload, event.subject)
            {
                disclosures.push((event.id, event.seq, subject, event.recorded_at, record));
            }
            Ok(())
        })?;
        // What other processes committed counts too.
        self.fresh()?;
        let projection = self.read()?;
        let flagged = self.inner.flagged.load(Ordering::Acquire);
        let mut deviations = Vec::new();
        for (event_id, seq, subject, recorded_at, record) in disclosures {
            let at_micros = time::to_micros(record.at, "the disclosure's instant")?;
            let catalogue = self.inner.catalogue.at(at_micros);
            let interned = Interned::new(
                catalogue,
                record.recipient.as_str(),
                record.purpose.as_str(),
                &record.categories,
                &record.assertions,
            )?;
            let subject = projection.resolve(&subject);
            let decision = decide::decide(
                catalogue,
                interned.recipient(),
                interned.purpose(),
                interned.categories()?,
                interned.asserted(),
                record.at,
                at_micros,
                flagged,
                |resolve| {
                    resolve(projection.view(&subject));
                    Ok(())
                },
            )?;
            let categories: Vec<DeviationCategory> = decision
                .outcomes()
                .filter_map(|outcome| {
                    outcome.result.err().map(|reason| DeviationCategory {
                        category: outcome.category.clone(),
                        reason,
                    })
                })
                .collect();
            if !categories.is_empty() {
                deviations.push(Deviation {
                    event_id,
                    seq,
                    subject,
                    recipient: record.recipient,
                    purpose: record.purpose,
                    at: record.at,
                    recorded_at,
                    categories,
                });
            }
        }
        Ok(deviations)
    }
}
