// Camera -> the configuration file's camera object (json_load.cpp reads it back).
#include "camrelay/config/camera_json.hpp"

namespace camrelay::config {
namespace {

using json = nlohmann::json;

// The encoding keys every source camrelay encodes itself has, and camera.sub too.
template <class T>
json encoding_json(const T& s, json head) {
  head.update({{"width", s.width},
               {"height", s.height},
               {"fps", s.fps},
               {"bitrate_kbps", s.bitrate_kbps},
               {"keyframe_interval_s", s.keyframe_interval_s},
               {"encoder", s.encoder},
               {"profile", s.profile},
               {"preset", s.preset}});
  return head;
}

json source_json(const TestSource& s) {
  return encoding_json(s, {{"type", "test"}, {"pattern", s.pattern}, {"overlay_clock", s.overlay_clock}});
}

json source_json(const RtpSource& s) {
  return {{"type", "rtp"},
          {"negotiation", s.negotiation},
          {"video_port", s.video_port},
          {"payload_type", s.payload_type},
          {"codec", s.codec},
          {"clock_rate", s.clock_rate},
          {"audio", s.audio},
          {"rtp_timeout_s", s.rtp_timeout_s},
          {"audio_port", s.audio_port},
          {"audio_payload_type", s.audio_payload_type},
          {"audio_codec", s.audio_codec},
          {"audio_clock_rate", s.audio_clock_rate}};
}

json source_json(const RtspSource& s) {
  return {{"type", "rtsp"},         {"url", s.url},           {"host", s.host},
          {"port", s.port},         {"path", s.path},         {"username", s.username},
          {"password", s.password}, {"transport", s.transport}, {"latency_ms", s.latency_ms},
          {"codec", s.codec}};
}

json source_json(const V4l2Source& s) { return encoding_json(s, {{"type", "v4l2"}, {"device", s.device}}); }

json source_json(const CompositeSource& s) {
  return encoding_json(s, {{"type", "composite"},
                           {"layout", s.layout},
                           {"inputs", s.inputs},
                           {"grid", s.grid},
                           {"position", s.position},
                           {"scale", s.scale},
                           {"border", s.border}});
}

// camera.sub, in the file's format (also the settings document's "sub").
json sub_json(const SubStream& s) { return encoding_json(s, {{"enabled", s.enabled}}); }

json source_json(const OnvifSource& s) {
  return {{"type", "onvif"},         {"url", s.url},           {"username", s.username},
          {"password", s.password},  {"profile", s.profile},   {"transport", s.transport},
          {"latency_ms", s.latency_ms},  {"codec", s.codec}};
}

}  // namespace

json camera_to_json(const Camera& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"auto_start", c.auto_start},
          {"audio", c.audio},
          {"bandwidth", {{"min_kbps", c.bandwidth.min_kbps}, {"max_kbps", c.bandwidth.max_kbps}}},
          {"record",
           {{"mode", c.record.mode},
            {"segment_s", c.record.segment_s},
            {"max_age_h", c.record.max_age_h},
            {"max_mb", c.record.max_mb}}},
          {"latency_mode", c.latency_mode.empty() ? json(nullptr) : json(c.latency_mode)},
          {"sub", sub_json(c.sub)},
          {"source", std::visit([](const auto& s) { return source_json(s); }, c.source)}};
}

json settings_to_json(const Camera& c) {
  json j = {{"source_type", source_type_name(c.source)}};
  if (const auto e = own_encoding(c.source)) {
    j["encoded_by"] = "camrelay";
    j["video"] = {{"resolution", std::to_string(e->width) + "x" + std::to_string(e->height)},
                  {"width", e->width},
                  {"height", e->height},
                  {"fps", e->fps},
                  {"bitrate_kbps", e->bitrate_kbps},
                  {"keyframe_interval_s", e->keyframe_interval_s},
                  {"encoder", e->encoder},
                  {"profile", e->profile},
                  {"preset", e->preset}};
  } else {
    j["encoded_by"] = "camera";
    j["video"] = nullptr;
  }
  j["sub"] = sub_json(c.sub);
  const int jitter = jitter_buffer_ms(c);
  j["latency_mode"] = c.latency_mode.empty() ? json(nullptr) : json(c.latency_mode);
  j["jitter_buffer_ms"] = jitter < 0 ? json(nullptr) : json(jitter);
  return j;
}

}  // namespace camrelay::config
