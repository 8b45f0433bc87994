//! The re-consent worklist: which grants stop covering disclosures soon, and why, so a case
//! worker can ask for new consent before a disclosure is denied.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::grant_state::{GrantState, NEVER};
use crate::catalogue::Code;
use crate::id::pseudonym::Pseudonym;
use crate::model::GrantId;
use crate::time::Micros;

/// Why a grant needs renewing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReconsentReason {
    /// A representative's grant lapses when the subject comes of age.
    ComesOfAge,
    /// The grant's `valid_until` is reached.
    Expires,
    /// The grant was given under a privacy notice version that is no longer current.
    NoticeSuperseded,
    /// The representative's authority ends (a known end date of an appointment).
    AuthorityEnds,
}

impl ReconsentReason {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReconsentReason::ComesOfAge => "comes_of_age",
            ReconsentReason::Expires => "expires",
            ReconsentReason::NoticeSuperseded => "notice_superseded",
            ReconsentReason::AuthorityEnds => "authority_ends",
        }
    }
}

/// One entry of the re-consent worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReconsentItem {
    /// The grant.
    pub grant_id: GrantId,
    /// The subject's pseudonym (the case system maps it to its client with
    /// [`Ledger::pseudonym`](crate::Ledger::pseudonym)).
    pub subject: Pseudonym,
    /// Why.
    pub reason: ReconsentReason,
    /// When the grant stops covering disclosures (or now, for a superseded notice).
    pub due_at: DateTime<Utc>,
    /// The grant's purposes.
    pub purposes: Vec<Code>,
    /// The grant's recipients.
    pub recipients: Vec<Code>,
    /// The grant's categories.
    pub categories: Vec<Code>,
}

/// Why and from when a grant in force at `start` needs renewing within `[start, end)`, if it
/// does: the representative's authority ends, the subject comes of age (a representative's
/// grant; for special categories, the age of consenting to them alone), the grant reaches
/// `valid_until`, or (due at `start`) it was given under a superseded privacy notice. A grant
/// withdrawn before the end it would reach is not listed for that end.
pub(crate) fn due(
    grant: &GrantState,
    start: Micros,
    end: Micros,
) -> Option<(ReconsentReason, Micros)> {
    if !(grant.applies_at(start) && grant.active_at(start)) {
        return None;
    }
    let ends_in_window = |t: Micros| t != NEVER && start <= t && t < end;
    // A grant that mixes categories needs renewing from its first lapse (special ones first).
    let lapses_at = grant.lapses_at.min(grant.special_lapses_at);
    if ends_in_window(grant.authority_until)
        && grant.authority_until <= grant.withdrawn_at
        && grant.authority_until <= lapses_at
    {
        Some((ReconsentReason::AuthorityEnds, grant.authority_until))
    } else if ends_in_window(lapses_at) && lapses_at <= grant.withdrawn_at {
        Some((ReconsentReason::ComesOfAge, lapses_at))
    } else if ends_in_window(grant.valid_until) && grant.valid_until <= grant.withdrawn_at {
        Some((ReconsentReason::Expires, grant.valid_until))
    } else if grant.notice_superseded {
        Some((ReconsentReason::NoticeSuperseded, start))
    } else {
        None
    }
}
