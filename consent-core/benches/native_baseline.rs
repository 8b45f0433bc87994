//! The native side of the C and Python comparisons (`scripts/bench.sh` runs it; not a
//! criterion bench, so that it times exactly the loop `bench/c/decide_bench.c` and
//! `bench/python/decide_bench.py` time).
//!
//! `native_baseline fixture DB SUBJECTS` writes a SQLite ledger of SUBJECTS subjects with three
//! grants each (key file beside it) and `DB.ids`, their national ids, one a line.
//! `native_baseline time DB DECISIONS` opens it and times DECISIONS decisions of each kind for
//! subjects drawn by SplitMix64 (seed 42 for the statute path, 43 for the consent path, as the
//! C and Python programs draw them): from strings (parse the id, then `decide_with`, the work
//! the C ABI does) and with ids parsed beforehand.
//!
//! All three programs time chunks of 1,000 decisions and report the median chunk's time per
//! decision (`_ns`, robust against the time slices other processes take on this shared
//! machine) and the plain mean (`_mean_ns`).

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{CONSENT, RequestKind, Rng, STATUTE};
use consent_core::{Ledger, NationalId};

fn ids_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".ids");
    PathBuf::from(name)
}

fn fixture(db: &Path, subjects: usize) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(rate) = common::sqlite_fixture(db, subjects * common::GRANTS_PER_SUBJECT)? {
        println!("BENCH-RESULT fixture_import_grants_per_s={rate:.0}");
    }
    let mut text = common::national_ids(subjects).join("\n");
    text.push('\n');
    std::fs::write(ids_path(db), text)?;
    Ok(())
}

/// The subjects a run decides for, in order: `n` draws from `ids` by SplitMix64 from `seed`.
fn draws(ids: &[String], n: usize, seed: u64) -> Vec<&str> {
    let mut rng = Rng::new(seed);
    (0..n)
        .filter_map(|_| ids.get(rng.below(ids.len())).map(String::as_str))
        .collect()
}

/// Decisions per timed chunk, as in the C and Python programs.
const CHUNK: usize = 1_000;

/// The median chunk's and the mean time per item, in ns.
fn median_and_mean(chunks: &mut [f64], total_ns: f64, n: usize) -> (f64, f64) {
    chunks.sort_by(f64::total_cmp);
    let median = chunks.get(chunks.len() / 2).copied().unwrap_or(0.0);
    (median, total_ns / n.max(1) as f64)
}

/// Times `decide` over `items` in chunks; returns (median, mean) ns per item.
fn timed<T>(items: &[T], mut decide: impl FnMut(&T)) -> (f64, f64) {
    let mut chunks = Vec::new();
    let mut total = 0.0;
    for chunk in items.chunks(CHUNK) {
        let start = Instant::now();
        for item in chunk {
            decide(item);
        }
        let ns = start.elapsed().as_nanos() as f64;
        total += ns;
        chunks.push(ns / chunk.len() as f64);
    }
    median_and_mean(&mut chunks, total, items.len())
}

fn time_kind(ledger: &Ledger, ids: &[String], n: usize, name: &str, kind: RequestKind, seed: u64) {
    let (recipient, purpose, categories) = kind;
    let at = common::decision_at();
    let subjects = draws(ids, n, seed);
    let mut permitted = 0usize;
    let (strings, strings_mean) = timed(&subjects, |subject| {
        let decision = ledger
            .parse_national_id(black_box(subject))
            .and_then(|id| ledger.decide_with(&id, recipient, purpose, &categories, at));
        if decision.is_ok_and(|d| d.permitted()) {
            permitted += 1;
        }
    });
    let parsed: Vec<NationalId> = subjects
        .iter()
        .filter_map(|s| ledger.parse_national_id(s).ok())
        .collect();
    let (preparsed, preparsed_mean) = timed(&parsed, |id| {
        let decision = ledger.decide_with(black_box(id), recipient, purpose, &categories, at);
        black_box(decision.is_ok_and(|d| d.permitted()));
    });
    println!(
        "BENCH-RESULT native_{name}_ns={strings:.1} native_{name}_mean_ns={strings_mean:.1} native_{name}_preparsed_ns={preparsed:.1} native_{name}_preparsed_mean_ns={preparsed_mean:.1} permitted={permitted}/{n}"
    );
}

fn time(db: &Path, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let ledger = Ledger::open(db, common::options())?;
    let text = std::fs::read_to_string(ids_path(db))?;
    let ids: Vec<String> = text.lines().map(str::to_owned).collect();
    time_kind(&ledger, &ids, n, "statute", STATUTE, 42);
    time_kind(&ledger, &ids, n, "consent", CONSENT, 43);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; criterion-style flags are ignored.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let number = |i: usize, default: usize| arg(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match (arg(0), arg(1)) {
        (Some("fixture"), Some(db)) => fixture(Path::new(db), number(2, 200_000)),
        (Some("time"), Some(db)) => time(Path::new(db), number(2, 200_000)),
        _ => {
            // `cargo bench` without arguments: nothing to do (the script drives this).
            println!("usage: native_baseline (fixture DB SUBJECTS | time DB DECISIONS)");
            Ok(())
        }
    }
}
