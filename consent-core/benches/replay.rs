//! Opening (replaying and verifying) a SQLite ledger of `BENCH_REPLAY_EVENTS` events (default
//! 1,000,000 grants), and verifying its chain from an open ledger. The file is built by a bulk
//! import first, whose rate is printed; `BENCH_FIXTURE_DIR` keeps it between runs.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use consent_core::Ledger;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn fail(what: &str, error: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1)
}

fn replay(c: &mut Criterion) {
    let events = common::env_usize("BENCH_REPLAY_EVENTS", 1_000_000);
    let temp = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let dir = std::env::var_os("BENCH_FIXTURE_DIR")
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail("fixture dir", &e));
    let path = dir.join(format!("replay-{events}.db"));
    match common::sqlite_fixture(&path, events) {
        Ok(Some(rate)) => println!(
            "BENCH-RESULT bulk_import_grants_per_s={rate:.0} events={events} (grant_many, 10,000 per commit, fresh file)"
        ),
        Ok(None) => println!("reusing {}", path.display()),
        Err(e) => fail("fixture", &e),
    }
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| {
            let mut name = path.as_os_str().to_owned();
            name.push(s);
            std::fs::metadata(name).ok().map(|m| m.len())
        })
        .sum();
    println!("BENCH-RESULT replay_file_bytes={size} events={events}");

    // The full replay is measured without a snapshot (and writes none on close); the open
    // from a snapshot with one written at the last event.
    let mut snapshot = path.as_os_str().to_owned();
    snapshot.push(".snapshot");
    let snapshot = PathBuf::from(snapshot);
    let _ = std::fs::remove_file(&snapshot);
    let replay_options = || common::options().with_snapshot_every(0);

    let mut group = c.benchmark_group("replay");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("open", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let ledger = Ledger::open(black_box(&path), replay_options())
                    .unwrap_or_else(|e| fail("open", &e));
                total += start.elapsed();
                black_box(ledger.event_count());
                drop(ledger);
            }
            total
        });
    });
    {
        let ledger = Ledger::open(&path, replay_options()).unwrap_or_else(|e| fail("open", &e));
        let started = Instant::now();
        ledger
            .write_snapshot()
            .unwrap_or_else(|e| fail("write_snapshot", &e));
        println!(
            "BENCH-RESULT snapshot_write_ms={:.0} snapshot_bytes={} events={events}",
            started.elapsed().as_secs_f64() * 1000.0,
            std::fs::metadata(&snapshot).map_or(0, |m| m.len())
        );
    }
    group.bench_function("open_with_snapshot", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let ledger = Ledger::open(black_box(&path), replay_options())
                    .unwrap_or_else(|e| fail("open", &e));
                total += start.elapsed();
                if !matches!(
                    ledger.snapshot_status(),
                    consent_core::SnapshotStatus::Used { .. }
                ) {
                    fail("open_with_snapshot", &"the snapshot was not used");
                }
                drop(ledger);
            }
            total
        });
    });
    let ledger = Ledger::open(&path, replay_options()).unwrap_or_else(|e| fail("open", &e));
    group.bench_function("verify", |b| {
        b.iter(|| {
            let report = ledger.verify().unwrap_or_else(|e| fail("verify", &e));
            black_box(report.ok)
        });
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
