//! `decide`: a pure function of the catalogue, the subject's grants, the asserted conditions and
//! the instant.
//!
//! Every requested category must be covered at the instant by a statutory rule valid then (one
//! that requires a condition only when the requester asserts one of its conditions), or by a
//! grant active then that covers the purpose, the recipient and the category; special
//! categories need a rule with an Art. 9(2) condition or explicit consent. Anything else is
//! denied with the most useful reason (`condition_not_asserted` where only an unasserted
//! condition stood between the request and a rule). Restrictions and objections are applied
//! as `restriction.rs` says. The statute path looks up the subject only for a category no rule
//! covers, or, once some subject of the ledger has a restriction or an objection recorded,
//! for a category whose rule one could stop.

use chrono::{DateTime, Utc};

use super::grant_state::{GrantState, GrantStatus};
use super::restriction::{self, Flags, InForce, Stop};
use crate::catalogue::{Art6, Catalogue, ConsentRole, RuleRef};
use crate::error::Result;
use crate::model::decision::{Decision, DenialReason, Slot, slots};
use crate::time::Micros;

/// What a decision reads of one subject: its grant versions, its restrictions and objections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubjectView<'a> {
    /// Every version of every grant, in the order they were added.
    pub grants: &'a [GrantState],
    /// Its restrictions and objections (`None`: it has none).
    pub flags: Option<&'a Flags>,
}

/// Decides one request whose codes are already interned. `categories` has no duplicates.
///
/// `with_subject` is called at most once, and only when a category has no statutory basis or
/// (`flagged`: some subject of the ledger has a restriction or objection recorded) its rule
/// could be stopped by one: it hands the subject's state to the closure it is given
/// (so the caller can hold a lock just for that long) and fails when the state cannot be read,
/// which fails the whole decision (fail closed).
///
/// # Errors
/// Whatever `with_subject` returns.
#[expect(
    clippy::too_many_arguments,
    reason = "the interned parts of one request, passed apart so the hot path builds nothing"
)]
pub(crate) fn decide(
    catalogue: &Catalogue,
    recipient: u8,
    purpose: u8,
    categories: &[u8],
    asserted: u64,
    at: DateTime<Utc>,
    at_micros: Micros,
    flagged: bool,
    with_subject: impl FnOnce(&mut dyn FnMut(SubjectView<'_>)) -> Result<()>,
) -> Result<Decision> {
    let special = catalogue.special_mask();
    let rules = catalogue.rules_for(recipient, purpose);
    // Categories no rule covers, and statutory ones whose rule a restriction or an objection
    // could stop.
    let mut uncovered = 0u64;
    let mut may_stop = 0u64;
    // Categories a rule would cover if one of its conditions were asserted.
    let mut unasserted = 0u64;

    // One pass over the few rules of this (recipient, purpose) per category: the first rule
    // that covers it, is valid at the instant, may cover a special category and has its
    // condition asserted. `rule.index` needs no check here: the catalogue builds its rule
    // table from its own immutable rule list (`catalogue::parse::rule_table`), so every index
    // resolves in the catalogue the decision keeps.
    let mut slots = slots(categories, |category| {
        let bit = 1u64 << category;
        let is_special = special & bit != 0;
        let applies = |rule: &RuleRef| {
            rule.categories & bit != 0 && rule.valid_at(at_micros) && (!is_special || rule.art9)
        };
        match rules
            .iter()
            .find(|rule| applies(rule) && rule.condition_met(asserted))
        {
            Some(rule) => {
                if flagged && restriction::rule_may_stop(rule) {
                    may_stop |= bit;
                }
                Slot::Statute(rule.index)
            }
            None => {
                uncovered |= bit;
                // Rules are few per (recipient, purpose); this runs only without a basis.
                if rules.iter().any(applies) {
                    unasserted |= bit;
                }
                Slot::Denied(DenialReason::NoBasis)
            }
        }
    });

    if uncovered | may_stop != 0 {
        let scope_purpose = 1u64 << purpose;
        let scope_recipient = 1u64 << recipient;
        let mut resolve = |state: SubjectView<'_>| {
            let in_force = state
                .flags
                .map_or(InForce::default(), |f| f.in_force(purpose, at_micros));
            for (category, slot) in slots.as_mut_slice() {
                let bit = 1u64 << *category;
                if may_stop & bit != 0 {
                    // A statutory slot: stopped only by what is in force now.
                    *slot = stopped_statute(*slot, rules, in_force, || {
                        let consent = consent_slot(
                            state.grants,
                            scope_purpose,
                            scope_recipient,
                            bit,
                            special & bit != 0,
                            at_micros,
                        );
                        consent_under_restriction(consent, in_force, || {
                            waiver_on_public_task(catalogue, purpose)
                        })
                    });
                } else if uncovered & bit != 0 {
                    if in_force.legacy_restriction {
                        // 0.1's meaning: no consent-based disclosure at all.
                        *slot = Slot::Denied(DenialReason::Restricted);
                        continue;
                    }
                    let is_special = special & bit != 0;
                    *slot = match consent_slot(
                        state.grants,
                        scope_purpose,
                        scope_recipient,
                        bit,
                        is_special,
                        at_micros,
                    ) {
                        Slot::Denied(DenialReason::NoBasis) if unasserted & bit != 0 => {
                            Slot::Denied(DenialReason::ConditionNotAsserted)
                        }
                        consent @ Slot::Consent { .. } if !in_force.none() => {
                            match restriction::stops_consent(
                                in_force,
                                waiver_on_public_task(catalogue, purpose),
                            ) {
                                Some(stop) => Slot::Denied(denial(stop)),
                                None => consent,
                            }
                        }
                        slot => slot,
                    };
                }
            }
        };
        with_subject(&mut resolve)?;
    }

    let permitted = slots
        .as_slice()
        .iter()
        .all(|(_, slot)| !matches!(slot, Slot::Denied(_)));
    Ok(Decision {
        catalogue: catalogue.clone(),
        at,
        recipient,
        purpose,
        asserted,
        categories: slots,
        permitted,
        // The ledger sets the position it decided at.
        as_of_seq: 0,
    })
}

/// A statutory slot as what is in force leaves it: unchanged, `objected`, or (restricted) what
/// `under_restriction` finds.
fn stopped_statute(
    slot: Slot,
    rules: &[RuleRef],
    in_force: InForce,
    under_restriction: impl FnOnce() -> Slot,
) -> Slot {
    let Slot::Statute(index) = slot else {
        return slot;
    };
    match rules
        .iter()
        .find(|rule| rule.index == index)
        .and_then(|rule| restriction::stops_rule(rule, in_force))
    {
        None => slot,
        // Art. 18(2): processing continues with the person's consent.
        Some(Stop::Restricted) => under_restriction(),
        Some(Stop::Objected) => Slot::Denied(DenialReason::Objected),
    }
}

/// A category whose rule a restriction stopped: the consent that covers it, unless what is in
/// force stops that too; otherwise `restricted`.
fn consent_under_restriction(
    consent: Slot,
    in_force: InForce,
    waiver_on_public_task: impl FnOnce() -> bool,
) -> Slot {
    match consent {
        Slot::Consent { .. }
            if restriction::stops_consent(in_force, waiver_on_public_task()).is_none() =>
        {
            consent
        }
        _ => Slot::Denied(DenialReason::Restricted),
    }
}

fn denial(stop: Stop) -> DenialReason {
    match stop {
        Stop::Restricted => DenialReason::Restricted,
        Stop::Objected => DenialReason::Objected,
    }
}

/// Whether a consent for `purpose` only waives confidentiality while the GDPR gate is the
/// public task of Art. 6(1)(e), which the person may object to.
fn waiver_on_public_task(catalogue: &Catalogue, purpose: u8) -> bool {
    catalogue.consent_role(purpose) == ConsentRole::ConfidentialityWaiver
        && catalogue
            .purposes()
            .get(usize::from(purpose))
            .is_some_and(|p| p.art6 == Some(Art6::E))
}

/// The consent basis for one category, or the most useful denial reason: not explicit, then
/// re-consent required, the representative's authority ended, withdrawn, expired, and no
/// basis when no grant's scope covers it.
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
    let mut authority_ended = false;
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
        match grant.status_for(at, special) {
            GrantStatus::Given => {
                if !special || grant.explicit {
                    return Slot::Consent {
                        grant: grant.id,
                        explicit: grant.explicit,
                    };
                }
                not_explicit = true;
            }
            GrantStatus::Withdrawn => withdrawn = true,
            GrantStatus::ReconsentRequired => lapsed = true,
            GrantStatus::AuthorityEnded => authority_ended = true,
            GrantStatus::Expired => expired = true,
            // Passed over above (not yet valid), or never in the projection (erased).
            GrantStatus::NotYetValid | GrantStatus::Erased => {}
        }
    }
    let reason = if not_explicit {
        DenialReason::NotExplicit
    } else if lapsed {
        DenialReason::ReconsentRequired
    } else if authority_ended {
        DenialReason::GrantorAuthorityEnded
    } else if withdrawn {
        DenialReason::Withdrawn
    } else if expired {
        DenialReason::Expired
    } else {
        DenialReason::NoBasis
    };
    Slot::Denied(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GrantId;
    use crate::policy::grant_state::{GrantTerms, NEVER};

    fn grant(explicit: bool) -> GrantState {
        GrantState::new(GrantTerms {
            id: GrantId(uuid::Uuid::nil()),
            purposes: 1,
            recipients: 1,
            categories: 1,
            valid_from: 0,
            valid_until: NEVER,
            lapses_at: NEVER,
            special_lapses_at: NEVER,
            authority_until: NEVER,
            explicit,
            notice_superseded: false,
        })
    }

    /// Version 0.1 recorded grants that cover a special category without being explicit; they
    /// replay, and never permit that category.
    #[test]
    fn a_grant_that_is_not_explicit_never_covers_a_special_category() {
        let slot = consent_slot(&[grant(false)], 1, 1, 1, true, 10);
        assert_eq!(slot, Slot::Denied(DenialReason::NotExplicit));
        assert!(matches!(
            consent_slot(&[grant(false)], 1, 1, 1, false, 10),
            Slot::Consent {
                explicit: false,
                ..
            }
        ));
        assert!(matches!(
            consent_slot(&[grant(false), grant(true)], 1, 1, 1, true, 10),
            Slot::Consent { explicit: true, .. }
        ));
    }
}
