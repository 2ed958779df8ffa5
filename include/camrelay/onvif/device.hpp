#pragma once
// camrelay as an ONVIF device (Profile S subset, docs/onvif.md): the answers of the Device
// and Media services, built from a plain description of the cameras. No I/O here: the HTTP
// layer checks credentials, gathers a DeviceView and sends what answer() returns.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/onvif/soap.hpp"

namespace camrelay::onvif {

struct DeviceIdentity {
  std::string manufacturer;
  std::string model;
  std::string firmware;  // camrelay's version
  std::string serial;    // stable per installation (also the WS-Discovery endpoint's uuid)
  std::string hardware_id;
};

// One camera = one video source and one profile (token = camera id).
struct MediaProfile {
  std::string token;
  std::string name;
  std::string rtsp_uri;      // rtsp://host:port/{id}
  std::string snapshot_uri;  // http(s)://host:port/streams/{id}/snapshot.jpg
  int width = 0, height = 0;  // 0 = not known yet (the stream has not run)
  double fps = 0;
  std::string encoding = "H264";  // "H264" | "H265" (Media 1 has no H265; clients that read it, like ours, follow it)
};

struct DeviceView {
  DeviceIdentity identity;
  std::string base_url;  // "http://host:port": the services' XAddrs
  std::vector<MediaProfile> profiles;
  std::int64_t now = 0;  // unix seconds
};

enum class Service { device, media };

// Operations a client may call before it has authenticated (the clock, for digests).
bool is_open_operation(const Message& m);

struct Answer {
  int status = 200;  // 200, or 400/500 with a SOAP fault
  std::string xml;
};

// The answer to `m` on `service`. Unknown operations: fault ter:ActionNotSupported; an
// unknown profile token: ter:InvalidArgVal/ter:NoProfile.
Answer answer(const Message& m, Service service, const DeviceView& v);

// The fault for a request without valid credentials (HTTP 400 with ter:NotAuthorized).
Answer not_authorized();

// A UUID (RFC 4122 form, name-based from SHA-1) that stays the same for the same seed:
// the device's serial number and WS-Discovery endpoint across restarts.
std::string uuid_from(std::string_view seed);
// This installation's: from its data directory and HTTP port.
std::string device_uuid(const std::string& data_dir, int http_port);

// The answer to a WS-Discovery Probe: ProbeMatches for a NetworkVideoTransmitter.
std::string probe_matches(const DeviceIdentity& id, std::string_view relates_to, std::string_view xaddrs,
                          std::string_view message_id, std::string_view scopes);

}  // namespace camrelay::onvif
