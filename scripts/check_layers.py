#!/usr/bin/env python3
"""Fails when a source file includes a header from a floor it may not depend on.

The floors and who may include whom are the graph of docs/architecture.md; ALLOWED below is
that graph, and this script (run by every build, see CMakeLists.txt) holds the code to it.
A file belongs to the longest folder prefix listed in ALLOWED; tests/, bench/ and fuzz/ are
not checked (they may reach any floor to test it).

Usage: check_layers.py [ROOT]    (exit 1 and one line per bad include)
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
    "stack": {"base", "stack/wire", "packet", "driver", "stack/iface", "stack/tcp", "stack/app"},
    "tools": {"base", "stack/wire", "packet", "pci", "vfio", "driver", "ioctl_ctl",
              "stack/iface", "stack/tcp", "stack/app", "stack", "tools"},
}
UNCHECKED = ("tests/", "bench/", "fuzz/", "build/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


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


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    bad = check(os.path.abspath(root))
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
