#include "signaling_messages.hpp"

#include <nlohmann/json.hpp>

#include "camrelay/util/ids.hpp"
#include "camrelay/util/text.hpp"

namespace camrelay::http::signaling {
namespace {
using nlohmann::json;

constexpr std::size_t kMaxCandidate = 1024;

std::string str(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

unsigned mline_of(const json& j) {
  auto m = j.find("sdpMLineIndex");
  if (m == j.end() || !m->is_number_unsigned() || m->get<std::uint64_t>() > 1024) return 0;
  return m->get<unsigned>();
}

}  // namespace

ClientMessage decode(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid{"invalid_json", "message is not a JSON object"};
  const std::string type = str(j, "type");
  if (type == "watch") {
    Watch w;
    w.camera = str(j, "camera");
    if (w.camera.empty()) w.camera = str(j, "camera_id");
    if (!valid_camera_id(w.camera)) return Invalid{"invalid_message", "watch needs a valid \"camera\""};
    // Optional: the video codecs the browser decodes (RTCRtpReceiver.getCapabilities),
    // "video/H264" or "H264"; without H.264 but with VP8 it gets the VP8 transcode.
    if (auto c = j.find("codecs"); c != j.end()) {
      const Invalid bad{"invalid_message", "codecs must be an array of at most 64 strings"};
      if (!c->is_array() || c->size() > 64) return bad;
      for (const auto& x : *c) {
        if (!x.is_string() || x.get<std::string>().size() > 64) return bad;
        std::string n = to_lower(x.get<std::string>());
        if (n.rfind("video/", 0) == 0) n = n.substr(6);
        w.codecs.push_back(std::move(n));
      }
    }
    // Optional: "sub" watches the camera's sub stream (camera.sub).
    if (auto q = j.find("quality"); q != j.end()) {
      const auto parsed = q->is_string() ? model::parse_quality(q->get<std::string>()) : std::nullopt;
      if (!parsed) return Invalid{"invalid_message", "quality must be \"main\" or \"sub\""};
      w.quality = *parsed;
    }
    return w;
  }
  if (type == "answer") {
    Answer a{str(j, "sdp")};
    if (a.sdp.rfind("v=0", 0) != 0) return Invalid{"invalid_sdp", "answer needs an \"sdp\" starting with v=0"};
    return a;
  }
  if (type == "candidate") {
    Candidate c;
    auto it = j.find("candidate");
    if (it != j.end() && it->is_object()) {  // RTCIceCandidateInit as a whole
      c.candidate = str(*it, "candidate");
      c.mline = mline_of(*it);
    } else {
      if (it != j.end() && it->is_string()) {
        c.candidate = it->get<std::string>();
      } else if (it != j.end() && !it->is_null()) {
        return Invalid{"invalid_message", "candidate must be a string"};
      }
      c.mline = mline_of(j);
    }
    if (c.candidate.size() > kMaxCandidate) return Invalid{"invalid_message", "candidate too long"};
    return c;
  }
  if (type == "stop") return Stop{};
  if (type == "ping") return Ping{};
  return Invalid{"unknown_type", "unknown message type \"" + type.substr(0, 64) + "\""};
}

}  // namespace camrelay::http::signaling
