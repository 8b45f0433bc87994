#!/usr/bin/env bash
# Renders the sample documents of consent-documents (access letter, privacy notice, Art. 30
# record) in every shipped language, and checks them with validators the project did not write:
#   - the Nu Html Checker (vnu-jar, on Java): every HTML file is valid HTML (warnings fail too);
#   - axe-core in headless Chromium: zero violations of the WCAG 2.0/2.1 A and AA rules;
#   - poppler's pdftotext: each PDF's text layer holds the title and every section heading in
#     the document's language (Arabic included), in logical order.
# It also checks `consent export --format fhir|dpv` (tests/documents/check_interop.py): a ledger
# with every grant shape, its FHIR R5 Bundle validated by fhir.resources and its JSON-LD
# expanded by pyld to the expected DPV IRIs. Last, the committed docs/examples must be what
# scripts/render-examples.sh renders today (byte for byte).
#
# Installs what is missing: apt packages (poppler-utils, chromium, a Java runtime, nodejs/npm),
# pip packages into .venv, npm packages into tests/documents/node_modules (git-ignored). A tool
# that cannot be installed fails the script.
#
#   scripts/test-documents.sh            (output in target/documents/)
set -euo pipefail

# Pinned versions (npm pins are in tests/documents/package.json and package-lock.json).
FHIR_RESOURCES_VERSION="8.3.0"
PYLD_VERSION="3.3.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
NODE_DIR="$ROOT/tests/documents"
OUT="$ROOT/target/documents"
CHROMIUM="${CHROMIUM:-}"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'test-documents: %s\n' "$*" >&2; exit 1; }

step "system tools (apt: poppler-utils, chromium, Java, nodejs/npm)"
missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [ -z "$CHROMIUM" ]; then
  for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null; then CHROMIUM="$(command -v "$candidate")"; break; fi
  done
fi
[ -n "$CHROMIUM" ] || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
  [ -n "$CHROMIUM" ] || CHROMIUM="$(command -v chromium || true)"
fi
for tool in pdftotext java node npm; do
  command -v "$tool" >/dev/null || die "$tool is still missing after the install"
done
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || die "chromium is still missing after the install"
export CHROMIUM
echo "pdftotext $(pdftotext -v 2>&1 | head -n1 | awk '{print $3}'), $("$CHROMIUM" --version 2>/dev/null | head -n1), java $(java -version 2>&1 | head -n1 | awk -F'"' '{print $2}'), node $(node --version)"

step "npm packages into tests/documents/node_modules (vnu-jar, axe-core, puppeteer-core)"
# Reinstall only when the lock file changed since the last install (npm ci starts afresh).
lock_sum="$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$NODE_DIR/node_modules/.installed-from-lock"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_sum" ]; then
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/documents failed"
  echo "$lock_sum" > "$stamp"
else
  echo "up to date (package-lock.json unchanged)"
fi
VNU_JAR="$NODE_DIR/node_modules/vnu-jar/build/dist/vnu.jar"
[ -f "$VNU_JAR" ] || die "vnu.jar not found at $VNU_JAR"

step "Python packages into .venv (fhir.resources $FHIR_RESOURCES_VERSION, pyld $PYLD_VERSION)"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || die "cannot create $VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "fhir.resources==$FHIR_RESOURCES_VERSION" "pyld==$PYLD_VERSION" \
  || die "pip install of fhir.resources and pyld failed"
"$VENV/bin/python" - <<'PY'
import sys
import fhir.resources
from fhir.resources.consent import Consent
from pyld import jsonld

# FHIR R5 is the package's default: a minimal R5 Consent (with the R5-only `decision`) parses.
consent = Consent.model_validate({"resourceType": "Consent", "status": "active", "decision": "permit"})
assert consent.decision == "permit", consent
# pyld expands an inline-context document without any network access.
expanded = jsonld.expand({"@context": {"dpv": "https://w3id.org/dpv#"}, "@id": "urn:x", "dpv:hasConsentStatus": {"@id": "dpv:ConsentGiven"}})
assert expanded[0]["https://w3id.org/dpv#hasConsentStatus"][0]["@id"] == "https://w3id.org/dpv#ConsentGiven", expanded
print(f"fhir.resources {fhir.resources.__version__} and pyld import and work (python {sys.version.split()[0]})")
PY

step "render the sample documents (cargo run -p consent-documents --example render_samples)"
rm -rf "$OUT"
cargo run --quiet -p consent-documents --example render_samples -- "$OUT"
shopt -s nullglob
html=("$OUT"/*.html)
pdf=("$OUT"/*.pdf)
[ "${#html[@]}" -gt 0 ] && [ "${#pdf[@]}" -gt 0 ] || die "no documents were rendered into $OUT"

failed=0
step "Nu Html Checker (vnu-jar, warnings are errors) on ${#html[@]} HTML files"
if java -jar "$VNU_JAR" --Werror --also-check-svg "${html[@]}"; then
  echo "vnu: ${#html[@]} passed, 0 failed"
else
  echo "vnu: reported the errors above"
  failed=1
fi

step "axe-core (WCAG 2.0/2.1 A and AA) in headless Chromium on ${#html[@]} HTML files"
node "$NODE_DIR/axe.mjs" "${html[@]}" || failed=1

step "pdftotext: each PDF holds its headings in its language"
"$VENV/bin/python" "$NODE_DIR/check_pdf_text.py" "$OUT" "$ROOT/consent-documents/i18n" || failed=1

step "CSV: the record parses as RFC 4180 with one row per activity"
"$VENV/bin/python" - "$OUT/record-nb.csv" "$ROOT/consent-documents/samples/record.json" <<'PY' || failed=1
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline=""), strict=True))
activities = json.load(open(sys.argv[2], encoding="utf-8"))["activities"]
assert len(rows) == 1 + len(activities), (len(rows), len(activities))
assert all(len(r) == 8 for r in rows), [len(r) for r in rows]
assert rows[0][0].startswith("(a)") and rows[0][7].startswith("(g)"), rows[0]
for row, activity in zip(rows[1:], activities):
    assert row[1].startswith(activity["purpose"]), (row[1], activity["purpose"])
print(f"csv: {len(rows) - 1} passed, 0 failed")
PY

step "FHIR R5 (fhir.resources) and DPV JSON-LD (pyld): consent export --format fhir|dpv"
cargo build --quiet -p consent-cli
interop_passed=0
if "$VENV/bin/python" "$NODE_DIR/check_interop.py" "$ROOT/target/debug/consent" | tee "$OUT/interop.txt"; then
  interop_passed="$(awk '/^interop: [0-9]+ passed/ {print $2}' "$OUT/interop.txt")"
else
  failed=1
fi

step "docs/examples is current: scripts/render-examples.sh --check (the settlement example's documents through consent report)"
examples_passed=0
if scripts/render-examples.sh --check | tee "$OUT/examples.txt"; then
  examples_passed="$(awk '/^render-examples: [0-9]+ passed/ {print $2}' "$OUT/examples.txt")"
else
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  echo "documents: FAILED (rendered files are in $OUT)"
  exit 1
fi
echo "checked ${#html[@]} HTML files (vnu, axe-core), ${#pdf[@]} PDF files (pdftotext), the CSV record and the FHIR and DPV exports in $OUT"
echo "documents: $((2 * ${#html[@]} + ${#pdf[@]} + 1 + interop_passed + examples_passed)) passed, 0 failed"

