#!/usr/bin/env bash
# Builds the release library and runs the C tests (tests/c/*.c) four ways: linked against the
# static library, against the shared library, both under valgrind (zero leaks, zero errors),
# and once built with AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Usage: scripts/test-c.sh        (from anywhere; needs cc, valgrind, cargo)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CC="${CC:-cc}"
out="tests/c/build"
lib="target/release"
cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -Iinclude -pthread)
static_libs=("$lib/libconsent_ffi.a" -lpthread -ldl -lm)
shared_libs=(-L"$lib" -lconsent_ffi -Wl,-rpath,"$root/$lib" -lpthread)

echo "== cargo build --release -p consent-ffi"
cargo build --release -p consent-ffi
mkdir -p "$out"

status=0
for src in tests/c/*.c; do
    name="$(basename "$src" .c)"

    echo "== $name: static"
    "$CC" "${cflags[@]}" "$src" -o "$out/$name-static" "${static_libs[@]}"
    "$out/$name-static" || status=1

    echo "== $name: shared"
    "$CC" "${cflags[@]}" "$src" -o "$out/$name-shared" "${shared_libs[@]}"
    "$out/$name-shared" || status=1

    if command -v valgrind >/dev/null; then
        for kind in static shared; do
            echo "== $name: $kind under valgrind"
            valgrind --quiet --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1 \
                "$out/$name-$kind" || status=1
        done
    else
        echo "valgrind not found: valgrind runs SKIPPED"
        status=1
    fi

    echo "== $name: ASan + UBSan (static)"
    "$CC" "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer \
        "$src" -o "$out/$name-asan" "${static_libs[@]}"
    nm "$out/$name-asan" >"$out/$name-asan.nm"
    if ! grep -q __asan_init "$out/$name-asan.nm"; then
        echo "error: $out/$name-asan does not link the AddressSanitizer runtime (__asan_init)"
        status=1
    fi
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$out/$name-asan" || status=1
done

if [ "$status" -ne 0 ]; then
    echo "C tests FAILED"
fi
exit "$status"
