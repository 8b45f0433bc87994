//! The in-memory state the engine reads: each subject's grants, compact and interned, its
//! restriction, and its data key. The layout of the subjects is in `subjects.rs`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rustc_hash::FxHashMap;

use super::crypto::DataKey;
use super::subjects::{Grants, SubjectTable};
use crate::id::pseudonym::Pseudonym;
use crate::model::grant::GrantId;
use crate::time::Micros;

/// "Never": the end of a grant that has no end.
pub(crate) const NEVER: Micros = Micros::MAX;

/// One version of a grant as the engine needs it (every field but `notice_superseded` is read
/// by a decision, so there is no cold part worth splitting off). A rectification adds a new version that
/// applies to decision instants from its `effective_from`, and ends the old one there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GrantState {
    pub id: GrantId,
    pub purposes: u64,
    pub recipients: u64,
    pub categories: u64,
    pub valid_from: Micros,
    pub valid_until: Micros,
    pub withdrawn_at: Micros,
    pub lapses_at: Micros,
    /// The first decision instant this version applies to.
    pub effective_from: Micros,
    /// The first decision instant a later version applies to.
    pub superseded_at: Micros,
    pub explicit: bool,
    /// Given under a privacy notice version the catalogue no longer lists as current.
    pub notice_superseded: bool,
}

impl GrantState {
    /// Whether this version applies to decisions at `at`.
    pub fn applies_at(&self, at: Micros) -> bool {
        self.effective_from <= at && at < self.superseded_at
    }

    /// Whether the grant is in force at `at` (started, not ended, withdrawn or lapsed).
    pub fn active_at(&self, at: Micros) -> bool {
        self.valid_from <= at
            && at < self.valid_until
            && at < self.withdrawn_at
            && at < self.lapses_at
    }

    /// Whether this is the newest version.
    pub fn is_current(&self) -> bool {
        self.superseded_at == NEVER
    }
}

/// One subject's state.
#[derive(Debug, Clone)]
pub(crate) struct SubjectState {
    /// Every version of every grant, in the order they were added (inline for a few).
    pub grants: Grants,
    /// From when the subject's processing is restricted (`NEVER`: not restricted).
    pub restricted_from: Micros,
}

impl Default for SubjectState {
    /// No grants, not restricted, no key.
    fn default() -> Self {
        SubjectState {
            grants: Grants::EMPTY,
            restricted_from: NEVER,
        }
    }
}

impl SubjectState {
    pub fn restricted_at(&self, at: Micros) -> bool {
        self.restricted_from <= at
    }
}

/// The state of a subject with no events.
pub(crate) static EMPTY_SUBJECT: SubjectState = SubjectState {
    grants: Grants::EMPTY,
    restricted_from: NEVER,
};

/// A hasher for pseudonyms, which are already uniformly random under the secret key.
#[derive(Default)]
pub(crate) struct PseudonymHasher(u64);

impl Hasher for PseudonymHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than `Pseudonym::hash` writes bytes.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl std::hash::Hash for Pseudonym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fast_hash());
    }
}

type KeyMap = HashMap<Pseudonym, (DataKey, u64), BuildHasherDefault<PseudonymHasher>>;

/// The projection of the event log.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    /// What decisions read: a subject's grants sit inside its entry.
    subjects: SubjectTable,
    /// Each subject's data key and the first event it seals: only writes and reads of event
    /// payloads need it, so it lives apart from the decision state.
    keys: KeyMap,
    grants: FxHashMap<GrantId, Pseudonym>,
}

/// A change to the projection, computed (and validated) before its event is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Effect {
    AddGrant {
        subject: Pseudonym,
        grant: GrantState,
    },
    Withdraw {
        grant: GrantId,
        at: Micros,
    },
    /// A new version of a grant from `effective_from` on; `None` keeps a field's value.
    Rectify {
        grant: GrantId,
        effective_from: Micros,
        valid_from: Option<Micros>,
        valid_until: Option<Micros>,
    },
    Restrict {
        subject: Pseudonym,
        from: Micros,
    },
    Erase {
        subject: Pseudonym,
    },
    None,
}

impl Projection {
    /// Records a subject's data key (before its first sealed event is applied).
    pub fn set_key(&mut self, subject: Pseudonym, key: DataKey, since_seq: u64) {
        self.keys.insert(subject, (key, since_seq));
    }

    /// Forgets a subject's data key (a write that would have introduced it failed).
    pub fn remove_key(&mut self, subject: &Pseudonym) {
        self.keys.remove(subject);
    }

    pub fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::AddGrant { subject, grant } => {
                self.subjects
                    .update(subject, |state| state.grants.push(grant));
                self.grants.insert(grant.id, subject);
            }
            Effect::Withdraw { grant, at } => {
                // Every version of the grant ends at the withdrawal.
                if let Some(state) = self.subject_of_mut(grant) {
                    for version in state.grants.iter_mut().filter(|g| g.id == grant) {
                        version.withdrawn_at = at;
                    }
                }
            }
            Effect::Rectify {
                grant,
                effective_from,
                valid_from,
                valid_until,
            } => {
                if let Some(state) = self.subject_of_mut(grant)
                    && let Some(current) = state
                        .grants
                        .iter_mut()
                        .find(|g| g.id == grant && g.is_current())
                {
                    let mut next = *current;
                    current.superseded_at = effective_from.max(current.effective_from);
                    next.effective_from = current.superseded_at;
                    next.valid_from = valid_from.unwrap_or(next.valid_from);
                    next.valid_until = valid_until.unwrap_or(next.valid_until);
                    state.grants.push(next);
                }
            }
            Effect::Restrict { subject, from } => {
                self.subjects.update(subject, |state| {
                    state.restricted_from = state.restricted_from.min(from);
                });
            }
            Effect::Erase { subject } => {
                self.keys.remove(&subject);
                if let Some(state) = self.subjects.remove(&subject) {
                    for grant in state.grants.iter() {
                        self.grants.remove(&grant.id);
                    }
                }
            }
            Effect::None => {}
        }
    }

    fn subject_of_mut(&mut self, grant: GrantId) -> Option<&mut SubjectState> {
        let subject = self.grants.get(&grant)?;
        self.subjects.get_mut(subject)
    }

    pub fn subject(&self, subject: &Pseudonym) -> &SubjectState {
        self.subjects.get(subject).unwrap_or(&EMPTY_SUBJECT)
    }

    pub fn has_subject(&self, subject: &Pseudonym) -> bool {
        self.subjects.contains(subject) || self.keys.contains_key(subject)
    }

    /// The newest version of a grant, and its subject.
    pub fn grant(&self, id: GrantId) -> Option<(&Pseudonym, &GrantState)> {
        let subject = self.grants.get(&id)?;
        let state = self
            .subjects
            .get(subject)?
            .grants
            .iter()
            .rev()
            .find(|g| g.id == id)?;
        Some((subject, state))
    }

    pub fn key(&self, subject: &Pseudonym) -> Option<(DataKey, u64)> {
        self.keys.get(subject).copied()
    }

    pub fn subjects(&self) -> impl Iterator<Item = (&Pseudonym, &SubjectState)> {
        self.subjects.iter()
    }

    pub fn subject_count(&self) -> usize {
        self.subjects.len()
    }

    pub fn grant_count(&self) -> usize {
        self.grants.len()
    }

    /// Releases spare capacity after a replay.
    pub fn shrink(&mut self) {
        self.subjects.shrink();
    }

    /// Every grant version of every subject (for comparing two projections in tests).
    #[cfg(test)]
    pub fn all(&self) -> Vec<(Pseudonym, GrantState)> {
        let mut out: Vec<_> = self
            .subjects
            .iter()
            .flat_map(|(s, state)| state.grants.iter().map(move |g| (*s, *g)))
            .collect();
        out.sort_by_key(|(_, g)| (g.id, g.effective_from));
        out
    }
}
