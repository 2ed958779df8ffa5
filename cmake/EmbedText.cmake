# cmake -DIN=<file> -DOUT=<file.cpp> -DNAME=<symbol> -P EmbedText.cmake
# Writes a C++ source defining `extern const std::string_view camrelay::embedded::<NAME>`
# with the file's bytes, so the binary serves it wherever it is installed (GET /openapi.yaml).
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _len)
math(EXPR _bytes "${_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _chars "${_hex}")
# 32 bytes a line keeps the generated file readable by compilers and people alike.
string(REGEX REPLACE "(('[^']+',){32})" "\\1\n  " _chars "${_chars}")
file(WRITE "${OUT}.tmp"
"// Generated from ${IN} by cmake/EmbedText.cmake: do not edit.
#include <string_view>
namespace camrelay::embedded {
namespace {
const char kData[] = {
  ${_chars}
  '\\0'};
}  // namespace
extern const std::string_view ${NAME}(kData, ${_bytes});
}  // namespace camrelay::embedded
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
