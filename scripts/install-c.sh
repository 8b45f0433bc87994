#!/usr/bin/env bash
# Builds and installs the C library under PREFIX:
#
#   PREFIX/lib/libconsent.so.<version>   the shared library, no debug info; its SONAME is
#                                        libconsent.so.<ABI version> (STYLE.md rule 26)
#   PREFIX/lib/libconsent.so.<ABI>       -> libconsent.so.<version> (from 1.0, when they differ)
#   PREFIX/lib/libconsent.so             -> the SONAME, for `-lconsent`
#   PREFIX/lib/libconsent.a              the static library, debug info stripped
#   PREFIX/include/consent.h             the header
#   PREFIX/lib/pkgconfig/consent.pc      for `pkg-config --cflags --libs consent`
#
# Usage: scripts/install-c.sh PREFIX        (for example /usr/local, or $HOME/.local)
# Environment: LIBDIR (default PREFIX/lib), INCLUDEDIR (default PREFIX/include), DESTDIR (a
# staging root prepended to every path written, as packagers use; consent.pc still names
# PREFIX). Needs cargo, readelf and strip (binutils).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
case "$1" in
    /*) prefix="${1%/}" ;;
    *) prefix="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
esac
libdir="${LIBDIR:-$prefix/lib}"
includedir="${INCLUDEDIR:-$prefix/include}"
dest="${DESTDIR:-}"

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

for tool in cargo readelf strip; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is needed to install the C library" >&2
        exit 1
    fi
done

macro() { # the string value of a #define in the header
    sed -n "s/^#define $1 \"\\(.*\\)\"$/\\1/p" include/consent.h
}
version="$(macro CONSENT_VERSION)"
abi="$(macro CONSENT_ABI_VERSION)"
if [ -z "$version" ] || [ -z "$abi" ]; then
    echo "error: include/consent.h lacks CONSENT_VERSION or CONSENT_ABI_VERSION" >&2
    exit 1
fi

echo "== cargo build --release -p consent-ffi"
cargo build --release -p consent-ffi
built="target/release/libconsent.so"
soname="$(readelf -d "$built" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
if [ "$soname" != "libconsent.so.$abi" ]; then
    echo "error: $built has SONAME '$soname', expected libconsent.so.$abi (consent-ffi/build.rs)" >&2
    exit 1
fi

real="libconsent.so.$version"
echo "== installing consent $version (SONAME $soname) into $dest$prefix"
install -d "$dest$libdir/pkgconfig" "$dest$includedir"
install -m 0755 "$built" "$dest$libdir/$real"
if [ "$soname" != "$real" ]; then
    ln -sfn "$real" "$dest$libdir/$soname"
fi
ln -sfn "$soname" "$dest$libdir/libconsent.so"
install -m 0644 target/release/libconsent.a "$dest$libdir/libconsent.a"
# The archive holds the standard library's objects with their debug info (about a third of
# its size); programs linked against it do not need that.
strip --strip-debug "$dest$libdir/libconsent.a"
install -m 0644 include/consent.h "$dest$includedir/consent.h"

# Libs.private: what the static library needs from the system (rustc
# --print native-static-libs, less the C library and the compiler's own).
cat >"$dest$libdir/pkgconfig/consent.pc" <<EOF
prefix=$prefix
libdir=$libdir
includedir=$includedir

Name: consent
Description: Consent ledger and lawful-basis engine for Norwegian municipalities (C API)
Version: $version
Libs: -L\${libdir} -lconsent
Libs.private: -lpthread -ldl -lm -lrt -lutil
Cflags: -I\${includedir}
EOF

echo "installed:"
ls -l "$dest$libdir"/libconsent* "$dest$includedir/consent.h" "$dest$libdir/pkgconfig/consent.pc"
