#!/usr/bin/env bash
# Runs inside a fresh network namespace (scripts/bench.sh starts it with `unshare -n`):
# brings up lo, adds a device carrying only 127.0.0.2 (Janus skips loopback interfaces when
# gathering ICE; its ice_enforce_list is 127.0.0.2), then runs each named benchmark
# (`node tests/bench/NAME.mjs`) and finally tests/bench/report.mjs. Every process left in
# this namespace at the end (or on SIGINT/SIGTERM) is killed by PID.
# Usage (from the repository root): unshare -n tests/bench/lib/netns.sh NAME...
set -uo pipefail

if [ "$(readlink /proc/$$/ns/net)" = "$(readlink /proc/$PPID/ns/net)" ]; then
  echo "netns.sh: refusing to run in the host's network namespace (use scripts/bench.sh)" >&2
  exit 2
fi

ip link set lo up
if ip link add ifb0 type ifb 2>/dev/null || ip link add ifb0 type dummy 2>/dev/null; then
  ip addr add 127.0.0.2/32 dev ifb0
  ip link set ifb0 up
else
  echo "netns.sh: WARNING: cannot create an ifb (or dummy) device: Janus will gather no ICE candidate" >&2
fi

MYNS=$(readlink /proc/$$/ns/net)
current=""

# Kills (by PID) every process of this network namespace except this shell.
kill_namespace() {
  local sig=$1 pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ "$pid" = "$$" ] && continue
    [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$MYNS" ] || continue
    kill "-$sig" "$pid" 2>/dev/null
  done
}

cleanup() {
  [ -n "$current" ] && kill -TERM "$current" 2>/dev/null
  sleep 1
  kill_namespace KILL
}
trap 'echo "netns.sh: interrupted" >&2; cleanup; exit 130' INT TERM

status=0
for name in "$@"; do
  file="tests/bench/$name.mjs"
  if [ ! -f "$file" ]; then
    echo "bench: $file not found, skipped" >&2
    continue
  fi
  echo "===== bench: $name ($(date +%T)) =====" >&2
  t0=$(date +%s)
  node "$file" &
  current=$!
  wait "$current"
  rc=$?
  current=""
  echo "===== bench: $name: exit $rc after $(( $(date +%s) - t0 )) s =====" >&2
  [ $rc -ne 0 ] && status=$rc
  kill_namespace KILL  # nothing a benchmark started outlives it
done
node tests/bench/report.mjs || status=$?
exit $status
