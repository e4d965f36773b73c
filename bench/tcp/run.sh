#!/bin/sh
# One command for the TCP comparison: fetches Debian's lwIP source if it is missing,
# configures and builds shunt-tcp-bench (RelWithDebInfo), then runs it; arguments go to the
# benchmark (try --help). Needs root: the Linux contender creates network namespaces.
#
#   bench/tcp/run.sh                       # all contenders, 5 s per workload
#   bench/tcp/run.sh --repeat 3 --json tcp.json
#
# SHUNT_BENCH_BUILD picks the build directory (default: build-bench in the tree).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SHUNT_BENCH_BUILD:-$root/build-bench}
lwip=$build/third_party/lwip-2.1.3

if [ ! -f "$lwip/src/core/tcp.c" ]; then
    "$root/bench/tcp/fetch-lwip-source.sh" "$lwip" ||
        echo "run.sh: could not fetch lwIP's source; its column will say why" >&2
fi
# Tests are not needed to benchmark (and a half-written test elsewhere must not stop us).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHUNT_BUILD_TESTS=OFF -DSHUNT_LWIP_SOURCE_DIR="$lwip" >/dev/null
cmake --build "$build" --target shunt-tcp-bench
exec "$build/bench/shunt-tcp-bench" "$@"
