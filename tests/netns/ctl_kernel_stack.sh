#!/usr/bin/env bash
# netns.ctl_kernel_stack: `shuntctl kernel-stack off` then `on` gives back exactly the state
# before: ip -j addr, ip -j link, ip -j route (IPv4 and IPv6; tables main, 100 and local) and
# the IPv6 sysctls are compared byte for byte. Nothing is normalized: the test only waits
# (bounded) for the kernel's own timers, duplicate address detection and carrier, to settle
# before each snapshot. Also: the default-route and SSH-session refusals (exit 3, nothing
# changed; SSH sessions come from the socket table: real TCP connections to port 22, no
# $SSH_CONNECTION), idempotence (off twice, on without off), --keep-link, and an interface with
# IPv6 turned off (a dummy, or an ifb where the kernel has no dummy driver).
# Usage: ctl_kernel_stack.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_kernel_stack.sh SHUNTCTL}"
ctl_init ks 240
ctl_topology
before="$SHUNT_TMP/before"
now="$SHUNT_TMP/now"
ctl_snapshot "$before"
# The undo log of this ctl0: kernel-stack/ctl0.nNETNS.iIFINDEX.undo (one interface instance).
log_glob="$SHUNT_STATE_DIR/kernel-stack/ctl0.n*.undo"

# Refusals: exit 3, one line, nothing changed, nothing saved.
expect_rc 3 kernel-stack off ctl0
expect_err_line "shuntctl: refusing to take ctl0 off the kernel stack: ctl0 carries the IPv4 default route via 192.0.2.1 (table main)*--force overrides)"
# SSH sessions are found in the socket table (/proc/net/tcp*), not in $SSH_CONNECTION (which
# sudo strips): a stand-in sshd listens on port 22 in the namespace and two clients stay
# connected, one from the namespace itself to ctld0's 10.99.1.1, one from the peer through
# ctl0. Nothing sets SSH_CONNECTION.
in_peer ip route add 10.99.0.0/16 via 192.0.2.2
in_ns timeout 60 python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 22)); s.listen(8); held = []
while True: held.append(s.accept())' &
ssh_pids=($!)
hold_client() { # hold_client RUNNER: connects to 10.99.1.1:22 and stays connected
    "$1" timeout 60 python3 -c '
import socket, time
for i in range(50):
    try: c = socket.create_connection(("10.99.1.1", 22), timeout=1); break
    except OSError: time.sleep(0.1)
time.sleep(60)' &
    ssh_pids+=($!)
}
hold_client in_ns
hold_client in_peer
for ((i = 0; i < 100; i++)); do
    [[ "$(in_ns ss -Htn state established '( sport = :22 )' | wc -l)" == 2 ]] && break
    sleep 0.1
done
[[ "$(in_ns ss -Htn state established '( sport = :22 )' | wc -l)" == 2 ]] || fail "the stand-in SSH sessions did not come up: $(in_ns ss -tan)"
unset SSH_CONNECTION
expect_rc 3 kernel-stack off ctld0
expect_err_line "*ctld0 holds 10.99.1.1, the address of an established SSH session (port 22) from *"
expect_rc 3 kernel-stack off ctl0 --keep-link
expect_err_line "*default route*the route back to the client 192.0.2.1 of an established SSH session (to 10.99.1.1 port 22) goes through ctl0*"
# $! is the subshell of in_ns/in_peer, not python: end what runs in the two test namespaces
# (only this test's stand-in sshd and clients), by pid.
for pid in $(ip netns pids "$SHUNT_NS") $(ip netns pids "$CTL_PEER_NS"); do
    kill "$pid" 2>/dev/null || true
done
wait "${ssh_pids[@]}" 2>/dev/null || true
in_peer ip route del 10.99.0.0/16 via 192.0.2.2
! compgen -G "$log_glob" >/dev/null || fail "a refused kernel-stack off left an undo log behind"
ctl_snapshot "$now"
ctl_same "$before" "$now" "after the refusals"

# on without off: nothing to restore.
expect_rc 0 kernel-stack on ctl0
grep -q "nothing to restore" "$CTL_OUT" || fail "kernel-stack on without off: $(cat "$CTL_OUT")"

# off: addresses and routes gone, IPv6 off, link down; the undo log says so.
expect_rc 0 kernel-stack off ctl0 --force
compgen -G "$log_glob" >/dev/null || fail "no undo log $log_glob after kernel-stack off"
[[ -z "$(in_ns ip -o addr show dev ctl0)" ]] || fail "ctl0 still has addresses: $(in_ns ip -o addr show dev ctl0)"
[[ -z "$(in_ns ip -o route show table all dev ctl0)" ]] || fail "routes still use ctl0: $(in_ns ip route show table all dev ctl0)"
[[ -z "$(in_ns ip -o -6 route show table all dev ctl0)" ]] || fail "IPv6 routes still use ctl0"
[[ "$(in_ns cat /proc/sys/net/ipv6/conf/ctl0/disable_ipv6)" == 1 ]] || fail "IPv6 is still on for ctl0"
in_ns ip -o link show dev ctl0 | grep -q "state DOWN" || fail "ctl0 is not down: $(in_ns ip -o link show dev ctl0)"
expect_rc 0 kernel-stack status --json
python3 - "$CTL_OUT" <<'PY' || fail "kernel-stack status --json: $(cat "$CTL_OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
(e,) = [i for i in d["interfaces"] if i["interface"] == "ctl0"]
assert e["state"] == "off" and e["this_namespace"] and e["addresses"] == 7, e
assert e["changes"] == ["addresses-flushed", "routes-flushed", "ipv6-off", "link-down", "off-complete"], e
PY

# The log belongs to its network namespace: another one cannot restore from it.
CTL_RC=0
in_peer timeout 60 "$SHUNTCTL" kernel-stack on ctl0 >"$CTL_OUT" 2>"$CTL_ERR" </dev/null || CTL_RC=$?
((CTL_RC == 1)) || fail "kernel-stack on from another namespace: exit $CTL_RC: $(cat "$CTL_OUT" "$CTL_ERR")"
expect_err_line "shuntctl: ctl0 was saved in another network namespace (net:\[*\], this is net:\[*\]); run shuntctl there"
log "ok: kernel-stack on from the peer namespace refused: $(cat "$CTL_ERR")"
compgen -G "$log_glob" >/dev/null || fail "the refused restore removed the undo log"

# Idempotent: off again changes nothing.
expect_rc 0 kernel-stack off ctl0 --force
grep -q "already off" "$CTL_OUT" || fail "second kernel-stack off: $(cat "$CTL_OUT")"

expect_rc 0 kernel-stack on ctl0
! compgen -G "$log_glob" >/dev/null || fail "kernel-stack on left the undo log behind"
ctl_settle
ctl_snapshot "$now"
ctl_same "$before" "$now" "kernel-stack off ctl0, then on"

# --keep-link: the link stays up, everything else goes, and comes back.
expect_rc 0 kernel-stack off ctl0 --force --keep-link
in_ns ip -o link show dev ctl0 | grep -q "state UP" || fail "--keep-link: ctl0 went down"
[[ -z "$(in_ns ip -o addr show dev ctl0)" ]] || fail "--keep-link: ctl0 still has addresses"
expect_rc 0 kernel-stack on ctl0
ctl_settle
ctl_snapshot "$now"
ctl_same "$before" "$now" "kernel-stack off ctl0 --keep-link, then on"

# The dummy: IPv6 off before, and after.
expect_rc 0 kernel-stack off ctld0
[[ -z "$(in_ns ip -o addr show dev ctld0)" ]] || fail "ctld0 still has addresses"
expect_rc 0 kernel-stack on ctld0
ctl_settle
ctl_snapshot "$now"
ctl_same "$before" "$now" "kernel-stack off ctld0 ($CTL_DUMMY_KIND), then on"

echo "PASS: netns.ctl_kernel_stack"
