#!/usr/bin/env bash
# Builds the release shared library and runs the C# P/Invoke consumer (tests/dotnet) with Mono.
# Installs Mono (mono-mcs, mono-runtime) with apt-get only when mcs or mono is missing and we are
# root; where nothing can be installed it says so and exits 0 with a SKIPPED line.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "== installing Mono (mono-mcs, mono-runtime)"
        if ! { apt-get update && apt-get install -y --no-install-recommends mono-mcs mono-runtime; }; then
            echo "SKIPPED: the C# consumer test (Mono could not be installed)"
            exit 0
        fi
    else
        echo "SKIPPED: the C# consumer test (mcs/mono missing and cannot install without root and apt-get)"
        exit 0
    fi
fi

echo "== cargo build --release -p consent-ffi"
cargo build --release -p consent-ffi
out="tests/dotnet/build"
mkdir -p "$out"
echo "== mcs tests/dotnet/ConsentTest.cs"
mcs -langversion:7.2 -warnaserror -out:"$out/ConsentTest.exe" tests/dotnet/ConsentTest.cs
echo "== mono $out/ConsentTest.exe"
LD_LIBRARY_PATH="$root/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$out/ConsentTest.exe"
