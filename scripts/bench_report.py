"""Writes BENCHMARKS.md (to stdout) from the output directory of scripts/bench.sh."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

AB_DIR = Path(__file__).resolve().parent.parent / "bench" / "ab"


def ab_section() -> str:
    """The A/B comparisons kept under bench/ab/ (written by scripts/ab-bench.sh), newest
    first: each with its commits, load and medians."""
    lines = ["## A/B comparisons\n",
             "Two commits' `decide` benches run alternately in one session",
             "(`scripts/ab-bench.sh BASE HEAD`), so load from other work falls on both; a B/A",
             "near 1.0 means no change. Each record is kept in `bench/ab/`.\n"]
    records = sorted(AB_DIR.glob("*.txt"), key=lambda p: p.name, reverse=True) if AB_DIR.is_dir() else []
    if not records:
        lines.append("None recorded yet.")
    for record in records:
        text = record.read_text().splitlines()
        title = next((l for l in text if l.startswith("# ")), f"# {record.stem}")[2:]
        kept = [l for l in text if l.startswith(("A = ", "load at", "decide/"))]
        lines.append(f"### {title}\n")
        lines.append("```")
        lines.extend(kept)
        lines.append("```\n")
    return "\n".join(lines)


if len(sys.argv) == 2 and sys.argv[1] == "--ab-section":
    print(ab_section())
    sys.exit(0)

OUT = Path(sys.argv[1])
RUNS = int(os.environ.get("BENCH_RUNS", "2"))
BULK_BATCH = int(os.environ.get("BENCH_BULK_BATCH", "10000"))


def results(name: str) -> list[dict[str, str]]:
    """Every BENCH-RESULT line of a log, as key=value dicts."""
    path = OUT / name
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        if line.startswith("BENCH-RESULT "):
            found.append(dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line)))
    return found


def value(name: str, key: str) -> float | None:
    for fields in results(name):
        if key in fields:
            return float(fields[key].split("/")[0])
    return None


def estimate(bench: str, run: int, name: str) -> float | None:
    """Criterion's mean in ns, or None."""
    path = OUT / f"{bench}-{run}-{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"]


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def runs(values: list[float | None], show=fmt_ns) -> str:
    return " / ".join(show(v) for v in values)


def verdict(values: list[float | None], ok) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "not measured"
    met = [ok(v) for v in vals]
    if all(met):
        return "**met**"
    if any(met):
        return "**mixed** (noise)"
    return "**missed**"


machine = dict(
    line.split("=", 1) for line in (OUT / "machine.txt").read_text().splitlines() if "=" in line
)
r = range(1, RUNS + 1)
rows: list[tuple[str, str, str, str, str, str]] = []

statute = [estimate("decide", i, "statute_path_3_categories") for i in r]
consent = [estimate("decide", i, "consent_path_3_categories") for i in r]
pseudo = [estimate("decide", i, "pseudonym_only") for i in r]
# The hand-written ideal of benches/decide.rs, measured in the same run (older runs lack it).
ideal_statute = [estimate("decide", i, "ideal_statute_3_categories") for i in r]
ideal_consent = [estimate("decide", i, "ideal_consent_3_categories") for i in r]


def ratios(mine: list[float | None], base: list[float | None]) -> list[float | None]:
    return [m / b if m and b else None for m, b in zip(mine, base)]


statute_ratio = ratios(statute, ideal_statute)
consent_ratio = ratios(consent, ideal_consent)
rows.append(("decide, statute path, 3 categories", runs(statute),
             "hand-written ideal " + runs(ideal_statute),
             runs(statute_ratio, lambda v: "n/a" if v is None else f"{v:.0f}×"),
             "information (the ideal is one table lookup; see Cedar below)", ""))
rows.append(("decide, consent path, 3 categories (incl. pseudonym)", runs(consent),
             "hand-written ideal " + runs(ideal_consent),
             runs(consent_ratio, lambda v: "n/a" if v is None else f"{v:.1f}×"),
             "≤ 3× the ideal", verdict(consent_ratio, lambda v: v <= 3)))
rows.append(("keyed BLAKE3 pseudonym alone", runs(pseudo), "SipHash-1-3 110 ns, HMAC-SHA256 830 ns",
             runs([s / 110 if s else None for s in pseudo], lambda v: f"{v:.1f}× SipHash"), "", ""))

mem = [value(f"decide-{i}.log", "memory_per_grant_bytes") for i in r]
rows.append(("memory per grant (RSS delta, 3M-grant projection)",
             runs(mem, lambda v: "n/a" if v is None else f"{v:.0f} B"), "", "", "≤ 300 B",
             verdict(mem, lambda v: v <= 300)))
build = [value(f"decide-{i}.log", "projection_build_grants_per_s") for i in r]
rows.append(("building that projection (grant_many, discarding store)",
             runs(build, lambda v: "n/a" if v is None else f"{v:,.0f} grants/s"), "", "", "", ""))

g_mem = estimate("grant", 1, "in_memory")
g_one = estimate("grant", 1, "sqlite_one_commit")
g_bulk = estimate("grant", 1, "sqlite_bulk_grant_many")
rows.append(("grant, in memory", fmt_ns(g_mem), "", "", "", ""))
rows.append(("grant, SQLite, one durable commit each", fmt_ns(g_one), "", "", "", ""))
bulk_rate = BULK_BATCH / (g_bulk / 1e9) if g_bulk else None
fixture_rate = value("replay-1.log", "bulk_import_grants_per_s")
rows.append((f"bulk import, grant_many of {BULK_BATCH:,} (criterion)",
             "n/a" if bulk_rate is None else f"{bulk_rate:,.0f} grants/s", "", "", "≥ 100,000 grants/s",
             verdict([bulk_rate], lambda v: v >= 100_000)))
rows.append(("bulk import of the replay file (fresh file)",
             "n/a" if fixture_rate is None else f"{fixture_rate:,.0f} grants/s", "", "",
             "≥ 100,000 grants/s", verdict([fixture_rate], lambda v: v >= 100_000)))
open_ns = estimate("replay", 1, "open")
verify_ns = estimate("replay", 1, "verify")
events = os.environ.get("BENCH_REPLAY_EVENTS", "1000000")
rows.append((f"open + replay of {int(events):,} events (SQLite)", fmt_ns(open_ns), "", "", "≤ 3 s",
             verdict([open_ns], lambda v: v <= 3e9)))
rows.append((f"verify of {int(events):,} events", fmt_ns(verify_ns), "", "", "", ""))
snap_ns = estimate("replay", 1, "open_with_snapshot")
rows.append((f"open of {int(events):,} events from a current snapshot", fmt_ns(snap_ns),
             "full replay " + fmt_ns(open_ns), "n/a" if not (snap_ns and open_ns) else f"{open_ns / snap_ns:.1f}× faster",
             "≤ 200 ms", verdict([snap_ns], lambda v: v <= 200e6)))
snap_ms = value("replay-1.log", "snapshot_write_ms")
snap_bytes = value("replay-1.log", "snapshot_bytes")
rows.append(("writing that snapshot",
             "n/a" if snap_ms is None else f"{snap_ms:.0f} ms, {snap_bytes / 1e6:.0f} MB" if snap_bytes else f"{snap_ms:.0f} ms",
             "", "", "", ""))
cli_ms = [value(f"cli-decide-{i}.log", "cli_decide_ms") for i in r]
cli_full = [value(f"cli-decide-{i}.log", "cli_decide_full_ms") for i in r]
rows.append((f"`consent decide` end to end, {int(events):,}-event ledger with a current snapshot",
             runs(cli_ms, lambda v: "n/a" if v is None else f"{v:.0f} ms"),
             "without the snapshot " + runs(cli_full, lambda v: "n/a" if v is None else f"{v:.0f} ms"), "",
             "≤ 300 ms", verdict(cli_ms, lambda v: v <= 300)))

# A shared ledger file (issue 14): the head check every decision makes on a file other
# processes may write, against the same ledger in memory, interleaved in one run; and how soon
# a decision in another process sees an acknowledged write.
for kind in ("statute", "consent"):
    shared_ns = value("shared-1.log", f"shared_{kind}_ns")
    unshared_ns = value("shared-1.log", f"unshared_{kind}_ns")
    extra = shared_ns - unshared_ns if shared_ns is not None and unshared_ns is not None else None
    rows.append((f"decide on a shared file, {kind} path (head check included)", fmt_ns(shared_ns),
                 "the same ledger unshared " + fmt_ns(unshared_ns),
                 "n/a" if extra is None else f"{extra:+.1f} ns",
                 "≤ 10 ns extra", verdict([extra], lambda v: v <= 10)))
p50 = value("visibility-1.log", "visibility_p50_us")
p99 = value("visibility-1.log", "visibility_p99_us")
if p50 is not None:
    rows.append(("cross-process visibility: acknowledgment in A to B's first decision that sees it",
                 f"p50 {p50:.0f} µs, p99 {p99:.0f} µs", "", "", "information", ""))

# Logged decisions (issue 17): group commit against a raw SQLite loop whose transactions hold
# as many rows as there are callers (the most a group commit of that many can gather).
logged = {int(f["callers"]): f for f in results("accesses-1.log") if "callers" in f}
raw_rows = {int(f["batch"]): float(f["per_second"]) for f in results("accesses-1.log") if "batch" in f}
for callers, f in sorted(logged.items()):
    rate = float(f["per_second"])
    raw = raw_rows.get(callers)
    target = "≥ half the raw rate" + (", ≥ 20,000/s" if callers == 32 else "")
    ok = raw is not None and rate >= raw / 2 and (callers != 32 or rate >= 20_000)
    rows.append((f"logged decisions, {callers} concurrent callers (group commit; p50 {f['p50_us']} µs, p99 {f['p99_us']} µs)",
                 f"{rate:,.0f}/s", "raw SQLite, transactions of " + str(callers) + " rows, " +
                 ("n/a" if raw is None else f"{raw:,.0f} rows/s"),
                 "n/a" if not raw else f"{rate / raw:.2f}×", target,
                 "**met**" if ok else "**missed**"))

# PostgreSQL (issue 14): the ledger's single grants against pgbench's raw row-lock append, and a
# decision with the head check against a bounded staleness.
pg = {}
for f in results("pg.log"):
    pg.update(f)
for batch in (1, 100):
    for clients in (1, 4, 16):
        # Single grants' names carry no batch (as before batches were measured).
        tag = f"c{clients}" if batch == 1 else f"c{clients}_b{batch}"
        rate = pg.get(f"ledger_grants_{tag}_per_s")
        raw = pg.get(f"pg_raw_c{clients}_b{batch}_appends_per_s")
        if rate is None or raw is None:
            continue
        rate, raw = float(rate), float(raw)
        latency = (f"p50 {pg.get(f'ledger_grant_{tag}_p50_us', 'n/a')} µs, "
                   f"p99 {pg.get(f'ledger_grant_{tag}_p99_us', 'n/a')} µs")
        if batch == 1:
            what = f"PostgreSQL single grants, {clients} writer processes ({latency})"
            comparator = f"raw row-lock append {raw:,.0f}/s"
            target, ok = "≥ 70% of raw", rate >= 0.7 * raw
        else:
            what = (f"PostgreSQL batches of {batch} grants (`grant_many`), {clients} writer processes "
                    f"(a call's {latency})")
            comparator = f"raw append of {batch} rows a transaction {raw:,.0f} rows/s"
            target, ok = ("≥ 10,000 grants/s", rate >= 10_000) if clients == 16 else ("information", None)
        rows.append((what, f"{rate:,.0f}/s", comparator, f"{rate / raw:.0%}", target,
                     "" if ok is None else ("**met**" if ok else "**missed**")))
head_ns = pg.get("pg_decide_head_check_ns")
stale_ns = pg.get("pg_decide_staleness_1000ms_ns")
if head_ns is not None and stale_ns is not None:
    rows.append(("PostgreSQL decision, head check (one round trip)", fmt_ns(float(head_ns)),
                 "bounded staleness 1,000 ms " + fmt_ns(float(stale_ns)),
                 f"{float(head_ns) / float(stale_ns):,.0f}×", "information", ""))

cedar = [results(f"cedar-{i}.log") for i in r]
cedar_all = [next((f for f in c if "agree" in f), None) for c in cedar]
cedar_ratio = [float(c["ratio"]) if c else None for c in cedar_all]
rows.append(("Cedar, same requests (mix of 5 kinds)",
             runs([float(c["cedar_ns"]) if c else None for c in cedar_all]),
             "consent-core " + runs([float(c["native_ns"]) if c else None for c in cedar_all]),
             runs(cedar_ratio, lambda v: "n/a" if v is None else f"{v:.0f}× faster"),
             "≥ 30×", verdict(cedar_ratio, lambda v: v >= 30)))

native = {k: [value(f"native-{i}.log", f"native_{k}_ns") for i in r] for k in ("statute", "consent")}
for kind in ("statute", "consent"):
    c_ns = [value(f"c-{i}.log", f"c_{kind}_ns") for i in r]
    ratio = [c / n if c and n else None for c, n in zip(c_ns, native[kind])]
    rows.append((f"C `consent_ledger_decide`, {kind} path", runs(c_ns),
                 "native (parse id + decide_with) " + runs(native[kind]),
                 runs(ratio, lambda v: "n/a" if v is None else f"{v:.2f}×"), "≤ 1.2× native",
                 verdict(ratio, lambda v: v <= 1.2)))
    # The verdict-only call (no decision handle to allocate and free); older logs lack it.
    v_ns = [value(f"c-{i}.log", f"c_{kind}_permits_ns") for i in r]
    if any(v is not None for v in v_ns):
        v_ratio = [c / n if c and n else None for c, n in zip(v_ns, native[kind])]
        rows.append((f"C `consent_ledger_permits` (verdict only), {kind} path", runs(v_ns),
                     "native (parse id + decide_with) " + runs(native[kind]),
                     runs(v_ratio, lambda v: "n/a" if v is None else f"{v:.2f}×"),
                     "≤ 1.2× native", verdict(v_ratio, lambda v: v <= 1.2)))
# Prepared requests (issue 19): recipient, purpose and categories checked once; older logs
# lack them. Targets: statute path ≤ 1.2× native, consent path ≤ 1.1×.
for kind, target in (("statute", 1.2), ("consent", 1.1)):
    for key, call in (("prepared", "consent_request_decide"),
                      ("prepared_permits", "consent_request_permits (verdict only)")):
        p_ns = [value(f"c-{i}.log", f"c_{kind}_{key}_ns") for i in r]
        if all(v is None for v in p_ns):
            continue
        p_ratio = [c / n if c and n else None for c, n in zip(p_ns, native[kind])]
        rows.append((f"C prepared `{call}`, {kind} path", runs(p_ns),
                     "native (parse id + decide_with) " + runs(native[kind]),
                     runs(p_ratio, lambda v: "n/a" if v is None else f"{v:.2f}×"),
                     f"≤ {target}× native", verdict(p_ratio, lambda v, t=target: v <= t)))
for kind in ("statute", "consent"):
    one = [value(f"py-{i}.log", f"py_{kind}_decide_ns") for i in r]
    many = [value(f"py-{i}.log", f"py_{kind}_many_ns") for i in r]
    rows.append((f"Python `decide`, {kind} path", runs(one), "native " + runs(native[kind]),
                 runs([p / n if p and n else None for p, n in zip(one, native[kind])],
                      lambda v: "n/a" if v is None else f"{v:.1f}×"),
                 "≤ 3 µs a call", verdict(one, lambda v: v <= 3000)))
    rows.append((f"Python `decide_many` per decision, {kind} path", runs(many),
                 "native " + runs(native[kind]),
                 runs([p / n if p and n else None for p, n in zip(many, native[kind])],
                      lambda v: "n/a" if v is None else f"{v:.1f}×"),
                 "≤ 1 µs a decision", verdict(many, lambda v: v <= 1000)))
    prepared = [value(f"py-{i}.log", f"py_{kind}_prepared_many_ns") for i in r]
    if any(v is not None for v in prepared):
        limit = 400 if kind == "statute" else 1000
        rows.append((f"Python prepared `decide_many` per decision, {kind} path", runs(prepared),
                     "native " + runs(native[kind]),
                     runs([p / n if p and n else None for p, n in zip(prepared, native[kind])],
                          lambda v: "n/a" if v is None else f"{v:.1f}×"),
                     f"≤ {limit} ns a decision", verdict(prepared, lambda v, m=limit: v <= m)))

print("# Benchmarks\n")
print("Generated by `scripts/bench.sh` (do not edit by hand; rerun it). Figures separated by ` / `")
print("are repeated runs; ratios are computed within the same run. The machine is shared with")
print("other builds, so absolute figures carry noise: compare the load averages below.\n")
print("## Machine\n")
print(f"- nproc: {machine.get('nproc')}; CPU: {machine.get('cpu')}")
print(f"- {machine.get('rustc')}; {machine.get('cc')}; {machine.get('python')}")
print(f"- load average at start {machine.get('load_start')}, at end {machine.get('load_end')}")
print(f"- run {machine.get('date')} at commit {machine.get('commit')}")
print(f"- sizes: BENCH_SUBJECTS={os.environ.get('BENCH_SUBJECTS')} (3 grants each), "
      f"BENCH_REPLAY_EVENTS={events}, binding ledger {os.environ.get('BENCH_BINDING_SUBJECTS', '200000')}"
      f" subjects, {os.environ.get('BENCH_DECISIONS', '200000')} decisions a kind and run\n")
print("## Commands\n")
print("```")
print("scripts/bench.sh                                  # everything below, several minutes")
print("cargo bench -p consent-core --bench decide        # decide + memory per grant")
print("cargo bench -p consent-core --bench grant         # grant in memory, durable, bulk")
print("cargo bench -p consent-core --bench replay        # open/replay and verify of a SQLite ledger")
print("cargo bench -p consent-core --bench shared        # the head check of a shared ledger file")
print("cargo bench -p consent-core --bench visibility    # cross-process visibility, p50/p99")
print("cargo bench -p consent-core --bench accesses      # logged decisions, group commit")
print("scripts/with-postgres.sh bench/postgres/ledger.sh  # PostgreSQL appends and head check")
print("BENCH_SUBJECTS=100000 cargo bench -p consent-core --bench decide   # a quick run")
print("cargo run --release --manifest-path bench/cedar/Cargo.toml         # Cedar comparator")
print("```\n")
print("## Figures\n")
print("| what | measured | comparator | ratio | target | target |")
print("|---|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
print()
print("## Cedar, per request kind (run 1)\n")
print("| request (recipient/purpose/categories) | consent-core | Cedar | ratio |")
print("|---|---|---|---|")
for f in cedar[0] if cedar else []:
    if "cedar_kind" in f:
        print(f"| {f['cedar_kind'].strip(chr(34))} | {fmt_ns(float(f['native_ns']))} | "
              f"{fmt_ns(float(f['cedar_ns']))} | {float(f['ratio']):.0f}× |")
print()
agree = [c.get("agree") for c in cedar_all if c]
print(f"Cedar and consent-core agreed on permitted/denied for {', '.join(agree)} requests.")
print("Cedar's entities for a subject are built before its clock starts; its requests inside. It")
print("needs one `is_authorized` call per category for the rules and then one per category and")
print("grant (it has no quantifier over a subject's grants), and stops at the first uncovered")
print("category, while consent-core computes every category's basis or denial reason.")
print("The policies (`cedar-policies.txt` of the run):\n")
policies = (OUT / "cedar-policies.txt").read_text() if (OUT / "cedar-policies.txt").exists() else ""
print("```cedar")
print("\n".join(l for l in policies.splitlines() if not l.startswith(("cedar policies", "ledger:", "answers", "BENCH"))).strip())
print("```")
print()
print(ab_section())
