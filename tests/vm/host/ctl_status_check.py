#!/usr/bin/env python3
"""Checks shuntctl status --json from a vm guest (guest/ctl_status.sh) against the sysfs facts
the guest printed for each device: driver, IOMMU group and its members, interfaces; our NIC
usable (vfio-pci), the peer with an address active, the idle NIC not.

  ctl_status_check.py SERIAL_LOG
"""
import json
import sys


def main(path):
    text = open(path, "rb").read().decode("utf-8", "replace").replace("\r", "")
    try:
        raw = text.split("SHUNT-CTL-STATUS-BEGIN\n", 1)[1].split("SHUNT-CTL-STATUS-END", 1)[0]
        status = json.loads(raw)
    except (IndexError, ValueError) as e:
        print(f"ctl_status_check: FAIL: no status JSON in {path}: {e}", file=sys.stderr)
        return 1
    devices = {d["address"]: d for d in status.get("pci_devices", [])}
    problems = []
    facts = [line.split()[1:] for line in text.splitlines() if line.startswith("SHUNT-CTL-FACT ")]
    if len(facts) != 3:
        problems.append(f"expected 3 SHUNT-CTL-FACT lines, found {len(facts)}")
    for i, (addr, *kv) in enumerate(facts):
        fact = dict(item.split("=", 1) for item in kv)
        dev = devices.get(addr)
        if dev is None:
            problems.append(f"{addr} is not in status --json (has: {sorted(devices)})")
            continue
        want_members = sorted(m for m in fact["members"].split(",") if m)
        want_ifaces = sorted(m for m in fact["interfaces"].split(",") if m)
        checks = [
            ("driver", dev.get("driver"), fact["driver"]),
            ("iommu_group", str(dev.get("iommu_group")), fact["group"]),
            ("iommu_group_members", sorted(dev.get("iommu_group_members") or []), want_members),
            ("interfaces", sorted(dev.get("interfaces") or []), want_ifaces),
            ("vendor_id", dev.get("vendor_id"), "8086"),
            # ours on vfio-pci, the peer with an address (a route), the idle NIC
            ("usable", dev.get("usable"), i == 0),
            ("active", dev.get("active"), i == 1),
        ]
        for name, got, want in checks:
            if got != want:
                problems.append(f"{addr} {name}: status --json says {got!r}, the guest {want!r}")
    for p in problems:
        print(f"ctl_status_check: FAIL: {p}", file=sys.stderr)
    if not problems:
        print(f"ctl_status_check: status --json matches the guest's sysfs for {len(facts)} NICs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
