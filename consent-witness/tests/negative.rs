//! RFC 9162's negative cases for every index and size pair of small trees: a proof checked with
//! the wrong index, the wrong tree size (against that size's true root), truncated, extended,
//! with swapped siblings, for another leaf or another root never verifies, and the error says
//! which.

use consent_witness::{
    EMPTY_ROOT, Hash, ProofError, leaf_hash, verify_consistency, verify_inclusion,
};

use crate::common::tree_of;

const N: u64 = 70;

fn at(leaves: &[Hash], i: u64) -> Hash {
    leaves[usize::try_from(i).unwrap()]
}

#[test]
fn inclusion_negative_cases() {
    let (tree, store, leaves) = tree_of(N);
    let roots: Vec<Hash> = (0..=N).map(|n| tree.root_at(&store, n).unwrap()).collect();
    let extra = leaf_hash(b"not in the tree");
    for n in 1..=N {
        let root = roots[usize::try_from(n).unwrap()];
        for m in 0..n {
            let leaf = at(&leaves, m);
            let path = tree.inclusion_proof(&store, m, n).unwrap().path().to_vec();
            verify_inclusion(&leaf, m, n, &path, &root).unwrap();

            // Wrong index: every other index of the tree, and indices at or past the size.
            for other in (0..n).filter(|&o| o != m) {
                assert!(
                    verify_inclusion(&leaf, other, n, &path, &root).is_err(),
                    "{m}->{other} of {n}"
                );
            }
            assert_eq!(
                verify_inclusion(&leaf, n, n, &path, &root),
                Err(ProofError::IndexOutOfRange { index: n, size: n })
            );
            // Wrong tree size, checked against the root the verifier holds for that size.
            for size in (m + 1..=N).filter(|&s| s != n) {
                let wrong_root = roots[usize::try_from(size).unwrap()];
                assert!(
                    verify_inclusion(&leaf, m, size, &path, &wrong_root).is_err(),
                    "{m} of {n} as of {size}"
                );
            }
            // Truncated and extended.
            if let Some((_, shorter)) = path.split_last() {
                assert_eq!(
                    verify_inclusion(&leaf, m, n, shorter, &root),
                    Err(ProofError::TooShort {
                        expected: path.len(),
                        actual: path.len() - 1
                    })
                );
            }
            for appended in [extra, root, leaf] {
                let mut longer = path.clone();
                longer.push(appended);
                assert_eq!(
                    verify_inclusion(&leaf, m, n, &longer, &root),
                    Err(ProofError::TooLong {
                        expected: path.len(),
                        actual: path.len() + 1
                    })
                );
                let mut prefixed = vec![appended];
                prefixed.extend_from_slice(&path);
                assert!(verify_inclusion(&leaf, m, n, &prefixed, &root).is_err());
            }
            // Swapped siblings (any two different entries).
            for i in 0..path.len() {
                for j in i + 1..path.len() {
                    if path[i] == path[j] {
                        continue;
                    }
                    let mut swapped = path.clone();
                    swapped.swap(i, j);
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &swapped, &root),
                        Err(ProofError::RootMismatch),
                        "swap {i},{j} in path {m} of {n}"
                    );
                }
            }
            // Another leaf, another root.
            assert_eq!(
                verify_inclusion(&extra, m, n, &path, &root),
                Err(ProofError::RootMismatch)
            );
            assert_eq!(
                verify_inclusion(&leaf, m, n, &path, &extra),
                Err(ProofError::RootMismatch)
            );
        }
    }
}

#[test]
fn consistency_negative_cases() {
    let (tree, store, _) = tree_of(N);
    let roots: Vec<Hash> = (0..=N).map(|n| tree.root_at(&store, n).unwrap()).collect();
    let root = |n: u64| roots[usize::try_from(n).unwrap()];
    let extra = leaf_hash(b"not in the tree");
    for n in 1..=N {
        for m in 1..n {
            let path = tree
                .consistency_proof(&store, m, n)
                .unwrap()
                .path()
                .to_vec();
            verify_consistency(m, n, &root(m), &root(n), &path).unwrap();

            // Wrong sizes, each with the true root for the size claimed.
            for other in (1..=N).filter(|&o| o != m && o <= n) {
                assert!(
                    verify_consistency(other, n, &root(other), &root(n), &path).is_err(),
                    "{m}->{n} as {other}->{n}"
                );
            }
            for other in (m..=N).filter(|&o| o != n) {
                assert!(
                    verify_consistency(m, other, &root(m), &root(other), &path).is_err(),
                    "{m}->{n} as {m}->{other}"
                );
            }
            assert_eq!(
                verify_consistency(n, m, &root(n), &root(m), &path),
                Err(ProofError::OldSizeLarger { old: n, new: m })
            );
            // Truncated, extended.
            if let Some((_, shorter)) = path.split_last() {
                assert_eq!(
                    verify_consistency(m, n, &root(m), &root(n), shorter),
                    Err(ProofError::TooShort {
                        expected: path.len(),
                        actual: path.len() - 1
                    })
                );
            }
            let mut longer = path.clone();
            longer.push(extra);
            assert_eq!(
                verify_consistency(m, n, &root(m), &root(n), &longer),
                Err(ProofError::TooLong {
                    expected: path.len(),
                    actual: path.len() + 1
                })
            );
            // Swapped entries.
            for i in 0..path.len() {
                for j in i + 1..path.len() {
                    if path[i] == path[j] {
                        continue;
                    }
                    let mut swapped = path.clone();
                    swapped.swap(i, j);
                    assert!(
                        verify_consistency(m, n, &root(m), &root(n), &swapped).is_err(),
                        "swap {i},{j} in proof {m}->{n}"
                    );
                }
            }
            // Another old root (a fork before m) or another new root (a fork after it). When
            // m is a power of two the old root is where the proof starts, so a wrong one shows
            // in the new root.
            let wrong_old = if m.is_power_of_two() {
                ProofError::RootMismatch
            } else {
                ProofError::OldRootMismatch
            };
            assert_eq!(
                verify_consistency(m, n, &extra, &root(n), &path),
                Err(wrong_old)
            );
            assert_eq!(
                verify_consistency(m, n, &root(m), &extra, &path),
                Err(ProofError::RootMismatch)
            );
        }
        // From the empty tree and to itself.
        verify_consistency(0, n, &EMPTY_ROOT, &root(n), &[]).unwrap();
        verify_consistency(n, n, &root(n), &root(n), &[]).unwrap();
        assert!(verify_consistency(0, n, &EMPTY_ROOT, &root(n), &[root(n)]).is_err());
        assert!(verify_consistency(n, n, &root(n), &extra, &[]).is_err());
    }
}
