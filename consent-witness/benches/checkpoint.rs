//! Checkpoint benches: signing a checkpoint, reading and verifying a signed one, checking a
//! cosignature, and a witness's whole `submit` (parse, verify, prove, cosign, write the state
//! with an fsync).
//!
//! `cargo bench -p consent-witness --bench checkpoint`. `WITNESS_BENCH_STATE_DIR` puts the
//! witness's state on another file system than the system temporary directory.

use std::hint::black_box;
use std::time::Duration;

use consent_witness::{
    Checkpoint, Cosignature, MemoryNodeStore, SignedCheckpoint, SigningKey, Tree, Witness,
    leaf_hash,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn exit(what: &str, error: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1)
}

const ORIGIN: &str = "kommune.example/consent";

fn checkpoints(c: &mut Criterion) {
    let log = SigningKey::from_seed(ORIGIN, &[1; 32]).unwrap_or_else(|e| exit("key", &e));
    let log_vkey = log.verifier_key();
    let mut store = MemoryNodeStore::new();
    let mut tree = Tree::new();
    let leaves: Vec<_> = (0..1000u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    tree.append(&mut store, &leaves)
        .unwrap_or_else(|e| exit("tree", &e));
    let checkpoint = Checkpoint::new(ORIGIN, tree.size(), tree.root())
        .unwrap_or_else(|e| exit("checkpoint", &e));

    let mut group = c.benchmark_group("checkpoint");
    group.bench_function("sign", |b| {
        b.iter(|| black_box(black_box(&checkpoint).sign(&log).to_string()))
    });
    let signed = checkpoint.sign(&log).to_string();
    group.bench_function("parse_and_verify", |b| {
        b.iter(|| {
            black_box(SignedCheckpoint::parse(
                black_box(signed.as_bytes()),
                &log_vkey,
            ))
            .unwrap_or_else(|e| exit("verify", &e))
        })
    });

    // A witness in a state directory of its own.
    let base = std::env::var_os("WITNESS_BENCH_STATE_DIR")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let dir = tempfile::tempdir_in(base).unwrap_or_else(|e| exit("tempdir", &e));
    let witness_key =
        SigningKey::from_seed("tilsyn.example/w1", &[2; 32]).unwrap_or_else(|e| exit("key", &e));
    let mut witness = Witness::open(&dir.path().join("witness"), witness_key)
        .unwrap_or_else(|e| exit("witness", &e));
    witness
        .add_log(ORIGIN, log_vkey.clone())
        .unwrap_or_else(|e| exit("add_log", &e));
    let cosignature = witness
        .submit(signed.as_bytes(), &[])
        .unwrap_or_else(|e| exit("submit", &e));
    let mut cosigned =
        SignedCheckpoint::parse(signed.as_bytes(), &log_vkey).unwrap_or_else(|e| exit("parse", &e));
    cosigned
        .add_signature(cosignature.to_signature())
        .unwrap_or_else(|e| exit("cosign", &e));
    let cosigner = witness.cosigner_key();
    group.bench_function("verify_cosignature", |b| {
        b.iter(|| {
            black_box(Cosignature::verify(black_box(cosigned.note()), &cosigner))
                .unwrap_or_else(|e| exit("verify", &e))
        })
    });

    // submit: the same checkpoint again (a resubmission is cosigned again and stored again),
    // and a growing log with a consistency proof each time.
    group.sample_size(10);
    group.bench_function("witness_submit_durable", |b| {
        b.iter(|| {
            black_box(witness.submit(black_box(signed.as_bytes()), &[]))
                .unwrap_or_else(|e| exit("submit", &e))
        })
    });
    let mut next = tree.size();
    group.bench_function("witness_submit_growing_durable", |b| {
        b.iter_batched(
            || {
                let old = tree.size();
                tree.append(&mut store, &[leaf_hash(&next.to_be_bytes())])
                    .unwrap_or_else(|e| exit("append", &e));
                next += 1;
                let note = Checkpoint::new(ORIGIN, tree.size(), tree.root())
                    .unwrap_or_else(|e| exit("checkpoint", &e))
                    .sign(&log)
                    .to_string();
                let proof = tree
                    .consistency_proof(&store, old, tree.size())
                    .unwrap_or_else(|e| exit("proof", &e));
                (note, proof)
            },
            |(note, proof)| {
                black_box(witness.submit(note.as_bytes(), proof.path()))
                    .unwrap_or_else(|e| exit("submit", &e))
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
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
    targets = checkpoints
}
criterion_main!(benches);
