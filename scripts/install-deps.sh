#!/usr/bin/env bash
# Installs the Debian 12 packages shunt needs to build, test and run its demo.
# The package list lives only here. Installs nothing if everything is present; otherwise runs
# `apt-get update` once and `apt-get install -y` with only the missing packages.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config g++
    # libraries
    libfmt-dev libcli11-dev libnl-3-dev libnl-route-3-dev
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev clang-format
    # the TCP benchmark's third contender (bench/tcp)
    liblwip-dev
    # the netns tier and the demo: the Linux peer and its tools
    iproute2 iputils-ping tcpdump tshark socat netcat-openbsd iperf3 curl python3
    # the vm tier: QEMU guests with an emulated IOMMU; the guest kernel and, for no-IOMMU
    # mode, its vfio.ko rebuild are fetched by tests/vm/*.sh with apt-get download
    qemu-system-x86 busybox-static cpio kmod make gcc-12 xz-utils binutils libelf1 libssl3
    # host control: device names for shuntctl status, ethtool for cross-checks
    pci.ids ethtool
)

if [[ "${1:-}" == "--list" ]]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install them" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" up front so the install never waits.
if [[ " ${missing[*]} " == *" tshark "* ]]; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        "${sudo_cmd[@]}" debconf-set-selections
fi

"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
echo "install-deps: done"
