#!/usr/bin/env bash
# Installs every Debian and npm package camrelay needs to build, run and test.
# Idempotent: installs only what is missing; runs `apt-get update` only then.
# Usage: scripts/deps.sh [--runtime-only | --package]
#   --package: build + runtime packages and npm (for hls.js), not the test tools (scripts/package.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS=(
  build-essential cmake pkg-config
  dpkg-dev file  # scripts/package.sh: cpack's DEB generator runs dpkg-shlibdeps and file
  libboost1.81-dev libboost-system1.81-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libgstrtspserver-1.0-dev  # the daemon's RTSP re-serve (src/rtsp) and the tests' RTSP camera
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
  libspdlog-dev nlohmann-json3-dev libsqlite3-dev libsystemd-dev
  libsodium-dev libjwt-dev  # accounts: Argon2id, random secrets; signed viewer tokens
  prometheus-cpp-dev  # GET /metrics: instruments and the text exposition format
  libxml2-dev  # ONVIF (src/onvif): reading SOAP from cameras and NVRs
  libsrtp2-dev libnice-dev  # WebRTC video sent beside webrtcbin: SRTP and the ICE agent's send
  libgtest-dev libgmock-dev
)
RUNTIME_PKGS=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice
  gstreamer1.0-x sqlite3 curl libprometheus-cpp-core1.0 libgstrtspserver-1.0-0 libxml2
  libsrtp2-1 libnice10
)
TEST_PKGS=(
  mosquitto mosquitto-clients ffmpeg chromium firefox-esr openssl iproute2 procps nftables util-linux
  libnss3-tools  # certutil: Chromium trusting the test CA of the HTTPS test
  clang libclang-rt-14-dev  # libFuzzer targets (scripts/fuzz.sh)
  gnuplot-nox
  vlc-bin vlc-plugin-base  # cvlc reads the RTSP re-serve (rtsp_reserve.test.mjs)
  nginx-light libnginx-mod-http-js jq wrk  # the sharded front (scripts/gen-nginx.sh, scale.netns.test.mjs)
  nodejs npm python3
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-bad-1.0  # GStreamer's webrtcbin as a WHEP client (tests/integration/lib/gst_whep_client.py)
)

want=("${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}" "${TEST_PKGS[@]}")
case "${1:-}" in
  --runtime-only) want=("${RUNTIME_PKGS[@]}") ;;
  --package) want=("${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}" nodejs npm) ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # a tool may already be present outside dpkg (e.g. node from another source)
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
      python3) command -v python3 >/dev/null && continue ;;
      nginx-light) command -v nginx >/dev/null && continue ;;  # any Debian nginx flavour
    esac
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "deps: all Debian packages present"
fi

# promtool (tests: `promtool check metrics` lints GET /metrics). Debian ships it only inside
# the `prometheus` server package, whose installation would also start a Prometheus server:
# the package is downloaded and only its promtool binary (static) is copied out.
if [ -z "${1:-}" ] && ! command -v promtool >/dev/null; then
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
    $SUDO apt-get update -qq  # no package lists yet (every other package was present)
    (cd "$tmp" && apt-get download prometheus >/dev/null)
  fi
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  $SUDO install -m 0755 "$tmp/x/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
  echo "deps: installed promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}') to /usr/local/bin"
fi

# npm packages for the web client (hls.js, served by the daemon) and browser tests
# (playwright-core drives Debian's chromium, puppeteer-core Debian's firefox-esr; whip-whep is
# a third-party WHEP client the tests serve to the page). Neither ever downloads a browser:
# both skip-download variables are set, and the tests pass Debian's executables.
if [ "${1:-}" != "--runtime-only" ]; then
  if [ ! -f node_modules/.camrelay-stamp ] || [ package.json -nt node_modules/.camrelay-stamp ]; then
    echo "deps: npm install"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
    touch node_modules/.camrelay-stamp
  fi
fi
# The daemon serves hls.js from web/vendor/ (GET /vendor/hls.min.js): never from a CDN.
if [ -f node_modules/hls.js/dist/hls.min.js ] &&
   { [ ! -f web/vendor/hls.min.js ] || [ node_modules/hls.js/dist/hls.min.js -nt web/vendor/hls.min.js ]; }; then
  mkdir -p web/vendor
  cp node_modules/hls.js/dist/hls.min.js web/vendor/hls.min.js
  echo "deps: copied hls.js $(node -p "require('./node_modules/hls.js/package.json').version" 2>/dev/null) to web/vendor/"
fi
