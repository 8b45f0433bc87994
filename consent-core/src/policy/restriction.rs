//! Restriction of processing (GDPR Art. 18) and objection (Art. 21): what they stop, at an
//! instant.
//!
//! A restriction keeps the meaning it was recorded with:
//! - version 0.1's (an erasure request under an archival duty became a restriction): every
//!   consent-based disclosure is denied `restricted`, and a statutory rule only where the
//!   catalogue marks it `restriction_applies`;
//! - since 0.2 (Art. 18(2)): processing continues with the person's consent, and a statutory
//!   rule is denied `restricted` unless the catalogue marks it `continues_under_restriction`
//!   (legal claims, the rights of another person, an important public interest).
//!
//! An objection to a purpose denies every basis of that purpose whose GDPR gate is
//! Art. 6(1)(e) (statutory rules, and consents that only waive confidentiality) with
//! `objected`, from its instant until it is resolved as rejected; one resolved as upheld stays.
//! A consent that is itself the Art. 6(1)(a) basis is untouched: the person withdraws it.

use crate::catalogue::RuleRef;
use crate::policy::grant_state::NEVER;
use crate::time::Micros;

/// A restriction: from, until (`NEVER`: not lifted), and with which meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RestrictionSpan {
    pub from: Micros,
    pub until: Micros,
    /// Recorded by version 0.1 (its meaning, above).
    pub legacy: bool,
    /// Keeps the records of an erasure request (0.1's restrictions all did): only kassasjon
    /// ends it, never a lift of the Art. 18(1) grounds.
    pub erasure: bool,
}

/// An objection to one purpose: from, until (`NEVER`: unresolved or upheld).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObjectionSpan {
    pub id: uuid::Uuid,
    pub purpose: u8,
    pub from: Micros,
    pub until: Micros,
    /// Resolved (either way); `until` says whether it still applies.
    pub resolved: bool,
}

/// A subject's restrictions and objections, in the order recorded. Most subjects have none,
/// and then the projection holds no `Flags` for them at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub restrictions: Vec<RestrictionSpan>,
    pub objections: Vec<ObjectionSpan>,
}

/// What stops disclosures of one subject at one instant for one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct InForce {
    /// A restriction with 0.1's meaning.
    pub legacy_restriction: bool,
    /// A restriction with Art. 18(2)'s meaning.
    pub restriction: bool,
    /// An objection to the purpose.
    pub objection: bool,
}

impl InForce {
    /// Nothing stops anything.
    pub(crate) fn none(self) -> bool {
        !(self.legacy_restriction || self.restriction || self.objection)
    }
}

impl Flags {
    /// What is in force at `at` for `purpose`.
    pub(crate) fn in_force(&self, purpose: u8, at: Micros) -> InForce {
        let mut out = InForce::default();
        for r in &self.restrictions {
            if r.from <= at && at < r.until {
                if r.legacy {
                    out.legacy_restriction = true;
                } else {
                    out.restriction = true;
                }
            }
        }
        out.objection = self
            .objections
            .iter()
            .any(|o| o.purpose == purpose && o.from <= at && at < o.until);
        out
    }

    /// A restriction not yet ended, if any.
    pub(crate) fn open_restriction(&self) -> Option<&RestrictionSpan> {
        self.restrictions.iter().find(|r| r.until == NEVER)
    }

    /// A restriction on a ground of Art. 18(1) not yet lifted, if any (the one a lift ends).
    pub(crate) fn liftable(&self) -> Option<&RestrictionSpan> {
        self.restrictions
            .iter()
            .find(|r| r.until == NEVER && !r.erasure)
    }
}

/// Whether what is in force stops a disclosure under this statutory rule, and why.
pub(crate) fn stops_rule(rule: &RuleRef, in_force: InForce) -> Option<Stop> {
    if (in_force.legacy_restriction && rule.restriction_applies)
        || (in_force.restriction && !rule.continues_under_restriction)
    {
        Some(Stop::Restricted)
    } else if in_force.objection && rule.objectable {
        Some(Stop::Objected)
    } else {
        None
    }
}

/// Whether what is in force stops a consent-based disclosure for a purpose, and why.
/// `waiver_on_public_task`: the consent only waives confidentiality and the purpose's GDPR
/// gate is Art. 6(1)(e).
pub(crate) fn stops_consent(in_force: InForce, waiver_on_public_task: bool) -> Option<Stop> {
    if in_force.legacy_restriction {
        Some(Stop::Restricted)
    } else if in_force.objection && waiver_on_public_task {
        Some(Stop::Objected)
    } else {
        None
    }
}

/// Whether a rule could be stopped by anything a subject may have recorded (so the statute
/// path must look the subject up when any subject has flags).
pub(crate) fn rule_may_stop(rule: &RuleRef) -> bool {
    rule.restriction_applies || !rule.continues_under_restriction || rule.objectable
}

/// Why a basis is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Restricted,
    Objected,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> Flags {
        Flags {
            restrictions: vec![
                RestrictionSpan {
                    from: 10,
                    until: 20,
                    legacy: false,
                    erasure: false,
                },
                RestrictionSpan {
                    from: 30,
                    until: NEVER,
                    legacy: true,
                    erasure: true,
                },
            ],
            objections: vec![ObjectionSpan {
                id: uuid::Uuid::nil(),
                purpose: 2,
                from: 15,
                until: 40,
                resolved: true,
            }],
        }
    }

    #[test]
    fn spans_apply_from_their_start_until_their_end() {
        let f = flags();
        assert!(f.in_force(2, 9).none());
        assert!(f.in_force(1, 10).restriction);
        assert!(!f.in_force(1, 20).restriction);
        assert!(f.in_force(2, 15).objection);
        assert!(!f.in_force(1, 15).objection);
        assert!(!f.in_force(2, 40).objection);
        assert!(f.in_force(5, 1_000).legacy_restriction);
        assert_eq!(f.open_restriction().map(|r| r.from), Some(30));
    }

    #[test]
    fn a_legacy_restriction_stops_consent_and_a_new_one_does_not() {
        let legacy = InForce {
            legacy_restriction: true,
            ..InForce::default()
        };
        let new = InForce {
            restriction: true,
            ..InForce::default()
        };
        assert_eq!(stops_consent(legacy, false), Some(Stop::Restricted));
        assert_eq!(stops_consent(new, true), None);
        let objected = InForce {
            objection: true,
            ..InForce::default()
        };
        assert_eq!(stops_consent(objected, true), Some(Stop::Objected));
        assert_eq!(stops_consent(objected, false), None);
    }
}
