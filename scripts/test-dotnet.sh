#!/usr/bin/env bash
# Builds the C# library (bindings/dotnet) and its tests (tests/dotnet) with Mono's C# compiler
# and runs the tests with Mono against the C library installed into a temporary prefix.
#
# - Consent.dll: mcs -langversion:7.2 (what the sources keep to, so that a modern .NET SDK
#   builds them too through bindings/dotnet/Consent.csproj), warnings as errors, XML docs
#   required on every public member (-doc).
# - The README's "Using from C#" example is built and run.
# - SignedTest.cs reads the keys and tokens this run makes (tests/shared/signed_actors.py,
#   python3 and openssl; missing either FAILS this script).
# - Installs Mono (mono-mcs, mono-runtime) with apt-get when mcs or mono is missing. A machine
#   where Mono cannot be installed FAILS this script: the project's test command runs every test.
#
# Usage: scripts/test-dotnet.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    echo "== installing Mono (mono-mcs, mono-runtime) with apt-get"
    if ! { apt-get update && apt-get install -y --no-install-recommends mono-mcs mono-runtime; }; then
        echo "error: mcs/mono are missing and could not be installed; the C# tests cannot run" >&2
        exit 1
    fi
fi
echo "== $(mcs --version)"

# One version for every artefact: the .csproj states the header's.
version="$(sed -n 's/^#define CONSENT_VERSION "\(.*\)"$/\1/p' include/consent.h)"
if ! grep -q "<Version>$version</Version>" bindings/dotnet/Consent.csproj; then
    echo "error: bindings/dotnet/Consent.csproj's <Version> is not $version (include/consent.h)" >&2
    exit 1
fi

prefix="$(mktemp -d "${TMPDIR:-/tmp}/consent-prefix.XXXXXX")"
signed="$(mktemp -d "${TMPDIR:-/tmp}/consent-signed.XXXXXX")"
trap 'rm -rf "$prefix" "$signed"' EXIT
# Keys and tokens for SignedTest.cs, made by this run (openssl; test.sh installs it).
for tool in python3 openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is missing; tests/shared/signed_actors.py needs it" >&2
        exit 1
    fi
done
python3 tests/shared/signed_actors.py "$signed"
export CONSENT_SIGNED_ACTORS="$signed"
scripts/install-c.sh "$prefix" >/dev/null

out="tests/dotnet/build"
rm -rf "$out"
mkdir -p "$out"
echo "== mcs bindings/dotnet/*.cs -> $out/Consent.dll"
mcs -langversion:7.2 -target:library -warnaserror -doc:"$out/Consent.xml" \
    -out:"$out/Consent.dll" bindings/dotnet/*.cs
echo "== the README's C# example"
awk '/^## Using from C#$/ {section = 1} section && /^```csharp$/ {code = 1; next}
     code && /^```$/ {exit} code {print}' README.md >"$out/ReadmeExample.cs"
grep -q "Ledger.InMemory" "$out/ReadmeExample.cs" || { echo "error: no C# example in README.md" >&2; exit 1; }
mcs -langversion:7.2 -warnaserror -r:"$out/Consent.dll" -out:"$out/ReadmeExample.exe" "$out/ReadmeExample.cs"
LD_LIBRARY_PATH="$prefix/lib" mono "$out/ReadmeExample.exe" | tee "$out/ReadmeExample.out"
if ! grep -q '^True$' "$out/ReadmeExample.out" || ! grep -q '^invalid_national_id: ' "$out/ReadmeExample.out" \
    || ! grep -q '^serious_concern$' "$out/ReadmeExample.out" || ! grep -q '^fvl_13a_1$' "$out/ReadmeExample.out" \
    || [ "$(tail -1 "$out/ReadmeExample.out")" != 3 ]; then
    echo "error: the README's C# example did not print what it promises" >&2
    exit 1
fi
# Each tests/dotnet/*Test.cs is a program of its own; every one runs, and any failure fails
# the script.
status=0
for src in tests/dotnet/*Test.cs; do
    name="$(basename "$src" .cs)"
    echo "== mcs $src -> $out/$name.exe"
    mcs -langversion:7.2 -warnaserror -r:"$out/Consent.dll" -out:"$out/$name.exe" "$src"
    echo "== mono $out/$name.exe (libconsent from $prefix/lib)"
    LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$out/$name.exe" || status=1
done
exit "$status"
