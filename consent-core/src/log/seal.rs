//! Per-subject data keys: every personal payload is sealed (ChaCha20-Poly1305) under its
//! subject's own key, and the key is stored wrapped under a key derived from the pseudonym key.
//! Destroying a subject's key makes its payloads unrecoverable (erasure, GDPR Art. 17) while
//! the hash chain, which covers the sealed bytes, still verifies.

use ring::aead::{self, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroize;

use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};

const NONCE_LEN: usize = aead::NONCE_LEN;

/// The key-derivation context of the key that wraps data keys.
const WRAP_CONTEXT: &str = "consent 2026 subject data key wrapping";

/// A subject's data key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// Random bytes for one write: nonces, event ids and new data keys, drawn from the system's
/// random source a few kilobytes at a time instead of one system call each (three a grant
/// were about 8% of a bulk import). The pool lives only as long as the call that made it and
/// is zeroed when dropped, so nothing random outlives the write, and a process that forks
/// never shares a pool with its child: a nonce is never reused.
pub(crate) struct Entropy {
    pool: Vec<u8>,
    used: usize,
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entropy(…)")
    }
}

/// The most random bytes an [`Entropy`] draws at a time. It starts with 64 (a single grant
/// needs about 70) and doubles up to this for a batch.
const ENTROPY_CHUNK: usize = 4096;

impl Entropy {
    /// An empty pool: the first draw reads the system's random source.
    pub fn new() -> Entropy {
        Entropy {
            pool: Vec::new(),
            used: 0,
        }
    }

    /// The next `N` random bytes.
    pub fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        if self.pool.len() < self.used + N {
            let size = (self.pool.len() * 2).clamp(64, ENTROPY_CHUNK).max(N);
            self.pool.zeroize();
            self.pool.resize(size, 0);
            getrandom::fill(&mut self.pool)
                .map_err(|e| Error::storage("cannot read the system random source", e))?;
            self.used = 0;
        }
        let fresh: [u8; N] = self
            .pool
            .get(self.used..self.used + N)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| Error::storage("cannot read the system random source", "short pool"))?;
        self.used += N;
        Ok(fresh)
    }
}

impl Drop for Entropy {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey> {
    UnboundKey::new(&CHACHA20_POLY1305, key)
        .map(LessSafeKey::new)
        .map_err(|_| Error::storage("cannot seal a payload", "bad key length"))
}

/// Seals as `nonce || ciphertext || tag` (ChaCha20-Poly1305, RFC 8439).
fn seal_with(key: &[u8; 32], plain: &[u8], aad: &[u8], entropy: &mut Entropy) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = entropy.take()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + CHACHA20_POLY1305.tag_len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let (_, body) = out
        .split_at_mut_checked(NONCE_LEN)
        .ok_or_else(|| Error::storage("cannot seal a payload", "no room for the nonce"))?;
    let tag = cipher(key)?
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
        .map_err(|_| Error::storage("cannot seal a payload", "encryption failed"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens `nonce || ciphertext || tag`; `None` when it does not authenticate.
fn open_with(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buffer = body.to_vec();
    let plain = cipher(key)
        .ok()?
        .open_in_place(nonce, Aad::from(aad), &mut buffer)
        .ok()?
        .len();
    buffer.truncate(plain);
    Some(buffer)
}

impl DataKey {
    /// A fresh random key.
    pub fn generate(entropy: &mut Entropy) -> Result<DataKey> {
        entropy.take().map(DataKey)
    }

    /// Seals a payload of this subject.
    pub fn seal(
        &self,
        subject: &Pseudonym,
        plain: &[u8],
        entropy: &mut Entropy,
    ) -> Result<Vec<u8>> {
        seal_with(&self.0, plain, subject.as_bytes(), entropy)
    }

    /// Seals a part of a payload stored in clear (a succession's reference), bound to the
    /// subject and to `context`, the part's name.
    pub fn seal_part(
        &self,
        subject: &Pseudonym,
        context: &[u8],
        plain: &[u8],
        entropy: &mut Entropy,
    ) -> Result<Vec<u8>> {
        seal_with(&self.0, plain, &part_aad(subject, context), entropy)
    }

    /// Opens a part sealed by [`DataKey::seal_part`]; `None` when it does not authenticate.
    pub fn open_part(
        &self,
        subject: &Pseudonym,
        context: &[u8],
        sealed: Vec<u8>,
    ) -> Option<Vec<u8>> {
        open_with(&self.0, &sealed, &part_aad(subject, context))
    }

    /// Opens a sealed payload; `None` when it does not authenticate.
    #[cfg(test)]
    pub fn open(&self, subject: &Pseudonym, sealed: &[u8]) -> Option<Vec<u8>> {
        open_with(&self.0, sealed, subject.as_bytes())
    }

    /// Opens a sealed payload in its own buffer (no copy); `None` when it does not
    /// authenticate.
    pub fn open_owned(&self, subject: &Pseudonym, mut sealed: Vec<u8>) -> Option<Vec<u8>> {
        let nonce = Nonce::try_assume_unique_for_key(sealed.get(..NONCE_LEN)?).ok()?;
        let plain = cipher(&self.0)
            .ok()?
            .open_within(
                nonce,
                Aad::from(subject.as_bytes()),
                &mut sealed,
                NONCE_LEN..,
            )
            .ok()?
            .len();
        sealed.truncate(plain);
        Some(sealed)
    }
}

/// The associated data of a sealed part: the subject's pseudonym, then the part's name.
fn part_aad(subject: &Pseudonym, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + context.len());
    aad.extend_from_slice(subject.as_bytes());
    aad.extend_from_slice(context);
    aad
}

/// Wraps and unwraps data keys for storage.
#[derive(Clone)]
pub(crate) struct KeyWrapper([u8; 32]);

impl std::fmt::Debug for KeyWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyWrapper(…)")
    }
}

/// The associated data of a wrapped key: the subject's pseudonym and the first event the key
/// seals. Binding `since_seq` means a key row whose `since_seq` was raised (to hide the
/// subject's newer events as if they predated the key) no longer unwraps.
fn wrap_aad(subject: &Pseudonym, since_seq: u64) -> [u8; 24] {
    let mut aad = [0u8; 24];
    let (left, right) = aad.split_at_mut(16);
    left.copy_from_slice(subject.as_bytes());
    right.copy_from_slice(&since_seq.to_be_bytes());
    aad
}

impl KeyWrapper {
    pub fn new(key: &PseudonymKey) -> KeyWrapper {
        KeyWrapper(key.derive(WRAP_CONTEXT))
    }

    /// Wraps a subject's data key, bound to the subject and the first event it seals.
    pub fn wrap(
        &self,
        subject: &Pseudonym,
        since_seq: u64,
        key: &DataKey,
        entropy: &mut Entropy,
    ) -> Result<Vec<u8>> {
        seal_with(&self.0, &key.0, &wrap_aad(subject, since_seq), entropy)
    }

    /// Unwraps a subject's data key stored for events from `since_seq` on.
    pub fn unwrap_key(
        &self,
        subject: &Pseudonym,
        since_seq: u64,
        wrapped: &[u8],
    ) -> Result<DataKey> {
        self.unwrap_with(subject, &wrap_aad(subject, since_seq), wrapped)
    }

    /// Unwraps a key as file format 1 (consent 0.1) wrapped it: bound to the subject only. For
    /// the upgrade, which re-wraps it.
    pub fn unwrap_key_format1(&self, subject: &Pseudonym, wrapped: &[u8]) -> Result<DataKey> {
        self.unwrap_with(subject, subject.as_bytes(), wrapped)
    }

    fn unwrap_with(&self, subject: &Pseudonym, aad: &[u8], wrapped: &[u8]) -> Result<DataKey> {
        let plain = open_with(&self.0, wrapped, aad).ok_or_else(|| {
            Error::new(
                ErrorCode::Integrity,
                format!(
                    "the data key of subject `{subject}` does not unwrap (altered, moved to another subject, or its first event changed)"
                ),
            )
        })?;
        let bytes: [u8; 32] = plain.try_into().map_err(|_| {
            Error::new(
                ErrorCode::Integrity,
                format!("the data key of subject `{subject}` has the wrong length"),
            )
        })?;
        Ok(DataKey(bytes))
    }
}

/// Opens the sealed payload of event `seq` of `subject` with the subject's current key and the
/// first event it seals: the one rule replay, `verify` and reading share. An event from the
/// key's time must open (`Integrity` otherwise); an event from before it was sealed under an
/// earlier key, so it cannot be read (`None`), and the caller must find the erasure that
/// destroyed that key.
pub(crate) fn open_sealed(
    key: Option<(&DataKey, u64)>,
    subject: &Pseudonym,
    seq: u64,
    sealed: Vec<u8>,
) -> Result<Option<Vec<u8>>> {
    match key {
        Some((key, since)) if seq >= since => {
            key.open_owned(subject, sealed).map(Some).ok_or_else(|| {
                Error::new(
                    ErrorCode::Integrity,
                    "payload does not open under its subject's key",
                )
                .at_event(seq)
            })
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_payloads_open_only_with_their_key_and_subject() {
        let mut entropy = Entropy::new();
        let a = Pseudonym([1; 16]);
        let b = Pseudonym([2; 16]);
        let key = DataKey::generate(&mut entropy).unwrap();
        let sealed = key.seal(&a, b"{\"x\":1}", &mut entropy).unwrap();
        assert_eq!(key.open(&a, &sealed).unwrap(), b"{\"x\":1}");
        assert_eq!(key.open_owned(&a, sealed.clone()).unwrap(), b"{\"x\":1}");
        assert!(key.open_owned(&b, sealed.clone()).is_none());
        assert!(key.open_owned(&a, sealed[..11].to_vec()).is_none());
        assert!(
            key.open_owned(&a, sealed[..sealed.len() - 1].to_vec())
                .is_none()
        );
        assert!(key.open(&b, &sealed).is_none());
        assert!(
            DataKey::generate(&mut entropy)
                .unwrap()
                .open(&a, &sealed)
                .is_none()
        );
        assert!(key.open(&a, &sealed[..5]).is_none());
        assert!(key.open(&a, &sealed[..sealed.len() - 1]).is_none());

        let wrapper = KeyWrapper::new(&PseudonymKey::from_bytes([3; 32]));
        let wrapped = wrapper.wrap(&a, 7, &key, &mut entropy).unwrap();
        assert_eq!(wrapper.unwrap_key(&a, 7, &wrapped).unwrap(), key);
        assert!(wrapper.unwrap_key(&b, 7, &wrapped).is_err());
        // The first event it seals is bound: a raised or lowered since_seq does not unwrap.
        assert!(wrapper.unwrap_key(&a, 8, &wrapped).is_err());
        assert!(wrapper.unwrap_key(&a, 6, &wrapped).is_err());
        assert!(wrapper.unwrap_key_format1(&a, &wrapped).is_err());
    }

    /// The stored form is `nonce || ciphertext || tag` of RFC 8439's AEAD, whichever library
    /// computes it: the RFC's own example (section 2.8.2) opens, and sealing it again under
    /// its nonce gives the RFC's bytes.
    #[test]
    fn the_stored_form_is_rfc_8439_chacha20_poly1305() {
        let key: [u8; 32] = std::array::from_fn(|i| 0x80 + u8::try_from(i).unwrap());
        let nonce = [
            0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
        ];
        let aad = [
            0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
        ];
        let plain: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let expected = crate::hex::decode(concat!(
            "070000004041424344454647",
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6",
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36",
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc",
            "3ff4def08e4b7a9de576d26586cec64b6116",
            "1ae10b594f09e26a7e902ecbd0600691",
        ))
        .unwrap();
        assert_eq!(open_with(&key, &expected, &aad).unwrap(), plain);

        let mut fixed = Entropy {
            pool: nonce.to_vec(),
            used: 0,
        };
        assert_eq!(seal_with(&key, plain, &aad, &mut fixed).unwrap(), expected);
    }

    #[test]
    fn entropy_never_repeats_across_refills() {
        let mut entropy = Entropy::new();
        let draws: std::collections::HashSet<[u8; 12]> = (0..2 * ENTROPY_CHUNK / 12)
            .map(|_| entropy.take().unwrap())
            .collect();
        assert_eq!(draws.len(), 2 * ENTROPY_CHUNK / 12);
    }
}
