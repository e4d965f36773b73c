#!/usr/bin/env bash
# netns.garbage: malformed frames of ten kinds (200 each, interleaved, ~5 s) are sent from the
# kernel side of the TAP to shuntd's MAC while the kernel pings shuntd every 0.2 s. Proves that
# every ping still gets its reply, that each malformed kind is counted under its drop reason,
# that none of them is answered; then 500 seeded random frames, again under ping; and that
# shuntd is alive and answering afterwards.
#
# Frames shorter than 14 bytes: the kernel refuses to transmit them on an Ethernet device
# (dev_validate_header: EINVAL even for root), so eth_truncated cannot be reached from a real
# peer; frame_inject reports them as refused and the unit tier covers that path.
# Usage: garbage.sh SHUNTD FRAME_INJECT
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: garbage.sh SHUNTD FRAME_INJECT}"
inject="${2:?usage: garbage.sh SHUNTD FRAME_INJECT}"
[[ -x "$inject" ]] || fail "frame_inject '$inject' is missing or not executable"
count=200
netns_init garbage 240
require_cmds ping
shuntd_start "$shuntd"
peer_up

out="$(in_ns ping -n -c 2 -W 2 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 2 ]] || fail "shuntd does not answer ping before the test: $out"

# inject_with_ping KINDS COUNT PINGS OUT: snapshot the stats to OUT.before.json, then inject
# COUNT frames of each of KINDS (frame_inject's lines go to OUT) while the kernel pings shuntd
# PINGS times every 0.2 s; every ping must be answered and shuntd must still run.
inject_with_ping() {
    local kinds="$1" n="$2" pings="$3" out="$4" ping_pid got ping_out missing
    wait_stats_refresh 5
    cp "$SHUNT_STATS" "$out.before.json"
    in_ns ping -n -i 0.2 -c "$pings" -W 2 "$SHUNT_IP" >"$out.ping" 2>&1 &
    ping_pid=$!
    SHUNT_BG_PIDS+=("$ping_pid")
    sleep 0.5
    log "injecting $n frames of each kind ($kinds) during $pings pings"
    in_ns "$inject" --ifname "$SHUNT_TAP" --dst-mac "$SHUNT_MAC" --src-ip "$SHUNT_PEER_IP" \
        --dst-ip "$SHUNT_IP" --kinds "$kinds" --count "$n" --seed "$$" --interval-us 2000 >"$out" ||
        fail "frame_inject failed: $(cat "$out")"
    cat "$out"
    wait_pid "$ping_pid" 30
    ((WAIT_RC != 124)) || fail "background ping did not finish within 30 s"
    ping_out="$(cat "$out.ping")"
    got="$(ping_received "$ping_out")"
    # Every echo must be answered; only the last may still be in flight when ping stops
    # (it waits just 0.2 s after its last request).
    missing="$(printf '%s\n' "$ping_out" | python3 -c '
import re, sys
n = int(sys.argv[1])
seen = {int(m) for m in re.findall(r"bytes from .*icmp_seq=(\d+)", sys.stdin.read())}
print(" ".join(str(s) for s in range(1, n) if s not in seen))' "$pings")"
    if [[ -n "$missing" ]]; then
        printf '%s\n' "$ping_out" >&2
        fail "expected every background ping answered during the injection; no reply to icmp_seq $missing"
    fi
    log "background ping during injection: $got/$pings replies (all answered, the last may be in flight)"
    pid_alive "$SHUNTD_PID" || fail "shuntd died during the injection"
}

pings=40 # at 0.2 s: 8 s, longer than the ~5 s injection
inject_with_ping malformed "$count" "$pings" "$SHUNT_TMP/inject.out"

# Each kind must be counted under its reason: delta >= frames the kernel actually transmitted.
# Wait (bounded) for shuntd's stats to catch up, then compare with the snapshot taken before.
check() {
    python3 - "$SHUNT_TMP/inject.out.before.json" "$SHUNT_STATS" "$SHUNT_TMP/inject.out" "$pings" <<'PY'
import json, sys
before = json.load(open(sys.argv[1]))
after = json.load(open(sys.argv[2]))
pings = int(sys.argv[4])
problems, lines = [], []
for line in open(sys.argv[3]):
    _, kind, reason, sent, refused = line.split()
    sent, refused = int(sent), int(refused)
    if reason == "-":
        lines.append(f"  {kind}: {sent} sent (no single reason expected)")
        continue
    if reason not in after["drops"]:
        problems.append(f"stats have no drop reason '{reason}'")
        continue
    delta = after["drops"][reason] - before["drops"][reason]
    note = f", {refused} refused by the kernel (shorter than 14 bytes)" if refused else ""
    lines.append(f"  {kind}: {sent} sent{note} -> drops.{reason} +{delta}")
    if delta < sent:
        problems.append(f"drops.{reason}: expected +{sent} or more for {kind}, saw +{delta}")
def grew(key):
    return after["stack"][key] - before["stack"][key]
# Malformed UDP must not be echoed; bad-checksum echo requests must not be answered.
if grew("udp_tx") != 0:
    problems.append(f"stack.udp_tx grew by {grew('udp_tx')}: a malformed datagram was echoed")
if grew("icmp_echo_replies") > pings:
    problems.append(f"stack.icmp_echo_replies grew by {grew('icmp_echo_replies')}, "
                    f"more than the {pings} valid pings: a malformed echo request was answered")
print("\n".join(lines))
if problems:
    print("\n".join("PROBLEM: " + p for p in problems))
    sys.exit(1)
PY
}
result=""
counted=no
for ((i = 0; i < 20; i++)); do
    if result="$(check 2>&1)"; then
        counted=yes
        break
    fi
    sleep 0.25
done
printf '%s\n' "$result"
[[ "$counted" == yes ]] || fail "malformed frames were not all counted/dropped as expected (see above)"

# Then seeded random bytes (after shuntd's MAC), on their own so they cannot make up for a
# malformed kind's counter above: all must reach shuntd (nic.rx_packets) and none be echoed.
random_count=500
inject_with_ping random "$random_count" 10 "$SHUNT_TMP/random.out"
sent="$(awk '$2 == "random" {print $4}' "$SHUNT_TMP/random.out")"
rx_before="$(stat_get nic.rx_packets "$SHUNT_TMP/random.out.before.json")"
udp_before="$(stat_get stack.udp_tx "$SHUNT_TMP/random.out.before.json")"
rx="$(wait_stat_ge nic.rx_packets "$((rx_before + sent))")" ||
    fail "expected nic.rx_packets to grow by >= $sent random frames, it went from $rx_before to $rx"
wait_stats_refresh 5
udp="$(stat_get stack.udp_tx)"
((udp == udp_before)) || fail "stack.udp_tx grew from $udp_before to $udp during the random frames"
log "random frames: $sent sent, nic.rx_packets $rx_before -> $rx, no UDP sent"

out="$(in_ns ping -n -c 3 -W 2 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 3 ]] || fail "expected shuntd to answer 3 pings after the injection: $out"
pid_alive "$SHUNTD_PID" || fail "shuntd is not running after the test"
log "shuntd still answers ping after the injection"
echo "PASS: netns.garbage"
