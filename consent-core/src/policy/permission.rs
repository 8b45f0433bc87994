//! Who may do what: the one place an actor's role is checked against the catalogue's roles
//! (DESIGN.md section 9). Every operation that changes or reads one person's data asks here
//! first, before it looks at its input, so a refusal tells nothing about the data.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::catalogue::{Catalogue, Operation};
use crate::error::{Error, ErrorCode, Result};
use crate::model::party::Actor;
use crate::model::signed::ActorTrust;
use crate::model::signed::sealed::Claim;

/// The actor a call acts as: an actor the host names, unless the catalogue requires signed
/// actors; or the actor a signed token vouches for, verified at `now` against `trust`. Asked
/// before [`check`], so a refusal here tells nothing about the data either.
///
/// # Errors
/// `NotPermitted` for a named actor under `require_signed_actors`, for a token when the ledger
/// trusts no issuer, and for a token that does not verify (as [`ActorTrust::verify`]);
/// `InvalidInput` for a token that is not a compact JWS, or claims that are no actor.
pub(crate) fn resolve<'a>(
    catalogue: &Catalogue,
    trust: Option<&ActorTrust>,
    claim: Claim<'a>,
    now: DateTime<Utc>,
) -> Result<Cow<'a, Actor>> {
    match claim {
        Claim::Named(actor) => {
            if catalogue.settings().require_signed_actors {
                return Err(Error::new(
                    ErrorCode::NotPermitted,
                    "the catalogue accepts only signed actors (require_signed_actors): give the actor as a signed token",
                ));
            }
            Ok(actor.unsigned())
        }
        Claim::Signed(token) => {
            let trust = trust.ok_or_else(|| {
                Error::new(
                    ErrorCode::NotPermitted,
                    "a signed actor was given, but the ledger was opened without an actor trust (an issuer and its keys) to verify it",
                )
            })?;
            Ok(Cow::Owned(trust.verify(token.token(), now)?))
        }
    }
}

/// Whether `actor` may perform `operation` under `catalogue`.
///
/// # Errors
/// `UnknownCode` for a role the catalogue does not declare; `NotPermitted`, naming the role
/// and the operation, for a role without the permission.
pub(crate) fn check(catalogue: &Catalogue, actor: &Actor, operation: Operation) -> Result<()> {
    let role = catalogue
        .role(actor.role().as_str())
        .ok_or_else(|| Error::unknown_code("role", actor.role().as_str()))?;
    if role.may(operation) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::NotPermitted,
            format!(
                "role `{}` may not perform `{operation}` (the catalogue's roles)",
                role.code
            ),
        ))
    }
}

/// Whether a decision without an actor may be made: not when the catalogue says every
/// decision is recorded (`log_all_decisions`).
///
/// # Errors
/// `NotPermitted` when the catalogue sets `log_all_decisions`.
pub(crate) fn unlogged_decision(catalogue: &Catalogue) -> Result<()> {
    if catalogue.settings().log_all_decisions {
        Err(Error::new(
            ErrorCode::NotPermitted,
            "the catalogue records every decision (log_all_decisions): decide with an actor and a purpose of lookup",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_checked_against_the_catalogue() {
        let catalogue = Catalogue::embedded();
        let case_worker = Actor::new("saksbehandler-17", "case_worker").unwrap();
        let dpo = Actor::new("personvernombud", "dpo").unwrap();
        let auditor = Actor::new("revisor", "auditor").unwrap();
        let stranger = Actor::new("x", "janitor").unwrap();
        assert!(check(&catalogue, &case_worker, Operation::Grant).is_ok());
        let refused = check(&catalogue, &case_worker, Operation::RequestErasure).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::NotPermitted);
        assert!(refused.message().contains("`case_worker`"), "{refused}");
        assert!(refused.message().contains("`request_erasure`"), "{refused}");
        assert!(check(&catalogue, &dpo, Operation::RequestErasure).is_ok());
        assert!(check(&catalogue, &auditor, Operation::Verify).is_ok());
        assert_eq!(
            check(&catalogue, &auditor, Operation::Export)
                .unwrap_err()
                .code(),
            ErrorCode::NotPermitted
        );
        let unknown = check(&catalogue, &stranger, Operation::Verify).unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::UnknownCode);
        assert!(unknown.message().contains("`janitor`"));
        assert!(unlogged_decision(&catalogue).is_ok());
    }
}
