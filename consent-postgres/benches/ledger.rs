//! The ledger's shared write path on PostgreSQL, measured whole: grants per second with 1, 4
//! and 16 writer processes, each a `Ledger` on its own `PgLog` (a host), every grant taking the
//! lock, catching up on the others' grants, validating, appending and committing; and the cost
//! of a decision with the default head check against a bounded staleness. Not a criterion
//! bench: it times whole processes; `bench/postgres/ledger.sh` runs pgbench's raw transaction
//! (one shared row lock, rows of a grant's size, commit) beside it in the same run.
//!
//! Needs `CONSENT_TEST_POSTGRES_URL` (run it through `scripts/with-postgres.sh`); without it,
//! it says so and exits 0. Settings: `BENCH_PG_SECONDS` (default 5), `BENCH_PG_CLIENTS`
//! (default `1 4 16`), `BENCH_PG_DECISIONS` (default 20000). Prints `BENCH-RESULT` lines.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use consent_core::{Actor, Ledger, LedgerOptions, PseudonymKey};
use consent_postgres::PgLog;

const CHILD: &str = "CONSENT_BENCH_LEDGER_CHILD";
const KEY: [u8; 32] = [7; 32];

type Res<T> = Result<T, Box<dyn Error>>;

fn ledger_url(server: &str, schema: &str) -> String {
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}schema={schema}")
}

fn open(url: &str, staleness_ms: u64) -> Res<Ledger> {
    Ok(Ledger::with_store(
        Box::new(PgLog::open(url)?),
        LedgerOptions::default()
            .with_key(PseudonymKey::from_bytes(KEY))
            .with_max_staleness_ms(staleness_ms),
    )?)
}

/// The national ids the grants are for: valid numbers, spread like a municipality's.
fn subjects() -> Vec<String> {
    (1..=28u32)
        .flat_map(|day| {
            (100..140u32).filter_map(move |individual| {
                consent_core::control_digits(&format!("{day:02}0385{individual:03}"))
            })
        })
        .collect()
}

fn grant_json(subject: &str) -> String {
    format!(
        r#"{{"subject": "{subject}", "grantor": {{"role": "self"}},
        "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
        "explicit": false, "valid_from": "{}",
        "evidence": {{"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                      "interpreter": true}},
        "notice": {{"id": "bosetting-personvern", "version": "2024-10-16"}}}}"#,
        (Utc::now() - chrono::Duration::days(1))
            .trunc_subsecs(0)
            .to_rfc3339()
    )
}

/// A writer process: grants until the deadline, `batch` grants a call (one transaction: `grant`
/// for 1, `grant_many` for more), then prints `granted N` and its calls' latencies.
fn child(url: &str, seconds: u64, index: usize, batch: usize) -> Res<()> {
    let ledger = open(url, 0)?;
    let actor = Actor::new("saksbehandler-17", "case_worker")?;
    let subjects = subjects();
    let requests: Vec<_> = subjects
        .iter()
        .map(|s| ledger.parse_grant(&grant_json(s)))
        .collect::<consent_core::Result<_>>()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut latencies = Vec::new();
    let mut n = index;
    let mut granted = 0u64;
    while Instant::now() < deadline {
        let start = Instant::now();
        if batch == 1 {
            let request = requests.get(n % requests.len()).ok_or("no requests")?;
            ledger.grant(request, &actor)?;
        } else {
            // A window of `batch` different people, moving on each call.
            let start = n % (requests.len().saturating_sub(batch) + 1);
            let calls = requests
                .get(start..start + batch)
                .ok_or("fewer people than a batch")?;
            ledger.grant_many(calls, &actor)?;
        }
        latencies.push(start.elapsed().as_micros());
        n += batch;
        granted += batch as u64;
    }
    latencies.sort_unstable();
    let at = |q: usize| {
        latencies
            .get(latencies.len() * q / 100)
            .copied()
            .unwrap_or(0)
    };
    println!("granted {granted} p50_us={} p99_us={}", at(50), at(99));
    Ok(())
}

/// `clients` writer processes granting `batch` at a time for `seconds`; prints the rate (the
/// names of single grants have no batch in them, as before batches were measured).
fn writers(server: &str, seconds: u64, clients: usize, batch: usize) -> Res<()> {
    let schema = format!("bench_ledger_c{clients}_b{batch}");
    let url = ledger_url(server, &schema);
    drop_schema(server, &schema)?;
    drop(open(&url, 0)?);
    let exe = std::env::current_exe()?;
    let children: Vec<_> = (0..clients)
        .map(|i| {
            Command::new(&exe)
                .env(CHILD, format!("{i}"))
                .env("BENCH_LEDGER_URL", &url)
                .env("BENCH_PG_SECONDS", seconds.to_string())
                .env("BENCH_PG_BATCH", batch.to_string())
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let (mut total, mut p50, mut p99) = (0u64, Vec::new(), Vec::new());
    for mut child in children {
        let out = child.stdout.take().ok_or("no stdout")?;
        for line in BufReader::new(out).lines() {
            let line = line?;
            let mut words = line.split_whitespace();
            if words.next() == Some("granted") {
                total += words.next().ok_or("count")?.parse::<u64>()?;
                for word in words {
                    match word.split_once('=') {
                        Some(("p50_us", v)) => p50.push(v.parse::<u64>()?),
                        Some(("p99_us", v)) => p99.push(v.parse::<u64>()?),
                        _ => {}
                    }
                }
            }
        }
        if !child.wait()?.success() {
            return Err("a writer failed".into());
        }
    }
    let ledger = open(&url, 0)?;
    if ledger.event_count() != total + 1 || !ledger.verify()?.ok {
        return Err("the log does not hold every acknowledged grant once".into());
    }
    let rate = total as f64 / seconds as f64;
    let mean = |v: &[u64]| v.iter().sum::<u64>() / (v.len().max(1) as u64);
    let tag = if batch == 1 {
        format!("c{clients}")
    } else {
        format!("c{clients}_b{batch}")
    };
    println!(
        "BENCH-RESULT ledger_grants_{tag}_per_s={rate:.0} ledger_grant_{tag}_p50_us={} ledger_grant_{tag}_p99_us={}",
        mean(&p50),
        mean(&p99)
    );
    drop_schema(server, &schema)
}

fn drop_schema(server: &str, schema: &str) -> Res<()> {
    let log = PgLog::open(&ledger_url(server, schema))?;
    drop(log);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await?;
        drop(client);
        let _ = driver.await;
        Ok::<_, Box<dyn Error>>(())
    })
}

/// Decisions on a ledger another host writes: the head check (one round trip each), and a
/// bounded staleness of one second (the round trip at most once a second).
fn decisions(server: &str, count: u32) -> Res<()> {
    let schema = "bench_ledger_decide";
    let url = ledger_url(server, schema);
    drop_schema(server, schema)?;
    let writer = open(&url, 0)?;
    let actor = Actor::new("saksbehandler-17", "case_worker")?;
    for subject in subjects().iter().take(200) {
        writer.grant(&writer.parse_grant(&grant_json(subject))?, &actor)?;
    }
    for (name, staleness) in [("head_check", 0), ("staleness_1000ms", 1_000)] {
        let ledger = open(&url, staleness)?;
        let subject = ledger.parse_national_id(subjects().first().ok_or("no subject")?)?;
        let now = Utc::now();
        // Warm up, then time.
        for _ in 0..100 {
            ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], now)?;
        }
        let start = Instant::now();
        for _ in 0..count {
            let decision =
                ledger.decide_with(&subject, "nav", "employment_followup", &["finances"], now)?;
            if !decision.permitted() {
                return Err("the benchmark's decision should permit".into());
            }
        }
        let per = start.elapsed().as_nanos() / u128::from(count);
        println!("BENCH-RESULT pg_decide_{name}_ns={per}");
    }
    drop(writer);
    drop_schema(server, schema)
}

fn main() -> Res<()> {
    if let Ok(index) = std::env::var(CHILD) {
        let url = std::env::var("BENCH_LEDGER_URL")?;
        let seconds = std::env::var("BENCH_PG_SECONDS")?.parse()?;
        let batch = std::env::var("BENCH_PG_BATCH")?.parse()?;
        return child(&url, seconds, index.parse()?, batch);
    }
    let Ok(server) = std::env::var("CONSENT_TEST_POSTGRES_URL") else {
        println!("CONSENT_TEST_POSTGRES_URL is not set: run through scripts/with-postgres.sh");
        return Ok(());
    };
    let seconds: u64 = std::env::var("BENCH_PG_SECONDS")
        .unwrap_or_else(|_| "5".into())
        .parse()?;
    let clients = std::env::var("BENCH_PG_CLIENTS").unwrap_or_else(|_| "1 4 16".into());
    let count: u32 = std::env::var("BENCH_PG_DECISIONS")
        .unwrap_or_else(|_| "20000".into())
        .parse()?;
    if std::env::args().any(|a| a == "--decisions-only") {
        return decisions(&server, count);
    }
    let batch: usize = std::env::var("BENCH_PG_BATCH")
        .unwrap_or_else(|_| "1".into())
        .parse()?;
    if batch == 0 {
        return Err("BENCH_PG_BATCH is at least 1".into());
    }
    for n in clients.split_whitespace() {
        writers(&server, seconds, n.parse()?, batch)?;
    }
    if !std::env::args().any(|a| a == "--writers-only") {
        decisions(&server, count)?;
    }
    Ok(())
}
