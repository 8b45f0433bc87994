#!/usr/bin/env bash
# The C ABI on a PostgreSQL ledger (tests/c/postgres/*.c): built against the debug shared
# library, run plain and under valgrind (zero leaks, zero errors). Needs the server's URL in
# CONSENT_TEST_POSTGRES_URL: scripts/test-postgres.sh runs this inside its private cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -n "${CONSENT_TEST_POSTGRES_URL:-}" ] || { echo "CONSENT_TEST_POSTGRES_URL is not set: run scripts/test-postgres.sh" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "error: valgrind is missing; the C tests need it" >&2; exit 1; }
CC="${CC:-cc}"
out="target/c-postgres"
mkdir -p "$out"
cargo build -p consent-ffi
# The library under the name its SONAME gives (build.rs sets it), beside the test binaries.
lib="$ROOT/$out"
soname="$(readelf -d target/debug/libconsent.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ -n "$soname" ] || { echo "error: target/debug/libconsent.so has no SONAME" >&2; exit 1; }
cp target/debug/libconsent.so "$out/$soname"
ln -sf "$soname" "$out/libconsent.so"
# The same server without and with TLS, whatever the URL asked for.
case "$CONSENT_TEST_POSTGRES_URL" in
    *sslmode=*) echo "error: CONSENT_TEST_POSTGRES_URL already sets sslmode; this script sets it" >&2; exit 1 ;;
    *\?*) sep='&' ;;
    *) sep='?' ;;
esac
plain_url="${CONSENT_TEST_POSTGRES_URL}${sep}sslmode=disable"
tls_url="${CONSENT_TEST_POSTGRES_URL}${sep}sslmode=require"
status=0
for src in tests/c/postgres/*.c; do
    name="$(basename "$src" .c)"
    "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread -D_POSIX_C_SOURCE=200809L \
        -Iinclude "$src" -o "$out/$name" -L"$lib" -lconsent -Wl,-rpath,"$lib"
    echo "== $name"
    "$out/$name" || status=1
    # Under valgrind twice: without TLS, with nothing suppressed but the standard library's
    # handle of the main thread; then over TLS (the cluster offers it and the client prefers
    # it), where memcheck misreads ring's AES-GCM assembly (tests/c/postgres/valgrind-tls.supp
    # says how and why).
    echo "== $name under valgrind, without TLS"
    CONSENT_TEST_POSTGRES_URL="$plain_url" \
        valgrind --quiet --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1 \
        --suppressions=tests/c/postgres/valgrind.supp \
        "$out/$name" || status=1
    echo "== $name under valgrind, over TLS"
    CONSENT_TEST_POSTGRES_URL="$tls_url" \
        valgrind --quiet --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1 \
        --suppressions=tests/c/postgres/valgrind.supp \
        --suppressions=tests/c/postgres/valgrind-tls.supp \
        "$out/$name" || status=1
done
exit "$status"
