//! A search for forged proofs: random trees, random honest proofs, random changes to them and
//! random proofs made from nothing. Nothing but the honest proof for the honest claim verifies.

use consent_witness::{
    Hash, MemoryNodeStore, Tree, leaf_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

use crate::common::tree_of;

fn hash_strategy() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash::from_bytes)
}

/// One change to a proof or to the claim it is checked for.
#[derive(Debug, Clone)]
enum Change {
    FlipBit { entry: usize, bit: usize },
    Replace { entry: usize, with: Hash },
    Remove { entry: usize },
    Insert { entry: usize, with: Hash },
    Swap { a: usize, b: usize },
    Duplicate { entry: usize },
    Index { by: u64 },
    Size { by: u64 },
}

fn change_strategy() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), 0usize..256).prop_map(|(entry, bit)| Change::FlipBit { entry, bit }),
        (any::<usize>(), hash_strategy()).prop_map(|(entry, with)| Change::Replace { entry, with }),
        any::<usize>().prop_map(|entry| Change::Remove { entry }),
        (any::<usize>(), hash_strategy()).prop_map(|(entry, with)| Change::Insert { entry, with }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Change::Swap { a, b }),
        any::<usize>().prop_map(|entry| Change::Duplicate { entry }),
        (1u64..1000).prop_map(|by| Change::Index { by }),
        (1u64..1000).prop_map(|by| Change::Size { by }),
    ]
}

/// Applies `change`; returns `false` when it changes nothing (then there is nothing to test).
fn apply(change: &Change, path: &mut Vec<Hash>, index: &mut u64, size: &mut u64) -> bool {
    let len = path.len();
    match *change {
        Change::FlipBit { entry, bit } if len > 0 => {
            let mut bytes = *path[entry % len].as_bytes();
            bytes[bit / 8] ^= 1 << (bit % 8);
            path[entry % len] = Hash::from_bytes(bytes);
        }
        Change::Replace { entry, with } if len > 0 => {
            if path[entry % len] == with {
                return false;
            }
            path[entry % len] = with;
        }
        Change::Remove { entry } if len > 0 => {
            path.remove(entry % len);
        }
        Change::Insert { entry, with } => path.insert(entry % (len + 1), with),
        Change::Swap { a, b } if len > 1 => {
            if path[a % len] == path[b % len] {
                return false;
            }
            path.swap(a % len, b % len);
        }
        Change::Duplicate { entry } if len > 0 => {
            let copy = path[entry % len];
            path.insert(entry % len, copy);
        }
        Change::Index { by } => *index = index.wrapping_add(by),
        Change::Size { by } => *size = size.wrapping_add(by),
        _ => return false,
    }
    true
}

/// One tree for every case, so each case costs only its proofs.
fn shared() -> &'static (Tree, MemoryNodeStore, Vec<Hash>, Vec<Hash>) {
    static TREE: std::sync::OnceLock<(Tree, MemoryNodeStore, Vec<Hash>, Vec<Hash>)> =
        std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        let (tree, store, leaves) = tree_of(3000);
        let roots = (0..=3000)
            .map(|n| tree.root_at(&store, n).unwrap())
            .collect();
        (tree, store, leaves, roots)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("WITNESS_FORGERY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn changed_inclusion_proofs_never_verify(
        size in 1u64..=3000,
        index_seed in any::<u64>(),
        changes in proptest::collection::vec(change_strategy(), 1..4),
    ) {
        let (tree, store, leaves, roots) = shared();
        let index = index_seed % size;
        let leaf = leaves[usize::try_from(index).unwrap()];
        let mut path = tree.inclusion_proof(store, index, size).unwrap().path().to_vec();
        let (mut claimed_index, mut claimed_size) = (index, size);
        let mut changed = false;
        for change in &changes {
            changed |= apply(change, &mut path, &mut claimed_index, &mut claimed_size);
        }
        prop_assume!(changed);
        // The verifier holds the true root of the size it is told (or any root beyond the tree).
        let root = roots.get(usize::try_from(claimed_size).unwrap_or(usize::MAX)).copied()
            .unwrap_or_else(|| leaf_hash(b"beyond"));
        let honest = claimed_index == index && claimed_size == size
            && path == tree.inclusion_proof(store, index, size).unwrap().path();
        prop_assume!(!honest);
        prop_assert!(verify_inclusion(&leaf, claimed_index, claimed_size, &path, &root).is_err());
    }

    #[test]
    fn changed_consistency_proofs_never_verify(
        size in 2u64..=3000,
        old_seed in any::<u64>(),
        changes in proptest::collection::vec(change_strategy(), 1..4),
    ) {
        let (tree, store, _, roots) = shared();
        let old = 1 + old_seed % (size - 1);
        let honest_path = tree.consistency_proof(store, old, size).unwrap().path().to_vec();
        let mut path = honest_path.clone();
        let (mut claimed_old, mut claimed_size) = (old, size);
        let mut changed = false;
        for change in &changes {
            changed |= apply(change, &mut path, &mut claimed_old, &mut claimed_size);
        }
        prop_assume!(changed);
        prop_assume!(!(claimed_old == old && claimed_size == size && path == honest_path));
        let root_of = |n: u64| roots.get(usize::try_from(n).unwrap_or(usize::MAX)).copied()
            .unwrap_or_else(|| leaf_hash(b"beyond"));
        prop_assert!(verify_consistency(
            claimed_old, claimed_size, &root_of(claimed_old), &root_of(claimed_size), &path
        ).is_err());
    }

    #[test]
    fn proofs_from_nothing_never_verify(
        size in 1u64..=3000,
        index_seed in any::<u64>(),
        path in proptest::collection::vec(hash_strategy(), 0..16),
        leaf in hash_strategy(),
    ) {
        let (_, _, _, roots) = shared();
        let index = index_seed % size;
        let root = roots[usize::try_from(size).unwrap()];
        prop_assert!(verify_inclusion(&leaf, index, size, &path, &root).is_err());
        let old = 1 + index_seed % size;
        let old_root = roots[usize::try_from(old).unwrap()];
        prop_assume!(old != size || !path.is_empty());
        prop_assert!(verify_consistency(old, size, &old_root, &root, &path).is_err());
    }
}
