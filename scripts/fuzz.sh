#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each one.
#
#   scripts/fuzz.sh                       every target for 5 minutes
#   scripts/fuzz.sh --minutes 30 router   one target (name without fuzz_) for 30 minutes
#   scripts/fuzz.sh --seconds 20          the smoke run of scripts/test.sh (ctest fuzz.smoke)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>) and the inputs that
# once crashed it (tests/fuzz/regressions/<target>, replayed first); what it learns stays in
# $BUILD_DIR/corpus/<target> for the next run. A crash, a leak, a sanitizer report or an
# input slower than 10 s fails the run: the input is saved in $BUILD_DIR/findings/<target>/
# (turn it into a regression test, and copy it to tests/fuzz/regressions/<target>/).
# BUILD_DIR: default build-fuzz. See docs/testing.md "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=300
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) SECONDS_EACH=$(( $2 * 60 )); shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build-fuzz}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
ALL=(offer camera_answer signaling router viewer_token requests onvif)
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing (scripts/deps.sh installs clang and libclang-rt-dev)" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S tests/fuzz -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null

# ASan/UBSan stop at the first report; LeakSanitizer runs too (libFuzzer's -detect_leaks).
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in "${TARGETS[@]}"; do
  bin=$BUILD_DIR/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t (targets: ${ALL[*]})" >&2; exit 2; }
  corpus=$BUILD_DIR/corpus/$t
  findings=$BUILD_DIR/findings/$t
  mkdir -p "$corpus" "$findings"
  cp -n "$ROOT/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  regress=()
  if [ -d "$ROOT/tests/fuzz/regressions/$t" ]; then
    mapfile -t regress < <(find "$ROOT/tests/fuzz/regressions/$t" -type f)
  fi
  log=$BUILD_DIR/fuzz_$t.log
  if [ ${#regress[@]} -gt 0 ] && ! "$bin" "${regress[@]}" >"$log" 2>&1; then
    echo "FAIL $t: a past finding crashes again (log: $log)"
    tail -20 "$log"
    status=1
    continue
  fi
  if "$bin" "$corpus" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "ok   $t: ${SECONDS_EACH} s, $runs inputs, corpus $(ls "$corpus" | wc -l) files"
  else
    echo "FAIL $t: a finding (inputs in $findings, log: $log)"
    grep -E 'finding:|unexpected exception|ERROR:|runtime error|SUMMARY' "$log" | head -10
    status=1
  fi
done
exit $status
