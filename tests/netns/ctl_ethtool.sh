#!/usr/bin/env bash
# netns.ctl_ethtool: the ethtool ioctls through shuntctl on a veth (which has channels but
# no RSS or n-tuple support) and a dummy (no ethtool operations at all; an ifb where the
# kernel has no dummy driver): channels read and set (and checked against ethtool -l when
# ethtool is installed), EOPNOTSUPP turned into "DRIVER on IFACE does not support ...",
# steering-rule words rejected with exit 2 and one line.
# Usage: ctl_ethtool.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_ethtool.sh SHUNTCTL}"
ctl_init eth 120
in_ns ip link add ctl0 numtxqueues 4 numrxqueues 4 type veth peer name ctl0p \
    numtxqueues 4 numrxqueues 4 netns "$CTL_PEER_NS"
ctl_add_dummy ctld0

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON as d.
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# Channels on veth: read, set, read back (veth has ETHTOOL_GCHANNELS/SCHANNELS since Linux
# 5.5; an older kernel must at least give the clear message).
ctl channels ctl0 --json
if ((CTL_RC == 1)) && grep -q "does not support reading channels" "$CTL_ERR"; then
    expect_err_line "shuntctl: veth on ctl0 does not support reading channels (ETHTOOL_GCHANNELS)"
    log "this kernel's veth has no channels: checked the message only"
else
    expect_rc 0 channels ctl0 --json
    [[ "$(json_get "$CTL_OUT" '(d["rx"], d["tx"], d["max_rx"], d["max_tx"])')" == "(4, 4, 4, 4)" ]] ||
        fail "veth channels: $(cat "$CTL_OUT")"
    expect_rc 0 channels ctl0 --rx 2 --tx 3
    grep -q "rx 2/4 tx 3/4" "$CTL_OUT" || fail "after --rx 2 --tx 3: $(cat "$CTL_OUT")"
    expect_rc 0 channels ctl0 --json
    [[ "$(json_get "$CTL_OUT" '(d["rx"], d["tx"])')" == "(2, 3)" ]] || fail "read back: $(cat "$CTL_OUT")"
    if command -v ethtool >/dev/null; then
        in_ns ethtool -l ctl0 | tail -n 4 | grep -q "RX:[[:space:]]*2" || fail "ethtool -l disagrees: $(in_ns ethtool -l ctl0)"
        log "ok: ethtool -l ctl0 agrees (RX 2)"
    fi
    expect_rc 1 channels ctl0 --rx 9
    expect_err_line "shuntctl: ctl0 rx channels: at most 4 (ETHTOOL_GCHANNELS maximum)"
    expect_rc 1 channels ctl0 --combined 2
    expect_err_line "shuntctl: ctl0 combined channels: at most 0 (ETHTOOL_GCHANNELS maximum)"
fi

# What veth and dummy do not support: one clear line, exit 1.
expect_rc 1 rss ctl0
expect_err_line "shuntctl: veth on ctl0 does not support reading the RX ring count (ETHTOOL_GRXRINGS)"
expect_rc 1 steer ctl0 list
expect_err_line "shuntctl: veth on ctl0 does not support n-tuple steering rules (ETHTOOL_GRXCLSRLCNT)"
expect_rc 1 steer ctl0 add flow-type tcp4 dst-port 80 action 1 loc 3
expect_err_line "shuntctl: veth on ctl0 does not support inserting steering rule 'flow-type tcp4 dst-port 80 action 1 loc 3' (ETHTOOL_SRXCLSRLINS)"
expect_rc 1 channels ctld0
expect_err_line "shuntctl: $CTL_DUMMY_KIND on ctld0 does not support reading channels (ETHTOOL_GCHANNELS)"
expect_rc 1 rss ctld0 --equal 2
expect_err_line "shuntctl: $CTL_DUMMY_KIND on ctld0 does not support reading the RX ring count (ETHTOOL_GRXRINGS)"
expect_rc 1 steer ctld0 del 3
expect_err_line "shuntctl: $CTL_DUMMY_KIND on ctld0 does not support deleting steering rule 3 (ETHTOOL_SRXCLSRLDEL)"
expect_rc 1 channels nosuch0
expect_err_line "shuntctl: interface nosuch0: no such interface"

# Rule words: usage errors (exit 2), one line each, before any ioctl.
expect_rc 2 steer ctl0 add flow-type tcp6 action 1
expect_err_line "shuntctl: steer add: flow-type 'tcp6': expected tcp4 or udp4"
expect_rc 2 steer ctl0 add flow-type udp4 dst-port 70000 action 1
expect_err_line "shuntctl: steer add: dst-port '70000': expected a number from 0 to 65535"
expect_rc 2 steer ctl0 add flow-type udp4 dst-port 53
expect_err_line "shuntctl: steer add: missing action N|drop*"
expect_rc 2 steer ctl0 frob
expect_err_line "shuntctl: steer: 'frob' is not add, del or list"

# Interface facts: driver and link state.
expect_rc 0 show ctl0 --json
[[ "$(json_get "$CTL_OUT" '(d["driver"], d["kind"], d["pci"], d["up"])')" == "('veth', 'veth', None, False)" ]] ||
    fail "show ctl0: $(cat "$CTL_OUT")"

echo "PASS: netns.ctl_ethtool"
