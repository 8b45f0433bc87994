"""Four kinds of processes on one ledger (a file, or a PostgreSQL schema) at once (issue 14, DESIGN.md section 7): a C
program, a Python script, a Rust program and the CLI, each with two threads that write and
decide while the others do. Afterwards:

- every acknowledged write is in the log exactly once, and nothing else was written;
- the chain verifies (through the library and `consent verify`);
- the processes' writes interleaved in the log (the test checks that they did);
- no thread's decisions went back in the log (each process checks its own);
- every process's view, asked at one instant once all writing is done, equals a fresh replay.

    python four_kinds.py --cli PATH --c-worker PATH --rust-worker PATH [--writes N] [--decisions N]
                         [--ledger postgresql://…?schema=NAME --key-file PATH]

Without `--ledger` the ledger is a new file in a temporary directory (one host); with it, a
PostgreSQL schema that must not hold a ledger yet, each process with its own connections
(standing in for hosts), its key in `--key-file` (created if missing).

`--writes` and `--decisions` are per process (half per thread); the defaults are the issue's
1,000 and 10,000. Prints one summary line; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import consent

HERE = Path(__file__).resolve().parent
ACTOR = ["--actor-id", "cli-worker", "--actor-role", "case_worker"]


def open_ledger(location: str, key_file: str | None) -> consent.Ledger:
    return consent.Ledger.open(location, key_file=key_file) if key_file else consent.Ledger.open(location)


def national_ids(count: int) -> list[str]:
    """Valid fødselsnumre of people born in the 1980s (individual numbers 100-499), computed
    with the two mod-11 control digits; synthetic people."""
    w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
    w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    found: list[str] = []
    for day in range(1, 29):
        for year in range(80, 90):
            for individ in range(100, 500, 37):
                digits = [int(c) for c in f"{day:02d}03{year:02d}{individ:03d}"]
                k1 = 11 - sum(a * b for a, b in zip(w1, digits)) % 11
                k1 = 0 if k1 == 11 else k1
                if k1 == 10:
                    continue
                digits.append(k1)
                k2 = 11 - sum(a * b for a, b in zip(w2, digits)) % 11
                k2 = 0 if k2 == 11 else k2
                if k2 == 10:
                    continue
                found.append("".join(map(str, digits)) + str(k2))
                if len(found) == count:
                    return found
                break
    raise AssertionError("not enough national ids")


class Worker:
    """A worker process speaking the protocol of worker.c."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1, env=env)
        self.acks: list[tuple[str, str, int]] = []
        self.done = ""
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().strip()
        if ready != "ready":
            raise AssertionError(f"{name} did not open the ledger (said {ready!r})")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def read_until_done(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            parts = line.split()
            if parts[:1] == ["ack"]:
                self.acks.append((parts[1], parts[2], int(parts[3])))
            elif parts[:1] == ["done"]:
                self.done = line.strip()
                return
        raise AssertionError(f"{self.name} ended before it was done (exit {self.process.wait()})")

    def report(self, at_ms: int) -> tuple[int, str]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"report {at_ms}\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            parts = line.split()
            if parts[:1] == ["view"]:
                return int(parts[1]), parts[2] if len(parts) > 2 else ""
        raise AssertionError(f"{self.name} gave no view")

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=60)
        if code != 0:
            raise AssertionError(f"{self.name} exited {code}")


class CliWorker:
    """The CLI as a worker: two threads, each importing grants in batches of 50 and deciding
    for 500 subjects per call (each call opens the ledger, catches up and closes it)."""

    def __init__(self, cli: str, db: str, key_file: str | None, work: Path, subjects: list[str],
                 writes: int, decisions: int) -> None:
        self.name = "cli"
        self.cli, self.db, self.work, self.subjects = cli, db, work, subjects
        self.key_args = ["--key-file", key_file] if key_file else []
        self.writes, self.decisions = writes, decisions
        self.acks: list[tuple[str, str, int]] = []
        self.failures: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(2)]

    def go(self) -> None:
        for t in self.threads:
            t.start()

    def consent(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.cli, "--ledger", self.db, *self.key_args, *ACTOR, *args], input=stdin,
                              capture_output=True, text=True, timeout=300)

    def run(self, index: int) -> None:
        try:
            writes, decisions = self.writes // 2, self.decisions // 2
            batch, per_call = 50, 500
            last = 0
            rows = 0
            subjects_file = self.work / f"cli-subjects-{index}.txt"
            while rows < writes or decisions > 0:
                if rows < writes:
                    n = min(batch, writes - rows)
                    now = datetime.now(timezone.utc)
                    docs = [json.dumps({
                        "subject": self.subjects[(rows + k) % len(self.subjects)],
                        "grantor": {"role": "self"}, "purposes": ["employment_followup"],
                        "recipients": ["nav"], "categories": ["finances"], "explicit": False,
                        "valid_from": (now - timedelta(minutes=1)).isoformat(),
                        "evidence": {"method": "signed_paper", "reference": f"cli-{index}-{rows + k}",
                                     "language": "ar", "interpreter": True},
                        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"},
                    }) for k in range(n)]
                    run = self.consent("import", "--json", "-", stdin="\n".join(docs) + "\n")
                    if run.returncode != 0:
                        raise AssertionError(f"cli import: {run.stderr}")
                    stamp = int(time.time() * 1000)
                    with self.lock:
                        self.acks.extend(("grant", g, stamp) for g in json.loads(run.stdout)["grant_ids"])
                    rows += n
                if decisions > 0:
                    n = min(per_call, decisions)
                    subjects_file.write_text("".join(f"{self.subjects[(decisions + k) % len(self.subjects)]}\n"
                                                     for k in range(n)))
                    run = self.consent("decide", "--json", "--subjects-from", str(subjects_file),
                                       "--recipient", "nav", "--purpose", "employment_followup",
                                       "--category", "finances", "--at", "now")
                    if run.returncode not in (0, 1):
                        raise AssertionError(f"cli decide: {run.stderr}")
                    seqs = [d["as_of_seq"] for d in json.loads(run.stdout)["decisions"]]
                    if len(seqs) != n or min(seqs) < last:
                        raise AssertionError(f"cli decisions went back in the log: {last} > {min(seqs)}")
                    last = max(seqs)
                    decisions -= n
        except BaseException as e:
            self.failures.append(e)

    def read_until_done(self) -> None:
        for t in self.threads:
            t.join()
        if self.failures:
            raise self.failures[0]

    def report(self, at_ms: int) -> tuple[int, str]:
        subjects_file = self.work / "cli-report.txt"
        subjects_file.write_text("".join(f"{s}\n" for s in self.subjects))
        at = datetime.fromtimestamp(at_ms / 1000, timezone.utc).isoformat()
        run = self.consent("decide", "--json", "--subjects-from", str(subjects_file), "--recipient",
                           "nav", "--purpose", "employment_followup", "--category", "finances",
                           "--at", at)
        if run.returncode not in (0, 1):
            raise AssertionError(f"cli report: {run.stderr}")
        decisions = json.loads(run.stdout)["decisions"]
        return (max(d["as_of_seq"] for d in decisions),
                "".join("1" if d["permitted"] else "0" for d in decisions))

    def finish(self) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--c-worker", required=True)
    parser.add_argument("--rust-worker", required=True)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=10000)
    parser.add_argument("--ledger", help="a postgresql:// URL of a schema without a ledger")
    parser.add_argument("--key-file", help="the PostgreSQL ledger's key file")
    args = parser.parse_args()
    if bool(args.ledger) != bool(args.key_file):
        parser.error("--ledger and --key-file go together")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = args.ledger or str(work / "consent.db")
        where = "one PostgreSQL schema" if args.ledger else "one ledger file"
        key_file = args.key_file
        env = dict(os.environ)
        if key_file:
            env["CONSENT_WORKER_KEY_FILE"] = key_file
        subjects = national_ids(40)
        subjects_file = work / "subjects.txt"
        subjects_file.write_text("".join(f"{s}\n" for s in subjects))
        open_ledger(db, key_file).close()  # the ledger and its key, before anyone shares it
        per_thread = [str(args.writes // 2), str(args.decisions // 2)]
        started = time.time()
        workers: list = [
            Worker("c", [args.c_worker, db, str(subjects_file), "c", *per_thread], env),
            Worker("python", [sys.executable, str(HERE / "worker.py"), db, str(subjects_file),
                              "py", *per_thread], env),
            Worker("rust", [args.rust_worker, db, str(subjects_file), "rs", *per_thread], env),
            CliWorker(args.cli, db, key_file, work, subjects, args.writes, args.decisions),
        ]
        # Every process has the ledger open: start them all at once.
        for w in workers:
            w.go()
        for w in workers:
            w.read_until_done()
        elapsed = time.time() - started


        # Every acknowledged write exactly once, and nothing unacknowledged.
        granted = [a[1] for w in workers for a in w.acks if a[0] == "grant"]
        withdrawn = [a[1] for w in workers for a in w.acks if a[0] == "withdraw"]
        with open_ledger(db, key_file) as fresh:
            report = fresh.verify()
            assert report["ok"], report
            events = list(fresh.events())
            recorded_grants = [str(e["payload"]["grant_id"]) for e in events if e["kind"] == "grant_recorded"]
            recorded_withdrawals = [str(e["payload"]["grant_id"]) for e in events if e["kind"] == "grant_withdrawn"]
            assert sorted(recorded_grants) == sorted(granted), "grants recorded ≠ grants acknowledged"
            assert sorted(recorded_withdrawals) == sorted(withdrawn), "withdrawals recorded ≠ acknowledged"
            assert len(set(recorded_grants)) == len(recorded_grants), "a grant recorded twice"
            seqs = [e["seq"] for e in events]
            assert seqs == list(range(1, len(events) + 1)), "a gap or a repeat in the log"

            # The writes interleaved, as the log itself shows: some stretch of the log lies
            # inside every process's first and last write.
            spans: dict[str, tuple[int, int]] = {}
            for e in events:
                actor = e["actor"]["id"]
                first, _ = spans.get(actor, (e["seq"], e["seq"]))
                spans[actor] = (first, e["seq"])
            writers = {f"{w.name}-worker" for w in workers}
            assert writers <= spans.keys(), f"a process wrote nothing: {sorted(spans)}"
            latest_first = max(spans[a][0] for a in writers)
            earliest_last = min(spans[a][1] for a in writers)
            assert latest_first < earliest_last, f"the writes did not interleave: {spans}"

            # Every process's view equals a fresh replay's, at one instant.
            at_ms = int(time.time() * 1000)
            at = datetime.fromtimestamp(at_ms / 1000, timezone.utc)
            expected = "".join(
                "1" if fresh.decide(subject=s, recipient="nav", purpose="employment_followup",
                                    categories=["finances"], at=at).permitted else "0"
                for s in subjects)
            for w in workers:
                as_of, bits = w.report(at_ms)
                assert as_of == len(events), f"{w.name} decided at {as_of}, the log has {len(events)}"
                assert bits == expected, f"{w.name}'s view differs from a fresh replay"
        for w in workers:
            w.finish()
        key_args = ["--key-file", key_file] if key_file else []
        verify = subprocess.run([args.cli, "--ledger", db, *key_args, "verify"], capture_output=True,
                                text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr

    writes = len(granted) + len(withdrawn)
    print(f"shared ledger on {where}: 4 processes (C, Python, Rust, CLI) x 2 threads, {writes} acknowledged "
          f"writes all present once, {4 * args.decisions} decisions, writes interleaved, "
          f"views equal a fresh replay, in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
