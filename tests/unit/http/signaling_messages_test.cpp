// WebSocket signaling messages (src/http/signaling_messages.hpp).
#include <gtest/gtest.h>

#include "signaling_messages.hpp"

namespace camrelay::http::signaling {
namespace {

std::string invalid_code(std::string_view text) {
  auto m = decode(text);
  auto* bad = std::get_if<Invalid>(&m);
  return bad ? bad->code : std::string("(accepted)");
}

TEST(SignalingMessages, Watch) {
  auto m = decode(R"({"type":"watch","camera":"demo","codecs":["video/H264","VP8"]})");
  auto& w = std::get<Watch>(m);
  EXPECT_EQ(w.camera, "demo");
  EXPECT_EQ(w.codecs, (std::vector<std::string>{"h264", "vp8"}));
  EXPECT_EQ(std::get<Watch>(decode(R"({"type":"watch","camera_id":"c1"})")).camera, "c1");
  EXPECT_EQ(invalid_code(R"({"type":"watch","camera":"../etc"})"), "invalid_message");
  EXPECT_EQ(invalid_code(R"({"type":"watch","camera":"a","codecs":"h264"})"), "invalid_message");
  EXPECT_EQ(invalid_code(R"({"type":"watch","camera":"a","codecs":[1]})"), "invalid_message");
  EXPECT_EQ(std::get<Watch>(decode(R"({"type":"watch","camera":"a"})")).quality, camrelay::model::Quality::main);
  EXPECT_EQ(std::get<Watch>(decode(R"({"type":"watch","camera":"a","quality":"sub"})")).quality,
            camrelay::model::Quality::sub);
  EXPECT_EQ(invalid_code(R"({"type":"watch","camera":"a","quality":"bogus"})"), "invalid_message");
  EXPECT_EQ(invalid_code(R"({"type":"watch","camera":"a","quality":1})"), "invalid_message");
}

TEST(SignalingMessages, AnswerAndCandidates) {
  EXPECT_EQ(std::get<Answer>(decode(R"({"type":"answer","sdp":"v=0\r\n"})")).sdp, "v=0\r\n");
  EXPECT_EQ(invalid_code(R"({"type":"answer","sdp":"hello"})"), "invalid_sdp");
  auto c = std::get<Candidate>(decode(R"({"type":"candidate","candidate":"candidate:1 1 udp 1 h 1 typ host","sdpMLineIndex":1})"));
  EXPECT_EQ(c.mline, 1u);
  auto init = std::get<Candidate>(decode(R"({"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":2}})"));
  EXPECT_EQ(init.candidate, "c");
  EXPECT_EQ(init.mline, 2u);
  EXPECT_EQ(std::get<Candidate>(decode(R"({"type":"candidate","candidate":null})")).candidate, "");
  EXPECT_EQ(invalid_code(R"({"type":"candidate","candidate":5})"), "invalid_message");
  EXPECT_EQ(invalid_code(R"({"type":"candidate","candidate":")" + std::string(2000, 'x') + "\"}"), "invalid_message");
  EXPECT_EQ(std::get<Candidate>(decode(R"({"type":"candidate","candidate":"c","sdpMLineIndex":99999999999})")).mline, 0u);
}

TEST(SignalingMessages, Others) {
  EXPECT_TRUE(std::holds_alternative<Stop>(decode(R"({"type":"stop"})")));
  EXPECT_TRUE(std::holds_alternative<Ping>(decode(R"({"type":"ping"})")));
  EXPECT_EQ(invalid_code("{not json"), "invalid_json");
  EXPECT_EQ(invalid_code("[1]"), "invalid_json");
  EXPECT_EQ(invalid_code(R"({"type":"dance"})"), "unknown_type");
  auto m = decode(R"({"type":")" + std::string(500, 'z') + "\"}");
  EXPECT_LT(std::get<Invalid>(m).message.size(), 120u);  // the unknown type is not echoed in full
}

}  // namespace
}  // namespace camrelay::http::signaling
