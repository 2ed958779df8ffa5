// Defaults, small helpers and the shipped example configuration.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"
#include "camrelay/config/secrets.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

TEST(ConfigDefaults, StructDefaults) {
  Config c;
  EXPECT_EQ(c.config_path, "");
  EXPECT_EQ(c.data_dir, "/var/lib/camrelay");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.signaling_port, 0);
  EXPECT_EQ(c.http.body_limit_bytes, 64u * 1024u);
  EXPECT_EQ(c.http.threads, 2);
  EXPECT_TRUE(c.webrtc.ice_servers.empty());
  EXPECT_EQ(c.webrtc.local_ips, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(c.webrtc.max_viewers_per_stream, 10);
  EXPECT_EQ(c.webrtc.max_viewers_total, 100);
  EXPECT_EQ(c.mqtt.url, "");
  EXPECT_EQ(c.mqtt.client_id, "camrelay");
  EXPECT_EQ(c.mqtt.topic_prefix, "cameras");
  EXPECT_EQ(c.rtp.port_min, 5000);
  EXPECT_EQ(c.rtp.port_max, 5050);
  EXPECT_TRUE(c.rtp.remb_enabled);
  EXPECT_DOUBLE_EQ(c.hls.target_duration_s, 1.0);
  EXPECT_FALSE(c.hls.always);
  EXPECT_EQ(c.hls.part_ms, 200);
  EXPECT_EQ(c.mjpeg.fps, 15);
  EXPECT_EQ(c.mjpeg.quality, 85);
  EXPECT_TRUE(c.cameras.empty());
}

TEST(ConfigDefaults, DefaultsValidate) { EXPECT_NO_THROW(validate(Config{})); }

TEST(ConfigDefaults, EmptyObjectGivesDefaults) {
  Config c = parse_json("{}");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.data_dir, "/var/lib/camrelay");
  EXPECT_TRUE(c.cameras.empty());
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigHelpers, SourceTypeName) {
  EXPECT_STREQ(source_type_name(TestSource{}), "test");
  EXPECT_STREQ(source_type_name(RtpSource{}), "rtp");
  EXPECT_STREQ(source_type_name(RtspSource{}), "rtsp");
  EXPECT_STREQ(source_type_name(V4l2Source{}), "v4l2");
}

TEST(ConfigHelpers, FindCamera) {
  Config c;
  c.cameras.push_back(Camera{.id = "a", .name = "A"});
  c.cameras.push_back(Camera{.id = "b", .name = "B"});
  ASSERT_NE(c.find_camera("b"), nullptr);
  EXPECT_EQ(c.find_camera("b")->name, "B");
  EXPECT_EQ(c.find_camera("c"), nullptr);
  EXPECT_EQ(c.find_camera(""), nullptr);
}

TEST(ConfigHelpers, UsageMentionsOptionsAndDocs) {
  std::string u = usage();
  for (const char* s : {"--config", "--data-dir", "--log-level", "--version", "--help",
                        "docs/configuration.md"}) {
    EXPECT_THAT(u, HasSubstr(s));
  }
}

TEST(ConfigHelpers, ProcessEnv) {
  ASSERT_EQ(::setenv("CAMRELAY_TEST_ENV_VAR", "a=b", 1), 0);
  auto env = process_env();
  ASSERT_TRUE(env.count("CAMRELAY_TEST_ENV_VAR"));
  EXPECT_EQ(env["CAMRELAY_TEST_ENV_VAR"], "a=b");
  ::unsetenv("CAMRELAY_TEST_ENV_VAR");
}

TEST(ConfigExample, ExampleFileLoadsAndValidates) {
  const std::string path = CAMRELAY_SOURCE_DIR "/config/camrelay.example.json";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  Config c = parse_json(ss.str(), path);
  EXPECT_NO_THROW(validate(c));
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_TRUE(c.webrtc.ice_servers.empty());
  EXPECT_EQ(c.mqtt.url, "");
  ASSERT_EQ(c.cameras.size(), 1u);
  EXPECT_EQ(c.cameras[0].id, "demo");
  EXPECT_EQ(c.cameras[0].name, "Demo test pattern");
  EXPECT_TRUE(c.cameras[0].auto_start);
  ASSERT_TRUE(std::holds_alternative<TestSource>(c.cameras[0].source));
  EXPECT_EQ(std::get<TestSource>(c.cameras[0].source).pattern, "smpte");
}

TEST(ConfigExample, ExampleFileThroughLoad) {
  const std::string path = CAMRELAY_SOURCE_DIR "/config/camrelay.example.json";
  const char* argv[] = {"camrelay", "--config", path.c_str()};
  CliAction action;
  Config c = load(3, argv, {}, action);
  EXPECT_FALSE(action.show_help);
  EXPECT_FALSE(action.show_version);
  EXPECT_EQ(c.config_path, path);
  ASSERT_NE(c.find_camera("demo"), nullptr);
}

TEST(ConfigExample, DocumentationExampleLoadsAndValidates) {
  const std::string path = CAMRELAY_SOURCE_DIR "/docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  auto section = doc.find("## Example");
  ASSERT_NE(section, std::string::npos);
  auto begin = doc.find("```json\n", section);
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  auto end = doc.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  Config c = parse_json(doc.substr(begin, end - begin), path);
  EXPECT_NO_THROW(validate(c));
  EXPECT_EQ(c.cameras.size(), 5u);
  EXPECT_STREQ(source_type_name(c.find_camera("yard")->source), "rtsp");
  EXPECT_STREQ(source_type_name(c.find_camera("desk")->source), "v4l2");
}

TEST(ConfigSecrets, KeysThatHoldPasswords) {
  Config c;
  EXPECT_TRUE(secret_keys(c).empty());
  c.mqtt.password = "x";
  RtspSource with_url;
  with_url.url = "rtsp://admin:pw@cam/stream1";
  RtspSource user_only;
  user_only.url = "rtsp://admin@cam/stream1";
  RtspSource fields;
  fields.password = "pw";
  c.cameras = {Camera{"a", "a", with_url}, Camera{"b", "b", user_only}, Camera{"c", "c", fields}};
  c.webrtc.ice_servers = {IceServer{"turn:t:3478", "u", "secret"}};
  const auto keys = secret_keys(c);
  EXPECT_EQ(keys, (std::vector<std::string>{"mqtt.password", "webrtc.ice_servers[0].credential",
                                            "cameras[a].source (RTSP password)", "cameras[c].source (RTSP password)"}));
}
