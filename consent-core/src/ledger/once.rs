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
use crate::model::request::IDEMPOTENCY_KEY_MAX;
use crate::model::text;
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
    /// A key made from a grant request's content, for a caller that has none of its own (the
    /// CLI gives one to each row of an import, so that a re-run import writes nothing twice):
    /// `content ` and 64 letters `a`–`p`, a digest under a key derived from this ledger's
    /// pseudonym key (so it reveals nothing of the national id inside the request, and means
    /// nothing in another ledger), written without digits so it never looks like a national
    /// id. The same request always gets the same key in one ledger; the content read is
    /// version 1 of the grant JSON, which a test pins.
    ///
    /// ```
    /// # use consent_core::{Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default())?;
    /// let json = r#"{"subject": "15038510190", "grantor": {"role": "self"},
    ///   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    ///   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    ///   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    ///   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#;
    /// let key = ledger.content_key(&ledger.parse_grant(json)?)?;
    /// assert_eq!(key.len(), 72);
    /// assert_eq!(key, ledger.content_key(&ledger.parse_grant(&json.replace("\n  ", " "))?)?);
    /// # Ok::<(), consent_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`GrantRequest::to_json`](crate::GrantRequest::to_json).
    pub fn content_key(&self, request: &crate::GrantRequest) -> Result<String> {
        let mut hasher = blake3::Hasher::new_keyed(&self.inner.key.derive(CONTEXT));
        hasher.update(b"content key v1\0");
        hasher.update(request.content()?.as_bytes());
        let mut key = String::with_capacity(72);
        key.push_str("content ");
        for byte in hasher.finalize().as_bytes() {
            for nibble in [byte >> 4, byte & 0x0f] {
                key.push(char::from(b'a' + nibble));
            }
        }
        Ok(key)
    }

    /// Looks up a request's idempotency key; call under the write lock, after catching up.
    /// `kind` tells requests of different kinds apart, `content` is the request's canonical
    /// text (its JSON without the key).
    ///
    /// # Errors
    /// `InvalidInput` for a bad key; `Conflict` when the key was used for another request.
    pub(super) fn once(
        &self,
        key: Option<&str>,
        kind: &str,
        content: impl FnOnce() -> Result<String>,
    ) -> Result<Once> {
        let Some(key) = key else {
            return Ok(Once::New(None));
        };
        // Checked here, where every keyed write passes, not only where JSON is parsed: a
        // request built in code must not carry a national id or control characters either.
        text::check(key, "idempotency_key", IDEMPOTENCY_KEY_MAX)?;
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
            Some(_) => Err(conflict("an earlier write")),
            None => Ok(Once::New(Some(Idempotency {
                key: hex::encode(&key_digest),
                content: hex::encode(&content_digest),
            }))),
        }
    }
}
