#!/usr/bin/env bash
# Benchmarks (not part of scripts/test.sh): camrelay side by side with Janus.
#
#   scripts/bench.sh [--quick] [--docs] [NAME...]
#
# NAME: fanout, g2g, figures, vp8, cameras, swarm (default: all that exist in tests/bench/). --quick: fan-out with
# N = 1,10 and shorter windows (BENCH_QUICK=1 for every benchmark). --docs: the table, the
# command and the date also replace the "latest run" block of docs/performance.md. Results: bench-results/
# (or $BENCH_OUT): one JSON per benchmark, results.json (all merged) and summary.md (the
# table, also printed). Benchmark options go through the environment, e.g.
#   BENCH_N=1,10,25 BENCH_WINDOW_S=10 scripts/bench.sh fanout
# (see the header of each tests/bench/*.mjs). BENCH_NO_BUILD=1 skips the build. fanout and
# swarm replay two recorded GOPs of the synthetic camera (no encoder running beside the
# servers); BENCH_CAMERA=live runs the live encoder instead.
#
# Installs what the benchmarks need and the tests do not (janus, wrk, linux-perf) when
# missing, builds with tests (BUILD_DIR, default build), then runs everything inside a fresh
# network namespace (unshare -n; lo + an ifb device with 127.0.0.2 for Janus' ICE): nothing
# can reach another address. Everything started is killed by PID at the end, also on
# failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
NAMES=()
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --docs) export BENCH_DOCS="$PWD/docs/performance.md" ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench.sh: unknown option $a" >&2; exit 2 ;;
    *) NAMES+=("$a") ;;
  esac
done
if [ ${#NAMES[@]} -eq 0 ]; then NAMES=(fanout g2g figures vp8 cameras swarm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

scripts/deps.sh
BENCH_PKGS=(janus wrk linux-perf)
missing=()
for p in "${BENCH_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian enables janus.service on install; the benchmarks start their own Janus.

BUILD_DIR=${BUILD_DIR:-build}
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  BUILD_DIR=$BUILD_DIR scripts/build.sh -DCAMRELAY_BUILD_TESTS=ON
fi
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export CAMRELAY_SOURCE_DIR=$PWD
export CAMRELAY_BUILD_DIR=$BUILD_DIR
export CAMRELAY_BIN=$BUILD_DIR/src/camrelay
export BENCH_OUT=${BENCH_OUT:-$PWD/bench-results}
if [ $QUICK -eq 1 ]; then export BENCH_QUICK=1; fi
# The command as given, with the benchmark options set in the environment (for the docs block).
BENCH_COMMAND="$(env | grep -E '^(BENCH_(N|SERVERS|WINDOW_S|SETTLE_S|PER_PAGE|DECODE_ALL|SWARM_N|QUICK|CAMERA|TRICKLE)|CAM_K|CAM_WINDOW_S)=' | sort | tr '\n' ' ')scripts/bench.sh $*"
export BENCH_COMMAND
mkdir -p "$BENCH_OUT"
for f in "$CAMRELAY_BIN" "$BUILD_DIR/tests/rtsp_test_server"; do
  [ -x "$f" ] || { echo "bench.sh: $f missing (build with -DCAMRELAY_BUILD_TESTS=ON)" >&2; exit 1; }
done

echo "bench: ${NAMES[*]} (build $BUILD_DIR, results $BENCH_OUT$([ $QUICK -eq 1 ] && echo ', quick'))"
t0=$(date +%s)
rc=0
if [ -n "$SUDO" ]; then
  $SUDO --preserve-env=CAM_K,CAM_WINDOW_S,CAMRELAY_SOURCE_DIR,CAMRELAY_BUILD_DIR,CAMRELAY_BIN,BENCH_OUT,BENCH_QUICK,BENCH_DOCS,BENCH_COMMAND,BENCH_N,BENCH_SERVERS,BENCH_WINDOW_S,BENCH_SETTLE_S,BENCH_PER_PAGE,BENCH_DECODE_ALL,BENCH_PERF,BENCH_SWARM_N,BENCH_SWARM_CONFIRM,BENCH_SWARM_PIPELINE,BENCH_LOG_LEVEL,BENCH_TRICKLE,BENCH_CAMERA,CAMRELAY_SWARM,PATH \
    unshare -n tests/bench/lib/netns.sh "${NAMES[@]}" || rc=$?
else
  # unshare's child is the namespace's shell: Ctrl-C reaches it (the foreground process
  # group) and its trap kills what is left, by PID.
  unshare -n tests/bench/lib/netns.sh "${NAMES[@]}" || rc=$?
fi
echo "bench: done in $(( $(date +%s) - t0 )) s (exit $rc); results in $BENCH_OUT"
exit $rc
