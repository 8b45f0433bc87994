//! Per-subject data keys: every personal payload is sealed (ChaCha20-Poly1305) under its
//! subject's own key, and the key is stored wrapped under a key derived from the pseudonym key.
//! Destroying a subject's key makes its payloads unrecoverable (erasure, GDPR Art. 17) while
//! the hash chain, which covers the sealed bytes, still verifies.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::{Pseudonym, PseudonymKey};

const NONCE_LEN: usize = 12;

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

fn nonce() -> Result<[u8; NONCE_LEN]> {
    let mut bytes = [0u8; NONCE_LEN];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::storage("cannot read the system random source", e))?;
    Ok(bytes)
}

fn seal_with(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let nonce = nonce()?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| Error::storage("cannot seal a payload", "encryption failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_with(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<DataKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::storage("cannot read the system random source", e))?;
        Ok(DataKey(bytes))
    }

    /// Seals a payload of this subject.
    pub fn seal(&self, subject: &Pseudonym, plain: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.0, plain, subject.as_bytes())
    }

    /// Opens a sealed payload; `None` when it does not authenticate.
    pub fn open(&self, subject: &Pseudonym, sealed: &[u8]) -> Option<Vec<u8>> {
        open_with(&self.0, sealed, subject.as_bytes())
    }
}

/// Wraps and unwraps data keys for storage.
#[derive(Clone)]
pub(crate) struct KeyWrapper([u8; 32]);

impl std::fmt::Debug for KeyWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyWrapper(…)")
    }
}

impl KeyWrapper {
    pub fn new(key: &PseudonymKey) -> KeyWrapper {
        KeyWrapper(key.derive(WRAP_CONTEXT))
    }

    pub fn wrap(&self, subject: &Pseudonym, key: &DataKey) -> Result<Vec<u8>> {
        seal_with(&self.0, &key.0, subject.as_bytes())
    }

    pub fn unwrap_key(&self, subject: &Pseudonym, wrapped: &[u8]) -> Result<DataKey> {
        let plain = open_with(&self.0, wrapped, subject.as_bytes()).ok_or_else(|| {
            Error::new(
                ErrorCode::Integrity,
                format!("the data key of subject `{subject}` does not unwrap"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_payloads_open_only_with_their_key_and_subject() {
        let a = Pseudonym([1; 16]);
        let b = Pseudonym([2; 16]);
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(&a, b"{\"x\":1}").unwrap();
        assert_eq!(key.open(&a, &sealed).unwrap(), b"{\"x\":1}");
        assert!(key.open(&b, &sealed).is_none());
        assert!(DataKey::generate().unwrap().open(&a, &sealed).is_none());
        assert!(key.open(&a, &sealed[..5]).is_none());

        let wrapper = KeyWrapper::new(&PseudonymKey::from_bytes([3; 32]));
        let wrapped = wrapper.wrap(&a, &key).unwrap();
        assert_eq!(wrapper.unwrap_key(&a, &wrapped).unwrap(), key);
        assert!(wrapper.unwrap_key(&b, &wrapped).is_err());
    }
}
