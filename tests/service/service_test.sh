#!/usr/bin/env bash
# unit.service_setup: the systemd unit passes `systemd-analyze verify`, the example config
# passes `shuntd --check-config`, and `shuntctl doctor` finds the unit, flags a config file
# with a bad line (naming FILE:LINE) and passes once it is fixed (docs/service.md).
# Usage: service_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "${1:?usage: service_test.sh BUILD_DIR}" && pwd)"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d /tmp/shunt-service.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
shuntd="$build/tools/shuntd"
shuntctl="$build/tools/shuntctl"
unit="$build/packaging/shuntd@.service"
[[ -f "$unit" ]] || fail "$unit was not generated"

# The unit as installed, but pointing at this build's shuntd (verify checks ExecStart exists).
mkdir -p "$tmp/units" "$tmp/etc"
bindir="$(sed -n 's|^ExecStart=\(.*\)/shuntd .*|\1|p' "$unit")"
[[ -n "$bindir" ]] || fail "no ExecStart=.../shuntd in $unit"
sed "s|$bindir/shuntd|$shuntd|g" "$unit" >"$tmp/units/shuntd@.service"
cp "$tmp/units/shuntd@.service" "$tmp/units/shuntd@web.service"
# verify exits 0 on many problems (an unknown key is a warning, "ignoring"): any output fails,
# except that no system bus may be reachable where the tests run.
verify() {
    SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$1" 2>&1 | grep -v 'Failed to connect to bus' || true
}
out="$(verify "$tmp/units/shuntd@web.service")"
[[ -z "$out" ]] || fail "systemd-analyze verify: $out"
# The check itself must be able to fail: a misspelt key in a copy is reported.
mkdir -p "$tmp/typo"
sed 's/^LimitMEMLOCK=/LimitMEMLOK=/' "$tmp/units/shuntd@web.service" >"$tmp/typo/shuntd@web.service"
[[ "$(verify "$tmp/typo/shuntd@web.service")" == *"Unknown key 'LimitMEMLOK'"* ]] ||
    fail "systemd-analyze verify did not report a misspelt key: the check above proves nothing"
echo "systemd-analyze verify: clean"
grep -q '^ExecStartPre=.*--check-config' "$unit" || fail "the unit does not check its config first"
grep -q '^Type=notify$' "$unit" || fail "the unit is not Type=notify (shuntd sends READY=1)"
grep -q '^WatchdogSec=[1-9]' "$unit" || fail "the unit sets no WatchdogSec="

out="$("$shuntd" --config "$src/packaging/etc/example.conf" --check-config 2>&1)" ||
    fail "example.conf: $out"
echo "example.conf: $out"

# doctor: a broken config is one failing check naming FILE:LINE; fixing it makes it pass.
cp "$src/packaging/etc/example.conf" "$tmp/etc/web.conf"
printf 'nic = tap:shunt1\nip = 10.78.0.2/24\nno-such-key = 1\n' >"$tmp/etc/bad.conf"
doctor() {
    SYSTEMD_UNIT_PATH="$tmp/units" "$shuntctl" doctor --json --config-dir "$tmp/etc" || true
}
check() { # check NAME FIELD: one field of one check from doctor's JSON
    python3 -c 'import json,sys; d=json.load(sys.stdin); c=[c for c in d["checks"] if c["check"]==sys.argv[1]]; print(c[0][sys.argv[2]] if c else "missing")' "$1" "$2"
}
json="$(doctor)"
[[ "$(check service-unit ok <<<"$json")" == True ]] || fail "doctor did not find the unit: $json"
[[ "$(check service-configs ok <<<"$json")" == False ]] || fail "doctor passed bad.conf: $json"
detail="$(check service-configs detail <<<"$json")"
[[ "$detail" == *"bad.conf:3:"* ]] || fail "doctor's config detail does not name bad.conf:3: $detail"
echo "doctor with bad.conf: $detail"
rm "$tmp/etc/bad.conf"
json="$(doctor)"
[[ "$(check service-configs ok <<<"$json")" == True ]] || fail "doctor failed a good config: $json"
echo "doctor with web.conf: $(check service-configs detail <<<"$json")"
# No unit where systemd looks: a failing check that says how to install it.
json="$(SYSTEMD_UNIT_PATH="$tmp/nowhere" "$shuntctl" doctor --json --config-dir "$tmp/etc" || true)"
[[ "$(check service-unit ok <<<"$json")" == False ]] || fail "doctor found a unit that is not there"
# No config dir: the service checks say there is nothing to check, and pass.
json="$("$shuntctl" doctor --json --config-dir "$tmp/none" || true)"
[[ "$(check service ok <<<"$json")" == True ]] || fail "doctor without configs: $json"
echo "PASS"
