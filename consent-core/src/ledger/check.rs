//! The checks that opening a ledger, `verify` and the format upgrade share, so they cannot
//! drift apart: reading the subject keys, opening a sealed payload, and explaining every payload
//! that cannot be opened by an erasure.

use std::collections::HashMap;

use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::seal::{DataKey, KeyWrapper, open_sealed};
use crate::store::{Store, SubjectKey};

/// Every subject's current data key and the first event it seals.
pub(crate) type Keys = HashMap<Pseudonym, (DataKey, u64)>;

/// How the stored keys are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrapping {
    /// Bound to the subject and the first event the key seals (file format 2).
    Current,
    /// Bound to the subject only (file format 1, consent 0.1): read only by the upgrade.
    Format1,
}

/// From this many subject keys, they are unwrapped on two threads.
pub(crate) const PARALLEL_UNWRAP_FROM: usize = 10_000;

/// Reads and unwraps every stored subject key; a large ledger unwraps on two threads.
///
/// # Errors
/// `Integrity` when a key does not unwrap (altered, moved to another subject, or its first event
/// changed) or a subject has two keys; `Storage`.
pub(crate) fn unwrap_keys(
    store: &dyn Store,
    wrapper: &KeyWrapper,
    wrapping: Wrapping,
) -> Result<Keys> {
    let mut stored = Vec::new();
    store.subject_keys(&mut |key: SubjectKey| {
        stored.push(key);
        Ok(())
    })?;
    let unwrap = |keys: &[SubjectKey]| -> Result<Vec<(Pseudonym, (DataKey, u64))>> {
        keys.iter()
            .map(|stored| {
                let subject = Pseudonym(stored.subject);
                let key = match wrapping {
                    Wrapping::Current => {
                        wrapper.unwrap_key(&subject, stored.since_seq, &stored.wrapped)?
                    }
                    Wrapping::Format1 => wrapper.unwrap_key_format1(&subject, &stored.wrapped)?,
                };
                Ok((subject, (key, stored.since_seq)))
            })
            .collect()
    };
    let unwrapped = if stored.len() < PARALLEL_UNWRAP_FROM {
        unwrap(&stored)?
    } else {
        let (first, second) = stored.split_at(stored.len() / 2);
        let (mut first, second) = std::thread::scope(|scope| {
            let other = std::thread::Builder::new()
                .name("consent-keys".into())
                .spawn_scoped(scope, || unwrap(second))
                .map_err(|e| Error::storage("cannot start the key thread", e))?;
            let first = unwrap(first);
            let second = other
                .join()
                .map_err(|_| Error::storage("open", "the key thread panicked"))?;
            Ok::<_, Error>((first?, second?))
        })?;
        first.extend(second);
        first
    };
    let mut keys = HashMap::with_capacity(unwrapped.len());
    for (subject, key) in unwrapped {
        if keys.insert(subject, key).is_some() {
            return Err(Error::new(
                ErrorCode::Integrity,
                format!("subject `{subject}` has two data keys"),
            ));
        }
    }
    Ok(keys)
}

/// The payload of event `seq` as plain bytes: as stored when it is not sealed, opened with its
/// subject's key when it is, `None` when it was sealed under a key that is gone (which
/// [`Redactions`] must then explain).
///
/// # Errors
/// `Integrity` when a payload of the current key's time does not open, or a sealed payload
/// names no subject.
pub(crate) fn open_payload(
    keys: &Keys,
    subject: Option<Pseudonym>,
    seq: u64,
    sealed: bool,
    payload: Vec<u8>,
) -> Result<Option<Vec<u8>>> {
    if !sealed {
        return Ok(Some(payload));
    }
    let subject = subject.ok_or_else(|| {
        Error::new(ErrorCode::Integrity, "a sealed payload names no subject").at_event(seq)
    })?;
    open_sealed(
        keys.get(&subject).map(|(k, s)| (k, *s)),
        &subject,
        seq,
        payload,
    )
}

/// Payloads that could not be opened must each be explained by an erasure of their subject
/// recorded after them (and before the subject's current key); otherwise someone deleted a
/// subject's key, or moved its first event, behind the ledger's back. Fed in log order.
#[derive(Debug, Default)]
pub(crate) struct Redactions {
    /// Per subject, the first unreadable event not yet followed by an erasure.
    unexplained: HashMap<Pseudonym, u64>,
}

impl Redactions {
    /// Notes an event whose payload could not be opened.
    pub fn unreadable(&mut self, subject: Pseudonym, seq: u64) {
        self.unexplained.entry(subject).or_insert(seq);
    }

    /// Notes the subject's erasure at `seq`: it explains every unreadable payload before it.
    ///
    /// # Errors
    /// `Integrity` when the subject's current key is from before the erasure: the erasure was
    /// recorded but the key it destroyed is still stored (or was put back).
    pub fn erased(&mut self, subject: Pseudonym, seq: u64, keys: &Keys) -> Result<()> {
        if let Some((_, since)) = keys.get(&subject)
            && *since <= seq
        {
            return Err(Error::new(
                ErrorCode::Integrity,
                format!(
                    "the subject's erasure is recorded, but its data key for events from {since} on is still stored"
                ),
            )
            .at_event(seq));
        }
        self.unexplained.remove(&subject);
        Ok(())
    }

    /// Once the whole log was fed: the first unreadable payload that no erasure explains.
    ///
    /// # Errors
    /// `Integrity` naming that event.
    pub fn check(&self) -> Result<()> {
        match self.unexplained.values().min() {
            None => Ok(()),
            Some(seq) => Err(Error::new(
                ErrorCode::Integrity,
                "its payload cannot be opened: the subject's data key is gone but no erasure was recorded after it",
            )
            .at_event(*seq)),
        }
    }
}
