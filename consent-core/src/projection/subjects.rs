//! The subjects' decision state, laid out for the consent path of a decision: one dependent
//! memory access to find a subject and one to read all of its grants.
//!
//! Subjects live in one dense array, each entry holding its pseudonym, whether it has
//! restrictions or objections (held apart, in the projection), and up to
//! [`INLINE_GRANTS`] grant versions inline (more spill to the heap). An open-addressing table
//! with linear probing maps a pseudonym's first 8 bytes to the entry's position; its slots are
//! 16 bytes, so a lookup reads one slot (usually one cache line) and then the entry. A general
//! hash map costs three dependent accesses instead: its control bytes, its bucket, and the
//! grant list the bucket points to.

use std::collections::HashMap;

use crate::id::pseudonym::Pseudonym;
use crate::model::GrantId;
use crate::policy::grant_state::{GrantState, NEVER};
use crate::small::Small;

/// Grant versions held inside a subject's entry. The benchmarks' population, and most real
/// subjects, hold three or fewer.
pub(crate) const INLINE_GRANTS: usize = 3;

const FILLER: GrantState = GrantState {
    id: GrantId(uuid::Uuid::nil()),
    purposes: 0,
    recipients: 0,
    categories: 0,
    valid_from: NEVER,
    valid_until: NEVER,
    withdrawn_at: NEVER,
    lapses_at: NEVER,
    special_lapses_at: NEVER,
    authority_until: NEVER,
    effective_from: NEVER,
    superseded_at: NEVER,
    explicit: false,
    notice_superseded: false,
};

/// A subject's grant versions, in the order they were added: inline for the first few, all
/// on the heap beyond that.
pub(crate) type Grants = Small<GrantState, INLINE_GRANTS>;

/// One subject's state.
#[derive(Debug, Clone)]
pub(crate) struct SubjectState {
    /// Every version of every grant, in the order they were added (inline for a few).
    pub grants: Grants,
    /// Whether the subject has restrictions or objections recorded (the projection holds
    /// them apart: few subjects have any).
    pub flagged: bool,
}

impl Default for SubjectState {
    /// No grants, no restriction or objection.
    fn default() -> Self {
        SubjectState {
            grants: Grants::new(FILLER),
            flagged: false,
        }
    }
}

/// The state of a subject with no events.
pub(crate) static EMPTY_SUBJECT: SubjectState = SubjectState {
    grants: Grants::new(FILLER),
    flagged: false,
};

/// One slot of the index: a 32-bit tag of the pseudonym (which also gives its home slot) and
/// its entry's position. Eight bytes, so the index of a million subjects is 16 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    tag: u32,
    entry: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        tag: 0,
        entry: u32::MAX,
    };

    fn is_empty(&self) -> bool {
        self.entry == u32::MAX
    }
}

/// The tag of a pseudonym: 32 of its (uniformly random) first 8 bytes.
#[expect(
    clippy::cast_possible_truncation,
    reason = "folding 64 bits into 32 is the point of a tag"
)]
fn tag(subject: &Pseudonym) -> u32 {
    let word = subject.fast_hash();
    (word ^ (word >> 32)) as u32
}

/// How many entries the index can point to (`u32::MAX` marks an empty slot).
#[cfg(not(test))]
const MAX_ENTRIES: u32 = u32::MAX;
/// Small in tests, so the overflow path is exercised.
#[cfg(test)]
const MAX_ENTRIES: u32 = 40;

/// The subjects: a dense array of entries and an index over it.
#[derive(Debug, Default)]
pub(crate) struct SubjectTable {
    entries: Vec<(Pseudonym, SubjectState)>,
    /// Subjects beyond the `u32::MAX - 1` an index slot can point to (never in practice: that
    /// many entries would need over a terabyte), kept so that nothing is ever dropped.
    overflow: HashMap<Pseudonym, SubjectState>,
    /// A power of two in length (or empty), at most half full, so probes stay short and always
    /// reach an empty slot.
    slots: Box<[Slot]>,
}

impl SubjectTable {
    /// The home slot of a tag. Pseudonyms are uniformly random under the secret key, but the
    /// multiply (Fibonacci hashing) keeps tests' hand-made pseudonyms from clustering.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the value is below `slots.len()`, a usize"
    )]
    fn home(&self, tag: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        if bits == 0 {
            return 0;
        }
        // A shift of 64 - bits (1 to 63); the result is below `slots.len()`.
        (u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn mask(&self) -> usize {
        self.slots.len().saturating_sub(1)
    }

    /// The slot holding `subject`, if it is present.
    fn find(&self, subject: &Pseudonym) -> Option<usize> {
        let tag = tag(subject);
        let mask = self.mask();
        let mut at = self.home(tag);
        for _ in 0..self.slots.len() {
            let slot = self.slots.get(at)?;
            if slot.is_empty() {
                return None;
            }
            if slot.tag == tag
                && self
                    .entries
                    .get(slot.entry as usize)
                    .is_some_and(|(p, _)| p == subject)
            {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
        None
    }

    fn entry_index(&self, subject: &Pseudonym) -> Option<usize> {
        self.find(subject)
            .and_then(|at| self.slots.get(at))
            .map(|slot| slot.entry as usize)
    }

    pub(crate) fn get(&self, subject: &Pseudonym) -> Option<&SubjectState> {
        match self.entry_index(subject) {
            Some(entry) => self.entries.get(entry).map(|(_, state)| state),
            None if self.overflow.is_empty() => None,
            None => self.overflow.get(subject),
        }
    }

    pub(crate) fn get_mut(&mut self, subject: &Pseudonym) -> Option<&mut SubjectState> {
        match self.entry_index(subject) {
            Some(entry) => self.entries.get_mut(entry).map(|(_, state)| state),
            None => self.overflow.get_mut(subject),
        }
    }

    pub(crate) fn contains(&self, subject: &Pseudonym) -> bool {
        self.find(subject).is_some() || self.overflow.contains_key(subject)
    }

    /// Changes a subject's state, which starts empty if the subject is new.
    pub(crate) fn update(&mut self, subject: Pseudonym, change: impl FnOnce(&mut SubjectState)) {
        if let Some(state) = self.get_mut(&subject) {
            change(state);
            return;
        }
        let mut state = SubjectState::default();
        change(&mut state);
        self.push(subject, state);
    }

    /// Adds a subject that must be new (reading a snapshot): `false`, and nothing changed,
    /// when it is already there.
    pub(crate) fn insert_new(&mut self, subject: Pseudonym, state: SubjectState) -> bool {
        if self.contains(&subject) {
            return false;
        }
        self.push(subject, state);
        true
    }

    /// Adds a subject known not to be there.
    fn push(&mut self, subject: Pseudonym, state: SubjectState) {
        match u32::try_from(self.entries.len()) {
            Ok(entry) if entry < MAX_ENTRIES => {
                if (self.entries.len() + 1) * 2 > self.slots.len() {
                    self.grow();
                }
                self.place(Slot {
                    tag: tag(&subject),
                    entry,
                });
                self.entries.push((subject, state));
            }
            _ => {
                self.overflow.insert(subject, state);
            }
        }
    }

    /// Puts a slot in the first empty place from its home (the table has room).
    fn place(&mut self, slot: Slot) {
        let mask = self.mask();
        let mut at = self.home(slot.tag);
        for _ in 0..self.slots.len() {
            match self.slots.get_mut(at) {
                Some(place) if place.is_empty() => {
                    *place = slot;
                    return;
                }
                Some(_) => at = (at + 1) & mask,
                None => return,
            }
        }
    }

    /// Makes room for `additional` more subjects without growing on the way (a snapshot
    /// being read knows how many it holds).
    pub(crate) fn reserve(&mut self, additional: usize) {
        let wanted = self
            .entries
            .len()
            .saturating_add(additional)
            .saturating_mul(2)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX);
        self.entries.reserve(additional);
        if wanted > self.slots.len() {
            self.rebuild(wanted);
        }
    }

    fn grow(&mut self) {
        self.rebuild((self.slots.len() * 2).max(16));
    }

    fn rebuild(&mut self, len: usize) {
        let len = len.max(16);
        self.slots = vec![Slot::EMPTY; len].into_boxed_slice();
        let tags: Vec<u32> = self
            .entries
            .iter()
            .map(|(subject, _)| tag(subject))
            .collect();
        for (entry, tag) in (0..MAX_ENTRIES).zip(tags) {
            self.place(Slot { tag, entry });
        }
    }

    /// Removes a subject, returning its state.
    pub(crate) fn remove(&mut self, subject: &Pseudonym) -> Option<SubjectState> {
        let Some(at) = self.find(subject) else {
            return self.overflow.remove(subject);
        };
        let entry_slot = self.slots.get(at)?.entry;
        let entry = entry_slot as usize;
        self.clear_slot(at);
        // The last entry moves into the hole; its slot follows it.
        let last = self.entries.len().checked_sub(1)?;
        if entry != last
            && let Some(moved) = self.entries.get(last).map(|(p, _)| *p)
            && let Some(moved_at) = self.find(&moved)
            && let Some(slot) = self.slots.get_mut(moved_at)
        {
            slot.entry = entry_slot;
        }
        if entry < self.entries.len() {
            Some(self.entries.swap_remove(entry).1)
        } else {
            None
        }
    }

    /// Empties slot `at`, shifting later slots of its probe run back so that every remaining
    /// key stays reachable from its home (deletion without tombstones).
    fn clear_slot(&mut self, at: usize) {
        let mask = self.mask();
        let mut hole = at;
        let mut next = (at + 1) & mask;
        for _ in 0..self.slots.len() {
            let Some(&slot) = self.slots.get(next) else {
                break;
            };
            if slot.is_empty() {
                break;
            }
            let home = self.home(slot.tag);
            // The slot may fill the hole when the hole lies on its probe path, from its home
            // up to where it sits (cyclically).
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                if let Some(place) = self.slots.get_mut(hole) {
                    *place = slot;
                }
                hole = next;
            }
            next = (next + 1) & mask;
        }
        if let Some(place) = self.slots.get_mut(hole) {
            *place = Slot::EMPTY;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Pseudonym, &SubjectState)> {
        self.entries
            .iter()
            .map(|(p, s)| (p, s))
            .chain(self.overflow.iter())
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len() + self.overflow.len()
    }

    pub(crate) fn shrink(&mut self) {
        for (_, state) in &mut self.entries {
            state.grants.shrink_to_fit();
        }
        self.entries.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn pseudonym(n: u16, spread: bool) -> Pseudonym {
        let mut bytes = [0u8; 16];
        if spread {
            bytes = *blake3::hash(&n.to_le_bytes())
                .as_bytes()
                .first_chunk()
                .unwrap();
        } else {
            // Hand-made pseudonyms that share their first bytes' pattern.
            bytes[..2].copy_from_slice(&n.to_le_bytes());
        }
        Pseudonym(bytes)
    }

    proptest! {
        /// The table agrees with a hash map through any sequence of inserts and removals,
        /// including keys that collide in the index.
        #[test]
        fn behaves_like_a_map(
            ops in proptest::collection::vec((any::<bool>(), 0u16..64, any::<bool>()), 0..400),
            spread in any::<bool>(),
        ) {
            let mut table = SubjectTable::default();
            let mut model: HashMap<Pseudonym, bool> = HashMap::new();
            for (insert, n, value) in ops {
                let p = pseudonym(n, spread);
                if insert {
                    table.update(p, |s| s.flagged = value);
                    model.insert(p, value);
                } else {
                    let removed = table.remove(&p).map(|s| s.flagged);
                    prop_assert_eq!(removed, model.remove(&p));
                }
                prop_assert_eq!(table.len(), model.len());
                for n in 0..64 {
                    let p = pseudonym(n, spread);
                    prop_assert_eq!(table.get(&p).map(|s| s.flagged), model.get(&p).copied());
                    prop_assert_eq!(table.contains(&p), model.contains_key(&p));
                }
            }
            let mut listed: Vec<_> = table.iter().map(|(p, s)| (*p, s.flagged)).collect();
            let mut expected: Vec<_> = model.into_iter().collect();
            listed.sort();
            expected.sort();
            prop_assert_eq!(listed, expected);
        }
    }
}
