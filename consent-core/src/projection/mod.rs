//! The in-memory state the engine reads: each subject's grants, compact and interned, its
//! restrictions and objections, and its data key. The layout of the subjects is in `subjects.rs`; how a stored
//! event changes the state is in `effect.rs`.

mod effect;
pub(crate) mod snapshot;
mod subjects;

pub(crate) use effect::{
    Effect, GrantFields, Remembered, effect_of, grant_effect, keyed, rectify_effect,
};
pub(crate) use subjects::SubjectState;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHashMap;

use crate::id::pseudonym::{Pseudonym, PseudonymHasher};
use crate::log::seal::DataKey;
use crate::model::GrantId;
use crate::policy::decide::SubjectView;
use crate::policy::grant_state::{GrantState, NEVER};
use crate::policy::restriction::{Flags, ObjectionSpan, RestrictionSpan};
use subjects::{EMPTY_SUBJECT, SubjectTable};

type KeyMap = HashMap<Pseudonym, KeyEntry, BuildHasherDefault<PseudonymHasher>>;

/// A subject's data key and the first event it seals. A key the replay or a write made is
/// held unwrapped; a key a snapshot names stays wrapped in the store until a call first needs
/// it (`Ledger::data_key` unwraps it then, and fails closed when it does not unwrap).
#[derive(Debug)]
pub(crate) struct KeyEntry {
    /// The first event the key seals.
    pub since: u64,
    /// The key, once unwrapped.
    pub key: std::sync::OnceLock<DataKey>,
}

/// The projection of the event log.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    /// What decisions read: a subject's grants sit inside its entry.
    subjects: SubjectTable,
    /// Each subject's data key and the first event it seals: only writes and reads of event
    /// payloads need it, so it lives apart from the decision state (and after an open from a
    /// snapshot, a key is unwrapped only when first needed).
    keys: KeyMap,
    grants: FxHashMap<GrantId, Pseudonym>,
    /// The restrictions and objections of the few subjects that have any.
    flags: FxHashMap<Pseudonym, Flags>,
    /// Each objection's subject.
    objections: FxHashMap<uuid::Uuid, Pseudonym>,
    /// The ids a person had before, each to the pseudonym their records follow now (chains
    /// are kept flat: a DUF number and a D-nummer both point at the fødselsnummer).
    aliases: FxHashMap<Pseudonym, Pseudonym>,
    /// The pseudonyms whose records were erased (until a new key is made for them: the
    /// person consented again).
    erased: rustc_hash::FxHashSet<Pseudonym>,
    /// The callers' idempotency keys, by the digest of the key.
    idempotent: FxHashMap<[u8; 32], Remembered>,
    /// The digests of each subject's keys, so that an erasure or a succession touches only
    /// that person's keys (an import keys every row).
    keys_of: FxHashMap<Pseudonym, Vec<[u8; 32]>>,
}

impl Projection {
    /// What is remembered of the idempotency key whose digest is `key`.
    pub fn remembered(&self, key: &[u8; 32]) -> Option<&Remembered> {
        self.idempotent.get(key)
    }

    /// Records a subject's data key (before its first sealed event is applied).
    pub fn set_key(&mut self, subject: Pseudonym, key: DataKey, since_seq: u64) {
        self.erased.remove(&subject);
        self.keys.insert(
            subject,
            KeyEntry {
                since: since_seq,
                key: std::sync::OnceLock::from(key),
            },
        );
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
            Effect::Restrict {
                subject,
                from,
                legacy,
                erasure,
            } => {
                self.flags_mut(subject).restrictions.push(RestrictionSpan {
                    from,
                    until: NEVER,
                    legacy,
                    erasure,
                });
            }
            Effect::Lift { subject, at } => self.lift(subject, at),
            Effect::Object {
                subject,
                id,
                purpose,
                from,
            } => {
                self.flags_mut(subject).objections.push(ObjectionSpan {
                    id,
                    purpose,
                    from,
                    until: NEVER,
                    resolved: false,
                });
                self.objections.insert(id, subject);
            }
            Effect::ResolveObjection { id, at, upheld } => {
                if let Some(subject) = self.objections.get(&id)
                    && let Some(flags) = self.flags.get_mut(subject)
                {
                    for span in flags.objections.iter_mut().filter(|o| o.id == id) {
                        span.resolved = true;
                        if !upheld {
                            span.until = at.max(span.from);
                        }
                    }
                }
            }
            Effect::Succeed { from, to } => self.succeed(from, to),
            Effect::Erase { subject } => self.erase(subject),
            Effect::Keyed(keyed) => {
                let (effect, key, remembered) = *keyed;
                self.apply(effect);
                if self.idempotent.insert(key, remembered).is_none() {
                    self.keys_of
                        .entry(remembered.subject)
                        .or_default()
                        .push(key);
                }
            }
            Effect::None => {}
        }
    }

    /// Forgets what the projection holds of an erased subject: its key, grants, flags and the
    /// idempotency keys of its (now unreadable) events.
    fn erase(&mut self, subject: Pseudonym) {
        self.erased.insert(subject);
        self.keys.remove(&subject);
        // A replay cannot open the erased payloads, so it would not know their keys.
        if let Some(keys) = self.keys_of.remove(&subject) {
            for key in keys {
                self.idempotent.remove(&key);
            }
        }
        if let Some(state) = self.subjects.remove(&subject) {
            for grant in state.grants.iter() {
                self.grants.remove(&grant.id);
            }
        }
        if let Some(flags) = self.flags.remove(&subject) {
            for objection in &flags.objections {
                self.objections.remove(&objection.id);
            }
        }
    }

    /// Ends the subject's restrictions on Art. 18(1) grounds not yet lifted (an erasure
    /// request's restriction stays: only kassasjon ends it).
    fn lift(&mut self, subject: Pseudonym, at: crate::time::Micros) {
        if let Some(flags) = self.flags.get_mut(&subject) {
            for span in flags
                .restrictions
                .iter_mut()
                .filter(|r| r.until == NEVER && !r.erasure)
            {
                span.until = at.max(span.from);
            }
        }
    }

    /// Moves a person's records from an earlier id's pseudonym to the new one, which the
    /// earlier (and any before it) resolve to from now on.
    fn succeed(&mut self, from: Pseudonym, to: Pseudonym) {
        if let Some(moved) = self.subjects.remove(&from) {
            for grant in moved.grants.iter() {
                self.grants.insert(grant.id, to);
            }
            self.subjects.update(to, |state| {
                for grant in moved.grants.iter() {
                    state.grants.push(*grant);
                }
                state.flagged |= moved.flagged;
            });
        }
        if let Some(moved) = self.flags.remove(&from) {
            for objection in &moved.objections {
                self.objections.insert(objection.id, to);
            }
            let flags = self.flags.entry(to).or_default();
            flags.restrictions.extend(moved.restrictions);
            flags.objections.extend(moved.objections);
        }
        for target in self.aliases.values_mut() {
            if *target == from {
                *target = to;
            }
        }
        if let Some(keys) = self.keys_of.remove(&from) {
            for key in &keys {
                if let Some(remembered) = self.idempotent.get_mut(key) {
                    remembered.subject = to;
                }
            }
            self.keys_of.entry(to).or_default().extend(keys);
        }
        self.aliases.insert(from, to);
    }

    /// The pseudonym a person's records follow now: `subject`'s own, or the one its id was
    /// succeeded by.
    pub fn resolve(&self, subject: &Pseudonym) -> Pseudonym {
        if self.aliases.is_empty() {
            return *subject;
        }
        self.aliases.get(subject).copied().unwrap_or(*subject)
    }

    /// Whether the id of `subject` was succeeded by another.
    pub fn is_alias(&self, subject: &Pseudonym) -> bool {
        self.aliases.contains_key(subject)
    }

    /// The pseudonyms of the ids a person had before `subject` (not `subject` itself).
    pub fn earlier_ids(&self, subject: &Pseudonym) -> Vec<Pseudonym> {
        self.aliases
            .iter()
            .filter(|(_, to)| *to == subject)
            .map(|(from, _)| *from)
            .collect()
    }

    /// Whether the person's records were erased and nothing was recorded of them since: an
    /// erasure of their current id or of an earlier one, and no data key left.
    pub fn is_erased(&self, subject: &Pseudonym) -> bool {
        let current = self.resolve(subject);
        let erased = self.erased.contains(&current)
            || self
                .aliases
                .iter()
                .any(|(from, to)| *to == current && self.erased.contains(from));
        erased && !self.person_has_key(&current)
    }

    /// Whether a data key of the person is held: under `subject` or an id they had before
    /// (a person the ledger knows and holds no key of was erased).
    pub fn person_has_key(&self, subject: &Pseudonym) -> bool {
        self.keys.contains_key(subject)
            || self
                .aliases
                .iter()
                .any(|(from, to)| to == subject && self.keys.contains_key(from))
    }

    /// A subject's flags, created (and the subject marked) on first use.
    fn flags_mut(&mut self, subject: Pseudonym) -> &mut Flags {
        self.subjects.update(subject, |state| state.flagged = true);
        self.flags.entry(subject).or_default()
    }

    /// Whether any subject has a restriction or an objection recorded.
    pub fn any_flags(&self) -> bool {
        !self.flags.is_empty()
    }

    /// A subject's restrictions and objections, if it has any.
    pub fn flags(&self, subject: &Pseudonym) -> Option<&Flags> {
        self.flags.get(&self.resolve(subject))
    }

    /// The subject an objection belongs to.
    pub fn objection_subject(&self, id: uuid::Uuid) -> Option<&Pseudonym> {
        self.objections.get(&id)
    }

    /// What a decision reads of a subject.
    pub fn view(&self, subject: &Pseudonym) -> SubjectView<'_> {
        let subject = self.resolve(subject);
        let state = self.subject(&subject);
        SubjectView {
            grants: state.grants.as_slice(),
            flags: if state.flagged {
                self.flags.get(&subject)
            } else {
                None
            },
        }
    }

    fn subject_of_mut(&mut self, grant: GrantId) -> Option<&mut SubjectState> {
        let subject = self.grants.get(&grant)?;
        self.subjects.get_mut(subject)
    }

    /// A subject's state; a subject without events has no grants and no restriction.
    pub fn subject(&self, subject: &Pseudonym) -> &SubjectState {
        // Not a fallback that hides an error: a subject the ledger never saw has exactly the
        // state of `EMPTY_SUBJECT`.
        self.subjects
            .get(&self.resolve(subject))
            .unwrap_or(&EMPTY_SUBJECT)
    }

    /// Whether the subject (or the id that succeeded it) has grants or flags recorded.
    pub fn has_state(&self, subject: &Pseudonym) -> bool {
        self.subjects.contains(&self.resolve(subject))
    }

    /// Whether the projection knows the subject: it has state or a data key.
    pub fn has_subject(&self, subject: &Pseudonym) -> bool {
        let current = self.resolve(subject);
        self.subjects.contains(&current)
            || self.keys.contains_key(&current)
            || self.keys.contains_key(subject)
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

    /// A subject's data key entry (unwrapped or not yet): see `Ledger::data_key`.
    pub fn key_entry(&self, subject: &Pseudonym) -> Option<&KeyEntry> {
        self.keys.get(subject)
    }

    /// Whether a data key of `subject` itself is held.
    pub fn has_key(&self, subject: &Pseudonym) -> bool {
        self.keys.contains_key(subject)
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
