#!/usr/bin/env bash
# Guest kernel cache for the vm tier: Debian's own kernel (the version linux-image-amd64 points
# to), unpacked next to the modules the guests load. The package is only downloaded and
# unpacked, never installed: the host's kernel and /lib/modules stay untouched.
#
#   guest-kernel.sh            prints the cache directory of the resolved version, e.g.
#                              /var/cache/shunt-vm/6.1.0-56-amd64 (holding vmlinuz, modules/,
#                              version = the Debian package version)
#
# Environment: SHUNT_VM_CACHE (default /var/cache/shunt-vm), SHUNT_VM_KVER to pin a kernel
# version (e.g. 6.1.0-56-amd64) instead of asking apt.
#
# Idempotent: a complete cache entry is reused without touching apt's network side; the first
# run downloads ~70 MB (about 1-5 s on Debian's mirror) and unpacks in ~2 s. Concurrent callers
# (ctest -j2) serialise on a lock in the cache directory.
set -euo pipefail

readonly CACHE="${SHUNT_VM_CACHE:-/var/cache/shunt-vm}"
# Relative to lib/modules/KVER/kernel; the guests insmod these in run-guest.sh's order.
readonly MODULES=(
    drivers/vfio/vfio.ko
    drivers/vfio/vfio_iommu_type1.ko
    virt/lib/irqbypass.ko
    drivers/vfio/vfio_virqfd.ko
    drivers/vfio/pci/vfio-pci-core.ko
    drivers/vfio/pci/vfio-pci.ko
    drivers/net/ethernet/intel/e1000/e1000.ko
    drivers/net/ethernet/intel/e1000e/e1000e.ko
    drivers/dca/dca.ko
    drivers/i2c/algos/i2c-algo-bit.ko
    drivers/net/ethernet/intel/igb/igb.ko
    net/sched/sch_netem.ko
    net/sched/sch_ingress.ko
    net/sched/cls_matchall.ko
    net/sched/act_mirred.ko
    drivers/net/ifb.ko
    drivers/net/tun.ko
    drivers/net/veth.ko
)

note() { printf 'guest-kernel: %s\n' "$*" >&2; }
die() {
    printf 'guest-kernel: FAIL: %s\n' "$*" >&2
    exit 1
}

for c in apt-cache apt-get dpkg-deb depmod flock tar; do
    command -v "$c" >/dev/null 2>&1 || die "command '$c' not found (packages: apt, dpkg, kmod, util-linux, tar)"
done

# The kernel ABI name, e.g. 6.1.0-56-amd64, from the metapackage's dependency.
resolve_kver() {
    if [[ -n "${SHUNT_VM_KVER:-}" ]]; then
        printf '%s\n' "$SHUNT_VM_KVER"
        return 0
    fi
    local deps
    deps="$(apt-cache depends linux-image-amd64 2>/dev/null || true)"
    local kver
    kver="$(printf '%s\n' "$deps" | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n 1)"
    if [[ -n "$kver" ]]; then
        printf '%s\n' "$kver"
        return 0
    fi
    # No apt lists (fresh container): fall back to the newest complete cache entry, if any.
    local newest
    newest="$(find "$CACHE" -mindepth 2 -maxdepth 2 -name .complete -printf '%T@ %h\n' 2>/dev/null |
        sort -rn | head -n 1 | cut -d' ' -f2-)"
    if [[ -n "$newest" ]]; then
        note "apt-cache depends linux-image-amd64 named no linux-image-*-amd64 package; using the cached $(basename "$newest")"
        basename "$newest"
        return 0
    fi
    die "cannot resolve the guest kernel: 'apt-cache depends linux-image-amd64' printed no 'Depends: linux-image-<version>-amd64' line (run apt-get update?). It printed: ${deps:-nothing}"
}

# apt-get download PACKAGE into DIR; on failure refresh the lists once and retry.
# APT::Sandbox::User=root: the cache is root's, and _apt could not write into it.
apt_download() {
    local dir="$1" pkg="$2"
    (cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) && return 0
    note "apt-get download $pkg failed; running apt-get update and retrying once"
    apt-get -q update >&2 || die "apt-get update failed (no network to the Debian mirror?)"
    (cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) ||
        die "apt-get download $pkg failed even after apt-get update; apt-cache policy ${pkg%%=*} says: $(apt-cache policy "${pkg%%=*}" 2>&1 | tr -s ' \n' ' ' | grep . || echo "nothing (apt knows no such package)")"
}

build_entry() {
    local kver="$1" dest="$2"
    local debs="$CACHE/debs" pkg="linux-image-$kver"
    mkdir -p "$debs"
    local deb
    deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" -print | sort -V | tail -n 1)"
    if [[ -z "$deb" ]]; then
        note "downloading $pkg into $debs"
        apt_download "$debs" "$pkg"
        deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" -print | sort -V | tail -n 1)"
        [[ -n "$deb" ]] || die "apt-get download $pkg succeeded but no ${pkg}_*_amd64.deb is in $debs"
    fi
    local version
    version="$(dpkg-deb -f "$deb" Version)" || die "$deb is not a readable .deb (delete it and retry)"

    local tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp/modules"
    local members=("./boot/vmlinuz-$kver" "./lib/modules/$kver/modules.order"
        "./lib/modules/$kver/modules.builtin" "./lib/modules/$kver/modules.builtin.modinfo")
    local m
    for m in "${MODULES[@]}"; do members+=("./lib/modules/$kver/kernel/$m"); done
    # Debian 6.1 ships uncompressed .ko files; a later kernel may ship .ko.xz: ask tar for
    # either and see which exist.
    local listing
    listing="$(dpkg-deb --fsys-tarfile "$deb" | tar -t)" || die "cannot list $deb"
    local want=() f
    for f in "${members[@]}"; do
        if grep -qxF -- "$f" <<<"$listing"; then
            want+=("$f")
        elif [[ "$f" == *.ko ]] && grep -qxF -- "$f.xz" <<<"$listing"; then
            want+=("$f.xz")
        else
            rm -rf "$tmp"
            die "$deb has no $f (nor $f.xz): the guest needs it"
        fi
    done
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/modules" "${want[@]}" ||
        die "unpacking ${want[*]} from $deb failed"
    # Guests run busybox insmod, which cannot decompress: unpack any .ko.xz here.
    while IFS= read -r -d '' f; do
        command -v xz >/dev/null 2>&1 || die "$f is xz-compressed and xz is not installed (package xz-utils)"
        xz -d "$f"
    done < <(find "$tmp/modules" -name '*.ko.xz' -print0)
    mv "$tmp/modules/boot/vmlinuz-$kver" "$tmp/vmlinuz"
    rmdir "$tmp/modules/boot"
    # The package carries no modules.dep: compute it for the subset we keep (modprobe in a
    # guest then works too).
    depmod -b "$tmp/modules" "$kver" || die "depmod -b $tmp/modules $kver failed"
    printf '%s\n' "$version" >"$tmp/version"
    stamp >"$tmp/.complete"
    # The no-IOMMU vfio.ko depends on the kernel only: keep it.
    if [[ -e "$dest/noiommu/.complete" ]]; then mv "$dest/noiommu" "$tmp/noiommu"; fi
    rm -rf "$dest"
    mv "$tmp" "$dest"
    note "guest kernel $kver ($pkg $version) cached in $dest"
}

# What a complete entry holds: a changed module list makes older entries stale.
stamp() { printf '%s\n' "${MODULES[@]}"; }
entry_complete() { [[ -e "$1/.complete" && "$(cat "$1/.complete")" == "$(stamp)" ]]; }

main() {
    local kver
    kver="$(resolve_kver)"
    [[ "$kver" =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$ ]] || die "unexpected kernel version '$kver' (want e.g. 6.1.0-56-amd64)"
    local dest="$CACHE/$kver"
    if ! entry_complete "$dest"; then
        mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE (set SHUNT_VM_CACHE)"
        exec 9>"$CACHE/.lock"
        flock -w 900 9 || die "timed out after 900 s waiting for the lock $CACHE/.lock"
        # Another run may have filled it while we waited.
        entry_complete "$dest" || build_entry "$kver" "$dest"
        exec 9>&-
    fi
    printf '%s\n' "$dest"
}

main "$@"
