# shellcheck shell=sh
# Helpers for vm-tier guest scripts (busybox sh). run-guest.sh puts this file at /shunt/lib.sh;
# a script sources it with: . /shunt/lib.sh

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# --allow-noiommu when the guest runs in no-IOMMU mode (our tools refuse it otherwise).
noiommu_flag() {
    if [ "$SHUNT_MODE" = noiommu ]; then echo --allow-noiommu; fi
}

# expect_error_line WANT CMD [ARGS...]: CMD must exit 1 and write exactly one line to stderr,
# containing WANT (the control plane's contract: one clear sentence per failure).
expect_error_line() {
    want="$1"
    shift
    if "$@" >/tmp/expect.out 2>/tmp/expect.err; then rc=0; else rc=$?; fi
    cat /tmp/expect.out
    err="$(cat /tmp/expect.err)"
    lines="$(wc -l </tmp/expect.err)"
    [ "$rc" = 1 ] || fail "'$*' exited $rc, expected 1; its stderr: $err"
    [ "$lines" = 1 ] || fail "'$*' wrote $lines lines to stderr, expected exactly one: $err"
    case "$err" in
    *"$want"*) ;;
    *) fail "'$*' failed with '$err', expected a message containing '$want'" ;;
    esac
    echo "ok: one error line naming the problem: $err"
}
