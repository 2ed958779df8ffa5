#!/usr/bin/env bash
# Installs what is missing, builds, runs the tests through ctest.
#
#   scripts/test.sh [ctest args]         build/ with warnings as errors; every test (GoogleTest
#                                        unit tests and the node integration tests)
#   scripts/test.sh --asan [ctest args]  build-asan/ with ASan + UBSan (LSan included); the unit
#                                        and integration tests; then fails if a sanitizer report
#                                        names camrelay code (reports: build-asan/sanitizer-logs/)
#   scripts/test.sh --tsan [ctest args]  build-tsan/ with TSan; the unit tests only
#
# Extra arguments go to ctest (`scripts/test.sh --asan -R integration.foundation`).
# Suppressions (third-party one-time allocations and internals only): tests/sanitizers/.
# BUILD_DIR overrides the build directory. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MODE=default
case "${1:-}" in
  --asan) MODE=asan; shift ;;
  --tsan) MODE=tsan; shift ;;
esac

scripts/deps.sh

if [ "$MODE" = default ]; then
  BUILD_DIR=${BUILD_DIR:-build} scripts/build.sh -DCAMRELAY_WERROR=ON -DCAMRELAY_BUILD_TESTS=ON
  cd "${BUILD_DIR:-build}"
  exec ctest --output-on-failure --timeout 900 "$@"
fi

SUPP=$ROOT/tests/sanitizers
abs() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
if [ "$MODE" = asan ]; then
  BUILD_DIR=${BUILD_DIR:-build-asan}
  LOGS=$(abs "$BUILD_DIR")/sanitizer-logs
  # Reports go to files (one per process: <tool>.<pid>) so that those of daemons started by the
  # integration tests are collected too. The exit code of a process with a finding is non-zero,
  # which fails its test as well. The integration tests stop their daemons with SIGTERM (not
  # SIGKILL) so that LeakSanitizer runs at each daemon's exit (tests/integration/lib/daemon.mjs),
  # and scale their timeouts by CAMRELAY_TEST_SLOW (the instrumented daemon is slower).
  # fast_unwind_on_malloc=0: GLib and GStreamer are built without frame pointers, so the fast
  # unwinder stops at g_malloc; whole allocation stacks are needed to see who leaked (and for
  # the suppressions to match).
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:fast_unwind_on_malloc=0:log_path=$LOGS/asan"
  export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SUPP/ubsan.supp:log_path=$LOGS/ubsan"
  # GLib's slice allocator would hide leaks of GStreamer mini objects inside its magazines.
  export G_SLICE=always-malloc G_DEBUG=gc-friendly
  export CAMRELAY_TEST_SANITIZE=address
  export CAMRELAY_TEST_SLOW=${CAMRELAY_TEST_SLOW:-3}
  SANITIZE=address
  TESTS=()                      # unit and integration tests
else
  BUILD_DIR=${BUILD_DIR:-build-tsan}
  LOGS=$(abs "$BUILD_DIR")/sanitizer-logs
  # ignore_noninstrumented_modules: GLib/GStreamer are not built with TSan and synchronise
  # through futex-based GMutex/GCond that TSan cannot see; their interceptor calls (a buffer
  # g_malloc'ed on a streaming thread and read after an appsink hand-over) are not reported.
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$SUPP/tsan.supp:log_path=$LOGS/tsan"
  SANITIZE=thread
  TESTS=(-E '^integration\.')   # TSan: the unit tests only
fi

rm -rf "$LOGS"
mkdir -p "$LOGS"
# (gtest_discover_tests runs the unit-test binaries at build time: the options above apply.)
# No -Werror here: GCC's sanitizer instrumentation brings its own false-positive warnings; the
# default build is the one that enforces a warning-free tree.
BUILD_DIR=$BUILD_DIR scripts/build.sh -DCAMRELAY_SANITIZE=$SANITIZE -DCAMRELAY_BUILD_TESTS=ON

status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 1800 "${TESTS[@]}" "$@" || status=$?

# Every report (ASan, LSan, UBSan, TSan) that has a frame in camrelay's own sources is a
# finding; a report without one (a third-party leak not in the suppression file) is listed
# but does not fail the run.
ours=()
theirs=()
for f in "$LOGS"/*; do
  [ -e "$f" ] || continue
  if grep -qE "($ROOT/(src|include|tests)/| in camrelay::)" "$f"; then ours+=("$f"); else theirs+=("$f"); fi
done
if [ ${#theirs[@]} -gt 0 ]; then
  echo "test.sh: ${#theirs[@]} sanitizer report(s) without a camrelay frame (third party):"
  printf '  %s\n' "${theirs[@]}"
fi
if [ ${#ours[@]} -gt 0 ]; then
  echo "test.sh: ${#ours[@]} sanitizer report(s) naming camrelay code:"
  for f in "${ours[@]}"; do
    echo "==== $f"
    head -n 60 "$f"
  done
  status=1
fi
[ "$status" -eq 0 ] && echo "test.sh: $MODE run clean (reports, if any: $LOGS)"
exit "$status"
