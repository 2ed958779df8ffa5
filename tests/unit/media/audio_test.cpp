// The WebRTC audio plan and the audio helpers (caps names, AAC config, depayloaders).
#include <gtest/gtest.h>

#include <cstring>

#include "audio_util.hpp"
#include "camrelay/media/audio_plan.hpp"

using namespace camrelay::media;

TEST(AudioPlan, ByCodec) {
  EXPECT_EQ(webrtc_audio_plan("opus"), "passthrough");
  EXPECT_EQ(webrtc_audio_plan("pcmu"), "passthrough");
  EXPECT_EQ(webrtc_audio_plan("pcma"), "passthrough");
  EXPECT_EQ(webrtc_audio_plan("aac"), "transcode:opus");
  EXPECT_EQ(webrtc_audio_plan(""), "none");
  EXPECT_EQ(webrtc_audio_plan("g722"), "none");
  EXPECT_EQ(webrtc_audio_plan("OPUS"), "none");  // AudioInfo codecs are lower case
}

TEST(AudioUtil, CodecOfCaps) {
  EXPECT_EQ(audio::codec_of_caps("audio/x-opus", 0), "opus");
  EXPECT_EQ(audio::codec_of_caps("audio/x-mulaw", 0), "pcmu");
  EXPECT_EQ(audio::codec_of_caps("audio/x-alaw", 0), "pcma");
  EXPECT_EQ(audio::codec_of_caps("audio/mpeg", 4), "aac");
  EXPECT_EQ(audio::codec_of_caps("audio/mpeg", 1), "");  // MP3
  EXPECT_EQ(audio::codec_of_caps("audio/x-raw", 0), "");
}

TEST(AudioUtil, AacConfig) {
  int rate = 0, channels = 0;
  const std::uint8_t lc_48k_stereo[] = {0x11, 0x90};  // AAC-LC, index 3, 2 channels
  ASSERT_TRUE(audio::parse_aac_config(lc_48k_stereo, sizeof lc_48k_stereo, rate, channels));
  EXPECT_EQ(rate, 48000);
  EXPECT_EQ(channels, 2);
  const std::uint8_t lc_8k_mono[] = {0x15, 0x88};  // index 11, 1 channel
  ASSERT_TRUE(audio::parse_aac_config(lc_8k_mono, sizeof lc_8k_mono, rate, channels));
  EXPECT_EQ(rate, 8000);
  EXPECT_EQ(channels, 1);
  const std::uint8_t explicit_rate[] = {0x17, 0x80, 0x17, 0x70, 0x08};  // index 15, 12000 Hz, 1 ch
  ASSERT_TRUE(audio::parse_aac_config(explicit_rate, sizeof explicit_rate, rate, channels));
  EXPECT_EQ(rate, 12000);
  EXPECT_EQ(channels, 1);
  const std::uint8_t reserved[] = {0x16, 0x88};  // index 13: reserved
  EXPECT_FALSE(audio::parse_aac_config(reserved, sizeof reserved, rate, channels));
  const std::uint8_t short_cfg[] = {0x11};
  EXPECT_FALSE(audio::parse_aac_config(short_cfg, sizeof short_cfg, rate, channels));
}

TEST(AudioUtil, Depayloaders) {
  EXPECT_STREQ(audio::depayloader_for("MPEG4-GENERIC"), "rtpmp4gdepay");
  EXPECT_STREQ(audio::depayloader_for("mpeg4-generic"), "rtpmp4gdepay");
  EXPECT_STREQ(audio::depayloader_for("MP4A-LATM"), "rtpmp4adepay");
  EXPECT_STREQ(audio::depayloader_for("PCMU"), "rtppcmudepay");
  EXPECT_STREQ(audio::depayloader_for("PCMA"), "rtppcmadepay");
  EXPECT_STREQ(audio::depayloader_for("OPUS"), "rtpopusdepay");
  EXPECT_EQ(audio::depayloader_for("G722"), nullptr);
  EXPECT_EQ(audio::depayloader_for("H264"), nullptr);
}
