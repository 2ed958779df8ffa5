// The lite swarm receiver's SDP (tests/tools/swarm/sdp.hpp): parsing Janus' offer and
// camrelay's WHEP answer, writing our offer and answer.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "sdp.hpp"

using namespace swarm::sdp;

namespace {

// Janus 1.1.2's streaming plugin offer (RTP mountpoint, H.264 + RTX), trimmed: session-level
// fingerprint, a TCP candidate to skip.
const std::string kJanusOffer =
    "v=0\r\n"
    "o=- 1701234567890 1 IN IP4 127.0.0.2\r\n"
    "s=Mountpoint 1\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE v\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 d2:b9:31:8f:df:24:d8:0e:ed:d2:ef:25:9e:af:6f:b8:34:ae:53:9c:e6:f3:8f:f2:64:15:fa:e8:7f:53:2d:38\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS janus\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 127.0.0.2\r\n"
    "a=sendonly\r\n"
    "a=mid:v\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:Fz9a\r\n"
    "a=ice-pwd:abcdefghijklmnopqrstuv\r\n"
    "a=ice-options:trickle\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=ssrc-group:FID 12345 67890\r\n"
    "a=msid:janus janusv\r\n"
    "a=ssrc:12345 cname:janus\r\n"
    "a=candidate:1 1 udp 2015363327 127.0.0.2 40001 typ host\r\n"
    "a=candidate:2 1 tcp 1015021823 127.0.0.2 9 typ host tcptype active\r\n"
    "a=end-of-candidates\r\n";

// webrtcbin's answer to our offer (camrelay WHEP), trimmed: media-level fingerprint, LF only.
const std::string kWhepAnswer =
    "v=0\n"
    "o=- 4264425064419592153 0 IN IP4 0.0.0.0\n"
    "s=-\n"
    "t=0 0\n"
    "a=ice-options:trickle\n"
    "a=group:BUNDLE 0\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n"
    "c=IN IP4 0.0.0.0\n"
    "a=ice-ufrag:QOqBAtQBXzPEyvGmVwBVNnbGvKYXPeKr\n"
    "a=ice-pwd:VdVBxbOVNbhmHBzQHXg4kHo9MDYgS7vT\n"
    "a=mid:0\n"
    "a=setup:active\n"
    "a=sendonly\n"
    "a=rtcp-mux\n"
    "a=rtpmap:96 H264/90000\n"
    "a=rtcp-fb:96 nack\n"
    "a=rtcp-fb:96 nack pli\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\n"
    "a=rtpmap:97 rtx/90000\n"
    "a=fmtp:97 apt=96\n"
    "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\n"
    "a=candidate:1 1 UDP 2015363327 127.0.0.1 51234 typ host\n";

Local local() {
  Local l;
  l.session_id = 42;
  l.ice_ufrag = "uf01";
  l.ice_pwd = "pwpwpwpwpwpwpwpwpwpwpw";
  l.fingerprint = "01:02:03";
  l.candidates = {{"1", 1, "UDP", 2130706431, "127.0.0.1", 40000, "host"}};
  return l;
}

bool has(const std::string& sdp, const std::string& line) { return sdp.find(line + "\r\n") != std::string::npos; }

}  // namespace

TEST(SwarmSdp, ParsesJanusOffer) {
  Remote r = parse_remote(kJanusOffer);
  EXPECT_EQ(r.h264_pt, 96);
  EXPECT_EQ(r.rtx_pt, 97);
  EXPECT_EQ(r.h264_fmtp, "profile-level-id=42e01f;packetization-mode=1");
  ASSERT_EQ(r.sections.size(), 1u);
  EXPECT_EQ(r.sections[r.video].mid, "v");
  EXPECT_EQ(r.ice_ufrag, "Fz9a");
  EXPECT_EQ(r.ice_pwd, "abcdefghijklmnopqrstuv");
  EXPECT_EQ(r.fingerprint_alg, "sha-256");
  EXPECT_EQ(r.fingerprint.substr(0, 8), "D2:B9:31");  // upper case
  EXPECT_EQ(r.setup, "actpass");
  ASSERT_EQ(r.candidates.size(), 1u);  // the TCP one skipped
  EXPECT_EQ(r.candidates[0].address, "127.0.0.2");
  EXPECT_EQ(r.candidates[0].port, 40001);
  EXPECT_EQ(r.candidates[0].priority, 2015363327u);
  EXPECT_EQ(r.feedback, (std::vector<std::string>{"nack", "nack pli", "goog-remb", "transport-cc"}));
}

TEST(SwarmSdp, ParsesWhepAnswer) {
  Remote r = parse_remote(kWhepAnswer);
  EXPECT_EQ(r.h264_pt, 96);
  EXPECT_EQ(r.rtx_pt, 97);
  EXPECT_EQ(r.setup, "active");
  EXPECT_EQ(r.ice_ufrag, "QOqBAtQBXzPEyvGmVwBVNnbGvKYXPeKr");
  EXPECT_EQ(r.fingerprint.size(), 32u * 3 - 1);
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].port, 51234);
}

TEST(SwarmSdp, AnswersJanusOffer) {
  Remote offer = parse_remote(kJanusOffer);
  std::string a = build_answer(local(), offer);
  EXPECT_TRUE(has(a, "a=group:BUNDLE v")) << a;
  EXPECT_TRUE(has(a, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97")) << a;
  EXPECT_TRUE(has(a, "c=IN IP4 127.0.0.1")) << a;
  EXPECT_TRUE(has(a, "a=mid:v")) << a;
  EXPECT_TRUE(has(a, "a=setup:active")) << a;
  EXPECT_TRUE(has(a, "a=recvonly")) << a;
  EXPECT_TRUE(has(a, "a=rtcp-mux")) << a;
  EXPECT_TRUE(has(a, "a=ice-ufrag:uf01")) << a;
  EXPECT_TRUE(has(a, "a=fingerprint:sha-256 01:02:03")) << a;
  EXPECT_TRUE(has(a, "a=rtcp-fb:96 nack")) << a;
  EXPECT_TRUE(has(a, "a=rtcp-fb:96 nack pli")) << a;
  EXPECT_FALSE(has(a, "a=rtcp-fb:96 ccm fir")) << a;  // not offered
  EXPECT_FALSE(has(a, "a=rtcp-fb:96 goog-remb")) << a;  // not ours
  EXPECT_TRUE(has(a, "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1")) << a;
  EXPECT_TRUE(has(a, "a=fmtp:97 apt=96")) << a;
  EXPECT_TRUE(has(a, "a=candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host")) << a;
  // Our own parser reads it back.
  Remote back = parse_remote(a);
  EXPECT_EQ(back.h264_pt, 96);
  EXPECT_EQ(back.rtx_pt, 97);
  EXPECT_EQ(back.setup, "active");
  EXPECT_EQ(back.candidates.size(), 1u);
}

TEST(SwarmSdp, OfferRoundTrip) {
  std::string o = build_offer(local());
  EXPECT_TRUE(has(o, "a=group:BUNDLE 0")) << o;
  EXPECT_TRUE(has(o, "a=setup:actpass")) << o;
  EXPECT_TRUE(has(o, "a=recvonly")) << o;
  EXPECT_TRUE(has(o, "a=rtcp-fb:96 ccm fir")) << o;
  EXPECT_TRUE(has(o, "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1")) << o;
  EXPECT_TRUE(has(o, "a=end-of-candidates")) << o;
  Remote r = parse_remote(o);
  EXPECT_EQ(r.h264_pt, kOfferH264Pt);
  EXPECT_EQ(r.rtx_pt, kOfferRtxPt);
  EXPECT_EQ(r.sections[r.video].mid, "0");
  EXPECT_EQ(r.setup, "actpass");
  EXPECT_EQ(r.feedback, (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(format_candidate(r.candidates[0]), format_candidate(local().candidates[0]));
}

TEST(SwarmSdp, PrefersPacketizationMode1AndItsRtx) {
  std::string s = kJanusOffer;
  s.replace(s.find("m=video 9 UDP/TLS/RTP/SAVPF 96 97"), 33, "m=video 9 UDP/TLS/RTP/SAVPF 100 101 96 97");
  s.replace(s.find("a=rtpmap:96 H264"), 0,
            "a=rtpmap:100 H264/90000\r\na=fmtp:100 profile-level-id=42e01f;packetization-mode=0\r\n"
            "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n");
  Remote r = parse_remote(s);
  EXPECT_EQ(r.h264_pt, 96);
  EXPECT_EQ(r.rtx_pt, 97);
}

TEST(SwarmSdp, AnswerRejectsOtherSections) {
  std::string s = kJanusOffer;
  s.replace(s.find("m=video"), 0,
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.2\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n");
  Remote r = parse_remote(s);
  ASSERT_EQ(r.sections.size(), 2u);
  EXPECT_EQ(r.video, 1u);
  std::string a = build_answer(local(), r);
  EXPECT_TRUE(has(a, "a=group:BUNDLE v")) << a;
  const size_t audio = a.find("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n");
  ASSERT_NE(audio, std::string::npos) << a;
  EXPECT_LT(audio, a.find("m=video")) << a;  // in the offer's order
  EXPECT_TRUE(has(a, "a=mid:a")) << a;
}

TEST(SwarmSdp, RejectsIncompleteDescriptions) {
  auto without = [](const std::string& prefix) {
    std::string s = kJanusOffer;
    size_t p = s.find(prefix);
    s.erase(p, s.find("\r\n", p) + 2 - p);
    return s;
  };
  EXPECT_THROW(parse_remote(without("a=fingerprint")), std::runtime_error);
  EXPECT_THROW(parse_remote(without("a=ice-ufrag")), std::runtime_error);
  EXPECT_THROW(parse_remote(without("a=rtpmap:96")), std::runtime_error);  // no H.264 left
  std::string rejected = kJanusOffer;
  rejected.replace(rejected.find("m=video 9"), 9, "m=video 0");
  EXPECT_THROW(parse_remote(rejected), std::runtime_error);
  EXPECT_THROW(parse_remote("v=0\r\nm=video\r\n"), std::runtime_error);
  EXPECT_THROW(parse_remote(""), std::runtime_error);
}

TEST(SwarmSdp, Candidates) {
  auto c = parse_candidate("candidate:842163049 1 udp 1677729535 192.0.2.7 61234 typ srflx raddr 10.0.0.1 rport 5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->address, "192.0.2.7");
  EXPECT_EQ(c->port, 61234);
  EXPECT_EQ(c->type, "srflx");
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp 1 127.0.0.1 70000 typ host"));  // port
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp 1 127.0.0.1 5000 host"));       // no typ
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp x 127.0.0.1 5000 typ host"));   // priority
  EXPECT_FALSE(parse_candidate("a=candidate:1 1 udp 1 127.0.0.1 5000 typ host")); // value only
}

TEST(SwarmSdp, SetupRoles) {
  EXPECT_EQ(answer_setup("actpass"), "active");
  EXPECT_EQ(answer_setup("passive"), "active");
  EXPECT_EQ(answer_setup("active"), "passive");
  EXPECT_EQ(answer_setup(""), "active");
}
