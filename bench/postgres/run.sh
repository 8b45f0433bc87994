#!/usr/bin/env bash
# PostgreSQL appends per second: the raw comparator (pgbench running raw_append.sql, one
# transaction that takes the one shared lock, inserts rows the size of a stored grant and
# commits) against consent-postgres's PgLog (benches/append.rs), for 1, 4 and 16 concurrent
# writers, single rows and batches of 100, on the same server in the same run, with the ratio.
# Also the advisory-lock variant of the raw transaction (raw_append_advisory.sql), for the lock
# choice. Each configuration runs raw, advisory and PgLog back to back, so they share the load.
#
#   scripts/with-postgres.sh bench/postgres/run.sh
#
# Settings: BENCH_PG_SECONDS (10), BENCH_PG_CLIENTS ("1 4 16"), BENCH_PG_BATCHES ("1 100"),
# BENCH_PG_MODES (PgLog modes, "append catchup"; see benches/append.rs), BENCH_PG_REPEAT (2:
# each configuration runs that many times, raw and PgLog alternating; the table shows every
# run, ` / ` between them, and the ratio of the sums). Prints a Markdown table and BENCH-RESULT
# lines (on stderr). Commit latency on this shared machine swings with other builds' disk
# writes; compare only figures of one run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
url="${CONSENT_TEST_POSTGRES_URL:?run this through scripts/with-postgres.sh}"
bindir="${CONSENT_TEST_POSTGRES_BINDIR:-$(scripts/pg.sh bindir)}"
seconds="${BENCH_PG_SECONDS:-10}"
clients_list="${BENCH_PG_CLIENTS:-1 4 16}"
batches="${BENCH_PG_BATCHES:-1 100}"
modes="${BENCH_PG_MODES:-append catchup}"
repeat="${BENCH_PG_REPEAT:-2}"
export PGOPTIONS="-c client_min_messages=warning"

echo "==> cargo bench --no-run -p consent-postgres --bench append" >&2
cargo bench --no-run -p consent-postgres --bench append >&2
bench="$(ls -t target/release/deps/append-* | grep -v '\.d$' | head -1)"

echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg) seconds=$seconds"
"$bindir/psql" "$url" -Atc "SELECT 'server=' || version()"
"$bindir/psql" "$url" -Atc "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') || ' fsync=' || current_setting('fsync') || ' wal_sync_method=' || current_setting('wal_sync_method')"

# Runs one pgbench script; prints appends/s and the mean transaction latency in µs. Checks
# afterwards that the rows are gap-free (count = max(seq) = the head's last_seq).
raw() {
    local script="$1" clients="$2" batch="$3" jobs out tps latency check
    "$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -f "$here/raw_setup.sql" >/dev/null
    jobs=$(( clients < 2 ? 1 : 2 ))
    out="$("$bindir/pgbench" -n -M extended -c "$clients" -j "$jobs" -T "$seconds" \
        -D batch="$batch" -f "$here/$script" "$url" 2>&1)" || { echo "$out" >&2; return 1; }
    tps="$(awk '/^tps = / {print $3; exit}' <<<"$out")"
    latency="$(awk '/^latency average = / {print $4; exit}' <<<"$out")"
    check="$("$bindir/psql" "$url" -Atc "SELECT count(*) = max(seq) FROM bench_raw.records")"
    [ "$check" = "t" ] || { echo "the raw run left gaps" >&2; return 1; }
    awk -v tps="$tps" -v batch="$batch" -v lat="$latency" 'BEGIN {printf "%.0f %.0f\n", tps * batch, lat * 1000}'
}

# Runs the PgLog bench for one configuration; prints appends/s, p50 and p99 in µs.
pglog() {
    local mode="$1" clients="$2" batch="$3"
    BENCH_PG_SECONDS="$seconds" BENCH_PG_CLIENTS="$clients" BENCH_PG_BATCHES="$batch" \
        BENCH_PG_MODES="$mode" "$bench" |
        awk -v key="pglog_${mode}_c${clients}_b${batch}_" '
            /^BENCH-RESULT / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
            END { print v[key "appends_per_s"], v[key "p50_us"], v[key "p99_us"] }'
}

echo
echo "| writers | batch | raw (row lock) appends/s | raw (advisory lock) appends/s | PgLog mode | PgLog appends/s | PgLog / raw | PgLog write p50 | PgLog write p99 |"
echo "|---|---|---|---|---|---|---|---|---|"
join() { local IFS="/"; echo "$*" | sed 's|/| / |g'; }
for batch in $batches; do
    for clients in $clients_list; do
        raw_rates=(); adv_rates=()
        declare -A rates=() p50s=() p99s=()
        for _ in $(seq "$repeat"); do
            read -r raw_rate raw_latency < <(raw raw_append.sql "$clients" "$batch")
            read -r adv_rate _ < <(raw raw_append_advisory.sql "$clients" "$batch")
            raw_rates+=("$raw_rate"); adv_rates+=("$adv_rate")
            echo "BENCH-RESULT pg_raw_c${clients}_b${batch}_appends_per_s=$raw_rate pg_raw_advisory_c${clients}_b${batch}_appends_per_s=$adv_rate pg_raw_c${clients}_b${batch}_latency_us=$raw_latency" >&2
            for mode in $modes; do
                read -r rate p50 p99 < <(pglog "$mode" "$clients" "$batch")
                echo "BENCH-RESULT pglog_${mode}_c${clients}_b${batch}_appends_per_s=$rate pglog_${mode}_c${clients}_b${batch}_p50_us=$p50 pglog_${mode}_c${clients}_b${batch}_p99_us=$p99" >&2
                rates[$mode]="${rates[$mode]:-}${rates[$mode]:+ }$rate"
                p50s[$mode]="${p50s[$mode]:-}${p50s[$mode]:+ }$p50"
                p99s[$mode]="${p99s[$mode]:-}${p99s[$mode]:+ }$p99"
            done
        done
        raw_sum="$(printf '%s\n' "${raw_rates[@]}" | awk '{s += $1} END {print s}')"
        for mode in $modes; do
            sum="$(tr ' ' '\n' <<<"${rates[$mode]}" | awk '{s += $1} END {print s}')"
            ratio="$(awk -v a="$sum" -v b="$raw_sum" 'BEGIN {printf "%.0f%%", 100 * a / b}')"
            echo "| $clients | $batch | $(join "${raw_rates[@]}") | $(join "${adv_rates[@]}") | $mode | $(join ${rates[$mode]}) | $ratio | $(join ${p50s[$mode]}) µs | $(join ${p99s[$mode]}) µs |"
        done
        unset rates p50s p99s
    done
done
echo
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
