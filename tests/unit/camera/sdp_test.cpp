#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <stdexcept>

#include "camrelay/camera/sdp.hpp"

using namespace camrelay::camera;
using ::testing::HasSubstr;

namespace {
std::string answer_error(const std::string& sdp) {
  try {
    parse_answer(sdp);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

OfferParams offer_params() {
  OfferParams p;
  p.origin_id = 1234;
  p.address = "192.168.199.173";
  p.video_port = 5006;
  p.video_rtcp_port = 5007;
  p.max_kbps = 5000;
  return p;
}

const char* kAnswer =
    "v=0\r\n"
    "o=- 99 1 IN IP4 10.0.0.7\r\n"
    "s=cam\r\n"
    "c=IN IP4 10.0.0.7\r\n"
    "t=0 0\r\n"
    "m=video 40000 RTP/AVPF 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=4d001f\r\n"
    "a=sendonly\r\n";
}  // namespace

TEST(SdpOffer, HasEveryRequiredLine) {
  const std::string sdp = build_offer(offer_params());
  for (const char* line :
       {"v=0\r\n", "o=camrelay 1234 1 IN IP4 192.168.199.173\r\n", "c=IN IP4 192.168.199.173\r\n",
        "m=video 5006 RTP/AVPF 96\r\n", "b=AS:5000\r\n", "a=rtpmap:96 H264/90000\r\n",
        "a=fmtp:96 packetization-mode=1\r\n", "a=rtcp:5007 IN IP4 192.168.199.173\r\n",
        "a=rtcp-fb:96 goog-remb\r\n", "a=rtcp-fb:96 nack\r\n", "a=rtcp-fb:96 nack pli\r\n",
        "a=rtcp-fb:96 ccm fir\r\n", "a=recvonly\r\n"}) {
    EXPECT_THAT(sdp, HasSubstr(line));
  }
  EXPECT_EQ(sdp.find("m=audio"), std::string::npos);
  EXPECT_EQ(sdp.rfind("v=0\r\n", 0), 0u);
}

TEST(SdpOffer, H265OffersH265WithoutH264FormatParameters) {
  auto p = offer_params();
  p.codec = "H265";
  const std::string sdp = build_offer(p);
  EXPECT_THAT(sdp, HasSubstr("a=rtpmap:96 H265/90000\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-fb:96 nack pli\r\n"));
  EXPECT_EQ(sdp.find("packetization-mode"), std::string::npos);
  std::string answer = kAnswer;
  answer.replace(answer.find("H264/90000"), 10, "H265/90000");
  answer.replace(answer.find("packetization-mode=1;profile-level-id=4d001f"), 44, "profile-id=1");
  EXPECT_NO_THROW(parse_answer(answer, 96, "H265", 90000));
  EXPECT_THROW(parse_answer(answer, 96, "H264", 90000), std::invalid_argument);  // the camera answered another codec
}

TEST(SdpOffer, OptionalAudioAndIpv6) {
  auto p = offer_params();
  p.audio_port = 5008;
  p.audio_rtcp_port = 5009;
  p.address = "fd00::5";
  p.max_kbps = 0;
  const std::string sdp = build_offer(p);
  EXPECT_THAT(sdp, HasSubstr("c=IN IP6 fd00::5\r\n"));
  EXPECT_THAT(sdp, HasSubstr("m=audio 5008 RTP/AVP 111 0 8\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtpmap:0 PCMU/8000\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp:5009 IN IP6 fd00::5\r\n"));
  EXPECT_EQ(sdp.find("b=AS"), std::string::npos);
}

TEST(SdpOffer, ParsesBackWithItsOwnParser) {
  auto sd = parse_sdp(build_offer(offer_params()));
  const SdpMedia* v = sd.find("video");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->port, 5006);
  EXPECT_EQ(v->rtcp_port, 5007);
  EXPECT_EQ(v->address, "192.168.199.173");
  EXPECT_EQ(v->direction, "recvonly");
  EXPECT_EQ(v->bandwidth_as_kbps, 5000);
  EXPECT_EQ(v->rtpmap.at(96), "H264/90000");
  EXPECT_EQ(v->rtcp_fb.size(), 4u);
}

TEST(SdpAnswer, DefaultsRtcpToPortPlusOne) {
  auto a = parse_answer(kAnswer);
  EXPECT_EQ(a.video.address, "10.0.0.7");
  EXPECT_EQ(a.video.rtp_port, 40000);
  EXPECT_EQ(a.video.rtcp_address, "10.0.0.7");
  EXPECT_EQ(a.video.rtcp_port, 40001);
  EXPECT_FALSE(a.audio);
}

TEST(SdpAnswer, ExplicitRtcpAttributeAndMediaLevelConnection) {
  std::string sdp =
      "v=0\n"
      "o=- 1 1 IN IP4 10.0.0.7\n"
      "s=-\n"
      "c=IN IP4 10.0.0.7\n"
      "t=0 0\n"
      "m=video 40000 RTP/AVPF 96\n"
      "c=IN IP4 10.0.0.8\n"
      "a=rtcp:41000 IN IP4 10.0.0.9\n"
      "m=audio 40002 RTP/AVP 0\n"
      "a=rtcp:40010\n";
  auto a = parse_answer(sdp);
  EXPECT_EQ(a.video.address, "10.0.0.8");
  EXPECT_EQ(a.video.rtcp_port, 41000);
  EXPECT_EQ(a.video.rtcp_address, "10.0.0.9");
  ASSERT_TRUE(a.audio);
  EXPECT_EQ(a.audio->address, "10.0.0.7");
  EXPECT_EQ(a.audio->rtcp_port, 40010);
  EXPECT_EQ(a.audio->rtcp_address, "10.0.0.7");
}

TEST(SdpAnswer, Errors) {
  EXPECT_THAT(answer_error(""), HasSubstr("empty SDP"));
  EXPECT_THAT(answer_error("hello world"), HasSubstr("line 1"));
  EXPECT_THAT(answer_error("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n"), HasSubstr("v=0"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\n"), HasSubstr("no m= line"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n"), HasSubstr("no m=video"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 0 RTP/AVPF 96\r\n"), HasSubstr("m=video 0"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video abc RTP/AVPF 96\r\n"), HasSubstr("bad port"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 70000 RTP/AVPF 96\r\n"), HasSubstr("bad port"));
  EXPECT_THAT(answer_error("v=0\r\nm=video 4000 RTP/AVPF 96\r\n"), HasSubstr("no c= line"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4\r\nm=video 4000 RTP/AVPF 96\r\n"), HasSubstr("bad c= line"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 97\r\n"), HasSubstr("payload type 96"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\n"),
              HasSubstr("expected H264/90000"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96\r\na=rtcp:x\r\n"),
              HasSubstr("bad a=rtcp"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96\r\na=recvonly\r\n"),
              HasSubstr("will not send"));
  EXPECT_THAT(answer_error("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96x\r\n"), HasSubstr("bad payload type"));
}

TEST(SdpAnswer, CaseInsensitiveCodecName) {
  std::string sdp = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96\r\na=rtpmap:96 h264/90000\r\n";
  EXPECT_EQ(parse_answer(sdp).video.rtp_port, 4000);
}

TEST(SdpAnswer, FakecamAnswerIsAcceptedByTheDaemon) {
  auto offer = parse_sdp(build_offer(offer_params()) + "m=audio 5008 RTP/AVP 0\r\n");
  AnswerParams p;
  p.origin_id = 5;
  p.address = "127.0.0.1";
  p.video_port = 45000;
  p.rtcp_port = 45001 + 10;
  const std::string ans = build_answer(p, offer);
  EXPECT_THAT(ans, HasSubstr("a=sendonly"));
  EXPECT_THAT(ans, HasSubstr("m=audio 0 RTP/AVP 0"));
  auto a = parse_answer(ans);
  EXPECT_EQ(a.video.rtp_port, 45000);
  EXPECT_EQ(a.video.rtcp_port, 45011);
  EXPECT_EQ(a.video.rtcp_address, "127.0.0.1");
  EXPECT_FALSE(a.audio);
}

TEST(SdpAnswer, AudioFormatFromRtpmap) {
  const std::string base = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVPF 96\r\n";
  auto a = parse_answer(base + "m=audio 4002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n");
  ASSERT_TRUE(a.audio);
  ASSERT_TRUE(a.audio_format);
  EXPECT_EQ(a.audio_format->payload_type, 111);
  EXPECT_EQ(a.audio_format->codec, "OPUS");
  EXPECT_EQ(a.audio_format->clock_rate, 48000);
  EXPECT_EQ(a.audio_format->channels, 2);
  // Static payload types need no a=rtpmap.
  a = parse_answer(base + "m=audio 4002 RTP/AVP 8\r\n");
  ASSERT_TRUE(a.audio_format);
  EXPECT_EQ(a.audio_format->codec, "PCMA");
  EXPECT_EQ(a.audio_format->clock_rate, 8000);
  // The first offered payload type wins; unknown ones are skipped.
  a = parse_answer(base + "m=audio 4002 RTP/AVP 9 0 111\r\na=rtpmap:9 G722/8000\r\n");
  ASSERT_TRUE(a.audio_format);
  EXPECT_EQ(a.audio_format->codec, "PCMU");
  // Accepted but unusable: the video still counts, the audio does not.
  a = parse_answer(base + "m=audio 4002 RTP/AVP 111\r\na=rtpmap:111 speex/16000\r\n");
  ASSERT_TRUE(a.audio);
  EXPECT_FALSE(a.audio_format);
  EXPECT_THAT(a.audio_error, HasSubstr("audio payload type 111 is \"speex/16000\""));
  a = parse_answer(base + "m=audio 4002 RTP/AVP 9\r\n");
  EXPECT_FALSE(a.audio_format);
  EXPECT_THAT(a.audio_error, HasSubstr("none of the offered payload types"));
  // Refused audio: nothing.
  a = parse_answer(base + "m=audio 0 RTP/AVP 111\r\n");
  EXPECT_FALSE(a.audio);
  EXPECT_FALSE(a.audio_format);
  EXPECT_EQ(a.audio_error, "");
}

TEST(SdpAnswer, FakecamAnswersAudioWithOpus) {
  OfferParams op = offer_params();
  op.audio_port = 5008;
  op.audio_rtcp_port = 5009;
  auto offer = parse_sdp(build_offer(op));
  AnswerParams p;
  p.origin_id = 5;
  p.address = "127.0.0.1";
  p.video_port = 45000;
  p.rtcp_port = 45001;
  p.audio_port = 45002;
  p.audio_rtcp_port = 45003;
  const std::string ans = build_answer(p, offer);
  EXPECT_THAT(ans, HasSubstr("m=audio 45002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp:45003\r\n"));
  auto a = parse_answer(ans);
  ASSERT_TRUE(a.audio);
  EXPECT_EQ(a.audio->rtp_port, 45002);
  EXPECT_EQ(a.audio->rtcp_port, 45003);
  ASSERT_TRUE(a.audio_format);
  EXPECT_EQ(a.audio_format->codec, "OPUS");
  // Without an audio port the m=audio is refused.
  p.audio_port = 0;
  EXPECT_THAT(build_answer(p, offer), HasSubstr("m=audio 0 RTP/AVP 111 0 8"));
}
