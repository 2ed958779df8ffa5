#include <gtest/gtest.h>

#include "remb.hpp"

using namespace camrelay::media;

TEST(RembBitrate, SmallValuesUseExponentZero) {
  auto b = remb_encode_bitrate(0);
  EXPECT_EQ(b.exponent, 0);
  EXPECT_EQ(b.mantissa, 0u);
  b = remb_encode_bitrate(262143);  // 2^18 - 1: the largest mantissa
  EXPECT_EQ(b.exponent, 0);
  EXPECT_EQ(b.mantissa, 262143u);
}

TEST(RembBitrate, LargeValuesNeedAnExponent) {
  auto b = remb_encode_bitrate(262144);  // 2^18
  EXPECT_EQ(b.exponent, 1);
  EXPECT_EQ(b.mantissa, 131072u);
  b = remb_encode_bitrate(5'000'000);  // 5 Mbit/s: 5e6 / 2^5 = 156250 < 2^18
  EXPECT_EQ(b.exponent, 5);
  EXPECT_EQ(b.mantissa, 156250u);
  EXPECT_EQ(b.bps(), 5'000'000u);
}

TEST(RembBitrate, RoundsDownNeverAbove) {
  for (std::uint64_t bps : {1'000'001ull, 123'456'789ull, 999'999'999'999ull, 300'000ull}) {
    auto b = remb_encode_bitrate(bps);
    EXPECT_LE(b.bps(), bps);
    EXPECT_LT(b.mantissa, 1u << 18);
    // Precision: the error is below one step of 2^exponent.
    EXPECT_LT(bps - b.bps(), 1ull << b.exponent) << bps;
  }
}

TEST(RembPacket, ByteLayout) {
  // 800 kbit/s for SSRC 0x11223344 from sender 0xAABBCCDD.
  auto p = build_remb_packet(0xAABBCCDD, 800'000, {0x11223344});
  ASSERT_EQ(p.size(), 24u);
  EXPECT_EQ(p[0], 0x8F);  // V=2, P=0, FMT=15
  EXPECT_EQ(p[1], 206);   // PSFB
  EXPECT_EQ(p[2], 0);
  EXPECT_EQ(p[3], 5);  // 24 bytes = 6 words, length = words - 1
  EXPECT_EQ(p[4], 0xAA);
  EXPECT_EQ(p[7], 0xDD);
  for (int i = 8; i < 12; ++i) EXPECT_EQ(p[i], 0) << "media SSRC must be 0";
  EXPECT_EQ(std::string(p.begin() + 12, p.begin() + 16), "REMB");
  EXPECT_EQ(p[16], 1);  // num SSRC
  // 800000 = 200000 * 2^2 -> exp 2, mantissa 200000 = 0x30D40
  EXPECT_EQ(p[17], (2 << 2) | 0x3);
  EXPECT_EQ(p[18], 0x0D);
  EXPECT_EQ(p[19], 0x40);
  EXPECT_EQ(p[20], 0x11);
  EXPECT_EQ(p[23], 0x44);
}

TEST(RembPacket, RoundTrip) {
  const std::vector<std::uint32_t> ssrcs = {1, 0xFFFFFFFF, 42};
  auto p = build_remb_packet(7, 2'500'000, ssrcs);
  EXPECT_EQ(p.size(), 12u + 8u + 12u);
  auto r = parse_remb_packet(p.data(), p.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sender_ssrc, 7u);
  EXPECT_EQ(r->bitrate_bps, 2'500'000u);
  EXPECT_EQ(r->ssrcs, ssrcs);
}

TEST(RembPacket, FoundInsideACompoundPacket) {
  // A minimal RR (no report blocks) followed by the REMB.
  std::vector<std::uint8_t> rr = {0x80, 201, 0, 1, 0, 0, 0, 9};
  auto remb = build_remb_packet(9, 1'000'000, {77});
  rr.insert(rr.end(), remb.begin(), remb.end());
  auto r = find_remb(rr.data(), rr.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bitrate_bps, 1'000'000u);
  EXPECT_EQ(r->ssrcs, std::vector<std::uint32_t>{77});
}

TEST(RembPacket, RejectsOtherPackets) {
  auto p = build_remb_packet(1, 1000, {2});
  auto pli = p;
  pli[0] = 0x81;  // FMT 1 = PLI
  EXPECT_FALSE(parse_remb_packet(pli.data(), pli.size()));
  auto notremb = p;
  notremb[12] = 'X';
  EXPECT_FALSE(parse_remb_packet(notremb.data(), notremb.size()));
  EXPECT_FALSE(parse_remb_packet(p.data(), 10));      // truncated
  auto lying = p;
  lying[16] = 5;  // claims 5 SSRCs, carries 1
  EXPECT_FALSE(parse_remb_packet(lying.data(), lying.size()));
  EXPECT_FALSE(find_remb(nullptr, 0));
}
