//! Two threads of one process writing and deciding on a ledger that other processes use at the
//! same time (a file, or a PostgreSQL schema standing in for a ledger shared by hosts): the Rust
//! process of `tests/shared/four_kinds.py`, which runs it beside a C program, a Python script
//! and the CLI (`scripts/test-shared.sh`). It lives in consent-postgres so that it opens both
//! kinds of ledger through `consent_postgres::open`; a PostgreSQL ledger's key file is named by
//! the environment variable `CONSENT_WORKER_KEY_FILE`. Each thread grants a
//! consent, withdraws it, and in between decides for random subjects; every decision must be
//! made at a ledger position no earlier than the one before it.
//!
//! Run: `cargo run -p consent-postgres --example shared_worker -- LEDGER SUBJECTS_FILE TAG WRITES DECISIONS`
//!
//! It prints `ready` once open and starts on a `go` line, then `ack grant|withdraw ID UNIX_MS` after each acknowledged write and `done W D` at the
//! end, then answers each `report AT_MS` line on standard input with `view AS_OF BITS`: the
//! decision for every subject at that instant (1 permitted) and the position it was made at.

use std::error::Error;
use std::io::{BufRead, Write};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use consent_core::{Actor, GrantId, Ledger, LedgerOptions, NationalId};

type Failure = Box<dyn Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, subjects_file, tag, writes, decisions] = args.as_slice() else {
        return Err("usage: shared_worker DB SUBJECTS_FILE TAG WRITES DECISIONS".into());
    };
    let writes: u64 = writes.parse()?;
    let decisions: u64 = decisions.parse()?;
    let mut options = LedgerOptions::default();
    if let Some(key_file) = std::env::var_os("CONSENT_WORKER_KEY_FILE") {
        options = options.with_key_file(key_file);
    }
    let ledger = consent_postgres::open(db, options)?;
    let subjects: Vec<NationalId> = std::fs::read_to_string(subjects_file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| ledger.parse_national_id(l.trim()))
        .collect::<Result<_, _>>()?;
    if subjects.is_empty() {
        return Err("no subjects".into());
    }
    // Opened: wait for the driver's `go`, which every worker gets at once.
    println!("ready");
    std::io::stdout().flush()?;
    let mut go = String::new();
    std::io::stdin().read_line(&mut go)?;
    if go.trim() != "go" {
        return Err("no go".into());
    }
    let out = Mutex::new(std::io::stdout());
    let ack = |kind: &str, id: GrantId| -> Result<(), Failure> {
        let mut out = out.lock().map_err(|_| "stdout lock poisoned")?;
        writeln!(out, "ack {kind} {id} {}", Utc::now().timestamp_millis())?;
        out.flush()?;
        Ok(())
    };
    std::thread::scope(|scope| -> Result<(), Failure> {
        let handles: Vec<_> = (0..2u64)
            .map(|index| {
                let (ledger, subjects, ack) = (&ledger, &subjects, &ack);
                scope.spawn(move || -> Result<(), Failure> {
                    run(ledger, subjects, tag, index, writes, decisions, ack)
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| "a thread panicked")??;
        }
        Ok(())
    })?;
    {
        let mut out = out.lock().map_err(|_| "stdout lock poisoned")?;
        writeln!(out, "done {} {}", 2 * writes, 2 * decisions)?;
        out.flush()?;
    }
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let Some(at) = line.strip_prefix("report ") else {
            continue;
        };
        let at = DateTime::from_timestamp_millis(at.trim().parse()?).ok_or("bad instant")?;
        let mut bits = String::with_capacity(subjects.len());
        let mut as_of = 0;
        for subject in &subjects {
            let decision = decide(&ledger, subject, at)?;
            bits.push(if decision.permitted() { '1' } else { '0' });
            as_of = as_of.max(decision.as_of_seq());
        }
        let mut out = out.lock().map_err(|_| "stdout lock poisoned")?;
        writeln!(out, "view {as_of} {bits}")?;
        out.flush()?;
    }
    Ok(())
}

fn decide(
    ledger: &Ledger,
    subject: &NationalId,
    at: DateTime<Utc>,
) -> Result<consent_core::Decision, Failure> {
    Ok(ledger.decide_with(subject, "nav", "employment_followup", &["finances"], at)?)
}

fn run(
    ledger: &Ledger,
    subjects: &[NationalId],
    tag: &str,
    index: u64,
    writes: u64,
    decisions: u64,
    ack: &(dyn Fn(&str, GrantId) -> Result<(), Failure> + Sync),
) -> Result<(), Failure> {
    let actor = Actor::new("rust-worker", "case_worker")?;
    // xorshift64: a subject at random, without a dependency.
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (index + 1);
    let mut pick = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % subjects.len() as u64).unwrap_or(0)
    };
    let per_write = decisions / writes.max(1);
    let mut last = 0;
    let mut decided = 0;
    let mut decide_one = |pick: &mut dyn FnMut() -> usize| -> Result<(), Failure> {
        let subject = subjects.get(pick()).ok_or("no subject")?;
        let decision = decide(ledger, subject, Utc::now())?;
        if decision.as_of_seq() < last {
            return Err(
                format!("a decision at {} after one at {last}", decision.as_of_seq()).into(),
            );
        }
        last = decision.as_of_seq();
        Ok(())
    };
    let mut granted: Option<GrantId> = None;
    for i in 0..writes {
        match granted.take() {
            None => {
                let subject = subjects.get(pick()).ok_or("no subject")?;
                let valid_from = (Utc::now() - Duration::minutes(1)).to_rfc3339();
                let json = format!(
                    r#"{{"subject": "{}", "grantor": {{"role": "self"}},
                    "purposes": ["employment_followup"], "recipients": ["nav"],
                    "categories": ["finances"], "explicit": false, "valid_from": "{valid_from}",
                    "evidence": {{"method": "signed_paper", "reference": "{tag}-{index}-{i}",
                    "language": "ar", "interpreter": true}},
                    "notice": {{"id": "bosetting-personvern", "version": "2024-10-16"}}}}"#,
                    subject.expose()
                );
                let id = ledger.grant(&ledger.parse_grant(&json)?, &actor)?;
                ack("grant", id)?;
                granted = Some(id);
            }
            Some(id) => {
                ledger.withdraw(id, Utc::now(), &actor, None)?;
                ack("withdraw", id)?;
            }
        }
        for _ in 0..per_write {
            decide_one(&mut pick)?;
            decided += 1;
        }
    }
    while decided < decisions {
        decide_one(&mut pick)?;
        decided += 1;
    }
    Ok(())
}
