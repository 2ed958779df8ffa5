#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "camrelay/camera/messages.hpp"

using namespace camrelay::camera;
using ::testing::HasSubstr;

namespace {
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Messages, OfferAndAnswerRoundTrip) {
  SdpMessage m{"bcgh_1", "v=0\r\nm=video 5006 RTP/AVPF 96\r\n"};
  const std::string j = to_json(m);
  auto parsed = nlohmann::json::parse(j);
  EXPECT_EQ(parsed.at("session_id"), "bcgh_1");
  EXPECT_EQ(parsed.at("sdp"), m.sdp);
  auto back = parse_sdp_message(j);
  EXPECT_EQ(back.session_id, m.session_id);
  EXPECT_EQ(back.sdp, m.sdp);
}

TEST(Messages, KeepaliveStopStatus) {
  EXPECT_EQ(nlohmann::json::parse(to_json(KeepaliveMessage{"s", 3})), (nlohmann::json{{"session_id", "s"}, {"seq", 3}}));
  EXPECT_EQ(parse_keepalive(R"({"session_id":"s","seq":7})").seq, 7u);
  EXPECT_EQ(nlohmann::json::parse(to_json(StopMessage{"s"})), (nlohmann::json{{"session_id", "s"}}));
  EXPECT_EQ(parse_stop(R"({"session_id":"x"})").session_id, "x");
  EXPECT_EQ(to_json(StatusMessage{true}), R"({"state":"online"})");
  EXPECT_EQ(to_json(StatusMessage{false}), R"({"state":"offline"})");
  EXPECT_TRUE(parse_status(R"({"state":"online","fw":"1.2"})").online);
  EXPECT_FALSE(parse_status(R"({"state":"offline"})").online);
}

TEST(Messages, MalformedInputIsRejectedWithAReason) {
  EXPECT_THAT(error_of([] { parse_sdp_message("{not json"); }), HasSubstr("invalid JSON at byte"));
  EXPECT_THAT(error_of([] { parse_sdp_message(""); }), HasSubstr("invalid JSON"));
  EXPECT_THAT(error_of([] { parse_sdp_message("[1,2]"); }), HasSubstr("JSON object"));
  EXPECT_THAT(error_of([] { parse_sdp_message(R"({"sdp":"v=0"})"); }), HasSubstr("\"session_id\""));
  EXPECT_THAT(error_of([] { parse_sdp_message(R"({"session_id":"a","sdp":5})"); }), HasSubstr("\"sdp\""));
  EXPECT_THAT(error_of([] { parse_sdp_message(R"({"session_id":"","sdp":"v=0"})"); }), HasSubstr("\"session_id\""));
  EXPECT_THAT(error_of([] { parse_keepalive(R"({"session_id":"a","seq":-1})"); }), HasSubstr("\"seq\""));
  EXPECT_THAT(error_of([] { parse_status(R"({"state":"sleeping"})"); }), HasSubstr("online"));
  EXPECT_THAT(error_of([] { parse_status(R"("online")"); }), HasSubstr("JSON object"));
  EXPECT_THAT(error_of([] { parse_sdp_message(std::string(kMaxMessageBytes + 1, ' ')); }), HasSubstr("too large"));
}
