#!/usr/bin/env bash
# Boots one vm-tier guest (QEMU TCG, q35, Debian's kernel) with emulated Intel NICs on emulated
# hubs and runs a test script in it (vm-recipe.md has the measured settings). The default
# topology, "pair", is two NICs on one hub:
#
#   00:02.0  ours: bound to vfio-pci, MAC 52:54:00:12:34:56, its traffic dumped to wire.pcap
#   00:03.0  the peer: the guest kernel's e1000/e1000e, 10.0.2.2/24, MAC 52:54:00:12:34:57
#
# With --model igb (QEMU >= 8, pair topology only) both are 82576s and the peer sits at 00:0a.0
# instead of 00:03.0: an igb reserves the slots after it for its SR-IOV VFs (vm-recipe.md
# pitfall 7), and the guest kernel's igb needs dca and i2c-algo-bit loaded first (pitfall 8).
#
# "fwd" adds a second pair on a second hub, for shunt-fwd between 02.0 and 04.0:
#
#   00:04.0  ours too: bound to vfio-pci, MAC 52:54:00:12:34:58, dumped to wire-b.pcap
#   00:05.0  peer 2: the guest kernel's driver, up without an address, MAC 52:54:00:12:34:59
#
# "ctl" adds a third NIC on hub 0 for host-control tests, left to the guest kernel:
#
#   00:04.0  the kernel's e1000/e1000e, up without an address, MAC 52:54:00:12:34:58
#
# "igb" adds a multi-queue NIC for the guest kernel (QEMU >= 8, vm-recipe.md pitfalls 7-9):
#
#   00:0a.0  an igb (82576), on hub 0, MAC 52:54:00:12:34:5a; nothing loads its driver
#
# "bridge" adds a PCIe-to-PCI bridge at 00:06.0 with two e1000 NICs behind it (bus 01, slots 1
# and 2, on a third hub). Behind such a bridge the IOMMU cannot tell the two apart, so they
# share one IOMMU group: the setting for group-viability tests. No driver is bound to them.
#
# Hub ports only: no user-mode network, nothing leaves the QEMU process.
#
#   run-guest.sh --script PATH [--model e1000|e1000e|igb] [--mode iommu|noiommu] [--bin PATH]...
#                [--env NAME=VALUE]... [--out DIR] [--timeout SECONDS] [--host-check PATH]
#                [--topology pair|fwd|ctl|igb|bridge]
#
# --bin copies a binary into the guest's /shunt/bin with every shared library ldd lists (at
# the same paths) and the dynamic loader. The script runs under busybox sh as root in /tmp
# with SHUNT_VFIO_ADDR, SHUNT_PEER_ADDR, SHUNT_PEER_IF, SHUNT_MODE, SHUNT_MODEL (and in the fwd
# topology SHUNT_VFIO_ADDR2, SHUNT_PEER_ADDR2, SHUNT_PEER2_IF) and each --env set, PATH starting with /shunt/bin, 64 free 2 MiB hugepages; it may source
# /shunt/lib.sh (guest/lib.sh). --out gets serial.log (the console), qemu.stderr and
# wire.pcap (default: a fresh directory under $TMPDIR, printed). --timeout bounds the QEMU
# run (default 120 s); guest-kernel.sh and noiommu-vfio.sh prepare their caches first.
# --host-check runs `bash PATH OUT_DIR` after the script passed (e.g. to inspect wire.pcap);
# its exit status is then the result.
#
# Exit status: the script's, or 1 when setup failed, the guest printed no exit marker (the
# serial log's tail is printed) or QEMU ran past the timeout. Runs in parallel with others:
# every per-run file is in its own temporary directory.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly VFIO_ADDR=0000:00:02.0
PEER_SLOT=03.0 # 0a.0 for igb, set after the arguments are read
readonly MAC_OURS=52:54:00:12:34:56
readonly MAC_PEER=52:54:00:12:34:57
readonly VFIO_ADDR2=0000:00:04.0
readonly PEER_ADDR2=0000:00:05.0
readonly MAC_OURS2=52:54:00:12:34:58
readonly MAC_PEER2=52:54:00:12:34:59

log() { printf '[run-guest %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
    printf 'run-guest: FAIL: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '32,34p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    die "$*"
}

MODEL=e1000e
MODE=iommu
TOPOLOGY=pair
SCRIPT=""
OUT=""
TIMEOUT=120
HOST_CHECK=""
BINS=()
ENVS=()
while (($# > 0)); do
    case "$1" in
    --model | --mode | --bin | --script | --out | --timeout | --env | --host-check | --topology)
        (($# >= 2)) || usage "$1 needs a value"
        case "$1" in
        --model) MODEL="$2" ;;
        --mode) MODE="$2" ;;
        --bin) BINS+=("$2") ;;
        --script) SCRIPT="$2" ;;
        --out) OUT="$2" ;;
        --timeout) TIMEOUT="$2" ;;
        --env) ENVS+=("$2") ;;
        --host-check) HOST_CHECK="$2" ;;
        --topology) TOPOLOGY="$2" ;;
        esac
        shift 2
        ;;
    -h | --help) usage "help requested" ;;
    *) usage "unknown argument '$1'" ;;
    esac
done
case "$MODEL" in e1000 | e1000e | igb) ;; *) usage "--model must be e1000, e1000e or igb, not '$MODEL'" ;; esac
case "$MODE" in iommu | noiommu) ;; *) usage "--mode must be iommu or noiommu, not '$MODE'" ;; esac
case "$TOPOLOGY" in pair | fwd | ctl | igb | bridge) ;; *) usage "--topology must be pair, fwd, ctl, igb or bridge, not '$TOPOLOGY'" ;; esac
if [[ "$MODEL" == igb ]]; then
    [[ "$TOPOLOGY" == pair ]] || usage "--model igb runs in the pair topology only, not '$TOPOLOGY'"
    PEER_SLOT=0a.0
fi
readonly PEER_SLOT
readonly PEER_ADDR="0000:00:$PEER_SLOT"
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || usage "--timeout must be a positive number of seconds, not '$TIMEOUT'"
[[ -n "$SCRIPT" ]] || usage "--script is required"
[[ -f "$SCRIPT" ]] || die "guest script $SCRIPT does not exist"
[[ -z "$HOST_CHECK" || -f "$HOST_CHECK" ]] || die "host check $HOST_CHECK does not exist"
for b in "${BINS[@]}"; do
    [[ -f "$b" && -x "$b" ]] || die "--bin $b is not an executable file (built yet?)"
done
for e in "${ENVS[@]}"; do
    [[ "$e" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage "--env wants NAME=VALUE, not '$e'"
done

for c in qemu-system-x86_64 cpio gzip ldd timeout sha256sum; do
    command -v "$c" >/dev/null 2>&1 || die "command '$c' not found (packages: qemu-system-x86 cpio gzip libc-bin coreutils)"
done
readonly BUSYBOX=/bin/busybox
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found (package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked: the guest needs the static one (package busybox-static)"
fi

KDIR="$(bash "$HERE/guest-kernel.sh")" || die "guest-kernel.sh could not provide the guest kernel (see above)"
KVER="$(basename "$KDIR")"
NOIOMMU_KO=""
if [[ "$MODE" == noiommu ]]; then
    NOIOMMU_KO="$(bash "$HERE/noiommu-vfio.sh" "$KDIR")" || die "noiommu-vfio.sh could not build the no-IOMMU vfio.ko (see above)"
fi

if [[ -z "$OUT" ]]; then
    OUT="$(mktemp -d "${TMPDIR:-/tmp}/shunt-vm-out.XXXXXX")"
fi
mkdir -p "$OUT"
rm -f "$OUT/serial.log" "$OUT/wire.pcap" "$OUT/wire-b.pcap" "$OUT/qemu.stderr"

# A run killed with SIGKILL (ctest's hard timeout) leaves its directory (~7 MB) behind; no
# live run is older than its timeout plus the cache warm-up, far below three hours.
find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'shunt-vm-run.*' -mmin +180 -exec rm -rf {} + 2>/dev/null || true
RUN="$(mktemp -d "${TMPDIR:-/tmp}/shunt-vm-run.XXXXXX")"
QEMU_PID=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    if [[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill -TERM "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" 2>/dev/null || true
    fi
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'die "interrupted"' INT TERM

# ---- initramfs: a cached base (busybox + the kernel's modules) + this run's files ----
# The kernel unpacks concatenated cpio archives in order, so the per-run part is appended.
base_archive() {
    local key
    # Keyed by busybox and the cache entry's module list (guest-kernel.sh's stamp).
    key="$(cat "$BUSYBOX" "$KDIR/.complete" | sha256sum | cut -c1-12)"
    local base="$KDIR/base-$key.cpio.gz"
    if [[ ! -s "$base" ]]; then
        local tree="$RUN/base"
        mkdir -p "$tree/bin" "$tree/lib"
        cp "$BUSYBOX" "$tree/bin/busybox"
        cp -a "$KDIR/modules/lib/modules" "$tree/lib/"
        # Two runs may build it at once: same content, and mv is atomic.
        (cd "$tree" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
            gzip -6 >"$base.tmp.$$"
        mv "$base.tmp.$$" "$base"
        rm -rf "$tree"
    fi
    printf '%s\n' "$base"
}

# Copies FILE (following symlinks) to the same absolute path under the run's tree.
copy_same_path() {
    local file="$1" root="$2"
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
}

add_binary() {
    local bin="$1" root="$2"
    local dest
    dest="$root/shunt/bin/$(basename "$bin")"
    cp -L "$bin" "$dest"
    # Debug info is most of a RelWithDebInfo binary and is no use in the guest.
    if command -v strip >/dev/null 2>&1; then strip --strip-debug "$dest" 2>/dev/null || true; fi
    local deps
    if ! deps="$(ldd "$bin" 2>&1)"; then
        [[ "$deps" == *"not a dynamic executable"* ]] && return 0
        die "ldd $bin failed: $deps"
    fi
    local line path
    while IFS= read -r line; do
        [[ "$line" == *"not found"* ]] && die "$bin needs a library ldd cannot find: $line"
        path=""
        if [[ "$line" =~ =\>\ (/[^ ]+)\ \( ]]; then
            path="${BASH_REMATCH[1]}"
        elif [[ "$line" =~ ^[[:space:]]*(/[^ ]+)\ \( ]]; then
            path="${BASH_REMATCH[1]}" # the dynamic loader, e.g. /lib64/ld-linux-x86-64.so.2
        fi
        [[ -n "$path" ]] && copy_same_path "$path" "$root"
    done <<<"$deps"
    return 0
}

# Single-quotes a value for the guest's sh.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

build_initrd() {
    local root="$RUN/root"
    mkdir -p "$root/shunt/bin"
    install -m 0755 "$HERE/init.sh" "$root/init"
    install -m 0755 "$SCRIPT" "$root/shunt/test.sh"
    install -m 0644 "$HERE/guest/lib.sh" "$root/shunt/lib.sh"
    {
        echo "SHUNT_MODE=$MODE"
        echo "SHUNT_MODEL=$MODEL"
        echo "SHUNT_VFIO_ADDR=$VFIO_ADDR"
        echo "SHUNT_PEER_ADDR=$PEER_ADDR"
        echo "SHUNT_TOPOLOGY=$TOPOLOGY"
        if [[ "$TOPOLOGY" == fwd ]]; then
            echo "SHUNT_VFIO_ADDR2=$VFIO_ADDR2"
            echo "SHUNT_PEER_ADDR2=$PEER_ADDR2"
        elif [[ "$TOPOLOGY" == ctl ]]; then
            echo "SHUNT_PEER_ADDR2=$VFIO_ADDR2" # 04.0, left to the kernel
        fi
        local e
        for e in "${ENVS[@]}"; do echo "export ${e%%=*}=$(sh_quote "${e#*=}")"; done
    } >"$root/shunt/config"
    if [[ -n "$NOIOMMU_KO" ]]; then
        mkdir -p "$root/shunt/noiommu"
        cp "$NOIOMMU_KO" "$root/shunt/noiommu/vfio.ko"
    fi
    local b
    for b in "${BINS[@]}"; do add_binary "$b" "$root"; done
    local base
    base="$(base_archive)"
    (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
        gzip -1 >"$RUN/run.cpio.gz"
    cat "$base" "$RUN/run.cpio.gz" >"$RUN/initrd.cpio.gz"
}

t0=$SECONDS
build_initrd
initrd_kb=$(($(stat -c %s "$RUN/initrd.cpio.gz") / 1024))
log "initramfs ${initrd_kb} KiB for $KVER ($MODEL, $MODE, $TOPOLOGY, built in $((SECONDS - t0)) s); out: $OUT"

# ---- QEMU: the recipe's command line ----
# no_timer_check: the kernel's boot check that the IO-APIC timer ticks within a busy-wait
# fails when TCG is starved of CPU (two guests and a build on 2 cores), and with interrupt
# remapping that is a panic ("timer doesn't work through Interrupt-remapped IO-APIC"); the
# timer works, it was only slow to show it.
append="console=ttyS0 panic=-1 quiet no_timer_check"
qemu=(qemu-system-x86_64 -accel tcg -machine "q35,kernel-irqchip=split" -cpu max -m 512 -smp 1)
if [[ "$MODE" == iommu ]]; then
    qemu+=(-device "intel-iommu,intremap=on,caching-mode=on")
    append+=" intel_iommu=on"
fi
qemu+=(-kernel "$KDIR/vmlinuz" -initrd "$RUN/initrd.cpio.gz" -append "$append"
    -netdev "hubport,id=p1,hubid=0" -netdev "hubport,id=p2,hubid=0"
    -device "$MODEL,netdev=p1,mac=$MAC_OURS,addr=02.0"
    -device "$MODEL,netdev=p2,mac=$MAC_PEER,addr=$PEER_SLOT"
    -object "filter-dump,id=f1,netdev=p1,file=$OUT/wire.pcap"
    -nographic -no-reboot)
case "$TOPOLOGY" in
fwd)
    qemu+=(-netdev "hubport,id=p3,hubid=1" -netdev "hubport,id=p4,hubid=1"
        -device "$MODEL,netdev=p3,mac=$MAC_OURS2,addr=04.0"
        -device "$MODEL,netdev=p4,mac=$MAC_PEER2,addr=05.0"
        -object "filter-dump,id=f2,netdev=p3,file=$OUT/wire-b.pcap")
    ;;
ctl)
    qemu+=(-netdev "hubport,id=p3,hubid=0"
        -device "$MODEL,netdev=p3,mac=$MAC_OURS2,addr=04.0")
    ;;
igb)
    # Slot 0a: an igb reserves the functions after it for its VFs (pitfall 7).
    qemu+=(-netdev "hubport,id=p3,hubid=0" -device "igb,netdev=p3,mac=52:54:00:12:34:5a,addr=0a.0")
    ;;
bridge)
    qemu+=(-device "pcie-pci-bridge,id=br0,bus=pcie.0,addr=06.0"
        -netdev "hubport,id=p5,hubid=2" -netdev "hubport,id=p6,hubid=2"
        -device "e1000,netdev=p5,mac=52:54:00:12:35:01,bus=br0,addr=01.0"
        -device "e1000,netdev=p6,mac=52:54:00:12:35:02,bus=br0,addr=02.0")
    ;;
esac

t1=$SECONDS
# In the background so the TERM/INT trap (ctest's timeout) can run and stop QEMU; timeout(1)
# bounds it on its own as well.
timeout -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null >"$OUT/serial.log" 2>"$OUT/qemu.stderr" &
QEMU_PID=$!
qemu_rc=0
wait "$QEMU_PID" || qemu_rc=$?
QEMU_PID=""
elapsed=$((SECONDS - t1))

# The console has CRLF line ends; drop the CRs for matching and printing.
serial="$(tr -d '\r' <"$OUT/serial.log")"
tail_log() {
    printf -- '--- last 40 lines of %s ---\n' "$OUT/serial.log" >&2
    tail -n 40 <<<"$serial" >&2
    if [[ -s "$OUT/qemu.stderr" ]]; then
        printf -- '--- %s ---\n' "$OUT/qemu.stderr" >&2
        tail -n 20 "$OUT/qemu.stderr" >&2
    fi
}
# The guest's own lines (setup summary, then the script's output).
sed -n 's/^.*\(shunt-init: \)/\1/p; /^SHUNT-GUEST-SCRIPT-BEGIN$/,/^SHUNT-GUEST-EXIT /{/^SHUNT-GUEST-/d; /^$/d; s/^/guest| /p}' <<<"$serial"

if ((qemu_rc == 124 || qemu_rc == 137)); then
    tail_log
    die "QEMU ran past --timeout ${TIMEOUT} s and was killed (guest $MODEL/$MODE, script $SCRIPT)"
fi
setup_fail="$(sed -n 's/^SHUNT-GUEST-SETUP-FAILED //p' <<<"$serial" | head -n 1)"
if [[ -n "$setup_fail" ]]; then
    tail_log
    die "guest setup failed: $setup_fail"
fi
rc_line="$(grep -E '^SHUNT-GUEST-EXIT [0-9]+$' <<<"$serial" | tail -n 1 || true)"
if [[ -z "$rc_line" ]]; then
    tail_log
    die "the guest printed no 'SHUNT-GUEST-EXIT <rc>' line (QEMU exit status $qemu_rc after ${elapsed} s): it crashed or hung before the script finished"
fi
rc="${rc_line#SHUNT-GUEST-EXIT }"
log "guest script exited $rc; QEMU ran ${elapsed} s (wall), total $((SECONDS - t0)) s"
if ((rc != 0)); then
    printf 'run-guest: guest script %s exited %s (%s, %s); console in %s\n' "$SCRIPT" "$rc" "$MODEL" "$MODE" "$OUT/serial.log" >&2
    exit "$rc"
fi
if [[ -n "$HOST_CHECK" ]]; then
    SHUNT_MODEL="$MODEL" SHUNT_MODE="$MODE" bash "$HOST_CHECK" "$OUT" ||
        die "host check $HOST_CHECK failed on $OUT (guest $MODEL/$MODE)"
fi
exit 0
