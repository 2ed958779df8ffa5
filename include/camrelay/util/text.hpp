#pragma once
// Small text helpers shared by modules (URL and URI parsing).

namespace camrelay {

// The value of one hexadecimal digit, -1 if `c` is none.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace camrelay
