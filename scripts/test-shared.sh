#!/usr/bin/env bash
# Four kinds of processes on one ledger at once: a C program, a Python script, a Rust program
# and the CLI, two threads each, writing and deciding together (tests/shared/). Checks that
# every acknowledged write is there exactly once, the chain verifies, the processes' writes
# overlapped, and each process's view equals a fresh replay.
#
#   scripts/test-shared.sh            (one ledger file; 1,000 writes and 10,000 decisions a process)
#   scripts/test-shared.sh --postgres (a new schema on the server in CONSENT_TEST_POSTGRES_URL:
#                                      scripts/test-postgres.sh runs it inside its private cluster)
#   CONSENT_SHARED_WRITES=10000 CONSENT_SHARED_DECISIONS=100000 scripts/test-shared.sh
#
# The Python package comes from scripts/test-python.sh (run first by scripts/test.sh); when the
# venv does not have it yet, that script is run here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

if ! "$VENV/bin/python" -c "import consent" 2>/dev/null; then
    echo "==> the consent package is not in $VENV yet: scripts/test-python.sh installs it"
    scripts/test-python.sh
fi

ledger_args=()
if [ "${1:-}" = "--postgres" ]; then
    [ -n "${CONSENT_TEST_POSTGRES_URL:-}" ] || { echo "test-shared.sh --postgres: CONSENT_TEST_POSTGRES_URL is not set: run scripts/test-postgres.sh" >&2; exit 1; }
    case "$CONSENT_TEST_POSTGRES_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
    key_file="$ROOT/target/shared-test/four-kinds-$$.key"
    mkdir -p "$ROOT/target/shared-test"
    rm -f "$key_file"
    ledger_args=(--ledger "${CONSENT_TEST_POSTGRES_URL}${sep}schema=four_kinds_$$_$(date +%s)" --key-file "$key_file")
elif [ "$#" -gt 0 ]; then
    echo "usage: scripts/test-shared.sh [--postgres]" >&2
    exit 2
fi

echo "==> cargo build -p consent-ffi -p consent-cli, and the Rust worker (consent-postgres example shared_worker)"
cargo build --quiet -p consent-ffi -p consent-cli
cargo build --quiet -p consent-postgres --example shared_worker

BUILD="$ROOT/target/shared-test"
mkdir -p "$BUILD"
echo "==> gcc tests/shared/worker.c (the C worker, static library)"
gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread \
    -Iinclude tests/shared/worker.c -o "$BUILD/worker" target/debug/libconsent.a \
    -lpthread -ldl -lm

echo "==> four processes on one ledger"
"$VENV/bin/python" tests/shared/four_kinds.py \
    --cli target/debug/consent \
    --c-worker "$BUILD/worker" \
    --rust-worker target/debug/examples/shared_worker "${ledger_args[@]}" \
    --writes "${CONSENT_SHARED_WRITES:-1000}" \
    --decisions "${CONSENT_SHARED_DECISIONS:-10000}"
