# Runs at install time (`cmake --install`, and `cpack`, which installs with
# CMAKE_INSTALL_PREFIX = CPACK_PACKAGING_INSTALL_PREFIX = /usr into a DESTDIR), not at
# configure time: the paths below follow the prefix the files are actually installed under,
# so one build tree gives a right /usr/bin/camrelay unit for the Debian package and a right
# /usr/local/bin/camrelay unit for `cmake --install build --prefix /usr/local`.
#
# Set by the install(CODE) in cmake/Packaging.cmake:
#   CAMRELAY_PACKAGING_DIR   <source>/packaging (unit template, sysusers.d, tmpfiles.d)
#   CAMRELAY_EXAMPLE_CONFIG  <source>/config/camrelay.example.json
#   CAMRELAY_BINDIR          CMAKE_INSTALL_BINDIR at configure time (normally "bin")
#   CAMRELAY_USR_UNITDIR     the distribution's unit directory for a /usr prefix
#                            (pkg-config systemd: /lib/systemd/system on Debian 12)
#   CAMRELAY_GEN_DIR         where the filled-in unit is written before it is installed
#
# What goes where (prefix P):
#   P = /usr or /:  /etc/camrelay/camrelay.json, <CAMRELAY_USR_UNITDIR>/camrelay.service
#   P = /opt/...:   /etc/opt/.../camrelay/camrelay.json, P/lib/systemd/system/camrelay.service
#   otherwise:      P/etc/camrelay/camrelay.json, P/lib/systemd/system/camrelay.service
#   always:         P/lib/sysusers.d/camrelay.conf, P/lib/tmpfiles.d/camrelay.conf
# (the sysconfdir rules are GNUInstallDirs' special cases, applied to the install-time prefix).

string(REGEX REPLACE "/+$" "" _cr_prefix "${CMAKE_INSTALL_PREFIX}")
if(_cr_prefix STREQUAL "" OR _cr_prefix STREQUAL "/usr")
  set(_cr_etc "/etc")
  set(_cr_unitdir "${CAMRELAY_USR_UNITDIR}")
elseif(_cr_prefix MATCHES "^/opt/")
  set(_cr_etc "/etc${_cr_prefix}")
  set(_cr_unitdir "${_cr_prefix}/lib/systemd/system")
else()
  set(_cr_etc "${_cr_prefix}/etc")
  set(_cr_unitdir "${_cr_prefix}/lib/systemd/system")
endif()
if(IS_ABSOLUTE "${CAMRELAY_BINDIR}")
  set(_cr_bindir "${CAMRELAY_BINDIR}")
else()
  set(_cr_bindir "${_cr_prefix}/${CAMRELAY_BINDIR}")
endif()

# Configuration: the example, as camrelay.json. An existing file is never overwritten
# (a re-install over a configured system keeps the user's cameras). In the Debian package
# the file is a conffile (packaging/debian/conffiles), so dpkg keeps user edits on upgrades.
set(_cr_conf "${_cr_etc}/camrelay/camrelay.json")
if(EXISTS "$ENV{DESTDIR}${_cr_conf}")
  message(STATUS "Keeping: $ENV{DESTDIR}${_cr_conf} (exists; the example is ${CAMRELAY_EXAMPLE_CONFIG})")
else()
  file(INSTALL DESTINATION "${_cr_etc}/camrelay" TYPE FILE RENAME camrelay.json
       FILES "${CAMRELAY_EXAMPLE_CONFIG}")
endif()

# The unit, with ExecStart pointing at the installed binary and --config at the file above.
# Generated per install destination so concurrent installs of one build tree do not share it.
set(CAMRELAY_BIN "${_cr_bindir}/camrelay")
set(CAMRELAY_CONFIG "${_cr_conf}")
string(MD5 _cr_key "$ENV{DESTDIR}|${_cr_prefix}")
set(_cr_unit "${CAMRELAY_GEN_DIR}/${_cr_key}/camrelay.service")
configure_file("${CAMRELAY_PACKAGING_DIR}/camrelay.service.in" "${_cr_unit}" @ONLY)
file(INSTALL DESTINATION "${_cr_unitdir}" TYPE FILE FILES "${_cr_unit}")

# System user (camrelay, in group video) and state directory (/var/lib/camrelay).
file(INSTALL DESTINATION "${_cr_prefix}/lib/sysusers.d" TYPE FILE
     FILES "${CAMRELAY_PACKAGING_DIR}/sysusers.d/camrelay.conf")
file(INSTALL DESTINATION "${_cr_prefix}/lib/tmpfiles.d" TYPE FILE
     FILES "${CAMRELAY_PACKAGING_DIR}/tmpfiles.d/camrelay.conf")
