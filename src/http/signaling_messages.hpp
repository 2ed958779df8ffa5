#pragma once
// The browser → server messages of the WebSocket signaling protocol (docs/signaling.md),
// decoded from the text frame into one typed value before the session acts on it. Pure:
// tests/fuzz/fuzz_signaling.cpp feeds it arbitrary bytes.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "camrelay/model/quality.hpp"

namespace camrelay::http::signaling {

struct Watch {
  std::string camera;
  std::vector<std::string> codecs;  // lower case, without "video/"
  model::Quality quality = model::Quality::main;  // "quality": "main" (default) | "sub"
};
struct Answer {
  std::string sdp;
};
struct Candidate {
  unsigned mline = 0;
  std::string candidate;  // "" = end of candidates
};
struct Stop {};
struct Ping {};
// A message that cannot be acted on: answered with {"type":"error", code, message}.
struct Invalid {
  std::string code;  // invalid_json | invalid_message | invalid_sdp | unknown_type
  std::string message;
};

using ClientMessage = std::variant<Watch, Answer, Candidate, Stop, Ping, Invalid>;

ClientMessage decode(std::string_view text);

}  // namespace camrelay::http::signaling
