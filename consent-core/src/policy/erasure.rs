//! When an erasure request (GDPR Art. 17) must yield to a duty to keep the records.
//!
//! Version 0.1's rule, which the ledger applies today: a subject whose data was disclosed under
//! a catalogue rule marked `archival_duty` (an archival or legal duty, Art. 17(3)(b) and (d))
//! keeps their records, and processing is restricted instead; anyone else's personal payloads
//! are crypto-shredded.

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
