#!/usr/bin/env bash
# A/B of the decision paths between two commits, in one run: builds the `decide` bench of
# each commit (in a worktree under target/ab/), then runs them alternately ROUNDS times so
# that load from other work on the machine falls on both, and prints each run's estimates
# and the median per side.
#
#   scripts/ab-bench.sh BASE [HEAD]           HEAD defaults to the working tree's HEAD
#   ROUNDS=3 BENCH_SUBJECTS=1000000 scripts/ab-bench.sh 0572e1e
#
# Not part of scripts/test.sh: timings are never gated. Quote its output in BENCHMARKS.md or a
# closing note together with the load it ran under (printed at start and end).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
base="${1:?usage: scripts/ab-bench.sh BASE [HEAD]}"
head="${2:-HEAD}"
rounds="${ROUNDS:-3}"
export BENCH_SUBJECTS="${BENCH_SUBJECTS:-1000000}"
filter="${AB_FILTER:-statute_path_3_categories|consent_path_3_categories}"
work="$root/target/ab"
mkdir -p "$work"

build() { # commit -> path of its decide bench binary
    local rev
    rev="$(git rev-parse --short "$1")"
    local tree="$work/$rev"
    if [ ! -d "$tree" ]; then
        git worktree add --detach "$tree" "$rev" >&2
    fi
    (cd "$tree" && CARGO_TARGET_DIR="$work/target-$rev" cargo bench --no-run -p consent-core --bench decide >&2)
    ls -t "$work/target-$rev"/release/deps/decide-* | grep -v '\.d$' | head -1
}

a_bin="$(build "$base")"
b_bin="$(build "$head")"
echo "A = $(git rev-parse --short "$base")  B = $(git rev-parse --short "$head")  subjects = $BENCH_SUBJECTS  rounds = $rounds"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

results="$work/results.txt"
: >"$results"
run() { # side binary
    "$2" --bench "$filter" --warm-up-time 2 --measurement-time 5 --noplot 2>/dev/null |
        awk -v side="$1" '/^decide\// { name = $1 } /time:/ { gsub(/\[|\]/, ""); print side, name, $4, $5 }' |
        tee -a "$results"
}
for round in $(seq 1 "$rounds"); do
    echo "-- round $round"
    run A "$a_bin"
    run B "$b_bin"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "-- medians of the point estimates"
python3 - "$results" <<'PY'
import statistics, sys
from collections import defaultdict
values = defaultdict(list)
for line in open(sys.argv[1]):
    side, name, value, unit = line.split()
    scale = {"ns": 1.0, "µs": 1000.0, "us": 1000.0, "ms": 1e6}[unit]
    values[(name, side)].append(float(value) * scale)
for name in sorted({n for n, _ in values}):
    a, b = statistics.median(values[(name, "A")]), statistics.median(values[(name, "B")])
    print(f"{name:45} A {a:8.1f} ns   B {b:8.1f} ns   B/A {b / a:5.3f}")
PY
