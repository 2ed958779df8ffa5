// One WebSocket text frame from a browser (docs/signaling.md).
#include "fuzz_common.hpp"
#include "signaling_messages.hpp"

#include "camrelay/util/ids.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  namespace sg = http::signaling;
  fuzz::expect_clean("signaling::decode", [&] {
    const sg::ClientMessage m = sg::decode(fuzz::as_text(data, size));
    if (const auto* w = std::get_if<sg::Watch>(&m)) {
      if (!valid_camera_id(w->camera)) fuzz::finding("a watch of an invalid camera id was accepted");
      if (w->codecs.size() > 64) fuzz::finding("more than 64 codecs accepted");
    } else if (const auto* c = std::get_if<sg::Candidate>(&m)) {
      if (c->candidate.size() > 1024) fuzz::finding("an oversized candidate was accepted");
    } else if (const auto* a = std::get_if<sg::Answer>(&m)) {
      if (a->sdp.rfind("v=0", 0) != 0) fuzz::finding("an answer without v=0 was accepted");
    } else if (const auto* bad = std::get_if<sg::Invalid>(&m)) {
      if (bad->code.empty() || bad->message.size() > 200) fuzz::finding("an error without a code or with an echo of the input");
    }
  });
  return 0;
}
