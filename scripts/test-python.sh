#!/usr/bin/env bash
# Builds the consent Python package as a wheel, checks it with `auditwheel show` (its manylinux
# tag must be the one consent-py/README.md states), installs it into .venv (git-ignored), checks
# the type stubs against it with mypy.stubtest, and runs the pytest suite in tests/python against
# the installed wheel (never the source tree). Then `pip install ./consent-py` into a fresh venv,
# as a user would (an isolated build that fetches maturin itself), must work and import.
# Needs only Python 3.9+ with pip, Rust and a C compiler.
#
#   scripts/test-python.sh [extra pytest arguments]
set -euo pipefail

# Pinned tool versions (keep in step with CONTRIBUTING.md when it lists them).
MATURIN_VERSION="1.9.6"
PYTEST_VERSION="8.4.2"
PYTEST_TIMEOUT_VERSION="2.4.0"
MYPY_VERSION="1.18.2"
AUDITWHEEL_VERSION="6.8.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
# maturin is called by pip's build step, so the venv's bin must come first on PATH.
export PATH="$VENV/bin:$PATH"
unset PYTHONPATH

echo "==> installing pinned tools"
python -m pip install --quiet --disable-pip-version-check \
    "maturin==$MATURIN_VERSION" \
    "pytest==$PYTEST_VERSION" \
    "pytest-timeout==$PYTEST_TIMEOUT_VERSION" \
    "mypy==$MYPY_VERSION" \
    "auditwheel==$AUDITWHEEL_VERSION"

WHEELS="$ROOT/target/python-wheels"
rm -rf "$WHEELS"
echo "==> building the wheel (maturin build --release, the pinned maturin)"
# What a release ships: maturin audits the wheel against consent-py/pyproject.toml's
# `compatibility` and tags it so (pip's own build of the source tags it plain `linux`).
python -m maturin build --quiet --release --manifest-path consent-py/Cargo.toml --out "$WHEELS"
WHEEL="$(ls "$WHEELS"/consent-*.whl)"
echo "==> auditwheel show $(basename "$WHEEL")"
python -m auditwheel show "$WHEEL" | tee "$WHEELS/auditwheel.txt"
TAG="$(grep -o 'manylinux_[0-9]*_[0-9]*_[a-z0-9_]*' "$WHEELS/auditwheel.txt" | head -1)"
if [ -z "$TAG" ]; then
    echo "error: auditwheel found no manylinux tag for the wheel" >&2
    exit 1
fi
for readme in consent-py/README.md README.md; do
    if ! grep -q "\`${TAG%_*_*}\`\|\`$TAG\`" "$readme"; then
        echo "error: $readme does not state the wheel's tag \`$TAG\`; update it" >&2
        exit 1
    fi
done
echo "==> installing it into $VENV"
# --force-reinstall --no-deps: always replace the installed package with this tree's build.
python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

# What a user does: a fresh venv, `pip install ./consent-py` with pip's own isolated build.
FRESH="$ROOT/target/fresh-venv"
echo "==> pip install ./consent-py into a fresh venv ($FRESH)"
rm -rf "$FRESH"
"$PYTHON" -m venv "$FRESH"
cd "$ROOT"
(unset VIRTUAL_ENV; PATH="$FRESH/bin:${PATH#"$VENV/bin:"}" "$FRESH/bin/python" -m pip install \
    --quiet --disable-pip-version-check ./consent-py)
(cd /tmp && "$FRESH/bin/python" - <<'PY'
from datetime import datetime, timezone

import consent

with consent.Ledger.in_memory() as ledger:
    decision = ledger.decide(subject="15038510190", recipient="nir", purpose="nir_registration",
                             categories=["name"], at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert decision.permitted
print(f"==> the fresh venv runs consent {consent.__version__} from {consent.__file__}")
PY
)
rm -rf "$FRESH"

# From here on nothing may import the source tree: run from tests/python, where
# consent-py/python is not on sys.path, and prove which package was imported.
cd "$ROOT/tests/python"
python - <<'PY'
import pathlib, sys
import consent
location = pathlib.Path(consent.__file__).resolve()
if "site-packages" not in location.parts:
    sys.exit(f"consent was imported from {location}, not from the installed wheel")
print(f"==> testing consent {consent.__version__} installed at {location.parent}")
PY

echo "==> checking the stubs: python -m mypy.stubtest consent._native"
python -m mypy.stubtest consent._native

echo "==> pytest"
python -m pytest -p no:cacheprovider --rootdir "$ROOT/tests/python" "$@"
