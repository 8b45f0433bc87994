//! Roots, inclusion proofs and consistency proofs agree with `ct-merkle`, a published RFC 6962
//! implementation this project did not write: byte for byte, and each side's verifier accepts
//! the other side's proofs.

use consent_witness::{Hash, MemoryNodeStore, Tree, verify_consistency, verify_inclusion};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2_for_ct_merkle::Sha256;

use crate::common::{Sample, leaf_data, tree_of};

fn bytes(path: &[Hash]) -> Vec<u8> {
    path.iter().flat_map(|h| *h.as_bytes()).collect()
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap()
}

/// Checks every inclusion proof of the ct-merkle tree `theirs` (n leaves) and every
/// consistency proof into it from `old_sizes`, against ours.
fn check_size(
    theirs: &MemoryBackedTree<Sha256, Vec<u8>>,
    their_roots: &[RootHash<Sha256>],
    ours: (&Tree, &MemoryNodeStore, &[Hash]),
    indices: impl IntoIterator<Item = u64>,
    old_sizes: impl IntoIterator<Item = u64>,
) {
    let (tree, store, leaves) = ours;
    let n = theirs.len();
    let their_root = theirs.root();
    let our_root = tree.root_at(store, n).unwrap();
    assert_eq!(
        their_root.as_bytes().as_slice(),
        our_root.as_bytes(),
        "root of {n}"
    );
    for m in indices {
        let their_proof = theirs.prove_inclusion(usize_of(m));
        let our_proof = tree.inclusion_proof(store, m, n).unwrap();
        assert_eq!(
            their_proof.as_bytes(),
            bytes(our_proof.path()),
            "path {m} of {n}"
        );
        // Each verifier accepts the other's proof.
        let leaf = &leaves[usize_of(m)];
        verify_inclusion(leaf, m, n, our_proof.path(), &our_root).unwrap();
        let ours_for_them =
            InclusionProof::<Sha256>::try_from_bytes(bytes(our_proof.path())).unwrap();
        their_root
            .verify_inclusion(&leaf_data(m), m, &ours_for_them)
            .unwrap();
    }
    for old in old_sizes {
        let their_proof = theirs.prove_consistency(usize_of(n - old));
        let our_proof = tree.consistency_proof(store, old, n).unwrap();
        assert_eq!(
            their_proof.as_bytes(),
            bytes(our_proof.path()),
            "proof {old} to {n}"
        );
        let old_root = tree.root_at(store, old).unwrap();
        assert_eq!(
            their_roots[usize_of(old)].as_bytes().as_slice(),
            old_root.as_bytes()
        );
        verify_consistency(old, n, &old_root, &our_root, our_proof.path()).unwrap();
        let ours_for_them =
            ConsistencyProof::<Sha256>::try_from_bytes(bytes(our_proof.path())).unwrap();
        their_root
            .verify_consistency(&their_roots[usize_of(old)], &ours_for_them)
            .unwrap();
    }
}

#[test]
fn every_proof_of_every_size_up_to_300() {
    let (tree, store, leaves) = tree_of(300);
    let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    // their_roots[k] is the root at size k (index 0 unused: ct-merkle has no empty-tree root).
    let mut their_roots = vec![theirs.root()];
    for n in 1..=300u64 {
        theirs.push(leaf_data(n - 1));
        their_roots.push(theirs.root());
        check_size(&theirs, &their_roots, (&tree, &store, &leaves), 0..n, 1..=n);
    }
}

#[test]
fn sampled_proofs_of_large_sizes() {
    let sizes = [
        1023u64, 1024, 1025, 4097, 32_769, 65_535, 65_536, 65_537, 100_003,
    ];
    let largest = *sizes.iter().max().unwrap();
    let (tree, store, leaves) = tree_of(largest);
    let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut their_roots = vec![theirs.root()];
    let mut sample = Sample(22);
    for n in 1..=largest {
        theirs.push(leaf_data(n - 1));
        their_roots.push(theirs.root());
        if !sizes.contains(&n) {
            continue;
        }
        let mut indices = vec![0, 1, n / 2, n - 2, n - 1];
        indices.extend((0..40).map(|_| sample.below(n)));
        let mut olds = vec![1, 2, n / 3, n / 2, n - 1, n, n.next_power_of_two() / 2];
        olds.extend((0..40).map(|_| 1 + sample.below(n)));
        check_size(
            &theirs,
            &their_roots,
            (&tree, &store, &leaves),
            indices,
            olds,
        );
    }
}

#[test]
fn their_verifier_refuses_what_ours_refuses() {
    // Tampered proofs of ours, checked by ct-merkle too: a second opinion on the negatives.
    let (tree, store, leaves) = tree_of(77);
    let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    for i in 0..77 {
        theirs.push(leaf_data(i));
    }
    let root = theirs.root();
    let our_root = tree.root();
    for m in 0..77u64 {
        let proof = tree.inclusion_proof(&store, m, 77).unwrap();
        for victim in 0..proof.path().len() {
            let mut path = proof.path().to_vec();
            let mut flipped = *path[victim].as_bytes();
            flipped[victim % 32] ^= 1;
            path[victim] = Hash::from_bytes(flipped);
            let leaf = &leaves[usize_of(m)];
            assert!(verify_inclusion(leaf, m, 77, &path, &our_root).is_err());
            let p = InclusionProof::<Sha256>::try_from_bytes(bytes(&path)).unwrap();
            assert!(root.verify_inclusion(&leaf_data(m), m, &p).is_err());
        }
    }
}
