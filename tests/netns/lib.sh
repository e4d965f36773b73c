# shellcheck shell=bash
# Shared helpers for the netns tier. Source it, then:
#
#   netns_init NAME LIMIT_SECONDS   # root/TUN checks (exit 77 = skip), private namespace, cleanup trap
#   shuntd_start SHUNTD [ARGS...]   # shuntd on TAP shunt0 in the namespace; waits until it is ready
#   peer_up                         # kernel side of the TAP gets 10.77.0.1/24
#   in_ns CMD...                    # run a command inside the namespace
#   stat_get drops.ipv4_bad_checksum
#
# Every endpoint lives inside the namespace this file creates (named with the PID, so tests
# can run in parallel); it is deleted on exit, whatever the outcome. Every wait is bounded.

set -euo pipefail

readonly SHUNT_TAP=shunt0
readonly SHUNT_PEER_IP=10.77.0.1
readonly SHUNT_IP=10.77.0.2
readonly SHUNT_PREFIX=24
readonly SHUNT_MAC=02:77:00:00:00:02

SHUNT_NS=""
SHUNT_TMP=""
SHUNTD_PID=""
SHUNT_STATS=""
SHUNT_CONTROL="" # shuntd_start's --control socket (docs/control.md), in the test's directory
SHUNT_LOG=""
SHUNT_WATCHDOG_PID=""
SHUNT_BG_PIDS=()
SHUNT_STATS_INTERVAL_MS=200 # shuntd_start's --stats-interval-ms

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
skip() {
    printf 'SKIP: %s\n' "$*"
    exit 77
}

require_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || fail "command '$c' not found (scripts/install-deps.sh installs it)"
    done
}

in_ns() { ip netns exec "$SHUNT_NS" "$@"; }

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# wait_pid PID SECONDS: waits for a child to exit, bounded; sets WAIT_RC (124 on timeout).
WAIT_RC=0
wait_pid() {
    local pid="$1" limit="$2" i
    for ((i = 0; i < limit * 10; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    if pid_alive "$pid"; then
        WAIT_RC=124
        return 0
    fi
    WAIT_RC=0
    wait "$pid" 2>/dev/null || WAIT_RC=$?
}

# Stops a child: SIGTERM, up to 10 s, then SIGKILL. Sets WAIT_RC to its exit status.
stop_pid() {
    local pid="$1"
    WAIT_RC=0
    pid_alive "$pid" || {
        wait "$pid" 2>/dev/null || WAIT_RC=$?
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid "$pid" 10
    if ((WAIT_RC == 124)); then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        WAIT_RC=124
    fi
}

# On failure: the kernel side's view of the wire and shuntd's last counters (non-zero drops).
netns_diagnose() {
    echo "---- diagnostics: kernel side of $SHUNT_TAP in $SHUNT_NS ----"
    in_ns ip -s link show dev "$SHUNT_TAP" 2>&1
    in_ns ip neigh show dev "$SHUNT_TAP" 2>&1
    if [[ -n "$SHUNT_STATS" && -f "$SHUNT_STATS" ]]; then
        echo "---- shuntd's last stats (drop reasons that are not zero) ----"
        python3 - "$SHUNT_STATS" <<'PY' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
print("nic:", d.get("nic"))
print("stack:", d.get("stack"))
print("drops:", {k: v for k, v in d.get("drops", {}).items() if v})
print("uptime_ms:", d.get("uptime_ms"))
PY
    fi
}

netns_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    local pid
    for pid in "${SHUNT_BG_PIDS[@]}"; do
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    if ((rc != 0 && rc != 77)) && [[ -n "$SHUNT_NS" && -e "/run/netns/$SHUNT_NS" ]]; then
        netns_diagnose >&2
    fi
    if pid_alive "$SHUNTD_PID"; then
        stop_pid "$SHUNTD_PID"
    fi
    for pid in "${SHUNT_BG_PIDS[@]}"; do
        pid_alive "$pid" && wait_pid "$pid" 5
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    if [[ -n "$SHUNT_NS" && -e "/run/netns/$SHUNT_NS" ]]; then
        # Anything still inside the namespace was started by this test.
        for pid in $(ip netns pids "$SHUNT_NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$SHUNT_NS" 2>/dev/null || echo "warning: could not delete namespace $SHUNT_NS" >&2
    fi
    if ((rc != 0)) && [[ -n "$SHUNT_LOG" && -s "$SHUNT_LOG" ]]; then
        echo "---- last lines of shuntd's log ($SHUNT_LOG) ----" >&2
        tail -n 40 "$SHUNT_LOG" >&2
        echo "----" >&2
    fi
    if pid_alive "$SHUNT_WATCHDOG_PID"; then
        kill -TERM "$SHUNT_WATCHDOG_PID" 2>/dev/null
        wait "$SHUNT_WATCHDOG_PID" 2>/dev/null
    fi
    [[ -n "$SHUNT_TMP" ]] && rm -rf "$SHUNT_TMP"
    exit "$rc"
}

# netns_init NAME LIMIT_SECONDS: skips unless root with /dev/net/tun; creates the namespace
# shunt-NAME-PID with lo up and IPv6 off (so the kernel sends no IPv6 chatter at shuntd);
# installs the cleanup trap and a watchdog that ends the test after LIMIT_SECONDS.
netns_init() {
    local name="$1" limit="$2"
    [[ "$(id -u)" -eq 0 ]] || skip "needs root: creates a network namespace and a TAP device"
    [[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN/TAP support in this kernel or container)"
    require_cmds ip python3 timeout
    SHUNT_NS="shunt-${name}-$$"
    SHUNT_TMP="$(mktemp -d "/tmp/shunt-${name}.XXXXXX")"
    SHUNT_STATS="$SHUNT_TMP/stats.json"
    SHUNT_CONTROL="$SHUNT_TMP/control.sock"
    SHUNT_LOG="$SHUNT_TMP/shuntd.log"
    trap netns_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    (
        sleep "$limit" &
        sleeper=$!
        trap 'kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null; exit 0' TERM
        wait "$sleeper"
        echo "FAIL: test ran longer than its ${limit}s limit; stopping it" >&2
        kill -TERM "$$"
    ) </dev/null >/dev/null &
    SHUNT_WATCHDOG_PID=$!
    ip netns add "$SHUNT_NS" || fail "could not create network namespace $SHUNT_NS"
    in_ns ip link set lo up
    in_ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 &&
                 echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
    log "namespace $SHUNT_NS ready"
}

# stats_valid FILE: true if FILE holds a JSON object with a numeric uptime_ms.
stats_valid() {
    python3 - "$1" <<'PY' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if isinstance(d.get("uptime_ms"), int) else 1)
PY
}

# shuntd_start SHUNTD [EXTRA ARGS...]: starts shuntd on tap:shunt0 as 10.77.0.2/24 with MAC
# 02:77:00:00:00:02 and a stats file (every $SHUNT_STATS_INTERVAL_MS ms); waits (up to 15 s) for the stats file, its "ready" signal.
shuntd_start() {
    local shuntd="$1" i
    shift
    [[ -x "$shuntd" ]] || fail "shuntd binary '$shuntd' is missing or not executable"
    rm -f "$SHUNT_STATS"
    (
        trap - INT QUIT
        exec ip netns exec "$SHUNT_NS" "$shuntd" --nic "tap:$SHUNT_TAP" \
            --ip "$SHUNT_IP/$SHUNT_PREFIX" --mac "$SHUNT_MAC" \
            --stats-file "$SHUNT_STATS" --stats-interval-ms "$SHUNT_STATS_INTERVAL_MS" \
            --control "$SHUNT_CONTROL" "$@"
    ) </dev/null >>"$SHUNT_LOG" 2>&1 &
    SHUNTD_PID=$!
    for ((i = 0; i < 150; i++)); do
        [[ -f "$SHUNT_STATS" ]] && break
        if ! pid_alive "$SHUNTD_PID"; then
            wait "$SHUNTD_PID" 2>/dev/null || WAIT_RC=$?
            fail "shuntd exited (status ${WAIT_RC:-0}) before writing its stats file; log: $(tail -n 5 "$SHUNT_LOG")"
        fi
        sleep 0.1
    done
    [[ -f "$SHUNT_STATS" ]] || fail "shuntd did not write its stats file $SHUNT_STATS within 15 s"
    stats_valid "$SHUNT_STATS" || fail "shuntd's stats file is not a JSON object with uptime_ms: $(head -c 300 "$SHUNT_STATS")"
    log "shuntd ready (pid $SHUNTD_PID)"
}

# peer_up: checks shuntd set the kernel side of the TAP up, then gives it 10.77.0.1/24.
peer_up() {
    local flags
    flags="$(in_ns ip -j link show dev "$SHUNT_TAP" | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)[0]["flags"]))')" ||
        fail "TAP $SHUNT_TAP does not exist in namespace $SHUNT_NS after shuntd started"
    [[ ",$flags," == *",UP,"* ]] || fail "expected shuntd to set $SHUNT_TAP UP; its flags are: $flags"
    in_ns ip addr add "$SHUNT_PEER_IP/$SHUNT_PREFIX" dev "$SHUNT_TAP"
}

# stat_get PATH [FILE]: prints a counter from the stats JSON, e.g. stack.icmp_echo_replies.
stat_get() {
    python3 - "${2:-$SHUNT_STATS}" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    if not isinstance(d, dict) or key not in d:
        sys.exit(f"stats file has no '{sys.argv[2]}'")
    d = d[key]
print(d)
PY
}

# wait_stat_ge PATH MIN [SECONDS]: waits (bounded, default 5 s) until the counter reaches MIN;
# prints the last value seen. Returns 1 if it never did.
wait_stat_ge() {
    local key="$1" min="$2" limit="${3:-5}" i v=0
    for ((i = 0; i <= limit * 10; i++)); do
        v="$(stat_get "$key")" || return 1
        if ((v >= min)); then
            echo "$v"
            return 0
        fi
        sleep 0.1
    done
    echo "$v"
    return 1
}

# wait_stats_refresh [SECONDS]: waits until shuntd rewrites its stats file (uptime_ms moves).
wait_stats_refresh() {
    local limit="${1:-5}" before
    before="$(stat_get uptime_ms)"
    wait_stat_ge uptime_ms "$((before + 1))" "$limit" >/dev/null ||
        fail "shuntd did not refresh its stats file within ${limit}s (uptime_ms stuck at $before)"
}

# ping_received OUTPUT: the "received" count in ping's summary (0 if none).
ping_received() {
    local out="$1"
    if [[ "$out" =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]]; then
        echo "${BASH_REMATCH[2]}"
    else
        echo 0
    fi
}

# neigh_mac IP: the lladdr the kernel side learnt for IP on the TAP (empty if none).
neigh_mac() {
    in_ns ip -j neigh show "$1" dev "$SHUNT_TAP" |
        python3 -c 'import json,sys; e=json.load(sys.stdin); print(e[0].get("lladdr","") if e else "")'
}

# scapy_python: prints an interpreter that imports scapy (Debian's python3-scapy lives in the
# system interpreter, which need not be the first python3 on PATH); fails without one.
scapy_python() {
    local cand
    for cand in python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null && "$cand" -c 'import scapy.all' 2>/dev/null; then
            echo "$cand"
            return 0
        fi
    done
    fail "scapy not found (python3-scapy; scripts/install-deps.sh installs it)"
}

# budget_report: logs the pool counters of the stats file (stack.budget, the budget's drops
# and TCP's out-of-order gauges) that the resource-budget tests rely on.
budget_report() {
    python3 - "$SHUNT_STATS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["stack"]["budget"]
t = d.get("tcp", {})
dr = d.get("drops", {})
keys = ["tcp_ooo_budget", "tcp_ooo_pruned", "tcp_rx_budget", "tcp_zero_window_abort",
        "ipv4_frag_budget", "ipv4_frag_limit", "udp_budget", "neigh_budget", "no_buffer"]
print("[budget] pool", json.dumps(b), "| tcp ooo_buffers", t.get("ooo_buffers"),
      "send_buffers", t.get("send_buffers"), "rx_coalesced", t.get("rx_coalesced"),
      "| drops", json.dumps({k: dr.get(k) for k in keys}),
      "| nic rx_dropped", d.get("nic", {}).get("rx_dropped"))
PY
}

# capture_pings PCAP: `ctl capture --count 10 --filter icmp` (the caller's ctl function, which
# names the control socket) while the kernel sends 5 pings to shuntd; fails unless all 5 were
# answered and the capture wrote its 10 frames. The capture's stderr is in $SHUNT_TMP/capture.err.
capture_pings() {
    local pcap="$1" cap_pid i out
    ctl capture --count 10 --filter icmp --duration 30 -w "$pcap" 2>"$SHUNT_TMP/capture.err" &
    cap_pid=$!
    SHUNT_BG_PIDS+=("$cap_pid")
    for ((i = 0; i < 100; i++)); do
        grep -qs "^capturing" "$SHUNT_TMP/capture.err" && break
        pid_alive "$cap_pid" || fail "shuntctl capture exited early: $(cat "$SHUNT_TMP/capture.err")"
        sleep 0.1
    done
    grep -qs "^capturing" "$SHUNT_TMP/capture.err" || fail "shuntctl capture did not start in 10 s"
    out="$(in_ns ping -n -c 5 -i 0.2 -W 2 "$SHUNT_IP" 2>&1)" || true
    [[ "$(ping_received "$out")" == 5 ]] || fail "expected 5 ping replies during the capture: $out"
    wait_pid "$cap_pid" 20
    ((WAIT_RC == 0)) || fail "shuntctl capture exited with $WAIT_RC: $(cat "$SHUNT_TMP/capture.err")"
    grep -q "10 frames written" "$SHUNT_TMP/capture.err" ||
        fail "expected 10 frames written: $(cat "$SHUNT_TMP/capture.err")"
}
