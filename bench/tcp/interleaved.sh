#!/usr/bin/env bash
# Same-run comparison of shunt-tcp-bench builds: runs each binary ROUNDS times, interleaved,
# for one workload, and prints per run the rate and the CPU share the run got
# ((user+sys)/wall; 2.0 on two cores means nothing else ran: keep only such runs), then the
# median per binary and its ratio to the first binary.
#
#   bench/tcp/interleaved.sh ROUNDS SECONDS WORKLOAD BIN...
#   e.g. bench/tcp/interleaved.sh 5 2 transactions /tmp/old/shunt-tcp-bench build/release/bench/shunt-tcp-bench
set -euo pipefail
rounds="${1:?rounds}" seconds="${2:?seconds}" workload="${3:?workload}"
shift 3
[[ $# -ge 1 ]] || { echo "interleaved.sh: give at least one shunt-tcp-bench binary" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < rounds; i++)); do
    for b in "$@"; do
        /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$b" --only shunt --workloads "$workload" \
            --seconds "$seconds" --warmup 0.3 --skip-selftest --skip-memory --json "$tmp/out.json" \
            >/dev/null 2>&1
        python3 - "$tmp/out.json" "$tmp/time" "$b" "$workload" <<'PY'
import json, sys
rate = json.load(open(sys.argv[1]))["contenders"][0]["workloads"][sys.argv[4]].get("per_second", 0)
e, u, s = map(float, open(sys.argv[2]).read().split())
print(sys.argv[3], rate, round((u + s) / e, 2))
PY
    done
done | tee "$tmp/runs"
python3 - "$tmp/runs" <<'PY'
import collections, statistics, sys
runs = collections.OrderedDict()
for line in open(sys.argv[1]):
    b, rate, _ = line.split()
    runs.setdefault(b, []).append(float(rate))
base = None
for b, rates in runs.items():
    m = statistics.median(rates)
    base = base or m
    print(f"median {m:12.0f}  ratio {m / base:.2f}  {b}")
PY
