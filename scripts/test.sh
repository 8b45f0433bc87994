#!/usr/bin/env bash
# Installs what is missing and runs every check: Rust (format, lints, tests, docs), the C
# consumers under valgrind and sanitizers, the Python package, the C# consumer, and the
# documents (HTML, PDF) under third-party validators.
# Usage: ./scripts/test.sh        (CI runs exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    rustup component add "$component"
  fi
done

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "tools some tests use: shells and groff (completions, manual page), openssl (RSA keys for signed actors); apt-get when missing"
missing=()
for tool in bash:bash zsh:zsh fish:fish groff:groff-base openssl:openssl; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${missing[@]}"; } || { echo "cannot install ${missing[*]} (needed by consent-cli/tests/shells.rs)" >&2; exit 1; }
fi
# Every check of those tests must run: a missing tool fails, never skips.
export CONSENT_REQUIRE_TOOLS=1

step "cargo test --workspace"
cargo test --workspace

step "cargo bench --no-run -p consent-core (benches compile; timings are never gated)"
cargo bench --no-run -p consent-core

step "cargo doc --workspace --no-deps (warnings denied)"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps

step "cargo package -p consent-shm -p consent-core (publishable; consent-shm goes first)"
# Packaged together, cargo resolves consent-core's dependency on the unpublished consent-shm
# through a local registry; the packaged consent-core is then built from the .crate alone.
cargo package -p consent-shm -p consent-core --allow-dirty --quiet

step "consent-core stays free of C and Python dependencies"
if cargo tree -p consent-core -e normal --prefix none | grep -Ei '^(pyo3|cbindgen)'; then
  echo "consent-core must not depend on pyo3 or cbindgen, even indirectly (STYLE.md rule 2)" >&2
  exit 1
fi
if cargo tree -p consent-core -e normal --prefix none --depth 1 | grep -Ei '^libc '; then
  echo "consent-core must not depend on libc directly (STYLE.md rule 2)" >&2
  exit 1
fi

step "soak: 4 threads through the C ABI on one SQLite ledger (release)"
cargo test --release -p consent-ffi --test soak -- --ignored --nocapture

step "shared ledger at full size: 10,000 freshness rounds across processes, 20 writers killed (-9)"
CONSENT_SHARED_ROUNDS=10000 CONSENT_SHARED_KILL_ROUNDS=10 \
  cargo test -p consent-core --test integration shared:: -- --nocapture --test-threads=1

# test-fuzz.sh last: the bounded coverage-guided run is the longest part.
for part in scripts/test-c.sh scripts/test-dotnet.sh scripts/test-python.sh scripts/test-shared.sh \
  scripts/test-documents.sh \
  scripts/test-postgres.sh scripts/test-fuzz.sh; do
  step "$part"
  "$part"
done

step "all checks passed"
