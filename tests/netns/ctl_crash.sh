#!/usr/bin/env bash
# netns.ctl_crash: shuntctl killed with SIGKILL between any two steps of kernel-stack off (or
# of on) leaves an undo log from which `kernel-stack on` restores the exact state before
# (same byte-for-byte comparison as ctl_kernel_stack, nothing normalized). The kill comes from
# the hidden test hook SHUNT_CTL_CRASH_AFTER=STEP: shuntctl SIGKILLs itself right after STEP.
# Also: an interrupted off finished by a second off, and a leftover temp file of an
# interrupted log write, are handled.
# Usage: ctl_crash.sh SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ctl_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ctl_lib.sh"

SHUNTCTL="${1:?usage: ctl_crash.sh SHUNTCTL}"
ctl_init crash 280
ctl_topology
before="$SHUNT_TMP/before"
now="$SHUNT_TMP/now"
ctl_snapshot "$before"
# The undo log of this ctl0: kernel-stack/ctl0.nNETNS.iIFINDEX.undo (one interface instance).
log_glob="$SHUNT_STATE_DIR/kernel-stack/ctl0.n*.undo"

# crash CMD STEP: runs shuntctl CMD with the hook, expects death by SIGKILL (exit 137).
crash() {
    local step="$1"
    shift
    SHUNT_CTL_CRASH_AFTER="$step" ctl "$@"
    ((CTL_RC == 137)) || fail "SHUNT_CTL_CRASH_AFTER=$step shuntctl $*: expected SIGKILL (137), got $CTL_RC: $(cat "$CTL_ERR")"
    log "ok: shuntctl $* killed after step '$step'"
}

restore_and_compare() {
    expect_rc 0 kernel-stack on ctl0
    ! compgen -G "$log_glob" >/dev/null || fail "kernel-stack on left the undo log behind"
    ctl_settle
    ctl_snapshot "$now"
    ctl_same "$before" "$now" "$1"
}

for step in saved addresses-flushed routes-flushed ipv6-off link-down; do
    crash "$step" kernel-stack off ctl0 --force
    compgen -G "$log_glob" >/dev/null || fail "no undo log after a crash at '$step'"
    expect_rc 0 kernel-stack status
    grep -q "ctl0: interrupted" "$CTL_OUT" || fail "status after a crash at '$step': $(cat "$CTL_OUT")"
    restore_and_compare "kill -9 after '$step' of kernel-stack off, then kernel-stack on"
done

# An interrupted off is finished by running off again (with the state saved the first time).
crash addresses-flushed kernel-stack off ctl0 --force
expect_rc 0 kernel-stack off ctl0 --force
grep -q "finished an interrupted run" "$CTL_OUT" || fail "resumed off: $(cat "$CTL_OUT")"
restore_and_compare "kill -9 mid-off, off again, then on"

# A crash in the middle of on: on again finishes the job.
for step in link-restored addresses-restored routes-restored; do
    expect_rc 0 kernel-stack off ctl0 --force
    crash "$step" kernel-stack on ctl0
    restore_and_compare "kill -9 after '$step' of kernel-stack on, then on again"
done

# A temp file left by a write that never reached its rename is not a log, and is ignored.
expect_rc 0 kernel-stack off ctl0 --force
echo "shunt-undo 1" >"$(compgen -G "$log_glob").tmp.0123456789abcdef"
restore_and_compare "a leftover temp file next to the undo log"

echo "PASS: netns.ctl_crash"
