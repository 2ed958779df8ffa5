// RtpSender: what a viewer receives, decrypted with libsrtp as the browser would (the key is
// the one DTLS would have given both sides): the viewer's header on the shared packets, RTX
// answers to NACKs, sender reports, and the figures read from receiver reports.
#include "rtp_sender.hpp"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <map>
#include <vector>

namespace camrelay::media {
namespace {

constexpr std::uint32_t kSsrc = 0x11223344, kRtxSsrc = 0x55667788, kSharedSsrc = 0xaaaaaaaa;
constexpr std::uint8_t kPt = 102, kRtxPt = 103;

std::vector<std::uint8_t> test_key() {
  std::vector<std::uint8_t> k(30);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = std::uint8_t(i * 7 + 1);
  return k;
}

std::uint16_t get16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// A packet as the shared payloader makes it: PT 96, the stream's SSRC and sequence number.
GstBuffer* shared_packet(std::uint16_t seq, std::uint32_t ts, bool marker, std::uint8_t fill) {
  std::vector<std::uint8_t> d(12 + 100, fill);
  d[0] = 0x80;
  d[1] = std::uint8_t((marker ? 0x80 : 0) | 96);
  d[2] = std::uint8_t(seq >> 8);
  d[3] = std::uint8_t(seq);
  for (int i = 0; i < 4; ++i) d[4 + i] = std::uint8_t(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) d[8 + i] = std::uint8_t(kSharedSsrc >> (24 - 8 * i));
  return gst_buffer_new_memdup(d.data(), d.size());
}

class RtpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    srtp_init();  // a second call fails harmlessly
    key_ = test_key();
    srtp_policy_t p;
    std::memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = ssrc_any_inbound;
    p.key = key_.data();
    p.window_size = 1024;
    ASSERT_EQ(srtp_create(&rx_, &p), srtp_err_status_ok);

    RtpSenderSetup s;
    s.ssrc = kSsrc;
    s.pt = kPt;
    s.rtx_ssrc = kRtxSsrc;
    s.rtx_pt = kRtxPt;
    s.master_key = key_;
    s.cname = "camrelay-test";
    s.transport = [this](const std::uint8_t* d, std::size_t n) {
      wire_.emplace_back(d, d + n);
      return true;
    };
    std::string err;
    sender_ = RtpSender::create(std::move(s), err);
    ASSERT_TRUE(sender_) << err;
  }
  void TearDown() override {
    if (rx_) srtp_dealloc(rx_);
  }

  // The i-th packet on the wire, decrypted (RTP or RTCP) once (a second unprotect of the
  // same packet is a replay to libsrtp).
  std::vector<std::uint8_t> received(std::size_t i, bool rtcp = false) {
    if (auto it = plain_.find(i); it != plain_.end()) return it->second;
    std::vector<std::uint8_t> d = wire_.at(i);
    int len = int(d.size());
    const srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(rx_, d.data(), &len) : srtp_unprotect(rx_, d.data(), &len);
    EXPECT_EQ(st, srtp_err_status_ok) << "packet " << i;
    d.resize(std::size_t(len));
    return plain_[i] = d;
  }

  std::vector<std::uint8_t> key_;
  srtp_t rx_ = nullptr;
  std::vector<std::vector<std::uint8_t>> wire_;
  std::map<std::size_t, std::vector<std::uint8_t>> plain_;
  std::shared_ptr<RtpSender> sender_;
};

TEST_F(RtpSenderTest, EachPacketGoesOutWithTheViewersHeaderAndDecrypts) {
  std::vector<GstBuffer*> pkts;
  for (int i = 0; i < 3; ++i) pkts.push_back(shared_packet(std::uint16_t(500 + i), 9000 + 3000 * i, i == 2, std::uint8_t(i)));
  for (GstBuffer* b : pkts) sender_->send(b);
  sender_->send(pkts[0], false, 1234);  // a replayed packet: its own timestamp
  ASSERT_EQ(wire_.size(), 4u);
  std::uint16_t first_seq = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto d = received(i);
    ASSERT_EQ(d.size(), 112u);
    EXPECT_EQ(d[1] & 0x7f, kPt);
    EXPECT_EQ(bool(d[1] & 0x80), i == 2) << "the marker bit is the packet's";
    EXPECT_EQ(get32(d.data() + 8), kSsrc);
    if (i == 0) first_seq = get16(d.data() + 2);
    EXPECT_EQ(get16(d.data() + 2), std::uint16_t(first_seq + i)) << "the viewer's own sequence";
    EXPECT_EQ(get32(d.data() + 4), i < 3 ? 9000 + 3000 * i : 1234u);
    EXPECT_EQ(d[12], i < 3 ? std::uint8_t(i) : 0) << "payload unchanged";
  }
  const RtpSenderFigures f = sender_->figures();
  EXPECT_EQ(f.packets, 4u);
  EXPECT_EQ(f.bytes, 4u * 112u);
  EXPECT_EQ(f.send_errors, 0u);
  for (GstBuffer* b : pkts) gst_buffer_unref(b);
}

TEST_F(RtpSenderTest, NacksAreAnsweredWithRtx) {
  std::vector<GstBuffer*> pkts;
  for (int i = 0; i < 5; ++i) pkts.push_back(shared_packet(std::uint16_t(7 + i), 3000, false, std::uint8_t(0x40 + i)));
  for (GstBuffer* b : pkts) sender_->send(b);
  const std::uint16_t seq0 = get16(received(0).data() + 2);
  // Generic NACK: PID = the 2nd packet, BLP bit 1 = PID + 2 (the 4th); PID + 40 was never sent.
  const std::uint16_t pid = std::uint16_t(seq0 + 1);
  const std::uint16_t far = std::uint16_t(seq0 + 40);
  const std::uint8_t fci[] = {std::uint8_t(pid >> 8), std::uint8_t(pid), 0x00, 0x02,
                              std::uint8_t(far >> 8), std::uint8_t(far), 0x00, 0x00};
  sender_->on_nack(fci, sizeof fci);
  ASSERT_EQ(wire_.size(), 7u) << "two retransmissions, none for a packet never sent";
  for (std::size_t i = 5; i < 7; ++i) {
    const auto d = received(i);
    ASSERT_EQ(d.size(), 114u) << "RTX: the original sequence number before the payload";
    EXPECT_EQ(d[1] & 0x7f, kRtxPt);
    EXPECT_EQ(get32(d.data() + 8), kRtxSsrc);
    const std::uint16_t osn = get16(d.data() + 12);
    EXPECT_EQ(osn, i == 5 ? pid : std::uint16_t(pid + 2));
    EXPECT_EQ(d[14], std::uint8_t(0x40 + (osn - seq0))) << "the payload of the packet sent with that number";
  }
  EXPECT_EQ(get16(received(6).data() + 2), std::uint16_t(get16(received(5).data() + 2) + 1)) << "RTX has its own sequence";
  EXPECT_EQ(sender_->figures().retransmitted, 2u);
  for (GstBuffer* b : pkts) gst_buffer_unref(b);
}

TEST_F(RtpSenderTest, SenderReportsAndReceiverReportsGiveTheFigures) {
  sender_->send_sender_report();
  EXPECT_TRUE(wire_.empty()) << "no report before the first packet";
  GstBuffer* b = shared_packet(1, 90000, true, 1);
  sender_->send(b);
  sender_->send(b);
  gst_buffer_unref(b);
  sender_->send_sender_report();
  ASSERT_EQ(wire_.size(), 3u);
  const auto sr = received(2, true);
  ASSERT_GE(sr.size(), 28u + 8u);
  EXPECT_EQ(sr[1], 200) << "SR";
  EXPECT_EQ(get32(sr.data() + 4), kSsrc);
  EXPECT_EQ(get32(sr.data() + 20), 2u) << "packet count";
  EXPECT_EQ(get32(sr.data() + 24), 200u) << "payload octets";
  EXPECT_EQ(sr[29], 202) << "SDES follows";
  const std::uint32_t lsr = (get32(sr.data() + 8) << 16) | (get32(sr.data() + 12) >> 16);

  // The browser's receiver report about our SSRC, referring to that SR, 0 s after it.
  GstBuffer* rr = gst_rtcp_buffer_new(1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  ASSERT_TRUE(gst_rtcp_buffer_map(rr, GST_MAP_READWRITE, &rtcp));
  GstRTCPPacket p;
  ASSERT_TRUE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &p));
  gst_rtcp_packet_rr_set_ssrc(&p, 0x99);
  ASSERT_TRUE(gst_rtcp_packet_add_rb(&p, 0x12345678, 255, 99, 0, 0, 0, 0));  // someone else's
  ASSERT_TRUE(gst_rtcp_packet_add_rb(&p, kSsrc, 64, 5, 1000, 900, lsr, 0));
  gst_rtcp_buffer_unmap(&rtcp);
  sender_->on_rtcp(rr);
  gst_buffer_unref(rr);
  const RtpSenderFigures f = sender_->figures();
  EXPECT_TRUE(f.have_report);
  EXPECT_DOUBLE_EQ(f.fraction_lost, 0.25);
  EXPECT_EQ(f.packets_lost, 5);
  EXPECT_DOUBLE_EQ(f.jitter_ms, 10.0);  // 900 ticks of 90 kHz
  EXPECT_GE(f.rtt_ms, 0.0);
  EXPECT_LT(f.rtt_ms, 1000.0);
}

TEST(RtpSender, WithoutRtxANackedPacketGoesAgainAsItWas) {
  gst_init(nullptr, nullptr);
  const std::vector<std::uint8_t> key = test_key();
  std::vector<std::vector<std::uint8_t>> wire;
  RtpSenderSetup s;
  s.ssrc = kSsrc;
  s.pt = kPt;  // no rtx_pt: the browser did not offer RTX
  s.master_key = key;
  s.transport = [&wire](const std::uint8_t* d, std::size_t n) {
    wire.emplace_back(d, d + n);
    return true;
  };
  std::string err;
  auto sender = RtpSender::create(std::move(s), err);
  ASSERT_TRUE(sender) << err;
  GstBuffer* b = shared_packet(3, 6000, true, 0x7e);
  sender->send(b);
  gst_buffer_unref(b);
  ASSERT_EQ(wire.size(), 1u);
  // The sequence number is in clear in the SRTP header.
  const std::uint16_t seq = get16(wire[0].data() + 2);
  const std::uint8_t fci[] = {std::uint8_t(seq >> 8), std::uint8_t(seq), 0, 0};
  sender->on_nack(fci, sizeof fci);
  ASSERT_EQ(wire.size(), 2u);
  // A receiver that lost the first copy decrypts the second: same SSRC, number and payload.
  srtp_policy_t p;
  std::memset(&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  p.ssrc.type = ssrc_any_inbound;
  p.key = const_cast<unsigned char*>(key.data());
  p.window_size = 1024;
  srtp_t rx = nullptr;
  ASSERT_EQ(srtp_create(&rx, &p), srtp_err_status_ok);
  std::vector<std::uint8_t> d = wire[1];
  int len = int(d.size());
  EXPECT_EQ(srtp_unprotect(rx, d.data(), &len), srtp_err_status_ok);
  srtp_dealloc(rx);
  ASSERT_EQ(len, 112);
  EXPECT_EQ(d[1], 0x80 | kPt);
  EXPECT_EQ(get16(d.data() + 2), seq);
  EXPECT_EQ(get32(d.data() + 8), kSsrc);
  EXPECT_EQ(d[12], 0x7e);
  EXPECT_EQ(sender->figures().retransmitted, 1u);
}

TEST(RtpSender, RefusesAKeyOfTheWrongSize) {
  RtpSenderSetup s;
  s.master_key = std::vector<std::uint8_t>(16, 1);
  s.transport = [](const std::uint8_t*, std::size_t) { return true; };
  std::string err;
  EXPECT_FALSE(RtpSender::create(std::move(s), err));
  EXPECT_NE(err.find("16 bytes"), std::string::npos) << err;
}

}  // namespace
}  // namespace camrelay::media
