//! The keyed pseudonym that stands in for a national id everywhere in the ledger.
//!
//! A pseudonym is the first 16 bytes of keyed BLAKE3 over a domain-separated encoding of the
//! number. Without the key, the roughly 10^9 possible numbers cannot be tried one by one.

use std::fmt;
use std::hash::Hasher;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::hex;
use crate::id::national_id::{IdKind, NationalId};

const SUBJECT_CONTEXT: &[u8; 16] = b"consent/subj/v1\0";
/// A DUF number's own domain: no DUF number and national id share a pseudonym.
const DUF_CONTEXT: &[u8; 16] = b"consent/duf/v1\0\0";
const CHECK_CONTEXT: &[u8] = b"consent/key-check/v1";

/// The secret key of the pseudonym function: 32 bytes, supplied by the host or generated.
///
/// `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey([u8; 32]);

impl PseudonymKey {
    /// The key's length in bytes.
    pub const LEN: usize = 32;

    /// Wraps 32 key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(bytes)
    }

    /// Takes a key from a byte slice.
    ///
    /// # Errors
    /// `InvalidInput` unless the slice is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::invalid(format!(
                "pseudonym key must be {} bytes, not {}",
                Self::LEN,
                bytes.len()
            ))
        })?;
        Ok(PseudonymKey(array))
    }

    /// Generates a fresh random key from the operating system.
    ///
    /// # Errors
    /// `Storage` when the operating system's random source fails.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::storage("cannot read the system random source", e))?;
        Ok(PseudonymKey(bytes))
    }

    /// The key bytes, for writing a key file.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A check value that identifies the key without revealing it (stored in the ledger's
    /// metadata so a wrong key is detected on open).
    pub fn check_value(&self) -> String {
        let hash = blake3::keyed_hash(&self.0, CHECK_CONTEXT);
        let mut first = [0u8; 16];
        for (out, byte) in first.iter_mut().zip(hash.as_bytes()) {
            *out = *byte;
        }
        hex::encode(&first)
    }

    /// Derives a sub-key for another purpose (for example the MAC of the log's head).
    pub(crate) fn derive(&self, context: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_derive_key(context);
        hasher.update(&self.0);
        *hasher.finalize().as_bytes()
    }

    /// The pseudonym of a national id under this key.
    pub fn pseudonym(&self, id: &NationalId) -> Pseudonym {
        // A national id: the context and 11 digits (27 bytes, as since 0.1); a DUF number:
        // its own context and 12 digits.
        let mut input = [0u8; 28];
        let (context, number) = input.split_at_mut(SUBJECT_CONTEXT.len());
        let len = if id.kind() == IdKind::Duf {
            context.copy_from_slice(DUF_CONTEXT);
            28
        } else {
            context.copy_from_slice(SUBJECT_CONTEXT);
            27
        };
        for (slot, digit) in number.iter_mut().zip(id.digits()) {
            *slot = b'0' + digit;
        }
        let hash = blake3::keyed_hash(&self.0, input.get(..len).unwrap_or(&input));
        // The first 16 of the hash's 32 bytes: `zip` stops at the shorter, so no length can
        // go wrong.
        let mut out = [0u8; 16];
        for (slot, byte) in out.iter_mut().zip(hash.as_bytes()) {
            *slot = *byte;
        }
        Pseudonym(out)
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PseudonymKey(check {})", self.check_value())
    }
}

/// A subject's keyed pseudonym: 16 bytes, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pseudonym(pub(crate) [u8; 16]);

impl Pseudonym {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A cheap hash for hash maps: the bytes are already uniformly random under the key.
    pub(crate) fn fast_hash(&self) -> u64 {
        let mut eight = [0u8; 8];
        for (slot, byte) in eight.iter_mut().zip(&self.0) {
            *slot = *byte;
        }
        u64::from_le_bytes(eight)
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({self})")
    }
}

impl FromStr for Pseudonym {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        hex::decode_array(text)
            .map(Pseudonym)
            .ok_or_else(|| Error::invalid("pseudonym must be 32 hex digits"))
    }
}

impl Serialize for Pseudonym {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pseudonym {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_depend_on_the_key_and_the_number() {
        let a = PseudonymKey::from_bytes([1; 32]);
        let b = PseudonymKey::from_bytes([2; 32]);
        let x = NationalId::parse("15038510190").unwrap();
        let y = NationalId::parse("31129956715").unwrap();
        assert_eq!(a.pseudonym(&x), a.pseudonym(&x));
        assert_ne!(a.pseudonym(&x), b.pseudonym(&x));
        assert_ne!(a.pseudonym(&x), a.pseudonym(&y));
        assert_ne!(a.check_value(), b.check_value());
        let text = a.pseudonym(&x).to_string();
        assert_eq!(text.len(), 32);
        assert!(!text.contains("15038510190"));
        assert_eq!(text.parse::<Pseudonym>().unwrap(), a.pseudonym(&x));
    }

    #[test]
    fn keys_have_exactly_32_bytes_and_never_print() {
        assert!(PseudonymKey::from_slice(&[0; 31]).is_err());
        let key = PseudonymKey::from_slice(&[7; 32]).unwrap();
        assert!(!format!("{key:?}").contains("7, 7"));
        assert_ne!(
            PseudonymKey::generate().unwrap(),
            PseudonymKey::generate().unwrap()
        );
    }
}
