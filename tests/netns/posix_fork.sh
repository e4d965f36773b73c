#!/usr/bin/env bash
# netns.posix_fork: shunt-run's usage errors, its setuid refusal, and the layer's fork policy
# (docs/posix.md). Bad usage (no --nic, a bad --ip, --gateway outside the subnet, no CMD) prints
# one line and exits 2; a setuid program is refused with exit 126; a missing program exits 127.
# A Python program under shunt-run connects to a kernel echo server, forks: in the child the
# inherited shunt socket fails with EBADF and a new socket goes to the kernel (logged); the
# parent's connection still echoes byte for byte after the child exited.
# Usage: posix_fork.sh SHUNTD SHUNT_RUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

require_cmds socat
posix_init posix-fork 60 "${2:?usage: posix_fork.sh SHUNTD SHUNT_RUN}"

# expect_usage CODE ARGS...: shunt-run exits CODE with exactly one line on stderr.
expect_usage() {
    local code="$1" rc=0 err
    shift
    err="$("$SHUNT_RUN_BIN" "$@" 2>&1 >/dev/null)" || rc=$?
    ((rc == code)) || fail "shunt-run $*: exit $rc, expected $code ($err)"
    [[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 && "$err" == shunt-run:* ]] ||
        fail "shunt-run $*: expected one 'shunt-run: ...' line, got: $err"
}
expect_usage 2 --ip 10.77.0.2/24 true
expect_usage 2 --nic tap:x --ip 10.77.0.2 true
expect_usage 2 --nic tap:x --ip 10.77.0.2/24 --gateway 10.9.9.9 true
expect_usage 2 --nic bogus:x --ip 10.77.0.2/24 true
expect_usage 2 --nic tap:x --ip 10.77.0.2/24
expect_usage 127 --nic tap:x --ip 10.77.0.2/24 no-such-program-here
cp /bin/true "$SHUNT_TMP/suid-true"
chmod u+s "$SHUNT_TMP/suid-true"
expect_usage 126 --nic tap:x --ip 10.77.0.2/24 "$SHUNT_TMP/suid-true"
log "usage errors: one line each, exit 2/126/127"

(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" socat "TCP-LISTEN:7100,bind=$SHUNT_PEER_IP,reuseaddr,fork" PIPE
) </dev/null >"$SHUNT_TMP/echo.out" 2>&1 &
SHUNT_BG_PIDS+=("$!")
sleep 0.5
shunt_run_cmd timeout 30 python3 - "$SHUNT_PEER_IP" <<'PY' || fail "fork check failed"
import errno, os, socket, sys
peer = sys.argv[1]
s = socket.create_connection((peer, 7100), timeout=10)
s.sendall(b"before fork")
assert s.recv(100) == b"before fork"
pid = os.fork()
if pid == 0:
    code = 0
    try:
        s.send(b"child")
        code = 3  # the inherited socket must not work in the child
    except OSError as e:
        code = 0 if e.errno == errno.EBADF else 4
    try:  # a new socket in the child: the kernel's, and it works
        k = socket.create_connection((peer, 7100), timeout=10)
        k.sendall(b"kernel")
        if k.recv(100) != b"kernel":
            code = 5
    except OSError:
        code = 6
    os._exit(code)
_, status = os.waitpid(pid, 0)
if os.WEXITSTATUS(status) != 0:
    sys.exit(f"child failed with {os.WEXITSTATUS(status)}")
payload = os.urandom(100000)
s.sendall(payload)
got = b""
while len(got) < len(payload):
    got += s.recv(65536)
if got != payload:
    sys.exit("parent's echo differs after the fork")
print("fork: child EBADF on the inherited socket, kernel socket works; parent echoes")
PY
grep -q "forked child" "$SHUNT_RUN_LOG_FILE" || fail "no 'forked child' line in the layer's log"
grep -q "inherited shunt socket: EBADF" "$SHUNT_RUN_LOG_FILE" || fail "the child's EBADF was not logged"
echo "PASS: netns.posix_fork"
