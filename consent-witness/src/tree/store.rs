//! Where the tree's nodes live: the [`NodeStore`] trait and an in-memory store.

use crate::error::StoreError;
use crate::hash::Hash;

/// A node of the tree: the root of the perfect subtree of `2^level` leaves that starts at leaf
/// `index << level`. Level 0 holds the leaf hashes themselves.
///
/// Only nodes of complete perfect subtrees are ever stored, so a node, once written, never
/// changes: appending a leaf writes the leaf and the nodes it completes, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// The height of the subtree (0 for a leaf; at most 62).
    pub level: u8,
    /// The subtree's position within its level.
    pub index: u64,
}

/// Storage for the hashes of complete perfect subtrees, keyed by [`NodeId`].
///
/// A tree of `n` leaves has written exactly the nodes whose subtrees end at or before leaf `n`;
/// such a node's hash never changes. A database implements this with one table keyed by
/// `(level, index)`; [`MemoryNodeStore`] keeps them in vectors.
///
/// [`crate::Tree`] reads through one [`read`](NodeStore::read) call per proof or root (at most
/// about 2·log₂ n nodes), so a store across a network pays one round trip, and writes one
/// [`write`](NodeStore::write) call per append.
pub trait NodeStore {
    /// The hashes of `ids`, in the same order; `None` for a node the store does not hold.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn read(&self, ids: &[NodeId]) -> Result<Vec<Option<Hash>>, StoreError>;

    /// Stores `nodes`. Either all are stored or none (a database writes them in the
    /// transaction that stores the leaves' records). Writing a node again with the hash it
    /// already has must succeed, so that a retried append is harmless; a node written again
    /// with another hash should be refused.
    ///
    /// # Errors
    /// When the store cannot be written; then none of `nodes` is stored.
    fn write(&mut self, nodes: &[(NodeId, Hash)]) -> Result<(), StoreError>;
}

/// A [`NodeStore`] in memory: one vector of hashes per level, about 64 bytes per leaf.
#[derive(Debug, Clone, Default)]
pub struct MemoryNodeStore {
    levels: Vec<Vec<Hash>>,
}

impl MemoryNodeStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> MemoryNodeStore {
        MemoryNodeStore::default()
    }

    /// How many nodes the store holds, leaves included.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    fn write_one(&mut self, id: NodeId, hash: Hash) -> Result<(), StoreError> {
        if id.level > 62 {
            return Err(StoreError::new(format!(
                "no tree has a node at level {}",
                id.level
            )));
        }
        let level = usize::from(id.level);
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        let Some(nodes) = self.levels.get_mut(level) else {
            return Err(StoreError::new(format!("no level {level}")));
        };
        let index = usize::try_from(id.index)
            .map_err(|_| StoreError::new(format!("node index {} is too large", id.index)))?;
        match nodes.get(index) {
            Some(existing) if *existing == hash => Ok(()),
            Some(_) => Err(StoreError::new(format!(
                "node at level {}, index {} is stored with another hash",
                id.level, id.index
            ))),
            None if index == nodes.len() => {
                nodes.push(hash);
                Ok(())
            }
            None => Err(StoreError::new(format!(
                "node at level {}, index {} would leave a gap after index {}",
                id.level,
                id.index,
                nodes.len()
            ))),
        }
    }
}

impl NodeStore for MemoryNodeStore {
    fn read(&self, ids: &[NodeId]) -> Result<Vec<Option<Hash>>, StoreError> {
        Ok(ids
            .iter()
            .map(|id| {
                let index = usize::try_from(id.index).ok()?;
                self.levels.get(usize::from(id.level))?.get(index).copied()
            })
            .collect())
    }

    fn write(&mut self, nodes: &[(NodeId, Hash)]) -> Result<(), StoreError> {
        // Levels are below 64, so the lengths to roll back to fit on the stack.
        let mut lengths = [0usize; 64];
        let levels = self.levels.len();
        for (len, level) in lengths.iter_mut().zip(&self.levels) {
            *len = level.len();
        }
        for &(id, hash) in nodes {
            if let Err(e) = self.write_one(id, hash) {
                // All or nothing: drop what this call pushed (rewrites of equal hashes changed
                // nothing).
                self.levels.truncate(levels);
                for (level, len) in self.levels.iter_mut().zip(lengths) {
                    level.truncate(len);
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn id(level: u8, index: u64) -> NodeId {
        NodeId { level, index }
    }

    #[test]
    fn write_is_all_or_nothing() {
        let mut store = MemoryNodeStore::new();
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        store.write(&[(id(0, 0), a)]).unwrap();
        // The second node leaves a gap, so the first is not kept either.
        let err = store.write(&[(id(0, 1), b), (id(0, 3), b)]).unwrap_err();
        assert!(err.to_string().contains("gap"), "{err}");
        assert_eq!(store.node_count(), 1);
        assert_eq!(store.read(&[id(0, 1)]).unwrap(), vec![None]);
        // Rewriting with the same hash is harmless; with another hash it is refused.
        store.write(&[(id(0, 0), a)]).unwrap();
        let err = store.write(&[(id(0, 0), b)]).unwrap_err();
        assert!(err.to_string().contains("another hash"), "{err}");
        assert_eq!(
            store.read(&[id(0, 0), id(5, 0)]).unwrap(),
            vec![Some(a), None]
        );
        // No tree of at most 2^62 leaves has a node above level 62.
        assert!(store.write(&[(id(63, 0), a)]).is_err());
    }

    #[test]
    fn store_errors_show_their_cause() {
        let err = StoreError::with_source("cannot read nodes", std::io::Error::other("disk gone"));
        assert_eq!(err.to_string(), "cannot read nodes: disk gone");
        assert!(std::error::Error::source(&err).is_some());
        let err = crate::Error::Store(err);
        assert_eq!(err.to_string(), "node store: cannot read nodes: disk gone");
    }
}
