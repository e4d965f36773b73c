#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build/fuzz and runs each for SECONDS (default 60),
# one after the other, starting from the seeds in fuzz/corpus/<target>/ (see make_seeds.py).
#
#   fuzz/run.sh [SECONDS] [TARGET...]      e.g. fuzz/run.sh 60, fuzz/run.sh 300 tcp
#
# Inputs the fuzzer finds interesting go to build/fuzz/corpus/<target>/ (kept between runs, so
# a second run continues where the first stopped); the seeds are never modified. A crash or a
# broken round-trip property saves its input as build/fuzz/artifacts/<target>/crash-*; replay it
# with `build/fuzz/fuzz/fuzz_<target> FILE`. Prints one line per target and exits 1 if any failed.
set -euo pipefail

secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(ethernet arp ipv4 icmpv4 udp tcp http tcp_stack control stack_budget)
[[ $secs =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build/fuzz

# A tree first configured with another compiler keeps it: start that one afresh.
if [[ -f $build/CMakeCache.txt ]] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$build/CMakeCache.txt"; then
    rm -rf "$build"
fi
mkdir -p "$build"
export CC=clang CXX=clang++
cmake -S "$root" -B "$build" -G Ninja -DSHUNT_FUZZ=ON -DSHUNT_WERROR=ON -DSHUNT_BUILD_BENCH=OFF \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
ninja -C "$build" $(printf 'fuzz_%s ' "${targets[@]}")

failed=0
for t in "${targets[@]}"; do
    corpus=$build/corpus/$t
    artifacts=$build/artifacts/$t
    log=$build/fuzz_$t.log
    mkdir -p "$corpus" "$artifacts"
    touch "$build/.start_$t"
    status=ok
    if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "$root/fuzz/corpus/$t" >"$log" 2>&1; then
        status=FAILED
        failed=1
    fi
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: U/S ... exec/s: E ..."
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true)
    execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -n1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
    corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
    crashes=$(find "$artifacts" -type f -newer "$build/.start_$t" | wc -l)
    printf '%-8s %s: %s execs in %ss, cov %s, ft %s, corpus %s, %s new artifact(s) in %s\n' \
        "$t" "$status" "${execs:-?}" "$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" \
        "$artifacts"
    if [[ $status != ok ]]; then
        grep -E 'ERROR|SUMMARY|Test unit written|deadly signal' "$log" | head -n 5 | sed 's/^/    /'
    fi
done
exit "$failed"
