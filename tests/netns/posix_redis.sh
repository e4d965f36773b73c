#!/usr/bin/env bash
# netns.posix_redis: redis-server (Debian's) under shunt-run, the kernel as its clients:
# redis-benchmark (50 connections, SET/GET/INCR/LPUSH/LPOP, pipelined too) must complete every
# request, and a Python RESP client stores 500 seeded random values (1 B to 64 KiB, and one
# of 4 MiB) and reads each back byte for byte.
# Usage: posix_redis.sh SHUNTD SHUNT_RUN REQUESTS
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

requests="${3:?usage: posix_redis.sh SHUNTD SHUNT_RUN REQUESTS}"
require_cmds redis-server redis-benchmark
posix_init posix-redis 150 "${2:?usage: posix_redis.sh SHUNTD SHUNT_RUN REQUESTS}"

shunt_run_bg redis redis-server --port 6379 --bind "$SHUNT_IP" --save "" --appendonly no \
    --protected-mode no --daemonize no --dir "$SHUNT_TMP"
wait_run_log "listening on TCP port 6379" redis
log "redis-server under shunt-run ready (pid $RUN_PID)"

in_ns timeout 60 python3 - "$SHUNT_IP" "$$" <<'PY' || fail "redis byte check failed"
import random, socket, sys
ip, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
s = socket.create_connection((ip, 6379), timeout=20)
f = s.makefile("rb")

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    line = f.readline()
    if line.startswith(b"$"):
        n = int(line[1:])
        data = f.read(n + 2)
        return data[:-2]
    if line.startswith(b"-"):
        sys.exit(f"redis error: {line!r}")
    return line.strip()

values = {}
for i in range(500):
    size = 1 + (i * 7919) % 65536
    values[f"k{i}"] = r.randbytes(size)
values["big"] = r.randbytes(4 << 20)
for k, v in values.items():
    if cmd("SET", k, v) != b"+OK":
        sys.exit(f"SET {k} failed")
for k, v in values.items():
    got = cmd("GET", k)
    if got != v:
        sys.exit(f"GET {k}: {len(got)} bytes back for {len(v)}, content differs")
print(f"redis: {len(values)} values stored and read back byte for byte")
PY
out="$(in_ns timeout 90 redis-benchmark -h "$SHUNT_IP" -p 6379 -c 50 -n "$requests" \
    -t set,get,incr,lpush,lpop -q 2>&1)" || fail "redis-benchmark failed: $out"
printf '%s\n' "$out" | tr '\r' '\n' | grep "requests per second" || true
n="$(printf '%s\n' "$out" | tr '\r' '\n' | grep -c "requests per second" || true)"
((n == 5)) || fail "redis-benchmark: expected 5 results, got $n: $out"
out="$(in_ns timeout 60 redis-benchmark -h "$SHUNT_IP" -p 6379 -c 20 -n "$requests" -P 16 \
    -t set,get -q 2>&1)" || fail "redis-benchmark -P 16 failed: $out"
n="$(printf '%s\n' "$out" | tr '\r' '\n' | grep -c "requests per second" || true)"
((n == 2)) || fail "redis-benchmark -P 16: expected 2 results, got $n: $out"
printf '%s\n' "$out" | tr '\r' '\n' | grep "requests per second" || true

pid_alive "$RUN_PID" || fail "redis-server exited during the test: $(tail -n 5 "$SHUNT_TMP/redis.out")"
stop_pid "$RUN_PID"
((WAIT_RC == 0)) || fail "redis-server exited with $WAIT_RC on SIGTERM: $(tail -n 5 "$SHUNT_TMP/redis.out")"
run_log_check "AF_UNIX|AF_INET6"
echo "PASS: netns.posix_redis"
