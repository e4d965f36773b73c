#!/usr/bin/env bash
# Developer entry point for shunt. See ./dev.sh --help.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$ROOT"

RELEASE_DIR=build/release
ASAN_DIR=build/asan
FUZZ_DIR=build/fuzz

usage() {
    cat <<'EOF'
Usage: ./dev.sh COMMAND [ARGS]

  demo          install missing packages, build (release), and run the demo: shuntd on a TAP
                inside a private network namespace, answering the Linux kernel's ping and UDP
                echo, then its counters (needs root)
  test [ARGS]   install, build release, ASan+UBSan and the clang fuzz tree; run unit, netns
                and vm on release, unit and netns on ASan, and 10 s of every fuzz target;
                ARGS go to ctest (e.g. -R netns.ping; the fuzz stage is then left out).
                Ends with "N passed, N failed"
  build [asan]  install missing packages and build build/release (or build/asan)
  deps          install the missing Debian packages (scripts/install-deps.sh)
  --help        this text

Build directories: build/release (RelWithDebInfo, -DSHUNT_WERROR=ON) and build/asan
(-DSHUNT_SANITIZE=ON -DSHUNT_WERROR=ON). The netns tier needs root; see docs/testing.md.
EOF
}

# Each step says how long the run has taken so far, so a slow CI stage shows in the log.
say() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() {
    printf 'dev.sh: %s\n' "$*" >&2
    exit 1
}

deps() { "$ROOT/scripts/install-deps.sh"; }

# build_dir DIR CMAKE_ARGS...: configure (Ninja) and build one tree; returns non-zero on failure.
build_dir() {
    local dir="$1"
    shift
    say "configure $dir"
    if ! cmake -S "$ROOT" -B "$dir" -G Ninja "$@"; then
        echo "dev.sh: configuring $dir failed" >&2
        return 1
    fi
    say "build $dir"
    if ! cmake --build "$dir"; then
        echo "dev.sh: building $dir failed" >&2
        return 1
    fi
}

build_release() {
    build_dir "$RELEASE_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHUNT_WERROR=ON
}

# The libFuzzer targets need clang: a third tree with only them built (fuzz/run.sh uses it too).
build_fuzz() {
    say "configure $FUZZ_DIR (clang, libFuzzer)"
    if ! CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja -DSHUNT_FUZZ=ON \
        -DSHUNT_WERROR=ON -DSHUNT_BUILD_BENCH=OFF; then
        echo "dev.sh: configuring $FUZZ_DIR failed" >&2
        return 1
    fi
    say "build $FUZZ_DIR (fuzz targets)"
    if ! cmake --build "$FUZZ_DIR" --target fuzz_all; then
        echo "dev.sh: building the fuzz targets failed" >&2
        return 1
    fi
}

build_asan() {
    build_dir "$ASAN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHUNT_WERROR=ON \
        -DSHUNT_SANITIZE=ON -DSHUNT_BUILD_BENCH=OFF
}

# run_ctest DIR JUNIT LABELS [CTEST ARGS...]: runs the tiers matching LABELS; never aborts the
# script.
run_ctest() {
    local dir="$1" junit="$2" labels="$3" rc=0
    shift 3
    say "ctest $dir ($labels)"
    rm -f "$junit"
    ctest --test-dir "$dir" -L "$labels" -j2 --output-on-failure --no-tests=error \
        --output-junit "$junit" "$@" || rc=$?
    if [[ ! -s "$junit" ]]; then
        echo "dev.sh: ctest in $dir wrote no results (exit $rc)" >&2
    fi
    return 0
}

# count_results JUNIT...: prints "passed failed skipped" summed over ctest's JUnit files; a run
# that left no file counts as one failure.
count_results() {
    python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        failed += 1
        continue
    for case in root.iter("testcase"):
        status = case.get("status", "")
        if status == "run" and case.find("failure") is None and case.find("error") is None:
            passed += 1
        elif status in ("notrun", "disabled") or case.find("skipped") is not None:
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
PY
}

# A build that fails counts as one failed test in the summary; the other build still runs.
cmd_test() {
    deps
    local results="$ROOT/build/test-results" build_failures=()
    mkdir -p "$results"
    rm -f "$results/release.xml" "$results/asan.xml" "$results/fuzz.xml"
    if build_release; then
        # The vm tier (QEMU guests with vfio-pci) runs on the release build only: sanitized
        # binaries would be too slow under TCG.
        run_ctest "$RELEASE_DIR" "$results/release.xml" 'unit|netns|vm|conformance' "$@"
    else
        build_failures+=("release build")
    fi
    if build_asan; then
        ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
            UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
            run_ctest "$ASAN_DIR" "$results/asan.xml" 'unit|netns' "$@"
    else
        build_failures+=("asan build")
    fi
    # A short run of every fuzz target (10 s each, the `fuzz` label); skipped when ctest
    # arguments narrow the run to other tests.
    local junits=("$results/release.xml" "$results/asan.xml") fuzz_note=""
    if (($# == 0)); then
        if build_fuzz; then
            run_ctest "$FUZZ_DIR" "$results/fuzz.xml" 'fuzz'
        else
            build_failures+=("fuzz build")
        fi
        junits+=("$results/fuzz.xml")
        fuzz_note=" + fuzz (10 s per target)"
    fi
    local passed failed skipped
    read -r passed failed skipped < <(count_results "${junits[@]}")
    say "all stages done"
    echo "release (unit, netns, vm) + asan (unit, netns)$fuzz_note (JUnit results in build/test-results/)"
    if ((${#build_failures[@]} > 0)); then
        echo "failed to build: ${build_failures[*]} (each counted as one failure)"
    fi
    if ((skipped > 0)); then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
    ((failed == 0 && passed > 0))
}

cmd_demo() {
    deps
    build_release || die "the release build failed; see above"
    say "demo"
    "$ROOT/scripts/demo.sh" "$ROOT/$RELEASE_DIR/tools/shuntd"
}

cmd_build() {
    deps
    case "${1:-release}" in
        release) build_release || die "the release build failed; see above" ;;
        asan) build_asan || die "the asan build failed; see above" ;;
        *) die "build: unknown flavour '$1' (release or asan)" ;;
    esac
}

case "${1:-}" in
    demo) cmd_demo ;;
    test)
        shift
        cmd_test "$@"
        ;;
    build)
        shift
        cmd_build "$@"
        ;;
    deps) deps ;;
    -h | --help | help) usage ;;
    "")
        usage >&2
        exit 2
        ;;
    *)
        echo "dev.sh: unknown command '$1'" >&2
        usage >&2
        exit 2
        ;;
esac
