// An ONVIF camera: the RTSP URI comes from its Media service each time the source is
// built (docs/onvif.md), then the RTSP source reads it. Errors keep the Stream's rules:
// wrong credentials or a profile the camera does not have are configuration errors (the
// stream goes to error); a camera that does not answer is retried with backoff, and each
// retry asks for the URI again.
#include <chrono>

#include "camrelay/onvif/client.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"
#include "rtsp_url.hpp"
#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_onvif_source(const config::Config& cfg, const config::Camera& cam,
                                          const config::OnvifSource& c) {
  onvif::Client client({c.url, c.username, c.password, std::chrono::milliseconds(5000)});
  std::string uri;
  std::string token = c.profile;
  try {
    const auto profiles = client.profiles();
    if (profiles.empty()) throw Error(Errc::invalid_argument, "onvif: " + c.url + " has no media profile");
    const onvif::ProfileSummary* chosen = token.empty() ? &profiles.front() : nullptr;
    for (const auto& p : profiles) {
      if (!chosen && p.token == token) chosen = &p;
    }
    if (!chosen) throw Error(Errc::invalid_argument, "onvif: " + c.url + " has no profile \"" + token + "\"");
    token = chosen->token;
    // The depayloader follows source.codec; a profile that says otherwise would give no picture.
    if ((chosen->encoding == "H264" || chosen->encoding == "H265") && chosen->encoding != c.codec) {
      throw Error(Errc::invalid_argument, "onvif: profile \"" + token + "\" sends " + chosen->encoding +
                                              ": set source.codec to \"" + chosen->encoding + "\"");
    }
    uri = client.stream_uri(token);
  } catch (const Error& e) {
    // Wrong credentials will not fix themselves: a configuration error, like RTSP's 401.
    if (e.code() == Errc::unauthenticated) {
      throw Error(Errc::invalid_argument, std::string(e.what()) + " (check source.username and source.password)");
    }
    throw;
  }
  log::get("onvif")->info("camera {}: profile {} streams at {}", cam.id, token, mask_rtsp_url(uri));
  config::RtspSource r;
  r.url = uri;
  r.username = c.username;
  r.password = c.password;
  r.transport = c.transport;
  r.latency_ms = c.latency_ms;
  r.codec = c.codec;
  return make_rtsp_source(cfg, cam, r);
}

}  // namespace camrelay::media
