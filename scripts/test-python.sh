#!/usr/bin/env bash
# Builds the consent Python package as a wheel, installs it into .venv (git-ignored), checks the
# type stubs against it with mypy.stubtest, and runs the pytest suite in tests/python against the
# installed wheel (never the source tree). Needs only Python 3.9+ with pip, Rust and a C compiler.
#
#   scripts/test-python.sh [extra pytest arguments]
set -euo pipefail

# Pinned tool versions (keep in step with CONTRIBUTING.md when it lists them).
MATURIN_VERSION="1.9.6"
PYTEST_VERSION="8.4.2"
PYTEST_TIMEOUT_VERSION="2.4.0"
MYPY_VERSION="1.18.2"

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
    "mypy==$MYPY_VERSION"

echo "==> building and installing the wheel (pip install ./consent-py)"
# --no-build-isolation: build with the pinned maturin above instead of fetching another one.
# --force-reinstall --no-deps: always replace the installed package with this tree's build.
python -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./consent-py

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
