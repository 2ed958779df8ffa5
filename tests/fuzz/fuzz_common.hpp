#pragma once
// Shared by the libFuzzer targets (tests/fuzz/README.md). An exception a decoder documents
// (camrelay::Error, std::invalid_argument) is an accepted outcome for bad input; anything
// else escaping (std::out_of_range, nlohmann's type_error, a crash) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "camrelay/util/error.hpp"

namespace camrelay::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs fn; returns normally for a clean result or a documented rejection, aborts otherwise.
template <class F>
void expect_clean(const char* what, F&& fn) {
  try {
    fn();
  } catch (const camrelay::Error&) {
  } catch (const std::invalid_argument&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected exception: %s\n", what, e.what());
    std::abort();
  }
}

[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "finding: %s\n", what);
  std::abort();
}

}  // namespace camrelay::fuzz
