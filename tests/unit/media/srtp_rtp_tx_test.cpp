// SrtpRtpTx against libsrtp2 (the reference implementation every WebRTC stack here uses):
// for the same master key and packets, the protected bytes must be identical to what
// libsrtp2's srtp_protect makes, and libsrtp2 must unprotect them back to the plaintext —
// with both tag lengths, CSRCs and a header extension, two SSRCs (video and RTX) in one
// session, sequence numbers that wrap (rollover counter), a first sequence number above 2^15,
// and a packet sent again with an old sequence number (a retransmission without RTX).
#include "srtp_rtp_tx.hpp"

#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace media = camrelay::media;

namespace {

struct Libsrtp {
  srtp_t tx = nullptr, rx = nullptr;
  Libsrtp(const std::vector<std::uint8_t>& master, bool tag32) {
    srtp_init();
    srtp_policy_t p;
    std::memset(&p, 0, sizeof p);
    if (tag32) {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    } else {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    }
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.key = const_cast<std::uint8_t*>(master.data());
    p.window_size = 1024;
    p.allow_repeat_tx = 1;
    p.ssrc.type = ssrc_any_outbound;
    EXPECT_EQ(srtp_create(&tx, &p), srtp_err_status_ok);
    p.ssrc.type = ssrc_any_inbound;
    EXPECT_EQ(srtp_create(&rx, &p), srtp_err_status_ok);
  }
  ~Libsrtp() {
    if (tx) srtp_dealloc(tx);
    if (rx) srtp_dealloc(rx);
  }
};

std::vector<std::uint8_t> packet(std::mt19937& rng, std::uint32_t ssrc, std::uint16_t seq, int csrcs, bool ext,
                                 std::size_t payload, std::size_t& header_len) {
  std::vector<std::uint8_t> p;
  p.push_back(std::uint8_t(0x80 | (ext ? 0x10 : 0) | csrcs));
  p.push_back(96 | 0x80);
  p.push_back(std::uint8_t(seq >> 8));
  p.push_back(std::uint8_t(seq));
  for (int i = 0; i < 4; ++i) p.push_back(std::uint8_t(rng()));  // timestamp
  for (int i = 0; i < 4; ++i) p.push_back(std::uint8_t(ssrc >> (24 - 8 * i)));
  for (int c = 0; c < csrcs * 4; ++c) p.push_back(std::uint8_t(rng()));
  if (ext) {
    p.insert(p.end(), {0xbe, 0xde, 0x00, 0x01, 0x10, 0x42, 0x00, 0x00});  // one-byte header, 1 word
  }
  header_len = p.size();
  for (std::size_t i = 0; i < payload; ++i) p.push_back(std::uint8_t(rng()));
  return p;
}

void check_sequence(bool tag32, std::uint16_t first_seq) {
  std::mt19937 rng(first_seq + (tag32 ? 1 : 0));
  std::vector<std::uint8_t> master(media::SrtpRtpTx::kMasterLen);
  for (auto& b : master) b = std::uint8_t(rng());
  Libsrtp ref(master, tag32);
  std::string error;
  auto tx = media::SrtpRtpTx::create(master.data(), tag32 ? 4 : 10, error);
  ASSERT_NE(tx, nullptr) << error;

  const std::uint32_t video = 0x11223344, rtx = 0xa0b0c0d0;
  std::uint16_t seq = first_seq, rtx_seq = std::uint16_t(first_seq * 7);
  std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>> sent;  // (seq, plaintext)
  for (int i = 0; i < 70000 + 300; ++i) {  // more than 2^16: the ROC moves on
    const bool is_rtx = i % 50 == 7;
    // Every 997th packet, and just after each wrap of the sequence number (the ROC before
    // the wrap, one less than now): an old sequence number again (retransmission without RTX).
    const std::size_t back = i % 997 == 996 && sent.size() > 40 ? 30 : seq == 5 && sent.size() >= 8 ? 8 : 0;
    const bool again = !is_rtx && back;
    std::uint16_t s;
    if (is_rtx) {
      s = rtx_seq++;
    } else if (again) {
      s = sent[sent.size() - back].first;
    } else {
      s = seq++;
    }
    std::size_t hlen = 0;
    const auto plain = packet(rng, is_rtx ? rtx : video, s, i % 3 == 0 ? 2 : 0, i % 5 == 0, 20 + rng() % 1180, hlen);
    if (!is_rtx && !again) sent.emplace_back(s, plain);
    if (sent.size() > 64) sent.erase(sent.begin());

    std::vector<std::uint8_t> ours(plain.size() + media::SrtpRtpTx::kMaxTrailer);
    std::memcpy(ours.data(), plain.data(), plain.size());
    const std::size_t n = tx->protect(ours.data(), plain.size(), hlen);
    ASSERT_GT(n, 0u);
    ours.resize(n);

    std::vector<std::uint8_t> theirs(plain.size() + SRTP_MAX_TRAILER_LEN);
    std::memcpy(theirs.data(), plain.data(), plain.size());
    int len = int(plain.size());
    ASSERT_EQ(srtp_protect(ref.tx, theirs.data(), &len), srtp_err_status_ok) << "packet " << i;
    theirs.resize(std::size_t(len));
    ASSERT_EQ(ours, theirs) << "packet " << i << " seq " << s << (is_rtx ? " (RTX)" : "") << (again ? " (again)" : "");

    if (!again) {  // libsrtp's receiver refuses a replay, as it should
      int rlen = int(ours.size());
      ASSERT_EQ(srtp_unprotect(ref.rx, ours.data(), &rlen), srtp_err_status_ok) << "packet " << i;
      ours.resize(std::size_t(rlen));
      ASSERT_EQ(ours, plain) << "packet " << i;
    }
  }
}

}  // namespace

TEST(SrtpRtpTxTest, SameBytesAsLibsrtpWithAnEightyBitTag) { check_sequence(false, 100); }

TEST(SrtpRtpTxTest, SameBytesAsLibsrtpWithAThirtyTwoBitTag) { check_sequence(true, 100); }

TEST(SrtpRtpTxTest, SameBytesAsLibsrtpWhenTheFirstSequenceNumberIsHigh) { check_sequence(false, 50000); }

TEST(SrtpRtpTxTest, SameBytesAsLibsrtpWhenTheSequenceWrapsAtOnce) { check_sequence(false, 65530); }

TEST(SrtpRtpTxTest, RefusesATagLengthSrtpDoesNotHave) {
  std::vector<std::uint8_t> master(media::SrtpRtpTx::kMasterLen, 1);
  std::string error;
  EXPECT_EQ(media::SrtpRtpTx::create(master.data(), 8, error), nullptr);
  EXPECT_NE(error.find("tag length"), std::string::npos) << error;
}
