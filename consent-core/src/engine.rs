//! `decide`: a pure function of the catalogue, the subject's grants and the instant.
//!
//! Every requested category must be covered at the instant by a statutory rule valid then, or
//! by a grant active then that covers the purpose, the recipient and the category; special
//! categories need a rule with an Art. 9(2) condition or explicit consent. Anything else is
//! denied with the most useful reason. A restricted subject's consent-based disclosures are
//! denied (`restricted`); statutory ones only where the rule says a restriction applies. The
//! statute path looks up the subject only for such a rule.

use chrono::{DateTime, Utc};

use crate::catalogue::Catalogue;
use crate::ledger::projection::{EMPTY_SUBJECT, GrantState, SubjectState};
use crate::model::decision::{Decision, DenialReason, Slot, Slots};
use crate::time::Micros;

/// Decides one request whose codes are already interned. `categories` has no duplicates.
/// `lookup` is called at most once, and only when the subject's state is needed.
pub(crate) fn decide<'g>(
    catalogue: &Catalogue,
    recipient: u8,
    purpose: u8,
    categories: &[u8],
    at: DateTime<Utc>,
    at_micros: Micros,
    lookup: impl FnOnce() -> &'g SubjectState,
) -> Decision {
    let special = catalogue.special_mask();
    let mut slots = Slots::with_capacity(categories.len());
    let mut uncovered = 0u64;
    let mut lookup = Some(lookup);
    let mut cached: Option<&'g SubjectState> = None;
    let mut subject = || -> &'g SubjectState {
        if let Some(state) = cached {
            return state;
        }
        let state = lookup.take().map_or(&EMPTY_SUBJECT, |f| f());
        cached = Some(state);
        state
    };

    for &category in categories {
        let bit = 1u64 << category;
        let is_special = special & bit != 0;
        let rule = catalogue
            .rules_for(recipient, purpose)
            .iter()
            .copied()
            .find(|&index| {
                catalogue.rule(index).is_some_and(|rule| {
                    rule.categories & bit != 0
                        && rule.valid_at(at_micros)
                        && (!is_special || rule.art9.is_some())
                })
            });
        match rule {
            Some(index)
                if catalogue.rule(index).is_some_and(|r| r.restriction_applies)
                    && subject().restricted_at(at_micros) =>
            {
                slots.push((category, Slot::Denied(DenialReason::Restricted)));
            }
            Some(index) => slots.push((category, Slot::Statute(index))),
            None => {
                uncovered |= bit;
                slots.push((category, Slot::Denied(DenialReason::NoBasis)));
            }
        }
    }

    if uncovered != 0 {
        let state = subject();
        let restricted = state.restricted_at(at_micros);
        let grants = state.grants.as_slice();
        let scope_purpose = 1u64 << purpose;
        let scope_recipient = 1u64 << recipient;
        for (category, slot) in slots.as_mut_slice() {
            let bit = 1u64 << *category;
            if uncovered & bit == 0 {
                continue;
            }
            if restricted {
                *slot = Slot::Denied(DenialReason::Restricted);
                continue;
            }
            let is_special = special & bit != 0;
            *slot = consent_slot(
                grants,
                scope_purpose,
                scope_recipient,
                bit,
                is_special,
                at_micros,
            );
        }
    }

    let permitted = slots
        .as_slice()
        .iter()
        .all(|(_, slot)| !matches!(slot, Slot::Denied(_)));
    Decision {
        catalogue: catalogue.clone(),
        at,
        recipient,
        purpose,
        categories: slots,
        permitted,
    }
}

/// The consent basis for one category, or the most useful denial reason.
fn consent_slot(
    grants: &[GrantState],
    purpose: u64,
    recipient: u64,
    category: u64,
    special: bool,
    at: Micros,
) -> Slot {
    let mut not_explicit = false;
    let mut lapsed = false;
    let mut withdrawn = false;
    let mut expired = false;
    for grant in grants {
        if grant.purposes & purpose == 0
            || grant.recipients & recipient == 0
            || grant.categories & category == 0
            || grant.valid_from > at
            || !grant.applies_at(at)
        {
            continue;
        }
        if grant.active_at(at) {
            if !special || grant.explicit {
                return Slot::Consent {
                    grant: grant.id,
                    explicit: grant.explicit,
                };
            }
            not_explicit = true;
        } else if at >= grant.withdrawn_at {
            withdrawn = true;
        } else if at >= grant.lapses_at {
            lapsed = true;
        } else {
            expired = true;
        }
    }
    let reason = if not_explicit {
        DenialReason::NotExplicit
    } else if lapsed {
        DenialReason::ReconsentRequired
    } else if withdrawn {
        DenialReason::Withdrawn
    } else if expired {
        DenialReason::Expired
    } else {
        DenialReason::NoBasis
    };
    Slot::Denied(reason)
}
