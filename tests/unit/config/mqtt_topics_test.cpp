// mqtt.topics (topic templates of the BCGH camera contract): parsing and validation.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {
std::string invalid_topics(const std::function<void(MqttTopics&)>& mutate) {
  Config c;
  EXPECT_NO_THROW(validate(c));
  mutate(c.mqtt.topics);
  try {
    validate(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "validate() accepted the topics";
  return {};
}
}  // namespace

TEST(ConfigMqttTopics, DefaultsAreTheCameraContract) {
  Config c;
  EXPECT_EQ(c.mqtt.topics.offer, "{prefix}/{camera_id}/stream/offer");
  EXPECT_EQ(c.mqtt.topics.answer, "{prefix}/{camera_id}/stream/answer");
  EXPECT_EQ(c.mqtt.topics.keepalive, "{prefix}/{camera_id}/stream/keepalive");
  EXPECT_EQ(c.mqtt.topics.stop, "{prefix}/{camera_id}/stream/stop");
  EXPECT_EQ(c.mqtt.topics.status, "{prefix}/{camera_id}/status");
}

TEST(ConfigMqttTopics, ParsedFromJson) {
  Config c = parse_json(R"({"mqtt": {"topics": {"offer": "bcgh/{camera_id}/sdp/offer",
                                                  "status": "presence/{camera_id}"}}})");
  EXPECT_EQ(c.mqtt.topics.offer, "bcgh/{camera_id}/sdp/offer");
  EXPECT_EQ(c.mqtt.topics.status, "presence/{camera_id}");
  EXPECT_EQ(c.mqtt.topics.answer, "{prefix}/{camera_id}/stream/answer");  // untouched
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigMqttTopics, JsonErrorsNameTheKey) {
  auto err = [](const std::string& text) {
    try {
      parse_json(text);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_THAT(err(R"({"mqtt": {"topics": {"offr": "x/{camera_id}"}}})"), HasSubstr("mqtt.topics.offr: unknown key"));
  EXPECT_THAT(err(R"({"mqtt": {"topics": {"offer": 5}}})"), HasSubstr("mqtt.topics.offer: must be a string"));
  EXPECT_THAT(err(R"({"mqtt": {"topics": []}})"), HasSubstr("mqtt.topics: must be an object"));
}

TEST(ConfigMqttTopics, Validation) {
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.offer = "cameras/offer"; }),
              HasSubstr("mqtt.topics.offer: must contain {camera_id}"));
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.answer = "{prefix}/{camera}/answer"; }),
              HasSubstr("mqtt.topics.answer: may only use the placeholders {prefix} and {camera_id}"));
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.stop = "{prefix}/+/{camera_id}"; }),
              HasSubstr("mqtt.topics.stop: must not contain the wildcards"));
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.status.clear(); }), HasSubstr("mqtt.topics.status: must not be empty"));
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.keepalive = t.offer; }),
              HasSubstr("mqtt.topics.keepalive: must differ from mqtt.topics.offer"));
  EXPECT_THAT(invalid_topics([](MqttTopics& t) { t.offer = "{prefix}/{camera_id"; }),
              HasSubstr("mqtt.topics.offer: may only use the placeholders"));
}

TEST(ConfigMqttTopics, PrefixWithoutWildcards) {
  Config c;
  c.mqtt.topic_prefix = "cams/#";
  try {
    validate(c);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("mqtt.topic_prefix: must not contain the wildcards"));
  }
}
