//! What a decision pays to learn whether another process wrote: the shared head counter and the
//! fork check, against the system calls that would do the same job (`fstat` of the database
//! file, `PRAGMA data_version` on an open SQLite connection). BENCHMARKS.md shows the ratio.

use std::error::Error;
use std::hint::black_box;

use consent_shm::{Access, ForkGuard, SharedHead};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    _dir: tempfile::TempDir,
    conn: rusqlite::Connection,
    db_file: std::fs::File,
    head: SharedHead,
    guard: ForkGuard,
}

/// A WAL-mode SQLite database with one row, the database file opened, and a head file beside it.
fn fixture() -> Result<Fixture, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("ledger.db");
    let conn = rusqlite::Connection::open(&db_path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE events (seq INTEGER PRIMARY KEY, body BLOB);
         INSERT INTO events (body) VALUES (zeroblob(900));",
    )?;
    let db_file = std::fs::File::open(&db_path)?;
    let head = SharedHead::open(dir.path().join("ledger.db.head"), [1; 16], Access::Owner)?;
    head.advance(1);
    let guard = ForkGuard::new()?;
    Ok(Fixture {
        _dir: dir,
        conn,
        db_file,
        head,
        guard,
    })
}

fn head_check(c: &mut Criterion) {
    let fixture = match fixture() {
        Ok(fixture) => fixture,
        Err(e) => {
            eprintln!("head_check: cannot build the fixture: {e}");
            std::process::exit(1);
        }
    };
    let Fixture {
        conn,
        db_file,
        head,
        guard,
        ..
    } = &fixture;
    let mut group = c.benchmark_group("freshness_check");
    group.bench_function("shared_head_load", |b| b.iter(|| black_box(head).load()));
    group.bench_function("fork_guard_is_forked", |b| {
        b.iter(|| black_box(guard).is_forked())
    });
    // What a decision does: not forked, and the head is where this process last caught up.
    group.bench_function("head_load_and_fork_check", |b| {
        let seen = 1u64;
        b.iter(|| !black_box(guard).is_forked() && black_box(head).load() == black_box(seen))
    });
    group.bench_function("fstat_database_file", |b| {
        b.iter(|| black_box(db_file).metadata().map(|m| m.len()).is_ok())
    });
    match conn.prepare("PRAGMA data_version") {
        Ok(mut statement) => {
            group.bench_function("pragma_data_version", |b| {
                b.iter(|| {
                    black_box(&mut statement)
                        .query_row([], |row| row.get::<_, i64>(0))
                        .is_ok()
                })
            });
        }
        Err(e) => {
            eprintln!("head_check: cannot prepare PRAGMA data_version: {e}");
            std::process::exit(1);
        }
    }
    group.finish();
}

criterion_group!(benches, head_check);
criterion_main!(benches);
