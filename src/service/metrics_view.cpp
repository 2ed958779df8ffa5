// The cameras' figures as Prometheus metric families (metrics_view.hpp).
#include "camrelay/service/metrics_view.hpp"

#include <array>
#include <map>
#include <string>

#include "camrelay/metrics/metrics.hpp"

namespace camrelay::service {
namespace {
using metrics::add;
using metrics::counter;
using metrics::gauge;

constexpr std::array<StreamState, 6> kStates = {StreamState::stopped,      StreamState::starting,
                                                StreamState::active,       StreamState::reconnecting,
                                                StreamState::stopping,     StreamState::error};
constexpr std::array<const char*, 5> kProtocols = {"webrtc", "hls", "mjpeg", "rtsp", "composite"};

std::uint64_t of(const std::map<std::string, std::uint64_t>& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}
}  // namespace

std::vector<prometheus::MetricFamily> metric_families(const std::vector<StreamInfo>& streams,
                                                      const HealthInfo& health) {
  auto by_state = gauge("camrelay_streams", "Cameras by stream state");
  auto info = gauge("camrelay_stream_info", "A camera: its name and source type (value 1)");
  auto state = gauge("camrelay_stream_state", "The camera's stream state (1 for the current state)");
  auto stalled = gauge("camrelay_stream_stalled", "1 while the camera has readers but no frame for health.stall_s");
  auto stalls = counter("camrelay_stream_stalls_total", "Stall episodes (readers but no frames) since the daemon started");
  auto viewers = gauge("camrelay_viewers", "Readers watching the camera, by protocol");
  auto joined = counter("camrelay_viewers_joined_total", "Readers that joined the camera, by protocol");
  auto frames = counter("camrelay_stream_frames_total", "Video frames received from the camera");
  auto keyframes = counter("camrelay_stream_keyframes_total", "Keyframes received from the camera (each one is forwarded to every reader)");
  auto bytes_in = counter("camrelay_stream_received_bytes_total", "Video bytes received from the camera");
  auto bytes_out = counter("camrelay_stream_sent_bytes_total", "Bytes sent to the camera's readers, by protocol");
  auto drops = counter("camrelay_frame_drops_total",
                       "Frames dropped: stage pipeline (the stream's own queue), reader (slow readers' queues)");
  auto key_req = counter("camrelay_keyframe_requests_total",
                         "Keyframe requests: from_viewers (PLI/FIR of browsers), to_camera (PLI/FIR sent to RTP cameras)");
  auto remb = gauge("camrelay_remb_bytes_per_second", "The bitrate last asked of an RTP camera by REMB, in bytes per second");
  auto rembs = counter("camrelay_rembs_sent_total", "REMB messages sent to an RTP camera");
  auto restarts = counter("camrelay_source_restarts_total", "Times the camera's source was rebuilt or reconnected");
  auto bitrate = gauge("camrelay_stream_received_bytes_per_second", "Video bitrate from the camera over the last second, in bytes per second");
  auto fps = gauge("camrelay_stream_fps", "Video frames per second from the camera over the last second");
  auto uptime = gauge("camrelay_stream_uptime_seconds", "Time since the stream's first frame (0 when not running)");
  auto target = gauge("camrelay_stream_target_bytes_per_second",
                      "The bitrate the camera's viewers can take (lowest estimate, within its bandwidth limits), in bytes per second");

  std::map<StreamState, int> counts;
  for (const auto& s : streams) {
    const std::string_view cam = s.camera_id;
    const auto& c = s.counters;
    counts[s.state]++;
    add(info, {{"camera", cam}, {"name", s.name}, {"source", s.source_type}}, 1);
    for (auto st : kStates) add(state, {{"camera", cam}, {"state", to_string(st)}}, st == s.state ? 1 : 0);
    add(stalled, {{"camera", cam}}, s.stalled ? 1 : 0);
    add(stalls, {{"camera", cam}}, double(s.stalls));
    for (const char* p : kProtocols) {
      auto it = s.viewers_by_protocol.find(p);
      add(viewers, {{"camera", cam}, {"protocol", p}}, it == s.viewers_by_protocol.end() ? 0 : it->second);
      add(joined, {{"camera", cam}, {"protocol", p}}, double(of(c.readers_joined, p)));
      add(bytes_out, {{"camera", cam}, {"protocol", p}}, double(of(c.bytes_out, p)));
    }
    add(frames, {{"camera", cam}}, double(c.frames_in));
    add(keyframes, {{"camera", cam}}, double(c.keyframes_in));
    add(bytes_in, {{"camera", cam}}, double(c.bytes_in));
    add(drops, {{"camera", cam}, {"stage", "pipeline"}}, double(c.pipeline_drops));
    add(drops, {{"camera", cam}, {"stage", "reader"}}, double(c.reader_drops));
    add(key_req, {{"camera", cam}, {"direction", "from_viewers"}}, double(c.keyframe_requests_from_viewers));
    add(key_req, {{"camera", cam}, {"direction", "to_camera"}}, double(c.keyframe_requests_to_camera));
    add(restarts, {{"camera", cam}}, double(c.source_restarts));
    if (s.source_type == "rtp") {
      int last_remb = 0;
      if (const auto* rtp = std::get_if<model::RtpFigures>(&s.source.source)) last_remb = rtp->last_remb_kbps;
      add(remb, {{"camera", cam}}, last_remb * 1000.0 / 8.0);
      add(rembs, {{"camera", cam}}, double(c.rembs_sent));
    }
    const bool running = is_running(s.state);
    add(bitrate, {{"camera", cam}}, running ? s.stats.bitrate_kbps * 1000.0 / 8.0 : 0);
    add(fps, {{"camera", cam}}, running ? s.stats.fps : 0);
    add(uptime, {{"camera", cam}}, running ? s.uptime_s : 0);
    add(target, {{"camera", cam}}, running ? s.target_kbps * 1000.0 / 8.0 : 0);
  }
  for (auto st : kStates) add(by_state, {{"state", to_string(st)}}, counts[st]);

  auto mqtt = gauge("camrelay_mqtt_connected", "1 while connected to the MQTT broker (BCGH cameras); absent when MQTT is off");
  if (health.mqtt != "disabled") add(mqtt, {}, health.mqtt == "connected" ? 1 : 0);
  auto healthy = gauge("camrelay_healthy", "1 when GET /health says healthy, 0 when degraded");
  add(healthy, {}, health.status == "healthy" ? 1 : 0);

  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&by_state, &info, &state, &stalled, &stalls, &viewers, &joined, &frames, &keyframes, &bytes_in,
                  &bytes_out, &drops, &key_req, &remb, &rembs, &restarts, &bitrate, &fps, &uptime, &target, &mqtt,
                  &healthy}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace camrelay::service
