// parse_json(): shapes, types, unknown keys, invalid JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {

// Returns the ConfigError message of parse_json(text), or fails the test.
std::string parse_error(const std::string& text) {
  try {
    parse_json(text);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-ConfigError exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

std::string camera_with_source(const std::string& source) {
  return R"({"cameras":[{"id":"cam","source":)" + source + "}]}";
}

}  // namespace

TEST(ConfigJson, FullTopLevel) {
  Config c = parse_json(R"({
    "data_dir": "/tmp/x", "log_level": "debug",
    "http": {"host": "127.0.0.1", "port": 9000, "signaling_port": 8765, "web_root": "/www",
             "body_limit_bytes": 2048, "header_timeout_s": 5, "idle_timeout_s": 30, "threads": 4},
    "webrtc": {"ice_servers": [{"url": "stun:stun.example.org:3478"},
                               {"url": "turn:t.example.org", "username": "u", "credential": "p"},
                               "stun:plain.example.org"],
               "announced_ips": ["203.0.113.5"], "local_ips": [],
               "udp_port_min": 20000, "udp_port_max": 20100,
               "max_viewers_per_stream": 5, "max_viewers_total": 50},
    "mqtt": {"url": "tcp://broker:1883", "client_id": "cr", "username": "u", "password": "p",
             "ca_file": "/ca", "cert_file": "/cert", "key_file": "/key", "topic_prefix": "cams",
             "answer_timeout_s": 7, "keepalive_interval_s": 20},
    "rtp": {"port_min": 6000, "port_max": 6100, "remb_enabled": false},
    "hls": {"target_duration_s": 2, "playlist_length": 4, "max_files": 8, "idle_stop_s": 10,
            "always": true, "part_ms": 0},
    "mjpeg": {"fps": 10, "quality": 70, "width": 640, "height": 360}
  })");
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 9000);
  EXPECT_EQ(c.http.signaling_port, 8765);
  EXPECT_EQ(c.http.web_root, "/www");
  EXPECT_EQ(c.http.body_limit_bytes, 2048u);
  EXPECT_EQ(c.http.header_timeout_s, 5);
  EXPECT_EQ(c.http.idle_timeout_s, 30);
  EXPECT_EQ(c.http.threads, 4);
  ASSERT_EQ(c.webrtc.ice_servers.size(), 3u);
  EXPECT_EQ(c.webrtc.ice_servers[0].url, "stun:stun.example.org:3478");
  EXPECT_EQ(c.webrtc.ice_servers[1].username, "u");
  EXPECT_EQ(c.webrtc.ice_servers[1].credential, "p");
  EXPECT_EQ(c.webrtc.ice_servers[2].url, "stun:plain.example.org");
  EXPECT_EQ(c.webrtc.announced_ips, std::vector<std::string>{"203.0.113.5"});
  EXPECT_TRUE(c.webrtc.local_ips.empty());
  EXPECT_EQ(c.webrtc.udp_port_min, 20000);
  EXPECT_EQ(c.webrtc.udp_port_max, 20100);
  EXPECT_EQ(c.webrtc.max_viewers_per_stream, 5);
  EXPECT_EQ(c.webrtc.max_viewers_total, 50);
  EXPECT_EQ(c.mqtt.url, "tcp://broker:1883");
  EXPECT_EQ(c.mqtt.client_id, "cr");
  EXPECT_EQ(c.mqtt.key_file, "/key");
  EXPECT_EQ(c.mqtt.topic_prefix, "cams");
  EXPECT_EQ(c.mqtt.answer_timeout_s, 7);
  EXPECT_EQ(c.mqtt.keepalive_interval_s, 20);
  EXPECT_EQ(c.rtp.port_min, 6000);
  EXPECT_FALSE(c.rtp.remb_enabled);
  EXPECT_DOUBLE_EQ(c.hls.target_duration_s, 2.0);
  EXPECT_EQ(c.hls.max_files, 8);
  EXPECT_TRUE(c.hls.always);
  EXPECT_EQ(c.hls.part_ms, 0);
  EXPECT_EQ(c.mjpeg.width, 640);
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigJson, TestSource) {
  Config c = parse_json(camera_with_source(
      R"({"type":"test","width":640,"height":480,"fps":25,"bitrate_kbps":800,
          "keyframe_interval_s":0.5,"pattern":"ball","overlay_clock":false,"profile":"high"})"));
  ASSERT_EQ(c.cameras.size(), 1u);
  const auto& s = std::get<TestSource>(c.cameras[0].source);
  EXPECT_EQ(s.width, 640);
  EXPECT_EQ(s.height, 480);
  EXPECT_EQ(s.fps, 25);
  EXPECT_EQ(s.bitrate_kbps, 800);
  EXPECT_DOUBLE_EQ(s.keyframe_interval_s, 0.5);
  EXPECT_EQ(s.pattern, "ball");
  EXPECT_FALSE(s.overlay_clock);
  EXPECT_EQ(s.profile, "high");
}

TEST(ConfigJson, RtpSource) {
  Config c = parse_json(camera_with_source(
      R"({"type":"rtp","negotiation":"static","video_port":5004,"payload_type":102,
          "codec":"H264","clock_rate":90000,"audio":true,"rtp_timeout_s":9})"));
  const auto& s = std::get<RtpSource>(c.cameras[0].source);
  EXPECT_EQ(s.negotiation, "static");
  EXPECT_EQ(s.video_port, 5004);
  EXPECT_EQ(s.payload_type, 102);
  EXPECT_EQ(s.codec, "H264");
  EXPECT_TRUE(s.audio);
  EXPECT_EQ(s.rtp_timeout_s, 9);
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigJson, H265Cameras) {
  Config c = parse_json(camera_with_source(R"({"type":"rtp","negotiation":"static","video_port":5004,"codec":"H265"})"));
  EXPECT_EQ(std::get<RtpSource>(c.cameras[0].source).codec, "H265");
  EXPECT_EQ(video_codec(c.cameras[0]), "H265");
  EXPECT_NO_THROW(validate(c));
  Config r = parse_json(camera_with_source(R"({"type":"rtsp","url":"rtsp://cam/live","codec":"H265"})"));
  EXPECT_EQ(std::get<RtspSource>(r.cameras[0].source).codec, "H265");
  Config d = parse_json(camera_with_source(R"({"type":"rtsp","url":"rtsp://cam/live"})"));
  EXPECT_EQ(video_codec(d.cameras[0]), "H264");  // the default
  Config t = parse_json(camera_with_source(R"({"type":"test"})"));
  EXPECT_EQ(video_codec(t.cameras[0]), "H264");
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtsp","url":"rtsp://cam/live","codec":"VP8"})")),
              HasSubstr("cameras[0].source.codec: must be one of H264, H265"));
}

TEST(ConfigJson, RtpAudio) {
  // Defaults: camera audio on, no static audio port, Opus pt 111 at 48 kHz.
  Config d = parse_json(camera_with_source(R"({"type":"rtp","negotiation":"static","video_port":5004})"));
  EXPECT_TRUE(d.cameras[0].audio);
  const auto& ds = std::get<RtpSource>(d.cameras[0].source);
  EXPECT_EQ(ds.audio_port, 0);
  EXPECT_EQ(ds.audio_payload_type, 111);
  EXPECT_EQ(ds.audio_codec, "OPUS");
  EXPECT_EQ(ds.audio_clock_rate, 48000);

  Config c = parse_json(camera_with_source(
      R"({"type":"rtp","negotiation":"static","video_port":5004,"audio_port":5006,
          "audio_payload_type":0,"audio_codec":"PCMU"})"));
  const auto& s = std::get<RtpSource>(c.cameras[0].source);
  EXPECT_EQ(s.audio_port, 5006);
  EXPECT_EQ(s.audio_payload_type, 0);
  EXPECT_EQ(s.audio_codec, "PCMU");
  EXPECT_EQ(s.audio_clock_rate, 8000);  // G.711 default
  EXPECT_NO_THROW(validate(c));

  Config e = parse_json(camera_with_source(
      R"({"type":"rtp","negotiation":"static","video_port":5004,"audio_port":5006,
          "audio_codec":"PCMA","audio_clock_rate":16000})"));
  EXPECT_EQ(std::get<RtpSource>(e.cameras[0].source).audio_clock_rate, 16000);

  Config off = parse_json(R"({"cameras":[{"id":"cam","audio":false,"source":{"type":"test"}}]})");
  EXPECT_FALSE(off.cameras[0].audio);

  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtp","audio_codec":"AAC"})")),
              HasSubstr("cameras[0].source.audio_codec: must be one of OPUS, PCMU, PCMA"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtp","audio_port":70000})")),
              HasSubstr("cameras[0].source.audio_port: must be an integer in 0..65535"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtp","audio_payload_type":128})")),
              HasSubstr("cameras[0].source.audio_payload_type:"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"cam","audio":"yes","source":{"type":"test"}}]})"),
              HasSubstr("cameras[0].audio: must be true or false"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtsp","url":"rtsp://h/p","audio_port":5006})")),
              HasSubstr("cameras[0].source.audio_port: unknown key"));
}

TEST(ConfigJson, RtspSource) {
  Config c = parse_json(camera_with_source(
      R"({"type":"rtsp","host":"10.0.0.2","port":8554,"path":"/live","username":"admin",
          "password":"pw","transport":"udp","latency_ms":0})"));
  const auto& s = std::get<RtspSource>(c.cameras[0].source);
  EXPECT_EQ(s.url, "");
  EXPECT_EQ(s.host, "10.0.0.2");
  EXPECT_EQ(s.port, 8554);
  EXPECT_EQ(s.path, "/live");
  EXPECT_EQ(s.username, "admin");
  EXPECT_EQ(s.password, "pw");
  EXPECT_EQ(s.transport, "udp");
  EXPECT_EQ(s.latency_ms, 0);
  EXPECT_NO_THROW(validate(c));

  Config u = parse_json(camera_with_source(R"({"type":"rtsp","url":"rtsp://cam/stream"})"));
  EXPECT_EQ(std::get<RtspSource>(u.cameras[0].source).url, "rtsp://cam/stream");
}

TEST(ConfigJson, V4l2Source) {
  Config c = parse_json(camera_with_source(
      R"({"type":"v4l2","device":"/dev/video2","width":640,"height":480,"fps":15,
          "bitrate_kbps":1000,"keyframe_interval_s":2})"));
  const auto& s = std::get<V4l2Source>(c.cameras[0].source);
  EXPECT_EQ(s.device, "/dev/video2");
  EXPECT_EQ(s.width, 640);
  EXPECT_EQ(s.fps, 15);
  EXPECT_DOUBLE_EQ(s.keyframe_interval_s, 2.0);
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigJson, CameraDefaults) {
  Config c = parse_json(R"({"cameras":[{"id":"front"},
                                       {"id":"back","name":"Back door","auto_start":true,
                                        "bandwidth":{"min_kbps":100,"max_kbps":900}}]})");
  ASSERT_EQ(c.cameras.size(), 2u);
  EXPECT_EQ(c.cameras[0].name, "front");  // name defaults to id
  EXPECT_FALSE(c.cameras[0].auto_start);
  EXPECT_TRUE(std::holds_alternative<TestSource>(c.cameras[0].source));
  EXPECT_EQ(c.cameras[0].bandwidth.min_kbps, 500);
  EXPECT_EQ(c.cameras[0].bandwidth.max_kbps, 5000);
  EXPECT_EQ(c.cameras[1].name, "Back door");
  EXPECT_TRUE(c.cameras[1].auto_start);
  EXPECT_EQ(c.cameras[1].bandwidth.min_kbps, 100);
  EXPECT_EQ(c.cameras[1].bandwidth.max_kbps, 900);
}

TEST(ConfigJson, InvalidJson) {
  EXPECT_THAT(parse_error("{\"http\": {"), HasSubstr("config: invalid JSON at byte"));
  EXPECT_THAT(parse_error(""), HasSubstr("invalid JSON at byte"));
  EXPECT_THAT(parse_error("{\"a\":1,}"), HasSubstr("invalid JSON at byte 8"));
  EXPECT_THAT(parse_error(R"({"http":{"port":1e400}})"), HasSubstr("config: invalid JSON"));
  // Messages stay printable even when the input is not valid UTF-8.
  std::string msg = parse_error("{\"data_dir\":\"\xff\"}");
  EXPECT_THAT(msg, HasSubstr("invalid JSON at byte"));
  for (char ch : msg) EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << msg;
  try {
    parse_json("[1,", "/etc/camrelay.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/etc/camrelay.json: invalid JSON at byte"));
  }
}

TEST(ConfigJson, TopLevelMustBeObject) {
  EXPECT_THAT(parse_error("[]"), HasSubstr("top level must be a JSON object"));
  EXPECT_THAT(parse_error("42"), HasSubstr("top level must be a JSON object"));
}

TEST(ConfigJson, HealthStallSeconds) {
  EXPECT_EQ(parse_json("{}").health.stall_s, 5);
  EXPECT_EQ(parse_json(R"({"health":{"stall_s":0}})").health.stall_s, 0);
  EXPECT_EQ(parse_json(R"({"health":{"stall_s":12}})").health.stall_s, 12);
  EXPECT_THAT(parse_error(R"({"health":{"stall_s":-1}})"), HasSubstr("health.stall_s"));
  EXPECT_THAT(parse_error(R"({"health":{"stall":1}})"), HasSubstr("health.stall: unknown key"));
}

TEST(ConfigJson, UnknownKeys) {
  EXPECT_THAT(parse_error(R"({"http":{"prot":1}})"), HasSubstr("http.prot: unknown key"));
  EXPECT_THAT(parse_error(R"({"bogus":true})"), HasSubstr("bogus: unknown key"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"ice_servers":[{"url":"stun:x","user":"u"}]}})"),
              HasSubstr("webrtc.ice_servers[0].user: unknown key"));
  EXPECT_THAT(parse_error(R"({"mqtt":{"host":"x"}})"), HasSubstr("mqtt.host: unknown key"));
  EXPECT_THAT(parse_error(R"({"rtp":{"min":1}})"), HasSubstr("rtp.min: unknown key"));
  EXPECT_THAT(parse_error(R"({"hls":{"x":1}})"), HasSubstr("hls.x: unknown key"));
  EXPECT_THAT(parse_error(R"({"mjpeg":{"x":1}})"), HasSubstr("mjpeg.x: unknown key"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","colour":"red"}]})"),
              HasSubstr("cameras[0].colour: unknown key"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","bandwidth":{"max":1}}]})"),
              HasSubstr("cameras[0].bandwidth.max: unknown key"));
  // Keys of another source type are unknown for this one.
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"test","device":"/dev/video0"})")),
              HasSubstr("cameras[0].source.device: unknown key"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtsp","url":"rtsp://x","fps":1})")),
              HasSubstr("cameras[0].source.fps: unknown key"));
}

TEST(ConfigJson, TypeErrorsNameKeyAndValue) {
  EXPECT_THAT(parse_error(R"({"http":{"port":"abc"}})"),
              HasSubstr(R"(http.port: must be an integer in 1..65535 (got "abc"))"));
  EXPECT_THAT(parse_error(R"({"http":{"port":80.5}})"),
              HasSubstr("http.port: must be an integer in 1..65535 (got 80.5)"));
  EXPECT_THAT(parse_error(R"({"http":{"port":70000}})"),
              HasSubstr("http.port: must be an integer in 1..65535 (got 70000)"));
  EXPECT_THAT(parse_error(R"({"http":{"port":-1}})"), HasSubstr("http.port: must be"));
  EXPECT_THAT(parse_error(R"({"http":{"port":18446744073709551615}})"),
              HasSubstr("http.port: must be"));
  EXPECT_THAT(parse_error(R"({"http":{"host":5}})"),
              HasSubstr("http.host: must be a string (got 5)"));
  EXPECT_THAT(parse_error(R"({"http":{"body_limit_bytes":100}})"),
              HasSubstr("http.body_limit_bytes: must be an integer in 1024..67108864"));
  EXPECT_THAT(parse_error(R"({"http":[]})"), HasSubstr("http: must be an object"));
  EXPECT_THAT(parse_error(R"({"rtp":{"remb_enabled":"yes"}})"),
              HasSubstr("rtp.remb_enabled: must be true or false"));
  EXPECT_THAT(parse_error(R"({"hls":{"target_duration_s":"1"}})"),
              HasSubstr("hls.target_duration_s: must be a number in 0.2..10"));
  EXPECT_THAT(parse_error(R"({"log_level":"loud"})"),
              HasSubstr(R"(log_level: must be one of trace, debug, info, warn, error, critical, off (got "loud"))"));
  EXPECT_THAT(parse_error(R"({"data_dir":null})"), HasSubstr("data_dir: must be a string"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"announced_ips":"1.2.3.4"}})"),
              HasSubstr("webrtc.announced_ips: must be an array of strings"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"local_ips":["a",1]}})"),
              HasSubstr("webrtc.local_ips[1]: must be a string"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"send_path":"fast"}})"),
              HasSubstr(R"(webrtc.send_path: must be one of direct, webrtcbin (got "fast"))"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"ice_servers":{}}})"),
              HasSubstr("webrtc.ice_servers: must be an array"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"ice_servers":[7]}})"),
              HasSubstr("webrtc.ice_servers[0]: must be an object"));
  EXPECT_THAT(parse_error(R"({"webrtc":{"ice_servers":[{"username":"u"}]}})"),
              HasSubstr("webrtc.ice_servers[0].url: required"));
}

TEST(ConfigJson, CameraErrors) {
  EXPECT_THAT(parse_error(R"({"cameras":{}})"), HasSubstr("cameras: must be an array"));
  EXPECT_THAT(parse_error(R"({"cameras":["x"]})"), HasSubstr("cameras[0]: must be an object"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"name":"x"}]})"), HasSubstr("cameras[0].id: required"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"ok"},{"id":"bad id"}]})"),
              HasSubstr("cameras[1].id: must match [A-Za-z0-9_-]{1,64}"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","source":{"type":"foo"}}]})"),
              HasSubstr(R"(cameras[0].source.type: must be one of test, rtp, rtsp, v4l2, composite, onvif (got "foo"))"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","source":{}}]})"),
              HasSubstr("cameras[0].source.type: required"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","source":"test"}]})"),
              HasSubstr("cameras[0].source: must be an object"));
  EXPECT_THAT(parse_error(R"({"cameras":[{"id":"a","bandwidth":{"max_kbps":0}}]})"),
              HasSubstr("cameras[0].bandwidth.max_kbps: must be an integer in 1..1000000"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"test","profile":"extended"})")),
              HasSubstr("cameras[0].source.profile: must be one of constrained-baseline"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtp","negotiation":"sip"})")),
              HasSubstr("cameras[0].source.negotiation: must be one of mqtt, static"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtp","payload_type":128})")),
              HasSubstr("cameras[0].source.payload_type: must be an integer in 0..127"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"rtsp","transport":"quic"})")),
              HasSubstr("cameras[0].source.transport: must be one of tcp, udp, auto"));
  EXPECT_THAT(parse_error(camera_with_source(R"({"type":"v4l2","fps":0})")),
              HasSubstr("cameras[0].source.fps: must be an integer in 1..120"));
}

TEST(ConfigJson, OriginPrefixesErrors) {
  try {
    parse_json(R"({"http":{"port":"x"}})", "/etc/camrelay.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/etc/camrelay.json: http.port:"));
  }
}

TEST(ConfigJson, HostileInputOnlyThrowsConfigError) {
  const char* inputs[] = {"{\"data_dir\":\"\xff\xfe\"}", "\x00", "{\"a\":", "[[[[[[[[[[",
                          "{\"cameras\":[null]}", "{\"http\":{\"port\":1e400}}",
                          "{\"cameras\":[{\"id\":\"\xc3\xa9\"}]}"};
  for (const char* in : inputs) {
    try {
      parse_json(in);
    } catch (const ConfigError&) {
    } catch (...) {
      ADD_FAILURE() << "unexpected exception type for input " << in;
    }
  }
}

TEST(ConfigJson, Auth) {
  Config d;
  EXPECT_FALSE(d.auth.disabled) << "accounts are on by default";
  EXPECT_FALSE(d.auth.allow_localhost);
  Config c = parse_json(R"({"auth":{"disabled":true,"allow_localhost":true,"session_ttl_s":3600,
                              "viewer_token_max_ttl_s":600,"login_failures_before_backoff":3}})");
  EXPECT_TRUE(c.auth.disabled);
  EXPECT_TRUE(c.auth.allow_localhost);
  EXPECT_EQ(c.auth.session_ttl_s, 3600);
  EXPECT_EQ(c.auth.viewer_token_max_ttl_s, 600);
  EXPECT_EQ(c.auth.login_failures_before_backoff, 3);
  EXPECT_THAT(parse_error(R"({"auth":{"disable":true}})"), HasSubstr("auth.disable: unknown key"));
  EXPECT_THAT(parse_error(R"({"auth":{"session_ttl_s":5}})"), HasSubstr("auth.session_ttl_s"));
  EXPECT_THAT(parse_error(R"({"auth":{"disabled":"yes"}})"), HasSubstr("auth.disabled"));
}

TEST(ConfigJson, HttpTls) {
  Config c = parse_json(R"({"http":{"tls":{"enabled":true,"cert":"/c.pem","key":"/k.pem","signaling":false,"redirect_http":false}}})");
  EXPECT_TRUE(c.http.tls.enabled);
  EXPECT_EQ(c.http.tls.cert, "/c.pem");
  EXPECT_EQ(c.http.tls.key, "/k.pem");
  EXPECT_EQ(c.http.tls.signaling, std::optional<bool>(false));
  EXPECT_FALSE(c.http.tls.redirect_http);
  Config d = parse_json(R"({"http":{}})");
  EXPECT_FALSE(d.http.tls.enabled);
  EXPECT_TRUE(d.http.tls.redirect_http);
  EXPECT_FALSE(d.http.tls.signaling.has_value());
  EXPECT_THAT(parse_error(R"({"http":{"tls":{"enabled":"yes"}}})"), HasSubstr("http.tls.enabled: must be true or false"));
  EXPECT_THAT(parse_error(R"({"http":{"tls":{"certificate":"x"}}})"), HasSubstr("http.tls.certificate: unknown key"));
  EXPECT_THAT(parse_error(R"({"http":{"tls":true}})"), HasSubstr("http.tls: must be an object"));
}

TEST(ConfigJson, Rtsp) {
  const auto d = parse_json("{}").rtsp;
  EXPECT_FALSE(d.enabled);
  EXPECT_EQ(d.port, 8554);
  EXPECT_EQ(d.host, "");
  EXPECT_EQ(d.path, "/{id}");
  EXPECT_EQ(d.grace_s, 10);
  const auto r =
      parse_json(R"({"rtsp":{"enabled":true,"port":9554,"host":"127.0.0.1","path":"/cam/{id}","grace_s":0}})").rtsp;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.port, 9554);
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.path, "/cam/{id}");
  EXPECT_EQ(r.grace_s, 0);
  EXPECT_THAT(parse_error(R"({"rtsp":{"port":0}})"), HasSubstr("rtsp.port"));
  EXPECT_THAT(parse_error(R"({"rtsp":{"grace_s":-1}})"), HasSubstr("rtsp.grace_s"));
  EXPECT_THAT(parse_error(R"({"rtsp":{"enabled":"yes"}})"), HasSubstr("rtsp.enabled"));
  EXPECT_THAT(parse_error(R"({"rtsp":{"x":1}})"), HasSubstr("rtsp.x: unknown key"));
}
