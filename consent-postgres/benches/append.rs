//! PgLog appends per second with 1, 4 and 16 concurrent writer processes, single records and
//! batches of 100, each record the size of a stored grant (a 450-byte header chained by
//! SHA-256 to the one before, a 500-byte payload, a random subject). Not a criterion bench: it
//! times whole processes, as `bench/postgres/run.sh` times pgbench's raw transaction on the same
//! server in the same run (that script prints the ratio).
//!
//! Needs `CONSENT_TEST_POSTGRES_URL` (run it through `scripts/with-postgres.sh`); without it,
//! it says so and exits 0. Settings: `BENCH_PG_SECONDS` (default 5), `BENCH_PG_CLIENTS`
//! (default `1 4 16`), `BENCH_PG_BATCHES` (default `1 100`), `BENCH_PG_MODES` (default
//! `append catchup`).
//!
//! Modes: `append` writes under the lock with the log's end and last hash read there (the
//! store's own cost, what the raw comparator does too); `catchup` first reads, under the lock,
//! every record the other writers appended since this one's last write, as the shared write
//! path does before it validates; `tail` does the same, but a second thread of each writer
//! process keeps reading new records outside the lock (woken by the `Listener`), so that under
//! the lock only what committed since is left to read.
//!
//! Each writer process prints `appended N` and its write latencies; the parent sums them and
//! prints `BENCH-RESULT pglog_<mode>_c<clients>_b<batch>_appends_per_s=…` lines.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use consent_core::storage::{EventRecord, Hash, Head};
use consent_postgres::PgLog;
use sha2::{Digest, Sha256};

const CHILD: &str = "CONSENT_BENCH_PG_CHILD";
const SCHEMA: &str = "bench_pglog";

type Res<T> = Result<T, Box<dyn Error>>;

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn ledger_url(server: &str) -> String {
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}schema={SCHEMA}")
}

/// A xorshift generator: subjects spread over the index like pseudonyms do.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A record the size of a stored grant, chained to `prev`.
fn record(seq: u64, prev: &Hash, rng: &mut Rng) -> EventRecord {
    let mut subject = [0u8; 16];
    subject[..8].copy_from_slice(&rng.next().to_le_bytes());
    subject[8..].copy_from_slice(&rng.next().to_le_bytes());
    let prev_hex: String = prev.iter().map(|b| format!("{b:02x}")).collect();
    let mut header = format!(
        "{{\"v\":1,\"seq\":{seq},\"id\":\"0190b5d4-1c2b-7f3e-9a4b-{:012x}\",\"recorded_at\":\"2026-03-01T10:00:00.000000Z\",\"actor\":{{\"id\":\"saksbehandler-17\",\"role\":\"case_worker\"}},\"kind\":\"grant_recorded\",\"sealed\":true,\"prev_hash\":\"{prev_hex}\",\"payload_sha256\":\"",
        rng.next() & 0xffff_ffff_ffff
    );
    while header.len() < 448 {
        header.push('0');
    }
    header.push_str("\"}");
    let payload: Vec<u8> = (0..63)
        .flat_map(|_| rng.next().to_le_bytes())
        .take(500)
        .collect();
    let hash: Hash = Sha256::digest(header.as_bytes()).into();
    EventRecord::new(seq, Some(subject), header, payload, hash)
}

/// One writer process: waits for the start instant, writes for `seconds`, prints its count and
/// its write latencies in microseconds.
fn child(spec: &str) -> Res<()> {
    let parts: Vec<&str> = spec.split(',').collect();
    let [server, mode, batch, seconds, start_ms, index] = parts.as_slice() else {
        return Err(format!("bad child spec {spec}").into());
    };
    let batch: u64 = batch.parse()?;
    let seconds: u64 = seconds.parse()?;
    let start_ms: u128 = start_ms.parse()?;
    let index: u64 = index.parse()?;
    let catchup = *mode == "catchup" || *mode == "tail";
    let log = Arc::new(PgLog::open(&ledger_url(&server.replace("%2C", ",")))?);
    // `tail`: the newest record the tailing thread has read (outside the lock).
    let tailed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tailer = (*mode == "tail").then(|| {
        let (log, tailed, stop) = (Arc::clone(&log), Arc::clone(&tailed), Arc::clone(&stop));
        std::thread::spawn(move || -> Result<(), String> {
            let mut listener = log.listen().map_err(|e| e.to_string())?;
            while !stop.load(Ordering::Relaxed) {
                let from = tailed.load(Ordering::Acquire) + 1;
                log.scan(from, &mut |r| {
                    std::hint::black_box(&r);
                    tailed.store(r.seq, Ordering::Release);
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
                listener
                    .wait(Duration::from_millis(20))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (index + 1).wrapping_mul(0x1234_5678_9abc_def1));
    // The writer's own view of the log: what it last wrote or read.
    let mut seen = log.last_seq()?;
    loop {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
        if now >= start_ms {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut appended = 0u64;
    let mut latencies: Vec<u32> = Vec::new();
    let mut caught_up = 0u64;
    while Instant::now() < deadline {
        let started = Instant::now();
        let (end, read) = log.write(|txn| {
            let mut read = 0u64;
            let from = seen.max(tailed.load(Ordering::Acquire));
            if catchup && txn.last_seq() > from {
                txn.records_after(from, &mut |r| {
                    read += 1;
                    std::hint::black_box(&r);
                    Ok(())
                })?;
            }
            let mut prev = txn.last_hash();
            let first = txn.next_seq();
            let _recorded_at = txn.now();
            let records: Vec<EventRecord> = (first..first + batch)
                .map(|seq| {
                    let r = record(seq, &prev, &mut rng);
                    prev = r.hash;
                    r
                })
                .collect();
            txn.append(&records)?;
            let end = first + batch - 1;
            txn.set_head(&Head::from_parts(end, prev, [0x5a; 32]));
            Ok((end, read))
        })?;
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        seen = end;
        appended += batch;
        caught_up += read;
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(tailer) = tailer {
        tailer.join().map_err(|_| "the tailing thread panicked")??;
    }
    println!("appended {appended} caught_up {caught_up}");
    let text: Vec<String> = latencies.iter().map(u32::to_string).collect();
    println!("latencies {}", text.join(" "));
    Ok(())
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "an index between 0 and len - 1, rounded from a fraction of it"
)]
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(index).copied().unwrap_or(0)
}

/// Runs `clients` writer processes for `seconds`; returns (appends/s, p50 µs, p99 µs, records
/// read in catch-up per write).
fn run(
    server: &str,
    mode: &str,
    clients: u64,
    batch: u64,
    seconds: u64,
) -> Res<(f64, u32, u32, f64)> {
    // A fresh ledger schema each run, so every run starts from an empty log.
    reset(server)?;
    drop(PgLog::open(&ledger_url(server))?);
    let start_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() + 1_500;
    let exe = std::env::current_exe()?;
    let children: Vec<_> = (0..clients)
        .map(|i| {
            Command::new(&exe)
                .env(
                    CHILD,
                    format!(
                        "{},{mode},{batch},{seconds},{start_ms},{i}",
                        server.replace(',', "%2C")
                    ),
                )
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let mut appended = 0u64;
    let mut caught_up = 0u64;
    let mut latencies: Vec<u32> = Vec::new();
    for mut child in children {
        let stdout = child.stdout.take().ok_or("no child stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(rest) = line.strip_prefix("appended ") {
                let mut words = rest.split_whitespace();
                appended += words.next().ok_or("count")?.parse::<u64>()?;
                caught_up += words.nth(1).ok_or("caught_up")?.parse::<u64>()?;
            } else if let Some(rest) = line.strip_prefix("latencies ") {
                for word in rest.split_whitespace() {
                    latencies.push(word.parse()?);
                }
            }
        }
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("a writer process failed: {status}").into());
        }
    }
    latencies.sort_unstable();
    let writes = latencies.len().max(1) as f64;
    Ok((
        appended as f64 / seconds as f64,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        caught_up as f64 / writes,
    ))
}

/// Drops the bench schema (a new PgLog creates it again).
fn reset(server: &str) -> Res<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            .await?;
        drop(client);
        let _ = driver.await;
        Ok::<(), Box<dyn Error>>(())
    })
}

fn main() -> Res<()> {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let Ok(server) = std::env::var("CONSENT_TEST_POSTGRES_URL") else {
        println!(
            "append bench: CONSENT_TEST_POSTGRES_URL is not set; run it through scripts/with-postgres.sh"
        );
        return Ok(());
    };
    let seconds: u64 = std::env::var("BENCH_PG_SECONDS")
        .unwrap_or_else(|_| "5".to_owned())
        .parse()?;
    let clients = env_list("BENCH_PG_CLIENTS", "1 4 16");
    let batches = env_list("BENCH_PG_BATCHES", "1 100");
    let modes = env_list("BENCH_PG_MODES", "append catchup");
    println!(
        "| mode | writers | batch | appends/s | write p50 | write p99 | read in catch-up per write |"
    );
    println!("|---|---|---|---|---|---|---|");
    for mode in &modes {
        for batch in &batches {
            for c in &clients {
                let (rate, p50, p99, read) =
                    run(&server, mode, c.parse()?, batch.parse()?, seconds)?;
                println!(
                    "| {mode} | {c} | {batch} | {rate:.0} | {p50} µs | {p99} µs | {read:.0} |"
                );
                println!(
                    "BENCH-RESULT pglog_{mode}_c{c}_b{batch}_appends_per_s={rate:.0} pglog_{mode}_c{c}_b{batch}_p50_us={p50} pglog_{mode}_c{c}_b{batch}_p99_us={p99}"
                );
            }
        }
    }
    Ok(())
}
