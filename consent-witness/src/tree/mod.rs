//! The append-only Merkle tree of RFC 9162 §2.1 over leaf hashes, kept in a [`NodeStore`].
//!
//! The tree in memory is only its size and its right edge (the roots of the perfect subtrees
//! that make up `[0, size)`: one per set bit of the size), so appending needs no reads and a
//! tree reopens from the store with `popcount(size)` reads. Proofs follow the RFC's recursive
//! definitions (PATH, §2.1.3.1, and SUBPROOF, §2.1.4.1): each proof hash is the Merkle Tree
//! Hash of a range of leaves, and every range the recursion yields splits into at most
//! log₂ n perfect subtrees whose nodes are stored. A proof is one read of those nodes.

pub(crate) mod store;

use crate::error::{Error, Result, StoreError};
use crate::hash::{EMPTY_ROOT, Hash, node_hash};
use crate::proof::{ConsistencyProof, InclusionProof};
use store::{NodeId, NodeStore};

/// The most leaves a [`Tree`] holds: 2^62, so that every node index and level fits the
/// arithmetic with room to spare.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// An append-only Merkle tree (RFC 9162 §2.1) whose nodes live in a [`NodeStore`].
///
/// The tree holds its size and right edge; every other hash is in the store, which is passed
/// to each call so that a database store can run inside the host's own transaction. Use the
/// same store with the same tree: a tree reads only nodes its size says are complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    size: u64,
    /// The perfect subtrees that make up `[0, size)`, largest (leftmost) first.
    frontier: Vec<(u8, Hash)>,
}

/// The nodes one append writes and the tree it leads to, from [`Tree::prepare`].
///
/// A host that stores nodes in its own transaction writes [`nodes`](PendingAppend::nodes),
/// commits, and then calls [`Tree::apply`]; until then the tree is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAppend {
    base: u64,
    size: u64,
    frontier: Vec<(u8, Hash)>,
    nodes: Vec<(NodeId, Hash)>,
}

impl PendingAppend {
    /// The nodes to store: each new leaf and each node it completes, in order.
    #[must_use]
    pub fn nodes(&self) -> &[(NodeId, Hash)] {
        &self.nodes
    }

    /// The tree size after the append.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash after the append.
    #[must_use]
    pub fn root(&self) -> Hash {
        fold_frontier(&self.frontier)
    }
}

impl Tree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The tree of `size` leaves whose nodes are in `store`, read in one call of
    /// `popcount(size)` nodes.
    ///
    /// # Errors
    /// [`Error::SizeOutOfRange`] beyond [`MAX_TREE_SIZE`]; [`Error::MissingNode`] when the store
    /// lacks a node a tree of that size has; [`Error::Store`] when it cannot be read.
    pub fn open<S: NodeStore + ?Sized>(store: &S, size: u64) -> Result<Tree> {
        if size > MAX_TREE_SIZE {
            return Err(Error::SizeOutOfRange {
                size,
                limit: MAX_TREE_SIZE,
            });
        }
        let mut ids = Vec::new();
        perfect_nodes(0, size, &mut ids);
        let hashes = read_nodes(store, &ids)?;
        Ok(Tree {
            size,
            frontier: ids.iter().map(|id| id.level).zip(hashes).collect(),
        })
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash (the Merkle Tree Hash of all leaves), from memory.
    #[must_use]
    pub fn root(&self) -> Hash {
        fold_frontier(&self.frontier)
    }

    /// Computes what appending `leaves` (leaf hashes, see [`crate::leaf_hash`]) writes, without
    /// changing the tree. About two nodes a leaf; no reads.
    ///
    /// # Errors
    /// [`Error::TreeFull`] when the tree would pass [`MAX_TREE_SIZE`] leaves.
    pub fn prepare(&self, leaves: &[Hash]) -> Result<PendingAppend> {
        let count = u64::try_from(leaves.len()).map_err(|_| Error::TreeFull)?;
        self.size
            .checked_add(count)
            .filter(|size| *size <= MAX_TREE_SIZE)
            .ok_or(Error::TreeFull)?;
        let mut frontier = self.frontier.clone();
        let mut nodes = Vec::with_capacity(leaves.len().saturating_mul(2));
        let mut size = self.size;
        for leaf in leaves {
            nodes.push((
                NodeId {
                    level: 0,
                    index: size,
                },
                *leaf,
            ));
            frontier.push((0, *leaf));
            size += 1;
            // Two perfect subtrees of one height on the right edge merge into their parent.
            loop {
                let (level, hash) = match frontier.as_slice() {
                    [.., (left_level, left), (right_level, right)] if left_level == right_level => {
                        (*left_level + 1, node_hash(left, right))
                    }
                    _ => break,
                };
                frontier.truncate(frontier.len().saturating_sub(2));
                frontier.push((level, hash));
                let index = (size >> level) - 1;
                nodes.push((NodeId { level, index }, hash));
            }
        }
        Ok(PendingAppend {
            base: self.size,
            size,
            frontier,
            nodes,
        })
    }

    /// Makes a prepared append the tree's state, once its nodes are stored.
    ///
    /// # Errors
    /// [`Error::StaleAppend`] when the tree changed since the append was prepared.
    pub fn apply(&mut self, append: PendingAppend) -> Result<()> {
        if append.base != self.size {
            return Err(Error::StaleAppend {
                prepared: append.base,
                actual: self.size,
            });
        }
        self.size = append.size;
        self.frontier = append.frontier;
        Ok(())
    }

    /// Appends leaf hashes: [`prepare`](Tree::prepare), one [`NodeStore::write`],
    /// [`apply`](Tree::apply). The root is not computed here (that is `popcount(size) - 1`
    /// hashes, more than the append itself): ask [`root`](Tree::root) when a checkpoint needs it.
    ///
    /// # Errors
    /// [`Error::TreeFull`]; [`Error::Store`] when the store refuses the nodes. On error the tree
    /// is unchanged.
    pub fn append<S: NodeStore + ?Sized>(&mut self, store: &mut S, leaves: &[Hash]) -> Result<()> {
        let append = self.prepare(leaves)?;
        store.write(append.nodes()).map_err(Error::Store)?;
        self.apply(append)
    }

    /// The root hash of the tree's first `size` leaves: `popcount(size)` reads.
    ///
    /// # Errors
    /// [`Error::SizeOutOfRange`] beyond the tree's size; store errors as for
    /// [`open`](Tree::open).
    pub fn root_at<S: NodeStore + ?Sized>(&self, store: &S, size: u64) -> Result<Hash> {
        if size > self.size {
            return Err(Error::SizeOutOfRange {
                size,
                limit: self.size,
            });
        }
        if size == self.size {
            return Ok(self.root());
        }
        let mut ids = Vec::new();
        perfect_nodes(0, size, &mut ids);
        let hashes = read_nodes(store, &ids)?;
        Ok(fold(&hashes).unwrap_or(EMPTY_ROOT))
    }

    /// The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in the tree's first
    /// `size` leaves, from one read of at most about 2·log₂ size nodes.
    ///
    /// # Errors
    /// [`Error::SizeOutOfRange`] when `size` exceeds the tree's size;
    /// [`Error::IndexOutOfRange`] when `index >= size`; store errors as for
    /// [`open`](Tree::open).
    pub fn inclusion_proof<S: NodeStore + ?Sized>(
        &self,
        store: &S,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof> {
        if size > self.size {
            return Err(Error::SizeOutOfRange {
                size,
                limit: self.size,
            });
        }
        if index >= size {
            return Err(Error::IndexOutOfRange { index, size });
        }
        let path = prove(store, &inclusion_ranges(index, size))?;
        Ok(InclusionProof::new(index, size, path))
    }

    /// The consistency proof (RFC 9162 §2.1.4.1) from the tree's first `old_size` leaves to its
    /// first `new_size`, from one read of at most about 2·log₂ `new_size` nodes. From size 0
    /// and between equal sizes the proof is empty.
    ///
    /// # Errors
    /// [`Error::SizeOutOfRange`] when `new_size` exceeds the tree's size or `old_size` exceeds
    /// `new_size`; store errors as for [`open`](Tree::open).
    pub fn consistency_proof<S: NodeStore + ?Sized>(
        &self,
        store: &S,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof> {
        if new_size > self.size {
            return Err(Error::SizeOutOfRange {
                size: new_size,
                limit: self.size,
            });
        }
        if old_size > new_size {
            return Err(Error::SizeOutOfRange {
                size: old_size,
                limit: new_size,
            });
        }
        let path = if old_size == 0 {
            Vec::new()
        } else {
            prove(store, &consistency_ranges(old_size, new_size))?
        };
        Ok(ConsistencyProof::new(old_size, new_size, path))
    }
}

/// The largest power of two strictly below `n`, for `n >= 2` (RFC 9162's `k`).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - n.saturating_sub(1).leading_zeros())
}

/// The leaf ranges whose Merkle Tree Hashes form PATH(index, D[size]), leaf to root.
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut siblings = Vec::with_capacity(64);
    let (mut start, mut n, mut m) = (0u64, size, index);
    while n > 1 {
        let k = split_point(n);
        if m < k {
            siblings.push((start + k, start + n));
            n = k;
        } else {
            siblings.push((start, start + k));
            start += k;
            m -= k;
            n -= k;
        }
    }
    siblings.reverse();
    siblings
}

/// The leaf ranges whose Merkle Tree Hashes form PROOF(old, D[new]) = SUBPROOF(old, D[new],
/// true), for `0 < old <= new`, in the RFC's order.
fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let mut siblings = Vec::with_capacity(64);
    let (mut start, mut n, mut m) = (0u64, new, old);
    // RFC 9162's `b`: whether the subtree is the old tree's whole root, which the verifier has.
    let mut whole = true;
    while m != n {
        let k = split_point(n);
        if m <= k {
            siblings.push((start + k, start + n));
            n = k;
        } else {
            siblings.push((start, start + k));
            start += k;
            m -= k;
            n -= k;
            whole = false;
        }
    }
    let mut ranges = Vec::with_capacity(siblings.len() + 1);
    if !whole {
        ranges.push((start, start + n));
    }
    ranges.extend(siblings.into_iter().rev());
    ranges
}

/// The level of a perfect subtree from a bit position in a `u64` (below 64).
fn level_of(bit: u32) -> u8 {
    (bit & 63) as u8
}

/// The perfect subtrees that make up leaves `[start, end)`, left to right. For the ranges the
/// RFC's recursion yields (`start` a multiple of a power of two at least `end - start`) these
/// are the subtrees of the binary digits of `end - start`, and the range's Merkle Tree Hash is
/// their right fold.
fn perfect_nodes(mut start: u64, end: u64, out: &mut Vec<NodeId>) {
    while start < end {
        let width = end - start;
        let mut bit = 63 - width.leading_zeros();
        if start != 0 {
            bit = bit.min(start.trailing_zeros());
        }
        let level = level_of(bit);
        out.push(NodeId {
            level,
            index: start >> level,
        });
        start += 1u64 << level;
    }
}

/// MTH of a range from its perfect subtrees: node(p1, node(p2, … node(pk-1, pk))).
fn fold(hashes: &[Hash]) -> Option<Hash> {
    let mut rest = hashes.iter().rev();
    let last = *rest.next()?;
    Some(rest.fold(last, |acc, left| node_hash(left, &acc)))
}

fn fold_frontier(frontier: &[(u8, Hash)]) -> Hash {
    let mut rest = frontier.iter().rev();
    match rest.next() {
        None => EMPTY_ROOT,
        Some((_, last)) => rest.fold(*last, |acc, (_, left)| node_hash(left, &acc)),
    }
}

/// Reads nodes that must exist.
fn read_nodes<S: NodeStore + ?Sized>(store: &S, ids: &[NodeId]) -> Result<Vec<Hash>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = store.read(ids).map_err(Error::Store)?;
    if found.len() != ids.len() {
        return Err(Error::Store(StoreError::new(format!(
            "the store returned {} hashes for {} nodes",
            found.len(),
            ids.len()
        ))));
    }
    ids.iter()
        .zip(found)
        .map(|(id, hash)| {
            hash.ok_or(Error::MissingNode {
                level: id.level,
                index: id.index,
            })
        })
        .collect()
}

/// The Merkle Tree Hashes of `ranges`, from one read.
fn prove<S: NodeStore + ?Sized>(store: &S, ranges: &[(u64, u64)]) -> Result<Vec<Hash>> {
    let mut ids = Vec::with_capacity(ranges.len() + 64);
    let mut bounds = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges {
        let from = ids.len();
        perfect_nodes(start, end, &mut ids);
        bounds.push(from..ids.len());
    }
    let hashes = read_nodes(store, &ids)?;
    bounds
        .into_iter()
        .map(|range| {
            hashes
                .get(range)
                .and_then(fold)
                .ok_or_else(|| Error::Store(StoreError::new("a proof range without stored nodes")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use store::MemoryNodeStore;

    fn k_of(n: usize) -> usize {
        usize::try_from(split_point(u64::try_from(n).unwrap())).unwrap()
    }

    /// MTH straight from RFC 9162 §2.1.1's definition, over leaf hashes.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = k_of(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// PATH straight from RFC 9162 §2.1.3.1.
    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = k_of(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// SUBPROOF straight from RFC 9162 §2.1.4.1.
    fn subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = k_of(n);
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn matches_the_rfc_definitions_directly() {
        let all = leaves(70);
        let mut store = MemoryNodeStore::new();
        let mut tree = Tree::new();
        tree.append(&mut store, &all).unwrap();
        for n in 0..=all.len() {
            assert_eq!(
                tree.root_at(&store, n as u64).unwrap(),
                mth(&all[..n]),
                "root {n}"
            );
            for m in 0..n {
                let proof = tree.inclusion_proof(&store, m as u64, n as u64).unwrap();
                assert_eq!(proof.path(), path(m, &all[..n]), "path {m} of {n}");
            }
            for m in 1..=n {
                let proof = tree.consistency_proof(&store, m as u64, n as u64).unwrap();
                assert_eq!(
                    proof.path(),
                    subproof(m, &all[..n], true),
                    "proof {m} to {n}"
                );
            }
        }
    }

    #[test]
    fn appends_one_at_a_time_equal_one_batch() {
        let all = leaves(37);
        let (mut one, mut batch) = (MemoryNodeStore::new(), MemoryNodeStore::new());
        let (mut t1, mut t2) = (Tree::new(), Tree::new());
        for leaf in &all {
            t1.append(&mut one, std::slice::from_ref(leaf)).unwrap();
        }
        t2.append(&mut batch, &all).unwrap();
        assert_eq!(t1, t2);
        assert_eq!(one.node_count(), batch.node_count());
        // A tree reopened from its store is the same tree.
        assert_eq!(Tree::open(&one, 37).unwrap(), t1);
        assert_eq!(Tree::open(&one, 20).unwrap().root(), mth(&all[..20]));
    }

    #[test]
    fn prepared_append_changes_nothing_until_applied() {
        let mut store = MemoryNodeStore::new();
        let mut tree = Tree::new();
        tree.append(&mut store, &leaves(3)).unwrap();
        let before = tree.clone();
        let pending = tree.prepare(&leaves(2)).unwrap();
        assert_eq!(tree, before);
        assert_eq!(pending.size(), 5);
        // A store that refuses the nodes leaves the tree as it was.
        let mut other = tree.clone();
        other
            .append(&mut MemoryNodeStore::new(), &leaves(1))
            .unwrap_err();
        assert_eq!(other, before);
        store.write(pending.nodes()).unwrap();
        let root = pending.root();
        tree.apply(pending.clone()).unwrap();
        assert_eq!(tree.root(), root);
        assert!(matches!(
            tree.apply(pending),
            Err(Error::StaleAppend {
                prepared: 3,
                actual: 5
            })
        ));
    }

    #[test]
    fn bad_requests_are_specific_errors() {
        let mut store = MemoryNodeStore::new();
        let mut tree = Tree::new();
        tree.append(&mut store, &leaves(10)).unwrap();
        assert!(matches!(
            tree.inclusion_proof(&store, 10, 10),
            Err(Error::IndexOutOfRange {
                index: 10,
                size: 10
            })
        ));
        assert!(matches!(
            tree.inclusion_proof(&store, 0, 11),
            Err(Error::SizeOutOfRange {
                size: 11,
                limit: 10
            })
        ));
        assert!(matches!(
            tree.consistency_proof(&store, 5, 4),
            Err(Error::SizeOutOfRange { size: 5, limit: 4 })
        ));
        assert!(matches!(
            tree.root_at(&store, 11),
            Err(Error::SizeOutOfRange {
                size: 11,
                limit: 10
            })
        ));
        // A store that lost a node is named, not papered over.
        let empty = MemoryNodeStore::new();
        assert!(matches!(
            tree.inclusion_proof(&empty, 3, 10),
            Err(Error::MissingNode { level: 0, index: 2 })
        ));
        assert!(matches!(
            Tree::open(&empty, 10),
            Err(Error::MissingNode { level: 3, index: 0 })
        ));
    }
}
