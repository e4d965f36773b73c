#!/usr/bin/env bash
# netns.tcp_echo: the kernel's TCP against shuntd's echo (7) and discard (9) services: socat
# sends a random file to echo and must get it back byte for byte, with a half-close at the end
# (shuntd finishes echoing, then closes); nc sends a file to discard and sees the connection
# close cleanly; N connections at once to echo each get their own bytes back, and afterwards
# tcp.states counts no connection in any state but LISTEN (the two listeners).
# Usage: tcp_echo.sh SHUNTD CONCURRENT
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_echo.sh SHUNTD CONCURRENT}"
concurrent="${2:?number of concurrent connections}"
require_cmds socat nc cmp
netns_init tcp-echo 300
shuntd_start "$shuntd"
peer_up

head -c $((4 * 1024 * 1024)) /dev/urandom >"$SHUNT_TMP/in"
in_ns timeout 120 socat -t 30 - "TCP:$SHUNT_IP:7" <"$SHUNT_TMP/in" >"$SHUNT_TMP/out" 2>"$SHUNT_TMP/socat.err" ||
    fail "socat to echo failed: $(cat "$SHUNT_TMP/socat.err")"
cmp "$SHUNT_TMP/in" "$SHUNT_TMP/out" || fail "echo returned different bytes ($(stat -c %s "$SHUNT_TMP/out") of 4 MiB)"
log "echo: 4 MiB back byte for byte through socat, half-close honoured"

in_ns timeout 60 nc -N "$SHUNT_IP" 9 <"$SHUNT_TMP/in" >"$SHUNT_TMP/discard.out" ||
    fail "nc to discard failed"
[[ ! -s "$SHUNT_TMP/discard.out" ]] || fail "discard sent bytes back"
log "discard: 4 MiB sent, nothing back, clean close"

pids=()
for ((i = 0; i < concurrent; i++)); do
    head -c $((1000 + i * 37)) /dev/urandom >"$SHUNT_TMP/c$i.in"
    in_ns timeout 120 socat -t 30 - "TCP:$SHUNT_IP:7" <"$SHUNT_TMP/c$i.in" >"$SHUNT_TMP/c$i.out" 2>/dev/null &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
for ((i = 0; i < concurrent; i++)); do
    cmp -s "$SHUNT_TMP/c$i.in" "$SHUNT_TMP/c$i.out" || failed=$((failed + 1))
done
((failed == 0)) || fail "$failed of $concurrent concurrent echo connections failed or differed"
log "$concurrent concurrent echo connections, each byte-exact"
# Every connection closed: no state count is left behind (tcp.states, kept at each transition
# of the sockets, docs/control.md), only the echo and discard listeners remain.
states_clean() {
    python3 - "$SHUNT_STATS" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tcp"]
st = t["states"]
busy = {k: v for k, v in st.items() if k not in ("LISTEN", "TIME-WAIT") and v != 0}
print(f"tcp.states {st}, connections {t['connections']}")
sys.exit(0 if not busy and st["LISTEN"] == 2 and t["connections"] == 0 else 1)
PY
}
for ((i = 0; i < 50; i++)); do
    states_clean >"$SHUNT_TMP/states.out" && break
    sleep 0.2
done
cat "$SHUNT_TMP/states.out"
states_clean >/dev/null || fail "connection states left after every connection closed: $(cat "$SHUNT_TMP/states.out")"
echo "PASS: netns.tcp_echo"
