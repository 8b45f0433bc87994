#!/usr/bin/env bash
# The PostgreSQL tests against a private cluster that this script starts (and stops, also on
# failure): scripts/with-postgres.sh installs PostgreSQL when it is missing. With
# CONSENT_REQUIRE_POSTGRES=1 a test that finds no server fails instead of skipping.
#
#   scripts/test-postgres.sh [extra cargo test arguments for consent-postgres]
#
# Runs: the consent-postgres crate (the store, the shared write path, the multi-process proofs),
# the CLI on a PostgreSQL ledger, the C library (tests/c/postgres.c) and the Python package
# (tests/python/test_postgres.py) on one, and four kinds of processes on one PostgreSQL ledger
# (scripts/test-shared.sh --postgres).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSENT_REQUIRE_POSTGRES=1
exec scripts/with-postgres.sh bash -c '
    set -euo pipefail
    cargo test -p consent-postgres "$@"
    cargo test -p consent-cli --test postgres
    scripts/test-postgres-c.sh
    scripts/test-postgres-python.sh
    scripts/test-shared.sh --postgres
' _ "$@"
