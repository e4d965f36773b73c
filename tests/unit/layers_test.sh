#!/usr/bin/env bash
# scripts/check_layers.py accepts the tree as it is, rejects an upward include (also from
# stack/tcp up into the Stack's own floor, stack/) and a floors table in docs/architecture.md
# that says something else than its ALLOWED.
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

# stack/tcp is below stack/ (the longest prefix decides the floor).
rm -rf "${scratch:?}"/*
mkdir -p "$scratch/stack/tcp"
printf '#include "stack/stack.hpp"\n' >"$scratch/stack/tcp/conn.cpp"
if out=$(python3 "$check" "$scratch" 2>&1); then
    echo "layers_test: stack/tcp including stack/stack.hpp was accepted" >&2
    exit 1
fi
grep -q 'stack/tcp/conn.cpp:1: stack/tcp/ may not include stack/stack.hpp' <<<"$out" || {
    echo "layers_test: unexpected report: $out" >&2
    exit 1
}

# The page's table must match: drop stack/tcp from the stack/ row.
rm -rf "${scratch:?}"/*
mkdir -p "$scratch/docs"
sed 's/^\(| `stack\/` .*\), stack\/tcp\(.*\)$/\1\2/' "$root/docs/architecture.md" >"$scratch/docs/architecture.md"
cmp -s "$root/docs/architecture.md" "$scratch/docs/architecture.md" && {
    echo "layers_test: could not alter the stack/ row of docs/architecture.md" >&2
    exit 1
}
if out=$(python3 "$check" "$scratch" 2>&1); then
    echo "layers_test: a floors table differing from ALLOWED was accepted" >&2
    exit 1
fi
grep -q 'docs/architecture.md: stack/ may include' <<<"$out" || {
    echo "layers_test: unexpected report: $out" >&2
    exit 1
}
echo "layers_test: ok"
