#!/usr/bin/env bash
# netns.cli: shuntd's command-line contract. Bad usage -> exactly one line on stderr, exit 2;
# an unusable NIC -> one line starting "shuntd: ", exit 1 (and nothing created); --duration
# exits 0 by itself; SIGTERM and SIGINT exit 0 and (re)write the stats file, whose schema is
# checked against stack/iface/drop_reason.hpp and stack/tcp/tcp_drop_reason.hpp (every drop
# reason present).
# Usage: cli.sh SHUNTD DROP_REASON_HPP
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: cli.sh SHUNTD DROP_REASON_HPP}"
reasons_hpp="${2:?usage: cli.sh SHUNTD DROP_REASON_HPP}"
[[ -x "$shuntd" ]] || fail "shuntd binary '$shuntd' is missing or not executable"
[[ -f "$reasons_hpp" ]] || fail "drop reason header '$reasons_hpp' not found"
netns_init cli 240

failures=0
problem() {
    printf 'PROBLEM: %s\n' "$*" >&2
    failures=$((failures + 1))
}

# only_lo: the namespace must still hold nothing but lo (a refused start creates no TAP).
only_lo() {
    local links
    links="$(in_ns ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
    [[ "$links" == "lo " ]] || problem "after '$1': expected no interface but lo in the namespace, found: $links"
    local l
    for l in $links; do
        [[ "$l" == lo ]] || in_ns ip link del "$l" 2>/dev/null || true
    done
}

# expect_exit CODE PREFIX ARGS...: runs shuntd (bounded) and checks its exit code and that
# stderr is exactly one line (starting with PREFIX when given).
expect_exit() {
    local want="$1" prefix="$2" rc=0
    shift 2
    local err="$SHUNT_TMP/err"
    in_ns timeout 10 "$shuntd" "$@" >"$SHUNT_TMP/out" 2>"$err" </dev/null || rc=$?
    local lines=()
    mapfile -t lines <"$err"
    local shown
    shown="$(head -c 400 "$err")"
    if ((rc != want)); then
        problem "shuntd $*: expected exit $want, got $rc; stderr: ${shown:-<empty>}"
    elif ((${#lines[@]} != 1)) || [[ -z "${lines[0]}" ]]; then
        problem "shuntd $*: expected exactly one line on stderr, got ${#lines[@]}: ${shown:-<empty>}"
    elif [[ -n "$prefix" && "${lines[0]}" != "$prefix"* ]]; then
        problem "shuntd $*: expected stderr to start with '$prefix', got: ${lines[0]}"
    else
        log "ok (exit $rc): shuntd $* -> ${lines[0]}"
    fi
    only_lo "shuntd $*"
}

nic=(--nic "tap:$SHUNT_TAP")
ip=(--ip "$SHUNT_IP/$SHUNT_PREFIX")

# Bad usage: exit 2.
expect_exit 2 "" --no-such-flag "${nic[@]}" "${ip[@]}"
expect_exit 2 "" "${ip[@]}"                                  # missing --nic
expect_exit 2 "" "${nic[@]}" --ip 10.77.0.300/24
expect_exit 2 "" "${nic[@]}" --ip not-an-ip/24
expect_exit 2 "" "${nic[@]}" --ip 10.77.0.2/33
expect_exit 2 "" "${nic[@]}" "${ip[@]}" --mac 02:77:00:00:00
expect_exit 2 "" "${nic[@]}" "${ip[@]}" --mac 02:77:00:00:00:zz
expect_exit 2 "" "${nic[@]}" "${ip[@]}" --gateway 10.77.0.999
expect_exit 2 "" "${nic[@]}" "${ip[@]}" --log-level loud
expect_exit 2 "" "${nic[@]}" "${ip[@]}" --mtu lots

# Unusable NIC: exit 1, "shuntd: ..." (runs inside the namespace: nothing on the host is touched).
expect_exit 1 "shuntd: " --nic "tap:abcdefghijklmnopqrst" "${ip[@]}"
expect_exit 1 "shuntd: " --nic bogus:x "${ip[@]}"
expect_exit 1 "shuntd: " --nic pci:0000:99:00.0 "${ip[@]}"

# check_schema FILE: every documented field, every drop reason from the header, integer values.
check_schema() {
    python3 - "$1" "$reasons_hpp" "$SHUNT_TAP" <<'PY'
import json, re, sys
stats = json.load(open(sys.argv[1]))
# Each layer lists its reasons in one X-macro (SHUNT_*_DROP_REASONS); TCP's names carry
# the "tcp_" prefix in the file.
def xmacro_names(path, prefix):
    m = re.search(r"#define SHUNT_\w+_DROP_REASONS\(X\)(.*?)/\* end \*/", open(path).read(), re.S)
    if not m:
        sys.exit(f"could not find the SHUNT_*_DROP_REASONS list in {path}")
    return [prefix + n for n in re.findall(r"X\(([a-z0-9_]+)\)", m.group(1))]
tcp_hpp = sys.argv[2].replace("/iface/drop_reason.hpp", "/tcp/tcp_drop_reason.hpp")
reasons = xmacro_names(sys.argv[2], "") + xmacro_names(tcp_hpp, "tcp_")
want = {
    "nic": ["rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped",
            "rx_errors", "tx_errors", "rx_copy_bytes", "tx_copy_bytes"],
    "drops": reasons,
    "stack": ["ipv4_rx", "ipv4_tx", "arp_rx", "arp_tx", "icmp_echo_replies", "udp_rx", "udp_tx",
              "frag_reassembled", "frag_tx"],
    "pool": ["size", "in_use", "capacity", "available", "alloc_failures", "bad_links",
             "double_frees", "saturated_refs"],
}
problems = []
for section, keys in want.items():
    got = stats.get(section)
    if not isinstance(got, dict):
        problems.append(f"no '{section}' object")
        continue
    for k in keys:
        v = got.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            problems.append(f"{section}.{k}: expected a non-negative integer, got {v!r}")
    if section == "drops":
        extra = sorted(set(got) - set(keys))
        if extra:
            problems.append(f"drops has names not in the drop reason lists: {extra}")
if stats.get("nic", {}).get("name") != "tap:" + sys.argv[3]:
    problems.append(f"nic.name: expected 'tap:{sys.argv[3]}', got {stats.get('nic', {}).get('name')!r}")
if not isinstance(stats.get("uptime_ms"), int):
    problems.append(f"uptime_ms: expected an integer, got {stats.get('uptime_ms')!r}")
if problems:
    sys.exit("; ".join(problems))
print(f"schema ok: {len(reasons)} drop reasons, uptime_ms={stats['uptime_ms']}")
PY
}

# --duration 1: exits 0 by itself, after about a second, with final stats written.
start_ns="$(date +%s%N)"
shuntd_start "$shuntd" --duration 1
wait_pid "$SHUNTD_PID" 10
rc="$WAIT_RC"
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
SHUNTD_PID=""
if ((rc != 0)); then
    problem "--duration 1: expected exit 0 within 10 s, got ${rc} (124 = still running) after ${elapsed_ms} ms"
elif ((elapsed_ms < 900)); then
    problem "--duration 1: exited after only ${elapsed_ms} ms"
else
    log "ok: --duration 1 exited 0 after ${elapsed_ms} ms"
    out="$(check_schema "$SHUNT_STATS" 2>&1)" || problem "stats after --duration: $out"
    log "$out"
fi

# SIGTERM / SIGINT: exit 0 and write the stats at exit. With a 60 s interval the periodic writer
# cannot be the one that brings the deleted file back.
SHUNT_STATS_INTERVAL_MS=60000
for sig in TERM INT; do
    shuntd_start "$shuntd"
    out="$(check_schema "$SHUNT_STATS" 2>&1)" || problem "stats at startup: $out"
    rm -f "$SHUNT_STATS"
    kill -s "$sig" "$SHUNTD_PID"
    wait_pid "$SHUNTD_PID" 10
    rc="$WAIT_RC"
    SHUNTD_PID=""
    if ((rc != 0)); then
        problem "SIG$sig: expected exit 0 within 10 s, got $rc (124 = still running, 128+N = killed by signal N)"
    elif [[ ! -f "$SHUNT_STATS" ]]; then
        problem "SIG$sig: exit 0 but the stats file was not written at exit"
    elif ! out="$(check_schema "$SHUNT_STATS" 2>&1)"; then
        problem "SIG$sig: stats written at exit: $out"
    else
        log "ok: SIG$sig -> exit 0, stats rewritten at exit ($out)"
    fi
done

((failures == 0)) || fail "$failures check(s) of shuntd's command line failed (see PROBLEM lines)"
echo "PASS: netns.cli"
