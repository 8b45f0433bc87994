#!/usr/bin/env bash
# Renders the documents of the README's settlement example into docs/examples/, so that a
# reader can look at them without building anything:
#   1. builds the family's ledger with `cargo run -p consent-core --example settlement`;
#   2. renders with the CLI (`consent report ...`, the path users take):
#      the mother's access letter in bokmål and Arabic, her son's in bokmål (a verge's
#      consent that lapsed at 18), the privacy notice and the Art. 30 record, as PDF;
#   3. makes a PNG of each PDF's first page with poppler's pdftoppm (apt: poppler-utils).
# The ledger runs on a fixed test clock, so the same sources give the same PDFs.
#
#   scripts/render-examples.sh           (writes docs/examples/*.pdf and *.png)
#   scripts/render-examples.sh --check   (renders into target/ and fails unless the committed
#                                         PDFs are byte-identical: the examples are current)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { printf 'render-examples: %s\n' "$*" >&2; exit 1; }

CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) die "usage: scripts/render-examples.sh [--check]" ;;
esac

OUT="$ROOT/docs/examples"
WORK="$ROOT/target/render-examples"
rm -rf "$WORK"
mkdir -p "$WORK"
[ "$CHECK" -eq 1 ] && OUT="$WORK/out"
mkdir -p "$OUT"

if [ "$CHECK" -eq 0 ] && ! command -v pdftoppm >/dev/null; then
  echo "installing poppler-utils (pdftoppm)"
  command -v apt-get >/dev/null || die "apt-get not found; install poppler-utils by hand"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends poppler-utils \
    || die "apt-get install poppler-utils failed"
  command -v pdftoppm >/dev/null || die "pdftoppm is still missing after the install"
fi

echo "==> the settlement example's ledger"
cargo run --quiet -p consent-core --example settlement -- "$WORK/settlement.db" > "$WORK/settlement.txt"
cargo build --quiet -p consent-cli
CONSENT="$ROOT/target/debug/consent"

# The example's synthetic people: the first individnummer digit that gives valid control
# digits (as the example's `person` does).
person() {
  python3 - "$1" <<'PY'
import sys
def control(digits, weights):
    c = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return 0 if c == 11 else (None if c == 10 else c)
for d in range(10):
    nine = sys.argv[1] + str(d)
    k1 = control(nine, [3, 7, 6, 1, 8, 9, 4, 5, 2])
    if k1 is None:
        continue
    k2 = control(nine + str(k1), [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    if k2 is None:
        continue
    print(f"{nine}{k1}{k2}")
    break
else:
    sys.exit("no valid control digits")
PY
}
MOTHER="$(person 15038510)"
SON="$(person 01061151)"

# A fixed clock after the example's last step (2 June 2029): the letters are dated by it.
export CONSENT_LEDGER="$WORK/settlement.db" CONSENT_TEST_MODE=1 CONSENT_CLOCK="2029-06-04T09:00:00Z"
export CONSENT_DOCUMENTS_PROFILE="$ROOT/docs/examples/profile.json"
export CONSENT_ACTOR_ID="personvernombud-1" CONSENT_ACTOR_ROLE="dpo"

letter() { # id name lang file
  "$CONSENT" report access --subject - --lookup-purpose "Innsynskrav 2029/17" \
    --reference "2029/17" --recipient-name "$2" --lang "$3" --format pdf --out "$OUT/$4" <<< "$1"
}
letter "$MOTHER" "Amina Hassan" nb access-letter-nb.pdf
letter "$MOTHER" "أمينة حسن" ar access-letter-ar.pdf
letter "$SON" "Yusuf Hassan" nb access-letter-son-nb.pdf
"$CONSENT" report notice --lang nb --format pdf --out "$OUT/privacy-notice-nb.pdf"
"$CONSENT" report notice --lang nn --format pdf --out "$OUT/privacy-notice-nn.pdf"
"$CONSENT" report processing-record --format pdf --out "$OUT/processing-record-nb.pdf"
"$CONSENT" report processing-record --format csv --out "$OUT/processing-record-nb.csv"

if [ "$CHECK" -eq 1 ]; then
  stale=0
  for file in "$OUT"/*.pdf "$OUT"/*.csv; do
    name="$(basename "$file")"
    if ! cmp -s "$file" "$ROOT/docs/examples/$name"; then
      echo "docs/examples/$name is not current" >&2
      stale=1
    fi
  done
  [ "$stale" -eq 0 ] || die "the committed examples are stale; run scripts/render-examples.sh and commit docs/examples"
  echo "render-examples: $(ls "$OUT" | wc -l) passed, 0 failed (docs/examples is current)"
  exit 0
fi

echo "==> PNGs of the first pages (pdftoppm $(pdftoppm -v 2>&1 | head -n1 | awk '{print $3}'))"
for pdf in "$OUT"/*.pdf; do
  pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$pdf" "${pdf%.pdf}"
done
ls -l "$OUT"
