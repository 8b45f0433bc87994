"""Times ``consent.Ledger.decide`` and ``decide_many`` on the ledger that
``native_baseline fixture`` wrote, drawing subjects exactly as ``native_baseline time`` and
``bench/c/decide_bench.c`` do (SplitMix64, seed 42 for the statute path, 43 for the consent
path), so the figures compare the same decisions.

    python bench/python/decide_bench.py DB [DECISIONS] [BATCH]

Prints ``BENCH-RESULT py_<kind>_decide_ns=... py_<kind>_many_ns=...
py_<kind>_prepared_many_ns=...`` (``decide_many``, and a prepared request's, per
decision, in calls of BATCH requests, default 1,000; the request dicts are built before the
clock starts). As in the Rust and C
programs, chunks of 1,000 decisions are timed and the median chunk's time per decision is
reported (robust against other processes' time slices), with the plain mean as ``_mean_ns``.
"""

from __future__ import annotations

import sys
import time
from statistics import median
from datetime import datetime, timezone

import consent

MASK = (1 << 64) - 1
CHUNK = 1_000
AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
KINDS = [
    ("statute", "nir", "nir_registration", ["name", "national_id", "education"], 42),
    ("consent", "helsetjenesten", "health_coordination", ["name", "address", "family"], 43),
]


def draws(ids: list[str], n: int, seed: int) -> list[str]:
    """SplitMix64 with multiply-shift, as the Rust and C programs draw."""
    state = seed
    out = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out.append(ids[(z * len(ids)) >> 64])
    return out


def main() -> None:
    db = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
    with open(db + ".ids", encoding="ascii") as f:
        ids = [line.strip() for line in f if line.strip()]
    ledger = consent.Ledger.open(db)
    results = []
    for name, recipient, purpose, categories, seed in KINDS:
        subjects = draws(ids, n, seed)
        decide = ledger.decide
        permitted = 0
        chunk_ns = []
        total = 0
        for i in range(0, n, CHUNK):
            chunk = subjects[i : i + CHUNK]
            start = time.perf_counter_ns()
            for subject in chunk:
                decision = decide(
                    subject=subject,
                    recipient=recipient,
                    purpose=purpose,
                    categories=categories,
                    at=AT,
                )
                if decision.permitted:
                    permitted += 1
            spent = time.perf_counter_ns() - start
            total += spent
            chunk_ns.append(spent / len(chunk))
        one, one_mean = median(chunk_ns), total / n

        requests = [
            {
                "subject": s,
                "recipient": recipient,
                "purpose": purpose,
                "categories": categories,
                "at": AT,
            }
            for s in subjects
        ]
        many_ns = []
        total = 0
        many_permitted = 0
        for i in range(0, n, batch):
            chunk = requests[i : i + batch]
            start = time.perf_counter_ns()
            for decision in ledger.decide_many(chunk):
                if decision.permitted:
                    many_permitted += 1
            spent = time.perf_counter_ns() - start
            total += spent
            many_ns.append(spent / len(chunk))
        many, many_mean = median(many_ns), total / n
        assert many_permitted == permitted, (many_permitted, permitted)

        # A prepared request: recipient, purpose and categories checked once, then batches of
        # subjects at one instant.
        request = ledger.prepare(recipient=recipient, purpose=purpose, categories=categories)
        prepared_ns = []
        total = 0
        prepared_permitted = 0
        for i in range(0, n, batch):
            chunk = subjects[i : i + batch]
            start = time.perf_counter_ns()
            for decision in request.decide_many(chunk, AT):
                if decision.permitted:
                    prepared_permitted += 1
            spent = time.perf_counter_ns() - start
            total += spent
            prepared_ns.append(spent / len(chunk))
        prepared, prepared_mean = median(prepared_ns), total / n
        assert prepared_permitted == permitted, (prepared_permitted, permitted)
        results.append(
            f"py_{name}_decide_ns={one:.1f} py_{name}_decide_mean_ns={one_mean:.1f} "
            f"py_{name}_many_ns={many:.1f} py_{name}_many_mean_ns={many_mean:.1f} "
            f"py_{name}_prepared_many_ns={prepared:.1f} "
            f"py_{name}_prepared_many_mean_ns={prepared_mean:.1f} "
            f"permitted_{name}={permitted}/{n}"
        )
    print("BENCH-RESULT " + " ".join(results))


if __name__ == "__main__":
    main()
