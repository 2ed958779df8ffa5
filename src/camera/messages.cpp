#include "camrelay/camera/messages.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace camrelay::camera {
namespace {
using json = nlohmann::json;

json parse_object(std::string_view payload) {
  if (payload.size() > kMaxMessageBytes) {
    throw std::invalid_argument("message too large (" + std::to_string(payload.size()) + " bytes)");
  }
  json j = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) {
    // Find the byte position for the message (a second, throwing parse).
    try {
      json tmp = json::parse(payload.begin(), payload.end());
      (void)tmp;
    } catch (const json::parse_error& e) {
      throw std::invalid_argument("invalid JSON at byte " + std::to_string(e.byte));
    } catch (...) {
    }
    throw std::invalid_argument("invalid JSON");
  }
  if (!j.is_object()) throw std::invalid_argument("the message must be a JSON object");
  return j;
}

std::string get_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw std::invalid_argument(std::string("\"") + key + "\" must be a non-empty string");
  }
  return it->get<std::string>();
}
}  // namespace

std::string to_json(const SdpMessage& m) { return json{{"session_id", m.session_id}, {"sdp", m.sdp}}.dump(); }
std::string to_json(const KeepaliveMessage& m) {
  return json{{"session_id", m.session_id}, {"seq", m.seq}}.dump();
}
std::string to_json(const StopMessage& m) { return json{{"session_id", m.session_id}}.dump(); }
std::string to_json(const StatusMessage& m) {
  return json{{"state", m.online ? "online" : "offline"}}.dump();
}

SdpMessage parse_sdp_message(std::string_view payload) {
  json j = parse_object(payload);
  SdpMessage m;
  m.session_id = get_string(j, "session_id");
  m.sdp = get_string(j, "sdp");
  return m;
}

KeepaliveMessage parse_keepalive(std::string_view payload) {
  json j = parse_object(payload);
  KeepaliveMessage m;
  m.session_id = get_string(j, "session_id");
  auto it = j.find("seq");
  if (it == j.end() || !it->is_number_unsigned()) {
    throw std::invalid_argument("\"seq\" must be a non-negative integer");
  }
  m.seq = it->get<std::uint64_t>();
  return m;
}

StopMessage parse_stop(std::string_view payload) {
  json j = parse_object(payload);
  return {get_string(j, "session_id")};
}

StatusMessage parse_status(std::string_view payload) {
  json j = parse_object(payload);
  const std::string s = get_string(j, "state");
  if (s == "online") return {true};
  if (s == "offline") return {false};
  throw std::invalid_argument("\"state\" must be \"online\" or \"offline\" (got \"" + s.substr(0, 40) + "\")");
}

}  // namespace camrelay::camera
