"""One of the processes of tests/shared/four_kinds.py, in Python: the protocol of worker.c.

    python worker.py DB SUBJECTS_FILE TAG WRITES_PER_THREAD DECISIONS_PER_THREAD
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import consent

ACTOR = {"id": "python-worker", "role": "case_worker"}
EVIDENCE = {"method": "signed_paper", "language": "ar", "interpreter": True}
NOTICE = {"id": "bosetting-personvern", "version": "2024-10-16"}


def main() -> int:
    db, subjects_file, tag, writes, decisions = sys.argv[1:6]
    per_thread_writes, per_thread_decisions = int(writes), int(decisions)
    with open(subjects_file, encoding="ascii") as f:
        subjects = [line.strip() for line in f if line.strip()]
    # A PostgreSQL ledger's key comes from the host: a key file named in the environment.
    key_file = os.environ.get("CONSENT_WORKER_KEY_FILE")
    ledger = consent.Ledger.open(db, key_file=key_file) if key_file else consent.Ledger.open(db)
    print("ready", flush=True)  # then wait for the driver's `go`, which every worker gets at once
    if sys.stdin.readline().strip() != "go":
        print("python worker: no go", file=sys.stderr)
        return 1
    out = threading.Lock()
    failures: list[BaseException] = []

    def ack(kind: str, grant_id: object) -> None:
        with out:
            print(f"ack {kind} {grant_id} {int(time.time() * 1000)}", flush=True)

    def run(index: int) -> None:
        rng = random.Random(index)
        last = 0
        per_write = per_thread_decisions // max(per_thread_writes, 1)
        decided = 0

        def decide() -> None:
            nonlocal last
            decision = ledger.decide(subject=rng.choice(subjects), recipient="nav",
                                     purpose="employment_followup", categories=["finances"],
                                     at=datetime.now(timezone.utc))
            if decision.as_of_seq < last:
                raise AssertionError(f"a decision at {decision.as_of_seq} after one at {last}")
            last = decision.as_of_seq

        try:
            granted = None
            for i in range(per_thread_writes):
                if granted is None:
                    now = datetime.now(timezone.utc)
                    granted = ledger.grant(
                        actor=ACTOR, subject=rng.choice(subjects), grantor={"role": "self"},
                        purposes=["employment_followup"], recipients=["nav"],
                        categories=["finances"], explicit=False,
                        valid_from=now - timedelta(minutes=1),
                        evidence={**EVIDENCE, "reference": f"{tag}-{index}-{i}"}, notice=NOTICE,
                    )
                    ack("grant", granted)
                else:
                    ledger.withdraw(granted, at=datetime.now(timezone.utc), actor=ACTOR)
                    ack("withdraw", granted)
                    granted = None
                for _ in range(per_write):
                    decide()
                    decided += 1
            while decided < per_thread_decisions:
                decide()
                decided += 1
        except BaseException as e:  # reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        print(f"python worker: {failures[0]!r}", file=sys.stderr)
        return 1
    print(f"done {2 * per_thread_writes} {2 * per_thread_decisions}", flush=True)
    for line in sys.stdin:
        if not line.startswith("report "):
            continue
        at = datetime.fromtimestamp(int(line.split()[1]) / 1000, timezone.utc)
        decisions = [ledger.decide(subject=s, recipient="nav", purpose="employment_followup",
                                   categories=["finances"], at=at) for s in subjects]
        bits = "".join("1" if d.permitted else "0" for d in decisions)
        print(f"view {max(d.as_of_seq for d in decisions)} {bits}", flush=True)
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
