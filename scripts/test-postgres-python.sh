#!/usr/bin/env bash
# The Python package on a PostgreSQL ledger (tests/python/test_postgres.py): builds a debug
# wheel with the pinned maturin into .venv and runs those tests. Needs the server's URL in
# CONSENT_TEST_POSTGRES_URL: scripts/test-postgres.sh runs this inside its private cluster.
# (scripts/test-python.sh runs the whole suite on the release wheel; there these tests skip
# unless a server's URL is set.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -n "${CONSENT_TEST_POSTGRES_URL:-}" ] || { echo "CONSENT_TEST_POSTGRES_URL is not set: run scripts/test-postgres.sh" >&2; exit 1; }
MATURIN_VERSION="$(sed -n 's/^MATURIN_VERSION="\(.*\)"$/\1/p' scripts/test-python.sh)"
PYTEST_VERSION="$(sed -n 's/^PYTEST_VERSION="\(.*\)"$/\1/p' scripts/test-python.sh)"
PYTEST_TIMEOUT_VERSION="$(sed -n 's/^PYTEST_TIMEOUT_VERSION="\(.*\)"$/\1/p' scripts/test-python.sh)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
export PATH="$VENV/bin:$PATH"
unset PYTHONPATH
python -m pip install --quiet --disable-pip-version-check \
    "maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" \
    "pytest-timeout==$PYTEST_TIMEOUT_VERSION"
WHEELS="$ROOT/target/python-wheels-postgres"
rm -rf "$WHEELS"
python -m maturin build --quiet --manifest-path consent-py/Cargo.toml --out "$WHEELS"
python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEELS"/consent-*.whl
cd "$ROOT/tests/python"
CONSENT_REQUIRE_POSTGRES=1 python -m pytest -p no:cacheprovider --rootdir "$ROOT/tests/python" test_postgres.py
