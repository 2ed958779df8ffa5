#!/usr/bin/env bash
# One command for a newcomer: installs what is missing, builds, and starts the daemon
# with config/camrelay.example.json (camera "demo", the built-in test pattern).
# Extra arguments are passed to camrelay, e.g. scripts/run.sh --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
CONFIG=${CAMRELAY_CONFIG:-config/camrelay.example.json}
PORT=${API_SERVER_PORT:-8080}
cat <<MSG

camrelay is starting (config: $CONFIG)
  Dashboard:   http://localhost:$PORT/
  Viewer:      http://localhost:$PORT/viewer?camera=demo
  Health:      curl http://localhost:$PORT/health
  Stream info: curl http://localhost:$PORT/streams/demo
Press Ctrl-C to stop.

MSG
exec ./build/src/camrelay --config "$CONFIG" "$@"
