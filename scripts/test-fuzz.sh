#!/usr/bin/env bash
# Bounded coverage-guided fuzzing (cargo-fuzz + libFuzzer) of every input surface: national
# ids, catalogue TOML, grant JSON, the C ABI fed arbitrary bytes, and the masking of national
# ids in disguise. Each target runs for
# CONSENT_FUZZ_SECONDS (default 15) from the committed seed corpus; new inputs go to a
# temporary directory so the tree stays clean. Longer runs: see CONTRIBUTING.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION="0.13.2"
seconds="${CONSENT_FUZZ_SECONDS:-15}"
targets=(national_id catalogue_toml grant_json ffi_entry redaction)

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# cargo-fuzz needs nightly flags (-Zsanitizer): use the nightly toolchain when there is one,
# otherwise let stable accept them.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

echo "==> ${fuzz[*]} build"
(cd fuzz && "${fuzz[@]}" build)

passed=0
failed=0
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  echo "==> fuzzing $target for ${seconds}s"
  if (cd fuzz && "${fuzz[@]}" run "$target" "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tail -n 12); then
    passed=$((passed + 1))
  else
    echo "fuzz target $target FAILED (the crashing input is under fuzz/artifacts/$target)"
    failed=$((failed + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
