#!/usr/bin/env bash
# netns.tcp_http_netem: tcp_http.sh with tc netem both ways on the kernel's side of the TAP:
# 5 % loss, 2 ms delay, 25 % of segments reordered, 1 % duplicated. Nothing may be lost or
# altered: every byte of the downloads and the upload's digest are checked as without netem.
# Usage: tcp_http_netem.sh SHUNTD BIG_MB UPLOAD_MB
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/tcp_http.sh" "$1" "$2" "$3" \
    loss 5% delay 2ms reorder 25% 50% duplicate 1%
