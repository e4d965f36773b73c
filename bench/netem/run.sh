#!/usr/bin/env bash
# TCP under an impaired link, shunt's against the Linux kernel's, side by side in one QEMU
# guest (the vm tier's: Debian's kernel has sch_netem, these hosts' kernel does not). See
# bench/netem/guest.sh for what runs; docs/PERFORMANCE.md has the figures.
#
#   bench/netem/run.sh [--rounds N] [--mb N] [--netem "WORDS"]     (root; after ./dev.sh build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=3
mb=16
netem="loss 5% delay 2ms reorder 25% 50% duplicate 1%"
while (($# > 0)); do
    case "$1" in
    --rounds | --mb | --netem)
        (($# >= 2)) || { echo "run.sh: $1 needs a value" >&2; exit 2; }
        case "$1" in --rounds) rounds="$2" ;; --mb) mb="$2" ;; --netem) netem="$2" ;; esac
        shift 2
        ;;
    *) echo "run.sh: unknown argument '$1' (--rounds N, --mb N, --netem WORDS)" >&2; exit 2 ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$mb" =~ ^[1-9][0-9]*$ ]] ||
    { echo "run.sh: --rounds and --mb take positive numbers" >&2; exit 2; }
shuntd="$ROOT/build/release/tools/shuntd"
[[ -x "$shuntd" ]] || { echo "run.sh: $shuntd missing: run ./dev.sh build first" >&2; exit 1; }
bins=()
for t in curl socat tc ip ethtool; do
    p="$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$t")" ||
        { echo "run.sh: $t not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
    bins+=(--bin "$p")
done
exec bash "$ROOT/tests/vm/run-guest.sh" --script "$ROOT/bench/netem/guest.sh" \
    --timeout $((rounds * mb * 40 + 120)) --bin "$shuntd" "${bins[@]}" \
    --env "SHUNT_NETEM=$netem" --env "SHUNT_BIG_MB=$mb" --env "SHUNT_ROUNDS=$rounds"
