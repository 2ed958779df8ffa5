// validate(): every range and cross-field rule, on the final (file + env + CLI) values.
#include <cstdio>
#include <functional>
#include <iterator>
#include <set>
#include <utility>

#include "camrelay/config/config.hpp"
#include "camrelay/util/ids.hpp"
#include "detail.hpp"

namespace camrelay::config {
namespace detail {
namespace {

void check_int(const std::string& path, std::int64_t v, const IntRange& r) {
  if (v < r.lo || v > r.hi) fail(path, int_range_msg(r) + " (got " + std::to_string(v) + ")");
}

void check_real(const std::string& path, double v, const RealRange& r) {
  if (!(v >= r.lo && v <= r.hi)) fail(path, real_range_msg(r) + " (got " + fmt_real(v) + ")");
}

template <std::size_t N>
void check_enum(const std::string& path, const std::string& v, const std::string_view (&a)[N]) {
  if (!in_list(v, a)) fail(path, one_of_msg(a) + " (got " + quote(v) + ")");
}

void check_non_empty(const std::string& path, const std::string& v) {
  if (v.empty()) fail(path, "must not be empty");
}

void check_dim(const std::string& path, int v, bool even) {
  check_int(path, v, kVideoDim);
  if (even && v % 2 != 0) fail(path, "must be even (got " + std::to_string(v) + ")");
}

void check_tls(const Http& h);

void check_http(const Http& h) {
  check_non_empty("http.host", h.host);
  check_int("http.port", h.port, kPort);
  check_int("http.signaling_port", h.signaling_port, kPortOrZero);
  if (h.signaling_port != 0 && h.signaling_port == h.port) {
    fail("http.signaling_port", "must differ from http.port (use 0 to serve /signaling on "
                                "http.port) (got " + std::to_string(h.signaling_port) + ")");
  }
  check_int("http.body_limit_bytes", static_cast<std::int64_t>(h.body_limit_bytes), kBodyLimit);
  check_int("http.header_timeout_s", h.header_timeout_s, kHeaderTimeout);
  check_int("http.idle_timeout_s", h.idle_timeout_s, kIdleTimeout);
  check_int("http.threads", h.threads, kHttpThreads);
  check_int("http.rate_limit_per_s", h.rate_limit_per_s, kRateLimit);
  check_int("http.rate_limit_burst", h.rate_limit_burst, kRateBurst);
  check_int("http.max_connections_per_ip", h.max_connections_per_ip, kConnectionsPerIp);
  for (std::size_t i = 0; i < h.cors_origins.size(); ++i) {
    const auto& o = h.cors_origins[i];
    const bool ok = o == "*" || ((o.rfind("http://", 0) == 0 || o.rfind("https://", 0) == 0) &&
                                 o.find('/', o.find("://") + 3) == std::string::npos && o.size() > 8);
    if (!ok) {
      fail("http.cors_origins[" + std::to_string(i) + "]",
           "must be \"*\" or scheme://host[:port] without a path (got " + quote(o) + ")");
    }
  }
  check_tls(h);
}

void check_tls(const Http& h) {
  const Tls& t = h.tls;
  const bool signaling_tls = t.signaling.value_or(t.enabled);
  if (t.enabled || (signaling_tls && h.signaling_port != 0)) {
    if (t.cert.empty()) fail("http.tls.cert", "is required with TLS on (a PEM certificate file; env SSL_CERT)");
    if (t.key.empty()) fail("http.tls.key", "is required with TLS on (a PEM private key file; env SSL_KEY)");
  }
  if (t.signaling && *t.signaling != t.enabled && h.signaling_port == 0) {
    fail("http.tls.signaling",
         std::string("cannot differ from http.tls.enabled while signaling is served on http.port "
                     "(set http.signaling_port / SIGNALING_SERVER_PORT for a separate ") +
             (*t.signaling ? "WSS" : "plain WS") + " port)");
  }
}

void check_auth(const Auth& a) {
  check_int("auth.session_ttl_s", a.session_ttl_s, kSessionTtl);
  check_int("auth.viewer_token_max_ttl_s", a.viewer_token_max_ttl_s, kViewerTokenTtl);
  check_int("auth.login_failures_before_backoff", a.login_failures_before_backoff, kLoginFailures);
}

void check_webrtc(const Webrtc& w) {
  for (std::size_t i = 0; i < w.ice_servers.size(); ++i) {
    const std::string p = "webrtc.ice_servers[" + std::to_string(i) + "].url";
    const auto& url = w.ice_servers[i].url;
    if (!starts_with_any(url, kIceSchemes) || url.size() <= url.find(':') + 1) {
      fail(p, "must be stun:host[:port], stuns:, turn: or turns: (got " + quote(url) + ")");
    }
  }
  for (std::size_t i = 0; i < w.announced_ips.size(); ++i) {
    check_non_empty("webrtc.announced_ips[" + std::to_string(i) + "]", w.announced_ips[i]);
  }
  for (std::size_t i = 0; i < w.local_ips.size(); ++i) {
    check_non_empty("webrtc.local_ips[" + std::to_string(i) + "]", w.local_ips[i]);
  }
  if (w.udp_port_min != 0 || w.udp_port_max != 0) {
    const std::string rule = "udp_port_min/udp_port_max must both be 0 (any port) or "
                             "satisfy 1024 <= min <= max <= 65535";
    if (w.udp_port_min < 1024 || w.udp_port_min > 65535) {
      fail("webrtc.udp_port_min", rule + " (got " + std::to_string(w.udp_port_min) + ")");
    }
    if (w.udp_port_max < w.udp_port_min || w.udp_port_max > 65535) {
      fail("webrtc.udp_port_max", rule + " (got min " + std::to_string(w.udp_port_min) +
                                      ", max " + std::to_string(w.udp_port_max) + ")");
    }
  }
  check_int("webrtc.max_viewers_per_stream", w.max_viewers_per_stream, kViewersPerStream);
  check_int("webrtc.max_viewers_per_ip", w.max_viewers_per_ip, kViewersPerIp);
  check_int("webrtc.max_viewers_total", w.max_viewers_total, kViewersTotal);
  check_int("webrtc.rtcp_timeout_s", w.rtcp_timeout_s, kRtcpTimeout);
  check_int("webrtc.disconnect_grace_s", w.disconnect_grace_s, kDisconnectGrace);
  check_int("webrtc.connect_timeout_s", w.connect_timeout_s, kConnectTimeout);
  check_int("webrtc.vp8_bitrate_kbps", w.vp8_bitrate_kbps, kVp8Bitrate);
  check_int("webrtc.vp8_width", w.vp8_width, kVp8Size);
  check_int("webrtc.vp8_height", w.vp8_height, kVp8Size);
  check_enum("webrtc.send_path", w.send_path, kSendPaths);
  if ((w.vp8_width == 0) != (w.vp8_height == 0) || (w.vp8_width % 2) || (w.vp8_height % 2)) {
    fail("webrtc.vp8_width", "vp8_width and vp8_height must both be 0 (the camera's size) or both even sizes (got " +
                                 std::to_string(w.vp8_width) + "x" + std::to_string(w.vp8_height) + ")");
  }
}

// A topic template: {prefix} and {camera_id} only, {camera_id} required, no wildcards.
void check_topic_template(const std::string& path, const std::string& t) {
  check_non_empty(path, t);
  if (t.find_first_of("+#") != std::string::npos) {
    fail(path, "must not contain the wildcards + or # (got " + quote(t) + ")");
  }
  for (std::size_t i = t.find('{'); i != std::string::npos; i = t.find('{', i + 1)) {
    const auto end = t.find('}', i);
    const std::string name = end == std::string::npos ? "" : t.substr(i + 1, end - i - 1);
    if (name != "prefix" && name != "camera_id") {
      fail(path, "may only use the placeholders {prefix} and {camera_id} (got " + quote(t) + ")");
    }
  }
  if (t.find("{camera_id}") == std::string::npos) {
    fail(path, "must contain {camera_id} (got " + quote(t) + ")");
  }
}

void check_topic_templates(const MqttTopics& t) {
  const std::pair<const char*, const std::string*> all[] = {
      {"offer", &t.offer}, {"answer", &t.answer}, {"keepalive", &t.keepalive},
      {"stop", &t.stop},   {"status", &t.status}};
  for (const auto& [name, v] : all) check_topic_template(std::string("mqtt.topics.") + name, *v);
  for (std::size_t i = 0; i < std::size(all); ++i) {
    for (std::size_t j = i + 1; j < std::size(all); ++j) {
      if (*all[i].second == *all[j].second) {
        fail(std::string("mqtt.topics.") + all[j].first,
             std::string("must differ from mqtt.topics.") + all[i].first + " (got " + quote(*all[j].second) + ")");
      }
    }
  }
}

void check_mqtt(const Mqtt& m) {
  if (!m.url.empty()) {
    if (!starts_with_any(m.url, kMqttSchemes)) {
      fail("mqtt.url", "must start with tcp://, ssl://, mqtt://, mqtts://, ws:// or wss:// (got " +
                           quote(m.url) + ")");
    }
    check_non_empty("mqtt.client_id", m.client_id);
  }
  check_non_empty("mqtt.topic_prefix", m.topic_prefix);
  if (m.topic_prefix.find_first_of("+#") != std::string::npos) {
    fail("mqtt.topic_prefix", "must not contain the wildcards + or # (got " + quote(m.topic_prefix) + ")");
  }
  check_int("mqtt.answer_timeout_s", m.answer_timeout_s, kMqttAnswerTimeout);
  check_int("mqtt.keepalive_interval_s", m.keepalive_interval_s, kMqttKeepalive);
  check_topic_templates(m.topics);
}

void check_rtp(const Rtp& r) {
  check_int("rtp.port_min", r.port_min, kPort);
  check_int("rtp.port_max", r.port_max, kPort);
  if (r.port_min % 2 != 0) {
    fail("rtp.port_min", "must be even (RTP uses even ports, RTCP the next odd one) (got " +
                             std::to_string(r.port_min) + ")");
  }
  if (r.port_max < r.port_min) {
    fail("rtp.port_max", "must be >= rtp.port_min (got min " + std::to_string(r.port_min) +
                             ", max " + std::to_string(r.port_max) + ")");
  }
  if (r.port_max - r.port_min + 1 < 4) {
    fail("rtp.port_max", "the range rtp.port_min..rtp.port_max must hold at least 4 ports (got " +
                             std::to_string(r.port_min) + ".." + std::to_string(r.port_max) + ")");
  }
}

void check_hls(const Hls& h) {
  check_real("hls.target_duration_s", h.target_duration_s, kHlsTargetDuration);
  check_int("hls.playlist_length", h.playlist_length, kHlsPlaylistLength);
  check_int("hls.max_files", h.max_files, kHlsMaxFiles);
  if (h.max_files < h.playlist_length) {
    fail("hls.max_files", "must be >= hls.playlist_length (" + std::to_string(h.playlist_length) +
                              ") (got " + std::to_string(h.max_files) + ")");
  }
  check_int("hls.idle_stop_s", h.idle_stop_s, kHlsIdleStop);
  check_int("hls.part_ms", h.part_ms, kHlsPartMs);
  if (h.part_ms != 0 && h.part_ms < kHlsPartMsMin) {
    fail("hls.part_ms", "must be 0 (no partial segments) or " + std::to_string(kHlsPartMsMin) + "..1000 (got " +
                            std::to_string(h.part_ms) + ")");
  }
}

void check_rtsp(const Rtsp& r, const Http& h) {
  check_int("rtsp.port", r.port, kPort);
  check_int("rtsp.grace_s", r.grace_s, kRtspGrace);
  const auto at = r.path.find("{id}");
  if (r.path.empty() || r.path[0] != '/' || at == std::string::npos ||
      r.path.find("{id}", at + 1) != std::string::npos) {
    fail("rtsp.path", "must start with '/' and contain {id} exactly once (got \"" + r.path + "\")");
  }
  if (r.path.find_first_of("?#") != std::string::npos) {
    fail("rtsp.path", "must not contain '?' or '#' (got \"" + r.path + "\")");
  }
  if (r.enabled && (r.host.empty() || r.host == h.host) && r.port == h.port) {
    fail("rtsp.port", "must differ from http.port (got " + std::to_string(r.port) + ")");
  }
}

void check_mjpeg(const Mjpeg& m) {
  check_int("mjpeg.fps", m.fps, kMjpegFps);
  check_int("mjpeg.quality", m.quality, kMjpegQuality);
  if (m.width != 0) check_int("mjpeg.width", m.width, kVideoDim);
  if (m.height != 0) check_int("mjpeg.height", m.height, kVideoDim);
}

void check_recording(const Recording& r) {
  check_int("recording.max_age_h", r.max_age_h, kRecordMaxAgeH);
  check_int("recording.max_total_mb", r.max_total_mb, kRecordMb);
  check_int("recording.min_free_mb", r.min_free_mb, kRecordMb);
  check_int("recording.check_interval_s", r.check_interval_s, kRecordCheck);
  check_int("recording.fragment_ms", r.fragment_ms, kRecordFragment);
}

void check_camera_record(const std::string& p, const CameraRecord& r) {
  check_enum(p + ".mode", r.mode, kRecordModes);
  check_int(p + ".segment_s", r.segment_s, kRecordSegment);
  check_int(p + ".max_age_h", r.max_age_h, kRecordMaxAgeH);
  check_int(p + ".max_mb", r.max_mb, kRecordMb);
}

}  // namespace

void check_encoding(const std::string& p, const H264Encoding& e, bool even) {
  check_dim(p + ".width", e.width, even);
  check_dim(p + ".height", e.height, even);
  check_int(p + ".fps", e.fps, kVideoFps);
  check_int(p + ".bitrate_kbps", e.bitrate_kbps, kVideoBitrate);
  check_real(p + ".keyframe_interval_s", e.keyframe_interval_s, kKeyframeInterval);
  check_encoder_keys(p, e.encoder, e.profile, e.preset);
}

void check_encoder_keys(const std::string& p, const std::string& encoder, const std::string& profile,
                        const std::string& preset) {
  check_enum(p + ".encoder", encoder, kEncoders);
  check_enum(p + ".profile", profile, kProfiles);
  check_enum(p + ".preset", preset, kPresets);
  const bool baseline = profile == "constrained-baseline" || profile == "baseline";
  if (!baseline && preset == "ultrafast") {
    fail(p + ".preset", "ultrafast cannot make profile " + quote(profile) +
                            " (it turns off CABAC and 8x8 transforms: x264 then writes a baseline SPS); "
                            "use superfast or slower, or auto");
  }
}

namespace {

void check_sub_stream(const std::string& p, const SubStream& s) {
  check_dim(p + ".width", s.width, true);
  check_dim(p + ".height", s.height, true);
  check_int(p + ".fps", s.fps, kVideoFpsOrZero);
  check_int(p + ".bitrate_kbps", s.bitrate_kbps, kVideoBitrate);
  check_real(p + ".keyframe_interval_s", s.keyframe_interval_s, kKeyframeInterval);
  check_encoder_keys(p, s.encoder, s.profile, s.preset);
}

void check_source(const std::string& p, const TestSource& s, const Config&) {
  check_encoding(p, *own_encoding(s), true);
  check_non_empty(p + ".pattern", s.pattern);
}

void check_source(const std::string& p, const RtpSource& s, const Config& cfg) {
  check_enum(p + ".negotiation", s.negotiation, kNegotiations);
  check_int(p + ".video_port", s.video_port, kPortOrZero);
  if (s.negotiation == "static" && s.video_port == 0) {
    fail(p + ".video_port", "must be set (1..65535) when negotiation is \"static\"");
  }
  if (s.negotiation == "mqtt" && cfg.mqtt.url.empty()) {
    fail(p + ".negotiation",
         "\"mqtt\" needs an MQTT broker: set mqtt.url (or env MQTT_URL), or use "
         "negotiation \"static\"");
  }
  check_int(p + ".payload_type", s.payload_type, kPayloadType);
  check_enum(p + ".codec", s.codec, kVideoCodecs);
  check_int(p + ".clock_rate", s.clock_rate, kClockRate);
  check_int(p + ".rtp_timeout_s", s.rtp_timeout_s, kRtpTimeout);
  check_int(p + ".audio_port", s.audio_port, kPortOrZero);
  if (s.audio_port != 0) {
    if (s.negotiation != "static") {
      fail(p + ".audio_port", "only for negotiation \"static\" (with \"mqtt\" the audio ports are "
                              "video_port+2/+3; set audio: true) (got " + std::to_string(s.audio_port) + ")");
    }
    if (s.audio_port > 65534) {
      fail(p + ".audio_port", "must be <= 65534 (RTCP uses audio_port+1) (got " + std::to_string(s.audio_port) + ")");
    }
    if (s.audio_port + 1 >= s.video_port && s.audio_port <= s.video_port + 1) {
      fail(p + ".audio_port", "must not overlap video_port/video_port+1 (got " + std::to_string(s.audio_port) +
                                  ", video_port " + std::to_string(s.video_port) + ")");
    }
  }
  check_int(p + ".audio_payload_type", s.audio_payload_type, kPayloadType);
  check_enum(p + ".audio_codec", s.audio_codec, kAudioCodecs);
  check_int(p + ".audio_clock_rate", s.audio_clock_rate, kClockRate);
  if (s.audio_codec == "OPUS" && s.audio_clock_rate != 48000) {
    fail(p + ".audio_clock_rate", "must be 48000 for OPUS (RFC 7587) (got " + std::to_string(s.audio_clock_rate) + ")");
  }
}

void check_source(const std::string& p, const RtspSource& s, const Config&) {
  if (!s.url.empty()) {
    if (!s.url.starts_with("rtsp://") && !s.url.starts_with("rtsps://")) {
      fail(p + ".url", "must start with rtsp:// or rtsps:// (got " + quote(s.url) + ")");
    }
  } else if (s.host.empty()) {
    fail(p + ".url", "either url or host must be set");
  }
  check_int(p + ".port", s.port, kPort);
  check_enum(p + ".transport", s.transport, kRtspTransports);
  check_int(p + ".latency_ms", s.latency_ms, kRtspLatency);
  check_enum(p + ".codec", s.codec, kVideoCodecs);
}

void check_source(const std::string& p, const OnvifSource& s, const Config&) {
  if (!s.url.starts_with("http://")) fail(p + ".url", "must start with http:// (the device service) (got " + quote(s.url) + ")");
  const auto authority = s.url.substr(7, s.url.find('/', 7) == std::string::npos ? std::string::npos : s.url.find('/', 7) - 7);
  if (authority.empty()) fail(p + ".url", "has no host (got " + quote(s.url) + ")");
  if (authority.find('@') != std::string::npos) fail(p + ".url", "must not carry credentials: use username and password");
  if (s.password.size() && s.username.empty()) fail(p + ".username", "required with a password");
  check_enum(p + ".transport", s.transport, kRtspTransports);
  check_int(p + ".latency_ms", s.latency_ms, kRtspLatency);
  check_enum(p + ".codec", s.codec, kVideoCodecs);
}

void check_onvif(const Config& cfg) {
  const Onvif& o = cfg.onvif;
  check_int("onvif.discovery_port", o.discovery_port, kPort);
  for (std::size_t i = 0; i < o.interfaces.size(); ++i) {
    const auto& a = o.interfaces[i];
    int parts[4];
    char tail = 0;
    if (std::sscanf(a.c_str(), "%d.%d.%d.%d%c", &parts[0], &parts[1], &parts[2], &parts[3], &tail) != 4 ||
        parts[0] < 0 || parts[0] > 255 || parts[1] < 0 || parts[1] > 255 || parts[2] < 0 || parts[2] > 255 ||
        parts[3] < 0 || parts[3] > 255) {
      fail("onvif.interfaces[" + std::to_string(i) + "]", "must be an IPv4 address of this host (got " + quote(a) + ")");
    }
  }
  if (o.host.find_first_of("/@ ") != std::string::npos) fail("onvif.host", "must be a host name or address (got " + quote(o.host) + ")");
  check_non_empty("onvif.manufacturer", o.manufacturer);
  check_non_empty("onvif.model", o.model);
  if (!o.password.empty() && o.password.size() < 8) fail("onvif.password", "must be at least 8 characters");
  if (!o.password.empty()) check_non_empty("onvif.username", o.username);
  if (o.enabled && !cfg.rtsp.enabled) {
    fail("onvif.enabled", "needs rtsp.enabled: the stream URI an NVR gets is the RTSP re-serve's");
  }
}

void check_source(const std::string& p, const V4l2Source& s, const Config&) {
  check_non_empty(p + ".device", s.device);
  check_encoding(p, *own_encoding(s), false);
}

void check_source(const std::string& p, const CompositeSource& s, const Config& cfg) {
  check_enum(p + ".layout", s.layout, kCompositeLayouts);
  check_enum(p + ".grid", s.grid, kCompositeGrids);
  check_enum(p + ".position", s.position, kPipPositions);
  check_real(p + ".scale", s.scale, kPipScale);
  check_int(p + ".border", s.border, kPipBorder);
  check_encoding(p, *own_encoding(s), true);
  const std::size_t most = s.layout == "pip" ? 2 : s.grid == "3x3" ? 9 : 4;
  if (s.inputs.empty() || (s.layout == "pip" && s.inputs.size() != 2) || s.inputs.size() > most) {
    fail(p + ".inputs", s.layout == "pip"
                            ? "must name two cameras: the main picture and the inset (got " +
                                  std::to_string(s.inputs.size()) + ")"
                            : "must name 1.." + std::to_string(most) + " cameras for a " + s.grid + " grid (got " +
                                  std::to_string(s.inputs.size()) + ")");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    const std::string key = p + ".inputs[" + std::to_string(i) + "]";
    const std::string& id = s.inputs[i];
    if (!valid_camera_id(id)) fail(key, "must be a camera id (got " + quote(id) + ")");
    if (!seen.insert(id).second) fail(key, "names " + quote(id) + " twice");
    // A camera not (or no longer) configured is a missing input: its tile says "no signal"
    // and GET /streams/{id} says why (cameras come and go through the API).
    const Camera* in = cfg.find_camera(id);
    if (in && std::holds_alternative<CompositeSource>(in->source)) {
      fail(key, quote(id) + " is itself a composed camera (inputs must be cameras with a source of their own)");
    }
  }
}

void check_cameras(const Config& cfg) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < cfg.cameras.size(); ++i) {
    const Camera& c = cfg.cameras[i];
    const std::string p = "cameras[" + std::to_string(i) + "]";
    check_camera(p, c, cfg, [&seen](const std::string& id) { return !seen.insert(id).second; });
  }
}

}  // namespace

[[noreturn]] void fail_duplicate_id(const std::string& path, const std::string& id) {
  throw DuplicateIdError(path + ": duplicate id " + quote(id));
}

void check_camera(const std::string& path, const Camera& c, const Config& cfg,
                  const std::function<bool(const std::string&)>& id_taken) {
  const auto key = [&path](const char* k) { return path.empty() ? std::string(k) : path + "." + k; };
  if (!valid_camera_id(c.id)) fail(key("id"), "must match [A-Za-z0-9_-]{1,64} (got " + quote(c.id) + ")");
  if (id_taken(c.id)) fail_duplicate_id(key("id"), c.id);
  check_int(key("bandwidth.min_kbps"), c.bandwidth.min_kbps, kBandwidthKbps);
  check_int(key("bandwidth.max_kbps"), c.bandwidth.max_kbps, kBandwidthKbps);
  if (c.bandwidth.min_kbps > c.bandwidth.max_kbps) {
    fail(key("bandwidth.min_kbps"), "must be <= max_kbps (got min " + std::to_string(c.bandwidth.min_kbps) +
                                        ", max " + std::to_string(c.bandwidth.max_kbps) + ")");
  }
  if (const auto* comp = std::get_if<CompositeSource>(&c.source)) {
    for (std::size_t i = 0; i < comp->inputs.size(); ++i) {
      if (comp->inputs[i] == c.id) {
        fail(key("source") + ".inputs[" + std::to_string(i) + "]", "cannot name the camera itself (" + quote(c.id) + ")");
      }
    }
  }
  std::visit([&](const auto& s) { check_source(key("source"), s, cfg); }, c.source);
  check_camera_record(key("record"), c.record);
  if (!c.latency_mode.empty()) {
    check_enum(key("latency_mode"), c.latency_mode, kLatencyModes);
    if (jitter_buffer_ms(c) < 0) {
      fail(key("latency_mode"), std::string("only for rtp, rtsp and onvif cameras (it sets the ingest jitter buffer); this "
                                            "camera's source is ") + source_type_name(c.source));
    }
  }
  check_sub_stream(key("sub"), c.sub);
}

}  // namespace detail

void validate(const Config& cfg) {
  using namespace detail;
  check_non_empty("data_dir", cfg.data_dir);
  check_enum("log_level", cfg.log_level, kLogLevels);
  check_http(cfg.http);
  check_webrtc(cfg.webrtc);
  check_mqtt(cfg.mqtt);
  check_rtp(cfg.rtp);
  check_hls(cfg.hls);
  check_mjpeg(cfg.mjpeg);
  check_rtsp(cfg.rtsp, cfg.http);
  check_recording(cfg.recording);
  check_int("health.stall_s", cfg.health.stall_s, kStallS);
  check_auth(cfg.auth);
  check_onvif(cfg);
  check_cameras(cfg);
}

}  // namespace camrelay::config
