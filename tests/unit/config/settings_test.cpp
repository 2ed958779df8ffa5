// Stream settings (GET/PUT /streams/{id}/settings): the settings document of a camera, a
// partial document applied to it with errors under the document's own key names, the
// encoder/preset/latency_mode keys in the configuration file, and the jitter buffer each
// latency mode gives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

Camera camera(const std::string& body) { return parse_camera(body, Config{}); }

std::string apply_error(const Camera& c, const json& patch) {
  try {
    apply_settings_json(c, patch, Config{});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(StreamSettings, DocumentOfATestCamera) {
  const json j = settings_to_json(camera(R"({"id":"a","source":{"type":"test","width":640,"height":360}})"));
  EXPECT_EQ(j["source_type"], "test");
  EXPECT_EQ(j["encoded_by"], "camrelay");
  EXPECT_EQ(j["video"]["resolution"], "640x360");
  EXPECT_EQ(j["video"]["encoder"], "x264");
  EXPECT_EQ(j["video"]["preset"], "auto");
  EXPECT_EQ(j["video"]["profile"], "constrained-baseline");
  EXPECT_TRUE(j["latency_mode"].is_null());
  EXPECT_TRUE(j["jitter_buffer_ms"].is_null());
}

TEST(StreamSettings, DocumentOfCamerasThatEncodeThemselves) {
  const json rtsp = settings_to_json(camera(R"({"id":"a","source":{"type":"rtsp","url":"rtsp://h/x","latency_ms":300}})"));
  EXPECT_EQ(rtsp["encoded_by"], "camera");
  EXPECT_TRUE(rtsp["video"].is_null());
  EXPECT_EQ(rtsp["jitter_buffer_ms"], 300);
  const json rtp = settings_to_json(
      camera(R"({"id":"a","latency_mode":"high","source":{"type":"rtp","negotiation":"static","video_port":5000}})"));
  EXPECT_EQ(rtp["latency_mode"], "high");
  EXPECT_EQ(rtp["jitter_buffer_ms"], 2000);
}

TEST(StreamSettings, LatencyModesAreSeed002s) {
  EXPECT_EQ(latency_mode_ms("low"), 100);
  EXPECT_EQ(latency_mode_ms("normal"), 500);
  EXPECT_EQ(latency_mode_ms("high"), 2000);
  EXPECT_EQ(latency_mode_ms(""), -1);
  Camera rtp = camera(R"({"id":"a","source":{"type":"rtp","negotiation":"static","video_port":5000}})");
  EXPECT_EQ(jitter_buffer_ms(rtp), kRtpJitterBufferMs) << "no mode: the source's own";
  rtp.latency_mode = "low";
  EXPECT_EQ(jitter_buffer_ms(rtp), 100);
  EXPECT_EQ(jitter_buffer_ms(camera(R"({"id":"a"})")), -1) << "a test camera has no jitter buffer";
}

TEST(StreamSettings, APatchChangesOnlyWhatItNames) {
  const Camera before = camera(R"({"id":"a","name":"Yard","source":{"type":"test","width":640,"height":360,"fps":25}})");
  const Camera after = apply_settings_json(
      before, json::parse(R"({"video":{"resolution":"1280x720","bitrate_kbps":900,"profile":"high","preset":"fast"}})"),
      Config{});
  const auto& s = std::get<TestSource>(after.source);
  EXPECT_EQ(s.width, 1280);
  EXPECT_EQ(s.height, 720);
  EXPECT_EQ(s.fps, 25);
  EXPECT_EQ(s.bitrate_kbps, 900);
  EXPECT_EQ(s.profile, "high");
  EXPECT_EQ(s.preset, "fast");
  EXPECT_EQ(after.name, "Yard");
  EXPECT_EQ(apply_settings_json(before, json::object(), Config{}), before) << "an empty patch changes nothing";
}

TEST(StreamSettings, ErrorsNameTheDocumentsKeys) {
  const Camera test = camera(R"({"id":"a"})");
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"width":5}})")), StartsWith("video.width: "));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"width":641}})")), StartsWith("video.width: must be even"));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"resolution":"big"}})")), StartsWith("video.resolution: "));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"resolution":"64x64","height":64}})")),
              StartsWith("video.resolution: "));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"encoder":"nvenc"}})")), StartsWith("video.encoder: "));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"profile":"main","preset":"ultrafast"}})")),
              StartsWith("video.preset: "));
  EXPECT_THAT(apply_error(test, json::parse(R"({"video":{"colour":"red"}})")), StartsWith("video.colour: unknown key"));
  EXPECT_THAT(apply_error(test, json::parse(R"({"latency_mode":"low"})")),
              AllOf(StartsWith("latency_mode: "), HasSubstr("only for rtp, rtsp and onvif")));
  EXPECT_THAT(apply_error(test, json::parse(R"([1])")), HasSubstr("must be a JSON object"));
  const Camera rtsp = camera(R"({"id":"a","source":{"type":"rtsp","url":"rtsp://h/x"}})");
  EXPECT_THAT(apply_error(rtsp, json::parse(R"({"video":{"fps":5}})")),
              AllOf(StartsWith("video: "), HasSubstr("encodes its stream itself")));
  EXPECT_THAT(apply_error(rtsp, json::parse(R"({"latency_mode":"fast"})")), StartsWith("latency_mode: "));
  EXPECT_EQ(apply_settings_json(rtsp, json::parse(R"({"latency_mode":"low"})"), Config{}).latency_mode, "low");
  Camera low = rtsp;
  low.latency_mode = "low";
  EXPECT_EQ(apply_settings_json(low, json::parse(R"({"latency_mode":null})"), Config{}).latency_mode, "");
}

TEST(StreamSettings, FileKeysRoundTrip) {
  const Camera v4l2 = camera(
      R"({"id":"a","latency_mode":null,"source":{"type":"v4l2","encoder":"auto","profile":"main","preset":"veryfast"}})");
  const auto& s = std::get<V4l2Source>(v4l2.source);
  EXPECT_EQ(s.encoder, "auto");
  EXPECT_EQ(s.profile, "main");
  EXPECT_EQ(parse_camera(camera_to_json(v4l2), Config{}), v4l2);
  const Camera rtp = camera(R"({"id":"b","latency_mode":"normal","source":{"type":"rtp","negotiation":"static","video_port":5000}})");
  EXPECT_EQ(parse_camera(camera_to_json(rtp), Config{}), rtp);
  try {
    validate(parse_json(R"({"cameras":[{"id":"a","latency_mode":"low"}]})", "cam.json"));
    FAIL() << "a test camera with a latency mode was accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith("cameras[0].latency_mode: "));
  }
  try {
    validate(parse_json(R"({"cameras":[{"id":"a","source":{"type":"test","profile":"high","preset":"ultrafast"}}]})", "c.json"));
    FAIL() << "ultrafast with profile high was accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith("cameras[0].source.preset: "));
  }
}

TEST(CompositeCamera, ReadCheckedAndWrittenBack) {
  Config cfg = parse_json(R"({"cameras":[{"id":"a"},{"id":"b"},
    {"id":"pip","source":{"type":"composite","inputs":["a","b"],"position":"top-left","scale":0.3}}]})", "c.json");
  validate(cfg);
  const Camera& pip = cfg.cameras[2];
  const auto& s = std::get<CompositeSource>(pip.source);
  EXPECT_EQ(s.layout, "pip");
  EXPECT_EQ(s.position, "top-left");
  EXPECT_EQ(source_type_name(pip.source), std::string("composite"));
  Config others = cfg;  // parse_camera checks the id against the other cameras
  others.cameras.pop_back();
  EXPECT_EQ(parse_camera(camera_to_json(pip), others), pip);
  ASSERT_TRUE(own_encoding(pip.source).has_value()) << "camrelay encodes a composed camera";
  EXPECT_EQ(settings_to_json(pip)["video"]["resolution"], "1280x720");
  EXPECT_EQ(jitter_buffer_ms(pip), -1);
}

TEST(CompositeCamera, BadLayoutsNameTheKey) {
  auto error = [](const std::string& source) {
    try {
      validate(parse_json(R"({"cameras":[{"id":"a"},{"id":"inner","source":{"type":"composite","inputs":["a"],"layout":"grid"}},
        {"id":"x","source":)" + source + "}]}", "c.json"));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error(R"({"type":"composite","inputs":["a"]})"), StartsWith("cameras[2].source.inputs: must name two"));
  EXPECT_THAT(error(R"({"type":"composite","layout":"grid","inputs":["a","b","c","d","e"]})"),
              StartsWith("cameras[2].source.inputs: must name 1..4"));
  EXPECT_THAT(error(R"({"type":"composite","layout":"grid","inputs":["a","a"]})"),
              StartsWith("cameras[2].source.inputs[1]: names \"a\" twice"));
  EXPECT_THAT(error(R"({"type":"composite","inputs":["a","x"]})"), StartsWith("cameras[2].source.inputs[1]: cannot name the camera itself"));
  EXPECT_THAT(error(R"({"type":"composite","inputs":["a","inner"]})"),
              StartsWith("cameras[2].source.inputs[1]: \"inner\" is itself a composed camera"));
  EXPECT_THAT(error(R"({"type":"composite","inputs":["a","b c"]})"), StartsWith("cameras[2].source.inputs[1]: must be a camera id"));
  EXPECT_THAT(error(R"({"type":"composite","inputs":["a","b"],"scale":1.5})"), StartsWith("c.json: cameras[2].source.scale: "));
  EXPECT_EQ(error(R"({"type":"composite","layout":"grid","grid":"3x3","inputs":["a","not-yet-added"]})"), "")
      << "a camera that does not exist (yet) is a missing input, not an error";
}
