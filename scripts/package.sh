#!/usr/bin/env bash
# Builds the Debian package: camrelay_<version>_<arch>.deb (docs/deploy.md).
#   installs missing build/runtime packages (scripts/deps.sh, incl. dpkg-dev for dpkg-shlibdeps),
#   configures a Release build with prefix /usr in ./build-pkg (or $BUILD_DIR), tests off,
#   builds, runs cpack, and prints the path of the .deb.
# Extra arguments go to cmake, e.g. -DCAMRELAY_PACKAGE_HOMEPAGE=https://...
# Install the result with: sudo apt install ./build-pkg/camrelay_*_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-pkg}
JOBS=${JOBS:-$(nproc)}

scripts/deps.sh --package
# The package serves hls.js from share/camrelay/web/vendor/; deps.sh copies it from npm.
if [ ! -f web/vendor/hls.min.js ]; then
  echo "package: web/vendor/hls.min.js is missing (scripts/deps.sh copies it from node_modules/hls.js)" >&2
  exit 1
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DCAMRELAY_BUILD_TESTS=OFF "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS"

# The version and architecture come from CPackConfig.cmake and dpkg, so take the file name
# from what cpack wrote instead of guessing it.
rm -f "$BUILD_DIR"/camrelay_*.deb
(cd "$BUILD_DIR" && cpack -G DEB --config CPackConfig.cmake)
deb=$(ls "$BUILD_DIR"/camrelay_*.deb)
dpkg-deb --field "$deb" Package Version Architecture Depends
echo "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
