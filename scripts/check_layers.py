#!/usr/bin/env python3
"""Fails when a source file includes a header from a floor it may not depend on.

The floors and who may include whom are the graph of docs/architecture.md; ALLOWED below is
that graph, and this script (run by every build, see CMakeLists.txt) holds the code to it.
A file belongs to the longest folder prefix listed in ALLOWED; tests/, bench/ and fuzz/ are
not checked (they may reach any floor to test it). The floors table of docs/architecture.md
is read too and must say what ALLOWED says, so the page and the check cannot drift apart.

Usage: check_layers.py [ROOT]    (exit 1 and one line per bad include or table mismatch)
"""
import os
import re
import sys

# folder -> the folders its files may include (besides their own).
ALLOWED = {
    "base": set(),
    "stack/wire": {"base"},
    "packet": {"base", "stack/wire"},
    "pci": {"base"},
    "vfio": {"base", "packet", "pci"},
    "driver": {"base", "packet", "pci", "vfio"},
    "ioctl_ctl": {"base", "pci"},
    "stack/iface": {"base", "stack/wire", "packet", "driver"},
    "stack/tcp": {"base", "stack/wire", "packet", "stack/iface"},
    "stack/app": {"base"},
    # The per-shard Stack (shunt_stack): the files directly in stack/, above every stack/ floor.
    "stack": {"base", "stack/wire", "packet", "driver", "stack/iface", "stack/tcp", "stack/app"},
    # libshunt (shunt_lib): the public API over a Stack shard, and the NIC it opens.
    "lib": {"base", "stack/wire", "packet", "pci", "vfio", "driver", "stack/iface", "stack/tcp",
            "stack/app", "stack"},
    # The POSIX socket layer (libshunt_preload.so): libshunt's public API and nothing below it.
    "posix": {"lib"},
    "tools": {"base", "stack/wire", "packet", "pci", "vfio", "driver", "ioctl_ctl",
              "stack/iface", "stack/tcp", "stack/app", "stack", "lib", "posix", "tools"},
}
UNCHECKED = ("tests/", "bench/", "fuzz/", "build/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DOC = "docs/architecture.md"
# A floors-table row: | `folder/` ... | may include | library |
ROW = re.compile(r"^\| `([a-z_/]+)/`[^|]*\| ([^|]+) \|", re.M)


def floor_of(path):
    best = None
    for folder in ALLOWED:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def check(root):
    bad = []
    for dirpath, dirnames, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if rel_dir != "." and (rel_dir + "/").startswith(UNCHECKED):
            dirnames[:] = []
            continue
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name))
            src = floor_of(rel)
            if src is None:
                continue
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                target = floor_of(m.group(1))
                if target is None or target == src or target in ALLOWED[src]:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{rel}:{line}: {src}/ may not include {m.group(1)} "
                           f"({target}/ is not below it; see docs/architecture.md)")
    return bad


def doc_table(text):
    """The floors table of the architecture page as {folder: set of folders it may include}."""
    table = {}
    for m in ROW.finditer(text):
        cell = re.sub(r"\([^)]*\)", "", m.group(2)).strip()
        if cell == "—":
            floors = set()
        elif cell == "every floor above":
            floors = set(ALLOWED)
        else:
            floors = {f.strip().strip("`").rstrip("/") for f in cell.split(",")}
        table[m.group(1)] = floors
    return table


def check_doc(root):
    path = os.path.join(root, DOC)
    if not os.path.exists(path):
        return []  # a scratch tree (unit.layers) has no docs
    with open(path, encoding="utf-8") as f:
        table = doc_table(f.read())
    bad = []
    for folder in sorted(set(ALLOWED) | set(table)):
        want = ALLOWED.get(folder, set()) - {folder}
        got = table.get(folder)
        if folder not in ALLOWED:
            bad.append(f"{DOC}: floor {folder}/ is not in ALLOWED of scripts/check_layers.py")
        elif got is None:
            bad.append(f"{DOC}: the floors table has no row for {folder}/")
        elif got - {folder} != want:
            bad.append(f"{DOC}: {folder}/ may include {sorted(got - {folder})} in the table "
                       f"but {sorted(want)} in scripts/check_layers.py")
    return bad


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    bad = check(os.path.abspath(root)) + check_doc(os.path.abspath(root))
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
