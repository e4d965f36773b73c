#!/usr/bin/env bash
# Regenerates the golden ETHTOOL_SRXCLSRLINS requests in ../data/: runs the real `ethtool -N`
# (Debian's ethtool package) on a veth in a private network namespace with an LD_PRELOAD shim
# that records the struct ethtool_rxnfc it passes. The veth rejects the rule (EOPNOTSUPP);
# the request bytes are what the unit test compares against. Needs root, cc and ethtool.
# ethtool spells drop "action -1" (shuntctl also takes "action drop").
# Usage: capture_ethtool_golden.sh   (writes tests/unit/ctl/data/srxclsrlins_*.hex)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$here/../data"
tmp="$(mktemp -d)"
ns="shunt-golden-$$"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cc -shared -fPIC -O1 -o "$tmp/shim.so" "$here/ethtool_ioctl_shim.c" -ldl
ip netns add "$ns"
ip netns exec "$ns" ip link add g0 type veth peer name g1

# capture NAME WORDS...: one golden file per rule; the words go into the file's header too.
capture() {
    local name="$1"
    shift
    rm -f "$tmp/out"
    SHUNT_GOLDEN_OUT="$tmp/out" LD_PRELOAD="$tmp/shim.so" \
        ip netns exec "$ns" ethtool -N g0 "$@" >/dev/null 2>&1 || true
    [[ -s "$tmp/out" ]] || { echo "ethtool -N g0 $* issued no ETHTOOL_SRXCLSRLINS" >&2; exit 1; }
    {
        echo "# ethtool -N IFACE $*"
        echo "# $(ethtool --version), struct ethtool_rxnfc as passed to SIOCETHTOOL"
        cat "$tmp/out"
    } >"$data/srxclsrlins_$name.hex"
    echo "wrote $data/srxclsrlins_$name.hex"
}

capture tcp4_full flow-type tcp4 src-ip 192.0.2.1 dst-ip 198.51.100.7 src-port 1234 dst-port 80 action 3 loc 5
capture udp4_drop flow-type udp4 dst-ip 203.0.113.9 dst-port 4789 action -1 loc 1023
capture udp4_sport flow-type udp4 src-port 53 action 0 loc 0
