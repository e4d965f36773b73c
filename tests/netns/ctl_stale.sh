#!/usr/bin/env bash
# netns.ctl_stale: an undo log whose network namespace or interface is gone. A ctl0 taken
# off in a third namespace that is then deleted leaves a log behind: `kernel-stack status`
# and `doctor` report it stale (and why); it does not make the test namespace's own ctl0
# look "already off" (`status` says kernel_stack_off false, `off` really takes it off and
# `on` restores it exactly); `on ctl0` never restores from it; `kernel-stack discard ctl0`
# removes it. Then the same for an interface deleted while off in this namespace, and a new
# interface made under its name, with `discard --stale`.
# Usage: ctl_stale.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_stale.sh SHUNTCTL}"
ctl_init stale 200
gone_ns="shunt-ctlg-stale-$$"
stale_cleanup() {
    local rc=$?
    ip netns del "$gone_ns" 2>/dev/null || true
    (exit "$rc") || ctl_cleanup # ctl_cleanup takes the exit code from $?, and exits with it
    ctl_cleanup
}
trap stale_cleanup EXIT

# A ctl0 in a namespace of its own, taken off there, then the namespace deleted.
ip netns add "$gone_ns"
ip -n "$gone_ns" link add ctl0 type veth peer name ctl0p
ip -n "$gone_ns" link set ctl0 up
ip -n "$gone_ns" addr add 192.0.2.50/24 dev ctl0
ip netns exec "$gone_ns" timeout 60 "$SHUNTCTL" kernel-stack off ctl0 --force >/dev/null ||
    fail "kernel-stack off in $gone_ns failed"
ip netns del "$gone_ns"
stale_log="$(compgen -G "$SHUNT_STATE_DIR/kernel-stack/ctl0.n*.undo")" || fail "no undo log left by the deleted namespace"
log "the deleted namespace left $stale_log"

# This namespace's own ctl0, same name.
ctl_topology
before="$SHUNT_TMP/before"
now="$SHUNT_TMP/now"
ctl_snapshot "$before"

expect_rc 0 kernel-stack status --json
python3 - "$CTL_OUT" <<'PY' || fail "kernel-stack status --json: $(cat "$CTL_OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
(e,) = d["interfaces"]
assert e["interface"] == "ctl0" and e["state"] == "stale", e
assert "network namespace" in e["stale_reason"] and "no longer exists" in e["stale_reason"], e
PY
expect_rc 0 kernel-stack status
grep -q "^ctl0: STALE undo log .*no longer exists.*shuntctl kernel-stack discard ctl0" "$CTL_OUT" ||
    fail "kernel-stack status: $(cat "$CTL_OUT")"
ctl doctor --json
python3 - "$CTL_OUT" <<'PY' || fail "doctor --json: $(cat "$CTL_OUT")"
import json, sys
(c,) = [c for c in json.load(open(sys.argv[1]))["checks"] if c["check"] == "undo-logs"]
assert not c["ok"] and "stale" in c["detail"] and c["fix"] == "shuntctl kernel-stack discard --stale", c
PY
log "ok: status and doctor report the stale log"
expect_rc 0 status --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
(i,) = [i for i in d["interfaces"] if i["name"] == "ctl0"]
assert i["kernel_stack_off"] is False, i
(s,) = d["stale_undo_logs"]
assert s["interface"] == "ctl0" and "no longer exists" in s["reason"], s' "$CTL_OUT" || fail "status --json: $(cat "$CTL_OUT")"
expect_rc 0 status
grep -q "^Stale undo logs" "$CTL_OUT" || fail "status does not list the stale log: $(cat "$CTL_OUT")"

# on: nothing to restore for this ctl0 (a warning names the stale log); nothing changed.
expect_rc 0 kernel-stack on ctl0
grep -q "nothing to restore" "$CTL_OUT" || fail "on: $(cat "$CTL_OUT")"
grep -q "warning: stale undo log .*kernel-stack discard ctl0" "$CTL_ERR" || fail "on: no stale warning: $(cat "$CTL_ERR")"
ctl_snapshot "$now"
ctl_same "$before" "$now" "kernel-stack on with only a stale log"

# off is not "already off": it takes this ctl0 off, and on brings it back exactly.
expect_rc 0 kernel-stack off ctl0 --force
grep -q "already off" "$CTL_OUT" && fail "the stale log made ctl0 look already off"
[[ -z "$(in_ns ip -o addr show dev ctl0)" ]] || fail "ctl0 still has addresses after off"
expect_rc 0 kernel-stack on ctl0
ctl_settle
ctl_snapshot "$now"
ctl_same "$before" "$now" "off + on next to a stale log of another ctl0"
[[ -e "$stale_log" ]] || fail "on removed the stale log instead of its own"

# discard: the stale one goes; a live one is refused (exit 3) without --force.
expect_rc 0 kernel-stack off ctl0 --force
expect_rc 3 kernel-stack discard ctl0
expect_err_line "shuntctl: not discarding *ctl0 is off and this log is how it comes back*--force discards it anyway)"
[[ ! -e "$stale_log" ]] || fail "discard kept the stale log"
expect_rc 0 kernel-stack on ctl0
ctl_settle
ctl_snapshot "$now"
ctl_same "$before" "$now" "discard of the stale log, then on"
expect_rc 0 kernel-stack status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["interfaces"]==[], d' "$CTL_OUT" ||
    fail "logs left: $(cat "$CTL_OUT")"

# In this namespace: ctld0 off, deleted, made again under the same name.
expect_rc 0 kernel-stack off ctld0
in_ns ip link del ctld0
ctl_add_dummy ctld0
in_ns ip link set ctld0 up
expect_rc 0 kernel-stack status --json
python3 - "$CTL_OUT" <<'PY' || fail "kernel-stack status --json: $(cat "$CTL_OUT")"
import json, sys
(e,) = json.load(open(sys.argv[1]))["interfaces"]
assert e["state"] == "stale" and "interface ctld0 (ifindex" in e["stale_reason"], e
PY
expect_rc 0 kernel-stack off ctld0
grep -q "already off" "$CTL_OUT" && fail "the new ctld0 looked already off"
expect_rc 0 kernel-stack on ctld0
expect_rc 0 kernel-stack discard --stale
grep -q "^discarded .*ctld0" "$CTL_OUT" || fail "discard --stale: $(cat "$CTL_OUT")"
expect_rc 0 kernel-stack status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["interfaces"]==[], d' "$CTL_OUT" ||
    fail "logs left: $(cat "$CTL_OUT")"

echo "PASS: netns.ctl_stale"
