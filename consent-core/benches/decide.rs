//! Decision benches on a ledger of `BENCH_SUBJECTS` subjects (default 1,000,000) with three
//! grants each, held in memory (a store that discards appends), and the memory each grant
//! costs in the projection.
//!
//! Every iteration decides for a random subject, so the projection's cache misses are those
//! of a real workload. The subjects' ids are copied into a small batch outside the timed
//! region first, as a caller would have its request's id at hand.
//!
//! The machine these run on is shared (2 cores, other builds), so a wall-clock sample would
//! count the time slices other processes took as decision time. Each batch of 256 decisions
//! (tens of microseconds, shorter than a time slice) is timed on its own, and a sample reports
//! the median batch's time per decision times its iterations: a preempted batch is an outlier
//! that the median ignores.

mod common;

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{CONSENT, DiscardStore, RequestKind, Rng, STATUTE};
use consent_core::{Catalogue, Ledger, NationalId};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    ledger: Ledger,
    subjects: Vec<NationalId>,
}

fn build() -> consent_core::Result<Fixture> {
    let n = common::subjects();
    let ids = common::national_ids(n);
    let ledger = Ledger::with_store(
        Box::new(DiscardStore::default()),
        common::options().with_catalogue(Catalogue::embedded()),
    )?;
    let subjects = common::parse_ids(&ledger, &ids)?;
    drop(ids);
    let before = common::rss_bytes();
    let started = Instant::now();
    // Small writes, so the transient memory of one write (requests, sealed records) is a
    // negligible part of the RSS delta: glibc keeps freed heap pages resident.
    common::populate(&ledger, &subjects, 1_000)?;
    let elapsed = started.elapsed();
    let after = common::rss_bytes();
    let (subject_count, grant_count) = ledger.sizes()?;
    let per_grant = after.saturating_sub(before) as f64 / grant_count.max(1) as f64;
    println!(
        "BENCH-RESULT memory_per_grant_bytes={per_grant:.1} rss_delta_bytes={} subjects={subject_count} grants={grant_count}",
        after.saturating_sub(before)
    );
    println!(
        "BENCH-RESULT projection_build_grants_per_s={:.0} (grant_many in memory, discarding store)",
        grant_count as f64 / elapsed.as_secs_f64()
    );
    Ok(Fixture { ledger, subjects })
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match build() {
        Ok(fixture) => fixture,
        Err(error) => {
            eprintln!("cannot build the decision fixture: {error}");
            std::process::exit(1);
        }
    })
}

const BATCH: usize = 256;

/// The robust time of `iters` iterations from per-batch times: the median batch's time per
/// iteration, times `iters` (see the file's docs).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a positive time in nanoseconds, far below u64::MAX"
)]
fn median_time(batches: &mut [(Duration, u64)], iters: u64) -> Duration {
    batches.sort_by(|a, b| {
        let per = |(d, n): &(Duration, u64)| d.as_nanos() as f64 / (*n).max(1) as f64;
        per(a).total_cmp(&per(b))
    });
    batches
        .get(batches.len() / 2)
        .map_or(Duration::ZERO, |(d, n)| {
            Duration::from_nanos((d.as_nanos() as f64 / (*n).max(1) as f64 * iters as f64) as u64)
        })
}

/// Runs `work` on `iters` random subjects in batches; returns the robust time.
fn time_batches(
    fixture: &Fixture,
    iters: u64,
    rng: &mut Rng,
    mut work: impl FnMut(&NationalId),
) -> Duration {
    let mut batch: Vec<NationalId> = Vec::with_capacity(BATCH);
    let mut times = Vec::with_capacity(usize::try_from(iters / BATCH as u64 + 1).unwrap_or(1));
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH as u64);
        batch.clear();
        for _ in 0..n {
            let index = rng.below(fixture.subjects.len());
            if let Some(subject) = fixture.subjects.get(index) {
                batch.push(subject.clone());
            }
        }
        let start = Instant::now();
        for subject in &batch {
            work(subject);
        }
        times.push((start.elapsed(), n));
        left -= n;
    }
    median_time(&mut times, iters)
}

/// Decides `iters` requests of one kind for random subjects.
fn time_decisions(fixture: &Fixture, kind: RequestKind, iters: u64, rng: &mut Rng) -> Duration {
    let (recipient, purpose, categories) = kind;
    let at = common::decision_at();
    time_batches(fixture, iters, rng, |subject| {
        let decision = fixture.ledger.decide_with(
            black_box(subject),
            black_box(recipient),
            black_box(purpose),
            black_box(&categories),
            black_box(at),
        );
        black_box(decision.map(|d| d.permitted()).unwrap_or(false));
    })
}

/// How many of a sample of decisions permit (printed, so a reader sees the paths are real).
fn permitted_share(fixture: &Fixture, kind: RequestKind) -> f64 {
    let (recipient, purpose, categories) = kind;
    let sample = fixture.subjects.iter().take(10_000);
    let (mut yes, mut all) = (0u32, 0u32);
    for subject in sample {
        all += 1;
        if let Ok(decision) = fixture.ledger.decide_with(
            subject,
            recipient,
            purpose,
            &categories,
            common::decision_at(),
        ) && decision.permitted()
        {
            yes += 1;
        }
    }
    f64::from(yes) / f64::from(all.max(1))
}

fn decide(c: &mut Criterion) {
    let fixture = fixture();
    println!(
        "BENCH-RESULT permitted_share statute={:.3} consent={:.3}",
        permitted_share(fixture, STATUTE),
        permitted_share(fixture, CONSENT)
    );
    let mut group = c.benchmark_group("decide");
    let mut rng = Rng::new(1);
    group.bench_function("statute_path_3_categories", |b| {
        b.iter_custom(|iters| time_decisions(fixture, STATUTE, iters, &mut rng));
    });
    let mut rng = Rng::new(2);
    group.bench_function("consent_path_3_categories", |b| {
        b.iter_custom(|iters| time_decisions(fixture, CONSENT, iters, &mut rng));
    });
    let mut rng = Rng::new(3);
    group.bench_function("pseudonym_only", |b| {
        b.iter_custom(|iters| {
            time_batches(fixture, iters, &mut rng, |subject| {
                black_box(fixture.ledger.pseudonym(black_box(subject)));
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = decide
}
criterion_main!(benches);
