// JSON views of the manager's snapshots, as served by the REST API.
#include "camrelay/media/audio_plan.hpp"
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
      {"startup_ms", s.startup_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.startup_ms)},
      {"viewers", s.viewers},
      {"viewers_by_protocol", s.viewers_by_protocol},
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
  // The camera's audio as it enters the audio tee; null: none seen (or audio off).
  j["audio"] = s.audio.codec.empty()
                   ? nlohmann::json(nullptr)
                   : nlohmann::json{{"codec", s.audio.codec},
                                    {"clock_rate", s.audio.clock_rate},
                                    {"channels", s.audio.channels},
                                    {"packets", s.audio.packets},
                                    {"webrtc", media::webrtc_audio_plan(s.audio.codec)}};
  j["target_kbps"] = s.target_kbps;
  j["source"] = nlohmann::json::parse(s.source_json, nullptr, false);
  if (j["source"].is_discarded()) j["source"] = nlohmann::json::object();
  j["error"] = s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error);
  return j;
}

nlohmann::json to_json(const ViewerInfo& v) {
  nlohmann::json j = {{"viewer_id", v.id},
                      {"camera_id", v.camera_id},
                      {"stream_session_id", v.session_id},
                      {"kind", to_string(v.kind)},
                      {"protocol", protocol_of(v.kind)},
                      {"user_agent", v.user_agent},
                      {"ip_address", v.ip},
                      {"connected_at", v.connected_at},
                      {"state", model::to_string(v.state)}};
  if (!is_webrtc(v.kind)) {
    // MJPEG pictures are made from the camera's video; HLS carries it as it is. Neither
    // has audio.
    const bool mjpeg = v.kind == ReaderKind::mjpeg;
    j["ice_state"] = nullptr;
    j["video"] = {{"codec", mjpeg ? "JPEG" : "H264"}, {"mode", mjpeg ? "transcoded" : "passthrough"}};
    j["audio"] = nullptr;
    nlohmann::json st = {{"bytes_sent", v.http.bytes_sent}};
    if (mjpeg) {
      st["frames_sent"] = v.http.frames_sent;
      st["frames_skipped"] = v.http.frames_skipped;
    } else {
      st["segments_sent"] = v.http.frames_sent;
      st["requests"] = v.http.requests;
      st["segments_missed"] = v.http.segments_missed;
      st["idle_ms"] = v.http.idle_ms;
    }
    j["stats"] = std::move(st);
    return j;
  }
  const auto& s = v.stats;
  auto opt = [](double x) { return x < 0 ? nlohmann::json(nullptr) : nlohmann::json(x); };
  j["ice_state"] = s.ice_state;
  j["video"] = {{"codec", s.video_codec}, {"mode", s.video_transcoded ? "transcoded" : "passthrough"}};
  j["audio"] = s.audio_codec.empty() ? nlohmann::json(nullptr)
                                     : nlohmann::json{{"codec", s.audio_codec},
                                                      {"mode", s.audio_transcoded ? "transcoded" : "passthrough"}};
  j["stats"] = {{"bytes_sent", s.bytes_sent},
                {"packets_sent", s.packets_sent},
                {"packets_lost", s.packets_lost},
                {"fraction_lost", s.fraction_lost},
                {"rtt_ms", opt(s.rtt_ms)},
                {"jitter_ms", opt(s.jitter_ms)},
                {"send_kbps", s.send_kbps},
                {"twcc_recv_kbps", opt(s.twcc_recv_kbps)},
                {"twcc_loss_pct", opt(s.twcc_loss_pct)},
                {"estimated_kbps", s.estimated_kbps},
                {"dropped_buffers", s.dropped_buffers},
                {"keyframe_requests", s.keyframe_requests},
                {"replayed_frames", s.replayed_frames}};
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
