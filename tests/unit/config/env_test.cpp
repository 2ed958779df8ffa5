// apply_env(): environment overrides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {

std::string env_error(const std::map<std::string, std::string>& env) {
  Config c;
  try {
    apply_env(c, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

}  // namespace

TEST(ConfigEnv, ScalarOverrides) {
  Config c;
  apply_env(c, {{"API_SERVER_HOST", "127.0.0.1"},
                {"API_SERVER_PORT", "9090"},
                {"SIGNALING_SERVER_PORT", "8765"},
                {"WEBRTC_UDP_PORT_MIN", "40000"},
                {"WEBRTC_UDP_PORT_MAX", "40100"},
                {"MAX_VIEWERS_PER_STREAM", "20"},
                {"MAX_VIEWERS_TOTAL", " 200 "},
                {"MQTT_URL", "ssl://broker:8883"},
                {"MQTT_USERNAME", "user"},
                {"MQTT_PASSWORD", " secret "},
                {"CAMRELAY_DATA_DIR", "/srv/camrelay"},
                {"LOG_LEVEL", "DEBUG"},
                {"UNRELATED", "x"}});
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.http.signaling_port, 8765);
  EXPECT_EQ(c.webrtc.udp_port_min, 40000);
  EXPECT_EQ(c.webrtc.udp_port_max, 40100);
  EXPECT_EQ(c.webrtc.max_viewers_per_stream, 20);
  EXPECT_EQ(c.webrtc.max_viewers_total, 200);
  EXPECT_EQ(c.mqtt.url, "ssl://broker:8883");
  EXPECT_EQ(c.mqtt.username, "user");
  EXPECT_EQ(c.mqtt.password, " secret ");  // passwords are taken verbatim
  EXPECT_EQ(c.data_dir, "/srv/camrelay");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigEnv, EmptyValuesAreIgnored) {
  Config c;
  apply_env(c, {{"API_SERVER_PORT", ""}, {"API_SERVER_HOST", ""}, {"STUN_SERVER", ""},
                {"EXTERNAL_IP", ""}, {"LOG_LEVEL", ""}, {"MAX_VIDEO_BANDWIDTH", ""}});
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_TRUE(c.webrtc.ice_servers.empty());
  EXPECT_EQ(c.log_level, "info");
}

TEST(ConfigEnv, BadNumbers) {
  EXPECT_THAT(env_error({{"API_SERVER_PORT", "x"}}),
              HasSubstr(R"(env API_SERVER_PORT: must be an integer (got "x"))"));
  EXPECT_THAT(env_error({{"API_SERVER_PORT", "80x"}}), HasSubstr("env API_SERVER_PORT: must be an integer"));
  EXPECT_THAT(env_error({{"API_SERVER_PORT", "8.5"}}), HasSubstr("env API_SERVER_PORT:"));
  EXPECT_THAT(env_error({{"API_SERVER_PORT", "99999999999999"}}), HasSubstr("env API_SERVER_PORT:"));
  EXPECT_THAT(env_error({{"SIGNALING_SERVER_PORT", "abc"}}), HasSubstr("env SIGNALING_SERVER_PORT:"));
  EXPECT_THAT(env_error({{"WEBRTC_UDP_PORT_MIN", "a"}}), HasSubstr("env WEBRTC_UDP_PORT_MIN:"));
  EXPECT_THAT(env_error({{"WEBRTC_UDP_PORT_MAX", "a"}}), HasSubstr("env WEBRTC_UDP_PORT_MAX:"));
  EXPECT_THAT(env_error({{"MAX_VIEWERS_PER_STREAM", "ten"}}), HasSubstr("env MAX_VIEWERS_PER_STREAM:"));
  EXPECT_THAT(env_error({{"MAX_VIEWERS_TOTAL", "-"}}), HasSubstr("env MAX_VIEWERS_TOTAL:"));
  EXPECT_THAT(env_error({{"MAX_VIDEO_BANDWIDTH", "5M"}}), HasSubstr("env MAX_VIDEO_BANDWIDTH:"));
  EXPECT_THAT(env_error({{"MIN_VIDEO_BANDWIDTH", "lots"}}), HasSubstr("env MIN_VIDEO_BANDWIDTH:"));
}

TEST(ConfigEnv, OutOfRangeNumbersFailValidation) {
  Config c;
  apply_env(c, {{"API_SERVER_PORT", "0"}});
  EXPECT_EQ(c.http.port, 0);
  EXPECT_THROW(validate(c), ConfigError);
}

TEST(ConfigEnv, ExternalIpList) {
  Config c;
  apply_env(c, {{"EXTERNAL_IP", "192.168.199.173, 203.0.113.9,,"}});
  EXPECT_EQ(c.webrtc.announced_ips, (std::vector<std::string>{"192.168.199.173", "203.0.113.9"}));
}

TEST(ConfigEnv, StunReplacesList) {
  Config c;
  c.webrtc.ice_servers = {{"stun:old:1", "", ""}};
  apply_env(c, {{"STUN_SERVER", "stun.l.google.com:19302, stun:other:3478,turn:t:3478"}});
  ASSERT_EQ(c.webrtc.ice_servers.size(), 3u);
  EXPECT_EQ(c.webrtc.ice_servers[0].url, "stun:stun.l.google.com:19302");
  EXPECT_EQ(c.webrtc.ice_servers[1].url, "stun:other:3478");
  EXPECT_EQ(c.webrtc.ice_servers[2].url, "turn:t:3478");
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigEnv, TurnAppends) {
  Config c;
  apply_env(c, {{"STUN_SERVER", "stun:s:3478"},
                {"TURN_SERVER", "turn.example.org:3478"},
                {"TURN_USERNAME", "alice"},
                {"TURN_PASSWORD", "pw"}});
  ASSERT_EQ(c.webrtc.ice_servers.size(), 2u);
  EXPECT_EQ(c.webrtc.ice_servers[0].url, "stun:s:3478");
  EXPECT_EQ(c.webrtc.ice_servers[1].url, "turn:turn.example.org:3478");
  EXPECT_EQ(c.webrtc.ice_servers[1].username, "alice");
  EXPECT_EQ(c.webrtc.ice_servers[1].credential, "pw");

  Config d;
  d.webrtc.ice_servers = {{"stun:keep:1", "", ""}};
  apply_env(d, {{"TURN_SERVER", "turns:t.example.org:5349?transport=tcp"}});
  ASSERT_EQ(d.webrtc.ice_servers.size(), 2u);
  EXPECT_EQ(d.webrtc.ice_servers[0].url, "stun:keep:1");
  EXPECT_EQ(d.webrtc.ice_servers[1].url, "turns:t.example.org:5349?transport=tcp");

  Config e;
  apply_env(e, {{"TURN_USERNAME", "alice"}, {"TURN_PASSWORD", "pw"}});  // no TURN_SERVER
  EXPECT_TRUE(e.webrtc.ice_servers.empty());
}

TEST(ConfigEnv, BandwidthDefaultsDoNotOverrideExplicitValues) {
  Config c = parse_json(R"({"cameras":[
      {"id":"plain"},
      {"id":"max_only","bandwidth":{"max_kbps":3000}},
      {"id":"both","bandwidth":{"min_kbps":100,"max_kbps":900}}]})");
  apply_env(c, {{"MAX_VIDEO_BANDWIDTH", "8000"}, {"MIN_VIDEO_BANDWIDTH", "300"}});
  EXPECT_EQ(c.cameras[0].bandwidth.max_kbps, 8000);
  EXPECT_EQ(c.cameras[0].bandwidth.min_kbps, 300);
  EXPECT_EQ(c.cameras[1].bandwidth.max_kbps, 3000);
  EXPECT_EQ(c.cameras[1].bandwidth.min_kbps, 300);
  EXPECT_EQ(c.cameras[2].bandwidth.max_kbps, 900);
  EXPECT_EQ(c.cameras[2].bandwidth.min_kbps, 100);
  EXPECT_NO_THROW(validate(c));
}

// The seed's TLS variables (docs/security.md "TLS").
TEST(ConfigEnv, TlsVariables) {
  Config c;
  apply_env(c, {{"API_USE_SSL", "true"}, {"SSL_CERT", "/etc/camrelay/fullchain.pem"},
                {"SSL_KEY", "/etc/camrelay/privkey.pem"}});
  EXPECT_TRUE(c.http.tls.enabled);
  EXPECT_EQ(c.http.tls.cert, "/etc/camrelay/fullchain.pem");
  EXPECT_EQ(c.http.tls.key, "/etc/camrelay/privkey.pem");
  EXPECT_FALSE(c.http.tls.signaling.has_value());  // like http.port
  EXPECT_NO_THROW(validate(c));

  for (const char* yes : {"1", "TRUE", "yes", "On"}) {
    Config y;
    apply_env(y, {{"API_USE_SSL", yes}});
    EXPECT_TRUE(y.http.tls.enabled) << yes;
  }
  Config n;
  n.http.tls.enabled = true;
  apply_env(n, {{"API_USE_SSL", "false"}, {"SIGNALING_USE_SSL", "0"}});
  EXPECT_FALSE(n.http.tls.enabled);
  EXPECT_EQ(n.http.tls.signaling, std::optional<bool>(false));
  EXPECT_THAT(env_error({{"API_USE_SSL", "maybe"}}), HasSubstr(R"(env API_USE_SSL: must be true or false (got "maybe"))"));
  EXPECT_THAT(env_error({{"SIGNALING_USE_SSL", "2"}}), HasSubstr("env SIGNALING_USE_SSL: must be true or false"));
}
