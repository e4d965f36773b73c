#!/bin/sh
# Fetches Debian's lwIP 2.1.3 source package (the one liblwip-dev is built from) and unpacks
# it with Debian's patches applied, for the lwIP contender of shunt-tcp-bench.
#
# Why not the installed liblwip0: it is the GNU Hurd build (NO_SYS=0 with a tcpip thread and
# core locking, pools from malloc, stats compiled out), so neither a NO_SYS=1 raw-API port,
# fixed pcb/pbuf pools nor lwIP's own memory statistics are possible with it.
#
# Nothing on the host changes: apt reads a private sources list and keeps its package lists
# under a temporary directory.
#
# usage: fetch-lwip-source.sh DEST_DIR    (DEST_DIR/src/core/tcp.c exists afterwards)
set -eu
dest=${1:?usage: fetch-lwip-source.sh DEST_DIR}
version=2.1.3+dfsg1-2
if [ -f "$dest/src/core/tcp.c" ]; then
    echo "lwIP source already at $dest"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/sources.d" "$work/lists/partial"
# Same mirrors as the host's own deb lines, as deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$work/sources.d/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$work/sources.list"
else
    : > "$work/sources.list"
fi
apt_opts="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=$work/sources.d
          -o Dir::State::Lists=$work/lists -o Debug::NoLocking=1
          -o APT::Sandbox::User=root -qq"
# shellcheck disable=SC2086
apt-get $apt_opts update
# shellcheck disable=SC2086
(cd "$work" && apt-get $apt_opts source --download-only "lwip=$version")
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
dpkg-source --no-check -x "$work/lwip_$version.dsc" "$dest" >/dev/null
echo "lwIP $version source (Debian patches applied) at $dest"
