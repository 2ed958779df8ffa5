// Offer parsing and answer planning (WHEP): m-lines in any order, codecs by name.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "camrelay/media/offer.hpp"

using namespace camrelay::media;

namespace {
// Chrome-shaped: audio first, then video with VP8, H.264 (two profiles) and RTX.
const char* kAudioFirst =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=setup:actpass\r\na=mid:0\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 108\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=setup:actpass\r\na=mid:1\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n"
    "a=rtpmap:108 H264/90000\r\n"
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";

// Firefox-shaped without OpenH264: VP8/VP9/AV1 only, no msid-semantic, its own ext ids.
const char* kNoH264 =
    "v=0\r\no=mozilla...THIS_IS_SDPARTA-115 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=fingerprint:sha-256 00:11\r\na=group:BUNDLE 0 1\r\na=ice-options:trickle\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 98\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\n"
    "a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=ice-ufrag:ffff\r\na=mid:0\r\na=rtpmap:120 VP8/90000\r\na=rtpmap:124 rtx/90000\r\n"
    "a=rtpmap:121 VP9/90000\r\na=rtpmap:125 rtx/90000\r\na=rtpmap:98 AV1/90000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\na=mid:1\r\n"
    "a=rtpmap:109 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
}  // namespace

TEST(Offer, ParsesMediaInOrderWithMidsAndCodecs) {
  const OfferInfo o = parse_offer(kAudioFirst);
  ASSERT_EQ(o.media.size(), 2u);
  EXPECT_EQ(o.media[0].kind, "audio");
  EXPECT_EQ(o.media[0].mid, "0");
  EXPECT_EQ(o.media[0].direction, "recvonly");
  EXPECT_EQ(o.media[1].kind, "video");
  EXPECT_EQ(o.media[1].twcc_ext_id, 3);
  EXPECT_EQ(o.bundle_mids, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(o.ice_ufrag_of_first(), "abcd");
}

TEST(Offer, AudioFirstPutsVideoOnItsOwnMlineWithTheBrowsersPt) {
  const AnswerPlan p = plan_answer(parse_offer(kAudioFirst), "");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_index, 1);
  EXPECT_EQ(p.video_pt, 108);  // 42e01f preferred over 42001f
  EXPECT_EQ(p.video_profile, "42e01f");
  EXPECT_EQ(p.video_twcc_id, 3);
  EXPECT_EQ(p.audio_index, -1);  // the camera has no audio
}

TEST(Offer, AudioGoesToTheAudioMlineWithTheMatchingCodec) {
  const OfferInfo o = parse_offer(kAudioFirst);
  AnswerPlan p = plan_answer(o, "opus");
  EXPECT_EQ(p.audio_index, 0);
  EXPECT_EQ(p.audio_pt, 111);
  EXPECT_EQ(p.audio_codec, "opus");
  p = plan_answer(o, "pcma");
  EXPECT_EQ(p.audio_index, 0);
  EXPECT_EQ(p.audio_pt, 8);
}

TEST(Offer, StaticPayloadTypesWithoutRtpmapAreKnown) {
  std::string sdp =
      "v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=recvonly\r\na=rtpmap:102 H264/90000\r\n"
      "a=fmtp:102 packetization-mode=1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=recvonly\r\n";
  const AnswerPlan p = plan_answer(parse_offer(sdp), "pcmu");
  EXPECT_EQ(p.video_index, 0);
  EXPECT_EQ(p.video_profile, "");
  EXPECT_EQ(p.audio_index, 1);
  EXPECT_EQ(p.audio_pt, 0);
}

TEST(Offer, NoH264GetsTheVp8TranscodeOnTheBrowsersVp8Pt) {
  const AnswerPlan p = plan_answer(parse_offer(kNoH264), "opus");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_index, 0);
  EXPECT_EQ(p.video_codec, "vp8");
  EXPECT_EQ(p.video_pt, 120);
  EXPECT_EQ(p.video_twcc_id, 7);
  EXPECT_EQ(p.audio_index, 1);
  EXPECT_EQ(p.audio_pt, 109);
}

TEST(Offer, NoH264AndNoVp8IsAClearErrorNamingTheOfferedCodecs) {
  const AnswerPlan p = plan_answer(parse_offer(kNoH264), "opus", /*vp8_ok=*/false);
  EXPECT_EQ(p.video_index, -1);
  EXPECT_NE(p.error.find("no H.264"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("VP8, VP9, AV1"), std::string::npos) << p.error;
  std::string vp9 = "v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=recvonly\r\na=rtpmap:98 VP9/90000\r\n";
  const AnswerPlan q = plan_answer(parse_offer(vp9), "");
  EXPECT_NE(q.error.find("neither H.264 (packetization-mode=1) nor VP8 video (offered: VP9)"), std::string::npos) << q.error;
}

TEST(Offer, H264IsPreferredOverVp8) {
  const AnswerPlan p = plan_answer(parse_offer(kAudioFirst), "");
  EXPECT_EQ(p.video_codec, "h264");
  EXPECT_EQ(p.video_pt, 108);
}

TEST(Offer, PacketizationModeZeroIsNotUsable) {
  std::string sdp =
      "v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 126\r\na=recvonly\r\na=rtpmap:126 H264/90000\r\n"
      "a=fmtp:126 profile-level-id=42e01f\r\n";
  const AnswerPlan p = plan_answer(parse_offer(sdp), "");
  EXPECT_EQ(p.video_index, -1);
  EXPECT_NE(p.error.find("H264 packetization-mode=0"), std::string::npos) << p.error;
}

TEST(Offer, SendOnlyOrRejectedVideoIsSkipped) {
  std::string sdp =
      "v=0\r\ns=-\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=sendonly\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 104\r\na=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=1\r\n";
  const AnswerPlan p = plan_answer(parse_offer(sdp), "");
  EXPECT_EQ(p.video_index, 2);
  EXPECT_EQ(p.video_pt, 104);
}

TEST(Offer, DataChannelOnlyOfferHasNoVideo) {
  std::string sdp = "v=0\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
  const AnswerPlan p = plan_answer(parse_offer(sdp), "");
  EXPECT_EQ(p.error, "the offer has no video m-line to receive the camera's video");
}

TEST(Offer, MalformedOffersAreRefusedWithAReason) {
  EXPECT_THROW(parse_offer("hello"), std::invalid_argument);
  EXPECT_THROW(parse_offer("v=0\r\ns=-\r\n"), std::invalid_argument);
  EXPECT_THROW(parse_offer("v=0\r\nm=video\r\n"), std::invalid_argument);
  EXPECT_THROW(parse_offer("v=0\r\nm=video 70000 RTP/AVP 96\r\n"), std::invalid_argument);
  EXPECT_THROW(parse_offer(std::string("v=0\r\n") + std::string(70000, 'a')), std::invalid_argument);
  // Junk attribute values never crash.
  EXPECT_NO_THROW(parse_offer("v=0\r\nm=video 9 X 96\r\na=rtpmap:\r\na=rtpmap:x y\r\na=fmtp:\r\na=extmap:\r\n"));
}

TEST(Offer, TrickleCandidatesGoToTheBundleTransport) {
  const OfferInfo o = parse_offer(kAudioFirst);
  EXPECT_EQ(transport_mline(o, "1", 1), 0u);  // bundled: the first m-line of the group
  OfferInfo nb = o;
  nb.bundle_mids.clear();
  EXPECT_EQ(transport_mline(nb, "1", 0), 1u);
  EXPECT_EQ(transport_mline(nb, "", 0), 0u);
}

// ---- recorded browser offers (tests/fixtures/sdp, see its README) ----
#include <fstream>
#include <sstream>

namespace {
std::string fixture(const std::string& name) {
  std::ifstream in(std::string(CAMRELAY_SOURCE_DIR) + "/tests/fixtures/sdp/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(OfferFixtures, ChromiumShapesGetThe42e01fPayloadTypeOnTheVideoMline) {
  struct Case {
    const char* file;
    int video_index;
    int audio_index;  // with an Opus camera
  };
  for (const Case& c : {Case{"chromium_video_only.sdp", 0, -1}, Case{"chromium_audio_video.sdp", 0, 1},
                        Case{"chromium_audio_first.sdp", 1, 0}, Case{"chromium_datachannel.sdp", 0, -1},
                        Case{"chromium_no_candidates.sdp", 0, 1}}) {
    SCOPED_TRACE(c.file);
    const std::string sdp = fixture(c.file);
    ASSERT_FALSE(sdp.empty());
    const AnswerPlan p = plan_answer(parse_offer(sdp), "opus");
    EXPECT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.video_index, c.video_index);
    EXPECT_EQ(p.video_pt, 108);
    EXPECT_EQ(p.video_profile, "42e01f");
    EXPECT_GT(p.video_twcc_id, 0);
    EXPECT_EQ(p.audio_index, c.audio_index);
    if (c.audio_index >= 0) {
      EXPECT_EQ(p.audio_pt, 111);
    }
  }
}

TEST(OfferFixtures, SafariShapedOfferGetsConstrainedBaselineNotHigh) {
  const OfferInfo o = parse_offer(fixture("safari_audio_video.sdp"));
  const AnswerPlan p = plan_answer(o, "pcmu");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_index, 1);
  EXPECT_EQ(p.video_pt, 98);  // 42e01f, though High 640c1f (96) is listed first
  EXPECT_EQ(p.audio_index, 0);
  EXPECT_EQ(p.audio_pt, 0);   // PCMU for a G.711 camera
}

TEST(OfferFixtures, FirefoxWithoutOpenH264GetsVp8OnItsVideoMline) {
  for (const char* f : {"firefox_audio_video.sdp", "firefox_video_only.sdp", "firefox_audio_first.sdp"}) {
    SCOPED_TRACE(f);
    const OfferInfo o = parse_offer(fixture(f));
    const AnswerPlan p = plan_answer(o, "opus");
    EXPECT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.video_codec, "vp8");
    EXPECT_EQ(p.video_pt, 120);
    EXPECT_EQ(o.media[p.video_index].kind, "video");
    EXPECT_NE(plan_answer(o, "opus", false).error.find("VP8"), std::string::npos);
    // Firefox's audio is still understood: opus at its own payload type.
    for (const auto& m : o.media) {
      if (m.kind == "audio") {
        EXPECT_EQ(m.codecs.front().name, "opus");
      }
    }
  }
}

TEST(OfferFixtures, FirefoxWithOpenH264GetsH264OnItsPacketizationMode1Pt) {
  // Firefox with its OpenH264 plugin adds H.264 126 (packetization-mode=1) and 97 (mode 0)
  // to the video m-line it otherwise offers: made from the recorded offer.
  std::string sdp = fixture("firefox_audio_video.sdp");
  const auto m = sdp.find("m=video ");
  const auto eol = sdp.find("\r\n", m);
  ASSERT_NE(m, std::string::npos);
  sdp.replace(m, eol - m, sdp.substr(m, eol - m) + " 126 97");
  const auto after = sdp.find("\r\n", m) + 2;
  sdp.insert(after,
             "a=rtpmap:126 H264/90000\r\n"
             "a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\n"
             "a=rtpmap:97 H264/90000\r\n"
             "a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1\r\n");
  const AnswerPlan p = plan_answer(parse_offer(sdp), "opus");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_codec, "h264");
  EXPECT_EQ(p.video_pt, 126);
  EXPECT_EQ(p.audio_pt, 109);
}

// ---- H.265 cameras (RFC 7798 payloads) ----
namespace {
// The recorded Chromium offer with H.265 added to its video m-line the way Chromium on
// hardware that decodes H.265 offers it: Main 10 (profile-id=2) first, then Main (1).
std::string chromium_with_h265() {
  std::string sdp = fixture("chromium_audio_video.sdp");
  const auto m = sdp.find("m=video ");
  const auto eol = sdp.find("\r\n", m);
  if (m == std::string::npos) return {};
  sdp.replace(m, eol - m, sdp.substr(m, eol - m) + " 51 50");
  const auto after = sdp.find("\r\n", m) + 2;
  sdp.insert(after,
             "a=rtpmap:51 H265/90000\r\n"
             "a=fmtp:51 level-id=180;profile-id=2;tier-flag=0;tx-mode=SRST\r\n"
             "a=rtpmap:50 H265/90000\r\n"
             "a=fmtp:50 level-id=180;profile-id=1;tier-flag=0;tx-mode=SRST\r\n");
  return sdp;
}
}  // namespace

TEST(OfferH265, AnH265CameraIsPassedThroughToABrowserOfferingH265MainProfile) {
  const std::string sdp = chromium_with_h265();
  ASSERT_NE(sdp.find("H265/90000"), std::string::npos);
  const AnswerPlan p = plan_answer(parse_offer(sdp), "opus", true, /*h265_source=*/true);
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_codec, "h265");
  EXPECT_EQ(p.video_index, 0);
  EXPECT_EQ(p.video_pt, 50);  // Main before Main 10, whatever the offer's order
  EXPECT_TRUE(p.video_profile.empty());
  EXPECT_GT(p.video_twcc_id, 0);
  EXPECT_EQ(p.audio_index, 1);
  EXPECT_EQ(p.audio_pt, 111);
}

TEST(OfferH265, AnH264CameraIgnoresTheBrowsersH265) {
  const AnswerPlan p = plan_answer(parse_offer(chromium_with_h265()), "opus", true, /*h265_source=*/false);
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_codec, "h264");
  EXPECT_EQ(p.video_pt, 108);
}

TEST(OfferH265, WithoutH265InTheOfferAnH265CameraGoesOutAsH264OrVp8) {
  // Recorded Chromium (no H.265 here): H.264, which the viewer takes from the transcode.
  AnswerPlan p = plan_answer(parse_offer(fixture("chromium_audio_video.sdp")), "opus", true, true);
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_codec, "h264");
  EXPECT_EQ(p.video_pt, 108);
  EXPECT_EQ(p.video_profile, "42e01f");
  // Recorded Firefox without OpenH264: VP8 (the VP8 transcode decodes H.265).
  p = plan_answer(parse_offer(fixture("firefox_audio_video.sdp")), "opus", true, true);
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.video_codec, "vp8");
}

TEST(OfferH265, H265OnAMlineThatDoesNotReceiveIsNotUsed) {
  std::string sdp = chromium_with_h265();
  const auto m = sdp.find("m=video ");
  const auto dir = sdp.find("a=recvonly", m);
  ASSERT_NE(dir, std::string::npos);
  sdp.replace(dir, std::string("a=recvonly").size(), "a=sendonly");
  const AnswerPlan p = plan_answer(parse_offer(sdp), "", true, true);
  EXPECT_EQ(p.video_index, -1);
  EXPECT_FALSE(p.error.empty());
}

TEST(OfferH265, OfferedCodecsNameH265) {
  EXPECT_NE(offered_video_codecs(parse_offer(chromium_with_h265())).find("H265"), std::string::npos);
}
