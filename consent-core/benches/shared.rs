//! What sharing a ledger file costs a decision: the same consent (and statute) decision on a
//! ledger opened from a file that other processes may write (it loads the shared head counter
//! and compares it with what it applied before each decision) and on a ledger only this
//! process writes (no check), both holding `BENCH_SHARED_SUBJECTS` subjects (default 20,000)
//! with three grants each.
//!
//! Besides criterion's own figures, the bench prints one `BENCH-RESULT` line with the ratio of
//! the two measured in one interleaved run: batches of 256 decisions alternate between the two
//! ledgers, and the ratio of their median batch times is reported, so a load change on the
//! shared machine (2 cores, other builds) hits both sides alike.

mod common;

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{CONSENT, RequestKind, Rng, STATUTE};
use consent_core::{Catalogue, Ledger, NationalId};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    /// Opened from a file: the head check runs before every decision.
    shared: Ledger,
    /// In memory: no other process can write it, so there is nothing to check.
    unshared: Ledger,
    subjects: Vec<NationalId>,
    _dir: tempfile::TempDir,
}

fn build() -> Result<Fixture, Box<dyn std::error::Error>> {
    let n = common::env_usize("BENCH_SHARED_SUBJECTS", 20_000);
    let ids = common::national_ids(n);
    let dir = tempfile::tempdir()?;
    let options = common::options().with_catalogue(Catalogue::embedded());
    let shared = Ledger::open(dir.path().join("consent.db"), options.clone())?;
    let unshared = Ledger::open(consent_core::MEMORY_PATH, options)?;
    let subjects = common::parse_ids(&shared, &ids)?;
    common::populate(&shared, &subjects, 5_000)?;
    common::populate(&unshared, &subjects, 5_000)?;
    Ok(Fixture {
        shared,
        unshared,
        subjects,
        _dir: dir,
    })
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match build() {
        Ok(fixture) => fixture,
        Err(error) => {
            eprintln!("cannot build the shared-ledger fixture: {error}");
            std::process::exit(1);
        }
    })
}

const BATCH: usize = 256;

/// Decides one batch of requests of `kind` for `subjects` on `ledger`; returns its time.
fn batch(ledger: &Ledger, kind: RequestKind, subjects: &[NationalId]) -> Duration {
    let (recipient, purpose, categories) = kind;
    let at = common::decision_at();
    let start = Instant::now();
    for subject in subjects {
        let decision = ledger.decide_with(
            black_box(subject),
            black_box(recipient),
            black_box(purpose),
            black_box(&categories),
            black_box(at),
        );
        black_box(decision.map(|d| d.permitted()).unwrap_or(false));
    }
    start.elapsed()
}

/// `BATCH` random subjects.
fn pick(fixture: &Fixture, rng: &mut Rng) -> Vec<NationalId> {
    (0..BATCH)
        .filter_map(|_| fixture.subjects.get(rng.below(fixture.subjects.len())))
        .cloned()
        .collect()
}

/// The median of per-batch times, per decision, in nanoseconds.
fn median_ns(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_nanos() as f64 / BATCH as f64)
}

/// Criterion's timing of `iters` decisions: the median batch's time per decision (a
/// preempted batch is an outlier the median ignores), times `iters`.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a positive time in nanoseconds, far below u64::MAX"
)]
fn timed(
    fixture: &Fixture,
    ledger: &Ledger,
    kind: RequestKind,
    iters: u64,
    rng: &mut Rng,
) -> Duration {
    let rounds = iters.div_ceil(BATCH as u64).max(1);
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| batch(ledger, kind, &pick(fixture, rng)))
        .collect();
    Duration::from_nanos((median_ns(&mut times) * iters as f64) as u64)
}

/// Both ledgers on the same subjects, batch by batch, alternating which goes first; prints
/// the medians and their ratio.
fn interleaved(fixture: &Fixture, kind: RequestKind, name: &str) {
    let mut rng = Rng::new(99);
    let (mut shared, mut unshared) = (Vec::new(), Vec::new());
    for round in 0..4_000 {
        let subjects = pick(fixture, &mut rng);
        if round % 2 == 0 {
            shared.push(batch(&fixture.shared, kind, &subjects));
            unshared.push(batch(&fixture.unshared, kind, &subjects));
        } else {
            unshared.push(batch(&fixture.unshared, kind, &subjects));
            shared.push(batch(&fixture.shared, kind, &subjects));
        }
    }
    let (s, u) = (median_ns(&mut shared), median_ns(&mut unshared));
    println!(
        "BENCH-RESULT shared_{name}_ns={s:.1} unshared_{name}_ns={u:.1} ratio={:.3} (interleaved, {} subjects)",
        s / u.max(f64::MIN_POSITIVE),
        fixture.subjects.len()
    );
}

fn shared(c: &mut Criterion) {
    let fixture = fixture();
    interleaved(fixture, CONSENT, "consent");
    interleaved(fixture, STATUTE, "statute");
    let mut group = c.benchmark_group("shared");
    for (name, kind) in [("consent", CONSENT), ("statute", STATUTE)] {
        let mut rng = Rng::new(1);
        group.bench_function(format!("{name}_decision_shared_file"), |b| {
            b.iter_custom(|iters| timed(fixture, &fixture.shared, kind, iters, &mut rng));
        });
        let mut rng = Rng::new(1);
        group.bench_function(format!("{name}_decision_unshared"), |b| {
            b.iter_custom(|iters| timed(fixture, &fixture.unshared, kind, iters, &mut rng));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = shared
}
criterion_main!(benches);
