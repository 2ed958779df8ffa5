# System integration files and the Debian package (included at the end of the top-level
# CMakeLists.txt). docs/deploy.md describes the result; scripts/package.sh builds the .deb.
#
# Install rules (besides bin/camrelay, bin/camrelay-fakecam and share/camrelay/web from
# src/CMakeLists.txt): the example configuration as camrelay.json, the systemd unit with the
# real binary path, sysusers.d and tmpfiles.d entries. Their paths depend on the prefix the
# files are installed under, which cpack and `cmake --install --prefix` choose at install
# time, so cmake/InstallSystemFiles.cmake works them out then.
include(GNUInstallDirs)

# Where the distribution keeps units for a /usr prefix (Debian 12: /lib/systemd/system,
# later releases: /usr/lib/systemd/system).
pkg_get_variable(_camrelay_usr_unitdir systemd systemdsystemunitdir)
if(NOT _camrelay_usr_unitdir)
  set(_camrelay_usr_unitdir /lib/systemd/system)
endif()
set(CAMRELAY_SYSTEMD_UNITDIR "${_camrelay_usr_unitdir}" CACHE PATH
    "systemd system unit directory used when installing with prefix /usr (and in the .deb)")

install(CODE "
  set(CAMRELAY_PACKAGING_DIR \"${PROJECT_SOURCE_DIR}/packaging\")
  set(CAMRELAY_EXAMPLE_CONFIG \"${PROJECT_SOURCE_DIR}/config/camrelay.example.json\")
  set(CAMRELAY_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(CAMRELAY_USR_UNITDIR \"${CAMRELAY_SYSTEMD_UNITDIR}\")
  set(CAMRELAY_GEN_DIR \"${PROJECT_BINARY_DIR}/packaging\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/InstallSystemFiles.cmake\")
")

# ---- Debian package: cpack -G DEB (scripts/package.sh) -> camrelay_<version>_<arch>.deb ----
# No debian/ directory and no hand-written control file: CPack writes the control file from
# the variables below, dpkg-shlibdeps (dpkg-dev) computes the shared-library Depends.
set(CAMRELAY_PACKAGE_MAINTAINER
    "Seed ae781e26 maintainers <maintainers@users.noreply.b-seed-ae781e26.example>"
    CACHE STRING "Maintainer: field of the Debian package")
set(CAMRELAY_PACKAGE_HOMEPAGE "" CACHE STRING
    "Homepage: field of the Debian package (left out when empty)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME camrelay)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${CAMRELAY_PACKAGE_MAINTAINER}")
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX the build tree has (a test
# build keeps /usr/local): CPack's DEB generator installs with CPACK_PACKAGING_INSTALL_PREFIX,
# which defaults to /usr for DEB, so the unit says ExecStart=/usr/bin/camrelay and the
# configuration lands in /etc/camrelay. (Not set here: it would also apply to the source
# tarball and put the sources under usr/.)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "camera streaming relay: RTSP/RTP/V4L2 cameras to WebRTC, HLS and MJPEG")
# The Description: synopsis is the summary above; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "camrelay is a daemon for a home server under systemd: cameras in (RTSP, RTP,
V4L2, MQTT-signalled WebRTC cameras), many browsers out (WebRTC/WHEP, HLS,
MJPEG, JPEG snapshots), with a REST API, a dashboard and a viewer page.
Each camera is one GStreamer pipeline; the camera's H.264 is not re-encoded
per viewer. The package ships the daemon, its web pages, the mock camera
camrelay-fakecam, a hardened systemd unit (not enabled on install), and
sysusers.d/tmpfiles.d entries for the camrelay user and /var/lib/camrelay.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # camrelay_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CAMRELAY_PACKAGE_MAINTAINER}")
if(CAMRELAY_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CAMRELAY_PACKAGE_HOMEPAGE}")
endif()
# Linked libraries (GStreamer, Paho, spdlog, fmt, SQLite, libsystemd, ...) via dpkg-shlibdeps;
# CPack appends its result to CPACK_DEBIAN_PACKAGE_DEPENDS.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# GStreamer plugins are loaded at run time, so dpkg-shlibdeps cannot see them:
#   plugins-base  videotestsrc, videoconvert, videoscale, videorate, appsrc/appsink,
#                 audioconvert, audioresample, opusenc (audio transcode)
#   plugins-good  rtspsrc, rtpbin, udpsrc/multiudpsink, rtph264depay and payloaders,
#                 jpegdec/jpegenc (V4L2 MJPEG, MJPEG output, snapshots), vp8enc, capssetter,
#                 v4l2src
#   plugins-bad   webrtcbin, h264parse, h265parse, mpegtsmux (HLS); x265enc (the tests' H.265 camera)
#   plugins-ugly  x264enc (test and V4L2 sources, the example's demo camera, the H.265 → H.264 transcode)
#   libav         avdec_h264/avdec_h265 (MJPEG output, snapshots, VP8 and H.264 transcodes), avdec_aac (AAC -> Opus)
#   nice          libnice's ICE elements webrtcbin needs
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad, gstreamer1.0-plugins-ugly, gstreamer1.0-libav, gstreamer1.0-nice")
# clockoverlay (test source with overlay_clock) is in gstreamer1.0-x's pango plugin.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gstreamer1.0-x, systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles"
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst"
    "${PROJECT_SOURCE_DIR}/packaging/debian/prerm"
    "${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# `make package_source`: a tarball of the sources only, without build trees and npm modules.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/\\\\.git$" "/build/" "/build-[^/]*/" "/node_modules" "/data/"
    "/bench-results/" "/web/vendor/")
include(CPack)
