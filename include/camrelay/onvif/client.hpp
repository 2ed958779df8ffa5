#pragma once
// camrelay as an ONVIF client (docs/onvif.md): the Device, Media and PTZ calls needed to
// find a camera's RTSP URI and to move it. Blocking calls with a deadline each (a private
// io_context per call): callers run them on a thread that may wait — a camera's GLib
// thread while its source is built, or a worker pool of the HTTP layer.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "camrelay/onvif/device.hpp"

namespace camrelay::onvif {

struct ClientOptions {
  std::string url;  // the device service, http://host[:port]/onvif/device_service
  std::string username;
  std::string password;  // "" = no WS-Security header
  std::chrono::milliseconds timeout{5000};
};

struct ProfileSummary {
  std::string token;
  std::string name;
  std::string encoding;  // H264, H265, JPEG … ("" if the profile has no video encoder)
  int width = 0, height = 0;
  bool ptz = false;  // the profile has a PTZ configuration
};

struct Preset {
  std::string token;
  std::string name;
};

class Client {
 public:
  explicit Client(ClientOptions o);

  // Every error is a camrelay::Error: unauthenticated (ter:NotAuthorized, HTTP 401),
  // invalid_argument (a fault for what was asked, a bad URL), unavailable (connection
  // refused, not SOAP), timeout.
  DeviceIdentity device_information();
  std::vector<ProfileSummary> profiles();
  std::string stream_uri(const std::string& profile_token);
  std::string snapshot_uri(const std::string& profile_token);
  // PTZ (throws Error(not_found) when the device offers no PTZ service).
  void continuous_move(const std::string& profile_token, double pan, double tilt, double zoom,
                       std::optional<double> timeout_s);
  void stop(const std::string& profile_token);
  std::vector<Preset> presets(const std::string& profile_token);
  void goto_preset(const std::string& profile_token, const std::string& preset_token);
  bool has_ptz();

  // One SOAP call; returns the answer (a fault becomes an Error).
  Message call(const std::string& url, const std::string& body);

 private:
  void discover_services();
  ClientOptions o_;
  bool services_known_ = false;
  std::string media_url_, ptz_url_;
  std::int64_t clock_offset_s_ = 0;  // device clock - ours (digests use the device's time)
};

// http://host[:port]/path split up; throws Error(invalid_argument) naming what is wrong.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};
HttpUrl parse_http_url(const std::string& url);

// user:password@ put into an rtsp:// URI (percent-encoded), unless it has credentials.
std::string with_credentials(const std::string& rtsp_uri, const std::string& user, const std::string& password);

}  // namespace camrelay::onvif
