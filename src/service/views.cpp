// JSON views of the manager's snapshots, as served by the REST API.
#include "camrelay/media/audio_plan.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <cmath>
#include <variant>

namespace camrelay::service {
namespace {
using nlohmann::json;

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// When a retry loop (source rebuild, RTSP reconnect, BCGH re-offer) tries next: the unix
// time (s) and how long until then (ms).
void put_next_attempt(json& j, std::int64_t next_attempt_unix_ms) {
  j["next_attempt_at"] = next_attempt_unix_ms / 1000.0;
  j["retry_in_ms"] = std::max<std::int64_t>(0, next_attempt_unix_ms - unix_now_ms());
}

json to_json(const model::RtpFigures& f) {
  json j = {{"type", "rtp"},
            {"negotiation", f.negotiation},
            {"video_port", f.video_port},
            {"rtcp_port", f.rtcp_port},
            {"packets", f.packets},
            {"bytes", f.bytes},
            {"rtcp_received", f.rtcp_received},
            {"remb_enabled", f.remb_enabled},
            {"rembs_sent", f.rembs_sent},
            {"last_remb_kbps", f.last_remb_kbps},
            {"target_kbps", f.target_kbps},
            {"firs_sent", f.firs_sent},
            {"plis_sent", f.plis_sent},
            {"ssrc_changes", f.ssrc_changes},
            {"receiving", f.receiving},
            {"camera_ssrc", or_null(f.camera_ssrc)},
            {"last_rtp_ms_ago", or_null(f.last_rtp_ms_ago)}};
  if (f.audio) {
    j["audio_port"] = f.audio_port;
    j["audio_packets"] = f.audio_packets;
    j["audio_encoding"] = or_null(f.audio_encoding);
  }
  j["rtp_from"] = or_null(f.rtp_from);
  j["rtcp_to"] = or_null(f.rtcp_to);
  j["rtcp_to_origin"] = f.rtcp_to_origin;
  return j;
}

json to_json(const model::CompositeFigures& f) {
  json inputs = json::array();
  for (const auto& in : f.inputs) {
    inputs.push_back({{"camera", in.camera}, {"live", in.live}, {"why", in.why.empty() ? json(nullptr) : json(in.why)},
                      {"frames", in.frames}});
  }
  return {{"type", "composite"}, {"layout", f.layout}, {"width", f.width}, {"height", f.height}, {"inputs", inputs}};
}

json to_json(const model::RtspFigures& f) {
  json j = {{"url", f.url},
            {"transport", f.transport},
            {"latency_ms", f.latency_ms},
            {"connected", f.connected},
            {"reconnects", f.reconnects},
            {"audio_encoding", or_null(f.audio_encoding)},
            {"retry_in_ms", 0},
            {"next_attempt_at", nullptr},
            {"last_error", or_null(f.last_error)}};
  if (f.next_attempt_unix_ms > 0) put_next_attempt(j, f.next_attempt_unix_ms);
  return j;
}

json to_json(const model::HlsFigures& f) {
  json j = {{"state", f.state},   {"requests", f.requests}, {"segments_written", f.segments_written},
            {"dropped_buffers", f.dropped_buffers}, {"idle_s", f.idle_s}, {"always", f.always},
            {"playlist", f.playlist}};
  if (f.error) j["error"] = *f.error;
  return j;
}

json to_json(const model::MjpegFigures& f) {
  json j = {{"state", f.state},
            {"clients", f.clients},
            {"frames_encoded", f.frames_encoded},
            {"frames_sent", f.frames_sent},
            {"frames_skipped", f.frames_skipped},
            {"dropped_buffers", f.dropped_buffers},
            {"fps", f.fps},
            {"quality", f.quality},
            {"last_frame_bytes", f.last_frame_bytes}};
  if (f.width) j["width"] = *f.width;
  if (f.height) j["height"] = *f.height;
  if (f.error) j["error"] = *f.error;
  return j;
}

json to_json(const model::RtspServeFigures& f) {
  json j = {{"state", f.state},
            {"clients", f.clients},
            {"units", f.units},
            {"bytes", f.bytes},
            {"dropped_buffers", f.dropped_buffers}};
  if (f.error) j["error"] = *f.error;
  return j;
}

json to_json(const model::TranscodeFigures& f) {
  json j = {{"state", "running"}, {"from", f.from}, {"codec", f.codec}};
  if (f.bitrate) j["bitrate"] = *f.bitrate;
  if (f.bitrate_kbps) j["bitrate_kbps"] = *f.bitrate_kbps;
  // 0: the camera's own size
  if (f.width) j["width"] = *f.width > 0 ? json(*f.width) : json("camera");
  if (f.height) j["height"] = *f.height > 0 ? json(*f.height) : json("camera");
  if (f.deadline) j["deadline"] = *f.deadline;
  if (f.fps) j["fps"] = *f.fps;
  if (f.encoder) j["encoder"] = *f.encoder;
  j["viewers"] = f.viewers;
  j["frames_out"] = f.frames_out;
  j["dropped_in"] = f.dropped_in;
  j["keyframes_requested"] = f.keyframes_requested;
  j["uptime_s"] = std::round(f.uptime_s * 10) / 10;
  return j;
}

json to_json(const model::WebrtcSendFigures& f) {
  return {{"state", "running"},          {"codec", f.codec},
          {"viewers", f.viewers},        {"frames_in", f.frames_in},
          {"packets_out", f.packets_out}, {"dropped_in", f.dropped_in},
          {"replays", f.replays},        {"send_threads", f.send_threads},
          {"dropped_out", f.dropped_out}, {"uptime_s", std::round(f.uptime_s * 10) / 10}};
}

json to_json(const model::RecorderFigures& f) {
  json j = {{"state", f.state},
            {"file", f.file.empty() ? json(nullptr) : json(f.file)},
            {"audio", f.audio.empty() ? json(nullptr) : json(f.audio)},
            {"files", f.files},
            {"dropped_buffers", f.dropped_buffers},
            {"uptime_s", std::round(f.uptime_s * 10) / 10}};
  if (f.error) j["error"] = *f.error;
  return j;
}

// UTC, ISO 8601 with milliseconds: 2026-11-30T23:50:00.123Z.
std::string iso_utc_ms(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, int(unix_ms % 1000));
}

// "source" of GET /streams/{id}: the source's own figures; the stream's retries where the
// source says nothing of its own; the running outputs; a BCGH session's figures last (its
// re-offer state is the one that matters for such a camera).
json to_json(const model::SourceFigures& f) {
  json j = json::object();
  if (const auto* rtp = std::get_if<model::RtpFigures>(&f.source)) j = to_json(*rtp);
  if (const auto* rtsp = std::get_if<model::RtspFigures>(&f.source)) j = to_json(*rtsp);
  if (const auto* comp = std::get_if<model::CompositeFigures>(&f.source)) j = to_json(*comp);
  if (f.restarts > 0) {
    j["restarts"] = f.restarts;
    if (!j.contains("last_error") || j["last_error"].is_null()) j["last_error"] = f.last_error;
    if (f.next_attempt_unix_ms > 0) put_next_attempt(j, f.next_attempt_unix_ms);
  }
  if (!f.outputs.empty()) {
    json out = json::object();
    for (const auto& o : f.outputs) out[o.kind] = std::visit([](const auto& x) { return to_json(x); }, o.figures);
    j["outputs"] = std::move(out);
  }
  if (const auto& b = f.bcgh) {
    j["keepalives_sent"] = b->keepalives_sent;
    j["keepalives_failed"] = b->keepalives_failed;
    j["offers_sent"] = b->offers_sent;
    j["reoffers"] = b->reoffers;
    j["answers_accepted"] = b->answers_accepted;
    j["answers_rejected"] = b->answers_rejected;
    j["bcgh_session_id"] = b->session_id;
    j["offer_address"] = b->offer_address;
    j["answered"] = b->answered;
    j["last_answer_rejection"] = or_null(b->last_answer_rejection);
    j["camera_sends_from"] = or_null(b->camera_sends_from);
    if (b->audio) j["answer_audio"] = or_null(b->answer_audio);
    if (b->last_error) j["last_error"] = *b->last_error;
    if (b->next_attempt_unix_ms > 0) put_next_attempt(j, b->next_attempt_unix_ms);
  }
  return j;
}
}  // namespace

nlohmann::json to_json(const RecordingInfo& r) {
  json j = {{"mode", r.mode}, {"state", r.state}};
  j["reason"] = r.reason.empty() ? json(nullptr) : json(r.reason);
  j["since"] = r.since_unix_ms ? json(iso_utc_ms(r.since_unix_ms)) : json(nullptr);
  j["until"] = r.until_unix_ms ? json(iso_utc_ms(r.until_unix_ms)) : json(nullptr);
  j["error"] = r.error.empty() ? json(nullptr) : json(r.error);
  j["recorder"] = r.recorder ? to_json(*r.recorder) : json(nullptr);
  return j;
}


namespace {
std::uint64_t total_bytes_out(const model::StreamCounters& c) {
  std::uint64_t n = 0;
  for (const auto& [proto, bytes] : c.bytes_out) n += bytes;
  return n;
}
}  // namespace

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
        {"profile", s.stats.profile},
        {"fps", s.stats.fps},
        // seed 002's stream statistics, for this session
        {"client_count", s.viewers},
        {"total_bytes_streamed", total_bytes_out(s.session_counters)},
        {"current_bitrate", static_cast<std::int64_t>(s.stats.bitrate_kbps * 1000.0)},
        {"frame_drops", s.session_counters.pipeline_drops + s.session_counters.reader_drops},
        {"errors", s.session_counters.source_restarts},
        {"uptime", static_cast<std::int64_t>(s.uptime_s)}}},
      {"stalled", s.stalled},
      {"stalls", s.stalls},
  };
  // The camera's audio as it enters the audio tee; null: none seen (or audio off).
  j["audio"] = s.audio.codec.empty()
                   ? nlohmann::json(nullptr)
                   : nlohmann::json{{"codec", s.audio.codec},
                                    {"clock_rate", s.audio.clock_rate},
                                    {"channels", s.audio.channels},
                                    {"packets", s.audio.packets},
                                    {"webrtc", media::webrtc_audio_plan(s.audio.codec)}};
  // The camera's video codec; "transcode": the shared H.265 → H.264 transcoder H.264-only
  // readers get (WebRTC without H.265, HLS), "h264" while it runs, else null.
  bool h264_transcode = false;
  for (const auto& o : s.source.outputs) h264_transcode = h264_transcode || o.kind == "h264";
  j["video"] = {{"codec", s.video_codec},
                {"transcode", h264_transcode ? nlohmann::json("h264") : nlohmann::json(nullptr)}};
  j["target_kbps"] = s.target_kbps;
  j["source"] = to_json(s.source);
  j["recording"] = to_json(s.recording);
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
                      {"state", model::to_string(v.state)},
                      {"quality", model::to_string(v.quality)}};
  if (!is_webrtc(v.kind)) {
    // MJPEG pictures are made from the camera's video; RTSP carries it as it is, and so does
    // HLS, except for an H.265 camera's TS variant (H.264 from the shared transcode; its
    // fMP4 variant is the H.265 as it is) and the sub stream (H.264 re-encoded smaller).
    // None has audio.
    const bool mjpeg = v.kind == ReaderKind::mjpeg;
    const bool sub = v.quality == model::Quality::sub;
    const bool hls_of_h265 =
        v.kind == ReaderKind::hls && v.camera_codec == "H265" && v.hls_format == model::HlsFormat::ts;
    j["ice_state"] = nullptr;
    j["video"] = {{"codec", mjpeg ? "JPEG" : (hls_of_h265 || sub) ? "H264" : v.camera_codec},
                  {"mode", mjpeg || hls_of_h265 || sub ? "transcoded" : "passthrough"}};
    j["audio"] = nullptr;
    nlohmann::json st = {{"bytes_sent", v.http.bytes_sent}};
    if (mjpeg) {
      st["frames_sent"] = v.http.frames_sent;
      st["frames_skipped"] = v.http.frames_skipped;
    } else if (v.kind == ReaderKind::rtsp || v.kind == ReaderKind::composite) {
      st["frames_sent"] = v.http.frames_sent;  // H.264 access units handed to the client's RTSP media
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
                {"replayed_frames", s.replayed_frames},
                {"nacks_received", s.nacks_received},
                {"retransmitted", s.retransmitted},
                {"send_errors", s.send_errors}};
  return j;
}

nlohmann::json to_json(const RecordingDisk& d) {
  json j = {{"dir", d.dir},
            {"free_mb", d.free_bytes / (1024 * 1024)},
            {"min_free_mb", d.min_free_bytes / (1024 * 1024)},
            {"writable", d.writable},
            {"paused", d.paused},
            {"files", d.files},
            {"bytes", d.bytes},
            {"deleted_by_retention", d.deleted_by_retention}};
  j["error"] = d.error.empty() ? json(nullptr) : json(d.error);
  j["last_check"] = d.last_check_unix_ms ? json(iso_utc_ms(d.last_check_unix_ms)) : json(nullptr);
  return j;
}

nlohmann::json to_json(const store::RecordingRow& r) {
  const std::string id = std::to_string(r.id);
  json j = {{"id", r.id},
            {"camera", r.camera_id},
            {"session_id", r.session_id},
            {"reason", r.reason},
            {"status", r.status},
            {"start", iso_utc_ms(r.start_ms)},
            {"start_ms", r.start_ms},
            {"duration_s", std::round(double(r.duration_ms) / 100.0) / 10.0},
            {"bytes", r.bytes},
            {"file", std::filesystem::path(r.path).filename().string()},
            {"content_type", "video/mp4"},
            {"url", "/recordings/" + id},
            {"thumbnail_url", "/recordings/" + id + "/thumbnail.jpg"}};
  j["end"] = r.end_ms ? json(iso_utc_ms(*r.end_ms)) : json(nullptr);
  j["end_ms"] = r.end_ms ? json(*r.end_ms) : json(nullptr);
  return j;
}

nlohmann::json to_json(const HealthInfo& h) {
  json j = {{"status", h.status},
            {"active_streams", h.active_streams},
            {"total_viewers", h.total_viewers},
            {"uptime_s", h.uptime_s},
            {"subsystems", {{"gstreamer", h.gstreamer}, {"database", h.database}, {"mqtt", h.mqtt}}},
            {"stalled_streams", h.stalled_streams}};
  if (h.recording_disk) {
    json rec = to_json(*h.recording_disk);
    rec["cameras"] = h.recording_errors;
    j["recording"] = rec;
    j["subsystems"]["recording"] = h.recording_errors.empty() ? "ok" : "error: " + h.recording_errors.begin()->second;
  }
  return j;
}

}  // namespace camrelay::service
