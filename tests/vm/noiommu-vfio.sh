#!/usr/bin/env bash
# Builds the guest's vfio.ko with CONFIG_VFIO_NOIOMMU (vm-recipe.md, pitfall 2): Debian's
# kernel is built without it, so enable_unsafe_noiommu_mode does nothing there. Only vfio.ko
# is rebuilt (vfio_main.c, iova_bitmap.c, container.c, vfio.h from Debian's linux-source of
# the same package version), against that kernel's own headers; the stock vfio-pci modules
# load on top of it because the exported symbols' CRCs do not change (checked below).
#
#   noiommu-vfio.sh [GUEST_KERNEL_DIR]   prints the path of the built vfio.ko
#
# GUEST_KERNEL_DIR is guest-kernel.sh's output (resolved when omitted). The result is cached
# in GUEST_KERNEL_DIR/noiommu/, i.e. keyed by kernel version. Nothing is installed on the
# host: linux-source, linux-headers-KVER, linux-headers-*-common and linux-kbuild are
# downloaded with apt-get download and unpacked in a temporary directory. First run: ~155 MB
# of downloads, ~10 s to unpack the source, ~3 s to build. Needs make and gcc-12 (the
# compiler Debian built the kernel with), libelf1 and libssl3 (for the kbuild tools).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE

note() { printf 'noiommu-vfio: %s\n' "$*" >&2; }
die() {
    printf 'noiommu-vfio: FAIL: %s\n' "$*" >&2
    exit 1
}

for c in apt-get apt-cache dpkg-deb make gcc modinfo flock tar xz strip; do
    command -v "$c" >/dev/null 2>&1 || die "command '$c' not found (packages: make gcc-12 kmod xz-utils binutils)"
done

KDIR="${1:-}"
if [[ -z "$KDIR" ]]; then
    KDIR="$(bash "$HERE/guest-kernel.sh")"
fi
[[ -e "$KDIR/.complete" ]] || die "$KDIR is not a complete guest kernel cache entry (run guest-kernel.sh)"
KVER="$(basename "$KDIR")"
VERSION="$(cat "$KDIR/version")"
readonly KDIR KVER VERSION
readonly OUT="$KDIR/noiommu"
# 6.1.0-56-amd64 -> series 6.1, ABI 6.1.0-56
SERIES="$(cut -d. -f1,2 <<<"$KVER")"
readonly SERIES
readonly ABI="${KVER%-amd64}"

if [[ -e "$OUT/.complete" ]]; then
    printf '%s\n' "$OUT/vfio.ko"
    exit 0
fi

exec 9>"$KDIR/.noiommu.lock"
flock -w 900 9 || die "timed out after 900 s waiting for the lock $KDIR/.noiommu.lock"
if [[ -e "$OUT/.complete" ]]; then
    printf '%s\n' "$OUT/vfio.ko"
    exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/shunt-noiommu.XXXXXX")"
readonly WORK
trap 'rm -rf "$WORK"' EXIT

# Every package at exactly the guest kernel's package version: a headers tree of another
# version would build a module the guest refuses (vermagic/CRC mismatch).
readonly PACKAGES=("linux-source-$SERIES" "linux-headers-$KVER" "linux-headers-$ABI-common"
    "linux-kbuild-$SERIES")
download() {
    local p
    for p in "${PACKAGES[@]}"; do
        (cd "$WORK" && apt-get -q -o APT::Sandbox::User=root download "$p=$VERSION" >&2) || return 1
    done
}
if ! download; then
    note "a download failed; running apt-get update and retrying once"
    apt-get -q update >&2 || die "apt-get update failed (no network to the Debian mirror?)"
    if ! download; then
        report=""
        for p in "${PACKAGES[@]}"; do
            report+="$p: candidate $(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n 1); "
            apt-cache madison "$p" 2>/dev/null | grep -qF "| $VERSION |" || report+="(version $VERSION NOT available) "
        done
        die "the no-IOMMU vfio.ko needs ${PACKAGES[*]} at exactly version $VERSION (the guest kernel's package version); apt cannot get them all: $report"
    fi
fi

note "unpacking linux-source-$SERIES (drivers/vfio only) and the $KVER headers"
mkdir -p "$WORK/root" "$WORK/src"
for deb in "$WORK"/linux-headers-*.deb "$WORK"/linux-kbuild-*.deb; do
    dpkg-deb -x "$deb" "$WORK/root" || die "unpacking $deb failed"
done
src_deb="$(ls "$WORK"/linux-source-"$SERIES"_*.deb)"
dpkg-deb --fsys-tarfile "$src_deb" | tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
    tar -xJ -C "$WORK/src" --wildcards "linux-source-$SERIES/drivers/vfio/*" ||
    die "unpacking drivers/vfio from $src_deb failed"
rm -f "$src_deb"

HDR="$WORK/root/usr/src/linux-headers-$KVER"
[[ -f "$HDR/Makefile" ]] || die "the headers package has no $HDR/Makefile"
# The arch headers' Makefile includes the common tree by absolute path (/usr/src/...): point
# it into the unpacked copy instead of the host's /usr/src.
sed -i "s|^include /usr/src/|include $WORK/root/usr/src/|" "$HDR/Makefile"
grep -q "^include $WORK/root/usr/src/linux-headers-$ABI-common/Makefile" "$HDR/Makefile" ||
    die "unexpected $HDR/Makefile (want one 'include /usr/src/linux-headers-$ABI-common/Makefile' line): $(cat "$HDR/Makefile")"

MOD="$WORK/mod"
mkdir -p "$MOD"
for f in vfio_main.c iova_bitmap.c container.c vfio.h; do
    cp "$WORK/src/linux-source-$SERIES/drivers/vfio/$f" "$MOD/" ||
        die "linux-source-$SERIES has no drivers/vfio/$f (the recipe's file list is for 6.1)"
done
# drivers/vfio/Makefile's vfio-y list, plus the one option Debian left off.
cat >"$MOD/Kbuild" <<'EOF'
obj-m += vfio.o
vfio-y := vfio_main.o iova_bitmap.o container.o
ccflags-y += -DCONFIG_VFIO_NOIOMMU=1
EOF

note "building vfio.ko with CONFIG_VFIO_NOIOMMU for $KVER"
if ! make -C "$HDR" M="$MOD" CC=gcc-12 -j"$(nproc)" modules >"$WORK/build.log" 2>&1; then
    tail -n 30 "$WORK/build.log" >&2
    die "building vfio.ko failed (log above)"
fi
ko="$MOD/vfio.ko"
[[ -f "$ko" ]] || die "the build succeeded but made no $ko"

stock="$KDIR/modules/lib/modules/$KVER/kernel/drivers/vfio/vfio.ko"
want_magic="$(modinfo -F vermagic "$stock")"
got_magic="$(modinfo -F vermagic "$ko")"
[[ "$got_magic" == "$want_magic" ]] || die "built vfio.ko has vermagic '$got_magic', the guest kernel wants '$want_magic'"
modinfo -F parm "$ko" | grep -q '^enable_unsafe_noiommu_mode:' ||
    die "built vfio.ko has no enable_unsafe_noiommu_mode parameter: CONFIG_VFIO_NOIOMMU did not take"
# vfio-pci-core was linked against the stock vfio's symbol CRCs: they must be unchanged.
mismatch="$(join <(awk '$3 == "drivers/vfio/vfio" { print $2, $1 }' "$HDR/Module.symvers" | sort) \
    <(awk '{ print $2, $1 }' "$MOD/Module.symvers" | sort) | awk '$2 != $3 { print $1 }' | tr '\n' ' ')"
[[ -z "$mismatch" ]] || die "exported symbols changed CRC with CONFIG_VFIO_NOIOMMU (vfio-pci-core would not load): $mismatch"

strip --strip-debug "$ko"
rm -rf "$OUT.tmp.$$"
mkdir -p "$OUT.tmp.$$"
cp "$ko" "$OUT.tmp.$$/vfio.ko"
cp "$WORK/build.log" "$OUT.tmp.$$/build.log"
touch "$OUT.tmp.$$/.complete"
rm -rf "$OUT"
mv "$OUT.tmp.$$" "$OUT"
note "built $OUT/vfio.ko ($(stat -c %s "$OUT/vfio.ko") bytes)"
printf '%s\n' "$OUT/vfio.ko"
