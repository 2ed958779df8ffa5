// validate(): every rule produces a ConfigError that names the key.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {

Config with_camera(Source s) {
  Config c;
  c.mqtt.url = "tcp://localhost:1883";
  c.cameras.push_back(Camera{.id = "cam", .name = "cam", .source = std::move(s)});
  return c;
}

// Applies `mutate` to a valid config and returns validate()'s message.
std::string invalid(const std::function<void(Config&)>& mutate, Config base = with_camera({})) {
  EXPECT_NO_THROW(validate(base));
  mutate(base);
  try {
    validate(base);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "validate() accepted the config";
  return {};
}

template <class S>
S& src(Config& c) {
  return std::get<S>(c.cameras.at(0).source);
}

}  // namespace

TEST(ConfigValidate, TopLevel) {
  EXPECT_THAT(invalid([](Config& c) { c.data_dir.clear(); }), HasSubstr("data_dir: must not be empty"));
  EXPECT_THAT(invalid([](Config& c) { c.log_level = "verbose"; }),
              HasSubstr(R"(log_level: must be one of trace, debug, info, warn, error, critical, off (got "verbose"))"));
  for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    Config c;
    c.log_level = l;
    EXPECT_NO_THROW(validate(c)) << l;
  }
}

TEST(ConfigValidate, Http) {
  EXPECT_THAT(invalid([](Config& c) { c.http.port = 0; }),
              HasSubstr("http.port: must be an integer in 1..65535 (got 0)"));
  EXPECT_THAT(invalid([](Config& c) { c.http.port = 65536; }), HasSubstr("http.port:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.signaling_port = -1; }), HasSubstr("http.signaling_port:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.signaling_port = 70000; }), HasSubstr("http.signaling_port:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.signaling_port = c.http.port; }),
              HasSubstr("http.signaling_port: must differ from http.port"));
  EXPECT_THAT(invalid([](Config& c) { c.http.host.clear(); }), HasSubstr("http.host: must not be empty"));
  EXPECT_THAT(invalid([](Config& c) { c.http.threads = 0; }), HasSubstr("http.threads: must be an integer in 1..16"));
  EXPECT_THAT(invalid([](Config& c) { c.http.threads = 17; }), HasSubstr("http.threads:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.body_limit_bytes = 1023; }), HasSubstr("http.body_limit_bytes:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.body_limit_bytes = 64 * 1024 * 1024 + 1; }),
              HasSubstr("http.body_limit_bytes:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.header_timeout_s = 0; }), HasSubstr("http.header_timeout_s:"));
  EXPECT_THAT(invalid([](Config& c) { c.http.idle_timeout_s = 0; }), HasSubstr("http.idle_timeout_s:"));
  Config ok;
  ok.http.signaling_port = 8765;
  ok.http.body_limit_bytes = 64 * 1024 * 1024;
  EXPECT_NO_THROW(validate(ok));
}

TEST(ConfigValidate, Webrtc) {
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.udp_port_min = 20000; }), HasSubstr("webrtc.udp_port_max:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.udp_port_max = 20000; }), HasSubstr("webrtc.udp_port_min:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.udp_port_min = 80, c.webrtc.udp_port_max = 90; }),
              HasSubstr("webrtc.udp_port_min: udp_port_min/udp_port_max must both be 0"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.udp_port_min = 30000, c.webrtc.udp_port_max = 20000; }),
              HasSubstr("webrtc.udp_port_max:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.udp_port_min = 30000, c.webrtc.udp_port_max = 70000; }),
              HasSubstr("webrtc.udp_port_max:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.max_viewers_per_stream = 0; }),
              HasSubstr("webrtc.max_viewers_per_stream: must be an integer in 1..1000"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.max_viewers_per_stream = 1001; }),
              HasSubstr("webrtc.max_viewers_per_stream:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.max_viewers_total = 10001; }),
              HasSubstr("webrtc.max_viewers_total: must be an integer in 1..10000"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.ice_servers.push_back({"stun.example.org", "", ""}); }),
              HasSubstr("webrtc.ice_servers[0].url: must be stun:"));
  EXPECT_THAT(invalid([](Config& c) { c.webrtc.announced_ips = {""}; }),
              HasSubstr("webrtc.announced_ips[0]: must not be empty"));
  Config ok;
  ok.webrtc.udp_port_min = 1024;
  ok.webrtc.udp_port_max = 1024;
  ok.webrtc.ice_servers = {{"stun:stun.l.google.com:19302", "", ""}, {"turns:t:5349", "u", "p"}};
  EXPECT_NO_THROW(validate(ok));
}

TEST(ConfigValidate, Mqtt) {
  EXPECT_THAT(invalid([](Config& c) { c.mqtt.url = "http://broker"; }),
              HasSubstr("mqtt.url: must start with tcp://, ssl://, mqtt://, mqtts://, ws:// or wss://"));
  EXPECT_THAT(invalid([](Config& c) { c.mqtt.client_id.clear(); }), HasSubstr("mqtt.client_id:"));
  EXPECT_THAT(invalid([](Config& c) { c.mqtt.answer_timeout_s = 0; }), HasSubstr("mqtt.answer_timeout_s:"));
  EXPECT_THAT(invalid([](Config& c) { c.mqtt.keepalive_interval_s = 0; }),
              HasSubstr("mqtt.keepalive_interval_s:"));
  for (const char* u : {"tcp://h:1883", "ssl://h:8883", "mqtt://h", "mqtts://h", "ws://h/mqtt", "wss://h"}) {
    Config c;
    c.mqtt.url = u;
    EXPECT_NO_THROW(validate(c)) << u;
  }
}

TEST(ConfigValidate, RtpPorts) {
  EXPECT_THAT(invalid([](Config& c) { c.rtp.port_min = 5001; }), HasSubstr("rtp.port_min: must be even"));
  EXPECT_THAT(invalid([](Config& c) { c.rtp.port_min = 6000; }), HasSubstr("rtp.port_max: must be >= rtp.port_min"));
  EXPECT_THAT(invalid([](Config& c) { c.rtp.port_min = 5000, c.rtp.port_max = 5002; }),
              HasSubstr("rtp.port_max: the range rtp.port_min..rtp.port_max must hold at least 4 ports"));
  EXPECT_THAT(invalid([](Config& c) { c.rtp.port_min = 0; }), HasSubstr("rtp.port_min:"));
  EXPECT_THAT(invalid([](Config& c) { c.rtp.port_max = 65536; }), HasSubstr("rtp.port_max:"));
  Config ok;
  ok.rtp.port_min = 5000;
  ok.rtp.port_max = 5003;
  EXPECT_NO_THROW(validate(ok));
}

TEST(ConfigValidate, Rtsp) {
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.path = "cam/{id}"; }),
              HasSubstr("rtsp.path: must start with '/' and contain {id} exactly once"));
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.path = "/cam"; }), HasSubstr("rtsp.path:"));
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.path = "/{id}/{id}"; }), HasSubstr("rtsp.path:"));
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.path = "/{id}?x"; }), HasSubstr("rtsp.path: must not contain"));
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.grace_s = 3601; }), HasSubstr("rtsp.grace_s:"));
  EXPECT_THAT(invalid([](Config& c) {
                c.rtsp.enabled = true;
                c.rtsp.port = c.http.port;
              }),
              HasSubstr("rtsp.port: must differ from http.port"));
  Config ok = with_camera({});
  ok.rtsp.enabled = true;
  ok.rtsp.port = ok.http.port;
  ok.rtsp.host = "127.0.0.2";  // another address: the same port is fine
  ok.http.host = "127.0.0.1";
  EXPECT_NO_THROW(validate(ok));
}

TEST(ConfigValidate, HlsAndMjpeg) {
  EXPECT_THAT(invalid([](Config& c) { c.hls.target_duration_s = 0.1; }),
              HasSubstr("hls.target_duration_s: must be a number in 0.2..10 (got 0.1)"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.target_duration_s = 11; }), HasSubstr("hls.target_duration_s:"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.playlist_length = 0; }), HasSubstr("hls.playlist_length:"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.playlist_length = 21; }), HasSubstr("hls.playlist_length:"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.max_files = 2; }),
              HasSubstr("hls.max_files: must be >= hls.playlist_length"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.idle_stop_s = 0; }), HasSubstr("hls.idle_stop_s:"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.part_ms = 50; }),
              HasSubstr("hls.part_ms: must be 0 (no partial segments) or 100..1000 (got 50)"));
  EXPECT_THAT(invalid([](Config& c) { c.hls.part_ms = 1001; }), HasSubstr("hls.part_ms:"));
  EXPECT_THAT(invalid([](Config& c) { c.mjpeg.fps = 61; }), HasSubstr("mjpeg.fps: must be an integer in 1..60"));
  EXPECT_THAT(invalid([](Config& c) { c.mjpeg.quality = 0; }), HasSubstr("mjpeg.quality:"));
  EXPECT_THAT(invalid([](Config& c) { c.mjpeg.width = 8; }), HasSubstr("mjpeg.width:"));
  EXPECT_THAT(invalid([](Config& c) { c.mjpeg.height = 8000; }), HasSubstr("mjpeg.height:"));
}

TEST(ConfigValidate, Cameras) {
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].id = "has space"; }),
              HasSubstr("cameras[0].id: must match [A-Za-z0-9_-]{1,64}"));
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].id = std::string(65, 'a'); }), HasSubstr("cameras[0].id:"));
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].id.clear(); }), HasSubstr("cameras[0].id:"));
  EXPECT_THAT(invalid([](Config& c) {
                c.cameras[0].id = "demo";
                c.cameras.push_back(Camera{.id = "other"});
                c.cameras.push_back(Camera{.id = "demo"});
              }),
              HasSubstr(R"(cameras[2].id: duplicate id "demo")"));
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].bandwidth.min_kbps = 0; }),
              HasSubstr("cameras[0].bandwidth.min_kbps: must be an integer in 1..1000000"));
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].bandwidth.max_kbps = 1000001; }),
              HasSubstr("cameras[0].bandwidth.max_kbps:"));
  EXPECT_THAT(invalid([](Config& c) { c.cameras[0].bandwidth = {3000, 2000}; }),
              HasSubstr("cameras[0].bandwidth.min_kbps: must be <= max_kbps"));
}

TEST(ConfigValidate, TestSource) {
  const std::string p = "cameras[0].source.";
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).width = 8; }), HasSubstr(p + "width: must be an integer in 16..7680"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).width = 7682; }), HasSubstr(p + "width:"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).width = 641; }), HasSubstr(p + "width: must be even"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).height = 481; }), HasSubstr(p + "height: must be even"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).fps = 0; }), HasSubstr(p + "fps: must be an integer in 1..120"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).fps = 121; }), HasSubstr(p + "fps:"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).bitrate_kbps = 49; }), HasSubstr(p + "bitrate_kbps: must be an integer in 50..100000"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).keyframe_interval_s = 0.05; }),
              HasSubstr(p + "keyframe_interval_s: must be a number in 0.1..60"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).keyframe_interval_s = 61; }), HasSubstr(p + "keyframe_interval_s:"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).profile = "extended"; }),
              HasSubstr(p + "profile: must be one of constrained-baseline, baseline, main, high"));
  EXPECT_THAT(invalid([](Config& c) { src<TestSource>(c).pattern.clear(); }), HasSubstr(p + "pattern:"));
}

TEST(ConfigValidate, RtpSource) {
  const std::string p = "cameras[0].source.";
  const Config base = with_camera(RtpSource{});
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).negotiation = "sip"; }, base),
              HasSubstr(p + "negotiation: must be one of mqtt, static"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).negotiation = "static"; }, base),
              HasSubstr(p + "video_port: must be set"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).video_port = 70000; }, base), HasSubstr(p + "video_port:"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).payload_type = 128; }, base),
              HasSubstr(p + "payload_type: must be an integer in 0..127"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).payload_type = -1; }, base), HasSubstr(p + "payload_type:"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).codec = "VP8"; }, base),
              HasSubstr(p + "codec: must be one of H264, H265 (got \"VP8\")"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).codec = "h265"; }, base),
              HasSubstr(p + "codec: must be one of H264, H265 (got \"h265\")"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).rtp_timeout_s = 0; }, base),
              HasSubstr(p + "rtp_timeout_s: must be an integer in 1..3600"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).rtp_timeout_s = 3601; }, base), HasSubstr(p + "rtp_timeout_s:"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).clock_rate = 0; }, base), HasSubstr(p + "clock_rate:"));
  // negotiation "mqtt" needs a broker.
  EXPECT_THAT(invalid([](Config& c) { c.mqtt.url.clear(); }, base),
              HasSubstr(p + "negotiation: \"mqtt\" needs an MQTT broker: set mqtt.url"));
  Config st = base;
  st.mqtt.url.clear();
  src<RtpSource>(st).negotiation = "static";
  src<RtpSource>(st).video_port = 5004;
  EXPECT_NO_THROW(validate(st));
}

TEST(ConfigValidate, RtpAudio) {
  const std::string p = "cameras[0].source.";
  Config base = with_camera(RtpSource{});
  base.mqtt.url.clear();
  src<RtpSource>(base).negotiation = "static";
  src<RtpSource>(base).video_port = 5004;
  src<RtpSource>(base).audio_port = 5006;
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_port = 5005; }, base),
              HasSubstr(p + "audio_port: must not overlap video_port/video_port+1 (got 5005, video_port 5004)"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_port = 5003; }, base),
              HasSubstr(p + "audio_port: must not overlap"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_port = 65535; }, base),
              HasSubstr(p + "audio_port: must be <= 65534"));
  EXPECT_THAT(invalid([](Config& c) {
                src<RtpSource>(c).negotiation = "mqtt";
                c.mqtt.url = "tcp://localhost:1883";
              }, base),
              HasSubstr(p + "audio_port: only for negotiation \"static\""));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_codec = "G722"; }, base),
              HasSubstr(p + "audio_codec: must be one of OPUS, PCMU, PCMA (got \"G722\")"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_payload_type = 200; }, base),
              HasSubstr(p + "audio_payload_type: must be an integer in 0..127"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_clock_rate = 8000; }, base),
              HasSubstr(p + "audio_clock_rate: must be 48000 for OPUS"));
  EXPECT_THAT(invalid([](Config& c) { src<RtpSource>(c).audio_clock_rate = 10; }, base),
              HasSubstr(p + "audio_clock_rate: must be an integer in 1000..1000000"));
  Config g711 = base;
  src<RtpSource>(g711).audio_codec = "PCMA";
  src<RtpSource>(g711).audio_clock_rate = 8000;
  src<RtpSource>(g711).audio_payload_type = 8;
  EXPECT_NO_THROW(validate(g711));
  EXPECT_EQ(default_audio_clock_rate("PCMU"), 8000);
  EXPECT_EQ(default_audio_clock_rate("OPUS"), 48000);
}

TEST(ConfigValidate, RtspSource) {
  const std::string p = "cameras[0].source.";
  const Config base = with_camera(RtspSource{.url = "rtsp://cam/live"});
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).url = "http://cam/live"; }, base),
              HasSubstr(p + "url: must start with rtsp:// or rtsps://"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).url.clear(); }, base),
              HasSubstr(p + "url: either url or host must be set"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).transport = "sctp"; }, base),
              HasSubstr(p + "transport: must be one of tcp, udp, auto"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).latency_ms = 10001; }, base),
              HasSubstr(p + "latency_ms: must be an integer in 0..10000"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).latency_ms = -1; }, base), HasSubstr(p + "latency_ms:"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).port = 0; }, base), HasSubstr(p + "port:"));
  EXPECT_THAT(invalid([](Config& c) { src<RtspSource>(c).codec = "MJPEG"; }, base),
              HasSubstr(p + "codec: must be one of H264, H265 (got \"MJPEG\")"));
  Config h265 = with_camera(RtspSource{.url = "rtsp://cam/live", .codec = "H265"});
  EXPECT_NO_THROW(validate(h265));
  EXPECT_EQ(video_codec(h265.cameras[0]), "H265");
  Config host = with_camera(RtspSource{.host = "10.0.0.5"});
  EXPECT_NO_THROW(validate(host));
  Config secure = with_camera(RtspSource{.url = "rtsps://cam:322/x"});
  EXPECT_NO_THROW(validate(secure));
}

TEST(ConfigValidate, V4l2Source) {
  const std::string p = "cameras[0].source.";
  const Config base = with_camera(V4l2Source{});
  EXPECT_THAT(invalid([](Config& c) { src<V4l2Source>(c).device.clear(); }, base),
              HasSubstr(p + "device: must not be empty"));
  EXPECT_THAT(invalid([](Config& c) { src<V4l2Source>(c).width = 0; }, base), HasSubstr(p + "width:"));
  EXPECT_THAT(invalid([](Config& c) { src<V4l2Source>(c).fps = 0; }, base), HasSubstr(p + "fps:"));
  EXPECT_THAT(invalid([](Config& c) { src<V4l2Source>(c).bitrate_kbps = 1; }, base), HasSubstr(p + "bitrate_kbps:"));
}

TEST(ConfigValidate, IndexInPathIsTheFailingCamera) {
  Config c;
  c.cameras.push_back(Camera{.id = "a"});
  c.cameras.push_back(Camera{.id = "b", .source = TestSource{.fps = 500}});
  try {
    validate(c);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cameras[1].source.fps:"));
  }
}

TEST(ConfigValidate, Tls) {
  auto error_of = [](const Config& c) -> std::string {
    try {
      validate(c);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return {};
  };
  Config c;
  c.http.tls.enabled = true;
  EXPECT_THAT(error_of(c), ::testing::HasSubstr("http.tls.cert: is required with TLS on"));
  c.http.tls.cert = "cert.pem";
  EXPECT_THAT(error_of(c), ::testing::HasSubstr("http.tls.key: is required with TLS on"));
  c.http.tls.key = "key.pem";
  EXPECT_EQ(error_of(c), "");
  // WSS only on the signaling port, plain HTTP on the API port: fine with a separate port ...
  Config s;
  s.http.tls.signaling = true;
  s.http.tls.cert = "cert.pem";
  s.http.tls.key = "key.pem";
  EXPECT_THAT(error_of(s), ::testing::HasSubstr("http.tls.signaling: cannot differ from http.tls.enabled"));
  s.http.signaling_port = 8765;
  EXPECT_EQ(error_of(s), "");
  // ... and it needs the certificate.
  s.http.tls.cert.clear();
  EXPECT_THAT(error_of(s), ::testing::HasSubstr("http.tls.cert"));
}

TEST(ValidateOnvif, DeviceNeedsTheRtspReServeAndSaneKeys) {
  Config ok;
  ok.rtsp.enabled = true;
  ok.onvif.enabled = true;
  ok.onvif.password = "long-enough";
  ok.onvif.interfaces = {"192.168.1.2"};
  EXPECT_NO_THROW(validate(ok));
  EXPECT_THAT(invalid([](Config& c) { c.rtsp.enabled = false; }, ok), HasSubstr("onvif.enabled: needs rtsp.enabled"));
  EXPECT_THAT(invalid([](Config& c) { c.onvif.interfaces = {"eth0"}; }, ok), HasSubstr("onvif.interfaces[0]"));
  EXPECT_THAT(invalid([](Config& c) { c.onvif.password = "short"; }, ok), HasSubstr("onvif.password"));
  EXPECT_THAT(invalid([](Config& c) { c.onvif.host = "a/b"; }, ok), HasSubstr("onvif.host"));
  EXPECT_THAT(invalid([](Config& c) { c.onvif.model = ""; }, ok), HasSubstr("onvif.model"));
}

TEST(ValidateOnvif, OnvifSourceNeedsAnHttpDeviceAddress) {
  OnvifSource s;
  s.url = "http://192.168.1.30/onvif/device_service";
  const Config base = with_camera(s);
  EXPECT_THAT(invalid([](Config& c) { src<OnvifSource>(c).url = "rtsp://x/y"; }, base), HasSubstr("cameras[0].source.url"));
  EXPECT_THAT(invalid([](Config& c) { src<OnvifSource>(c).url = "http://u:p@x/y"; }, base), HasSubstr("credentials"));
  EXPECT_THAT(invalid([](Config& c) { src<OnvifSource>(c).password = "pw"; }, base), HasSubstr("source.username"));
  EXPECT_THAT(invalid([](Config& c) { src<OnvifSource>(c).transport = "x"; }, base), HasSubstr("source.transport"));
  EXPECT_STREQ(source_type_name(base.cameras[0].source), "onvif");
}
