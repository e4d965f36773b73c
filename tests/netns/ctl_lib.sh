# shellcheck shell=bash
# shellcheck disable=SC2034 # CTL_DUMMY_KIND, SHUNT_WATCHDOG_PID: read by the sourcing scripts and lib.sh
# Helpers for the ctl_*.sh tests (shuntctl and ioctl_ctl). Source it after lib.sh, then:
#
#   ctl_init NAME LIMIT_SECONDS  # root check (exit 77 = skip), two namespaces, cleanup trap
#   ctl_topology                 # veth ctl0 <-> ctl0p (peer namespace) and a dummy ctld0
#   in_ns CMD... / in_peer CMD... # run a command in the test / peer namespace
#   ctl CMD...                   # shuntctl (bounded) in the test namespace, own state dir
#   ctl_snapshot FILE            # ip -j addr/link/route (main, 100, local; v4 and v6) + sysctls
#   ctl_settle                   # waits until DAD and carrier have settled (bounded)
#   expect_rc WANT CMD...        # runs CMD, checks its exit code; output in $CTL_OUT/$CTL_ERR
#
# Nothing here touches the root namespace: every interface, address and route is created in
# the namespaces made here (named with the PID), which are deleted on exit whatever happens.
# lib.sh's netns_init is not used: it needs /dev/net/tun and turns IPv6 off, and these tests
# need IPv6 on and no TAP.

CTL_PEER_NS=""
CTL_BIN=""
CTL_DUMMY_KIND=""
CTL_OUT=""
CTL_ERR=""
CTL_RC=0

in_peer() { ip netns exec "$CTL_PEER_NS" "$@"; }

# Replaces lib.sh's (TAP and shuntd stats) on failure: the namespace's addresses and routes,
# and the undo logs shuntctl left.
netns_diagnose() {
    echo "---- diagnostics: $SHUNT_NS ----"
    in_ns ip -br link 2>&1
    in_ns ip -br addr 2>&1
    in_ns ip route show table all 2>&1
    in_ns ip -6 route show table all 2>&1
    local f
    for f in "$SHUNT_STATE_DIR"/*/*.undo; do
        [[ -e "$f" ]] || continue
        echo "---- $f ----"
        cat "$f"
    done
}

ctl_cleanup() {
    local rc=$?
    set +e # (exit "$rc") below must not end the trap under errexit
    if [[ -n "$CTL_PEER_NS" && -e "/run/netns/$CTL_PEER_NS" ]]; then
        ip netns del "$CTL_PEER_NS" 2>/dev/null || echo "warning: could not delete namespace $CTL_PEER_NS" >&2
    fi
    (exit "$rc")
    netns_cleanup
}

# ctl_init NAME LIMIT_SECONDS: needs SHUNTCTL set to the binary.
ctl_init() {
    local name="$1" limit="$2"
    [[ "$(id -u)" -eq 0 ]] || skip "needs root: creates network namespaces, veth and dummy interfaces"
    require_cmds ip python3 timeout
    CTL_BIN="${SHUNTCTL:?SHUNTCTL must name the shuntctl binary}"
    [[ -x "$CTL_BIN" ]] || fail "shuntctl binary '$CTL_BIN' is missing or not executable"
    SHUNT_NS="shunt-ctl-${name}-$$"
    CTL_PEER_NS="shunt-ctlp-${name}-$$"
    SHUNT_TMP="$(mktemp -d "/tmp/shunt-ctl-${name}.XXXXXX")"
    CTL_OUT="$SHUNT_TMP/out"
    CTL_ERR="$SHUNT_TMP/err"
    export SHUNT_STATE_DIR="$SHUNT_TMP/state"
    trap ctl_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    (
        sleep "$limit" &
        sleeper=$!
        trap 'kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null; exit 0' TERM
        wait "$sleeper"
        echo "FAIL: test ran longer than its ${limit}s limit; stopping it" >&2
        kill -TERM "$$"
    ) </dev/null >/dev/null &
    SHUNT_WATCHDOG_PID=$!
    ip netns add "$SHUNT_NS" || fail "could not create network namespace $SHUNT_NS"
    ip netns add "$CTL_PEER_NS" || fail "could not create network namespace $CTL_PEER_NS"
    local ns
    for ns in "$SHUNT_NS" "$CTL_PEER_NS"; do
        ip netns exec "$ns" ip link set lo up
        ip netns exec "$ns" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
                                   echo 0 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
    done
    log "namespaces $SHUNT_NS and $CTL_PEER_NS ready; state dir $SHUNT_STATE_DIR"
}

# ctl_add_dummy NAME: a dummy interface; kernels without the dummy driver (this one may be
# built without it) get an ifb instead, which likewise has no ethtool channel/RSS support.
ctl_add_dummy() {
    if in_ns ip link add "$1" type dummy 2>/dev/null; then
        CTL_DUMMY_KIND=dummy
    elif in_ns ip link add "$1" type ifb 2>/dev/null; then
        CTL_DUMMY_KIND=ifb
        log "no dummy driver in this kernel: $1 is an ifb interface instead"
    else
        fail "could not create a dummy (or ifb) interface $1"
    fi
}

# The test topology. ctl0 carries the default routes; ctld0 has IPv6 turned off.
ctl_topology() {
    in_ns ip link add ctl0 numtxqueues 4 numrxqueues 4 type veth peer name ctl0p \
        numtxqueues 4 numrxqueues 4 netns "$CTL_PEER_NS"
    in_ns ip link set ctl0 mtu 1400
    in_ns ip link set ctl0 up
    in_peer ip link set ctl0p mtu 1400
    in_peer ip link set ctl0p up
    in_peer ip addr add 192.0.2.1/24 dev ctl0p
    in_peer ip addr add 2001:db8:1::1/64 dev ctl0p nodad

    in_ns ip addr add 192.0.2.2/24 dev ctl0
    in_ns ip addr add 192.0.2.3/24 dev ctl0                # secondary
    in_ns ip addr add 198.51.100.2/25 dev ctl0 label ctl0:vip
    in_ns ip addr add 2001:db8:1::2/64 dev ctl0
    in_ns ip addr add 2001:db8:2::2/64 dev ctl0
    in_ns ip addr add 2001:db8:5::2/64 dev ctl0 noprefixroute
    ctl_add_dummy ctld0
    in_ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/ctld0/disable_ipv6'
    in_ns ip link set ctld0 mtu 1300 up
    in_ns ip addr add 10.99.0.1/24 dev ctld0
    in_ns ip addr add 10.99.1.1/24 dev ctld0
    ctl_settle
    in_ns ip route add default via 192.0.2.1
    in_ns ip route add 203.0.113.0/25 via 192.0.2.1 metric 50
    in_ns ip route add 203.0.113.128/25 dev ctl0 scope link src 192.0.2.3
    in_ns ip route add 10.200.0.0/16 via 192.0.2.1 table 100
    in_ns ip route add default via 192.0.2.1 table 100 metric 10
    in_ns ip route add 10.201.0.0/16 dev ctld0 table 100
    in_ns ip -6 route add default via 2001:db8:1::1
    in_ns ip -6 route add 2001:db8:99::/48 via 2001:db8:1::1 table 100
    in_ns ip -6 route add 2001:db8:98::/48 dev ctl0 metric 300 mtu 1300
    ctl_settle
}

# Waits (up to 15 s) until no address in the namespace is tentative and ctl0 (if up) sees
# its peer: the kernel's own timers, not shuntctl, decide when that is.
ctl_settle() {
    local i
    for ((i = 0; i < 150; i++)); do
        if in_ns python3 - <<'PY'; then return 0; fi
import json, subprocess, sys
addrs = json.loads(subprocess.check_output(["ip", "-j", "addr", "show"]))
for link in addrs:
    if any(a.get("tentative") for a in link.get("addr_info", [])):
        sys.exit(1)
    if link["ifname"] == "ctl0" and "UP" in link["flags"] and link.get("operstate") != "UP":
        sys.exit(1)
PY
        sleep 0.1
    done
    fail "addresses still tentative (or ctl0 without carrier) after 15 s: $(in_ns ip -br addr)"
}

# ctl_snapshot FILE: what must come back byte for byte after kernel-stack off + on.
ctl_snapshot() {
    local out="$1" fam table
    {
        echo "## ip -j addr show"
        in_ns ip -j addr show
        echo "## ip -j link show"
        in_ns ip -j link show
        for fam in 4 6; do
            for table in main 100 local; do
                echo "## ip -$fam -j route show table $table"
                in_ns ip "-$fam" -j route show table "$table"
            done
        done
        for dev in all default ctl0 ctld0; do
            echo "## net.ipv6.conf.$dev.disable_ipv6"
            in_ns cat "/proc/sys/net/ipv6/conf/$dev/disable_ipv6"
        done
    } >"$out"
}

# ctl_same BEFORE AFTER WHAT: fails with a diff if the snapshots differ.
ctl_same() {
    if ! cmp -s "$1" "$2"; then
        python3 - "$1" "$2" <<'PY' >&2
import difflib, json, sys
def lines(path):
    out = []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("["):
            out.extend(json.dumps(json.loads(line), indent=1, sort_keys=False).splitlines())
        else:
            out.append(line)
    return out
sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(lines(sys.argv[1]), lines(sys.argv[2]), "before", "after", lineterm=""))
PY
        fail "$3: the host state differs from before (diff above)"
    fi
    log "ok: $3: ip -j addr/link/route (v4+v6, tables main/100/local) and IPv6 sysctls identical"
}

# ctl ARGS...: shuntctl in the test namespace, bounded; sets CTL_RC, output in CTL_OUT/CTL_ERR.
ctl() {
    CTL_RC=0
    in_ns timeout 60 "$CTL_BIN" "$@" >"$CTL_OUT" 2>"$CTL_ERR" </dev/null || CTL_RC=$?
}

# expect_rc WANT ARGS...: runs ctl ARGS and checks the exit code.
expect_rc() {
    local want="$1"
    shift
    ctl "$@"
    if ((CTL_RC != want)); then
        fail "shuntctl $*: expected exit $want, got $CTL_RC; stdout: $(head -c 600 "$CTL_OUT"); stderr: $(head -c 600 "$CTL_ERR")"
    fi
    log "ok (exit $CTL_RC): shuntctl $* -> $(head -n 1 "$CTL_OUT")$(head -n 1 "$CTL_ERR")"
}

# expect_err_line PATTERN: stderr is one line matching the bash glob PATTERN.
expect_err_line() {
    local lines=()
    mapfile -t lines <"$CTL_ERR"
    ((${#lines[@]} == 1)) || fail "expected one line on stderr, got ${#lines[@]}: $(head -c 600 "$CTL_ERR")"
    # shellcheck disable=SC2053
    [[ "${lines[0]}" == $1 ]] || fail "stderr '${lines[0]}' does not match '$1'"
}
