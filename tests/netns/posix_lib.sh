# shellcheck shell=bash
# Helpers for the POSIX layer's netns tests (posix_*.sh): programs from Debian under shunt-run
# on a TAP, the Linux kernel on the TAP's other side as their peer. Source lib.sh first.
#
#   posix_init NAME LIMIT SHUNT_RUN   # namespace, a persistent TAP (up, kernel side 10.77.0.1/24)
#   shunt_run_bg NAME CMD...          # CMD under shunt-run in the namespace, in the background;
#                                     # sets RUN_PID, its output in $SHUNT_TMP/NAME.out
#   wait_run_log PATTERN NAME [S]     # waits (bounded) for PATTERN in the layer's log
#   run_log_check                     # fails on a fallback the test did not expect

SHUNT_RUN_BIN=""
SHUNT_RUN_LOG_FILE=""
RUN_PID=""
SHUNT_RUN_ENV=()

# posix_init NAME LIMIT SHUNT_RUN: the TAP exists before the program opens it (the layer
# attaches to it), so the kernel side has its address before the first SYN.
posix_init() {
    local name="$1" limit="$2"
    SHUNT_RUN_BIN="$3"
    [[ -x "$SHUNT_RUN_BIN" ]] || fail "shunt-run '$SHUNT_RUN_BIN' is missing or not executable"
    netns_init "$name" "$limit"
    SHUNT_RUN_LOG_FILE="$SHUNT_TMP/shunt-run.log"
    # The sanitizer tree's layer needs the ASan runtime first in every program it is preloaded
    # into (Debian's programs are not built with it); shunt-run keeps an existing LD_PRELOAD
    # first. Leaks are the programs' own business there, not the layer's: not reported.
    local asan_rt
    asan_rt="$(ldd "$SHUNT_RUN_BIN" 2>/dev/null | awk '/libasan|libclang_rt[.]asan/ {print $3; exit}')"
    if [[ -n "$asan_rt" ]]; then
        SHUNT_RUN_ENV=(env "LD_PRELOAD=$asan_rt" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
        log "sanitizer build: preloading $asan_rt before the layer"
    fi
    in_ns ip tuntap add dev "$SHUNT_TAP" mode tap || fail "could not create TAP $SHUNT_TAP"
    in_ns ip link set "$SHUNT_TAP" up
    in_ns ip addr add "$SHUNT_PEER_IP/$SHUNT_PREFIX" dev "$SHUNT_TAP"
    # The kernel must not answer for shunt's address itself: it is not on the kernel's side.
    log "TAP $SHUNT_TAP up, kernel side $SHUNT_PEER_IP/$SHUNT_PREFIX"
}

# shunt_run_cmd CMD...: CMD under shunt-run in the namespace (foreground).
shunt_run_cmd() {
    in_ns "${SHUNT_RUN_ENV[@]}" "$SHUNT_RUN_BIN" --nic "tap:$SHUNT_TAP" --ip "$SHUNT_IP/$SHUNT_PREFIX" \
        --mac "$SHUNT_MAC" --log "$SHUNT_RUN_LOG_FILE" "$@"
}

shunt_run_bg() {
    local name="$1"
    shift
    (
        trap - INT QUIT
        exec ip netns exec "$SHUNT_NS" "${SHUNT_RUN_ENV[@]}" "$SHUNT_RUN_BIN" --nic "tap:$SHUNT_TAP" \
            --ip "$SHUNT_IP/$SHUNT_PREFIX" --mac "$SHUNT_MAC" --log "$SHUNT_RUN_LOG_FILE" "$@"
    ) </dev/null >"$SHUNT_TMP/$name.out" 2>&1 &
    RUN_PID=$!
    SHUNT_BG_PIDS+=("$RUN_PID")
}

# wait_run_log PATTERN NAME [SECONDS]: the layer logs "listening on TCP port P" and "bound to
# UDP port P" lines; a server is ready once its line is there.
wait_run_log() {
    local pattern="$1" name="$2" limit="${3:-15}" i
    for ((i = 0; i < limit * 10; i++)); do
        grep -q -- "$pattern" "$SHUNT_RUN_LOG_FILE" 2>/dev/null && return 0
        pid_alive "$RUN_PID" || fail "$name exited before '$pattern': $(tail -n 5 "$SHUNT_TMP/$name.out")"
        sleep 0.1
    done
    fail "$name: no '$pattern' in the layer's log within ${limit}s: $(tail -n 5 "$SHUNT_RUN_LOG_FILE" 2>/dev/null)"
}

# run_log_check [ALLOWED-REGEX]: every kernel fallback the layer logged must match the regex
# (default: none expected).
run_log_check() {
    local allowed="${1:-^$}" bad
    bad="$(grep "kernel fallback" "$SHUNT_RUN_LOG_FILE" 2>/dev/null | grep -Ev -- "$allowed" || true)"
    [[ -z "$bad" ]] || fail "unexpected kernel fallbacks: $bad"
}

# random_file PATH MIB: seeded pseudo-random bytes (the seed is the test's PID, printed).
random_file() {
    python3 - "$1" "$2" "$$" <<'PY'
import random, sys
r = random.Random(int(sys.argv[3]))
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(r.randbytes(1 << 20))
PY
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
