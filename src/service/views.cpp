// JSON views of the manager's snapshots, as served by the REST API.
#include "camrelay/service/stream_manager.hpp"

namespace camrelay::service {

nlohmann::json to_json(const StreamInfo& s) {
  nlohmann::json j = {
      {"camera_id", s.camera_id},
      {"name", s.name},
      {"source_type", s.source_type},
      {"state", to_string(s.state)},
      {"status", to_string(s.state)},  // seed-000 name for the same field
      {"active", s.state == StreamState::active},
      {"auto_start", s.auto_start},
      {"session_id", s.session_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.session_id)},
      {"started_at", s.started_at ? nlohmann::json(s.started_at) : nlohmann::json(nullptr)},
      {"stopped_at", s.stopped_at ? nlohmann::json(s.stopped_at) : nlohmann::json(nullptr)},
      {"uptime_s", s.uptime_s},
      {"viewers", s.viewers},
      {"bandwidth", {{"min_kbps", s.bandwidth.min_kbps}, {"max_kbps", s.bandwidth.max_kbps}}},
      {"stats",
       {{"frames", s.stats.frames},
        {"keyframes", s.stats.keyframes},
        {"bytes", s.stats.bytes},
        {"bitrate_kbps", s.stats.bitrate_kbps},
        {"dropped_buffers", s.stats.dropped_sink_buffers},
        {"width", s.stats.width},
        {"height", s.stats.height},
        {"profile", s.stats.profile}}},
  };
  j["error"] = s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error);
  return j;
}

nlohmann::json to_json(const HealthInfo& h) {
  return {{"status", h.status},
          {"active_streams", h.active_streams},
          {"total_viewers", h.total_viewers},
          {"uptime_s", h.uptime_s},
          {"subsystems", {{"gstreamer", h.gstreamer}, {"database", h.database}, {"mqtt", h.mqtt}}}};
}

}  // namespace camrelay::service
