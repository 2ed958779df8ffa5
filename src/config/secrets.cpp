// Which settings are secrets, and moving, masking and restoring a camera's credentials.
#include "camrelay/config/secrets.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace camrelay::config {
namespace {

// Where the userinfo of scheme://userinfo@host/… is: [first, second) without the '@'. As
// the RTSP source reads it (src/media/rtsp_url.cpp): the authority ends at the first '/'
// and the userinfo at its last '@'.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_span(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const std::size_t start = scheme + 3;
  const std::size_t end = std::min(url.find('/', start), url.size());
  const auto at = url.substr(start, end - start).rfind('@');
  if (at == std::string::npos) return std::nullopt;
  return std::pair{start, start + at};
}

// The password part of a userinfo ("user:password"): [first, second) within it, or nullopt.
std::optional<std::pair<std::size_t, std::size_t>> password_span(const std::string& userinfo) {
  const auto colon = userinfo.find(':');
  if (colon == std::string::npos || colon + 1 == userinfo.size()) return std::nullopt;
  return std::pair{colon + 1, userinfo.size()};
}

std::string url_userinfo(const std::string& url) {
  const auto span = userinfo_span(url);
  return span ? url.substr(span->first, span->second - span->first) : std::string();
}

std::string url_password(const std::string& url) {
  const std::string info = url_userinfo(url);
  const auto pw = password_span(info);
  return pw ? info.substr(pw->first) : std::string();
}

// The url with its userinfo's password replaced by `password` (which must exist).
std::string with_url_password(const std::string& url, std::string_view password) {
  const auto span = userinfo_span(url);
  const std::string info = url.substr(span->first, span->second - span->first);
  const auto pw = password_span(info);
  return url.substr(0, span->first + pw->first) + std::string(password) + url.substr(span->second);
}

}  // namespace

std::vector<std::string> secret_keys(const Config& cfg) {
  std::vector<std::string> out;
  if (!cfg.mqtt.password.empty()) out.push_back("mqtt.password");
  if (!cfg.onvif.password.empty()) out.push_back("onvif.password");
  for (std::size_t i = 0; i < cfg.webrtc.ice_servers.size(); ++i) {
    if (!cfg.webrtc.ice_servers[i].credential.empty()) {
      out.push_back("webrtc.ice_servers[" + std::to_string(i) + "].credential");
    }
  }
  for (const auto& c : cfg.cameras) {
    if (const auto* r = std::get_if<RtspSource>(&c.source)) {
      if (!r->password.empty() || !url_password(r->url).empty()) {
        out.push_back("cameras[" + c.id + "].source (RTSP password)");
      }
    }
    if (const auto* o = std::get_if<OnvifSource>(&c.source); o && !o->password.empty()) {
      out.push_back("cameras[" + c.id + "].source (ONVIF password)");
    }
  }
  return out;
}

CameraCredentials take_credentials(Camera& c) {
  CameraCredentials out;
  if (auto* o = std::get_if<OnvifSource>(&c.source)) {
    out.username = std::exchange(o->username, {});
    out.password = std::exchange(o->password, {});
    return out;
  }
  auto* r = std::get_if<RtspSource>(&c.source);
  if (!r) return out;
  if (const auto span = userinfo_span(r->url); span && span->second > span->first) {
    out.url_userinfo = r->url.substr(span->first, span->second - span->first);
    r->url.erase(span->first, span->second + 1 - span->first);  // with its '@'
  }
  out.username = std::exchange(r->username, {});
  out.password = std::exchange(r->password, {});
  return out;
}

void put_credentials(Camera& c, const CameraCredentials& cred) {
  if (auto* o = std::get_if<OnvifSource>(&c.source)) {
    o->username = cred.username;
    o->password = cred.password;
    return;
  }
  auto* r = std::get_if<RtspSource>(&c.source);
  if (!r) return;
  r->username = cred.username;
  r->password = cred.password;
  if (cred.url_userinfo.empty()) return;
  if (const auto scheme = r->url.find("://"); scheme != std::string::npos) {
    r->url.insert(scheme + 3, cred.url_userinfo + "@");
  }
}

Camera mask_credentials(Camera c) {
  if (auto* o = std::get_if<OnvifSource>(&c.source)) {
    if (!o->password.empty()) o->password = kMaskedSecret;
    return c;
  }
  auto* r = std::get_if<RtspSource>(&c.source);
  if (!r) return c;
  if (!r->password.empty()) r->password = kMaskedSecret;
  if (!url_password(r->url).empty()) r->url = with_url_password(r->url, kMaskedSecret);
  return c;
}

Camera keep_masked_credentials(Camera c, const Camera* stored) {
  if (auto* o = std::get_if<OnvifSource>(&c.source)) {
    if (o->password == kMaskedSecret) {
      const auto* old = stored ? std::get_if<OnvifSource>(&stored->source) : nullptr;
      if (!old || old->password.empty()) {
        throw ConfigError("source.password: \"***\" keeps the stored password, and this camera has none");
      }
      o->password = old->password;
    }
    return c;
  }
  auto* r = std::get_if<RtspSource>(&c.source);
  if (!r) return c;
  const auto* old = stored ? std::get_if<RtspSource>(&stored->source) : nullptr;
  if (r->password == kMaskedSecret) {
    if (!old || old->password.empty()) {
      throw ConfigError("source.password: \"***\" keeps the stored password, and this camera has none");
    }
    r->password = old->password;
  }
  if (url_password(r->url) == kMaskedSecret) {
    const std::string kept = old ? url_password(old->url) : std::string();
    if (kept.empty()) {
      throw ConfigError("source.url: the password \"***\" keeps the stored one, and this camera has none");
    }
    r->url = with_url_password(r->url, kept);
  }
  return c;
}

}  // namespace camrelay::config
