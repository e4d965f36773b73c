#!/usr/bin/env bash
# Host-side check for guest/ctl_status.sh: shuntctl status --json against the guest's sysfs.
#   host/ctl_status.sh OUT_DIR
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/ctl_status_check.py" "$1/serial.log"
