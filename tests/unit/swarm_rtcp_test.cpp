// The lite swarm receiver's RTP/RTCP wire formats (tests/tools/swarm/rtcp.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "rtcp.hpp"

using namespace swarm::rtcp;

namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
// The length field of the RTCP packet at p, in bytes.
size_t rtcp_len(const uint8_t* p) { return (size_t(be16(p + 2)) + 1) * 4; }

}  // namespace

TEST(SwarmRtp, ParsesHeader) {
  std::vector<uint8_t> p = {0x80, 0xe0, 0x12, 0x34, 0, 0, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
  auto h = parse_rtp(p.data(), p.size());
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->marker);
  EXPECT_EQ(h->pt, 96);
  EXPECT_EQ(h->seq, 0x1234);
  EXPECT_EQ(h->timestamp, 0x100u);
  EXPECT_EQ(h->ssrc, 0xdeadbeefu);
  EXPECT_EQ(h->payload, 12u);
  EXPECT_EQ(h->payload_len, 3u);
}

TEST(SwarmRtp, SkipsCsrcExtensionAndPadding) {
  // CC=1, X, P; one-word extension; payload 2 bytes + 2 bytes padding.
  std::vector<uint8_t> p = {0xb1, 0x61, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,  // header
                            9, 9, 9, 9,                                  // CSRC
                            0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0,          // extension
                            0x12, 0x34, 0, 2};                           // payload, padding
  auto h = parse_rtp(p.data(), p.size());
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->marker);
  EXPECT_EQ(h->pt, 97);
  EXPECT_EQ(h->payload, 24u);
  EXPECT_EQ(h->payload_len, 2u);
  EXPECT_EQ(be16(p.data() + h->payload), 0x1234);
}

TEST(SwarmRtp, RejectsMalformed) {
  std::vector<uint8_t> shorter = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(parse_rtp(shorter.data(), shorter.size()));
  std::vector<uint8_t> v1 = {0x40, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_FALSE(parse_rtp(v1.data(), v1.size()));
  std::vector<uint8_t> ext = {0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 5};
  EXPECT_FALSE(parse_rtp(ext.data(), ext.size()));
  std::vector<uint8_t> pad = {0xa0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 9};
  EXPECT_FALSE(parse_rtp(pad.data(), pad.size()));
}

TEST(SwarmRtcp, DemuxByPayloadType) {
  const uint8_t rr[] = {0x80, 201, 0, 1};
  const uint8_t sr[] = {0x80, 200, 0, 6};
  const uint8_t video_marker[] = {0x80, 0xe0, 0, 1};  // PT 96 + marker: 224 is not RTCP
  const uint8_t pt72[] = {0x80, 72, 0, 1};            // RTP PT 72 would collide: 200 & 0x7f
  EXPECT_TRUE(is_rtcp(rr, 4));
  EXPECT_TRUE(is_rtcp(sr, 4));
  EXPECT_FALSE(is_rtcp(video_marker, 4));
  EXPECT_TRUE(is_rtcp(pt72, 4));
  EXPECT_FALSE(is_rtcp(rr, 1));
}

TEST(SwarmRtcp, CompoundReceiverReportSdes) {
  uint8_t buf[256];
  Writer w(buf, sizeof buf);
  ReportBlock b;
  b.ssrc = 0x11223344;
  b.fraction_lost = 25;
  b.cumulative_lost = -3;
  b.ext_highest_seq = 0x00015678;
  b.jitter = 7;
  b.lsr = 0xaabbccdd;
  b.dlsr = 65536;
  w.receiver_report(0x01020304, &b);
  w.sdes_cname(0x01020304, "swarm-1");
  ASSERT_TRUE(w.ok());
  // RR: 32 bytes; SDES: 4 + 4 + 2 + 7 + 1 = 18 → 20.
  ASSERT_EQ(w.size(), 32u + 20u);
  EXPECT_EQ(buf[0], 0x81);
  EXPECT_EQ(buf[1], 201);
  EXPECT_EQ(rtcp_len(buf), 32u);
  EXPECT_EQ(be32(buf + 4), 0x01020304u);
  EXPECT_EQ(be32(buf + 8), 0x11223344u);
  EXPECT_EQ(buf[12], 25);
  EXPECT_EQ(be32(buf + 12) & 0xffffff, 0xfffffdu);  // -3 in 24 bits
  EXPECT_EQ(be32(buf + 16), 0x00015678u);
  EXPECT_EQ(be32(buf + 20), 7u);
  EXPECT_EQ(be32(buf + 24), 0xaabbccddu);
  EXPECT_EQ(be32(buf + 28), 65536u);
  const uint8_t* s = buf + 32;
  EXPECT_EQ(s[0], 0x81);
  EXPECT_EQ(s[1], 202);
  EXPECT_EQ(rtcp_len(s), 20u);
  EXPECT_EQ(be32(s + 4), 0x01020304u);
  EXPECT_EQ(s[8], 1);
  EXPECT_EQ(s[9], 7);
  EXPECT_EQ(std::memcmp(s + 10, "swarm-1", 7), 0);
  EXPECT_EQ(s[17], 0);
}

TEST(SwarmRtcp, ReceiverReportWithoutBlockAndClamping) {
  uint8_t buf[64];
  Writer w(buf, sizeof buf);
  w.receiver_report(5, nullptr);
  EXPECT_EQ(w.size(), 8u);
  EXPECT_EQ(buf[0], 0x80);
  EXPECT_EQ(rtcp_len(buf), 8u);
  ReportBlock b;
  b.cumulative_lost = 0x7fffffff;
  w.receiver_report(5, &b);
  EXPECT_EQ(be32(buf + 8 + 12) & 0xffffff, 0x7fffffu);
}

TEST(SwarmRtcp, NackPacksRuns) {
  uint8_t buf[64];
  Writer w(buf, sizeof buf);
  const uint16_t seqs[] = {100, 101, 105, 116, 117, 118};
  w.nack(1, 2, seqs, 6);
  ASSERT_TRUE(w.ok());
  // 100 + {101, 105, 116} in its BLP; 117 starts the next entry (> 16 after 100), with 118.
  ASSERT_EQ(w.size(), 12u + 8u);
  EXPECT_EQ(buf[0], 0x81);  // FMT 1
  EXPECT_EQ(buf[1], 205);
  EXPECT_EQ(rtcp_len(buf), 20u);
  EXPECT_EQ(be32(buf + 4), 1u);
  EXPECT_EQ(be32(buf + 8), 2u);
  EXPECT_EQ(be16(buf + 12), 100);
  EXPECT_EQ(be16(buf + 14), (1 << 0) | (1 << 4) | (1 << 15));
  EXPECT_EQ(be16(buf + 16), 117);
  EXPECT_EQ(be16(buf + 18), 1);
}

TEST(SwarmRtcp, NackAcrossWrap) {
  uint8_t buf[64];
  Writer w(buf, sizeof buf);
  const uint16_t seqs[] = {65534, 65535, 0, 1};
  w.nack(1, 2, seqs, 4);
  ASSERT_EQ(w.size(), 16u);
  EXPECT_EQ(be16(buf + 12), 65534);
  EXPECT_EQ(be16(buf + 14), 0b111);
}

TEST(SwarmRtcp, Pli) {
  uint8_t buf[16];
  Writer w(buf, sizeof buf);
  w.pli(7, 9);
  ASSERT_EQ(w.size(), 12u);
  EXPECT_EQ(buf[0], 0x81);
  EXPECT_EQ(buf[1], 206);
  EXPECT_EQ(rtcp_len(buf), 12u);
  EXPECT_EQ(be32(buf + 4), 7u);
  EXPECT_EQ(be32(buf + 8), 9u);
}

TEST(SwarmRtcp, WriterKeepsWhatFitsAndSaysSo) {
  uint8_t buf[20];
  Writer w(buf, sizeof buf);
  w.pli(7, 9);
  w.pli(7, 9);  // does not fit
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 12u);
  w.receiver_report(1, nullptr);  // nothing after a failure
  EXPECT_EQ(w.size(), 12u);
}

TEST(SwarmRtcp, FindsSenderReport) {
  // SDES-less compound: RR from someone, then an SR.
  std::vector<uint8_t> p = {0x80, 201, 0, 1, 0, 0, 0, 5,
                            0x80, 200, 0, 6, 0xca, 0xfe, 0xba, 0xbe,       // SR, SSRC
                            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // NTP
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};             // RTP ts, counts
  auto sr = find_sender_report(p.data(), p.size());
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->ssrc, 0xcafebabeu);
  EXPECT_EQ(sr->ntp_mid, 0x03040506u);
  EXPECT_FALSE(find_sender_report(p.data(), 8));  // the RR alone
  p[10] = 9;                                       // the SR's length beyond the packet
  EXPECT_FALSE(find_sender_report(p.data(), p.size()));
}
