#!/usr/bin/env bash
# scripts/check_layers.py accepts the tree as it is and rejects an upward include.
set -euo pipefail
root="$1"
check="$root/scripts/check_layers.py"
python3 "$check" "$root"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/packet" "$scratch/driver" "$scratch/tests"
printf '#include "driver/nic.hpp"\n' >"$scratch/packet/buf.hpp"
printf '#include "packet/buf.hpp"\n' >"$scratch/driver/nic.hpp"
printf '#include "driver/nic.hpp"\n' >"$scratch/tests/t.cpp"
if out=$(python3 "$check" "$scratch" 2>&1); then
    echo "layers_test: packet/ including driver/ was accepted" >&2
    exit 1
fi
grep -q 'packet/buf.hpp:1: packet/ may not include driver/nic.hpp' <<<"$out" || {
    echo "layers_test: unexpected report: $out" >&2
    exit 1
}
[[ $(wc -l <<<"$out") -eq 1 ]] || { echo "layers_test: more than one report: $out" >&2; exit 1; }
echo "layers_test: ok"
