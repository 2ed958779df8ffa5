# Sanitizer builds (issue 12): -DCAMRELAY_SANITIZE=address | thread (empty: none).
#   address  ASan + UBSan (+ LSan, part of ASan on Linux): scripts/test.sh --asan
#   thread   TSan: scripts/test.sh --tsan (unit tests only)
# The flags apply to every target of the project (daemon, libraries, unit tests, test
# tools). The suppression files used at run time are in tests/sanitizers/.
set(CAMRELAY_SANITIZE "" CACHE STRING "Sanitizer build: empty, address (ASan+UBSan+LSan) or thread (TSan)")
set_property(CACHE CAMRELAY_SANITIZE PROPERTY STRINGS "" address thread)

if(CAMRELAY_SANITIZE STREQUAL "address")
  set(_camrelay_san_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined)
elseif(CAMRELAY_SANITIZE STREQUAL "thread")
  set(_camrelay_san_flags -fsanitize=thread)
elseif(NOT CAMRELAY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CAMRELAY_SANITIZE must be empty, address or thread (got '${CAMRELAY_SANITIZE}')")
endif()

if(_camrelay_san_flags)
  list(JOIN _camrelay_san_flags " " _camrelay_san_msg)
  message(STATUS "camrelay: sanitizer build (${CAMRELAY_SANITIZE}): ${_camrelay_san_msg}")
  # -O1 keeps the instrumented daemon fast enough for the integration tests' timeouts;
  # frame pointers and -g give whole stacks in the reports.
  add_compile_options(${_camrelay_san_flags} -fno-omit-frame-pointer -O1 -g)
  add_link_options(${_camrelay_san_flags})
endif()
