#!/usr/bin/env bash
# netns.profile: `shuntctl profile` records a running shuntd serving HTTP downloads to the
# kernel's curl and writes a flame graph that is well-formed SVG naming shunt's own functions
# (Stack::poll, the TAP's rx_batch), with a per-stage breakdown whose packet count matches
# the traffic (docs/profiling.md). These machines have no hardware counters, so the command
# must fall back to cpu-clock and say so.
# Usage: profile.sh SHUNTD SHUNTCTL
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: profile.sh SHUNTD SHUNTCTL}"
shuntctl="${2:?usage: profile.sh SHUNTD SHUNTCTL}"
netns_init profile 180
require_cmds curl perf
perf record -q -e cpu-clock -o "$SHUNT_TMP/probe.data" -- true >/dev/null 2>&1 ||
    skip "perf record does not work here (perf_event_paranoid or no perf_event_open)"

shuntd_start "$shuntd" --http 8080
peer_up
# Traffic for the whole recording: 1 MB downloads, one after another, for ~8 s.
(
    end=$((SECONDS + 8))
    while ((SECONDS < end)); do
        in_ns curl -sS --max-time 5 -o /dev/null "http://$SHUNT_IP:8080/bytes/1000000" || true
    done
) &
load=$!
sleep 1
out="$("$shuntctl" profile --pid "$SHUNTD_PID" --duration 4 --frequency 4999 --out "$SHUNT_TMP/p.svg" \
    --folded "$SHUNT_TMP/p.folded" --stats-file "$SHUNT_STATS" --json)" ||
    fail "shuntctl profile failed: $out"
wait "$load" || true
log "profile: $out"

python3 - "$SHUNT_TMP/p.svg" "$SHUNT_TMP/p.folded" "$out" <<'PY' || fail "the profile's checks failed (above)"
import json, sys, xml.etree.ElementTree as ET
svg, folded, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
root = ET.parse(svg).getroot()  # well-formed XML or it raises
titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
def need(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")
for fn in ("shunt::Stack::poll", "shunt::TapNic::rx_batch"):
    need(any(t.startswith(fn + " (") for t in titles), f"the flame graph has no box for {fn}")
need(out["event"] == "cpu-clock" or out["note"] == "", "a non-cpu-clock event with a fallback note")
if out["event"] == "cpu-clock":
    need("cpu-clock" in out["note"], "the cpu-clock fallback is not said")
need(out["samples"] >= 300, f"only {out['samples']} samples in 4 s at 4999 Hz")
need(out["packets"] > 1000, f"only {out['packets']} packets counted during the download traffic")
stages = {s["stage"]: s for s in out["stages"]}
for s in ("driver RX", "IP", "TCP", "driver TX"):
    need(stages[s]["weight"] > 0, f"no samples charged to {s}")
    need(stages[s]["per_packet"] > 0, f"no per-packet figure for {s}")
lines = open(folded).read().splitlines()
need(sum(int(l.rsplit(" ", 1)[1]) for l in lines) == sum(s["weight"] for s in out["stages"]),
     "the folded stacks' weights do not add up to the stages'")
print(f"{len(titles)} boxes, {out['samples']} samples, {out['packets']} packets")
PY

# Bad arguments: one line, non-zero exit.
rc=0
msg="$("$shuntctl" profile --pid 999999999 --duration 1 2>&1)" || rc=$?
[[ "$rc" != 0 && "$(wc -l <<<"$msg")" == 1 ]] || fail "profile of a missing pid: rc $rc, '$msg'"
log "missing pid: '$msg'"
log "PASS"
