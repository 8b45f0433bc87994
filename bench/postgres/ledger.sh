#!/usr/bin/env bash
# The ledger's shared write path on PostgreSQL against the raw comparator, in one run: grants
# per second with 1, 4 and 16 writer processes (each a Ledger on its own PgLog: lock, catch up,
# validate, append, commit; consent-postgres/benches/ledger.rs) beside pgbench's raw_append.sql
# (one transaction that takes the one shared row lock, inserts a row of a grant's size and
# commits), alternating; then the same for batches of 100 grants a transaction (`grant_many`
# against 100 rows a transaction); then a decision with the head check against a bounded
# staleness.
#
#   scripts/with-postgres.sh bench/postgres/ledger.sh
#
# Settings: BENCH_PG_SECONDS (5), BENCH_PG_CLIENTS ("1 4 16"), BENCH_PG_DECISIONS (20000).
# Prints a Markdown table and BENCH-RESULT lines (on stderr).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
url="${CONSENT_TEST_POSTGRES_URL:?run this through scripts/with-postgres.sh}"
bindir="${CONSENT_TEST_POSTGRES_BINDIR:-$(scripts/pg.sh bindir)}"
seconds="${BENCH_PG_SECONDS:-5}"
clients_list="${BENCH_PG_CLIENTS:-1 4 16}"
export PGOPTIONS="-c client_min_messages=warning"

echo "==> cargo bench --no-run -p consent-postgres --bench ledger" >&2
cargo bench --no-run -p consent-postgres --bench ledger >&2
bench="$(ls -t target/release/deps/ledger-* | grep -v '\.d$' | head -1)"
echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg) seconds=$seconds"

raw() { # clients [batch]
    local clients="$1" batch="${2:-1}" jobs out tps
    "$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -f "$here/raw_setup.sql" >/dev/null
    jobs=$(( clients < 2 ? 1 : 2 ))
    out="$("$bindir/pgbench" -n -M extended -c "$clients" -j "$jobs" -T "$seconds" \
        -D batch="$batch" -f "$here/raw_append.sql" "$url" 2>&1)" || { echo "$out" >&2; return 1; }
    awk '/^tps = / {printf "%.0f\n", $3; exit}' <<<"$out"
}

field() { sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p" | head -1; }

# One table per batch size: the ledger's grants per second against the raw append's rows per
# second, with `batch` grants (rows) a transaction.
writers_table() { # batch header
    local batch="$1" clients tps_raw rate_raw out tag rate p50 p99 ratio
    echo
    echo "$2"
    echo "|---|---|---|---|---|---|"
    for clients in $clients_list; do
        tps_raw="$(raw "$clients" "$batch")"
        rate_raw="$(awk -v t="$tps_raw" -v b="$batch" 'BEGIN {printf "%.0f", b * t}')"
        out="$(BENCH_PG_SECONDS="$seconds" BENCH_PG_CLIENTS="$clients" BENCH_PG_BATCH="$batch" "$bench" --writers-only)"
        echo "$out" | grep BENCH-RESULT >&2
        echo "BENCH-RESULT pg_raw_c${clients}_b${batch}_appends_per_s=$rate_raw" >&2
        # Single grants' names carry no batch (as before batches were measured).
        tag="c${clients}"
        [ "$batch" -eq 1 ] || tag="${tag}_b${batch}"
        rate="$(echo "$out" | field "ledger_grants_${tag}_per_s")"
        p50="$(echo "$out" | field "ledger_grant_${tag}_p50_us")"
        p99="$(echo "$out" | field "ledger_grant_${tag}_p99_us")"
        ratio="$(awk -v a="$rate" -v b="$rate_raw" 'BEGIN {printf "%.0f%%", 100 * a / b}')"
        echo "| $clients | $rate_raw | $rate | $ratio | $p50 | $p99 |"
    done
}
writers_table 1 "| writers | raw (row lock) appends/s | ledger grants/s | ledger / raw | grant p50 µs | grant p99 µs |"
writers_table 100 "| writers | raw appends/s (100 rows a transaction) | ledger grants/s (grant_many of 100) | ledger / raw | call p50 µs | call p99 µs |"
out="$("$bench" --decisions-only)"
echo "$out" | grep BENCH-RESULT >&2
echo
echo "| decision on a ledger other hosts write | ns per decision |"
echo "|---|---|"
echo "| head check (default: one round trip) | $(echo "$out" | field pg_decide_head_check_ns) |"
echo "| bounded staleness 1000 ms | $(echo "$out" | field pg_decide_staleness_1000ms_ns) |"
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
