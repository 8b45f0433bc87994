//! Grant benches: one grant in memory, one grant durable in SQLite (one commit, so one fsync,
//! each), and a bulk import through `grant_many` (`BENCH_BULK_BATCH` grants per durable write,
//! default 10,000).

mod common;

use std::hint::black_box;
use std::time::Duration;

use consent_core::{GrantRequest, Ledger, NationalId};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// Grant requests for `subjects` subjects (three each), in order.
fn requests(ledger: &Ledger, subjects: usize) -> Vec<GrantRequest> {
    let ids = common::national_ids(subjects);
    let parsed: Vec<NationalId> = common::parse_ids(ledger, &ids).unwrap_or_default();
    parsed
        .iter()
        .enumerate()
        .flat_map(|(i, subject)| common::grant_requests(subject, i))
        .collect()
}

fn exit(what: &str, error: &consent_core::Error) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1)
}

fn grant(c: &mut Criterion) {
    let actor = common::actor();
    let mut group = c.benchmark_group("grant");

    // In memory: the default memory store keeps every record.
    let memory = Ledger::open(":memory:", common::options()).unwrap_or_else(|e| exit("ledger", &e));
    let pool = requests(&memory, common::env_usize("BENCH_GRANT_POOL", 20_000));
    let mut next = 0usize;
    group.throughput(Throughput::Elements(1));
    group.bench_function("in_memory", |b| {
        b.iter(|| {
            next = (next + 1) % pool.len().max(1);
            if let Some(request) = pool.get(next) {
                black_box(memory.grant(black_box(request), &actor)).ok();
            }
        });
    });
    drop(memory);

    // Durable: SQLite, WAL, synchronous = FULL; one commit (one fsync) per grant.
    let dir = tempfile::tempdir().unwrap_or_else(|e| {
        eprintln!("tempdir: {e}");
        std::process::exit(1)
    });
    let durable = Ledger::open(dir.path().join("grant.db"), common::options())
        .unwrap_or_else(|e| exit("open", &e));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("sqlite_one_commit", |b| {
        b.iter(|| {
            next = (next + 1) % pool.len().max(1);
            if let Some(request) = pool.get(next) {
                black_box(durable.grant(black_box(request), &actor)).ok();
            }
        });
    });
    drop(durable);

    // Bulk import: `grant_many` writes a whole batch in one transaction.
    let batch = common::env_usize("BENCH_BULK_BATCH", 10_000);
    let bulk = Ledger::open(dir.path().join("bulk.db"), common::options())
        .unwrap_or_else(|e| exit("open", &e));
    let bulk_pool = requests(&bulk, batch.div_ceil(common::GRANTS_PER_SUBJECT) * 4);
    let chunks: Vec<&[GrantRequest]> = bulk_pool
        .chunks(batch.max(1))
        .filter(|c| c.len() == batch)
        .collect();
    let mut chunk = 0usize;
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("sqlite_bulk_grant_many", |b| {
        b.iter_batched(
            || {
                chunk = (chunk + 1) % chunks.len().max(1);
                chunks.get(chunk).copied().unwrap_or_default()
            },
            |requests| black_box(bulk.grant_many(requests, &actor)).ok(),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, grant);
criterion_main!(benches);
