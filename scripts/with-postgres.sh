#!/usr/bin/env bash
# Runs a command with the private PostgreSQL cluster of scripts/pg.sh up and its URL in
# CONSENT_TEST_POSTGRES_URL, then stops the cluster, also when the command fails or is
# interrupted (Ctrl-C, SIGTERM). A cluster that was already running (scripts/pg.sh start) is
# used and left running.
#
#   scripts/with-postgres.sh cargo test -p consent-postgres
#   scripts/with-postgres.sh bench/postgres/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "$#" -gt 0 ] || { echo "usage: scripts/with-postgres.sh CMD [ARGS...]" >&2; exit 2; }

started=0
cleanup() {
    if [ "$started" -eq 1 ]; then
        "$ROOT/scripts/pg.sh" stop || echo "with-postgres.sh: could not stop the cluster" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$ROOT/scripts/pg.sh" status; then
    started=1
fi
CONSENT_TEST_POSTGRES_URL="$("$ROOT/scripts/pg.sh" start)"
export CONSENT_TEST_POSTGRES_URL
export CONSENT_TEST_POSTGRES_BINDIR="$("$ROOT/scripts/pg.sh" bindir)"
# The CA that signed the server's TLS certificate (for `localhost`).
export CONSENT_TEST_POSTGRES_CA="$("$ROOT/scripts/pg.sh" ca)"

status=0
"$@" || status=$?
exit "$status"
