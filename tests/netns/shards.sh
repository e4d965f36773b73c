#!/usr/bin/env bash
# netns.shards: shuntd --queues 4 on a multi-queue TAP: four shards, each a Stack on its own
# queue and thread, with the kernel as the peer. The kernel spreads its flows over the four
# queues by its flow hash (tun's automq), as RSS does on a NIC; a flow stays on one queue.
#  1. Bad arguments: --queues 0 and 17, and attached apps with more than one shard: one line,
#     exit 2.
#  2. 64 HTTP GETs (each its own connection, so its own source port and flow) in 8 parallel
#     rounds and 32 UDP echoes from 32 source ports: every body and every echo right.
#  3. The control socket's stats: 4 shards; at least two of them accepted connections (the
#     flows were spread), their accepted counts sum to the top level's and to every GET; the
#     NIC's queues show frames on at least two queues.
#  4. Every ARP packet arrived on shard 0, yet shards 1-3 answered their flows: what shard 0
#     learns reaches the others (without that their replies wait for ARP answers that go to
#     queue 0, and their flows time out; seen with the relay cut).
#  5. A capture (`shuntctl capture`) while pings flow, read back by tshark, then stopped: the
#     tap is installed and removed on every shard.
#  6. SIGTERM: shuntd stops every shard and exits 0.
# Usage: shards.sh SHUNTD SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: shards.sh SHUNTD SHUNTCTL}"
shuntctl="${2:?usage: shards.sh SHUNTD SHUNTCTL}"
check="$(dirname "${BASH_SOURCE[0]}")/tcp_check.py"
require_cmds curl tshark
netns_init shards 240
sock="$SHUNT_CONTROL"
ctl() { in_ns "$shuntctl" "$@" --control "$sock"; }

# 1. Bad arguments.
for bad in "--queues 0" "--queues 17" "--queues 2 --app-socket $SHUNT_TMP/apps.sock"; do
    set +e
    # shellcheck disable=SC2086 # the words of $bad
    err="$(in_ns "$shuntd" --nic tap:shunt-bad0 --ip 10.77.9.2/24 $bad 2>&1 >/dev/null)"
    rc=$?
    set -e
    ((rc == 2)) || fail "shuntd $bad: expected exit 2, got $rc ($err)"
    (($(wc -l <<<"$err") == 1)) || fail "shuntd $bad: expected one line, got: $err"
    log "ok (exit 2): shuntd $bad -> $err"
done

shuntd_start "$shuntd" --queues 4 --http 80
peer_up
grep -q "4 shards" "$SHUNT_LOG" || fail "shuntd's log does not say it runs 4 shards: $(tail -n 3 "$SHUNT_LOG")"
grep -q "steered by rss-like" "$SHUNT_LOG" ||
    fail "the TAP is not steered RSS-like: $(grep -m1 'steered by' "$SHUNT_LOG" || tail -n 3 "$SHUNT_LOG")"
in_ns sh -c "ls /sys/class/net/$SHUNT_TAP/queues" >"$SHUNT_TMP/queues.txt"
[[ "$(grep -c '^tx-' "$SHUNT_TMP/queues.txt")" == 4 ]] ||
    fail "expected the TAP to have 4 queues: $(tr '\n' ' ' <"$SHUNT_TMP/queues.txt")"

# 2. Traffic: 64 connections, 32 UDP flows.
url="http://$SHUNT_IP"
for round in $(seq 1 8); do
    pids=()
    for k in $(seq 1 8); do
        n=$((round * 1000 + k * 37))
        (in_ns curl --silent --show-error --fail --max-time 30 "$url/bytes/$n" |
            python3 "$check" pattern "$n" >/dev/null) &
        pids+=("$!")
    done
    for p in "${pids[@]}"; do
        wait "$p" || fail "GET /bytes/N failed or came back wrong in round $round"
    done
done
log "64 GETs, each on its own connection: every body right"
in_ns python3 - "$SHUNT_IP" <<'PY' || fail "UDP echo over 32 flows failed"
import socket, sys
ip = sys.argv[1]
socks = []
for i in range(32):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(3)
    socks.append(s)
for i, s in enumerate(socks):
    msg = f"flow {i} port {s.getsockname()[1]}".encode()
    for attempt in range(3):
        s.sendto(msg, (ip, 7))
        try:
            data, _ = s.recvfrom(2048)
            break
        except socket.timeout:
            data = None
    if data != msg:
        sys.exit(f"flow {i}: echo {data!r}, expected {msg!r}")
print("32 UDP flows echoed")
PY

# 3. Per-shard counters over the control socket (shards publish every 100 ms).
sleep 0.5
ctl stats --json >"$SHUNT_TMP/stats.json" || fail "shuntctl stats failed"
python3 - "$SHUNT_TMP/stats.json" <<'PY' || fail "per-shard stats are wrong (above)"
import json, sys
d = json.load(open(sys.argv[1]))
shards = d["shards"]
if [s["shard"] for s in shards] != [0, 1, 2, 3] or [s["queue"] for s in shards] != [0, 1, 2, 3]:
    sys.exit(f"expected shards 0-3 on queues 0-3: {[(s['shard'], s['queue']) for s in shards]}")
accepted = [s["tcp"]["services"]["accepted"] for s in shards]
udp = [s["stack"]["udp_rx"] if "udp_rx" in s["stack"] else 0 for s in shards]
print("accepted per shard:", accepted, "udp per shard:", udp)
if sum(accepted) != 64:
    sys.exit(f"the shards accepted {sum(accepted)} connections, expected 64")
if d["tcp"]["services"]["accepted"] != 64:
    sys.exit(f"the top level says {d['tcp']['services']['accepted']} accepted, expected the sum 64")
if sum(1 for a in accepted if a > 0) < 2:
    sys.exit(f"all connections landed on one shard: {accepted}")
queues = d["nic"]["queues"]
busy = [q["queue"] for q in queues if q["rx_packets"] > 0]
print("queues with frames:", busy, [q["rx_packets"] for q in queues])
if len(queues) != 4 or len(busy) < 2:
    sys.exit(f"expected 4 queues, frames on at least 2: {queues}")
if sum(q["rx_packets"] for q in queues) != d["nic"]["rx_packets"]:
    sys.exit("the queues' rx_packets do not sum to the NIC's")
arp = [s["stack"]["arp_rx"] for s in shards]
print("arp received per shard:", arp)
# 4. Shards that served connections without receiving any ARP packet: their neighbour entry
# for the kernel came from another shard.
relayed = [i for i in range(4) if accepted[i] > 0 and arp[i] == 0]
print("shards that served with no ARP of their own:", relayed)
if arp[0] == 0 or any(arp[1:]):
    sys.exit(f"expected every ARP packet on shard 0 (queue 0, as RSS leaves it): {arp}")
if not relayed:
    sys.exit("no shard served a flow without ARP of its own: the relay was not exercised")
PY
log "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("per shard accepted", [s["tcp"]["services"]["accepted"] for s in d["shards"]], "arp_rx", [s["stack"]["arp_rx"] for s in d["shards"]])' "$SHUNT_TMP/stats.json")"

# 5. A capture across the shards.
pcap="$SHUNT_TMP/ping.pcap"
capture_pings "$pcap"
total="$(tshark -r "$pcap" -T fields -e icmp.type 2>/dev/null | grep -c '^[08]$' || true)"
[[ "$total" == 10 ]] || fail "tshark read $total ICMP echo frames from the capture, expected 10"
ctl stats --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["capture"]; sys.exit(0 if not c["running"] else 1)' ||
    fail "the capture still runs after shuntctl capture ended"
log "capture: 10 ICMP frames read back by tshark; the tap is off again"
# Traffic after the tap was removed from every shard (a shard still using a freed tap would
# crash here).
for k in $(seq 1 8); do
    in_ns curl --silent --show-error --fail --max-time 30 "$url/bytes/$((k * 100))" |
        python3 "$check" pattern "$((k * 100))" >/dev/null || fail "GET after the capture failed"
done

# 6. A clean stop of every shard.
kill -TERM "$SHUNTD_PID"
wait_pid "$SHUNTD_PID" 10
((WAIT_RC == 0)) || fail "shuntd exited with $WAIT_RC on SIGTERM; log: $(tail -n 5 "$SHUNT_LOG")"
SHUNTD_PID=""
grep -q "stopped:" "$SHUNT_LOG" || fail "shuntd's log has no 'stopped:' line"
echo "PASS: netns.shards"
