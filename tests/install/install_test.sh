#!/usr/bin/env bash
# install.package: `cmake --install` of the build tree into a scratch prefix, then an
# application outside the tree (tests/install/app) built against it three ways: CMake's
# find_package(shunt) with shunt::shunt (libshunt.so) and shunt::shunt_static (libshunt.a),
# and a C program with `pkg-config --cflags --libs shunt`. Each must build and run. Also checks
# that the installed headers are the public ones only and include nothing internal.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build="${1:?usage: install_test.sh BUILD_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d /tmp/shunt-install.XXXXXX)"
trap "echo kept $tmp" EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
prefix="$tmp/prefix"

timeout 120 cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    fail "cmake --install failed: $(tail -n 5 "$tmp/install.log")"
headers="$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')"
[[ "$headers" == "./shunt/shunt.h ./shunt/shunt.hpp " ]] || fail "installed headers are not the public ones: $headers"
if grep -n '#include "' "$prefix"/include/shunt/*; then fail "a public header includes an internal header"; fi
for f in bin/shuntd bin/shuntctl bin/shunt-echo; do
    [[ -x "$prefix/$f" ]] || fail "$f was not installed"
done
libdir="$(dirname "$(find "$prefix" -name 'libshunt.so' | head -n 1)")"
[[ -f "$libdir/libshunt.a" && -f "$libdir/pkgconfig/shunt.pc" && -f "$libdir/cmake/shunt/shuntConfig.cmake" ]] ||
    fail "libshunt.a, shunt.pc or shuntConfig.cmake missing under $libdir"
echo "installed into $prefix: $headers, $(cd "$libdir" && ls libshunt* | tr '\n' ' ')"

# CMake: find_package(shunt) and nothing else of the tree.
timeout 120 cmake -S "$here/app" -B "$tmp/app" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    >"$tmp/app.log" 2>&1 || fail "configuring the app failed: $(tail -n 20 "$tmp/app.log")"
timeout 300 cmake --build "$tmp/app" >>"$tmp/app.log" 2>&1 || fail "building the app failed: $(tail -n 30 "$tmp/app.log")"
for exe in app_shared app_static; do
    out="$("$tmp/app/$exe")" || fail "$exe failed: $out"
    echo "find_package, $exe: $out"
done
deps="$(ldd "$tmp/app/app_shared" 2>&1)" || true
grep -q "libshunt.so" <<<"$deps" || fail "app_shared does not use libshunt.so: $deps"

# pkg-config: a C program.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046 # the flags are words
cc -o "$tmp/app_c" "$here/app/app.c" $(pkg-config --cflags --libs shunt) 2>"$tmp/cc.log" ||
    fail "cc with pkg-config's flags failed: $(cat "$tmp/cc.log")"
out="$(LD_LIBRARY_PATH="$libdir" "$tmp/app_c")" || fail "app_c failed: $out"
echo "pkg-config, C: $out"
echo "PASS: install.package"
