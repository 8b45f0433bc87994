//! What a grant must be to be recorded at all: input that could never mean anything, or would
//! mislead the person, is refused at the door instead of recorded and failing later.
//!
//! - **No consent where a statute is the basis.** Asking for consent to what an unconditional
//!   statutory rule already covers misleads the person and invites the forbidden switch of
//!   basis after a withdrawal (Datatilsynet: one basis per purpose). A rule that requires an
//!   asserted condition is not such coverage: consent is exactly what lesser concerns need.
//! - **No retroactive consent.** `valid_from` may lie before the moment of recording by at most
//!   the catalogue's `max_backdating_days`; historical paper consents enter through an explicit
//!   migration instead.
//! - **Explicit for special categories**: a grant that covers one without being explicit
//!   could never permit.
//! - **A notice the catalogue lists**, and **codes still in use**.
//! - **Rights that stop processing start now, not in another time.** A restriction or an
//!   objection may be recorded for the moment it was made, up to `max_backdating_days` ago (the
//!   letter came on Monday, it is recorded on Wednesday), never for the future (a restriction
//!   that is not in force is not one). A lift or a resolution takes effect now or later, never
//!   in the past: that would turn denials already given into permits after the fact, and a
//!   lift must wait until the person was told (GDPR Art. 18(3)).

use crate::catalogue::Catalogue;
use crate::error::{Error, Result};
use crate::model::party::Notice;
use crate::time::Micros;

/// Checks what a refusal and a grant share: a notice the catalogue lists, and codes still in
/// use at `recorded_at`.
///
/// # Errors
/// `InvalidInput` naming the notice or the retired code.
pub(crate) fn admit_refusal(
    catalogue: &Catalogue,
    purposes: u64,
    recipients: u64,
    categories: u64,
    notice: &Notice,
    recorded_at: Micros,
) -> Result<()> {
    if !catalogue.notice_accepted(&notice.id, &notice.version) {
        return Err(Error::invalid(format!(
            "notice `{}` version `{}` is not a privacy notice the catalogue lists",
            crate::error::printable(&notice.id),
            crate::error::printable(&notice.version)
        )));
    }
    if let Some((kind, code)) = catalogue.retired(purposes, recipients, categories, recorded_at) {
        return Err(Error::invalid(format!(
            "{kind} `{code}` is retired in the catalogue and takes no new grants or refusals"
        )));
    }
    Ok(())
}

/// How a grant enters the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Recorded as it is given.
    Current,
    /// A historical consent migrated from paper records: it may start long before it is
    /// recorded, and is kept as the record it was even where a statute covers it now.
    Historical,
}

/// One microsecond-day.
const DAY: Micros = 86_400_000_000;

/// How far the host's clock and the ledger's may disagree: an instant this close to the ledger's
/// clock counts as now.
pub(crate) const CLOCK_TOLERANCE: Micros = 5 * 60 * 1_000_000;

/// Checks the instant from which a restriction or an objection applies, against the ledger's
/// clock `now`.
///
/// # Errors
/// `InvalidInput` for an instant in the future, or more than `max_backdating_days` back.
pub(crate) fn admit_start(
    catalogue: &Catalogue,
    what: &str,
    at: Micros,
    now: Micros,
) -> Result<()> {
    if at > now.saturating_add(CLOCK_TOLERANCE) {
        return Err(Error::invalid(format!(
            "the {what} lies in the future: record it when it is made"
        )));
    }
    let days = catalogue.settings().max_backdating_days;
    if at < now.saturating_sub(Micros::from(days).saturating_mul(DAY)) {
        return Err(Error::invalid(format!(
            "the {what} lies more than {days} days before it is recorded (the catalogue's max_backdating_days)"
        )));
    }
    Ok(())
}

/// Checks the instant from which a lift or a resolution takes effect, against the ledger's
/// clock `now`.
///
/// # Errors
/// `InvalidInput` for an instant in the past.
pub(crate) fn admit_end(what: &str, at: Micros, now: Micros) -> Result<()> {
    if at < now.saturating_sub(CLOCK_TOLERANCE) {
        return Err(Error::invalid(format!(
            "the {what} lies in the past: it takes effect now or later, so decisions already made keep their answer"
        )));
    }
    Ok(())
}

/// The interned scope and the instants of a grant to admit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub purposes: u64,
    pub recipients: u64,
    pub categories: u64,
    pub explicit: bool,
    pub valid_from: Micros,
    pub notice: &'a Notice,
    /// The ledger's clock when the grant is recorded.
    pub recorded_at: Micros,
}

/// Checks that a grant may be recorded.
///
/// # Errors
/// `InvalidInput` naming the problem: a special category without explicit consent, a notice
/// or version the catalogue does not list, a retired code, a `valid_from` further back than the
/// catalogue allows, or a combination an unconditional statutory rule already covers.
pub(crate) fn admit(catalogue: &Catalogue, grant: &Candidate<'_>, entry: Entry) -> Result<()> {
    let special = grant.categories & catalogue.special_mask();
    if special != 0 && !grant.explicit {
        let code = catalogue.category_codes(special);
        let names: Vec<&str> = code.iter().map(|c| c.as_str()).collect();
        return Err(Error::invalid(format!(
            "`{}` is a special category (GDPR Art. 9): only explicit consent covers it, so set `explicit`",
            names.join("`, `")
        )));
    }
    admit_refusal(
        catalogue,
        grant.purposes,
        grant.recipients,
        grant.categories,
        grant.notice,
        grant.recorded_at,
    )?;
    if entry == Entry::Historical {
        return Ok(());
    }
    let days = catalogue.settings().max_backdating_days;
    let earliest = grant
        .recorded_at
        .saturating_sub(Micros::from(days).saturating_mul(DAY));
    if grant.valid_from < earliest {
        return Err(Error::invalid(format!(
            "valid_from lies more than {days} days before the grant is recorded; a consent cannot be given after the fact (historical paper consents enter through a migration)"
        )));
    }
    if let Some(cover) = catalogue.statute_covers(
        grant.purposes,
        grant.recipients,
        grant.categories,
        grant.valid_from,
    ) {
        return Err(Error::invalid(format!(
            "statutory rule `{}` ({}) already covers `{}` for `{}` and `{}`: no consent is asked where the law is the basis",
            cover.rule.code, cover.rule.statute, cover.category, cover.recipient, cover.purpose
        )));
    }
    Ok(())
}
