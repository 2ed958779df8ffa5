#include <gtest/gtest.h>

#include <stdexcept>

#include "camrelay/camera/topics.hpp"

using namespace camrelay;
using namespace camrelay::camera;

TEST(Topics, DefaultsFollowTheCameraContract) {
  config::Mqtt m;
  auto t = camera_topics(m, "56C1CADC");
  EXPECT_EQ(t.offer, "cameras/56C1CADC/stream/offer");
  EXPECT_EQ(t.answer, "cameras/56C1CADC/stream/answer");
  EXPECT_EQ(t.keepalive, "cameras/56C1CADC/stream/keepalive");
  EXPECT_EQ(t.stop, "cameras/56C1CADC/stream/stop");
  EXPECT_EQ(t.status, "cameras/56C1CADC/status");
}

TEST(Topics, PrefixAndCustomTemplates) {
  config::Mqtt m;
  m.topic_prefix = "home/cams";
  m.topics.offer = "bcgh/{camera_id}/sdp/offer";
  auto t = camera_topics(m, "front");
  EXPECT_EQ(t.offer, "bcgh/front/sdp/offer");
  EXPECT_EQ(t.status, "home/cams/front/status");
  EXPECT_EQ(expand_topic("{camera_id}-{camera_id}", "p", "x"), "x-x");
}

TEST(Topics, BadTemplatesThrow) {
  EXPECT_THROW(expand_topic("{prefix}/{camera}/offer", "p", "c"), std::invalid_argument);
  EXPECT_THROW(expand_topic("{prefix/offer", "p", "c"), std::invalid_argument);
  EXPECT_THROW(expand_topic("{prefix}/+/offer", "p", "c"), std::invalid_argument);
  EXPECT_THROW(expand_topic("{camera_id}", "p", ""), std::invalid_argument);
  EXPECT_THROW(expand_topic("{prefix}/#", "p", "c"), std::invalid_argument);
}

TEST(Topics, FilterMatching) {
  EXPECT_TRUE(topic_matches("cameras/a/status", "cameras/a/status"));
  EXPECT_FALSE(topic_matches("cameras/a/status", "cameras/b/status"));
  EXPECT_TRUE(topic_matches("cameras/+/status", "cameras/b/status"));
  EXPECT_FALSE(topic_matches("cameras/+/status", "cameras/b/stream/status"));
  EXPECT_TRUE(topic_matches("cameras/#", "cameras/b/stream/answer"));
  EXPECT_TRUE(topic_matches("cameras/#", "cameras"));
  EXPECT_FALSE(topic_matches("cameras/a", "cameras/a/b"));
  EXPECT_FALSE(topic_matches("cameras/a/b", "cameras/a"));
  EXPECT_FALSE(topic_matches("#", "$SYS/broker"));
  EXPECT_TRUE(topic_matches("+/+", "a/"));
}
