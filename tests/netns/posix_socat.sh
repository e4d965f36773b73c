#!/usr/bin/env bash
# netns.posix_socat: socat (Debian's) under shunt-run as a TCP echo server and as a UDP echo
# server on shunt's stack, with socat and Python on the kernel's side of the TAP as clients.
# TCP: MIB MiB of seeded random bytes go through the echo with a half-close, and come back
# byte for byte (sha256). UDP: 300 datagrams of sizes 1-1472 come back byte for byte.
# Usage: posix_socat.sh SHUNTD SHUNT_RUN MIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

mib="${3:?usage: posix_socat.sh SHUNTD SHUNT_RUN MIB}"
require_cmds socat sha256sum
posix_init posix-socat 120 "${2:?usage: posix_socat.sh SHUNTD SHUNT_RUN MIB}"

# ---- TCP echo: socat PIPE echoes what it reads, and shuts its side on our FIN ----
random_file "$SHUNT_TMP/in.bin" "$mib"
shunt_run_bg socat-tcp socat TCP-LISTEN:7000,reuseaddr PIPE
wait_run_log "listening on TCP port 7000" socat-tcp
log "socat TCP echo under shunt-run ready (pid $RUN_PID)"
in_ns timeout 60 socat -t 30 -T 30 "TCP:$SHUNT_IP:7000" - <"$SHUNT_TMP/in.bin" >"$SHUNT_TMP/out.bin" ||
    fail "kernel socat client failed (server output: $(tail -n 5 "$SHUNT_TMP/socat-tcp.out"))"
[[ "$(sha "$SHUNT_TMP/in.bin")" == "$(sha "$SHUNT_TMP/out.bin")" ]] ||
    fail "TCP echo: sent $(stat -c %s "$SHUNT_TMP/in.bin") bytes, got $(stat -c %s "$SHUNT_TMP/out.bin") back, sha256 differs"
log "TCP echo: $mib MiB back byte for byte"
wait_pid "$RUN_PID" 10
((WAIT_RC == 0)) || fail "socat TCP server exited with $WAIT_RC: $(tail -n 5 "$SHUNT_TMP/socat-tcp.out")"

# ---- UDP echo: socat UDP-LISTEN answers the first peer's datagrams ----
shunt_run_bg socat-udp socat UDP-LISTEN:7001,reuseaddr PIPE
wait_run_log "bound to UDP port 7001" socat-udp
in_ns timeout 60 python3 - "$SHUNT_IP" 7001 "$$" <<'PY' || fail "UDP echo check failed"
import random, socket, sys
ip, port, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.connect((ip, port))
ok = 0
for i in range(300):
    size = 1 + (i * 97) % 1472
    payload = r.randbytes(size)
    for attempt in range(3):  # UDP may drop: a retry is not a failure, a wrong byte is
        s.send(payload)
        try:
            echo = s.recv(2048)
        except socket.timeout:
            continue
        while echo != payload:  # a late echo of an earlier retry: read on
            echo = s.recv(2048)
        ok += 1
        break
    else:
        sys.exit(f"datagram {i} ({size} bytes): no echo after 3 tries")
print(f"udp echo: {ok} datagrams ok")
PY
log "UDP echo: 300 datagrams back byte for byte"
stop_pid "$RUN_PID"
run_log_check
echo "PASS: netns.posix_socat"
