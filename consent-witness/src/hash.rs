//! RFC 9162 §2.1 hashing: SHA-256 with distinct prefixes for leaves (0x00) and nodes (0x01), so a
//! leaf can never be read as a node.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Error, Result};

/// A SHA-256 hash in the tree: a leaf hash, a node hash or a root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash([u8; 32]);

impl Hash {
    /// The length of a hash in bytes.
    pub const LEN: usize = 32;

    /// A hash from its 32 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    /// A hash from a slice that must hold exactly 32 bytes.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the slice is not 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash> {
        <[u8; 32]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| Error::malformed("hash", format!("{} bytes, 32 expected", bytes.len())))
    }

    /// The hash in standard base64 with padding (44 characters), as checkpoints write it.
    #[must_use]
    pub fn to_base64(&self) -> String {
        b64::encode(&self.0)
    }

    /// Reads a hash from canonical standard base64.
    ///
    /// # Errors
    /// [`Error::Malformed`] unless the text is canonical base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Hash> {
        let bytes = b64::decode(text)
            .ok_or_else(|| Error::malformed("hash", "not canonical base64".to_owned()))?;
        Hash::from_slice(&bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_base64())
    }
}

impl fmt::Display for Hash {
    /// Standard base64, as in a checkpoint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/// The hash of a leaf: SHA-256(0x00 || data) (RFC 9162 §2.1.1).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 65];
    let (prefix, rest) = block.split_at_mut(1);
    let (l, r) = rest.split_at_mut(32);
    prefix.copy_from_slice(&[0x01]);
    l.copy_from_slice(&left.0);
    r.copy_from_slice(&right.0);
    Hash(Sha256::digest(block).into())
}

/// SHA-256 of `data`, for key ids and file names.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT.0, sha256(&[]));
    }

    #[test]
    fn leaf_and_node_use_their_prefixes() {
        let a = leaf_hash(b"a");
        assert_eq!(a.0, sha256(&[&[0], b"a"]));
        let b = leaf_hash(b"b");
        assert_eq!(node_hash(&a, &b).0, sha256(&[&[1], &a.0, &b.0]));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn base64_round_trip() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert!(Hash::from_base64("YWI=").is_err());
        assert!(Hash::from_slice(&[0; 31]).is_err());
    }
}
