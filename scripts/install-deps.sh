#!/usr/bin/env bash
# Installs the Debian 12 packages shunt needs to build, test and run its demo.
# The package list lives only here. Installs nothing if everything is present; otherwise runs
# `apt-get update` once and `apt-get install -y` with only the missing packages.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config g++
    # libraries
    libfmt-dev libcli11-dev libnl-3-dev libnl-route-3-dev libssl-dev nlohmann-json3-dev
    # capture filters (pcap_compile) and pcap files: shuntd and shuntctl capture (docs/control.md)
    libpcap-dev
    # shuntd under systemd's Type=notify: sd_notify, sd_watchdog_enabled (docs/service.md)
    libsystemd-dev
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev clang-format
    # the fuzz tier: clang with libFuzzer (its runtime is in libclang-rt-14-dev)
    clang libclang-rt-14-dev
    # the netns tier and the demo: the Linux peer and its tools
    iproute2 iputils-ping tcpdump tshark socat netcat-openbsd iperf3 curl python3
    # hostile peers for the resource-budget tests (crafted TCP, fragments, spoofed sources)
    python3-scapy
    # the vm tier: QEMU guests with an emulated IOMMU (qemu-system-x86 itself is below: it
    # must be QEMU >= 8); the guest kernel and, for no-IOMMU mode, its vfio.ko rebuild are
    # fetched by tests/vm/*.sh with apt-get download
    busybox-static cpio kmod make gcc-12 xz-utils binutils libelf1 libssl3
    # host control: device names for shuntctl status, ethtool for cross-checks
    pci.ids ethtool
    # the POSIX layer's tests and benchmark (docs/posix.md): Debian's servers under shunt-run
    nginx-light redis-server redis-tools sockperf
    # the conformance tier: building packetdrill from ../shared/third_party (docs/conformance.md)
    bison flex
    # profiling: the USDT probe header (base/probes.hpp), perf to list and record the probes
    systemtap-sdt-dev linux-perf
)

# The vm tier's igb model (a multi-queue NIC for the guest kernel) needs QEMU >= 8. Debian 12
# ships 7.2; its own bookworm-backports suite has 10.0 (shared/vm-recipe.md), which upgrades
# only QEMU's packages and seabios.
readonly QEMU_PKG=qemu-system-x86
readonly QEMU_MIN=1:8
readonly BACKPORTS_LIST=/etc/apt/sources.list.d/shunt-bookworm-backports.sources

if [[ "${1:-}" == "--list" ]]; then
    printf '%s\n' "${packages[@]}" "$QEMU_PKG (>= ${QEMU_MIN#1:}, from bookworm-backports on Debian 12)"
    exit 0
fi

# qemu_ok: the installed QEMU is new enough.
qemu_ok() {
    local v
    v="$(dpkg-query -W -f='${Status} ${Version}' "$QEMU_PKG" 2>/dev/null || true)"
    [[ "$v" == "install ok installed "* ]] && dpkg --compare-versions "${v##* }" ge "$QEMU_MIN"
}
# The suite to take QEMU from: bookworm-backports on Debian 12, the release itself elsewhere.
codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
# Adds bookworm-backports as an apt source, with the same mirror as the main Debian source.
add_backports() {
    [[ -e "$BACKPORTS_LIST" ]] && return 0
    grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
    local uri
    uri="$(sed -n 's/^URIs: *\(http[^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
    uri="${uri:-http://deb.debian.org/debian}"
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
        "$uri" /usr/share/keyrings/debian-archive-keyring.gpg | "${sudo_cmd[@]}" tee "$BACKPORTS_LIST" >/dev/null
    echo "install-deps: added bookworm-backports ($uri) as $BACKPORTS_LIST for QEMU >= 8"
}

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

need_qemu=0
qemu_ok || need_qemu=1
if ((${#missing[@]} == 0 && need_qemu == 0)); then
    echo "install-deps: all ${#packages[@]} packages and QEMU >= ${QEMU_MIN#1:} are installed"
    exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}$( ((need_qemu)) && echo " and $QEMU_PKG >= ${QEMU_MIN#1:}")"

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

if ((need_qemu)) && [[ "$codename" == bookworm ]]; then add_backports; fi
"${sudo_cmd[@]}" apt-get update
if ((${#missing[@]} > 0)); then
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
if ((need_qemu)); then
    target=()
    [[ "$codename" == bookworm ]] && target=(-t bookworm-backports)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${target[@]}" "$QEMU_PKG"
    qemu_ok || {
        echo "install-deps: $QEMU_PKG is still older than ${QEMU_MIN#1:} (the vm tier's igb needs it)" >&2
        exit 1
    }
fi
echo "install-deps: done"
