// parse_camera(): one camera object (the REST API's body) read and validated by the same
// code as the file's cameras, with the same messages; camera_to_json() back; credentials
// moved, masked and kept.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/config/secrets.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {

// What parse_camera says about `body` within `cfg` ("" if it accepts it).
std::string api_error(const std::string& body, const Config& cfg = {}) {
  try {
    parse_camera(body, cfg);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

// What the configuration file loader says about the same camera as the file's only one.
std::string file_error(const std::string& camera) {
  try {
    validate(parse_json(R"({"cameras":[)" + camera + "]}", "cam.json"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(ParseCamera, ReadsTheFileFormat) {
  const Camera c = parse_camera(
      std::string(R"({"id":"cam2","name":"Garage","source":{"type":"rtsp","url":"rtsp://user:pw@host/x"},"auto_start":true})"),
      Config{});
  EXPECT_EQ(c.id, "cam2");
  EXPECT_EQ(c.name, "Garage");
  EXPECT_TRUE(c.auto_start);
  EXPECT_EQ(std::get<RtspSource>(c.source).url, "rtsp://user:pw@host/x");
  EXPECT_EQ(parse_camera(std::string(R"({"id":"x"})"), Config{}).name, "x") << "the name defaults to the id";
}

TEST(ParseCamera, SameMessagesAsTheConfigurationFile) {
  // Each: the file's message is "cam.json: cameras[0].<key>: <problem>" (reading) or
  // "cameras[0].<key>: <problem>" (validation); the API's is "<key>: <problem>".
  const std::vector<std::string> bad = {
      R"({"id":"a","source":{"type":"foo"}})",                          // read: enum
      R"({"id":"a","colour":"red"})",                                   // read: unknown key
      R"({"id":"a b"})",                                                // read: id shape
      R"({"name":"no id"})",                                            // read: required
      R"({"id":"a","source":{"type":"test","width":33}})",              // validate: even
      R"({"id":"a","bandwidth":{"min_kbps":900,"max_kbps":800}})",      // validate: min <= max
      R"({"id":"a","source":{"type":"rtsp","url":"http://x/"}})",       // validate: scheme
      R"({"id":"a","source":{"type":"rtp","negotiation":"mqtt"}})",     // validate: needs mqtt.url
  };
  for (const auto& cam : bad) {
    const std::string api = api_error(cam);
    const std::string file = file_error(cam);
    ASSERT_FALSE(api.empty()) << cam;
    ASSERT_FALSE(file.empty()) << cam;
    EXPECT_TRUE(file.ends_with("cameras[0]." + api)) << "file: " << file << "\napi:  " << api;
  }
  EXPECT_EQ(api_error(R"({"id":"a","source":{"type":"foo"}})"),
            "source.type: must be one of test, rtp, rtsp, v4l2, composite, onvif (got \"foo\")");
}

TEST(ParseCamera, InvalidJsonAndNonObjects) {
  const std::string api = api_error(R"({"id": )");
  EXPECT_THAT(api, ::testing::StartsWith("invalid JSON at byte "));
  try {
    parse_json(R"({"id": )", "cam.json");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cam.json: " + api) << "the file's message without the file name";
  }
  EXPECT_THAT(api_error("[1]"), HasSubstr("must be an object"));
  EXPECT_THAT(api_error(R"({"id":"a","source":[1]})"), HasSubstr("source: must be an object"));
}

TEST(ParseCamera, DuplicateIdsWithinTheConfiguration) {
  Config cfg;
  cfg.cameras.push_back(Camera{.id = "cam1", .name = "cam1"});
  try {
    parse_camera(std::string(R"({"id":"cam1"})"), cfg);
    ADD_FAILURE() << "accepted a taken id";
  } catch (const DuplicateIdError& e) {
    EXPECT_EQ(std::string(e.what()), "id: duplicate id \"cam1\"");
  }
  // The file says the same about its own duplicates (and it is a DuplicateIdError there too).
  EXPECT_THROW(validate(parse_json(R"({"cameras":[{"id":"cam1"},{"id":"cam1"}]})")), DuplicateIdError);
  EXPECT_EQ(file_error(R"({"id":"cam1"},{"id":"cam1"})"), "cameras[1].id: duplicate id \"cam1\"");
  EXPECT_NO_THROW(parse_camera(std::string(R"({"id":"cam2"})"), cfg));
}

TEST(ParseCamera, ContextSettingsApply) {
  Config cfg;
  cfg.mqtt.url = "tcp://broker:1883";
  EXPECT_NO_THROW(parse_camera(std::string(R"({"id":"b","source":{"type":"rtp"}})"), cfg));
}

TEST(CameraJson, RoundTripsEverySource) {
  const std::vector<std::string> bodies = {
      R"({"id":"t","name":"T","auto_start":true,"audio":false,"bandwidth":{"min_kbps":100,"max_kbps":900},
          "source":{"type":"test","width":320,"height":240,"fps":10,"pattern":"ball","overlay_clock":false}})",
      R"({"id":"r","source":{"type":"rtp","negotiation":"static","video_port":6000,"audio_port":6002,
          "audio_codec":"PCMU"}})",
      R"({"id":"s","source":{"type":"rtsp","host":"cam","port":8554,"path":"/live","username":"u",
          "password":"p","transport":"udp","latency_ms":50,"codec":"H265"}})",
      R"({"id":"v","source":{"type":"v4l2","device":"/dev/video2","width":640,"height":480,"fps":15}})",
      R"({"id":"rec","record":{"mode":"continuous","segment_s":60,"max_age_h":24,"max_mb":500}})",
      R"({"id":"sub","sub":{"enabled":false,"width":320,"height":180,"fps":10,"bitrate_kbps":250,
          "keyframe_interval_s":2.0,"encoder":"x264","profile":"main","preset":"veryfast"}})",
  };
  for (const auto& b : bodies) {
    const Camera c = parse_camera(b, Config{});
    EXPECT_EQ(parse_camera(camera_to_json(c), Config{}), c) << b;
  }
}

TEST(SubStreamConfig, DefaultsAreTheIssues) {
  const Camera c = parse_camera(std::string(R"({"id":"a"})"), Config{});
  EXPECT_TRUE(c.sub.enabled);
  EXPECT_EQ(c.sub.width, 640);
  EXPECT_EQ(c.sub.height, 360);
  EXPECT_EQ(c.sub.fps, 0);
  EXPECT_EQ(c.sub.bitrate_kbps, 500);
  EXPECT_DOUBLE_EQ(c.sub.keyframe_interval_s, 1.0);
  EXPECT_EQ(c.sub.encoder, "x264");
  EXPECT_EQ(c.sub.profile, "constrained-baseline");
  EXPECT_EQ(c.sub.preset, "ultrafast");
  const auto j = camera_to_json(c);
  EXPECT_EQ(j.at("sub").size(), 9u);
  EXPECT_EQ(j.at("sub").at("bitrate_kbps"), 500);
}

TEST(SubStreamConfig, ErrorsNameTheKey) {
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"width":641}})"), HasSubstr("cameras[0].sub.width"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"height":8}})"), HasSubstr("cameras[0].sub.height"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"fps":-1}})"), HasSubstr("cameras[0].sub.fps"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"bitrate_kbps":10}})"), HasSubstr("cameras[0].sub.bitrate_kbps"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"keyframe_interval_s":0}})"),
              HasSubstr("cameras[0].sub.keyframe_interval_s"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"encoder":"nvenc"}})"), HasSubstr("cameras[0].sub.encoder"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"profile":"high10"}})"), HasSubstr("cameras[0].sub.profile"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"preset":"placebo"}})"), HasSubstr("cameras[0].sub.preset"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"profile":"main","preset":"ultrafast"}})"), HasSubstr("cameras[0].sub.preset"));
  EXPECT_THAT(file_error(R"({"id":"a","sub":{"bogus":1}})"), HasSubstr("bogus"));
  EXPECT_THAT(api_error(R"({"id":"a","sub":{"enabled":"yes"}})"), HasSubstr("sub.enabled"));
  EXPECT_EQ(file_error(R"({"id":"a","sub":{"fps":0,"preset":"veryslow"}})"), "");
  // validate() checks a camera built in code (the settings API's path) the same way.
  Config cfg;
  Camera c;
  c.id = "a";
  c.sub.width = 7;
  cfg.cameras.push_back(c);
  try {
    validate(cfg);
    ADD_FAILURE() << "accepted an odd width";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cameras[0].sub.width"));
  }
}

TEST(CameraCredentials, TakenOutAndPutBack) {
  Camera c = parse_camera(
      std::string(R"({"id":"s","source":{"type":"rtsp","url":"rtsp://admin:s3cr%40t@cam:554/h264","username":"u","password":"p"}})"),
      Config{});
  const Camera original = c;
  const CameraCredentials cred = take_credentials(c);
  EXPECT_EQ(cred.url_userinfo, "admin:s3cr%40t");
  EXPECT_EQ(cred.username, "u");
  EXPECT_EQ(cred.password, "p");
  const auto& r = std::get<RtspSource>(c.source);
  EXPECT_EQ(r.url, "rtsp://cam:554/h264");
  EXPECT_TRUE(r.username.empty());
  EXPECT_TRUE(r.password.empty());
  const std::string left = camera_to_json(c).dump();
  EXPECT_EQ(left.find("s3cr"), std::string::npos) << left;
  put_credentials(c, cred);
  EXPECT_EQ(c, original);

  Camera empty_info = parse_camera(std::string(R"({"id":"e","source":{"type":"rtsp","url":"rtsp://@cam/x"}})"), Config{});
  const Camera with_at = empty_info;
  EXPECT_TRUE(take_credentials(empty_info).empty());
  EXPECT_EQ(empty_info, with_at) << "an empty userinfo is no credential: the url stays as it is";

  Camera test = parse_camera(std::string(R"({"id":"t"})"), Config{});
  EXPECT_TRUE(take_credentials(test).empty()) << "a test source has none";
}

TEST(CameraCredentials, MaskedAndKept) {
  const Camera stored = parse_camera(
      std::string(R"({"id":"s","source":{"type":"rtsp","url":"rtsp://admin:pw1@cam/x","password":"pw2"}})"), Config{});
  const Camera shown = mask_credentials(stored);
  EXPECT_EQ(std::get<RtspSource>(shown.source).url, "rtsp://admin:***@cam/x");
  EXPECT_EQ(std::get<RtspSource>(shown.source).password, "***");
  EXPECT_EQ(keep_masked_credentials(shown, &stored), stored) << "*** sent back keeps the stored passwords";

  Camera changed = shown;
  std::get<RtspSource>(changed.source).url = "rtsp://admin:new@cam2/x";
  const Camera kept = keep_masked_credentials(changed, &stored);
  EXPECT_EQ(std::get<RtspSource>(kept.source).url, "rtsp://admin:new@cam2/x") << "a new password is taken";
  EXPECT_EQ(std::get<RtspSource>(kept.source).password, "pw2");

  EXPECT_THROW(keep_masked_credentials(shown, nullptr), ConfigError) << "nothing stored to keep";
  const Camera no_pw = mask_credentials(parse_camera(std::string(R"({"id":"n","source":{"type":"rtsp","url":"rtsp://u@h/x"}})"), Config{}));
  EXPECT_EQ(std::get<RtspSource>(no_pw.source).url, "rtsp://u@h/x") << "a user name alone is not masked";
}

TEST(SecretKeys, CameraPasswordsInTheUrlOrTheKey) {
  Config cfg = parse_json(R"({"cameras":[{"id":"a","source":{"type":"rtsp","url":"rtsp://u:p@h/x"}},
                                         {"id":"b","source":{"type":"rtsp","url":"rtsp://u@h/x"}},
                                         {"id":"c","source":{"type":"rtsp","host":"h","password":"p"}}]})");
  EXPECT_EQ(secret_keys(cfg), (std::vector<std::string>{"cameras[a].source (RTSP password)",
                                                        "cameras[c].source (RTSP password)"}));
}
