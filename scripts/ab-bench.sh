#!/usr/bin/env bash
# A/B of the decision paths between two commits, in one run: builds the `decide` bench of
# each commit (in a worktree under target/ab/), then runs them alternately ROUNDS times so
# that load from other work on the machine falls on both, and prints each run's estimates
# and the median per side. Then counts the instructions of one statute-path and one
# consent-path decision on each side with cachegrind (bench/ab/*_loop.rs, built in each
# worktree): a figure the machine's load does not move. The report is written to
# bench/ab/<BASE>-<HEAD>.txt (with AB_TITLE as its title), which BENCHMARKS.md lists.
#
#   scripts/ab-bench.sh BASE [HEAD]           HEAD defaults to the working tree's HEAD
#   ROUNDS=3 BENCH_SUBJECTS=1000000 AB_TITLE="issue 15" scripts/ab-bench.sh 0572e1e
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

loops() { # commit -> builds the instruction-count loops in its worktree
    local rev tree
    rev="$(git rev-parse --short "$1")"
    tree="$work/$rev"
    cp bench/ab/statute_loop.rs bench/ab/consent_loop.rs "$tree/consent-core/examples/"
    (cd "$tree" && CARGO_TARGET_DIR="$work/target-$rev" cargo build -q --release -p consent-core \
        --example statute_loop --example consent_loop >&2)
}
instructions() { # binary n -> instructions executed
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$1" "$2" 2>&1 |
        awk '/I *refs/ { gsub(",", "", $4); print $4 }'
}
per_decision() { # binary -> instructions of one decision (N decisions minus one)
    local one many
    one="$(instructions "$1" 1)"
    many="$(instructions "$1" 50001)"
    echo $(((many - one) / 50000))
}

a_rev="$(git rev-parse --short "$base")"
b_rev="$(git rev-parse --short "$head")"
report="bench/ab/$a_rev-$b_rev.txt"
exec > >(tee "$report")
[ -n "${AB_TITLE:-}" ] && echo "# $AB_TITLE: $a_rev against $b_rev"
a_bin="$(build "$base")"
b_bin="$(build "$head")"
echo "A = $a_rev  B = $b_rev  subjects = $BENCH_SUBJECTS  rounds = $rounds"
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
if command -v valgrind >/dev/null; then
    loops "$base"
    loops "$head"
    echo "-- instructions per decision (cachegrind; independent of load)"
    for kind in statute consent; do
        a="$(per_decision "$work/target-$a_rev/release/examples/${kind}_loop")"
        b="$(per_decision "$work/target-$b_rev/release/examples/${kind}_loop")"
        python3 -c "print(f'decide/${kind}_path_instructions              A {$a:8d}      B {$b:8d}      B/A {$b / $a:5.3f}')"
    done
fi
