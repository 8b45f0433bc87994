//! When an erasure request (GDPR Art. 17) must yield to a duty to keep the records.
//!
//! Consent forms, refusals and disclosure records are archival material (arkivlova 2025 § 5):
//! destroying them before their retention ends is unlawful kassasjon, and it would destroy the
//! proof GDPR Art. 5(2) and 7(1) demand. So an erasure request withdraws the subject's grants
//! and restricts processing (Art. 17(3)(b)); kassasjon (crypto-shredding) is due when the
//! retention of every purpose the records concern has ended, as `kassasjon_due` computes.
//!
//! Version 0.1 crypto-shredded at once unless a rule marked `archival_duty` had been the basis
//! of a disclosure; its events keep that meaning, and `archival_rules` still names those rules
//! in the restriction an erasure request records.

use crate::catalogue::{Catalogue, Code};
use crate::log::event::{Event, EventPayload};

/// The rules with an archival duty that were the basis of a disclosure among `events`, each
/// once, in the order first met.
pub(crate) fn archival_rules(catalogue: &Catalogue, events: &[Event]) -> Vec<Code> {
    let mut rules: Vec<Code> = Vec::new();
    for event in events {
        if let EventPayload::DisclosureRecorded(d) = &event.payload {
            for rule in d.bases.iter().filter_map(|b| b.rule.as_ref()) {
                let archival = catalogue
                    .rules()
                    .iter()
                    .any(|r| r.code == *rule && r.archival_duty);
                if archival && !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
    }
    rules
}

/// The statutes the given rules cite, in the rules' order.
pub(crate) fn statutes_of(catalogue: &Catalogue, rules: &[Code]) -> Vec<String> {
    rules
        .iter()
        .filter_map(|code| catalogue.rules().iter().find(|r| r.code == *code))
        .map(|r| r.statute.clone())
        .collect()
}

/// When kassasjon of a subject's records is due, or `None` while it never is.
///
/// Retention is counted from the end of the subject's last case event (a grant's end or
/// withdrawal, a refusal, a disclosure; never an access request, a restriction or an
/// objection), and the longest retention among the purposes of those events wins. A purpose
/// whose retention is permanent, or that the catalogue gives no retention (nothing is
/// destroyed without an approved rule), keeps the records for good; so does a grant still
/// running (its case is open). The accesses to the person's data are kept
/// `access_log_retention_years` after the last one, so kassasjon waits for that too.
pub(crate) fn kassasjon_due(
    catalogue: &Catalogue,
    events: &[Event],
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, Months, Utc};
    use std::collections::HashMap;

    let mut last: Option<DateTime<Utc>> = None;
    let mut years: u32 = 0;
    // Each grant's valid_until as last recorded or rectified (`None`: open), and its
    // withdrawal, which ends it whatever valid_until says.
    let mut grant_ends: HashMap<crate::model::GrantId, Option<DateTime<Utc>>> = HashMap::new();
    let mut withdrawals: HashMap<crate::model::GrantId, DateTime<Utc>> = HashMap::new();
    let mut note = |purposes: &mut dyn Iterator<Item = &Code>| -> Option<()> {
        for purpose in purposes {
            let entry = catalogue.purposes().iter().find(|p| p.code == *purpose)?;
            years = years.max(entry.retention?.years()?);
        }
        Some(())
    };
    for event in events {
        match &event.payload {
            EventPayload::GrantRecorded(g) => {
                note(&mut g.purposes.iter())?;
                grant_ends.insert(g.grant_id, g.valid_until);
            }
            EventPayload::GrantWithdrawn(w) => {
                withdrawals.insert(w.grant_id, w.at);
            }
            EventPayload::SubjectRectified(r) => {
                if let crate::model::request::Correction::ValidUntil(until) = r.correction
                    && grant_ends.contains_key(&r.grant_id)
                {
                    grant_ends.insert(r.grant_id, until);
                }
            }
            EventPayload::GrantRefused(r) => {
                note(&mut r.purposes.iter())?;
                last = last.max(Some(r.at));
            }
            EventPayload::DisclosureRecorded(d) => {
                note(&mut std::iter::once(&d.purpose))?;
                last = last.max(Some(d.at));
            }
            _ => {}
        }
    }
    for (grant, until) in grant_ends {
        let end = match withdrawals.get(&grant) {
            Some(withdrawn) => Some(until.map_or(*withdrawn, |u| u.min(*withdrawn))),
            None => until,
        };
        last = last.max(Some(end?));
    }
    let case_due = last?.checked_add_months(Months::new(years.checked_mul(12)?))?;
    // The log of who looked at the person is kept `access_log_retention_years` after the
    // last look-up, then falls under kassasjon with the rest.
    let last_access = events
        .iter()
        .filter(|e| matches!(e.payload, EventPayload::SubjectAccessed(_)))
        .map(|e| e.recorded_at)
        .max();
    match last_access {
        None => Some(case_due),
        Some(at) => {
            let months = catalogue
                .settings()
                .access_log_retention_years
                .checked_mul(12)?;
            Some(case_due.max(at.checked_add_months(Months::new(months))?))
        }
    }
}
