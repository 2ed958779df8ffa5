// Request bodies: every JSON decoder of the REST API, the login form, a WHEP PATCH
// sdpfrag, the configuration file loader and a camera body of POST/PUT /cameras (the same
// bytes through each).
#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/config/secrets.hpp"
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
  fuzz::expect_clean("camera", [&] {
    try {
      const config::Config cfg;
      const config::Camera c = config::parse_camera(std::string(text), cfg);
      if (config::parse_camera(config::camera_to_json(c), cfg) != c) fuzz::finding("camera_to_json does not read back");
      config::Camera bare = c;
      const config::CameraCredentials cred = config::take_credentials(bare);
      config::put_credentials(bare, cred);
      if (bare != c) fuzz::finding("a camera's credentials do not go back where they were");
      if (config::keep_masked_credentials(config::mask_credentials(c), &c) != c) {
        fuzz::finding("*** sent back does not keep the stored passwords");
      }
    } catch (const config::ConfigError&) {
    }
  });
  return 0;
}
