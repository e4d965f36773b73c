#!/usr/bin/env bash
# netns.ctl_status: shuntctl's read commands and its command-line contract. status --json
# parses and lists the namespace's veth (active: it carries routes) and dummy; bind/unbind of
# devices that do not exist or are not PCI fail with one line and exit 1 (real binding is
# the vm tier's: no PCI device of this host is ever touched); doctor and hugepages report in
# JSON; bad usage exits 2 with one line; --help documents the exit codes.
# Usage: ctl_status.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_status.sh SHUNTCTL}"
ctl_init status 120
in_ns ip link add ctl0 type veth peer name ctl0p netns "$CTL_PEER_NS"
in_ns ip link set ctl0 up
in_ns ip addr add 192.0.2.2/24 dev ctl0
ctl_add_dummy ctld0

expect_rc 0 status --json
python3 - "$CTL_OUT" "$CTL_DUMMY_KIND" <<'PY' || fail "status --json: $(head -c 2000 "$CTL_OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["pci_devices"], list), d
for p in d["pci_devices"]:
    assert p["class"].startswith("02"), p
ifs = {i["name"]: i for i in d["interfaces"]}
assert set(ifs) == {"ctl0", "ctld0"}, sorted(ifs)
v = ifs["ctl0"]
assert (v["driver"], v["kind"], v["pci"], v["active"], v["up"]) == ("veth", "veth", None, True, True), v
assert v["mtu"] == 1500 and len(v["mac"]) == 17, v
assert (ifs["ctld0"]["kind"], ifs["ctld0"]["active"]) == (sys.argv[2], False), ifs["ctld0"]
PY
log "ok: status --json lists ctl0 (veth, active) and ctld0"
expect_rc 0 status
grep -q "^ctl0 drv=veth .* \*Active\*$" "$CTL_OUT" || fail "status: $(cat "$CTL_OUT")"

# bind/unbind: clean failures only (no PCI device is touched on this host).
expect_rc 1 bind 0000:99:1f.7
expect_err_line "shuntctl: no PCI device 0000:99:1f.7 (shuntctl status lists the network devices)"
expect_rc 1 unbind 99:1f.7
expect_err_line "shuntctl: no PCI device 0000:99:1f.7 (shuntctl status lists the network devices)"
expect_rc 1 bind ctl0
expect_err_line "shuntctl: ctl0 is a virtual interface, not a PCI device"
expect_rc 1 bind nosuch0
expect_err_line "shuntctl: 'nosuch0' is neither a PCI address (0000:03:00.0) nor a network interface in this namespace"
expect_rc 1 kernel-stack off ctld0 --unbind
expect_err_line "shuntctl: ctld0 is a virtual interface (no PCI device): --unbind needs a PCI NIC*"
expect_rc 1 sriov 0000:99:1f.7
expect_err_line "shuntctl: no PCI device 0000:99:1f.7*"

# doctor: 0 when every check passes, 1 otherwise; each failing check has its fix.
ctl doctor --json
((CTL_RC == 0 || CTL_RC == 1)) || fail "doctor: exit $CTL_RC: $(cat "$CTL_ERR")"
python3 - "$CTL_OUT" "$CTL_RC" <<'PY' || fail "doctor --json: $(cat "$CTL_OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
names = [c["check"] for c in d["checks"]]
assert names[:6] == ["iommu", "vfio-modules", "dev-vfio", "hugepages", "memlock", "undo-logs"] and names[6:] in (["service"], ["service-unit", "service-user", "service-configs", "service-vfio-group"]), names
assert d["ok"] == all(c["ok"] for c in d["checks"]) == (sys.argv[2] == "0"), d
for c in d["checks"]:
    assert c["detail"], c
    assert (c["fix"] is None) == c["ok"] and (c["ok"] or c["fix"]), c
PY
log "ok: doctor --json (exit $CTL_RC)"
expect_rc 0 hugepages --json
json_ok="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(any(p["size_kb"] == 2048 for p in d["pools"]))' "$CTL_OUT")"
[[ "$json_ok" == True ]] || fail "hugepages --json has no 2048 kB pool: $(cat "$CTL_OUT")"

# Usage: exit 2, one line.
for args in "" "--no-such-flag status" "kernel-stack" "kernel-stack sideways ctl0" \
    "channels ctl0 --rx lots" "status extra" "hugepages --size 3M"; do
    # shellcheck disable=SC2086
    expect_rc 2 $args
    expect_err_line "shuntctl: *"
done
expect_rc 0 --help
if ! grep -q "Exit codes:" "$CTL_OUT" || ! grep -q "3  refused for safety" "$CTL_OUT"; then
    fail "--help does not document the exit codes: $(cat "$CTL_OUT")"
fi
expect_rc 0 kernel-stack off --help

echo "PASS: netns.ctl_status"
