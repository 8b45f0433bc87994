//! Idempotency keys: a grant, a withdrawal or a refusal may carry a key the caller chooses
//! (the case number of the form, an import row's id), so that a retried call, after a dropped
//! connection or in a re-run import, writes nothing and returns what the first call returned.
//! The same key with another request is `Conflict`.
//!
//! The ledger keeps only keyed digests (BLAKE3 under a key derived from the pseudonym key):
//! the key may be a case number, and the request holds a national id. The projection
//! remembers each key beside the effect of its event (`projection::Remembered`), so a write,
//! a replay and a catch-up after another process's write all know the same keys; a key is
//! checked under the write lock, after catching up, so two processes writing one key at once
//! write one event.

use std::collections::HashMap;

use super::Ledger;
use crate::error::{Error, ErrorCode, Result};
use crate::hex;
use crate::log::event::Idempotency;
use crate::projection::Remembered;

/// The derivation context of the digest key.
const CONTEXT: &str = "consent 2026 idempotency key digests v1";

/// What a keyed request finds.
pub(super) enum Once {
    /// Nothing under its key, or no key: write it, with these digests when it has a key.
    New(Option<Idempotency>),
    /// The same request was written before: return what it returned.
    Repeat(Remembered),
}

/// The keys of one batch, so that a key repeated within it is written once.
#[derive(Default)]
pub(super) struct BatchKeys {
    seen: HashMap<[u8; 32], ([u8; 32], usize)>,
}

impl BatchKeys {
    /// The index of an earlier request of the batch with the same key and content; `Conflict`
    /// for the same key with other content.
    pub(super) fn check(&mut self, once: &Idempotency, index: usize) -> Result<Option<usize>> {
        let (key, content) = digests(once)?;
        match self.seen.get(&key) {
            Some((earlier, first)) if *earlier == content => Ok(Some(*first)),
            Some((_, first)) => Err(conflict(&format!("request {first} of this batch"))),
            None => {
                self.seen.insert(key, (content, index));
                Ok(None)
            }
        }
    }
}

fn digests(once: &Idempotency) -> Result<([u8; 32], [u8; 32])> {
    let decode = |text: &str| {
        hex::decode32(text)
            .ok_or_else(|| Error::new(ErrorCode::Integrity, "an idempotency digest is malformed"))
    };
    Ok((decode(&once.key)?, decode(&once.content)?))
}

fn conflict(first: &str) -> Error {
    Error::new(
        ErrorCode::Conflict,
        format!("the idempotency key was used for another request ({first}); nothing was written"),
    )
}

impl Ledger {
    /// Looks up a request's idempotency key; call under the write lock, after catching up.
    /// `kind` tells requests of different kinds apart, `content` is the request's canonical
    /// text (its JSON without the key).
    ///
    /// # Errors
    /// `Conflict` when the key was used for another request.
    pub(super) fn once(
        &self,
        key: Option<&str>,
        kind: &str,
        content: impl FnOnce() -> Result<String>,
    ) -> Result<Once> {
        let Some(key) = key else {
            return Ok(Once::New(None));
        };
        let digest_key = self.inner.key.derive(CONTEXT);
        let mut hasher = blake3::Hasher::new_keyed(&digest_key);
        hasher.update(b"key\0");
        hasher.update(key.as_bytes());
        let key_digest = *hasher.finalize().as_bytes();
        let mut hasher = blake3::Hasher::new_keyed(&digest_key);
        hasher.update(b"content\0");
        hasher.update(kind.as_bytes());
        hasher.update(b"\0");
        hasher.update(content()?.as_bytes());
        let content_digest = *hasher.finalize().as_bytes();
        match self.read()?.remembered(&key_digest) {
            Some(first) if first.content == content_digest => Ok(Once::Repeat(*first)),
            Some(first) => Err(conflict(&format!("event {}", first.seq))),
            None => Ok(Once::New(Some(Idempotency {
                key: hex::encode(&key_digest),
                content: hex::encode(&content_digest),
            }))),
        }
    }
}
