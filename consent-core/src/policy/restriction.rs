//! Restriction of processing: what a restricted subject's decisions may still rely on.
//!
//! Version 0.1's rule, which the ledger applies today: from the restriction's instant every
//! consent-based disclosure is denied `restricted`, and a statutory rule is stopped only where
//! the catalogue marks it `restriction_applies`.

use crate::catalogue::RuleRef;
use crate::time::Micros;

/// Whether a restriction from `restricted_from` is in force at `at` (`NEVER`: no restriction).
pub(crate) fn restricted_at(restricted_from: Micros, at: Micros) -> bool {
    restricted_from <= at
}

/// Whether a restriction stops disclosures under this statutory rule.
pub(crate) fn stops_rule(rule: &RuleRef) -> bool {
    rule.restriction_applies
}
