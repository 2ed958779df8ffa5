// A browser's SDP offer (WHEP body, WebSocket answer path): parse, plan the answer, and the
// text helpers that edit our own SDP with what the offer named.
#include "camrelay/media/offer.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  const std::string sdp(fuzz::as_text(data, size));
  fuzz::expect_clean("parse_offer", [&] {
    const media::OfferInfo offer = media::parse_offer(sdp);
    for (const char* audio : {"", "opus", "pcmu", "pcma"}) {
      for (bool vp8 : {false, true}) {
        const media::AnswerPlan plan = media::plan_answer(offer, audio, vp8);
        if (plan.error.empty() && plan.video_index < 0 && plan.audio_index < 0) {
          fuzz::finding("an answer plan without error serves nothing");
        }
        if (plan.video_index >= static_cast<int>(offer.media.size()) ||
            plan.audio_index >= static_cast<int>(offer.media.size())) {
          fuzz::finding("an answer plan names an m-line the offer does not have");
        }
      }
    }
    (void)media::offered_video_codecs(offer);
    for (const auto& m : offer.media) (void)media::transport_mline(offer, m.mid, m.index);
    (void)media::transport_mline(offer, "", 0);
  });
  // Our SDP editors get the offer's text as the document to edit (they must not trust its
  // shape either): candidates for m-lines 0..2, an SSRC for m-line 1.
  fuzz::expect_clean("sdp editors", [&] {
    (void)media::add_candidates_to_sdp(sdp, {{0, "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host"},
                                             {2, "candidate:2 1 UDP 2122252543 127.0.0.1 40002 typ host"}});
    (void)media::add_ssrc_to_sdp(sdp, 1, 0x12345678u, "camrelay", "video0");
    (void)media::announce_candidates(sdp.substr(0, 512), {"203.0.113.7"});
  });
  return 0;
}
