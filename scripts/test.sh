#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, runs every test
# (GoogleTest unit tests and the node integration tests, all through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build} scripts/build.sh -DCAMRELAY_WERROR=ON -DCAMRELAY_BUILD_TESTS=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 "$@"
