//! The shared ledger's guarantees on PostgreSQL, proved with several processes, each with its
//! own `PgLog` (its own connections), standing in for hosts. The test binary runs itself as the
//! child processes (`CONSENT_PG_CHILD` selects what a child does); parent and children talk
//! through pipes, one line at a time (a child's answers follow `@@ `, so the test harness's
//! own output is skipped).
//!
//! `CONSENT_PG_ROUNDS` sets the rounds of the freshness test (default 2,000; the proof
//! runs 10,000).

#![expect(
    clippy::string_slice,
    clippy::cast_possible_truncation,
    clippy::expect_used,
    reason = "the shared test helpers slice ASCII names and make test bytes from small counters; helpers fail the test on a bad fixture or a broken pipe"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use consent_core::{Actor, EventPayload, Ledger, LedgerOptions, PseudonymKey};
use consent_postgres::PgLog;

use common::TestSchema;

const CHILD_VAR: &str = "CONSENT_PG_CHILD";
const URL_VAR: &str = "CONSENT_PG_CHILD_URL";
const KEY_VAR: &str = "CONSENT_PG_CHILD_KEY";
const STALENESS_VAR: &str = "CONSENT_PG_CHILD_STALENESS_MS";

fn actor() -> Actor {
    Actor::new("saksbehandler-17", "case_worker").expect("actor")
}

fn grant_json(from: DateTime<Utc>) -> String {
    serde_json::json!({
        "subject": "15038510190", "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances"], "explicit": false,
        "valid_from": from.trunc_subsecs(0).to_rfc3339(),
        "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar",
                     "interpreter": true},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
    .to_string()
}

fn open(url: &str, key: &PseudonymKey, staleness_ms: u64) -> Ledger {
    Ledger::with_store(
        Box::new(PgLog::open(url).expect("open log")),
        LedgerOptions::default()
            .with_key(key.clone())
            .with_max_staleness_ms(staleness_ms),
    )
    .expect("open ledger")
}

fn permitted(ledger: &Ledger) -> bool {
    let subject = ledger.parse_national_id("15038510190").expect("id");
    ledger
        .decide_with(
            &subject,
            "nav",
            "employment_followup",
            &["finances"],
            Utc::now(),
        )
        .expect("decide")
        .permitted()
}

fn key_hex(key: &PseudonymKey) -> String {
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A child process: this test binary running [`child`] with `role`.
struct Host {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Host {
    fn spawn(role: &str, url: &str, key: &PseudonymKey, staleness_ms: u64) -> Host {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env(CHILD_VAR, role)
            .env(URL_VAR, url)
            .env(KEY_VAR, key_hex(key))
            .env(STALENESS_VAR, staleness_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        let mut host = Host {
            child,
            input,
            output,
        };
        assert_eq!(host.read(), "ready");
        host
    }

    fn send(&mut self, line: &str) {
        writeln!(self.input, "{line}").expect("write to child");
        self.input.flush().expect("flush");
    }

    /// The child's next answer (a line starting with `@@ `), without the marker.
    fn read(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.output.read_line(&mut line).expect("read from child");
            assert!(n > 0, "the child ended");
            // The harness's `test child ... ` may precede the first answer on its line.
            if let Some((_, answer)) = line.trim_end().split_once("@@ ") {
                return answer.to_owned();
            }
        }
    }

    fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.read()
    }

    fn finish(mut self) {
        self.send("quit");
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "the child failed: {status}");
    }
}

/// What a child process does: opens the ledger, answers `ready`, then one answer per line it
/// reads: `decide` (`1` or `0`), `withdraw ID` (`ok`, or the error's code, then the events
/// it has applied), `count` (events applied), `quit`.
#[test]
fn child() {
    let Ok(role) = std::env::var(CHILD_VAR) else {
        return;
    };
    let url = std::env::var(URL_VAR).expect("url");
    let key_bytes: Vec<u8> = {
        let hex = std::env::var(KEY_VAR).expect("key");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).expect("hex"), 16).expect("hex"))
            .collect()
    };
    let key = PseudonymKey::from_slice(&key_bytes).expect("key");
    let staleness: u64 = std::env::var(STALENESS_VAR)
        .expect("staleness")
        .parse()
        .expect("ms");
    let ledger = open(&url, &key, staleness);
    let out = std::io::stdout();
    let answer = |text: &str| {
        let mut out = out.lock();
        writeln!(out, "@@ {text}").expect("stdout");
        out.flush().expect("flush");
    };
    answer("ready");
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("decide"), None) => answer(if permitted(&ledger) { "1" } else { "0" }),
            (Some("withdraw"), Some(id)) => {
                let id = id.parse().expect("grant id");
                let result = ledger.withdraw(id, Utc::now(), &actor(), Some("two hosts"));
                let code = match result {
                    Ok(()) => "ok".to_owned(),
                    Err(e) => e.code().as_str().to_owned(),
                };
                answer(&format!("{code} {}", ledger.event_count()));
            }
            (Some("count"), None) => answer(&ledger.event_count().to_string()),
            // Grants once under the idempotency key `key` (its start the parent's, so that two
            // children send the same content), answering the grant's id.
            (Some("keyed"), Some(key)) => {
                let from = words
                    .next()
                    .expect("keyed KEY FROM")
                    .parse::<DateTime<Utc>>()
                    .expect("an RFC 3339 instant");
                let mut request = ledger.parse_grant(&grant_json(from)).expect("json");
                request.idempotency_key = Some(key.to_owned());
                let id = ledger.grant(&request, &actor()).expect("keyed grant");
                answer(&format!("keyed {id}"));
            }
            // Grants and withdraws `n` times, answering after each acknowledged write, until
            // it is done or killed.
            (Some("write"), Some(n)) => {
                for _ in 0..n.parse::<u64>().expect("count") {
                    let request = ledger
                        .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
                        .expect("json");
                    let id = ledger.grant(&request, &actor()).expect("grant");
                    answer(&format!("granted {id}"));
                    ledger
                        .withdraw(id, Utc::now(), &actor(), None)
                        .expect("withdraw");
                    answer(&format!("withdrew {id}"));
                }
                answer("wrote");
            }
            (Some("quit"), None) => return,
            _ => panic!("child `{role}`: unknown command `{line}`"),
        }
    }
}

fn rounds() -> u64 {
    std::env::var("CONSENT_PG_ROUNDS")
        .ok()
        .map_or(2_000, |n| n.parse().expect("CONSENT_PG_ROUNDS is a number"))
}

#[test]
fn a_decision_in_another_process_never_misses_an_acknowledged_write() {
    let Some(schema) = TestSchema::new("xfresh") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = open(&schema.url(), &key, 0);
    let mut b = Host::spawn("decider", &schema.url(), &key, 0);
    let rounds = rounds();
    let (mut stale_permits, mut missed_grants) = (0u64, 0u64);
    for _ in 0..rounds {
        let request = a
            .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
            .expect("json");
        let id = a.grant(&request, &actor()).expect("grant");
        // Acknowledged in A, then signalled: B's next decision must permit ...
        if b.ask("decide") != "1" {
            missed_grants += 1;
        }
        a.withdraw(id, Utc::now(), &actor(), None)
            .expect("withdraw");
        // ... and after the withdrawal it must deny.
        if b.ask("decide") != "0" {
            stale_permits += 1;
        }
    }
    let applied: u64 = b.ask("count").parse().expect("count");
    b.finish();
    report(&format!(
        "cross-process freshness on PostgreSQL: {rounds} rounds, 2 processes, {stale_permits} stale permits, {missed_grants} missed grants"
    ));
    assert_eq!(stale_permits, 0);
    assert_eq!(missed_grants, 0);
    assert_eq!(applied, 1 + 2 * rounds);
}

#[test]
fn the_same_grant_withdrawn_by_two_processes_is_withdrawn_once() {
    let Some(schema) = TestSchema::new("xtwice") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = open(&schema.url(), &key, 0);
    let mut hosts = [
        Host::spawn("withdrawer", &schema.url(), &key, 0),
        Host::spawn("withdrawer", &schema.url(), &key, 0),
    ];
    let rounds = 25;
    for round in 0..rounds {
        let request = a
            .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
            .expect("json");
        let id = a.grant(&request, &actor()).expect("grant");
        // Both learn of the grant first, so both would find it withdrawable on their own view.
        for host in &mut hosts {
            assert_eq!(host.ask("decide"), "1");
        }
        // Both commands go out before either answer is read.
        for host in &mut hosts {
            host.send(&format!("withdraw {id}"));
        }
        let answers: Vec<String> = hosts.iter_mut().map(Host::read).collect();
        let ok = answers.iter().filter(|a| a.starts_with("ok ")).count();
        let conflicts = answers
            .iter()
            .filter(|a| a.starts_with("conflict "))
            .count();
        assert_eq!((ok, conflicts), (1, 1), "round {round}: {answers:?}");
    }
    for host in hosts {
        host.finish();
    }
    let events = a.events().expect("events");
    let withdrawn = events
        .iter()
        .filter(|e| e.kind == "grant_withdrawn")
        .count();
    report(&format!(
        "double withdraw on PostgreSQL: {rounds} rounds, 2 processes racing: {withdrawn} withdrawals written"
    ));
    assert_eq!(withdrawn, rounds);
    assert_eq!(events.len(), 1 + 2 * rounds);
    assert!(a.verify().expect("verify").ok);
}

#[test]
fn a_process_with_a_stale_view_catches_up_before_it_writes() {
    let Some(schema) = TestSchema::new("xstale") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = open(&schema.url(), &key, 0);
    // B keeps its view for an hour between head checks: paused, as far as reads go.
    let mut b = Host::spawn("stale", &schema.url(), &key, 3_600_000);
    assert_eq!(
        b.ask("decide"),
        "0",
        "B checks the head once, then keeps that view"
    );
    assert_eq!(b.ask("count"), "1");
    let request = a
        .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
        .expect("json");
    let id = a.grant(&request, &actor()).expect("grant");
    a.withdraw(id, Utc::now(), &actor(), None)
        .expect("withdraw");
    assert_eq!(
        b.ask("count"),
        "1",
        "B's view is stale: it has not seen the grant"
    );
    // B writes on its stale view: under the lock it first applies the grant and its
    // withdrawal (without them the grant would be unknown to it: NotFound), then validates:
    // the grant is already withdrawn.
    assert_eq!(b.ask(&format!("withdraw {id}")), "conflict 3");
    assert_eq!(b.ask("decide"), "0");
    b.finish();
    assert_eq!(a.events().expect("events").len(), 3, "B wrote nothing");
}

#[test]
fn two_processes_writing_one_idempotency_key_at_once_write_one_grant() {
    let Some(schema) = TestSchema::new("xkeyed") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    let a = open(&schema.url(), &key, 0);
    let mut hosts = [
        Host::spawn("keyed", &schema.url(), &key, 0),
        Host::spawn("keyed", &schema.url(), &key, 0),
    ];
    let rounds = 10;
    let from = (Utc::now() - Duration::days(1))
        .trunc_subsecs(0)
        .to_rfc3339();
    for round in 0..rounds {
        // Both commands go out before either answer is read: the two writes race.
        for host in &mut hosts {
            host.send(&format!("keyed skjema-{round} {from}"));
        }
        let ids: Vec<String> = hosts.iter_mut().map(Host::read).collect();
        assert!(ids[0].starts_with("keyed "), "round {round}: {ids:?}");
        assert_eq!(
            ids[0], ids[1],
            "round {round}: both callers get the first grant's id"
        );
    }
    for host in hosts {
        host.finish();
    }
    let events = a.events().expect("events");
    let grants = events.iter().filter(|e| e.kind == "grant_recorded").count();
    report(&format!(
        "one idempotency key from two processes on PostgreSQL: {rounds} rounds, {grants} grants written"
    ));
    assert_eq!(grants, rounds);
    assert!(a.verify().expect("verify").ok);
}

/// A count a test runs by default, or the one an environment variable asks for.
fn count(variable: &str, default: u64) -> u64 {
    std::env::var(variable).map_or(default, |value| value.parse().expect("a count is a number"))
}

#[test]
fn writers_killed_at_random_points_lose_nothing_they_acknowledged() {
    let Some(schema) = TestSchema::new("xkill") else {
        return;
    };
    let key = PseudonymKey::generate().expect("key");
    drop(open(&schema.url(), &key, 0));
    // Rounds of two writers killed with SIGKILL: 10 rounds (20 kills) by default.
    let rounds = count("CONSENT_PG_KILL_ROUNDS", 10);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    report(&format!("kill -9 test on PostgreSQL: seed {seed}"));
    let mut pause = move || {
        // xorshift64: a pause of 0 to 100 ms after a writer's first acknowledged write, so
        // kills land anywhere in its loop (a grant and a withdrawal take a few milliseconds).
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::time::Duration::from_millis(seed % 100)
    };
    let (mut granted, mut withdrawn) = (Vec::new(), Vec::new());
    let mut kills = 0;
    for _ in 0..rounds {
        let mut writers = [
            Host::spawn("writer", &schema.url(), &key, 0),
            Host::spawn("writer", &schema.url(), &key, 0),
        ];
        for writer in &mut writers {
            writer.send("write 1000000");
        }
        for writer in &mut writers {
            // Killed only once it is writing: after its first acknowledged grant.
            let first = writer.read();
            let id = first
                .strip_prefix("granted ")
                .expect("a writer's first answer");
            granted.push(id.to_owned());
            std::thread::sleep(pause());
            // `Child::kill` is SIGKILL: no destructor, no rollback sent, no flush.
            writer.child.kill().expect("kill");
            kills += 1;
        }
        for mut writer in writers {
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut writer.output, &mut rest).expect("read");
            // Killed, not ended on its own: else this test would prove nothing.
            let status = writer.child.wait().expect("wait");
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(9),
                "a writer ended before it was killed: {status}"
            );
            // Only complete lines count: a kill can cut the last one short.
            for line in rest.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
                if let Some((_, id)) = line.trim_end().split_once("@@ granted ") {
                    granted.push(id.to_owned());
                } else if let Some((_, id)) = line.trim_end().split_once("@@ withdrew ") {
                    withdrawn.push(id.to_owned());
                }
            }
        }
    }

    // No lock is left behind: another process writes; the chain verifies.
    let ledger = open(&schema.url(), &key, 0);
    let request = ledger
        .parse_grant(&grant_json(Utc::now() - Duration::days(1)))
        .expect("json");
    ledger
        .grant(&request, &actor())
        .expect("a write after the kills");
    assert!(ledger.verify().expect("verify").ok);

    // Every acknowledged grant and withdrawal is in the log exactly once.
    let events = ledger.events().expect("events");
    let (recorded_grants, recorded_withdrawals) = grants_and_withdrawals(&events);
    let unique = |ids: &[String]| ids.iter().collect::<std::collections::HashSet<_>>().len();
    assert_eq!(
        unique(&recorded_grants),
        recorded_grants.len(),
        "a grant recorded twice"
    );
    assert_eq!(
        unique(&recorded_withdrawals),
        recorded_withdrawals.len(),
        "a withdrawal recorded twice"
    );
    for id in &granted {
        assert!(
            recorded_grants.contains(id),
            "acknowledged grant {id} is lost"
        );
    }
    for id in &withdrawn {
        assert!(
            recorded_withdrawals.contains(id),
            "acknowledged withdrawal of {id} is lost"
        );
    }
    report(&format!(
        "kill -9 test on PostgreSQL: {kills} kills, {} acknowledged grants and {} withdrawals all present once",
        granted.len(),
        withdrawn.len()
    ));
}

/// The ids of the grants recorded and of the grants withdrawn, in log order.
fn grants_and_withdrawals(events: &[consent_core::Event]) -> (Vec<String>, Vec<String>) {
    let (mut grants, mut withdrawals) = (Vec::new(), Vec::new());
    for event in events {
        match &event.payload {
            EventPayload::GrantRecorded(g) => grants.push(g.grant_id.to_string()),
            EventPayload::GrantWithdrawn(w) => withdrawals.push(w.grant_id.to_string()),
            _ => {}
        }
    }
    (grants, withdrawals)
}

/// Prints a run's figures past the test harness's capture (one write, straight to stderr), so
/// the script's log shows them for a passing test too.
fn report(line: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}
