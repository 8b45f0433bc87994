#!/usr/bin/env bash
# Regenerates consent-core/data/iso639.txt, the language codes an evidence record may name:
# every ISO 639-1 (two letters) and ISO 639-3 (three letters) code, one per line, sorted.
# Source: the ISO 639-3 code tables of SIL International (the registration authority), as
# Debian's `iso-codes` package ships them (/usr/share/iso-codes/json/iso_639-3.json).
#
#   scripts/gen-iso639.sh        (installs iso-codes with apt-get when missing)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source_file=/usr/share/iso-codes/json/iso_639-3.json
if [ ! -f "$source_file" ]; then
    apt-get update && apt-get install -y --no-install-recommends iso-codes
fi
version="$(dpkg-query -W -f='${Version}' iso-codes 2>/dev/null || echo unknown)"
python3 - "$source_file" "$version" >"$root/consent-core/data/iso639.txt" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))["639-3"]
codes = sorted({i["alpha_2"] for i in items if "alpha_2" in i} | {i["alpha_3"] for i in items})
print(f"# ISO 639-1 and ISO 639-3 language codes ({len(codes)}), from the ISO 639-3 code tables")
print(f"# (SIL International) as packaged in Debian iso-codes {sys.argv[2]}; scripts/gen-iso639.sh")
for code in codes:
    print(code)
PY
echo "wrote consent-core/data/iso639.txt"
