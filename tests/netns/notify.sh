#!/usr/bin/env bash
# netns.notify: shuntd under systemd's Type=notify protocol (docs/service.md), with this test as
# the service manager: NOTIFY_SOCKET is a datagram socket notify_probe.py owns, WATCHDOG_USEC
# asks for a watchdog.
#  1. READY=1 arrives once, with a STATUS= line, and only when the control socket already
#     answers (the probe sends a hello the moment READY=1 arrives);
#  2. WATCHDOG=1 comes from the poll loop about every WATCHDOG_USEC/2 while shuntd serves;
#  3. SIGTERM brings STOPPING=1 (after READY=1, the last message), and shuntd exits 0.
# Usage: notify.sh SHUNTD
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: notify.sh SHUNTD}"
probe="$(dirname "${BASH_SOURCE[0]}")/notify_probe.py"
netns_init notify 120
require_cmds ping
notify_sock="$SHUNT_TMP/notify.sock"
messages="$SHUNT_TMP/notify.jsonl"
python3 "$probe" "$notify_sock" "$SHUNT_CONTROL" "$messages" >"$SHUNT_TMP/probe.out" 2>&1 &
probe_pid=$!
SHUNT_BG_PIDS+=("$probe_pid")
for ((i = 0; i < 50; i++)); do
    [[ -S "$notify_sock" ]] && break
    sleep 0.1
done
[[ -S "$notify_sock" ]] || fail "notify_probe.py did not bind $notify_sock: $(cat "$SHUNT_TMP/probe.out")"

# 400 ms: WATCHDOG=1 every 200 ms.
export NOTIFY_SOCKET="$notify_sock" WATCHDOG_USEC=400000
shuntd_start "$shuntd"
unset NOTIFY_SOCKET WATCHDOG_USEC
peer_up
out="$(in_ns ping -n -c 3 -i 0.2 -W 2 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 3 ]] || fail "shuntd does not answer ping: $out"
sleep 1.5
stop_pid "$SHUNTD_PID"
rc="$WAIT_RC"
SHUNTD_PID=""
((rc == 0)) || fail "shuntd exited with $rc on SIGTERM"
wait_pid "$probe_pid" 10
((WAIT_RC == 0)) || fail "notify_probe.py exited with $WAIT_RC: $(cat "$SHUNT_TMP/probe.out")"

python3 - "$messages" <<'PY' || fail "the notify messages are wrong (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
msgs = [(l["t"], l["msg"].split("\n")) for l in lines if "msg" in l]
for t, fields in msgs:
    if fields != ["WATCHDOG=1"]:
        print(f"  {t:7.3f} s  {' | '.join(fields)}")
hello = [l for l in lines if "hello_after_ready" in l]
ready = [i for i, (_, f) in enumerate(msgs) if "READY=1" in f]
stopping = [i for i, (_, f) in enumerate(msgs) if "STOPPING=1" in f]
dogs = [t for t, f in msgs if "WATCHDOG=1" in f]
problems = []
if len(ready) != 1:
    problems.append(f"READY=1 came {len(ready)} times, expected once")
elif not any(x.startswith("STATUS=serving ") for x in msgs[ready[0]][1]):
    problems.append(f"READY=1 came without a STATUS=serving line: {msgs[ready[0]][1]}")
if len(hello) != 1 or not hello[0]["hello_after_ready"]:
    problems.append(f"the control socket did not answer when READY=1 came: {hello}")
if len(stopping) != 1:
    problems.append(f"STOPPING=1 came {len(stopping)} times, expected once")
elif ready and not (stopping[0] > ready[0] and stopping[0] == len(msgs) - 1):
    problems.append("STOPPING=1 is not the last message after READY=1")
if not any(x.startswith("STATUS=") for i in stopping for x in msgs[i][1]):
    problems.append("STOPPING=1 came without a STATUS= line")
if ready and any(t < msgs[ready[0]][0] for t in dogs):
    problems.append("WATCHDOG=1 before READY=1")
gaps = [b - a for a, b in zip(dogs, dogs[1:])]
print(f"WATCHDOG=1: {len(dogs)} times, gaps {min(gaps, default=0):.3f}-{max(gaps, default=0):.3f} s")
if len(dogs) < 5:
    problems.append(f"only {len(dogs)} WATCHDOG=1 in about 2.5 s at a 200 ms period")
elif max(gaps) > 0.4:
    problems.append(f"a WATCHDOG=1 gap of {max(gaps):.3f} s exceeds WATCHDOG_USEC (0.4 s)")
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
PY
echo "PASS: netns.notify"
