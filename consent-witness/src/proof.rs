//! Inclusion and consistency proofs, and their verification as RFC 9162 §2.1.3.2 and §2.1.4.2
//! write it.

use crate::error::ProofError;
use crate::hash::{EMPTY_ROOT, Hash, node_hash};

/// An inclusion proof: the audit path of leaf `index` in the tree of `size` leaves, leaf to root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    index: u64,
    size: u64,
    path: Vec<Hash>,
}

impl InclusionProof {
    /// A proof from its parts, for example as read from a receipt.
    #[must_use]
    pub fn new(index: u64, size: u64, path: Vec<Hash>) -> InclusionProof {
        InclusionProof { index, size, path }
    }

    /// The leaf's index.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The tree size the proof is for.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The audit path.
    #[must_use]
    pub fn path(&self) -> &[Hash] {
        &self.path
    }

    /// Checks that `leaf` (a leaf hash) is leaf [`index`](Self::index) of the tree whose root
    /// at [`size`](Self::size) is `root`: [`verify_inclusion`].
    ///
    /// # Errors
    /// As [`verify_inclusion`].
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(leaf, self.index, self.size, &self.path, root)
    }
}

/// A consistency proof between the tree's first `old_size` leaves and its first `new_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    path: Vec<Hash>,
}

impl ConsistencyProof {
    /// A proof from its parts.
    #[must_use]
    pub fn new(old_size: u64, new_size: u64, path: Vec<Hash>) -> ConsistencyProof {
        ConsistencyProof {
            old_size,
            new_size,
            path,
        }
    }

    /// The old tree size.
    #[must_use]
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The new tree size.
    #[must_use]
    pub fn new_size(&self) -> u64 {
        self.new_size
    }

    /// The proof's hashes.
    #[must_use]
    pub fn path(&self) -> &[Hash] {
        &self.path
    }

    /// Checks that the tree with root `old_root` at the old size is a prefix of the tree with
    /// root `new_root` at the new size: [`verify_consistency`].
    ///
    /// # Errors
    /// As [`verify_consistency`].
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &self.path)
    }
}

/// Verifies an inclusion proof: RFC 9162 §2.1.3.2, step for step.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] when `index >= size`; [`ProofError::TooLong`] or
/// [`ProofError::TooShort`] when the path has more or fewer hashes than that index and size
/// need; [`ProofError::RootMismatch`] when it leads to another root.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1. leaf_index must be below tree_size.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // 2.-3. fn, sn, r.
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    // 4. Each p in the path.
    for p in path {
        if s == 0 {
            return Err(ProofError::TooLong {
                expected: inclusion_path_len(index, size),
                actual: path.len(),
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    // 5. sn must be 0 and r the root.
    if s != 0 {
        return Err(ProofError::TooShort {
            expected: inclusion_path_len(index, size),
            actual: path.len(),
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof: RFC 9162 §2.1.4.2, step for step, for `0 < old_size <
/// new_size`. The RFC leaves the other cases to the caller; here the empty tree is consistent
/// with every tree (the proof is empty and `old_root` is [`crate::EMPTY_ROOT`]), and a tree
/// with itself (the proof is empty and the roots are equal), as the C2SP witness protocol has it.
///
/// # Errors
/// [`ProofError::OldSizeLarger`]; [`ProofError::TooLong`] or [`ProofError::TooShort`] when the
/// proof has more or fewer hashes than these sizes need; [`ProofError::OldRootMismatch`] or
/// [`ProofError::RootMismatch`] when it leads to other roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeLarger {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if !path.is_empty() {
            return Err(ProofError::TooLong {
                expected: 0,
                actual: path.len(),
            });
        }
        if old_size == 0 && *old_root != EMPTY_ROOT {
            return Err(ProofError::OldRootMismatch);
        }
        if (old_size == new_size && old_root != new_root)
            || (new_size == 0 && *new_root != EMPTY_ROOT)
        {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let too_short = || ProofError::TooShort {
        expected: consistency_path_len(old_size, new_size),
        actual: path.len(),
    };
    // 1. An empty path fails.
    if path.is_empty() {
        return Err(too_short());
    }
    // 2. When first is a power of two, first_hash is prepended.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, path)
    } else {
        path.split_first().ok_or_else(too_short)?
    };
    // 3.-4. fn, sn; shift while LSB(fn) is set.
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    // 5. fr and sr start at the first value.
    let (mut fr, mut sr) = (*seed, *seed);
    // 6. Each following value c.
    for c in rest {
        if s == 0 {
            return Err(ProofError::TooLong {
                expected: consistency_path_len(old_size, new_size),
                actual: path.len(),
            });
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    // 7. fr is first_hash, sr is second_hash, sn is 0.
    if s != 0 {
        return Err(too_short());
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// How many hashes an inclusion proof for `index < size` has: the steps of §2.1.3.2 until `sn`
/// reaches 0.
fn inclusion_path_len(index: u64, size: u64) -> usize {
    let (mut f, mut s) = (index, size.saturating_sub(1));
    let mut len = 0;
    while s != 0 {
        if f & 1 == 0 && f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
        len += 1;
    }
    len
}

/// How many hashes a consistency proof for `0 < old < new` has: the steps of §2.1.4.2 until
/// `sn` reaches 0, plus the first value unless the old size is a power of two.
fn consistency_path_len(old: u64, new: u64) -> usize {
    let (mut f, mut s) = (old.saturating_sub(1), new.saturating_sub(1));
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let mut len = usize::from(!old.is_power_of_two());
    while s != 0 {
        if f & 1 == 0 && f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn single_leaf_tree_needs_no_path() {
        let leaf = leaf_hash(b"only");
        verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
        assert_eq!(
            verify_inclusion(&leaf, 0, 1, &[leaf], &leaf),
            Err(ProofError::TooLong {
                expected: 0,
                actual: 1
            })
        );
        assert_eq!(
            verify_inclusion(&leaf, 1, 1, &[], &leaf),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
        assert_eq!(
            verify_inclusion(&leaf, 0, 0, &[], &leaf),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn edge_sizes_of_consistency() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        verify_consistency(0, 5, &EMPTY_ROOT, &a, &[]).unwrap();
        verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).unwrap();
        verify_consistency(3, 3, &a, &a, &[]).unwrap();
        assert_eq!(
            verify_consistency(0, 5, &a, &a, &[]),
            Err(ProofError::OldRootMismatch)
        );
        assert_eq!(
            verify_consistency(0, 0, &EMPTY_ROOT, &a, &[]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(3, 3, &a, &b, &[]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(3, 3, &a, &a, &[b]),
            Err(ProofError::TooLong {
                expected: 0,
                actual: 1
            })
        );
        assert_eq!(
            verify_consistency(4, 3, &a, &a, &[]),
            Err(ProofError::OldSizeLarger { old: 4, new: 3 })
        );
        // Between different sizes an empty proof is always too short.
        assert_eq!(
            verify_consistency(4, 8, &a, &b, &[]),
            Err(ProofError::TooShort {
                expected: 1,
                actual: 0
            })
        );
        assert_eq!(
            verify_consistency(3, 8, &a, &b, &[]),
            Err(ProofError::TooShort {
                expected: 4,
                actual: 0
            })
        );
    }
}
