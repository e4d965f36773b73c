#!/usr/bin/env bash
# netns.control: shuntd's control socket (docs/control.md) with the Linux kernel as the peer.
#  1. the socket is mode 0660; bad requests (malformed JSON, a 70,000-byte line) get one error
#     reply and the connection is closed, counted, while the daemon keeps serving;
#  2. `shuntctl stats --watch --json` while the kernel pings and frame_inject sends malformed
#     frames: rates are non-zero, and each injected kind's drop reason grows by at least what
#     was sent, read over the socket;
#  2b. per queue and per TCP state: nic.queues[0]'s rx packets rise with the pings, a TCP
#     connection held open shows in tcp.states.ESTABLISHED (and LISTEN counts the services),
#     the table shows the states and buffer use; once it closes, ESTABLISHED is 0 again;
#  3. `shuntctl capture --filter icmp --count 10 -w FILE` during 5 pings: tshark reads the file
#     back and finds exactly the 5 echo requests (kernel -> shuntd) and 5 replies.
# Usage: control.sh SHUNTD SHUNTCTL FRAME_INJECT
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: control.sh SHUNTD SHUNTCTL FRAME_INJECT}"
shuntctl="${2:?usage: control.sh SHUNTD SHUNTCTL FRAME_INJECT}"
inject="${3:?usage: control.sh SHUNTD SHUNTCTL FRAME_INJECT}"
probe="$(dirname "${BASH_SOURCE[0]}")/control_probe.py"
netns_init control 180
require_cmds ping tshark
sock="$SHUNT_CONTROL"
shuntd_start "$shuntd"
peer_up
ctl() { in_ns "$shuntctl" "$@" --control "$sock"; }

out="$(in_ns ping -n -c 2 -W 2 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 2 ]] || fail "shuntd does not answer ping: $out"

# 1. Permissions and bad requests.
mode="$(stat -c %a "$sock")"
[[ "$mode" == 660 ]] || fail "expected the control socket mode 660, it is $mode"
for what in hello malformed oversize unknown hello; do
    in_ns python3 "$probe" "$sock" "$what" || fail "control_probe $what failed (above)"
done
ctl stats --json >"$SHUNT_TMP/after_bad.json" || fail "shuntctl stats failed after the bad requests"
python3 - "$SHUNT_TMP/after_bad.json" <<'PY' || fail "the bad requests were not counted"
import json, sys
c = json.load(open(sys.argv[1]))["control"]
print(f"control counters: {c}")
assert c["bad_lines"] == 1 and c["oversize_lines"] == 1, c
PY
grep -q "control: client .* connected (pid [0-9]* uid 0 gid 0)" "$SHUNT_LOG" ||
    fail "shuntd did not log its clients' SO_PEERCRED identity"

# 2. Stats while traffic flows, drops by reason matching the injected garbage.
ctl stats --json >"$SHUNT_TMP/before.json"
in_ns ping -n -i 0.05 -c 60 -W 2 "$SHUNT_IP" >"$SHUNT_TMP/ping.out" 2>&1 &
ping_pid=$!
SHUNT_BG_PIDS+=("$ping_pid")
ctl stats --watch 0.5 --json --iterations 6 >"$SHUNT_TMP/watch.jsonl" &
watch_pid=$!
SHUNT_BG_PIDS+=("$watch_pid")
sleep 0.3
in_ns "$inject" --ifname "$SHUNT_TAP" --dst-mac "$SHUNT_MAC" --src-ip "$SHUNT_PEER_IP" \
    --dst-ip "$SHUNT_IP" --kinds malformed --count 20 --seed "$$" --interval-us 2000 \
    >"$SHUNT_TMP/inject.out" || fail "frame_inject failed: $(cat "$SHUNT_TMP/inject.out")"
wait_pid "$watch_pid" 20
((WAIT_RC == 0)) || fail "shuntctl stats --watch exited with $WAIT_RC"
wait_pid "$ping_pid" 20
ctl stats --json >"$SHUNT_TMP/after.json"
python3 - "$SHUNT_TMP/watch.jsonl" "$SHUNT_TMP/before.json" "$SHUNT_TMP/after.json" \
    "$SHUNT_TMP/inject.out" <<'PY' || fail "stats over the control socket are wrong (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 6, f"expected 6 intervals from --iterations 6, got {len(lines)}"
rx = max(l["rates"]["nic"]["rx_pps"] for l in lines)
tx = max(l["rates"]["nic"]["tx_pps"] for l in lines)
mbps = max(l["rates"]["nic"]["rx_mbps"] for l in lines)
shard = max(l["rates"]["shards"][0]["ipv4_rx_pps"] for l in lines)
dps = max(l["rates"]["nic"]["drops_per_s"] for l in lines)
print(f"peak rates: rx {rx:.0f} pkt/s ({mbps:.3f} Mbit/s), tx {tx:.0f} pkt/s, "
      f"shard 0 ipv4 rx {shard:.0f}/s, drops {dps:.0f}/s")
problems = []
if rx <= 0 or tx <= 0 or mbps <= 0 or shard <= 0:
    problems.append("a rate stayed zero while the kernel pinged")
if dps <= 0:
    problems.append("drops/s stayed zero while garbage was injected")
before, after = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for line in open(sys.argv[4]):
    _, kind, reason, sent, refused = line.split()
    if reason == "-":
        continue
    delta = after["drops"][reason] - before["drops"][reason]
    print(f"  {kind}: {sent} sent -> drops.{reason} +{delta}")
    if delta < int(sent):
        problems.append(f"drops.{reason}: +{delta}, expected at least {sent}")
    shard_delta = after["shards"][0]["drops"][reason] - before["shards"][0]["drops"][reason]
    if shard_delta != delta:
        problems.append(f"shard 0's drops.{reason} +{shard_delta} differs from the total +{delta}")
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
PY
# 2b. Per-queue counters, TCP states, pool use; a connection held open to the echo service.
python3 - "$SHUNT_TMP/before.json" "$SHUNT_TMP/after.json" <<'PY' || fail "nic.queues or pool are wrong (above)"
import json, sys
before, after = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
q0b, q0a = before["nic"]["queues"][0], after["nic"]["queues"][0]
print(f"nic.queues[0]: rx {q0b['rx_packets']} -> {q0a['rx_packets']}, "
      f"tx {q0b['tx_packets']} -> {q0a['tx_packets']}; pool {after['pool']}")
assert len(after["nic"]["queues"]) == 1 and q0a["queue"] == 0, after["nic"]["queues"]
assert q0a["rx_packets"] >= q0b["rx_packets"] + 60, "queue 0 rx did not grow by the 60 pings"
assert q0a["tx_packets"] >= q0b["tx_packets"] + 60, "queue 0 tx did not grow by the 60 replies"
assert q0a["rx_packets"] == after["nic"]["rx_packets"], "one queue: queue 0 is the whole NIC"
p = after["pool"]
assert p["size"] > 0 and 0 <= p["in_use"] <= p["size"] and p["size"] == p["capacity"], p
PY
in_ns python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=5)
s.sendall(b"held open\n")
assert s.recv(100) == b"held open\n"
open(sys.argv[2], "w").write("connected\n")
time.sleep(30)
' "$SHUNT_IP" "$SHUNT_TMP/held" 2>"$SHUNT_TMP/held.err" &
held_pid=$!
SHUNT_BG_PIDS+=("$held_pid")
for ((i = 0; i < 50; i++)); do
    [[ -s "$SHUNT_TMP/held" ]] && break
    pid_alive "$held_pid" || fail "the held TCP connection failed: $(cat "$SHUNT_TMP/held.err")"
    sleep 0.1
done
[[ -s "$SHUNT_TMP/held" ]] || fail "the held TCP connection did not open in 5 s"
ctl stats --json >"$SHUNT_TMP/held.json"
ctl stats >"$SHUNT_TMP/held_table.txt" || fail "shuntctl stats (table) failed"
kill -TERM "$held_pid" 2>/dev/null || true
wait_pid "$held_pid" 5
python3 - "$SHUNT_TMP/held.json" <<'PY' || fail "tcp.states is wrong with a connection open (above)"
import json, sys
j = json.load(open(sys.argv[1]))
st = j["tcp"]["states"]
print(f"tcp.states with one connection open: {st}")
names = ["LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
         "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"]
assert list(st) == names, f"expected the states {names}"
assert st["ESTABLISHED"] >= 1, "ESTABLISHED is 0 while a connection is open"
assert st["LISTEN"] >= 2, "LISTEN does not count the echo and discard listeners"
assert j["shards"][0]["tcp"]["states"] == st, "shard 0's states differ from the total"
PY
grep -Eq "^tcp states: .*ESTABLISHED [1-9]" "$SHUNT_TMP/held_table.txt" ||
    fail "the table does not show ESTABLISHED: $(cat "$SHUNT_TMP/held_table.txt")"
grep -Eq "^ queue 0 " "$SHUNT_TMP/held_table.txt" || fail "the table has no queue 0 row"
grep -Eq "^buffers: [0-9]+ of [1-9][0-9]* in use" "$SHUNT_TMP/held_table.txt" ||
    fail "the table has no buffer use"
# Closed (the kernel's FIN, shuntd's echo service closes too): ESTABLISHED drops back to 0.
for ((i = 0; i < 50; i++)); do
    est="$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tcp"]["states"]["ESTABLISHED"])')"
    [[ "$est" == 0 ]] && break
    sleep 0.1
done
[[ "$est" == 0 ]] || fail "tcp.states.ESTABLISHED is $est after the connection closed"

# The table (no --json) fits 80 columns.
ctl stats >"$SHUNT_TMP/table.txt" || fail "shuntctl stats (table) failed"
cat "$SHUNT_TMP/table.txt"
width="$(awk '{ if (length($0) > w) w = length($0) } END { print w }' "$SHUNT_TMP/table.txt")"
((width <= 80)) || fail "the stats table is $width columns wide, more than 80"

# 3. A capture read back by tshark.
pcap="$SHUNT_TMP/ping.pcap"
capture_pings "$pcap"
grep -q " 0 dropped" "$SHUNT_TMP/capture.err" || fail "the capture dropped frames"
fields="$(tshark -r "$pcap" -T fields -e frame.protocols -e ip.src -e icmp.type 2>"$SHUNT_TMP/tshark.err")" ||
    fail "tshark could not read the capture: $(cat "$SHUNT_TMP/tshark.err")"
printf '%s\n' "$fields"
requests="$(grep -c "eth:ethertype:ip:icmp:data	$SHUNT_PEER_IP	8$" <<<"$fields" || true)"
replies="$(grep -c "eth:ethertype:ip:icmp:data	$SHUNT_IP	0$" <<<"$fields" || true)"
total="$(wc -l <<<"$fields")"
[[ "$requests" == 5 && "$replies" == 5 && "$total" == 10 ]] ||
    fail "expected 5 echo requests from $SHUNT_PEER_IP and 5 replies from $SHUNT_IP, got $requests and $replies of $total frames"
ctl stats --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["capture"]; sys.exit(0 if not c["running"] else 1)' ||
    fail "the capture still runs after shuntctl capture ended"
pid_alive "$SHUNTD_PID" || fail "shuntd is not running at the end"
echo "PASS: netns.control"
