//! Tree benches: appending (the overhead a log pays per leaf), proof generation at 1 and 10
//! million leaves on the in-memory store, and proof verification.
//!
//! Sizes: `WITNESS_BENCH_SIZES` (comma-separated tree sizes for proofs, default
//! `1000000,10000000`; the 10-million tree takes about 640 MB and a few seconds to build).
//! `cargo bench -p consent-witness --bench tree`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use consent_witness::{
    Hash, MemoryNodeStore, Tree, leaf_hash, verify_consistency, verify_inclusion,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn exit(what: &str, error: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1)
}

fn sizes() -> Vec<u64> {
    let text = std::env::var("WITNESS_BENCH_SIZES").unwrap_or_else(|_| "1000000,10000000".into());
    text.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|e| exit("WITNESS_BENCH_SIZES", &e))
        })
        .collect()
}

/// SplitMix64, for indices that defeat the cache like a real request would.
fn random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A record the size of a ledger's stored header (about 300 bytes).
fn record(i: u64) -> Vec<u8> {
    let mut bytes = format!("{i:020}").into_bytes();
    bytes.resize(300, b'h');
    bytes
}

/// Times `iters` appends of `batch` leaves each, starting a fresh tree every million leaves
/// (outside the timing) so memory stays bounded however many iterations criterion asks for.
fn time_appends(iters: u64, batch: u64, hash_records: bool) -> Duration {
    let leaves: Vec<Hash> = (0..batch).map(|i| leaf_hash(&record(i))).collect();
    let records: Vec<Vec<u8>> = (0..batch).map(record).collect();
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let chunk = (iters - done).min((1_000_000 / batch).max(1));
        let mut store = MemoryNodeStore::new();
        let mut tree = Tree::new();
        let start = Instant::now();
        for _ in 0..chunk {
            let result = if hash_records {
                let hashed: Vec<Hash> = records.iter().map(|r| leaf_hash(r)).collect();
                tree.append(&mut store, &hashed)
            } else {
                tree.append(&mut store, &leaves)
            };
            result.unwrap_or_else(|e| exit("append", &e));
            black_box(&tree);
        }
        total += start.elapsed();
        done += chunk;
    }
    total
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_leaf", |b| {
        b.iter_custom(|iters| time_appends(iters, 1, false))
    });
    group.bench_function("one_record_hashed", |b| {
        b.iter_custom(|iters| time_appends(iters, 1, true))
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("batch_of_1000", |b| {
        b.iter_custom(|iters| time_appends(iters, 1000, false))
    });
    group.bench_function("batch_of_1000_records_hashed", |b| {
        b.iter_custom(|iters| time_appends(iters, 1000, true))
    });
    group.finish();
}

fn build(size: u64) -> (Tree, MemoryNodeStore) {
    let start = Instant::now();
    let mut store = MemoryNodeStore::new();
    let mut tree = Tree::new();
    let mut next = 0;
    while next < size {
        let end = (next + 100_000).min(size);
        let leaves: Vec<Hash> = (next..end).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        tree.append(&mut store, &leaves)
            .unwrap_or_else(|e| exit("build", &e));
        next = end;
    }
    eprintln!("built a tree of {size} leaves in {:.1?}", start.elapsed());
    (tree, store)
}

fn proofs(c: &mut Criterion) {
    for size in sizes() {
        let (tree, store) = build(size);
        let mut group = c.benchmark_group(format!("proofs_{size}"));
        group.throughput(Throughput::Elements(1));
        let mut state = size;
        group.bench_function("inclusion_proof", |b| {
            b.iter(|| {
                let index = random(&mut state) % size;
                black_box(tree.inclusion_proof(&store, index, size))
            })
        });
        group.bench_function("consistency_proof", |b| {
            b.iter(|| {
                let old = 1 + random(&mut state) % size;
                black_box(tree.consistency_proof(&store, old, size))
            })
        });
        group.bench_function("root_at", |b| {
            b.iter(|| black_box(tree.root_at(&store, 1 + random(&mut state) % size)))
        });

        // Verification of 256 pre-made proofs, in turn.
        let root = tree.root();
        let inclusions: Vec<(u64, Hash, Vec<Hash>)> = (0..256)
            .map(|_| {
                let index = random(&mut state) % size;
                let proof = tree
                    .inclusion_proof(&store, index, size)
                    .unwrap_or_else(|e| exit("proof", &e));
                (
                    index,
                    leaf_hash(&index.to_be_bytes()),
                    proof.path().to_vec(),
                )
            })
            .collect();
        let consistencies: Vec<(u64, Hash, Vec<Hash>)> = (0..256)
            .map(|_| {
                let old = 1 + random(&mut state) % size;
                let proof = tree
                    .consistency_proof(&store, old, size)
                    .unwrap_or_else(|e| exit("proof", &e));
                let old_root = tree
                    .root_at(&store, old)
                    .unwrap_or_else(|e| exit("root", &e));
                (old, old_root, proof.path().to_vec())
            })
            .collect();
        let mut turn = 0usize;
        group.bench_function("verify_inclusion", |b| {
            b.iter(|| {
                turn = (turn + 1) % inclusions.len();
                let Some((index, leaf, path)) = inclusions.get(turn) else {
                    exit("verify", &"no proof");
                };
                black_box(verify_inclusion(leaf, *index, size, path, &root))
                    .unwrap_or_else(|e| exit("verify", &e));
            })
        });
        group.bench_function("verify_consistency", |b| {
            b.iter(|| {
                turn = (turn + 1) % consistencies.len();
                let Some((old, old_root, path)) = consistencies.get(turn) else {
                    exit("verify", &"no proof");
                };
                black_box(verify_consistency(*old, size, old_root, &root, path))
                    .unwrap_or_else(|e| exit("verify", &e));
            })
        });
        group.finish();
    }
}

/// Shorter than criterion's defaults so that a run takes a couple of minutes on two cores;
/// `--warm-up-time`, `--measurement-time` and `--sample-size` still override.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = append, proofs
}
criterion_main!(benches);
