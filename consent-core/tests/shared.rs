//! One ledger file, many handles and many processes (DESIGN.md section 7): writes serialise and
//! catch up, exactly one of two withdrawals of a grant wins, a decision never misses a write
//! another handle or process acknowledged, and what must stay exclusive still is.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::*;
use consent_core::{ErrorCode, EventPayload, GrantId, GrantRequest, Ledger, NationalId, OpenMode};

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("consent.db")
}

fn open(path: &Path) -> Ledger {
    Ledger::open(path, options()).unwrap()
}

fn request() -> GrantRequest {
    GrantRequest::from_json(
        &grant_json(
            ADULT,
            &["nav"],
            &["case_handling"],
            &["name", "family"],
            false,
        )
        .to_string(),
    )
    .unwrap()
}

fn adult(ledger: &Ledger) -> NationalId {
    subject(ledger, ADULT)
}

/// Whether `ledger` permits the disclosure the grant of [`request`] covers, and at which
/// ledger position it decided.
fn permits(ledger: &Ledger) -> (bool, u64) {
    let decision = ledger
        .decide_with(
            &adult(ledger),
            "nav",
            "case_handling",
            &["family"],
            at(2026, 3, 1),
        )
        .unwrap();
    (decision.permitted(), decision.as_of_seq())
}

/// Every event's sequence number is its place in the log, the chain verifies, and a fresh
/// replay holds what `ledger` holds.
#[track_caller]
fn consistent(path: &Path, ledger: &Ledger) {
    let fresh = open(path);
    let report = fresh.verify().unwrap();
    assert!(report.ok, "{report:?}");
    let events = fresh.events().unwrap();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64 + 1, "a gap or a repeat in the log");
    }
    assert_eq!(report.events, events.len() as u64);
    // `ledger` catches up on its next decision.
    assert_eq!(permits(ledger).1, events.len() as u64);
    assert_eq!(ledger.event_count(), fresh.event_count());
    assert_eq!(ledger.sizes().unwrap(), fresh.sizes().unwrap());
}

#[test]
fn two_handles_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let b = open(&path);
    assert_eq!(permits(&b), (false, 1));

    let grant = a.grant(&request(), &actor()).unwrap();
    // Acknowledged in `a`: `b`'s next decision sees it, and says where it decided.
    assert_eq!(permits(&b), (true, 2));

    // `b` withdraws; `a` sees it before its next decision.
    b.withdraw(grant, at(2026, 2, 1), &actor(), None).unwrap();
    assert_eq!(permits(&a), (false, 3));

    // The second withdrawal of the same grant, through the other handle, is a conflict and
    // writes nothing: `a` caught up under the write lock before it validated.
    let err = a
        .withdraw(grant, at(2026, 2, 1), &actor(), None)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    assert_eq!(a.event_count(), 3);

    // Writes from both interleave into one chain without gaps.
    for i in 0..10 {
        let writer = if i % 2 == 0 { &a } else { &b };
        writer.grant(&request(), &actor()).unwrap();
    }
    // `a` wrote 12 last; its next decision catches up with `b`'s 13.
    assert_eq!(a.event_count(), 12);
    assert_eq!(permits(&a).1, 13);
    consistent(&path, &a);
    consistent(&path, &b);
}

#[test]
fn reads_through_another_handle_see_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let b = open(&path);
    // `b` has applied only the catalogue's adoption when `a` writes a first grant for a new
    // subject, whose key `b` has never seen.
    let grant = a.grant(&request(), &actor()).unwrap();

    // The events through `b` include the grant, opened with the subject's new key (not read
    // as redacted), and nothing past what `b` could open.
    let events = b.events().unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[1].payload, EventPayload::GrantRecorded(g) if g.grant_id == grant),
        "{:?}",
        events[1].payload
    );

    // The person's export through `b` holds the grant `a` acknowledged.
    let export = b.subject_export(&adult(&b), &actor(), LOOKUP).unwrap();
    assert_eq!(export.consent_records.len(), 1);

    // A withdrawal through `a` shows in `b`'s export without anything else in between.
    a.withdraw(grant, a.now(), &actor(), None).unwrap();
    let export = b.subject_export(&adult(&b), &actor(), LOOKUP).unwrap();
    assert_eq!(
        export.consent_records[0].event_state,
        consent_core::GrantStatus::Withdrawn
    );
}

#[test]
fn a_write_waits_for_another_writer_only_as_long_as_it_was_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let wait = std::time::Duration::from_millis(100);
    let ledger = Ledger::open(&path, options().with_write_wait(wait)).unwrap();
    ledger.grant(&request(), &actor()).unwrap();

    // Another writer holds the lock (here: this process, through a file description of its
    // own, which excludes the ledger's just as another process's would).
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("consent.db.lock"))
        .unwrap();
    held.lock().unwrap();
    let started = std::time::Instant::now();
    let err = ledger.grant(&request(), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked, "{}", err.message());
    assert!(started.elapsed() >= wait, "it gave up before its limit");
    // The message names the holder and the limit, so an operator knows whom to look at.
    assert!(
        err.message()
            .contains(&format!("pid {}", std::process::id())),
        "{}",
        err.message()
    );
    assert!(err.message().contains("100 ms"), "{}", err.message());
    assert_eq!(ledger.event_count(), 2, "nothing was written");

    held.unlock().unwrap();
    ledger.grant(&request(), &actor()).unwrap();
    assert_eq!(ledger.event_count(), 3);
    consistent(&path, &ledger);

    // Through the options document of the C ABI (which C# fills from `LedgerOptions.WriteWait`).
    let options = consent_core::LedgerOptions::from_json(r#"{"write_wait_ms": 250}"#).unwrap();
    assert_eq!(
        options.write_wait,
        Some(std::time::Duration::from_millis(250))
    );
    let err = consent_core::LedgerOptions::from_json(r#"{"write_wait_ms": 0}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

/// The POSIX locks this process holds on the file at `path`, from the kernel's table.
#[cfg(target_os = "linux")]
fn posix_locks_held(path: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(path).unwrap().ino();
    let pid = std::process::id().to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter(|line| !line.contains("->"))
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&"POSIX")
                && fields.get(4) == Some(&pid.as_str())
                && fields
                    .get(5)
                    .is_some_and(|f| f.ends_with(&format!(":{inode}")))
        })
        .count()
}

/// Opening a ledger the process already has open must not close a descriptor of its file:
/// that would drop SQLite's locks on it (the shared lock that tells other processes a WAL
/// reader is still there), which SQLite cannot notice.
#[cfg(target_os = "linux")]
#[test]
fn a_second_handle_keeps_the_first_handles_sqlite_locks() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let held = posix_locks_held(&path);
    assert!(
        held > 0,
        "a WAL connection holds a shared lock on its database"
    );
    let b = open(&path);
    assert!(
        posix_locks_held(&path) >= held,
        "the second open dropped the first handle's SQLite locks"
    );
    // A read-only handle and a backup's check of the file do not either.
    let c = Ledger::open(&path, options().with_mode(OpenMode::ReadOnly)).unwrap();
    assert!(posix_locks_held(&path) >= held);
    drop((b, c));
    assert!(
        posix_locks_held(&path) >= held,
        "closing the others kept the first's"
    );
    assert!(permits(&a).1 >= 1);
}

#[test]
fn a_disclosure_is_checked_again_under_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let b = open(&path);
    let grant = a.grant(&request(), &actor()).unwrap();
    assert!(permits(&b).0);
    a.withdraw(grant, at(2026, 2, 1), &actor(), None).unwrap();
    // `b` has not decided since: recording the disclosure catches up first and refuses.
    let disclosure = consent_core::DisclosureRequest::new(
        adult(&b),
        "nav",
        "case_handling",
        &["family"],
        at(2026, 3, 1),
    )
    .unwrap();
    let err = b.record_disclosure(&disclosure, &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotPermitted, "{}", err.message());
    assert_eq!(b.event_count(), 3);
    consistent(&path, &b);
}

#[test]
fn a_read_only_handle_beside_a_writer_sees_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let writer = open(&path);
    let reader = Ledger::open(&path, options().with_mode(OpenMode::ReadOnly)).unwrap();
    assert_eq!(permits(&reader), (false, 1));
    let grant = writer.grant(&request(), &actor()).unwrap();
    assert_eq!(permits(&reader), (true, 2));
    writer
        .withdraw(grant, at(2026, 2, 1), &actor(), None)
        .unwrap();
    assert_eq!(permits(&reader), (false, 3));
    let err = reader.grant(&request(), &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    assert!(reader.verify().unwrap().ok);
}

#[test]
fn a_symlink_leads_to_the_same_lock_and_a_hard_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    std::fs::copy(
        dir.path().join("consent.db.key"),
        dir.path().join("link.db.key"),
    )
    .unwrap();
    let b = open(&link);
    let grant = a.grant(&request(), &actor()).unwrap();
    assert!(
        permits(&b).0,
        "a write through one name is seen through the other"
    );
    b.withdraw(grant, at(2026, 2, 1), &actor(), None).unwrap();
    assert!(!permits(&a).0);
    consistent(&path, &a);

    let hard = dir.path().join("hard.db");
    std::fs::hard_link(&path, &hard).unwrap();
    let err = Ledger::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    assert!(err.message().contains("hard links"), "{}", err.message());
}

#[test]
fn creating_a_ledger_is_still_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    // Another process creating the ledger holds its lock file's lock.
    let lock = std::fs::File::create(dir.path().join("consent.db.lock")).unwrap();
    lock.lock().unwrap();
    let err = Ledger::open(&path, options().with_mode(OpenMode::Create)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked, "{}", err.message());
    assert!(!path.exists(), "a refused creation leaves nothing");
    lock.unlock().unwrap();
    drop(Ledger::open(&path, options().with_mode(OpenMode::Create)).unwrap());
    // Once made, any number of handles open it.
    let (a, b) = (open(&path), open(&path));
    assert_eq!(a.event_count(), b.event_count());
}

// Several processes: this test binary, started again with an environment variable that picks
// what the child does (the child tests below do nothing without it).

const CHILD_DB: &str = "CONSENT_SHARED_CHILD_DB";
const CHILD_ROLE: &str = "CONSENT_SHARED_CHILD_ROLE";

fn spawn(path: &Path, role: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "shared::shared_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, path)
        .env(CHILD_ROLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// What follows `prefix` on each line a child printed that holds it (the test harness may
/// print its own text before the child's first line).
fn lines(child: Child, prefix: &str) -> Vec<String> {
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "a child failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(prefix).map(|(_, rest)| rest.to_owned()))
        .collect()
}

/// The child side of the tests below; a no-op unless started by them.
#[test]
fn shared_child() {
    let (Ok(path), Ok(role)) = (std::env::var(CHILD_DB), std::env::var(CHILD_ROLE)) else {
        return;
    };
    let ledger = open(Path::new(&path));
    let mut out = std::io::stdout().lock();
    let mut input = BufReader::new(std::io::stdin().lock());
    match role.split_once(':') {
        // Grants and withdraws `n` times, deciding after each write, printing every
        // acknowledged grant.
        Some(("writer", n)) => {
            for _ in 0..n.parse::<usize>().unwrap() {
                let grant = ledger.grant(&request(), &actor()).unwrap();
                writeln!(out, "granted {grant}").unwrap();
                out.flush().unwrap();
                // Its own grant permits until it withdraws it, whatever the others do.
                assert!(permits(&ledger).0);
                ledger
                    .withdraw(grant, at(2026, 2, 1), &actor(), None)
                    .unwrap();
                writeln!(out, "withdrew {grant}").unwrap();
            }
        }
        // Waits for a grant id on stdin, then withdraws it once, reporting the outcome.
        Some(("withdraw", _)) => {
            let mut line = String::new();
            input.read_line(&mut line).unwrap();
            let grant: GrantId = line.trim().parse().unwrap();
            match ledger.withdraw(grant, at(2026, 2, 1), &actor(), None) {
                Ok(()) => writeln!(out, "outcome ok").unwrap(),
                Err(e) => writeln!(out, "outcome {:?}", e.code()).unwrap(),
            }
        }
        // For each grant id on stdin: withdraws it and acknowledges on stdout.
        Some(("acknowledge", _)) => {
            let mut line = String::new();
            while input.read_line(&mut line).unwrap() > 0 {
                let grant: GrantId = line.trim().parse().unwrap();
                ledger
                    .withdraw(grant, at(2026, 2, 1), &actor(), None)
                    .unwrap();
                writeln!(out, "withdrawn").unwrap();
                out.flush().unwrap();
                line.clear();
            }
        }
        // Waits for an idempotency key on stdin, then grants with it, printing the id.
        Some(("keyed", _)) => {
            let mut line = String::new();
            input.read_line(&mut line).unwrap();
            let mut request = request();
            request.idempotency_key = Some(line.trim().to_owned());
            let grant = ledger.grant(&request, &actor()).unwrap();
            writeln!(out, "keyed {grant}").unwrap();
        }
        _ => unreachable!("unknown child role `{role}`"),
    }
    out.flush().unwrap();
}

#[test]
fn processes_write_one_gap_free_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let ledger = open(&path);
    let children: Vec<Child> = (0..3).map(|_| spawn(&path, "writer:40")).collect();
    // This process writes too, while they do.
    let mut mine = Vec::new();
    for _ in 0..40 {
        mine.push(ledger.grant(&request(), &actor()).unwrap());
    }
    let mut acknowledged: Vec<String> = mine.iter().map(GrantId::to_string).collect();
    for child in children {
        acknowledged.extend(lines(child, "granted "));
    }
    assert_eq!(acknowledged.len(), 160);
    // 1 adoption + 40 here + 3 × 40 × (grant + withdrawal).
    consistent(&path, &ledger);
    assert_eq!(ledger.event_count(), 1 + 40 + 240);
    let recorded: Vec<String> = open(&path)
        .events()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.payload {
            EventPayload::GrantRecorded(g) => Some(g.grant_id.to_string()),
            _ => None,
        })
        .collect();
    let unique: HashSet<&String> = recorded.iter().collect();
    assert_eq!(unique.len(), recorded.len(), "a grant recorded twice");
    for id in &acknowledged {
        assert!(unique.contains(id), "acknowledged grant {id} is missing");
    }
}

#[test]
fn of_two_processes_withdrawing_one_grant_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let ledger = open(&path);
    for round in 0..5 {
        let grant = ledger.grant(&request(), &actor()).unwrap();
        let mut children: Vec<Child> = (0..2).map(|_| spawn(&path, "withdraw:1")).collect();
        // Both are open and waiting; release them at once.
        for child in &mut children {
            writeln!(child.stdin.as_mut().unwrap(), "{grant}").unwrap();
        }
        let mut outcomes: Vec<String> = children
            .into_iter()
            .flat_map(|c| lines(c, "outcome "))
            .collect();
        outcomes.sort();
        assert_eq!(outcomes, ["Conflict", "ok"], "round {round}");
    }
    // Each round: one grant, one withdrawal, nothing from the loser.
    assert_eq!(permits(&ledger).1, 1 + 5 * 2);
    consistent(&path, &ledger);
}

#[test]
fn two_processes_writing_one_idempotency_key_at_once_write_one_grant() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let ledger = open(&path);
    for round in 0..5 {
        let mut children: Vec<Child> = (0..2).map(|_| spawn(&path, "keyed:")).collect();
        for child in &mut children {
            writeln!(child.stdin.as_mut().unwrap(), "skjema-{round}").unwrap();
        }
        let ids: Vec<String> = children
            .into_iter()
            .flat_map(|c| lines(c, "keyed "))
            .collect();
        assert_eq!(ids.len(), 2, "round {round}");
        assert_eq!(
            ids[0], ids[1],
            "round {round}: both callers get the first grant's id"
        );
    }
    // One grant a round, after the catalogue's adoption.
    assert_eq!(permits(&ledger).1, 1 + 5);
    consistent(&path, &ledger);
}

#[test]
fn a_decision_after_another_process_acknowledged_a_withdrawal_denies() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let ledger = open(&path);
    let mut child = spawn(&path, "acknowledge:");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // 1,000 by default; the README's test command runs 10,000 (each round is a grant here, a
    // withdrawal there and two decisions, a few milliseconds).
    let rounds = count("CONSENT_SHARED_ROUNDS", 1_000);
    for round in 0..rounds {
        let grant = ledger.grant(&request(), &actor()).unwrap();
        assert!(permits(&ledger).0, "round {round}: the grant permits");
        writeln!(stdin, "{grant}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended");
            if line.trim().ends_with("withdrawn") {
                break;
            }
        }
        let (permitted, as_of) = permits(&ledger);
        assert!(!permitted, "round {round}: a stale permit");
        assert_eq!(as_of, 1 + 2 * (round + 1), "round {round}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    consistent(&path, &ledger);
    println!("freshness: {rounds} rounds across two processes, no stale permit");
}

/// A count a test runs by default, or the one an environment variable asks for.
fn count(variable: &str, default: u64) -> u64 {
    match std::env::var(variable) {
        Ok(value) => value.parse().unwrap(),
        Err(_) => default,
    }
}

#[test]
fn writers_killed_at_random_points_lose_nothing_they_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(open(&path));
    // 5 rounds of two kills by default; the README's test command runs 10 (20 kills).
    let rounds = count("CONSENT_SHARED_KILL_ROUNDS", 5);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("kill -9 test: seed {seed}");
    let mut pause = move || {
        // xorshift64: a pause of 0 to 100 ms after a writer's first acknowledged write, so
        // kills land anywhere in its loop of writes (a few milliseconds each).
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::time::Duration::from_millis(seed % 100)
    };
    let (mut granted, mut withdrawn) = (Vec::new(), Vec::new());
    let mut kills = 0;
    for _ in 0..rounds {
        let mut writers: Vec<Child> = (0..2).map(|_| spawn(&path, "writer:1000000")).collect();
        let mut outputs = Vec::new();
        for writer in &mut writers {
            // Killed only once it is writing: after its first acknowledged grant.
            let mut out = BufReader::new(writer.stdout.take().unwrap());
            let mut seen = String::new();
            loop {
                let mut line = String::new();
                assert!(
                    out.read_line(&mut line).unwrap() > 0,
                    "a writer ended before writing"
                );
                seen.push_str(&line);
                if line.contains("granted ") {
                    break;
                }
            }
            std::thread::sleep(pause());
            // `Child::kill` is SIGKILL: no destructor, no unlock, no flush.
            writer.kill().unwrap();
            kills += 1;
            outputs.push((seen, out));
        }
        for (writer, (mut text, mut out)) in writers.into_iter().zip(outputs) {
            std::io::Read::read_to_string(&mut out, &mut text).unwrap();
            drop(writer.wait_with_output().unwrap());
            // Only complete lines count: a kill can cut the last one short.
            let before = granted.len();
            for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
                if let Some((_, id)) = line.trim_end().split_once("granted ") {
                    granted.push(id.parse::<GrantId>().unwrap());
                } else if let Some((_, id)) = line.trim_end().split_once("withdrew ") {
                    withdrawn.push(id.parse::<GrantId>().unwrap());
                }
            }
            assert!(
                granted.len() > before,
                "a writer was killed before it wrote"
            );
        }
    }

    // The lock is free for the others: a write that would wait at most a second succeeds.
    let ledger = Ledger::open(
        &path,
        options().with_write_wait(std::time::Duration::from_secs(1)),
    )
    .unwrap();
    ledger.grant(&request(), &actor()).unwrap();
    consistent(&path, &ledger);

    // Every acknowledged grant and withdrawal is in the log exactly once.
    let events = open(&path).events().unwrap();
    let mut recorded_grants = HashSet::new();
    let mut recorded_withdrawals = HashSet::new();
    for event in &events {
        match &event.payload {
            EventPayload::GrantRecorded(g) => {
                assert!(recorded_grants.insert(g.grant_id), "a grant recorded twice");
            }
            EventPayload::GrantWithdrawn(w) => {
                assert!(
                    recorded_withdrawals.insert(w.grant_id),
                    "a withdrawal recorded twice"
                );
            }
            _ => {}
        }
    }
    for grant in &granted {
        assert!(
            recorded_grants.contains(grant),
            "acknowledged grant {grant} is lost"
        );
    }
    for grant in &withdrawn {
        assert!(
            recorded_withdrawals.contains(grant),
            "acknowledged withdrawal of {grant} is lost"
        );
    }
    println!(
        "kill -9 test: {kills} kills, {} acknowledged grants and {} withdrawals all present once",
        granted.len(),
        withdrawn.len()
    );
}

/// A prepared request decides on fresh state too: a withdrawal through another handle is seen
/// by the next prepared decision, one at a time and in a batch.
#[test]
fn a_prepared_request_sees_another_handles_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = open(&path);
    let b = open(&path);
    let grant = b.grant(&request(), &actor()).unwrap();
    let (recipient, purpose, category) = ("nav", "case_handling", "family");
    let prepared = a.prepare(recipient, purpose, &[category], &[]).unwrap();
    let subject = adult(&a);
    let when = at(2026, 3, 1);
    let before = a.decide_prepared(&prepared, &subject, when).unwrap();
    assert!(before.permitted(), "{}", before.explain());
    assert_eq!(before.as_of_seq(), 2);
    b.withdraw(grant, at(2026, 2, 1), &actor(), None).unwrap();
    let after = a.decide_prepared(&prepared, &subject, when).unwrap();
    assert!(!after.permitted());
    assert_eq!(after.as_of_seq(), 3);
    let many = a
        .decide_prepared_many(&prepared, std::slice::from_ref(&subject), when)
        .unwrap();
    assert!(!many[0].as_ref().unwrap().permitted());
}
