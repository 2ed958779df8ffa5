#!/usr/bin/env bash
# The soak (docs/reliability.md): four cameras, random viewers, random source/broker faults,
# one daemon SIGTERM + restart; samples RSS/FDs/threads/viewers every ~2 s, checks for leaks
# and recoveries, draws PNG graphs with gnuplot.
#
#   scripts/soak.sh [--minutes N] [--out DIR] [--seed S] [--publish]
#
#   --minutes N  run length (default 15; the lead's long run: 60)
#   --out DIR    output directory (default build/soak-<timestamp>)
#   --seed S     replay a run's random choices (the seed is printed in summary.json)
#   --publish    copy the PNG graphs to docs/img/ (for docs/reliability.md)
#
# Runs itself inside a fresh network namespace (unshare -n, only lo up): WebRTC/ICE never
# leaves the machine. Binaries: CAMRELAY_BIN, CAMRELAY_FAKECAM_BIN, CAMRELAY_RTSP_TEST_SERVER
# (default: ./build/...). Exit status: 0 all checks passed, 1 a check failed, 2 aborted.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
minutes=15 out="" seed="" publish=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --minutes=*) minutes=${1#*=}; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --seed) seed=$2; shift 2 ;;
    --seed=*) seed=${1#*=}; shift ;;
    --publish) publish=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$ROOT/build/soak-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
out=$(cd "$out" && pwd)

export CAMRELAY_SOURCE_DIR=${CAMRELAY_SOURCE_DIR:-$ROOT}
export CAMRELAY_BIN=${CAMRELAY_BIN:-$ROOT/build/src/camrelay}
export CAMRELAY_FAKECAM_BIN=${CAMRELAY_FAKECAM_BIN:-$ROOT/build/src/camrelay-fakecam}
export CAMRELAY_RTSP_TEST_SERVER=${CAMRELAY_RTSP_TEST_SERVER:-$ROOT/build/tests/rtsp_test_server}
for b in "$CAMRELAY_BIN" "$CAMRELAY_FAKECAM_BIN" "$CAMRELAY_RTSP_TEST_SERVER"; do
  [ -x "$b" ] || { echo "soak.sh: $b not found (build first, or set the CAMRELAY_* variables)" >&2; exit 2; }
done

args=(--minutes "$minutes" --out "$out")
[ -n "$seed" ] && args+=(--seed "$seed")
rc=0
unshare -n sh -c 'ip link set lo up && exec node "$0" "$@"' "$ROOT/tests/soak/soak.mjs" "${args[@]}" \
  > "$out/summary.stdout.json" || rc=$?
cat "$out/summary.stdout.json"

if command -v gnuplot >/dev/null && [ -f "$out/plot.gp" ]; then
  (cd "$out" && gnuplot plot.gp) && echo "graphs: $out/soak-*.png" >&2
else
  echo "soak.sh: gnuplot (Debian gnuplot-nox) missing or no data: no graphs" >&2
fi
if [ "$publish" = 1 ]; then
  mkdir -p "$ROOT/docs/img"
  if ls "$out"/soak-*.png >/dev/null 2>&1; then
    cp "$out"/soak-*.png "$ROOT/docs/img/"
    echo "copied the graphs to docs/img/" >&2
  else
    echo "soak.sh: no graphs to publish" >&2
    [ "$rc" = 0 ] && rc=1
  fi
fi
exit $rc
