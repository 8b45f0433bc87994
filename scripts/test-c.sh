#!/usr/bin/env bash
# Installs the C library into a temporary prefix (scripts/install-c.sh) and tests it:
#
# - the installed copy: its files and symlinks, the shared library's SONAME (readelf -d), and
#   the README's C example built with `pkg-config --cflags --libs consent` against it, run
#   plain and under valgrind, and linked statically from the installed libconsent.a;
# - the C tests (tests/c/*.c) four ways: linked against the installed static library, against
#   the installed shared library, both under valgrind (zero leaks, zero errors), and once
#   built with AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Usage: scripts/test-c.sh        (from anywhere; needs cc, valgrind, cargo, binutils; installs
#                                  pkg-config with apt-get when it is missing)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CC="${CC:-cc}"
out="tests/c/build"
# The README example sees only what pkg-config gives it; the tests include the tree's header
# (which the install check compares with the installed one).
example_cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread)
cflags=("${example_cflags[@]}" -Iinclude)
status=0
fail() { echo "FAIL: $*"; status=1; }

if ! command -v pkg-config >/dev/null; then
    echo "== installing pkg-config (pkgconf) with apt-get"
    if ! { apt-get update && apt-get install -y --no-install-recommends pkgconf; }; then
        echo "error: pkg-config is missing and could not be installed; the install test cannot run" >&2
        exit 1
    fi
fi
for tool in valgrind readelf; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is missing; the C tests need it" >&2
        exit 1
    fi
done

prefix="$(mktemp -d "${TMPDIR:-/tmp}/consent-prefix.XXXXXX")"
signed="$(mktemp -d "${TMPDIR:-/tmp}/consent-signed.XXXXXX")"
trap 'rm -rf "$prefix" "$signed"' EXIT
# Keys and tokens for test_signed.c, made by this run (openssl; test.sh installs it).
for tool in python3 openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is missing; tests/shared/signed_actors.py needs it" >&2
        exit 1
    fi
done
python3 tests/shared/signed_actors.py "$signed"
export CONSENT_SIGNED_ACTORS="$signed"
scripts/install-c.sh "$prefix"
rm -rf "$out"
mkdir -p "$out"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
lib="$(pkg-config --variable=libdir consent)"

macro() { sed -n "s/^#define $1 \"\\(.*\\)\"$/\\1/p" include/consent.h; }
version="$(macro CONSENT_VERSION)"
abi="$(macro CONSENT_ABI_VERSION)"

echo "== the installed copy ($prefix)"
[ "$lib" = "$prefix/lib" ] || fail "pkg-config's libdir is $lib, not $prefix/lib"
[ "$(pkg-config --modversion consent)" = "$version" ] || fail "consent.pc's version is not $version"
[ -f "$lib/libconsent.so.$version" ] && [ ! -L "$lib/libconsent.so.$version" ] \
    || fail "libconsent.so.$version is not a file"
[ "$(readlink "$lib/libconsent.so")" = "libconsent.so.$abi" ] \
    || fail "libconsent.so does not point to libconsent.so.$abi"
[ -e "$lib/libconsent.so.$abi" ] || fail "the SONAME libconsent.so.$abi does not resolve"
[ -f "$lib/libconsent.a" ] || fail "libconsent.a is missing"
cmp -s include/consent.h "$prefix/include/consent.h" || fail "the installed header differs"
soname="$(readelf -d "$lib/libconsent.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
echo "SONAME: $soname"
[ "$soname" = "libconsent.so.$abi" ] || fail "SONAME is '$soname', expected libconsent.so.$abi"
if readelf -S "$lib/libconsent.so.$version" | grep -q '\.debug_'; then
    fail "the installed shared library carries debug info"
fi
if readelf -S "$lib/libconsent.a" 2>/dev/null | grep -q '\.debug_'; then
    fail "the installed static library carries debug info"
fi
ls -lL "$lib/libconsent.so" "$lib/libconsent.a"

echo "== the README's C example, built with pkg-config against the installed copy"
awk '/^## Using from C$/ {section = 1} section && /^```c$/ {code = 1; next}
     code && /^```$/ {exit} code {print}' README.md >"$out/readme_example.c"
grep -q consent_ledger_open "$out/readme_example.c" || fail "no C example found in README.md"
# shellcheck disable=SC2046 # pkg-config's output is a list of words
"$CC" "${example_cflags[@]}" "$out/readme_example.c" $(pkg-config --cflags --libs consent) \
    -o "$out/readme_example"
needed="$(readelf -d "$out/readme_example" | sed -n 's/.*(NEEDED).*\[\(libconsent[^]]*\)\].*/\1/p')"
[ "$needed" = "libconsent.so.$abi" ] || fail "the example needs '$needed', not libconsent.so.$abi"
LD_LIBRARY_PATH="$lib" "$out/readme_example" >"$out/readme_example.out" || fail "the README example failed"
cat "$out/readme_example.out"
grep -q '"permitted":true' "$out/readme_example.out" && grep -q '^permitted: 1$' "$out/readme_example.out" \
    || fail "the README example did not print a permitting decision"
LD_LIBRARY_PATH="$lib" valgrind --quiet --leak-check=full --errors-for-leak-kinds=all \
    --error-exitcode=1 "$out/readme_example" >/dev/null || fail "the README example under valgrind"
# shellcheck disable=SC2046
"$CC" "${example_cflags[@]}" "$out/readme_example.c" $(pkg-config --cflags consent) \
    "$lib/libconsent.a" -lpthread -ldl -lm -o "$out/readme_example-static"
if readelf -d "$out/readme_example-static" | grep -q 'NEEDED.*libconsent'; then
    fail "the static example links the shared library"
fi
"$out/readme_example-static" | grep -q '"permitted":true' || fail "the static README example"

static_libs=("$lib/libconsent.a" -lpthread -ldl -lm)
# shellcheck disable=SC2207
shared_libs=($(pkg-config --libs consent) -Wl,-rpath,"$lib" -lpthread)
for src in tests/c/*.c; do
    name="$(basename "$src" .c)"

    echo "== $name: static"
    "$CC" "${cflags[@]}" "$src" -o "$out/$name-static" "${static_libs[@]}"
    "$out/$name-static" || status=1

    echo "== $name: shared"
    "$CC" "${cflags[@]}" "$src" -o "$out/$name-shared" "${shared_libs[@]}"
    "$out/$name-shared" || status=1

    for kind in static shared; do
        echo "== $name: $kind under valgrind"
        valgrind --quiet --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1 \
            "$out/$name-$kind" || status=1
    done

    echo "== $name: ASan + UBSan (static)"
    "$CC" "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer \
        "$src" -o "$out/$name-asan" "${static_libs[@]}"
    nm "$out/$name-asan" >"$out/$name-asan.nm"
    if ! grep -q __asan_init "$out/$name-asan.nm"; then
        fail "$out/$name-asan does not link the AddressSanitizer runtime (__asan_init)"
    fi
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$out/$name-asan" || status=1
done

if [ "$status" -ne 0 ]; then
    echo "C tests FAILED"
fi
exit "$status"
