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
  Log in:      user admin, with the password the daemon prints below on its first start
               ("created the first account"); lost it:
               ./build/src/camrelay --config $CONFIG user passwd admin
  Dashboard:   http://localhost:$PORT/
  Viewer:      http://localhost:$PORT/viewer?camera=demo
  Health:      curl http://localhost:$PORT/health
  Stream info: curl -H "Authorization: Bearer <token>" http://localhost:$PORT/streams/demo
               (tokens: docs/security.md)
Press Ctrl-C to stop.

MSG
exec ./build/src/camrelay --config "$CONFIG" "$@"
