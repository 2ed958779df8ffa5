// The MQTT messages a BCGH camera sends (docs/mqtt.md): the answer envelope, its SDP checked
// against our offer, the status message; and the generic SDP parser under them.
#include "camrelay/camera/messages.hpp"
#include "camrelay/camera/sdp.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_clean("parse_sdp_message", [&] {
    const camera::SdpMessage m = camera::parse_sdp_message(text);
    fuzz::expect_clean("parse_answer (from the envelope)", [&] { (void)camera::parse_answer(m.sdp); });
  });
  fuzz::expect_clean("parse_status", [&] { (void)camera::parse_status(text); });
  fuzz::expect_clean("parse_keepalive", [&] { (void)camera::parse_keepalive(text); });
  fuzz::expect_clean("parse_answer", [&] {
    const camera::AnswerInfo a = camera::parse_answer(text, 96, "H264", 90000);
    if (a.video.rtp_port < 0 || a.video.rtp_port > 65535) fuzz::finding("an accepted answer with an impossible port");
  });
  fuzz::expect_clean("parse_sdp", [&] {
    const camera::SessionDescription d = camera::parse_sdp(text);
    // What the fake camera does with an offer: answer it.
    camera::AnswerParams p;
    p.address = "127.0.0.1";
    p.video_port = 5000;
    p.rtcp_port = 5001;
    p.audio_port = 5002;
    p.audio_rtcp_port = 5003;
    (void)camera::build_answer(p, d);
  });
  return 0;
}
