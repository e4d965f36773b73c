#!/usr/bin/env bash
# netns.ctl_restore: `kernel-stack off` then `on` on a veth with two IPv4 and two IPv6
# addresses, an IPv4 and an IPv6 route and MTU 1400, next to a second interface with IPv6 on
# (ctl1): its fe80::/64 and ff00::/8 routes have the same table, prefix and metric as ctl0's.
# That second interface is what broke `on` ("adding route ff00::/8 (table 255): Object
# exists", and the same on every later `on`): libnl's route cache merged the two
# interfaces' routes, so ctl0's were missing from the log or from the comparison, and the
# IPv6 add with NLM_F_EXCL refused a route another interface had. Checked: ip -j addr,
# ip -j link, ip -4/-6 -j route show table all and ctl0's disable_ipv6 equal before off and
# after on; then again with shuntctl killed (SIGKILL, the SHUNT_CTL_CRASH_AFTER hook of
# ctl_crash.sh) after each step of off and of on, and `on` run again.
#
# Normalized before comparing, because they legitimately change: nothing in ip -j link (no
# -s, so no counters); in ip -j addr only "valid_life_time" and "preferred_life_time" of
# addresses that are not forever (they count down; the addresses here are all forever); in
# the routes, only the ORDER of adjacent routes with the same table, type, prefix and metric
# on different interfaces (ctl0's and ctl1's fe80::/64 and ff00::/8): the kernel lists them
# in the order they were made, and ctl0's are necessarily made again after ctl1's (putting
# them first would mean removing ctl1's). Every field of every route is compared.
# Usage: ctl_restore.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_restore.sh SHUNTCTL}"
ctl_init restore 280

in_ns ip link add ctl0 type veth peer name ctl0p netns "$CTL_PEER_NS"
in_ns ip link set ctl0 mtu 1400
in_peer ip link set ctl0p mtu 1400 up
in_peer ip addr add 192.0.2.1/24 dev ctl0p
in_peer ip addr add 2001:db8:1::1/64 dev ctl0p nodad
in_ns ip link set ctl0 up
in_ns ip addr add 192.0.2.2/24 dev ctl0
in_ns ip addr add 198.51.100.2/25 dev ctl0
in_ns ip addr add 2001:db8:1::2/64 dev ctl0
in_ns ip addr add 2001:db8:2::2/64 dev ctl0
ctl_settle
# The second IPv6 interface comes after ctl0 (the order that made `on` fail with "Object
# exists"; in the other order ctl0's ff00::/8 and fe80::/64 were missing from the log).
in_ns ip link add ctl1 type veth peer name ctl1p netns "$CTL_PEER_NS"
in_peer ip link set ctl1p up
in_ns ip link set ctl1 up
in_ns ip addr add 2001:db8:7::2/64 dev ctl1
in_ns ip route add 203.0.113.0/24 via 192.0.2.1
in_ns ip -6 route add 2001:db8:99::/48 via 2001:db8:1::1
ctl_settle

snap() {
    local out="$1"
    {
        echo "## ip -j addr show"
        in_ns ip -j addr show
        echo "## ip -j link show"
        in_ns ip -j link show
        echo "## ip -4 -j route show table all"
        in_ns ip -4 -j route show table all
        echo "## ip -6 -j route show table all"
        in_ns ip -6 -j route show table all
        echo "## net.ipv6.conf.ctl0.disable_ipv6"
        in_ns cat /proc/sys/net/ipv6/conf/ctl0/disable_ipv6
    } | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("[") and "addr_info" in line:
        links = json.loads(line)
        for link in links:
            for a in link.get("addr_info", []):
                for k in ("valid_life_time", "preferred_life_time"):
                    if a.get(k, 4294967295) != 4294967295:
                        a[k] = "finite"
        line = json.dumps(links, separators=(",", ":")) + "\n"
    elif line.startswith("[") and "\"dst\"" in line:
        routes, out, i = json.loads(line), [], 0
        key = lambda r: (r.get("table"), r.get("type"), r["dst"], r.get("metric"))
        while i < len(routes):
            j = i
            while j < len(routes) and key(routes[j]) == key(routes[i]):
                j += 1
            out += sorted(routes[i:j], key=lambda r: r.get("dev", ""))
            i = j
        line = json.dumps(out, separators=(",", ":")) + "\n"
    sys.stdout.write(line)
' >"$out"
}

before="$SHUNT_TMP/before"
now="$SHUNT_TMP/now"
snap "$before"
grep -q '"dst":"ff00::/8","dev":"ctl0"' "$before" || fail "setup: ctl0 has no ff00::/8 route: $(in_ns ip -6 route show table local)"
grep -q '"dst":"ff00::/8","dev":"ctl1"' "$before" || fail "setup: ctl1 has no ff00::/8 route"

restore_and_compare() {
    expect_rc 0 kernel-stack on ctl0
    ctl_settle
    snap "$now"
    ctl_same "$before" "$now" "$1"
    expect_rc 0 kernel-stack status --json
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["interfaces"]==[], d' "$CTL_OUT" ||
        fail "an undo log is left after a successful on: $(cat "$CTL_OUT")"
}

expect_rc 0 kernel-stack off ctl0 --force
grep -q 'dst=ff00::/8 nh=[0-9]*,' "$SHUNT_STATE_DIR"/kernel-stack/*.undo ||
    fail "the undo log lacks ctl0's ff00::/8 route: $(cat "$SHUNT_STATE_DIR"/kernel-stack/*.undo)"
restore_and_compare "off, on (next to a second IPv6 interface)"

# crash STEP CMD...: shuntctl killed by the hook right after STEP.
crash() {
    local step="$1"
    shift
    SHUNT_CTL_CRASH_AFTER="$step" ctl "$@"
    ((CTL_RC == 137)) || fail "SHUNT_CTL_CRASH_AFTER=$step shuntctl $*: expected SIGKILL (137), got $CTL_RC: $(cat "$CTL_ERR")"
    log "ok: shuntctl $* killed after step '$step'"
}

for step in saved addresses-flushed routes-flushed ipv6-off link-down; do
    crash "$step" kernel-stack off ctl0 --force
    restore_and_compare "killed after '$step' of off, then on"
done
for step in ipv6-restored link-restored addresses-restored; do
    expect_rc 0 kernel-stack off ctl0 --force
    crash "$step" kernel-stack on ctl0
    restore_and_compare "killed after '$step' of on, then on again"
done

# The kernel's own version of a saved route differs: the log has ctl0's fe80::/64 as
# "proto boot", the kernel makes it "proto kernel" when IPv6 comes back. Same route (table,
# prefix, metric, device), different attributes: on replaces the kernel's with the saved one.
expect_rc 0 kernel-stack off ctl0 --force
log_file="$(echo "$SHUNT_STATE_DIR"/kernel-stack/*.undo)"
sed -i 's|^route family=inet6 table=254 type=1 protocol=2 \(scope=0 tos=0 priority=256 flags=0x0 dst=fe80::/64 \)|route family=inet6 table=254 type=1 protocol=3 \1|' "$log_file"
grep -q 'protocol=3 scope=0 tos=0 priority=256 flags=0x0 dst=fe80::/64' "$log_file" || fail "could not edit the log: $(cat "$log_file")"
expect_rc 0 kernel-stack on ctl0
ctl_settle
if [[ "$(in_ns ip -6 route show table main dev ctl0 | grep -c '^fe80::/64')" != 1 ]] ||
    ! in_ns ip -6 route show table main dev ctl0 | grep -q '^fe80::/64 metric 256'; then
    fail "fe80::/64 not replaced by the saved proto boot one: $(in_ns ip -6 route show table main dev ctl0)"
fi
log "ok: the kernel's fe80::/64 (proto kernel) replaced by the saved one (proto boot, which ip does not print)"
# Back to the kernel's own route, for the comparison (prepend = NLM_F_CREATE without EXCL:
# ctl1 has an fe80::/64 at the same metric).
in_ns ip -6 route del fe80::/64 dev ctl0 proto boot metric 256
in_ns ip -6 route prepend fe80::/64 dev ctl0 proto kernel metric 256
ctl_settle
snap "$now"
ctl_same "$before" "$now" "a saved route the kernel made differently, replaced"

echo "PASS: netns.ctl_restore"
