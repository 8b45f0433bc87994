//! Cross-process visibility on one host: how long after a write is acknowledged in process A
//! the first decision in process B sees it (its `as_of_seq` reaches the write). B decides in a
//! loop, as a busy service would; A writes one grant at a time with a pause between writes.
//! Both processes read the system clock (one clock on one host).
//!
//! Prints one `BENCH-RESULT` line with the p50, p99 and maximum in microseconds over
//! `BENCH_VISIBILITY_ROUNDS` writes (default 2,000). A decision can see a write before A has
//! taken its acknowledgment's timestamp (B saw the shared head move while A returned); such a
//! round counts as 0.
//!
//! Run: `cargo bench -p consent-core --bench visibility`

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use consent_core::{Catalogue, Ledger};

type Failure = Box<dyn std::error::Error>;

const CHILD: &str = "CONSENT_VISIBILITY_CHILD";

fn now_ns() -> Result<u128, Failure> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos())
}

fn options() -> consent_core::LedgerOptions {
    common::options().with_catalogue(Catalogue::embedded())
}

/// Process B: decides until a decision has seen `last` events, noting when each position was
/// first seen; then prints `seen SEQ NS` for each.
fn child(path: &str) -> Result<(), Failure> {
    let ledger = Ledger::open(path, options())?;
    let ids = common::national_ids(1);
    let subject = ledger.parse_national_id(ids.first().ok_or("no id")?)?;
    let mut input = String::new();
    std::io::stdin().read_line(&mut input)?;
    let last: u64 = input.trim().parse()?;
    println!("ready");
    std::io::stdout().flush()?;
    let mut seen = Vec::new();
    let mut position = ledger.event_count();
    while position < last {
        let decision = ledger.decide_with(
            &subject,
            "nav",
            "employment_followup",
            &["finances"],
            common::decision_at(),
        )?;
        if decision.as_of_seq() > position {
            let at = now_ns()?;
            for seq in position + 1..=decision.as_of_seq() {
                seen.push((seq, at));
            }
            position = decision.as_of_seq();
        }
    }
    let mut out = std::io::stdout().lock();
    for (seq, at) in seen {
        writeln!(out, "seen {seq} {at}")?;
    }
    Ok(())
}

/// The `per_mille`th value of `sorted` (nearest rank).
fn percentile(sorted: &[f64], per_mille: usize) -> f64 {
    let rank = (sorted.len().saturating_sub(1) * per_mille).div_ceil(1000);
    sorted.get(rank).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Failure> {
    if let Ok(path) = std::env::var(CHILD) {
        return child(&path);
    }
    let rounds = common::env_usize("BENCH_VISIBILITY_ROUNDS", 2_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options())?;
    let ids = common::national_ids(64);
    let subjects = common::parse_ids(&ledger, &ids)?;
    let actor = common::actor();
    let first = ledger.event_count();
    let last = first + u64::try_from(rounds)?;

    let mut b = Command::new(std::env::current_exe()?)
        .env(CHILD, &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_b = b.stdin.take().ok_or("no stdin")?;
    let mut from_b = BufReader::new(b.stdout.take().ok_or("no stdout")?);
    writeln!(to_b, "{last}")?;
    to_b.flush()?;
    let mut line = String::new();
    from_b.read_line(&mut line)?;
    if line.trim() != "ready" {
        return Err(format!("process B said `{}`", line.trim()).into());
    }

    // Process A: one acknowledged grant at a time.
    let mut acknowledged = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let subject = subjects.get(round % subjects.len()).ok_or("no subject")?;
        let request = common::grant_requests(subject, round)
            .into_iter()
            .next()
            .ok_or("no request")?;
        ledger.grant(&request, &actor)?;
        acknowledged.push((ledger.event_count(), now_ns()?));
        std::thread::sleep(Duration::from_micros(500));
    }
    let mut seen = std::collections::HashMap::new();
    for line in from_b.lines() {
        let line = line?;
        let mut parts = line.split_whitespace().skip(1);
        if let (Some(seq), Some(at)) = (parts.next(), parts.next()) {
            seen.insert(seq.parse::<u64>()?, at.parse::<u128>()?);
        }
    }
    if !b.wait()?.success() {
        return Err("process B failed".into());
    }
    let mut latencies: Vec<f64> = acknowledged
        .iter()
        .map(|(seq, acked)| {
            let at = seen.get(seq).ok_or(format!("B never saw event {seq}"))?;
            // Nanoseconds since 1970 fit an f64 to well under a microsecond.
            Ok(if at < acked {
                -1.0
            } else {
                (at - acked) as f64 / 1_000.0
            })
        })
        .collect::<Result<_, Failure>>()?;
    // Seen before A took its timestamp: counted as 0, and reported.
    let early = latencies.iter().filter(|l| **l < 0.0).count();
    for latency in &mut latencies {
        *latency = latency.max(0.0);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "BENCH-RESULT visibility_p50_us={:.1} visibility_p99_us={:.1} visibility_max_us={:.1} rounds={rounds} seen_before_ack={early}",
        percentile(&latencies, 500),
        percentile(&latencies, 990),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
    Ok(())
}
