//! Decision benches on a ledger of `BENCH_SUBJECTS` subjects (default 1,000,000) with three
//! grants each, held in memory (a store that discards appends), and the memory each grant
//! costs in the projection.
//!
//! Every iteration decides for a random subject, so the projection's cache misses are those
//! of a real workload.
//!
//! Beside each path runs a hand-written ideal, measured in the same run (BENCHMARKS.md states
//! the targets as ratios to it): a static table of the categories an unconditional rule covers
//! per (recipient, purpose), and a hash map from pseudonym to grants as bitmasks with their
//! validity, the pseudonym precomputed and the codes interned outside the timed region. It
//! answers only permitted-or-not, with no basis, gates, conditions, restrictions or checks:
//! the least work a lookup of the same facts can do. The subjects' ids are copied into a small batch outside the timed
//! region first, as a caller would have its request's id at hand.
//!
//! The machine these run on is shared (2 cores, other builds), so a wall-clock sample would
//! count the time slices other processes took as decision time. Each batch of 256 decisions
//! (tens of microseconds, shorter than a time slice) is timed on its own, and a sample reports
//! the median batch's time per decision times its iterations: a preempted batch is an outlier
//! that the median ignores.

mod common;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{CONSENT, DiscardStore, RequestKind, Rng, STATUTE};
use consent_core::{Catalogue, Ledger, NationalId};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    ledger: Ledger,
    subjects: Vec<NationalId>,
    ideal: Ideal,
}

/// Pseudonyms are uniformly random: their first eight bytes are the hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        for (slot, byte) in word.iter_mut().zip(bytes) {
            *slot = *byte;
        }
        self.0 ^= u64::from_le_bytes(word);
    }
}

/// One grant of the ideal: bitmasks of catalogue ids, and its validity in microseconds.
#[derive(Clone, Copy)]
struct IdealGrant {
    recipients: u64,
    purposes: u64,
    categories: u64,
    from: i64,
    until: i64,
}

/// The hand-written ideal (see the file's docs).
struct Ideal {
    purposes: usize,
    /// Per `recipient * purposes + purpose`: the categories an unconditional rule covers.
    statute: Vec<u64>,
    grants: HashMap<[u8; 16], Vec<IdealGrant>, BuildHasherDefault<PassThrough>>,
    /// The pseudonym of each of the fixture's subjects, in order.
    pseudonyms: Vec<[u8; 16]>,
}

/// A request of the ideal: ids and a category mask.
#[derive(Clone, Copy)]
struct IdealRequest {
    recipient: usize,
    purpose: usize,
    categories: u64,
}

fn position<T>(items: &[T], code: &str, of: impl Fn(&T) -> &str) -> Option<usize> {
    items.iter().position(|item| of(item) == code)
}

fn mask<T>(items: &[T], codes: &[&str], of: impl Fn(&T) -> &str) -> u64 {
    codes
        .iter()
        .filter_map(|code| position(items, code, &of))
        .fold(0, |mask, id| mask | (1u64 << id))
}

impl Ideal {
    fn build(ledger: &Ledger, subjects: &[NationalId]) -> Ideal {
        let catalogue = ledger.catalogue();
        let (recipients, purposes) = (catalogue.recipients(), catalogue.purposes());
        let categories = catalogue.categories();
        let mut statute = vec![0u64; recipients.len() * purposes.len()];
        for rule in catalogue.rules().iter().filter(|r| r.requires.is_empty()) {
            let Some(r) = position(recipients, catalogue.rule_recipient(rule).as_str(), |x| {
                x.code.as_str()
            }) else {
                continue;
            };
            let covered: Vec<&str> = catalogue
                .rule_categories(rule)
                .iter()
                .map(|c| c.as_str())
                .collect();
            let covered = mask(categories, &covered, |c| c.code.as_str());
            for purpose in catalogue.rule_purposes(rule) {
                if let Some(p) = position(purposes, purpose.as_str(), |x| x.code.as_str())
                    && let Some(slot) = statute.get_mut(r * purposes.len() + p)
                {
                    *slot |= covered;
                }
            }
        }
        let mut grants: HashMap<[u8; 16], Vec<IdealGrant>, BuildHasherDefault<PassThrough>> =
            HashMap::default();
        let mut pseudonyms = Vec::with_capacity(subjects.len());
        for (index, subject) in subjects.iter().enumerate() {
            let pseudonym = *ledger.pseudonym(subject).as_bytes();
            pseudonyms.push(pseudonym);
            let list = grants.entry(pseudonym).or_default();
            for spec in common::grant_specs(index) {
                list.push(IdealGrant {
                    recipients: mask(recipients, spec.recipients, |x| x.code.as_str()),
                    purposes: mask(purposes, spec.purposes, |x| x.code.as_str()),
                    categories: mask(categories, spec.categories, |x| x.code.as_str()),
                    from: common::valid_from().timestamp_micros(),
                    until: spec.valid_until.map_or(i64::MAX, |t| t.timestamp_micros()),
                });
            }
        }
        Ideal {
            purposes: purposes.len(),
            statute,
            grants,
            pseudonyms,
        }
    }

    fn request(ledger: &Ledger, kind: RequestKind) -> IdealRequest {
        let catalogue = ledger.catalogue();
        let (recipient, purpose, categories) = kind;
        IdealRequest {
            recipient: position(catalogue.recipients(), recipient, |x| x.code.as_str())
                .unwrap_or(usize::MAX),
            purpose: position(catalogue.purposes(), purpose, |x| x.code.as_str())
                .unwrap_or(usize::MAX),
            categories: mask(catalogue.categories(), &categories, |x| x.code.as_str()),
        }
    }

    /// Permitted or not: every category covered by a rule or by one valid grant.
    fn permits(&self, pseudonym: &[u8; 16], request: IdealRequest, at: i64) -> bool {
        let by_rule = self
            .statute
            .get(request.recipient * self.purposes + request.purpose)
            .copied()
            .unwrap_or(0);
        let mut missing = request.categories & !by_rule;
        if missing == 0 {
            return true;
        }
        let (r, p) = (1u64 << request.recipient, 1u64 << request.purpose);
        for grant in self.grants.get(pseudonym).map_or(&[][..], Vec::as_slice) {
            if grant.recipients & r != 0
                && grant.purposes & p != 0
                && grant.from <= at
                && at < grant.until
            {
                missing &= !grant.categories;
            }
        }
        missing == 0
    }
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
    let ideal = Ideal::build(&ledger, &subjects);
    Ok(Fixture {
        ledger,
        subjects,
        ideal,
    })
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

/// Decides `iters` requests of one kind for random subjects with the ideal.
fn time_ideal(fixture: &Fixture, kind: RequestKind, iters: u64, rng: &mut Rng) -> Duration {
    let request = Ideal::request(&fixture.ledger, kind);
    let at = common::decision_at().timestamp_micros();
    let ideal = &fixture.ideal;
    let mut batch: Vec<[u8; 16]> = Vec::with_capacity(BATCH);
    let mut times = Vec::new();
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH as u64);
        batch.clear();
        for _ in 0..n {
            let index = rng.below(ideal.pseudonyms.len());
            if let Some(pseudonym) = ideal.pseudonyms.get(index) {
                batch.push(*pseudonym);
            }
        }
        let start = Instant::now();
        for pseudonym in &batch {
            black_box(ideal.permits(black_box(pseudonym), black_box(request), black_box(at)));
        }
        times.push((start.elapsed(), n));
        left -= n;
    }
    median_time(&mut times, iters)
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
    // The ideal must answer as the engine does, or it is no comparator.
    for kind in [STATUTE, CONSENT] {
        let request = Ideal::request(&fixture.ledger, kind);
        let at = common::decision_at().timestamp_micros();
        for (subject, pseudonym) in fixture
            .subjects
            .iter()
            .zip(&fixture.ideal.pseudonyms)
            .take(10_000)
        {
            let (recipient, purpose, categories) = kind;
            let engine = fixture
                .ledger
                .decide_with(
                    subject,
                    recipient,
                    purpose,
                    &categories,
                    common::decision_at(),
                )
                .is_ok_and(|d| d.permitted());
            if engine != fixture.ideal.permits(pseudonym, request, at) {
                eprintln!("the ideal disagrees with the engine on {recipient}/{purpose}");
                std::process::exit(1);
            }
        }
    }
    let mut group = c.benchmark_group("decide");
    let mut rng = Rng::new(1);
    group.bench_function("statute_path_3_categories", |b| {
        b.iter_custom(|iters| time_decisions(fixture, STATUTE, iters, &mut rng));
    });
    let mut rng = Rng::new(2);
    group.bench_function("consent_path_3_categories", |b| {
        b.iter_custom(|iters| time_decisions(fixture, CONSENT, iters, &mut rng));
    });
    let mut rng = Rng::new(1);
    group.bench_function("ideal_statute_3_categories", |b| {
        b.iter_custom(|iters| time_ideal(fixture, STATUTE, iters, &mut rng));
    });
    let mut rng = Rng::new(2);
    group.bench_function("ideal_consent_3_categories", |b| {
        b.iter_custom(|iters| time_ideal(fixture, CONSENT, iters, &mut rng));
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
