# shellcheck shell=sh
# Helpers for vm-tier guest scripts (busybox sh). run-guest.sh puts this file at /shunt/lib.sh;
# a script sources it with: . /shunt/lib.sh

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# --allow-noiommu when the guest runs in no-IOMMU mode (our tools refuse it otherwise).
noiommu_flag() {
    if [ "$SHUNT_MODE" = noiommu ]; then echo --allow-noiommu; fi
}

# expect_error_line WANT CMD [ARGS...]: CMD must exit 1 and write exactly one line to stderr,
# containing WANT (the control plane's contract: one clear sentence per failure).
expect_error_line() {
    want="$1"
    shift
    if "$@" >/tmp/expect.out 2>/tmp/expect.err; then rc=0; else rc=$?; fi
    cat /tmp/expect.out
    err="$(cat /tmp/expect.err)"
    lines="$(wc -l </tmp/expect.err)"
    [ "$rc" = 1 ] || fail "'$*' exited $rc, expected 1; its stderr: $err"
    [ "$lines" = 1 ] || fail "'$*' wrote $lines lines to stderr, expected exactly one: $err"
    case "$err" in
    *"$want"*) ;;
    *) fail "'$*' failed with '$err', expected a message containing '$want'" ;;
    esac
    echo "ok: one error line naming the problem: $err"
}

# make_pattern FILE BYTES: writes the /bytes/ body of shuntd's HTTP service, byte i = i mod 251,
# built here with printf and cat alone (an independent reference), at least BYTES long.
make_pattern() {
    fmt=""
    i=0
    while [ "$i" -lt 251 ]; do
        fmt="$fmt\\$(printf %o "$i")"
        i=$((i + 1))
    done
    # shellcheck disable=SC2059 # the format is the data
    printf "$fmt" >"$1"
    while [ "$(wc -c <"$1")" -lt "$2" ]; do
        cat "$1" "$1" >"$1.2" && mv "$1.2" "$1"
    done
    [ "$(od -An -tu1 -j 250 -N 2 "$1" | tr -s ' ')" = " 250 0" ] || fail "pattern file $1 is wrong"
}

# netem_both_ways NS DEV WORDS...: `tc netem WORDS` on DEV's egress and, redirected through an
# ifb device ifb-DEV, on its ingress, inside network namespace NS ("-": the guest's own). The
# segmentation offloads go off first: netem drops what it is handed, and a 64 KiB GSO packet is
# dozens of segments at once. Needs iproute2's ip and tc and ethtool in /shunt/bin, and the
# sch_netem, sch_ingress, cls_matchall, act_mirred and ifb modules loaded.
netem_both_ways() {
    ns="$1"
    dev="$2"
    shift 2
    run=""
    [ "$ns" = - ] || run="/shunt/bin/ip netns exec $ns"
    $run /shunt/bin/ethtool -K "$dev" tso off gso off gro off 2>/dev/null ||
        $run /shunt/bin/ethtool -K "$dev" gso off gro off || fail "ethtool -K $dev failed"
    $run /shunt/bin/tc qdisc add dev "$dev" root netem "$@" || fail "netem $* on $dev failed"
    $run /shunt/bin/ip link add "ifb-$dev" type ifb || fail "ip link add ifb-$dev type ifb failed"
    $run /shunt/bin/ip link set dev "ifb-$dev" up
    $run /shunt/bin/tc qdisc add dev "$dev" handle ffff: ingress || fail "ingress qdisc on $dev failed"
    $run /shunt/bin/tc filter add dev "$dev" parent ffff: matchall \
        action mirred egress redirect dev "ifb-$dev" || fail "redirect of $dev's ingress failed"
    $run /shunt/bin/tc qdisc add dev "ifb-$dev" root netem "$@" || fail "netem on ifb-$dev failed"
}

# bridge_nics: the two e1000 (8086:100e) that the bridge topology puts behind its PCIe-to-PCI
# bridge, i.e. not on the root bus, in address order; fails unless there are exactly two.
bridge_nics() {
    found=""
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x100e ] || continue
        case "$(basename "$d")" in 0000:00:*) continue ;; esac # the pair on the root bus
        found="$found $(basename "$d")"
    done
    # shellcheck disable=SC2086 # split into the two addresses
    set -- $found
    [ "$#" = 2 ] || fail "expected two e1000 NICs behind the bridge, found:$found"
    echo "$1 $2"
}
