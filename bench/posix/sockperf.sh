#!/usr/bin/env bash
# sockperf (Debian's) against a server on shunt's stack under shunt-run, and against the same
# server on the kernel's stack over a veth pair, in the same run; prints one table with the
# ratios (docs/PERFORMANCE.md has the figures and the command).
#
# The client is always the kernel's (sockperf in a namespace); the server is either sockperf
# under shunt-run on a TAP (its kernel side is the client's interface) or sockperf on the
# kernel's stack at the other end of a veth. Both are one namespace hop from the client.
# Ping-pong: 64-byte messages, UDP and TCP, latency (average, p50, p99). Throughput: UDP
# 1472-byte messages, as fast as the client sends, messages per second the server answered.
#
# Usage: bench/posix/sockperf.sh SHUNT_RUN [SECONDS]     (root; SECONDS per run, default 5)
set -euo pipefail
run_bin="${1:?usage: sockperf.sh SHUNT_RUN [SECONDS]}"
secs="${2:-5}"
[[ "$(id -u)" -eq 0 ]] || { echo "sockperf.sh: needs root (namespaces)" >&2; exit 2; }
command -v sockperf >/dev/null || { echo "sockperf.sh: sockperf missing (scripts/install-deps.sh)" >&2; exit 2; }
tmp="$(mktemp -d /tmp/shunt-sockperf.XXXXXX)"
ns_s="shunt-sp-s-$$" ns_k="shunt-sp-k-$$" ns_c="shunt-sp-c-$$"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for n in "$ns_s" "$ns_k" "$ns_c"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# shunt: the TAP in ns_s, the kernel client in ns_s too (the TAP's kernel side).
ip netns add "$ns_s"
ip -n "$ns_s" link set lo up
ip -n "$ns_s" tuntap add dev shunt0 mode tap
ip -n "$ns_s" link set shunt0 up
ip -n "$ns_s" addr add 10.77.0.1/24 dev shunt0
# kernel: server in ns_k, client in ns_c, a veth between them.
ip netns add "$ns_k"
ip netns add "$ns_c"
ip link add sp-k netns "$ns_k" type veth peer name sp-c netns "$ns_c"
ip -n "$ns_k" addr add 10.78.0.2/24 dev sp-k
ip -n "$ns_c" addr add 10.78.0.1/24 dev sp-c
for n in "$ns_k" "$ns_c"; do ip -n "$n" link set lo up; done
ip -n "$ns_k" link set sp-k up
ip -n "$ns_c" link set sp-c up

start_servers() {  # $1: extra server flags (--tcp or nothing), $2: port
    ip netns exec "$ns_s" "$run_bin" --nic tap:shunt0 --ip 10.77.0.2/24 --log "$tmp/run.log" \
        sockperf server -i 10.77.0.2 -p "$2" $1 >"$tmp/s-shunt.out" 2>&1 &
    pids+=("$!")
    ip netns exec "$ns_k" sockperf server -i 10.78.0.2 -p "$2" $1 >"$tmp/s-kernel.out" 2>&1 &
    pids+=("$!")
    for _ in $(seq 50); do grep -q "port $2" "$tmp/run.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
}

stop_servers() {  # one program at a time owns the TAP
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    : >"$tmp/run.log"
}

# pingpong NS IP PORT FLAGS: "avg p50 p99" in microseconds.
pingpong() {
    ip netns exec "$1" sockperf ping-pong -i "$2" -p "$3" $4 -t "$secs" -m 64 2>&1 | python3 -c '
import re, sys
t = sys.stdin.read()
avg = re.search(r"Latency is ([0-9.]+) usec", t)
p50 = re.search(r"percentile 50.000 =\s*([0-9.]+)", t)
p99 = re.search(r"percentile 99.000 =\s*([0-9.]+)", t)
if not (avg and p50 and p99):
    sys.exit("sockperf ping-pong gave no summary:\n" + t[-800:])
print(avg.group(1), p50.group(1), p99.group(1))'
}

# throughput NS IP PORT: messages per second the server received (UDP, 1472 bytes).
throughput() {
    ip netns exec "$1" sockperf throughput -i "$2" -p "$3" -t "$secs" -m 1472 2>&1 | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"Summary: Message Rate is ([0-9]+) \[msg/sec\]", t)
if not m:
    sys.exit("sockperf throughput gave no summary:\n" + t[-800:])
print(m.group(1))'
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }

start_servers "" 11111
read -r su_avg su_p50 su_p99 < <(pingpong "$ns_s" 10.77.0.2 11111 "")
read -r ku_avg ku_p50 ku_p99 < <(pingpong "$ns_c" 10.78.0.2 11111 "")
s_tp="$(throughput "$ns_s" 10.77.0.2 11111)"
k_tp="$(throughput "$ns_c" 10.78.0.2 11111)"
stop_servers
start_servers --tcp 11112
read -r st_avg st_p50 st_p99 < <(pingpong "$ns_s" 10.77.0.2 11112 --tcp)
read -r kt_avg kt_p50 kt_p99 < <(pingpong "$ns_c" 10.78.0.2 11112 --tcp)

printf '%-34s %12s %12s %8s\n' "sockperf, ${secs}s each" "shunt (TAP)" "kernel veth" "ratio"
printf '%-34s %12s %12s %8s\n' "UDP ping-pong 64 B avg (us)" "$su_avg" "$ku_avg" "$(ratio "$su_avg" "$ku_avg")"
printf '%-34s %12s %12s %8s\n' "UDP ping-pong 64 B p50 (us)" "$su_p50" "$ku_p50" "$(ratio "$su_p50" "$ku_p50")"
printf '%-34s %12s %12s %8s\n' "UDP ping-pong 64 B p99 (us)" "$su_p99" "$ku_p99" "$(ratio "$su_p99" "$ku_p99")"
printf '%-34s %12s %12s %8s\n' "TCP ping-pong 64 B avg (us)" "$st_avg" "$kt_avg" "$(ratio "$st_avg" "$kt_avg")"
printf '%-34s %12s %12s %8s\n' "TCP ping-pong 64 B p50 (us)" "$st_p50" "$kt_p50" "$(ratio "$st_p50" "$kt_p50")"
printf '%-34s %12s %12s %8s\n' "TCP ping-pong 64 B p99 (us)" "$st_p99" "$kt_p99" "$(ratio "$st_p99" "$kt_p99")"
printf '%-34s %12s %12s %8s\n' "UDP throughput 1472 B (msg/s)" "$s_tp" "$k_tp" "$(ratio "$s_tp" "$k_tp")"
