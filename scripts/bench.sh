#!/usr/bin/env bash
# Runs every benchmark and the Cedar, C and Python comparisons, and rewrites BENCHMARKS.md
# from their output. Takes several minutes at the default sizes; not part of scripts/test.sh
# (CI only compiles the benches: cargo bench --no-run -p consent-core).
#
#   scripts/bench.sh                      full sizes (1,000,000 subjects, 1,000,000 events)
#   BENCH_QUICK=1 scripts/bench.sh        small sizes, to check that everything runs
#
# Sizes: BENCH_SUBJECTS (decision ledger and Cedar), BENCH_REPLAY_EVENTS (replay file),
# BENCH_BINDING_SUBJECTS (the ledger the C/Python comparison opens), BENCH_DECISIONS (per
# kind and run in that comparison), BENCH_RUNS (repetitions of each comparison, default 2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -n "${BENCH_QUICK:-}" ]; then
    export BENCH_SUBJECTS="${BENCH_SUBJECTS:-50000}"
    export BENCH_REPLAY_EVENTS="${BENCH_REPLAY_EVENTS:-50000}"
    export BENCH_BINDING_SUBJECTS="${BENCH_BINDING_SUBJECTS:-20000}"
    export BENCH_DECISIONS="${BENCH_DECISIONS:-20000}"
    export BENCH_CEDAR_ROUNDS="${BENCH_CEDAR_ROUNDS:-1}"
    crit=(--warm-up-time 1 --measurement-time 2)
else
    crit=()
fi
export BENCH_SUBJECTS="${BENCH_SUBJECTS:-1000000}"
export BENCH_REPLAY_EVENTS="${BENCH_REPLAY_EVENTS:-1000000}"
binding_subjects="${BENCH_BINDING_SUBJECTS:-200000}"
decisions="${BENCH_DECISIONS:-200000}"
runs="${BENCH_RUNS:-2}"

out="$root/target/bench-run"
rm -rf "$out"
mkdir -p "$out/fixtures"
export BENCH_FIXTURE_DIR="$out/fixtures"
step() { printf '\n==> %s\n' "$*" >&2; }

# Machine facts first: load from other builds is the main source of noise on this machine.
{
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "rustc=$(rustc --version)"
    echo "cc=$(${CC:-cc} --version | head -1)"
    echo "python=$(python3 --version 2>&1)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo '+dirty')"
} > "$out/machine.txt"

step "cargo bench --no-run -p consent-core"
cargo bench --no-run -p consent-core 2>&1 | tee "$out/build.log" >&2
bench_bin() { # the newest executable of a bench target
    ls -t target/release/deps/"$1"-* 2>/dev/null | grep -v '\.d$' | head -1
}

step "cargo build --release -p consent-ffi; cc bench/c/decide_bench.c"
cargo build --release -p consent-ffi >&2
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude bench/c/decide_bench.c \
    -o "$out/decide_bench" target/release/libconsent.a -lpthread -ldl -lm

step "bench/cedar (own workspace and target dir)"
cargo build --release --manifest-path bench/cedar/Cargo.toml >&2

step "Python package into .venv"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "maturin==1.9.6" >&2
PATH="$root/.venv/bin:$PATH" .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./consent-py >&2

for bench in decide grant replay; do
    for run in $(seq 1 "$([ "$bench" = decide ] && echo "$runs" || echo 1)"); do
        step "criterion: $bench (run $run)"
        "$(bench_bin "$bench")" --bench "${crit[@]}" 2>&1 | tee "$out/$bench-$run.log" >&2
        for est in target/criterion/"$bench"/*/new/estimates.json; do
            name="$(basename "$(dirname "$(dirname "$est")")")"
            cp "$est" "$out/$bench-$run-$name.json"
        done
    done
done

step "consent decide end to end on the replay file (with its snapshot, then without)"
cargo build --release -p consent-cli >&2
replay_db="$out/fixtures/replay-$BENCH_REPLAY_EVENTS.db"
decide_ms() { # the median of 5 runs of `consent decide` on the replay file, in ms
    for _ in 1 2 3 4 5; do
        start=$(date +%s%N)
        target/release/consent --ledger "$replay_db" decide --subject - --recipient nav \
            --purpose employment_followup --category finances --at 2026-06-01 \
            <<< 15038510190 > /dev/null || [ $? -eq 1 ]
        echo $(( ($(date +%s%N) - start) / 1000000 ))
    done | sort -n | sed -n 3p
}
for run in $(seq 1 "$runs"); do
    with=$(decide_ms)
    mv "$replay_db.snapshot" "$replay_db.snapshot.aside"
    without=$(decide_ms)
    mv "$replay_db.snapshot.aside" "$replay_db.snapshot"
    echo "BENCH-RESULT cli_decide_ms=$with cli_decide_full_ms=$without" | tee "$out/cli-decide-$run.log" >&2
done
step "a shared ledger file: the head check's cost, and cross-process visibility"
"$(bench_bin shared)" --bench "${crit[@]}" 2>&1 | tee "$out/shared-1.log" >&2
"$(bench_bin visibility)" 2>&1 | tee "$out/visibility-1.log" >&2

step "logged decisions through group commit, against a raw SQLite loop of the same batch size"
"$(bench_bin accesses)" --bench 2>&1 | tee "$out/accesses-1.log" >&2

step "PostgreSQL: the ledger's appends against a raw row-lock transaction, and the head check"
# A private cluster under target/ (installed when missing), stopped at the end.
scripts/with-postgres.sh bench/postgres/ledger.sh > "$out/pg.md" 2> "$out/pg.log" \
    || { cat "$out/pg.log" >&2; exit 1; }
cat "$out/pg.md" >&2

step "C and Python against native, $binding_subjects subjects, $decisions decisions a kind"
db="$out/fixtures/binding.db"
"$(bench_bin native_baseline)" fixture "$db" "$binding_subjects" | tee "$out/fixture.log" >&2
for run in $(seq 1 "$runs"); do
    "$(bench_bin native_baseline)" time "$db" "$decisions" | tee "$out/native-$run.log" >&2
    "$out/decide_bench" "$db" "$decisions" | tee "$out/c-$run.log" >&2
    .venv/bin/python bench/python/decide_bench.py "$db" "$decisions" | tee "$out/py-$run.log" >&2
done

for run in $(seq 1 "$runs"); do
    step "Cedar against native (run $run)"
    bench/cedar/target/release/consent-cedar-bench | tee "$out/cedar-$run.log" >&2
done
BENCH_CEDAR_PRINT=1 BENCH_SUBJECTS=10 BENCH_CEDAR_SAMPLE=5 BENCH_CEDAR_ROUNDS=1 \
    bench/cedar/target/release/consent-cedar-bench > "$out/cedar-policies.txt"
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

step "writing BENCHMARKS.md"
python3 scripts/bench_report.py "$out" > BENCHMARKS.md
cat BENCHMARKS.md
