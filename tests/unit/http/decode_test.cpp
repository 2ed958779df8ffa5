// Request body decoders (src/http/decode.hpp): accepted shapes and the messages for others.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/util/error.hpp"
#include "decode.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    return e.what();
  }
  return {};
}

TEST(Decode, Quality) {
  EXPECT_EQ(decode_quality(nullptr), model::Quality::main);
  const std::string main = "main", sub = "sub", bogus = "bogus", empty;
  EXPECT_EQ(decode_quality(&main), model::Quality::main);
  EXPECT_EQ(decode_quality(&sub), model::Quality::sub);
  EXPECT_THAT(error_of([&] { decode_quality(&bogus); }), HasSubstr("quality"));
  EXPECT_THAT(error_of([&] { decode_quality(&empty); }), HasSubstr("quality"));
}

TEST(Decode, JsonObjectOf) {
  EXPECT_EQ(json_object_of(""), json::object());
  EXPECT_EQ(json_object_of(" \r\n"), json::object());
  EXPECT_EQ(json_object_of(R"({"a":1})")["a"], 1);
  EXPECT_EQ(error_of([] { json_object_of("{"); }), "request body is not valid JSON");
  EXPECT_EQ(error_of([] { json_object_of("[1]"); }), "request body must be a JSON object");
}

TEST(Decode, Login) {
  auto j = decode_login(R"({"username":"vic","password":"pw"})", false);
  EXPECT_EQ(j.user, "vic");
  EXPECT_EQ(j.password, "pw");
  auto f = decode_login("username=vic&password=p%40ss&next=%2Fviewer%3Fcamera%3Da", true);
  EXPECT_EQ(f.password, "p@ss");
  EXPECT_EQ(f.next, "/viewer?camera=a");
  // Never an open redirect.
  for (const char* next : {"https%3A%2F%2Fevil.example", "%2F%2Fevil.example", "%2F%5Cevil.example", "", "%2Fa%0D%0ASet-Cookie:x"}) {
    EXPECT_EQ(decode_login(std::string("username=a&password=b&next=") + next, true).next, "/") << next;
  }
  EXPECT_THAT(error_of([] { decode_login(R"({"username":"vic"})", false); }), HasSubstr("\"password\" is required"));
  EXPECT_THAT(error_of([] { decode_login(R"({"username":1,"password":"x"})", false); }), HasSubstr("\"username\" must be a string"));
  EXPECT_THAT(error_of([] { decode_login("username=" + std::string(300, 'a') + "&password=x", true); }), HasSubstr("too long"));
}

TEST(Decode, Users) {
  auto u = decode_new_user(json::parse(R"({"name":"vic","password":"pw","cameras":["a"]})"));
  EXPECT_EQ(u.role, auth::Role::viewer);
  EXPECT_EQ(u.cameras, std::vector<std::string>{"a"});
  EXPECT_THAT(error_of([] { decode_new_user(json::parse(R"({"name":"v","password":"p","role":"root"})")); }),
              HasSubstr("\"role\" must be admin or viewer"));
  EXPECT_THAT(error_of([] { decode_new_user(json::parse(R"({"name":"v","password":"p","cameras":"a"})")); }),
              HasSubstr("\"cameras\" must be an array"));
  auto p = decode_user_patch(json::parse(R"({"role":"admin"})"));
  EXPECT_EQ(p.role, auth::Role::admin);
  EXPECT_FALSE(p.password);
  EXPECT_FALSE(p.cameras);
  EXPECT_THAT(error_of([] { decode_user_patch(json::parse(R"({"name":"x"})")); }), HasSubstr("unknown field 'name'"));
}

TEST(Decode, Tokens) {
  auto t = decode_token_request(json::parse(R"({"label":"ci","expires_in_s":60})"));
  EXPECT_EQ(t.label, "ci");
  EXPECT_EQ(t.expires_in_s, 60);
  EXPECT_EQ(decode_token_request(json::parse(R"({"expires_in_s":null})")).expires_in_s, std::nullopt);
  EXPECT_THAT(error_of([] { decode_token_request(json::parse(R"({"expires_in_s":"1h"})")); }), HasSubstr("must be an integer"));
  EXPECT_THAT(error_of([] { decode_token_request(json::parse(R"({"expires_in_s":18446744073709551615})")); }),
              HasSubstr("out of range"));
  auto v = decode_viewer_token_request(json::parse(R"({"cameras":["*"]})"));
  EXPECT_EQ(v.ttl_s, 3600);
  EXPECT_THAT(error_of([] { decode_viewer_token_request(json::parse("{}")); }), HasSubstr("\"cameras\" is required"));
  EXPECT_THAT(error_of([] { decode_viewer_token_request(json::parse(R"({"cameras":[],"ttl_s":null})")); }),
              HasSubstr("\"ttl_s\" must be an integer"));
}

TEST(Decode, StartAndSeedFields) {
  auto s = decode_start_request(json::parse(R"({"max_bandwidth":2000})"));
  EXPECT_EQ(s.max_kbps, 2000);
  EXPECT_FALSE(s.min_kbps);
  EXPECT_THAT(error_of([] { decode_start_request(json::parse(R"({"max_bandwidth":0})")); }), HasSubstr("1..1000000"));
  EXPECT_THAT(error_of([] { decode_start_request(json::parse(R"({"fps":5})")); }), HasSubstr("unknown field 'fps'"));
  EXPECT_EQ(decode_seed_rtsp_fields(json::parse(R"({"rtsp_port":554})")), std::vector<std::string>{"rtsp_port"});
  EXPECT_THAT(error_of([] { decode_seed_rtsp_fields(json::parse(R"({"url":"x"})")); }), HasSubstr("unknown field 'url'"));
}

TEST(Decode, WebrtcOffer) {
  // What a browser's JSON.stringify(offer) gives (seed 002), with or without a camera.
  auto o = decode_webrtc_offer(json{{"type", "offer"}, {"sdp", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}});
  EXPECT_EQ(o.sdp.rfind("v=0", 0), 0u);
  EXPECT_EQ(o.camera, "");
  EXPECT_EQ(decode_webrtc_offer(json{{"type", "offer"}, {"sdp", "v=0\r\n"}, {"camera", "door"}}).camera, "door");
  EXPECT_THAT(error_of([] { decode_webrtc_offer(json{{"type", "answer"}, {"sdp", "v=0\r\n"}}); }), HasSubstr("\"type\" must be \"offer\""));
  EXPECT_THAT(error_of([] { decode_webrtc_offer(json{{"sdp", "v=0\r\n"}}); }), HasSubstr("\"type\" is required"));
  EXPECT_THAT(error_of([] { decode_webrtc_offer(json{{"type", "offer"}}); }), HasSubstr("\"sdp\" is required"));
  EXPECT_THAT(error_of([] { decode_webrtc_offer(json{{"type", "offer"}, {"sdp", "hello"}}); }), HasSubstr("not an SDP offer"));
  EXPECT_THAT(error_of([] { decode_webrtc_offer(json{{"type", "offer"}, {"sdp", "v=0"}, {"camera", 3}}); }), HasSubstr("\"camera\" must be a string"));
}

TEST(Decode, Sdpfrag) {
  auto f = decode_sdpfrag("a=ice-ufrag:abcd\r\na=ice-pwd:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                          "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\nm=video 9 UDP 0\r\na=end-of-candidates");
  EXPECT_EQ(f.ufrag, "abcd");
  ASSERT_EQ(f.cands.size(), 2u);
  EXPECT_EQ(f.cands[0].mid, "0");
  EXPECT_EQ(f.cands[0].candidate, "candidate:1 1 udp 1 127.0.0.1 5000 typ host");
  EXPECT_EQ(f.cands[1].mline, 1u);
  EXPECT_EQ(f.cands[1].candidate, "");
  EXPECT_TRUE(decode_sdpfrag("").cands.empty());
}


// ---- recordings: Range, times, record requests ----

TEST(DecodeRange, OneRangeOfTheFile) {
  auto r = parse_byte_range("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, ByteRange::part);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  r = parse_byte_range("bytes=500-", 1000);  // open end
  EXPECT_EQ(r.kind, ByteRange::part);
  EXPECT_EQ(r.first, 500u);
  EXPECT_EQ(r.last, 999u);
  r = parse_byte_range("bytes=-100", 1000);  // the last 100 bytes
  EXPECT_EQ(r.first, 900u);
  EXPECT_EQ(r.last, 999u);
  r = parse_byte_range("bytes=-5000", 1000);  // more than the file: all of it
  EXPECT_EQ(r.first, 0u);
  r = parse_byte_range("bytes=900-5000", 1000);  // the end is clipped
  EXPECT_EQ(r.last, 999u);
  r = parse_byte_range(" bytes=0-0 ", 1000);
  EXPECT_EQ(r.kind, ByteRange::part);
  EXPECT_EQ(r.last, 0u);
}

TEST(DecodeRange, WhatCannotBeServedOrIsIgnored) {
  EXPECT_EQ(parse_byte_range("bytes=1000-", 1000).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=-0", 1000).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=0-", 0).kind, ByteRange::unsatisfiable);
  // Ignored (the whole file is sent): other units, several ranges, nonsense.
  for (const char* h : {"items=0-1", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes=", "bytes=-",
                        "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(parse_byte_range(h, 1000).kind, ByteRange::whole) << h;
  }
}

TEST(DecodeTime, UnixSecondsOrIsoUtc) {
  EXPECT_EQ(parse_time_ms("1700000000", "from"), 1'700'000'000'000);
  EXPECT_EQ(parse_time_ms("2023-11-14T22:13:20Z", "from"), 1'700'000'000'000);
  EXPECT_EQ(parse_time_ms("2023-11-14T22:13:20.25Z", "from"), 1'700'000'000'250);
  EXPECT_EQ(parse_time_ms("2023-11-14T22:13:20+00:00", "from"), 1'700'000'000'000);
  for (const char* bad : {"", "yesterday", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z",
                          "2023-11-14T22:13:20+02:00", "1e9", "99999999999999"}) {
    try {
      parse_time_ms(bad, "from");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("from:"), std::string::npos);
    }
  }
}

TEST(DecodeRecord, DurationsInSeconds) {
  EXPECT_FALSE(decode_record_request(json::object()));
  EXPECT_EQ(decode_record_request(json{{"duration_s", 30}}), 30);
  EXPECT_EQ(decode_live_start(json::object(), "15"), 15);
  EXPECT_EQ(decode_live_start(json{{"record_duration", 20}}, ""), 20);
  EXPECT_FALSE(decode_live_start(json::object(), ""));
  for (const json& bad : {json{{"duration_s", 0}}, json{{"duration_s", -5}}, json{{"duration_s", 1.5}},
                          json{{"duration_s", 999999999}}, json{{"duration", 5}}}) {
    EXPECT_THROW(decode_record_request(bad), Error) << bad.dump();
  }
  EXPECT_THROW(decode_live_start(json::object(), "abc"), Error);
}

}  // namespace
}  // namespace camrelay::http
