//! A grant's lifecycle: the one place that says where a grant stands at an instant.
//!
//! The engine (why a consent does not cover a disclosure), the export (each consent record's
//! state) and the re-consent worklist (which grants are still in force) all read
//! [`GrantState::status_at`], so a grant's status has one definition.

use serde::Serialize;

use crate::model::GrantId;
use crate::time::Micros;

/// "Never": the end of a grant that has no end.
pub(crate) const NEVER: Micros = Micros::MAX;

/// Where a grant stands at an instant.
///
/// When several ends have passed, the first that applies in this order is reported:
/// withdrawn, the representative's authority ended, re-consent required, expired, not yet
/// valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrantStatus {
    /// In force: it covers disclosures within its scope.
    Given,
    /// Its `valid_from` is still ahead.
    NotYetValid,
    /// Withdrawn before the instant (GDPR Art. 7(3)).
    Withdrawn,
    /// Its `valid_until` has passed.
    Expired,
    /// A representative's grant whose subject has since come of age (for special categories,
    /// the age from which they consent to them alone): new consent is needed.
    ReconsentRequired,
    /// The representative's authority has ended (a verge appointed, parents arrived, a
    /// decision's end date): new consent is needed.
    AuthorityEnded,
    /// The subject's data was erased; the grant's record can no longer be read.
    Erased,
}

impl GrantStatus {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Given => "given",
            GrantStatus::NotYetValid => "not_yet_valid",
            GrantStatus::Withdrawn => "withdrawn",
            GrantStatus::Expired => "expired",
            GrantStatus::ReconsentRequired => "reconsent_required",
            GrantStatus::AuthorityEnded => "authority_ended",
            GrantStatus::Erased => "erased",
        }
    }
}

impl std::fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a new grant is, interned: the input of [`GrantState::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GrantTerms {
    pub id: GrantId,
    pub purposes: u64,
    pub recipients: u64,
    pub categories: u64,
    pub valid_from: Micros,
    /// `NEVER` when the grant has no end.
    pub valid_until: Micros,
    /// When a representative's grant lapses for the ordinary categories it covers (`NEVER`
    /// for the subject's own, and for a grant of special categories only).
    pub lapses_at: Micros,
    /// When it lapses for the special categories it covers (`NEVER` when it covers none).
    pub special_lapses_at: Micros,
    /// When the representative's authority ends (`NEVER`: not known to end).
    pub authority_until: Micros,
    pub explicit: bool,
    /// Given under a privacy notice version the catalogue no longer lists as current.
    pub notice_superseded: bool,
}

/// One version of a grant as the engine needs it (every field but `notice_superseded` is read
/// by a decision, so there is no cold part worth splitting off). A rectification adds a new
/// version that applies to decision instants from its `effective_from`, and ends the old one
/// there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GrantState {
    pub id: GrantId,
    pub purposes: u64,
    pub recipients: u64,
    pub categories: u64,
    pub valid_from: Micros,
    pub valid_until: Micros,
    pub withdrawn_at: Micros,
    /// The lapse for ordinary categories (see [`GrantTerms`]).
    pub lapses_at: Micros,
    /// The lapse for special categories.
    pub special_lapses_at: Micros,
    pub authority_until: Micros,
    /// The first decision instant this version applies to.
    pub effective_from: Micros,
    /// The first decision instant a later version applies to.
    pub superseded_at: Micros,
    pub explicit: bool,
    /// Given under a privacy notice version the catalogue no longer lists as current.
    pub notice_superseded: bool,
}

impl GrantState {
    /// A grant as recorded: not withdrawn, its first version, applying to every instant. The
    /// only constructor: the write path and replay both come here, through the same reading
    /// of the stored record.
    pub(crate) fn new(terms: GrantTerms) -> GrantState {
        GrantState {
            id: terms.id,
            purposes: terms.purposes,
            recipients: terms.recipients,
            categories: terms.categories,
            valid_from: terms.valid_from,
            valid_until: terms.valid_until,
            withdrawn_at: NEVER,
            lapses_at: terms.lapses_at,
            special_lapses_at: terms.special_lapses_at,
            authority_until: terms.authority_until,
            effective_from: Micros::MIN,
            superseded_at: NEVER,
            explicit: terms.explicit,
            notice_superseded: terms.notice_superseded,
        }
    }

    /// Whether this version applies to decisions at `at`.
    pub fn applies_at(&self, at: Micros) -> bool {
        self.effective_from <= at && at < self.superseded_at
    }

    /// Where the grant stands at `at`, as a whole: re-consent is required from its first
    /// lapse (a grant that mixes categories lapses for special ones first).
    pub fn status_at(&self, at: Micros) -> GrantStatus {
        self.status(at, self.lapses_at.min(self.special_lapses_at))
    }

    /// Where the grant stands at `at` for one category, special or not: what a decision reads.
    pub fn status_for(&self, at: Micros, special: bool) -> GrantStatus {
        self.status(
            at,
            if special {
                self.special_lapses_at
            } else {
                self.lapses_at
            },
        )
    }

    fn status(&self, at: Micros, lapses_at: Micros) -> GrantStatus {
        if at >= self.withdrawn_at {
            GrantStatus::Withdrawn
        } else if at >= self.authority_until {
            GrantStatus::AuthorityEnded
        } else if at >= lapses_at {
            GrantStatus::ReconsentRequired
        } else if at >= self.valid_until {
            GrantStatus::Expired
        } else if at < self.valid_from {
            GrantStatus::NotYetValid
        } else {
            GrantStatus::Given
        }
    }

    /// Whether the grant is in force at `at` (started, not ended, withdrawn or lapsed).
    pub fn active_at(&self, at: Micros) -> bool {
        self.status_at(at) == GrantStatus::Given
    }

    /// Whether this is the newest version.
    pub fn is_current(&self) -> bool {
        self.superseded_at == NEVER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(valid_from: Micros, valid_until: Micros, lapses_at: Micros) -> GrantState {
        GrantState::new(GrantTerms {
            id: GrantId(uuid::Uuid::nil()),
            purposes: 1,
            recipients: 1,
            categories: 1,
            valid_from,
            valid_until,
            lapses_at,
            special_lapses_at: NEVER,
            authority_until: NEVER,
            explicit: false,
            notice_superseded: false,
        })
    }

    #[test]
    fn each_end_of_a_grant_is_its_own_status_and_starts_at_its_instant() {
        let mut g = grant(10, 40, 30);
        assert_eq!(g.status_at(9), GrantStatus::NotYetValid);
        assert_eq!(g.status_at(10), GrantStatus::Given);
        assert!(g.active_at(29));
        assert_eq!(g.status_at(30), GrantStatus::ReconsentRequired);
        assert_eq!(g.status_at(40), GrantStatus::ReconsentRequired);
        g.withdrawn_at = 20;
        assert_eq!(g.status_at(19), GrantStatus::Given);
        assert_eq!(g.status_at(20), GrantStatus::Withdrawn);
        assert_eq!(g.status_at(35), GrantStatus::Withdrawn);
        let g = grant(10, 40, NEVER);
        assert_eq!(g.status_at(39), GrantStatus::Given);
        assert_eq!(g.status_at(40), GrantStatus::Expired);
        assert!(!g.active_at(40));
    }

    #[test]
    fn a_mixed_grant_lapses_per_category_and_an_ended_authority_ends_it_all() {
        let mut g = grant(10, NEVER, 50);
        g.special_lapses_at = 30;
        assert_eq!(g.status_for(35, true), GrantStatus::ReconsentRequired);
        assert_eq!(g.status_for(35, false), GrantStatus::Given);
        assert_eq!(g.status_at(35), GrantStatus::ReconsentRequired);
        assert_eq!(g.status_for(50, false), GrantStatus::ReconsentRequired);
        g.authority_until = 20;
        assert_eq!(g.status_for(19, false), GrantStatus::Given);
        assert_eq!(g.status_for(20, false), GrantStatus::AuthorityEnded);
        assert_eq!(g.status_for(40, true), GrantStatus::AuthorityEnded);
        g.withdrawn_at = 15;
        assert_eq!(g.status_for(40, true), GrantStatus::Withdrawn);
    }
}
