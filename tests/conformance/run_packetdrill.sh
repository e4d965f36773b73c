#!/usr/bin/env bash
# packetdrill's TCP scripts (gtests/net/tcp) against shunt's stack through
# libshunt_packetdrill.so (docs/conformance.md).
#
#   run_packetdrill.sh --packetdrill-dir DIR --plugin SO --out OUTDIR [--only REGEX]
#
# Builds packetdrill from DIR into OUTDIR (the tree is read-only: the source is copied first),
# runs every script not listed in not_applicable.txt, each in a network namespace of its own
# (the scripts run shell commands such as `sysctl` that must not touch the host) with a time
# bound, and writes OUTDIR/results.txt: script, pass/fail/n-a, why. Scripts with a file in
# variants/ run transformed by it (variants/README.md). Exit 1 when a script recorded as pass
# in expected.txt does not pass now; new passes are reported. Exit 77 (skip) with a reason
# when packetdrill's tree, the plugin, bison/flex or network namespaces are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pd_dir="" plugin="" out="" only="" per_script_timeout=30 jobs=2

while [[ $# -gt 0 ]]; do
    case "$1" in
        --packetdrill-dir) pd_dir="$2"; shift 2 ;;
        --plugin) plugin="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        --one) # internal: one script, for xargs -P (args: script relative path)
            shift; exec_one=1; one_script="$1"; shift ;;
        *) echo "run_packetdrill.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

skip() { echo "SKIP: $*"; exit 77; }

# Scripts run from their own folder (their `../common/defaults.sh`): every path absolute.
abs() { [[ -z "$1" ]] || realpath -m -- "$1"; }
pd_dir="$(abs "$pd_dir")" plugin="$(abs "$plugin")" out="$(abs "$out")"

tcp_dir="$pd_dir/gtests/net/tcp"
pd_bin="${PD_BIN:-}"  # set by the suite part below, exported to the --one runs

# ---- one script (run by xargs below) ----
if [[ "${exec_one:-0}" == 1 ]]; then
    rel="$one_script"
    src="$out/net/tcp/$rel"  # the copy made below (its helper scripts executable)
    script="$src"
    notes=()
    # packetdrill's %{ python }% assertions read TCP_INFO with the kernel's getsockopt on the
    # script's fd (code.c get_data), which --so_filename mode never routes to the plugin, so
    # they could only fail. Each block becomes a no-op shell event at the same time
    # (`true`), so the script's relative times stay as written; its packets and system calls
    # are still checked. The table says so for every script this touches.
    if grep -q '%{' "$src"; then
        script="${src%.pkt}.shunt-run.pkt"
        sed -e '/%{.*}%/s/%{.*}%/`true`/' -e '/%{/,/}%/{/%{/s/%{.*/`true`/;/`true`/!d}' \
            "$src" > "$script"
        notes+=("TCP_INFO asserts not checked")
    fi
    variant="$here/variants/${rel%.pkt}.sed"
    if [[ -f "$variant" ]]; then
        sed -f "$variant" "$script" > "${src%.pkt}.shunt-variant.pkt"
        script="${src%.pkt}.shunt-variant.pkt"
        notes+=("variant: variants/${rel%.pkt}.sed")
    fi
    # A script may pin its own local address (--local_ip=...); the stack must own it.
    local_ip="$(grep -o -- '--local_ip=[0-9.]*' "$src" | head -1 | cut -d= -f2 || true)"
    local_ip="${local_ip:-192.168.0.1}"
    so_flags="local_ip=$local_ip"
    # The one sysctl of the scripts with a shunt counterpart that changes what goes on the
    # wire from the first SYN: a script that turns Linux's timestamps off gets shunt's off.
    if grep -qE 'tcp_timestamps=0' "$src"; then
        so_flags+=",timestamps=0"
        notes+=("timestamps off as the script sets")
    fi
    log="$out/logs/${rel%.pkt}.log"
    mkdir -p "$(dirname "$log")"
    rc=0
    # run_all.py's IPv4 arguments (packetdrill's own runner), with our plugin.
    (cd "$(dirname "$src")" && env ${PD_PRELOAD:+LD_PRELOAD="$PD_PRELOAD"} \
        timeout -k 5 "$per_script_timeout" unshare --net -- \
        "$pd_bin" --so_filename="$plugin" --so_flags="$so_flags" \
        --ip_version=ipv4 --local_ip="$local_ip" --gateway_ip=192.168.0.1 \
        --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 --send_omit_free \
        -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable \
        -D CMSG_LEVEL_IP=SOL_IP -D CMSG_TYPE_RECVERR=IP_RECVERR \
        "$script") > "$log" 2>&1 || rc=$?
    tag=""
    if [[ ${#notes[@]} -gt 0 ]]; then
        tag=" ($(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g'))"
    fi
    if [[ $rc == 0 ]]; then
        printf '%s\tpass\t%s\n' "$rel" "passes$tag"
    else
        if [[ $rc == 124 || $rc == 137 ]]; then
            why="timed out after ${per_script_timeout}s (real time)"
        else
            # packetdrill's own message ("script.pkt:LINE: error ..."), then the plugin's note.
            why="$(grep -m1 -E '\.pkt:[0-9]+: ' "$log" | sed -e 's|^.*/\([^/]*\.pkt:\)|\1|' || true)"
            [[ -z "$why" ]] && why="$(grep -m1 -iE 'error|fatal' "$log" || true)"
            note="$(grep -m1 'shunt-packetdrill:' "$log" | sed 's/^shunt-packetdrill: //' || true)"
            [[ -n "$note" ]] && why="$why [$note]"
            why="$(printf '%s' "$why" | tr '\t' ' ' | cut -c1-300)"
            [[ -z "$why" ]] && why="exit $rc: $(tail -1 "$log" | cut -c1-200)"
        fi
        printf '%s\tfail\t%s%s\n' "$rel" "$why" "$tag"
    fi
    exit 0
fi

# ---- the whole suite ----
[[ -n "$out" ]] || { echo "run_packetdrill.sh: --out is required" >&2; exit 2; }
[[ -n "$pd_dir" && -d "$tcp_dir" ]] ||
    skip "packetdrill's tree not found (../shared/third_party/packetdrill from the source root, or -DSHUNT_PACKETDRILL_DIR)"
[[ -n "$plugin" && -f "$plugin" ]] || skip "libshunt_packetdrill.so not built (configure found no packetdrill.h)"
for tool in bison flex make cc timeout unshare; do
    command -v "$tool" >/dev/null || skip "'$tool' not installed (scripts/install-deps.sh)"
done
unshare --net -- true 2>/dev/null ||
    skip "cannot create a network namespace (needs root): the scripts' sysctl commands must not reach the host"

mkdir -p "$out"
start=$(date +%s)


# A plugin from the sanitizer tree needs the ASan runtime first in the process, which
# packetdrill (not instrumented) does not load: preload it. Leak checking is off, as
# packetdrill itself frees little before it exits; memory errors still end the script.
# ASan also refuses dlopen(RTLD_DEEPBIND), which packetdrill's so_testing.c uses; for this
# plugin (which exports only packetdrill_interface_init) the build copy drops the flag.
asan_rt="$(ldd "$plugin" 2>/dev/null | awk '/libasan/ {print $3; exit}')"
build_name=packetdrill-build
if [[ -n "$asan_rt" ]]; then
    export PD_PRELOAD="$asan_rt"
    export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    build_name=packetdrill-build-nodeepbind
    echo "sanitizer plugin: preloading $asan_rt, packetdrill built without RTLD_DEEPBIND"
fi
export PD_BIN="$out/$build_name/packetdrill"

# Build packetdrill once per upstream commit (ccache-free: about 5 s).
build_dir="$out/$build_name"
stamp="$build_dir/.upstream"
want="$(cat "$pd_dir/UPSTREAM-COMMIT" 2>/dev/null || echo unknown)"
if [[ ! -x "$PD_BIN" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$build_dir"
    cp -r "$pd_dir/gtests/net/packetdrill" "$build_dir"
    chmod -R u+w "$build_dir"
    [[ -n "$asan_rt" ]] && sed -i 's/RTLD_DEEPBIND/0/' "$build_dir/so_testing.c"
    if ! (cd "$build_dir" && ./configure && make -j2 packetdrill) \
        > "$out/packetdrill-build.log" 2>&1; then
        echo "FAIL: building packetdrill failed; see $out/packetdrill-build.log" >&2
        tail -20 "$out/packetdrill-build.log" >&2
        exit 1
    fi
    echo "$want" > "$stamp"
fi

# The scripts, copied: they run `../common/defaults.sh`, which in the tree is a plain file
# holding its link target ("../../common/defaults.sh": the symlink did not survive) and
# is not executable. The copy restores the link and the execute bits.
rm -rf "$out/net"
mkdir -p "$out/net"
cp -r "$pd_dir/gtests/net/tcp" "$pd_dir/gtests/net/common" "$out/net/"
chmod -R u+w "$out/net"
for f in "$out"/net/tcp/common/*.sh; do
    target="$(head -c 200 "$f")"
    if [[ "$target" != *$'\n'* && "$target" == ../* && -f "$out/net/tcp/common/$target" ]]; then
        ln -sf "$target" "$f"
    fi
done
chmod +x "$out"/net/common/*.sh "$out"/net/tcp/common/*
# defaults.sh tunes the Linux kernel under test (tcp_* sysctls, the tun0 device of packetdrill's
# local mode). Under the plugin the stack under test is shunt, whose settings are its own
# (docs/conformance.md lists the differences that matter), so the copy does nothing.
printf '#!/bin/sh\n# shunt: the kernel is not under test (run_packetdrill.sh)\nexit 0\n' \
    > "$out/net/common/defaults.sh"

# Not applicable: "path<TAB or spaces>reason" lines; '#' comments.
declare -A na
while read -r path reason; do
    [[ -z "$path" || "$path" == \#* ]] && continue
    na["$path"]="$reason"
done < "$here/not_applicable.txt"

rm -rf "$out/logs"
results="$out/results.txt"
: > "$results.unsorted"
to_run=()
while read -r rel; do
    [[ -n "$only" && ! "$rel" =~ $only ]] && continue
    # An entry is a script or a folder ("fastopen/": every script under it).
    reason="${na[$rel]:-}"
    d="$rel"
    while [[ -z "$reason" && "$d" == */* ]]; do
        d="${d%/*}"
        reason="${na[$d/]:-}"
    done
    if [[ -n "$reason" ]]; then
        printf '%s\tn/a\t%s\n' "$rel" "$reason" >> "$results.unsorted"
    else
        to_run+=("$rel")
    fi
done < <(cd "$tcp_dir" && find . -name '*.pkt' | sed 's|^\./||' | LC_ALL=C sort)

printf '%s\n' "${to_run[@]}" | xargs -P "$jobs" -I{} "$0" --packetdrill-dir "$pd_dir" \
    --plugin "$plugin" --out "$out" --one {} >> "$results.unsorted"
LC_ALL=C sort "$results.unsorted" > "$results"
rm -f "$results.unsorted"

pass=$(awk -F'\t' '$2=="pass"' "$results" | wc -l)
fail=$(awk -F'\t' '$2=="fail"' "$results" | wc -l)
nas=$(awk -F'\t' '$2=="n/a"' "$results" | wc -l)
echo "packetdrill gtests/net/tcp: $pass pass, $fail fail, $nas not applicable ($(( $(date +%s) - start )) s)"
echo "table: $results"

# Compare with the recorded table: a recorded pass that no longer passes is a regression.
status=0
expected="$here/expected.txt"
if [[ -z "$only" && -f "$expected" ]]; then
    while IFS=$'\t' read -r rel st _; do
        [[ -z "$rel" || "$rel" == \#* ]] && continue
        now="$(awk -F'\t' -v r="$rel" '$1==r {print $2}' "$results")"
        if [[ "$st" == pass && "$now" != pass ]]; then
            echo "REGRESSION: $rel was pass, now ${now:-missing}: $(awk -F'\t' -v r="$rel" '$1==r {print $3}' "$results")"
            status=1
        elif [[ "$st" != pass && "$now" == pass ]]; then
            echo "NEW PASS: $rel (was $st): record it in tests/conformance/expected.txt"
        fi
    done < "$expected"
fi
exit $status
