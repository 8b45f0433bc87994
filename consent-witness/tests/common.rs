//! Helpers shared by the integration tests.

use consent_witness::{Hash, MemoryNodeStore, Tree, leaf_hash};

/// The data of leaf `i` (what a log would hash).
pub fn leaf_data(i: u64) -> Vec<u8> {
    format!("record {i}").into_bytes()
}

/// A tree of `n` leaves in memory, and its leaf hashes.
pub fn tree_of(n: u64) -> (Tree, MemoryNodeStore, Vec<Hash>) {
    let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&leaf_data(i))).collect();
    let mut store = MemoryNodeStore::new();
    let mut tree = Tree::new();
    tree.append(&mut store, &leaves).unwrap();
    (tree, store, leaves)
}

/// A deterministic pseudo-random sequence (SplitMix64), for sampling large trees.
pub struct Sample(pub u64);

impl Sample {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
