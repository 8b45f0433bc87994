//! The costs the node store sees: appending writes about two nodes a leaf and reads none; a
//! root, an inclusion proof or a consistency proof is one read of O(log n) nodes.

use std::cell::Cell;

use consent_witness::{Hash, MemoryNodeStore, NodeId, NodeStore, StoreError, Tree, leaf_hash};

use crate::common::Sample;

#[derive(Default)]
struct Counting {
    inner: MemoryNodeStore,
    read_calls: Cell<u64>,
    nodes_read: Cell<u64>,
    nodes_written: u64,
}

impl NodeStore for Counting {
    fn read(&self, ids: &[NodeId]) -> Result<Vec<Option<Hash>>, StoreError> {
        self.read_calls.set(self.read_calls.get() + 1);
        self.nodes_read
            .set(self.nodes_read.get() + ids.len() as u64);
        self.inner.read(ids)
    }

    fn write(&mut self, nodes: &[(NodeId, Hash)]) -> Result<(), StoreError> {
        self.nodes_written += nodes.len() as u64;
        self.inner.write(nodes)
    }
}

fn log2_ceil(n: u64) -> u64 {
    u64::from(64 - n.saturating_sub(1).leading_zeros())
}

#[test]
fn appends_write_about_two_nodes_a_leaf_and_read_nothing() {
    let mut store = Counting::default();
    let mut tree = Tree::new();
    for i in 0..10_000u64 {
        tree.append(&mut store, &[leaf_hash(&i.to_be_bytes())])
            .unwrap();
        // A perfect binary tree over n leaves has 2n - 1 nodes; the stored ones are fewer.
        assert!(store.nodes_written < 2 * (i + 1), "after {} leaves", i + 1);
    }
    assert_eq!(store.read_calls.get(), 0);
    // Amortised: 10,000 leaves wrote fewer than 20,000 nodes, and no single append more than
    // 1 + log2(n).
    let before = store.nodes_written;
    tree.append(&mut store, &[leaf_hash(b"x")]).unwrap();
    assert!(store.nodes_written - before <= 1 + log2_ceil(10_001));
}

#[test]
fn proofs_read_logarithmically_many_nodes_in_one_call() {
    let n = 100_003u64;
    let mut store = Counting::default();
    let mut tree = Tree::new();
    let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    tree.append(&mut store, &leaves).unwrap();
    let bound = 2 * log2_ceil(n) + 2;
    let mut sample = Sample(9);
    for _ in 0..500 {
        let size = 1 + sample.below(n);
        let index = sample.below(size);
        let old = 1 + sample.below(size);
        let measured = |what: &str, result: consent_witness::Result<()>| {
            result.unwrap();
            let (calls, nodes) = (store.read_calls.replace(0), store.nodes_read.replace(0));
            assert!(calls <= 1, "{what}: {calls} calls");
            assert!(
                nodes <= bound,
                "{what} ({index}, {old}, {size}): {nodes} nodes read, bound {bound}"
            );
        };
        measured(
            "inclusion",
            tree.inclusion_proof(&store, index, size).map(drop),
        );
        measured(
            "consistency",
            tree.consistency_proof(&store, old, size).map(drop),
        );
        measured("root", tree.root_at(&store, size).map(drop));
    }
    // Reopening reads one node per set bit of the size.
    store.nodes_read.set(0);
    let reopened = Tree::open(&store, n).unwrap();
    assert_eq!(reopened.root(), tree.root());
    assert_eq!(store.nodes_read.get(), u64::from(n.count_ones()));
}
