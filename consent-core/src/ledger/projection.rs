//! The in-memory state the engine reads: each subject's grants, compact and interned.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rustc_hash::FxHashMap;

use crate::id::pseudonym::Pseudonym;
use crate::model::grant::GrantId;
use crate::time::Micros;

/// "Never": the end of a grant that has no end.
pub(crate) const NEVER: Micros = Micros::MAX;

/// One grant as the engine needs it: about 80 bytes.
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
    pub explicit: bool,
}

impl GrantState {
    /// Whether the grant is in force at `at` (started, not ended, withdrawn or lapsed).
    pub fn active_at(&self, at: Micros) -> bool {
        self.valid_from <= at
            && at < self.valid_until
            && at < self.withdrawn_at
            && at < self.lapses_at
    }
}

/// A hasher for pseudonyms, which are already uniformly random under the secret key.
#[derive(Default)]
pub(crate) struct PseudonymHasher(u64);

impl Hasher for PseudonymHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached through `Pseudonym::hash`, which writes its fast hash with `write_u64`.
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

type SubjectMap = HashMap<Pseudonym, Vec<GrantState>, BuildHasherDefault<PseudonymHasher>>;

/// The projection of the event log.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    subjects: SubjectMap,
    grants: FxHashMap<GrantId, (Pseudonym, u32)>,
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
    None,
}

impl Projection {
    pub fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::AddGrant { subject, grant } => {
                let grants = self.subjects.entry(subject).or_default();
                let index = u32::try_from(grants.len()).unwrap_or(u32::MAX);
                grants.push(grant);
                self.grants.insert(grant.id, (subject, index));
            }
            Effect::Withdraw { grant, at } => {
                if let Some(state) = self.grant_mut(grant) {
                    state.withdrawn_at = at;
                }
            }
            Effect::None => {}
        }
    }

    pub fn subject(&self, subject: &Pseudonym) -> &[GrantState] {
        self.subjects.get(subject).map_or(&[], Vec::as_slice)
    }

    pub fn grant(&self, id: GrantId) -> Option<(&Pseudonym, &GrantState)> {
        let (subject, index) = self.grants.get(&id)?;
        let state = self
            .subjects
            .get(subject)?
            .get(usize::try_from(*index).ok()?)?;
        Some((subject, state))
    }

    fn grant_mut(&mut self, id: GrantId) -> Option<&mut GrantState> {
        let (subject, index) = self.grants.get(&id)?;
        self.subjects
            .get_mut(subject)?
            .get_mut(usize::try_from(*index).ok()?)
    }

    pub fn subject_count(&self) -> usize {
        self.subjects.len()
    }

    pub fn grant_count(&self) -> usize {
        self.grants.len()
    }

    /// Releases spare capacity after a replay.
    pub fn shrink(&mut self) {
        for grants in self.subjects.values_mut() {
            grants.shrink_to_fit();
        }
    }

    /// Every grant of every subject (for comparing two projections in tests).
    #[cfg(test)]
    pub fn all(&self) -> Vec<(Pseudonym, GrantState)> {
        let mut out: Vec<_> = self
            .subjects
            .iter()
            .flat_map(|(s, gs)| gs.iter().map(move |g| (*s, *g)))
            .collect();
        out.sort_by_key(|(_, g)| g.id);
        out
    }
}
