// JSON file -> Config. Every value is type-checked; errors name the key path.
#include <cstdint>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/util/ids.hpp"
#include "detail.hpp"

namespace camrelay::config {
namespace detail {
namespace {

using json = nlohmann::json;

std::string got(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return "(got " + s + ")";
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// "origin: " before a message; nothing for a document with no name (a REST request body).
std::string prefix(const std::string& origin) { return origin.empty() ? std::string() : origin + ": "; }

// Reads the members of one JSON object; remembers which keys were consumed so that
// finish() can reject the rest as unknown.
class Obj {
 public:
  Obj(const json& j, std::string path, const std::string& origin)
      : j_(j), path_(std::move(path)), origin_(origin) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw ConfigError(prefix(origin_) + join(path_, key) + ": " + problem);
  }
  std::string path(const std::string& key) const { return join(path_, key); }

  const json* find(const std::string& key) {
    known_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  bool get_i64(const std::string& key, std::int64_t& out, const IntRange& r) {
    const json* v = find(key);
    if (!v) return false;
    bool ok = false;
    std::int64_t x = 0;
    if (v->is_number_unsigned()) {
      auto u = v->get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        x = static_cast<std::int64_t>(u);
        ok = true;
      }
    } else if (v->is_number_integer()) {
      x = v->get<std::int64_t>();
      ok = true;
    }
    if (!ok || x < r.lo || x > r.hi) fail(key, int_range_msg(r) + " " + got(*v));
    out = x;
    return true;
  }
  bool get_int(const std::string& key, int& out, const IntRange& r) {
    std::int64_t x = 0;
    if (!get_i64(key, x, r)) return false;
    out = static_cast<int>(x);
    return true;
  }
  bool get_size(const std::string& key, std::size_t& out, const IntRange& r) {
    std::int64_t x = 0;
    if (!get_i64(key, x, r)) return false;
    out = static_cast<std::size_t>(x);
    return true;
  }
  bool get_real(const std::string& key, double& out, const RealRange& r) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_number()) fail(key, real_range_msg(r) + " " + got(*v));
    double x = v->get<double>();
    if (!(x >= r.lo && x <= r.hi)) fail(key, real_range_msg(r) + " " + got(*v));
    out = x;
    return true;
  }
  bool get_bool(const std::string& key, bool& out) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_boolean()) fail(key, "must be true or false " + got(*v));
    out = v->get<bool>();
    return true;
  }
  bool get_string(const std::string& key, std::string& out) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_string()) fail(key, "must be a string " + got(*v));
    out = v->get<std::string>();
    return true;
  }
  template <std::size_t N>
  bool get_enum(const std::string& key, std::string& out, const std::string_view (&allowed)[N]) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_string() || !in_list(v->get<std::string>(), allowed)) {
      fail(key, one_of_msg(allowed) + " " + got(*v));
    }
    out = v->get<std::string>();
    return true;
  }
  bool get_string_list(const std::string& key, std::vector<std::string>& out) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_array()) fail(key, "must be an array of strings " + got(*v));
    std::vector<std::string> list;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      if (!e.is_string()) {
        fail(key + "[" + std::to_string(i) + "]", "must be a string " + got(e));
      }
      list.push_back(e.get<std::string>());
    }
    out = std::move(list);
    return true;
  }
  // Returns the member if present, after checking that it is an object.
  const json* get_object(const std::string& key) {
    const json* v = find(key);
    if (v && !v->is_object()) fail(key, "must be an object " + got(*v));
    return v;
  }

  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!known_.count(it.key())) fail(it.key(), "unknown key");
    }
  }

 private:
  const json& j_;
  std::string path_;
  const std::string& origin_;
  std::set<std::string> known_;
};

void read_http(Obj o, Http& h, const std::string& origin) {
  o.get_string("host", h.host);
  o.get_int("port", h.port, kPort);
  o.get_int("signaling_port", h.signaling_port, kPortOrZero);
  o.get_string("web_root", h.web_root);
  o.get_size("body_limit_bytes", h.body_limit_bytes, kBodyLimit);
  o.get_int("header_timeout_s", h.header_timeout_s, kHeaderTimeout);
  o.get_int("idle_timeout_s", h.idle_timeout_s, kIdleTimeout);
  o.get_int("threads", h.threads, kHttpThreads);
  o.get_int("rate_limit_per_s", h.rate_limit_per_s, kRateLimit);
  o.get_int("rate_limit_burst", h.rate_limit_burst, kRateBurst);
  o.get_int("max_connections_per_ip", h.max_connections_per_ip, kConnectionsPerIp);
  if (const json* list = o.find("cors_origins")) {
    if (!list->is_array()) o.fail("cors_origins", "must be an array of origins " + got(*list));
    h.cors_origins.clear();
    for (const auto& x : *list) {
      if (!x.is_string()) o.fail("cors_origins", "must be an array of strings " + got(*list));
      h.cors_origins.push_back(x.get<std::string>());
    }
  }
  if (const json* v = o.get_object("tls")) {
    Obj t(*v, o.path("tls"), origin);
    t.get_bool("enabled", h.tls.enabled);
    t.get_string("cert", h.tls.cert);
    t.get_string("key", h.tls.key);
    bool sig = false;
    if (t.get_bool("signaling", sig)) h.tls.signaling = sig;
    t.get_bool("redirect_http", h.tls.redirect_http);
    t.finish();
  }
  o.finish();
}

void read_webrtc(Obj o, Webrtc& w, const std::string& origin) {
  if (const json* list = o.find("ice_servers")) {
    if (!list->is_array()) o.fail("ice_servers", "must be an array " + got(*list));
    std::vector<IceServer> servers;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& e = (*list)[i];
      std::string p = o.path("ice_servers") + "[" + std::to_string(i) + "]";
      IceServer s;
      if (e.is_string()) {
        s.url = e.get<std::string>();
      } else if (e.is_object()) {
        Obj so(e, p, origin);
        if (!so.get_string("url", s.url)) so.fail("url", "required");
        so.get_string("username", s.username);
        so.get_string("credential", s.credential);
        so.finish();
      } else {
        throw ConfigError(prefix(origin) + p + ": must be an object {\"url\", \"username\", " +
                          "\"credential\"} or a url string " + got(e));
      }
      servers.push_back(std::move(s));
    }
    w.ice_servers = std::move(servers);
  }
  o.get_string_list("announced_ips", w.announced_ips);
  o.get_string_list("local_ips", w.local_ips);
  o.get_int("udp_port_min", w.udp_port_min, kPortOrZero);
  o.get_int("udp_port_max", w.udp_port_max, kPortOrZero);
  o.get_int("max_viewers_per_stream", w.max_viewers_per_stream, kViewersPerStream);
  o.get_int("max_viewers_per_ip", w.max_viewers_per_ip, kViewersPerIp);
  o.get_int("max_viewers_total", w.max_viewers_total, kViewersTotal);
  o.get_int("rtcp_timeout_s", w.rtcp_timeout_s, kRtcpTimeout);
  o.get_int("disconnect_grace_s", w.disconnect_grace_s, kDisconnectGrace);
  o.get_int("connect_timeout_s", w.connect_timeout_s, kConnectTimeout);
  o.get_int("vp8_bitrate_kbps", w.vp8_bitrate_kbps, kVp8Bitrate);
  o.get_int("vp8_width", w.vp8_width, kVp8Size);
  o.get_int("vp8_height", w.vp8_height, kVp8Size);
  o.get_enum("send_path", w.send_path, kSendPaths);
  o.finish();
}

void read_mqtt(Obj o, Mqtt& m, const std::string& origin) {
  o.get_string("url", m.url);
  o.get_string("client_id", m.client_id);
  o.get_string("username", m.username);
  o.get_string("password", m.password);
  o.get_string("ca_file", m.ca_file);
  o.get_string("cert_file", m.cert_file);
  o.get_string("key_file", m.key_file);
  o.get_string("topic_prefix", m.topic_prefix);
  o.get_int("answer_timeout_s", m.answer_timeout_s, kMqttAnswerTimeout);
  o.get_int("keepalive_interval_s", m.keepalive_interval_s, kMqttKeepalive);
  if (const json* t = o.get_object("topics")) {
    Obj to(*t, o.path("topics"), origin);
    to.get_string("offer", m.topics.offer);
    to.get_string("answer", m.topics.answer);
    to.get_string("keepalive", m.topics.keepalive);
    to.get_string("stop", m.topics.stop);
    to.get_string("status", m.topics.status);
    to.finish();
  }
  o.finish();
}

void read_rtp(Obj o, Rtp& r) {
  o.get_int("port_min", r.port_min, kPort);
  o.get_int("port_max", r.port_max, kPort);
  o.get_bool("remb_enabled", r.remb_enabled);
  o.finish();
}

void read_hls(Obj o, Hls& h) {
  o.get_real("target_duration_s", h.target_duration_s, kHlsTargetDuration);
  o.get_int("playlist_length", h.playlist_length, kHlsPlaylistLength);
  o.get_int("max_files", h.max_files, kHlsMaxFiles);
  o.get_int("idle_stop_s", h.idle_stop_s, kHlsIdleStop);
  o.get_int("part_ms", h.part_ms, kHlsPartMs);
  o.get_bool("always", h.always);
  o.finish();
}

void read_rtsp(Obj o, Rtsp& r) {
  o.get_bool("enabled", r.enabled);
  o.get_int("port", r.port, kPort);
  o.get_string("host", r.host);
  o.get_string("path", r.path);
  o.get_int("grace_s", r.grace_s, kRtspGrace);
  o.finish();
}

void read_onvif(Obj o, Onvif& v) {
  o.get_bool("enabled", v.enabled);
  o.get_bool("discovery", v.discovery);
  o.get_int("discovery_port", v.discovery_port, kPort);
  o.get_string_list("interfaces", v.interfaces);
  o.get_string("host", v.host);
  o.get_string("manufacturer", v.manufacturer);
  o.get_string("model", v.model);
  o.get_string("username", v.username);
  o.get_string("password", v.password);
  o.finish();
}

void read_mjpeg(Obj o, Mjpeg& m) {
  o.get_int("fps", m.fps, kMjpegFps);
  o.get_int("quality", m.quality, kMjpegQuality);
  o.get_int("width", m.width, kVideoDimOrZero);
  o.get_int("height", m.height, kVideoDimOrZero);
  o.finish();
}

void read_recording(Obj o, Recording& r) {
  o.get_string("dir", r.dir);
  o.get_int("max_age_h", r.max_age_h, kRecordMaxAgeH);
  o.get_int("max_total_mb", r.max_total_mb, kRecordMb);
  o.get_int("min_free_mb", r.min_free_mb, kRecordMb);
  o.get_int("check_interval_s", r.check_interval_s, kRecordCheck);
  o.get_int("fragment_ms", r.fragment_ms, kRecordFragment);
  o.finish();
}

void read_health(Obj o, Health& h) {
  o.get_int("stall_s", h.stall_s, kStallS);
  o.finish();
}

void read_camera_record(Obj o, CameraRecord& r) {
  o.get_enum("mode", r.mode, kRecordModes);
  o.get_int("segment_s", r.segment_s, kRecordSegment);
  o.get_int("max_age_h", r.max_age_h, kRecordMaxAgeH);
  o.get_int("max_mb", r.max_mb, kRecordMb);
  o.finish();
}

void read_sub_stream(Obj o, SubStream& s) {
  o.get_bool("enabled", s.enabled);
  o.get_int("width", s.width, kVideoDim);
  o.get_int("height", s.height, kVideoDim);
  o.get_int("fps", s.fps, kVideoFpsOrZero);
  o.get_int("bitrate_kbps", s.bitrate_kbps, kVideoBitrate);
  o.get_real("keyframe_interval_s", s.keyframe_interval_s, kKeyframeInterval);
  o.get_enum("encoder", s.encoder, kEncoders);
  o.get_enum("profile", s.profile, kProfiles);
  o.get_enum("preset", s.preset, kPresets);
  o.finish();
}

void read_auth(Obj o, Auth& a) {
  o.get_bool("disabled", a.disabled);
  o.get_bool("allow_localhost", a.allow_localhost);
  o.get_int("session_ttl_s", a.session_ttl_s, kSessionTtl);
  o.get_int("viewer_token_max_ttl_s", a.viewer_token_max_ttl_s, kViewerTokenTtl);
  o.get_int("login_failures_before_backoff", a.login_failures_before_backoff, kLoginFailures);
  o.finish();
}

// The keys of camrelay's own H.264 encoding (config::H264Encoding), in a source object or
// the settings document's "video".
template <typename S>
void read_encoding_keys(Obj& o, S& s) {
  o.get_int("width", s.width, kVideoDim);
  o.get_int("height", s.height, kVideoDim);
  o.get_int("fps", s.fps, kVideoFps);
  o.get_int("bitrate_kbps", s.bitrate_kbps, kVideoBitrate);
  o.get_real("keyframe_interval_s", s.keyframe_interval_s, kKeyframeInterval);
  o.get_enum("encoder", s.encoder, kEncoders);
  o.get_enum("profile", s.profile, kProfiles);
  o.get_enum("preset", s.preset, kPresets);
}

Source read_source(const json& j, const std::string& path, const std::string& origin) {
  Obj o(j, path, origin);
  std::string type;
  if (!o.find("type")) o.fail("type", "required (" + one_of_msg(kSourceTypes) + ")");
  o.get_enum("type", type, kSourceTypes);
  if (type == "test") {
    TestSource s;
    read_encoding_keys(o, s);
    o.get_string("pattern", s.pattern);
    o.get_bool("overlay_clock", s.overlay_clock);
    o.finish();
    return s;
  }
  if (type == "rtp") {
    RtpSource s;
    o.get_enum("negotiation", s.negotiation, kNegotiations);
    o.get_int("video_port", s.video_port, kPortOrZero);
    o.get_int("payload_type", s.payload_type, kPayloadType);
    o.get_enum("codec", s.codec, kVideoCodecs);
    o.get_int("clock_rate", s.clock_rate, kClockRate);
    o.get_bool("audio", s.audio);
    o.get_int("rtp_timeout_s", s.rtp_timeout_s, kRtpTimeout);
    o.get_int("audio_port", s.audio_port, kPortOrZero);
    o.get_int("audio_payload_type", s.audio_payload_type, kPayloadType);
    o.get_enum("audio_codec", s.audio_codec, kAudioCodecs);
    if (!o.get_int("audio_clock_rate", s.audio_clock_rate, kClockRate)) {
      s.audio_clock_rate = default_audio_clock_rate(s.audio_codec);
    }
    o.finish();
    return s;
  }
  if (type == "rtsp") {
    RtspSource s;
    o.get_string("url", s.url);
    o.get_string("host", s.host);
    o.get_int("port", s.port, kPort);
    o.get_string("path", s.path);
    o.get_string("username", s.username);
    o.get_string("password", s.password);
    o.get_enum("transport", s.transport, kRtspTransports);
    o.get_int("latency_ms", s.latency_ms, kRtspLatency);
    o.get_enum("codec", s.codec, kVideoCodecs);
    o.finish();
    return s;
  }
  if (type == "composite") {
    CompositeSource s;
    o.get_enum("layout", s.layout, kCompositeLayouts);
    o.get_string_list("inputs", s.inputs);
    o.get_enum("grid", s.grid, kCompositeGrids);
    o.get_enum("position", s.position, kPipPositions);
    o.get_real("scale", s.scale, kPipScale);
    o.get_int("border", s.border, kPipBorder);
    read_encoding_keys(o, s);
    o.finish();
    return s;
  }
  if (type == "onvif") {
    OnvifSource s;
    o.get_string("url", s.url);
    o.get_string("username", s.username);
    o.get_string("password", s.password);
    o.get_string("profile", s.profile);
    o.get_enum("transport", s.transport, kRtspTransports);
    o.get_int("latency_ms", s.latency_ms, kRtspLatency);
    o.get_enum("codec", s.codec, kVideoCodecs);
    o.finish();
    return s;
  }
  V4l2Source s;
  o.get_string("device", s.device);
  read_encoding_keys(o, s);
  o.finish();
  return s;
}

}  // namespace

Camera read_camera_json(const json& j, const std::string& path, const std::string& origin,
                        BandwidthExplicit& bw_explicit) {
  if (!j.is_object()) {
    throw ConfigError(prefix(origin) + (path.empty() ? "a camera" : path) + ": must be an object " + got(j));
  }
  Obj o(j, path, origin);
  Camera c;
  if (!o.get_string("id", c.id)) o.fail("id", "required");
  if (!valid_camera_id(c.id)) o.fail("id", "must match [A-Za-z0-9_-]{1,64} " + got(j["id"]));
  o.get_string("name", c.name);
  if (c.name.empty()) c.name = c.id;
  o.get_bool("auto_start", c.auto_start);
  o.get_bool("audio", c.audio);
  if (const json* bw = o.get_object("bandwidth")) {
    Obj b(*bw, o.path("bandwidth"), origin);
    bw_explicit.min_kbps = b.get_int("min_kbps", c.bandwidth.min_kbps, kBandwidthKbps);
    bw_explicit.max_kbps = b.get_int("max_kbps", c.bandwidth.max_kbps, kBandwidthKbps);
    b.finish();
  }
  if (const json* src = o.get_object("source")) c.source = read_source(*src, o.path("source"), origin);
  if (const json* rec = o.get_object("record")) read_camera_record(Obj(*rec, o.path("record"), origin), c.record);
  if (const json* lm = o.find("latency_mode"); lm && !lm->is_null()) o.get_enum("latency_mode", c.latency_mode, kLatencyModes);
  if (const json* sub = o.get_object("sub")) read_sub_stream(Obj(*sub, o.path("sub"), origin), c.sub);
  o.finish();
  return c;
}

namespace {

void read_root(const json& doc, Config& cfg, const std::string& origin,
               ExplicitBandwidth& bw_explicit) {
  if (!doc.is_object()) {
    throw ConfigError(origin + ": the top level must be a JSON object " + got(doc));
  }
  Obj o(doc, "", origin);
  o.get_string("data_dir", cfg.data_dir);
  o.get_enum("log_level", cfg.log_level, kLogLevels);
  if (const json* v = o.get_object("http")) read_http(Obj(*v, "http", origin), cfg.http, origin);
  if (const json* v = o.get_object("webrtc")) {
    read_webrtc(Obj(*v, "webrtc", origin), cfg.webrtc, origin);
  }
  if (const json* v = o.get_object("mqtt")) read_mqtt(Obj(*v, "mqtt", origin), cfg.mqtt, origin);
  if (const json* v = o.get_object("rtp")) read_rtp(Obj(*v, "rtp", origin), cfg.rtp);
  if (const json* v = o.get_object("hls")) read_hls(Obj(*v, "hls", origin), cfg.hls);
  if (const json* v = o.get_object("mjpeg")) read_mjpeg(Obj(*v, "mjpeg", origin), cfg.mjpeg);
  if (const json* v = o.get_object("rtsp")) read_rtsp(Obj(*v, "rtsp", origin), cfg.rtsp);
  if (const json* v = o.get_object("recording")) read_recording(Obj(*v, "recording", origin), cfg.recording);
  if (const json* v = o.get_object("health")) read_health(Obj(*v, "health", origin), cfg.health);
  if (const json* v = o.get_object("auth")) read_auth(Obj(*v, "auth", origin), cfg.auth);
  if (const json* v = o.get_object("onvif")) read_onvif(Obj(*v, "onvif", origin), cfg.onvif);
  if (const json* list = o.find("cameras")) {
    if (!list->is_array()) o.fail("cameras", "must be an array " + got(*list));
    for (std::size_t i = 0; i < list->size(); ++i) {
      BandwidthExplicit e;
      cfg.cameras.push_back(
          read_camera_json((*list)[i], "cameras[" + std::to_string(i) + "]", origin, e));
      bw_explicit.push_back(e);
    }
  }
  o.finish();
}

// Makes a library message printable ASCII: it may quote raw (even invalid UTF-8) input.
std::string printable(const std::string& s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    out += (c >= 0x20 && c < 0x7f) ? ch : '?';
  }
  return out;
}

// Strips nlohmann's "[json.exception.parse_error.101] parse error at " prefix.
std::string strip_prefix(std::string what) {
  static const std::string kMarker = "parse error at ";
  if (auto pos = what.find(kMarker); pos != std::string::npos) return what.substr(pos + kMarker.size());
  if (what.starts_with("[json.exception.")) {
    if (auto pos = what.find("] "); pos != std::string::npos) return what.substr(pos + 2);
  }
  return what;
}

// The message for text that json::parse(text, nullptr, false) rejected.
std::string invalid_json_message(const std::string& text, const std::string& origin) {
  try {
    json tmp = json::parse(text);
    (void)tmp;
  } catch (const json::parse_error& e) {
    return prefix(origin) + "invalid JSON at byte " + std::to_string(e.byte) + ", " +
           printable(strip_prefix(e.what()));
  } catch (const std::exception& e) {
    return prefix(origin) + "invalid JSON: " + printable(strip_prefix(e.what()));
  }
  return prefix(origin) + "invalid JSON";
}

}  // namespace

Config parse_json_tracked(const std::string& text, const std::string& origin,
                          ExplicitBandwidth* explicit_bw) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    throw ConfigError(invalid_json_message(text, origin));
  }
  Config cfg;
  ExplicitBandwidth bw;
  try {
    read_root(doc, cfg, origin, bw);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {  // nlohmann::json::exception and friends
    throw ConfigError(prefix(origin) + printable(strip_prefix(e.what())));
  }
  if (explicit_bw) *explicit_bw = std::move(bw);
  return cfg;
}

}  // namespace detail

Config parse_json(const std::string& text, const std::string& origin) {
  return detail::parse_json_tracked(text, origin, nullptr);
}

Camera parse_camera(const nlohmann::json& object, const Config& cfg) {
  detail::BandwidthExplicit ignored;
  Camera c;
  try {
    c = detail::read_camera_json(object, "", "", ignored);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {  // nlohmann::json::exception and friends
    throw ConfigError(detail::printable(detail::strip_prefix(e.what())));
  }
  detail::check_camera("", c, cfg, [&cfg](const std::string& id) { return cfg.find_camera(id) != nullptr; });
  return c;
}

namespace {

using json = nlohmann::json;
using detail::got;
using detail::Obj;
using namespace detail;  // the ranges and lists of keys

// The "video" member of a settings document into a source camrelay encodes itself.
template <typename S>
void read_video_settings(Obj v, S& s) {
  const std::string origin;
  if (const json* r = v.find("resolution")) {
    int w = 0, h = 0;
    char x = 0, extra = 0;
    const std::string text = r->is_string() ? r->get<std::string>() : std::string();
    if (!r->is_string() || std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x') {
      v.fail("resolution", "must be \"WIDTHxHEIGHT\", such as \"1280x720\" " + got(*r));
    }
    if (v.find("width") || v.find("height")) v.fail("resolution", "give either resolution or width and height");
    if (w < kVideoDim.lo || w > kVideoDim.hi || h < kVideoDim.lo || h > kVideoDim.hi) {
      v.fail("resolution", "width and height must be in " + std::to_string(kVideoDim.lo) + ".." +
                               std::to_string(kVideoDim.hi) + " " + got(*r));
    }
    s.width = w;
    s.height = h;
  }
  read_encoding_keys(v, s);
  v.finish();
}

}  // namespace

Camera apply_settings_json(const Camera& cam, const nlohmann::json& patch, const Config& cfg) {
  const std::string origin;
  if (!patch.is_object()) throw ConfigError("the settings must be a JSON object " + detail::got(patch));
  Camera c = cam;
  Obj o(patch, "", origin);
  if (const json* video = o.get_object("video")) {
    std::visit(
        [&](auto& s) {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, TestSource> || std::is_same_v<T, V4l2Source> ||
                        std::is_same_v<T, CompositeSource>) {
            read_video_settings(Obj(*video, "video", origin), s);
          } else {
            o.fail("video", std::string("this camera encodes its stream itself (") + source_type_name(c.source) +
                                " camera): only latency_mode applies");
          }
        },
        c.source);
  }
  // The sub stream: the same keys as in the configuration file (camera.sub).
  if (const json* s = o.get_object("sub")) read_sub_stream(Obj(*s, "sub", origin), c.sub);
  if (const json* lm = o.find("latency_mode")) {
    if (lm->is_null()) c.latency_mode.clear();
    else o.get_enum("latency_mode", c.latency_mode, kLatencyModes);
    if (jitter_buffer_ms(c) < 0 && !c.latency_mode.empty()) {
      o.fail("latency_mode", std::string("only for rtp, rtsp and onvif cameras (it sets the ingest jitter buffer); this "
                                         "camera's source is ") + source_type_name(c.source));
    }
  }
  o.finish();
  // The checks across keys, under the document's names.
  if (const auto e = own_encoding(c.source)) {
    detail::check_encoding("video", *e, !std::holds_alternative<V4l2Source>(c.source));
  }
  detail::check_camera("", c, cfg, [&cfg, &cam](const std::string& id) {
    return id != cam.id && cfg.find_camera(id) != nullptr;
  });
  return c;
}

Camera parse_camera(const std::string& json_text, const Config& cfg) {
  nlohmann::json object = nlohmann::json::parse(json_text, nullptr, false);
  if (object.is_discarded()) throw ConfigError(detail::invalid_json_message(json_text, ""));
  return parse_camera(object, cfg);
}

}  // namespace camrelay::config
