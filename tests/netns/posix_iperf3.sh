#!/usr/bin/env bash
# netns.posix_iperf3: iperf3 (Debian's) under shunt-run against the kernel's iperf3, four ways:
# the shunt side as server (-s) with the kernel client sending, and receiving (-R); then the
# shunt side as client with a kernel server, both directions. Each run moves MIB MiB (-n).
# iperf3 sends a fixed random buffer and cannot check content (its -F skips the unsent tail of
# a partial write, so it is no byte check either); the counts are checked instead: the
# receiver's bytes equal the sender's (-R, where the sender's count ends the test), or reach
# 90 % of them (forward, where iperf3's receiver stops counting at the client's "done").
# The byte-exact checks of the layer are posix_socat, posix_curl, posix_nginx and posix_redis.
# Usage: posix_iperf3.sh SHUNTD SHUNT_RUN MIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

mib="${3:?usage: posix_iperf3.sh SHUNTD SHUNT_RUN MIB}"
require_cmds iperf3
posix_init posix-iperf3 150 "${2:?usage: posix_iperf3.sh SHUNTD SHUNT_RUN MIB}"

# check_json FILE WHAT EXACT: the client's --json report; prints the rate.
check_json() {
    python3 - "$1" "$2" "$3" "$((mib * 1048576))" <<'PY'
import json, sys
path, what, exact, n = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
d = json.load(open(path))
if "error" in d:
    sys.exit(f"{what}: iperf3 error: {d['error']}")
sent, got = d["end"]["sum_sent"]["bytes"], d["end"]["sum_received"]["bytes"]
if sent < n:
    sys.exit(f"{what}: sent {sent} bytes, expected at least {n}")
if (exact and got != sent) or got < 0.9 * sent:
    sys.exit(f"{what}: sent {sent} bytes, received {got}")
print(f"{what}: {sent} bytes sent, {got} received, "
      f"{d['end']['sum_received']['bits_per_second'] / 1e9:.2f} Gbit/s")
PY
}

# ---- shunt side serves ----
for dir in "" "-R"; do
    : >"$SHUNT_RUN_LOG_FILE"
    shunt_run_bg iperf3-s timeout 60 iperf3 -s -1 -B "$SHUNT_IP"
    wait_run_log "listening on TCP port 5201" iperf3-s
    in_ns timeout 60 iperf3 -c "$SHUNT_IP" -n "${mib}M" $dir --json >"$SHUNT_TMP/c.json" ||
        fail "kernel iperf3 -c $dir failed: $(head -c 400 "$SHUNT_TMP/c.json"); server: $(tail -n 5 "$SHUNT_TMP/iperf3-s.out")"
    check_json "$SHUNT_TMP/c.json" "shunt server, kernel client ${dir:-(client sends)}" "$([[ -n $dir ]] && echo 1 || echo 0)"
    wait_pid "$RUN_PID" 15
    ((WAIT_RC == 0)) || fail "iperf3 -s under shunt-run exited with $WAIT_RC: $(tail -n 5 "$SHUNT_TMP/iperf3-s.out")"
    run_log_check
done

# ---- shunt side connects ----
(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" timeout 60 iperf3 -s -B "$SHUNT_PEER_IP"
) </dev/null >"$SHUNT_TMP/kernel-s.out" 2>&1 &
SHUNT_BG_PIDS+=("$!")
sleep 0.5
for dir in "" "-R"; do
    shunt_run_cmd timeout 60 iperf3 -c "$SHUNT_PEER_IP" -n "${mib}M" $dir --json >"$SHUNT_TMP/c.json" ||
        fail "iperf3 -c $dir under shunt-run failed: $(head -c 400 "$SHUNT_TMP/c.json")"
    check_json "$SHUNT_TMP/c.json" "shunt client ${dir:-(client sends)}, kernel server" "$([[ -z $dir ]] && echo 0 || echo 1)"
done
run_log_check
echo "PASS: netns.posix_iperf3"
