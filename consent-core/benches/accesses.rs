//! Logged decisions per second on a SQLite ledger with 1, 8 and 32 concurrent callers (each
//! decision appends an access event and waits until it is durable; concurrent ones share a
//! write through group commit), with p50 and p99 latency; and, in the same run, a raw SQLite
//! loop that inserts rows of the same size with `synchronous = FULL` (and the store's other
//! settings: WAL, 16 KiB pages, checkpoints every 4,096 pages) in transactions of as many rows
//! as there are callers (the most a group commit can gather).
//!
//! Prints one `BENCH-RESULT` line per measurement. `BENCH_ACCESS_TOTAL` (default 4,096) sets
//! how many decisions each configuration makes in all. Run: `cargo bench -p consent-core
//! --bench accesses`.

use std::time::{Duration, Instant};

use consent_core::{Actor, DisclosureRequest, Ledger, LedgerOptions};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `per_mille`th thousandth of `sorted` (500: the median).
fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    let index = sorted.len().saturating_sub(1) * per_mille / 1000;
    sorted.get(index).copied().unwrap_or(Duration::ZERO)
}

fn logged(callers: usize, total: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let options = LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?);
    let ledger = Ledger::open(dir.path().join("consent.db"), options)?;
    let subject = ledger.parse_national_id("15038510190")?;
    let request = DisclosureRequest::new(
        subject,
        "nir",
        "nir_registration",
        &["name", "national_id"],
        "2026-03-01T10:00:00Z".parse()?,
    )?;
    let each = total / callers;
    let before = ledger.event_count();
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..callers)
            .map(|thread| {
                let ledger = ledger.clone();
                let request = request.clone();
                scope.spawn(move || -> Result<Vec<Duration>, consent_core::Error> {
                    let actor = Actor::new(&format!("integrasjon-{thread}"), "system")?;
                    let mut times = Vec::with_capacity(each);
                    for _ in 0..each {
                        let began = Instant::now();
                        let decision =
                            ledger.decide_logged(&request, &actor, "nattlig NIR-overføring")?;
                        std::hint::black_box(decision);
                        times.push(began.elapsed());
                    }
                    Ok(times)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total);
        for handle in handles {
            match handle.join() {
                Ok(Ok(times)) => all.extend(times),
                Ok(Err(error)) => eprintln!("a caller failed: {error}"),
                Err(_) => eprintln!("a caller panicked"),
            }
        }
        all
    });
    let elapsed = start.elapsed();
    let recorded = ledger.event_count() - before;
    latencies.sort_unstable();
    let done = latencies.len();
    println!(
        "BENCH-RESULT logged_decisions callers={callers} decisions={done} recorded={recorded} per_second={:.0} p50_us={} p99_us={}",
        done as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 500).as_micros(),
        percentile(&latencies, 990).as_micros(),
    );
    Ok(())
}

/// Rows of about the size of a stored access event, inserted `batch` at a time.
fn raw_sqlite(batch: usize, total: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let connection = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    // The ledger store's settings (store/sqlite.rs), so only the work differs.
    connection.execute_batch("PRAGMA page_size = 16384;")?;
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    assert_eq!(mode, "wal");
    connection.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 4096; CREATE TABLE events (seq INTEGER PRIMARY KEY, header TEXT NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL);",
    )?;
    let header = "x".repeat(420);
    let payload = vec![7u8; 140];
    let hash = [9u8; 32];
    let start = Instant::now();
    let mut seq = 0i64;
    let rows = i64::try_from(total)?;
    while seq < rows {
        let tx = connection.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (seq, header, payload, hash) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for _ in 0..batch {
                seq += 1;
                insert.execute(rusqlite::params![seq, header, payload, &hash[..]])?;
            }
        }
        tx.commit()?;
    }
    let elapsed = start.elapsed();
    println!(
        "BENCH-RESULT raw_sqlite batch={batch} rows={seq} per_second={:.0}",
        seq as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let total = if quick {
        64
    } else {
        env_usize("BENCH_ACCESS_TOTAL", 4_096)
    };
    for callers in [1, 8, 32] {
        raw_sqlite(callers, total)?;
        logged(callers, total)?;
    }
    Ok(())
}
