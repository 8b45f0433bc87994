//! Roles as data: the operations of the ledger, and the roles of a catalogue with the
//! operations each may perform (DESIGN.md section 9).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Code;
use crate::error::{Error, Result, printable};

/// An operation of the ledger that a role may be permitted: every call that changes a
/// person's data or reads it, and the audit calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Record a consent (`grant`, `grant_many`).
    Grant,
    /// Record consents from historical records (a migration).
    GrantHistorical,
    /// Withdraw a consent.
    Withdraw,
    /// Record a refusal to consent.
    Refuse,
    /// Record a disclosure.
    RecordDisclosure,
    /// Decide a disclosure with an actor, recorded as an access to the person's data.
    DecideLogged,
    /// The person's export (GDPR Art. 15), recorded as an access.
    Export,
    /// The person's events, recorded as an access.
    SubjectEvents,
    /// Correct a grant (Art. 16).
    Rectify,
    /// Restrict processing (Art. 18).
    Restrict,
    /// Lift a restriction.
    LiftRestriction,
    /// Register an erasure request (Art. 17).
    RequestErasure,
    /// Crypto-shred a person's records once their retention ended.
    ExecuteKassasjon,
    /// Record an objection (Art. 21).
    Object,
    /// Resolve an objection.
    ResolveObjection,
    /// Counts that single no one out.
    Statistics,
    /// Verify the hash chain.
    Verify,
    /// Register an access request (Art. 15).
    RegisterAccessRequest,
    /// Record that a person or a recipient was told of a change (Art. 18(3), 19).
    RecordNotification,
    /// Record that a person's id was succeeded by another.
    RecordIdentitySuccession,
    /// Adopt a new catalogue.
    AdoptCatalogue,
}

impl Operation {
    /// Every operation, in a fixed order (a role's permissions are a bitset over it).
    pub const ALL: &'static [Operation] = &[
        Operation::Grant,
        Operation::GrantHistorical,
        Operation::Withdraw,
        Operation::Refuse,
        Operation::RecordDisclosure,
        Operation::DecideLogged,
        Operation::Export,
        Operation::SubjectEvents,
        Operation::Rectify,
        Operation::Restrict,
        Operation::LiftRestriction,
        Operation::RequestErasure,
        Operation::ExecuteKassasjon,
        Operation::Object,
        Operation::ResolveObjection,
        Operation::Statistics,
        Operation::Verify,
        Operation::RegisterAccessRequest,
        Operation::RecordNotification,
        Operation::RecordIdentitySuccession,
        Operation::AdoptCatalogue,
    ];

    /// The snake_case name, as a catalogue's `may` lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Grant => "grant",
            Operation::GrantHistorical => "grant_historical",
            Operation::Withdraw => "withdraw",
            Operation::Refuse => "refuse",
            Operation::RecordDisclosure => "record_disclosure",
            Operation::DecideLogged => "decide_logged",
            Operation::Export => "export",
            Operation::SubjectEvents => "subject_events",
            Operation::Rectify => "rectify",
            Operation::Restrict => "restrict",
            Operation::LiftRestriction => "lift_restriction",
            Operation::RequestErasure => "request_erasure",
            Operation::ExecuteKassasjon => "execute_kassasjon",
            Operation::Object => "object",
            Operation::ResolveObjection => "resolve_objection",
            Operation::Statistics => "statistics",
            Operation::Verify => "verify",
            Operation::RegisterAccessRequest => "register_access_request",
            Operation::RecordNotification => "record_notification",
            Operation::RecordIdentitySuccession => "record_identity_succession",
            Operation::AdoptCatalogue => "adopt_catalogue",
        }
    }

    /// Parses an operation's name.
    ///
    /// # Errors
    /// `InvalidInput` naming an unknown operation.
    pub fn parse(text: &str) -> Result<Operation> {
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.as_str() == text)
            .ok_or_else(|| Error::invalid(format!("unknown operation `{}`", printable(text))))
    }

    fn bit(self) -> u32 {
        let index = Operation::ALL
            .iter()
            .position(|op| *op == self)
            .unwrap_or(usize::MAX);
        u32::try_from(index).map_or(0, |i| 1u32.checked_shl(i).unwrap_or(0))
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role of the catalogue and the operations it may perform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Role {
    /// The code actors name (`case_worker`).
    pub code: Code,
    /// A human-readable name.
    pub name: String,
    may: u32,
}

impl Role {
    /// A role that may perform `may`.
    pub(crate) fn new(code: Code, name: String, may: &[Operation]) -> Role {
        Role {
            code,
            name,
            may: may.iter().fold(0, |set, op| set | op.bit()),
        }
    }

    /// Whether the role may perform `operation`.
    pub fn may(&self, operation: Operation) -> bool {
        let bit = operation.bit();
        bit != 0 && self.may & bit == bit
    }

    /// The operations the role may perform, in [`Operation::ALL`]'s order.
    pub fn operations(&self) -> Vec<Operation> {
        Operation::ALL
            .iter()
            .copied()
            .filter(|op| self.may(*op))
            .collect()
    }
}

/// The roles of a catalogue that declares none: a catalogue written before roles existed
/// (every 0.1 catalogue, and format-2 catalogues adopted before this version). They are the
/// default catalogue's roles, so that one set of permissions holds on every ledger; the
/// default catalogue spells them out and a unit test keeps the two the same.
pub(crate) fn default_roles() -> Vec<Role> {
    use Operation as Op;
    let case_work = [
        Op::Grant,
        Op::Withdraw,
        Op::Refuse,
        Op::RecordDisclosure,
        Op::DecideLogged,
        Op::Export,
        Op::SubjectEvents,
        Op::Rectify,
        Op::Restrict,
        Op::Object,
        Op::RegisterAccessRequest,
        Op::RecordNotification,
        Op::RecordIdentitySuccession,
    ];
    let mut lead: Vec<Op> = case_work.to_vec();
    lead.extend([
        Op::LiftRestriction,
        Op::ResolveObjection,
        Op::RequestErasure,
        Op::Statistics,
    ]);
    let dpo = [
        Op::GrantHistorical,
        Op::Withdraw,
        Op::DecideLogged,
        Op::Export,
        Op::SubjectEvents,
        Op::Rectify,
        Op::Restrict,
        Op::LiftRestriction,
        Op::RequestErasure,
        Op::Object,
        Op::ResolveObjection,
        Op::Statistics,
        Op::Verify,
        Op::RegisterAccessRequest,
        Op::RecordNotification,
        Op::RecordIdentitySuccession,
        Op::AdoptCatalogue,
    ];
    let archivist = [
        Op::GrantHistorical,
        Op::ExecuteKassasjon,
        Op::Export,
        Op::SubjectEvents,
        Op::RecordNotification,
        Op::Statistics,
        Op::Verify,
    ];
    let role = |code: &str, name: &str, may: &[Op]| Role::new(Code(code.into()), name.into(), may);
    vec![
        role("case_worker", "Saksbehandler", &case_work),
        role("unit_leader", "Enhetsleder", &lead),
        role("dpo", "Personvernombud", &dpo),
        role("archivist", "Arkivar", &archivist),
        role("auditor", "Revisor", &[Op::Verify, Op::Statistics]),
        role(
            "system",
            "Integrasjon",
            &[Op::DecideLogged, Op::RecordDisclosure, Op::AdoptCatalogue],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_bit_and_name() {
        let mut seen = 0u32;
        for op in Operation::ALL {
            assert_ne!(op.bit(), 0);
            assert_eq!(seen & op.bit(), 0);
            seen |= op.bit();
            assert_eq!(Operation::parse(op.as_str()).unwrap(), *op);
        }
        assert!(Operation::parse("erase_everything").is_err());
    }

    #[test]
    fn a_role_may_only_what_it_lists() {
        let role = Role::new(
            Code("auditor".into()),
            "Revisor".into(),
            &[Operation::Verify],
        );
        assert!(role.may(Operation::Verify));
        assert!(!role.may(Operation::Export));
        assert_eq!(role.operations(), vec![Operation::Verify]);
    }
}

#[cfg(test)]
mod default_tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn the_default_catalogue_spells_out_the_default_roles() {
        let embedded = Catalogue::embedded();
        assert!(embedded.declares_roles());
        assert_eq!(embedded.roles(), default_roles().as_slice());
    }
}
