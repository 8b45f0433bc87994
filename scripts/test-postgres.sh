#!/usr/bin/env bash
# The PostgreSQL store's tests against a private cluster that this script starts (and stops,
# also on failure): scripts/with-postgres.sh installs PostgreSQL when it is missing. With
# CONSENT_REQUIRE_POSTGRES=1 a test that finds no server fails instead of skipping.
#
#   scripts/test-postgres.sh [extra cargo test arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSENT_REQUIRE_POSTGRES=1
exec scripts/with-postgres.sh cargo test -p consent-postgres "$@"
