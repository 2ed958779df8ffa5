#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// JSON payloads of the BCGH camera contract (docs/mqtt.md). parse_* functions take
// untrusted bytes and throw std::invalid_argument with a short reason
// ("invalid JSON at byte 3", "\"session_id\" must be a non-empty string", ...).
#include <cstdint>
#include <string>
#include <string_view>

namespace camrelay::camera {

// daemon → camera: cameras/{id}/stream/offer, and camera → daemon: .../stream/answer
struct SdpMessage {
  std::string session_id;
  std::string sdp;
};
// daemon → camera: .../stream/keepalive
struct KeepaliveMessage {
  std::string session_id;
  std::uint64_t seq = 0;
};
// daemon → camera: .../stream/stop
struct StopMessage {
  std::string session_id;
};
// camera → daemon (retained, also the camera's last will): cameras/{id}/status
struct StatusMessage {
  bool online = false;
};

std::string to_json(const SdpMessage& m);
std::string to_json(const KeepaliveMessage& m);
std::string to_json(const StopMessage& m);
std::string to_json(const StatusMessage& m);

SdpMessage parse_sdp_message(std::string_view payload);
KeepaliveMessage parse_keepalive(std::string_view payload);
StopMessage parse_stop(std::string_view payload);
// {"state":"online"|"offline"}; other members are ignored.
StatusMessage parse_status(std::string_view payload);

// Longest accepted payload (an SDP is a few hundred bytes; this guards the parser).
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;

}  // namespace camrelay::camera
