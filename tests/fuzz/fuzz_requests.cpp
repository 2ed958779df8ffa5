// Request bodies: every JSON decoder of the REST API, the login form, a WHEP PATCH
// sdpfrag, and the configuration file loader (the same bytes through each).
#include "camrelay/config/config.hpp"
#include "decode.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  using namespace camrelay::http;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_clean("json bodies", [&] {
    const nlohmann::json body = json_object_of(text);
    fuzz::expect_clean("login", [&] { (void)decode_login(text, false); });
    fuzz::expect_clean("password", [&] { (void)decode_password_change(body); });
    fuzz::expect_clean("new user", [&] { (void)decode_new_user(body); });
    fuzz::expect_clean("user patch", [&] { (void)decode_user_patch(body); });
    fuzz::expect_clean("token", [&] { (void)decode_token_request(body); });
    fuzz::expect_clean("viewer token", [&] { (void)decode_viewer_token_request(body); });
    fuzz::expect_clean("start", [&] {
      const StartRequest s = decode_start_request(body);
      if ((s.max_kbps && (*s.max_kbps < 1 || *s.max_kbps > 1000000)) || (s.min_kbps && *s.min_kbps < 1)) {
        fuzz::finding("a bandwidth outside 1..1000000 was accepted");
      }
    });
    fuzz::expect_clean("seed rtsp fields", [&] { (void)decode_seed_rtsp_fields(body); });
    fuzz::expect_clean("webrtc offer", [&] {
      const WebrtcOffer o = decode_webrtc_offer(body);
      if (o.sdp.rfind("v=0", 0) != 0) std::abort();  // an accepted offer is SDP
    });
  });
  fuzz::expect_clean("login form", [&] {
    const LoginRequest r = decode_login(text, true);
    if (r.next.empty() || r.next[0] != '/' || (r.next.size() > 1 && (r.next[1] == '/' || r.next[1] == '\\'))) {
      fuzz::finding("login's next is not a same-site path (open redirect)");
    }
  });
  fuzz::expect_clean("sdpfrag", [&] { (void)decode_sdpfrag(text); });
  fuzz::expect_clean("config", [&] {
    try {
      config::Config c = config::parse_json(std::string(text));
      config::validate(c);
    } catch (const config::ConfigError&) {
    }
  });
  return 0;
}
