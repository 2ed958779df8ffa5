// The lite swarm receiver's OpenSSL crypto for libsrtp2 (tests/tools/swarm/srtp_openssl.hpp):
// byte for byte what libsrtp's own crypto makes, for SRTP and SRTCP, across a sequence wrap.
#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <random>
#include <vector>

#include "srtp_openssl.hpp"

namespace {

srtp_t session(const uint8_t* key, srtp_ssrc_type_t direction) {
  srtp_policy_t p{};
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  p.ssrc.type = direction;
  p.key = const_cast<unsigned char*>(key);
  p.window_size = 1024;
  srtp_t s = nullptr;
  EXPECT_EQ(srtp_create(&s, &p), srtp_err_status_ok);
  return s;
}

std::vector<uint8_t> rtp(uint16_t seq, std::mt19937& rng) {
  std::vector<uint8_t> p(12 + 1000);
  const uint8_t header[12] = {0x80, 96, uint8_t(seq >> 8), uint8_t(seq), 0, 0, 0x10, 0, 0x12, 0x34, 0x56, 0x78};
  std::memcpy(p.data(), header, 12);
  for (size_t i = 12; i < p.size(); ++i) p[i] = uint8_t(rng());
  return p;
}

}  // namespace

TEST(SwarmSrtp, OpenSslCryptoMatchesLibsrtp) {
  srtp_init();
  std::mt19937 rng(7);
  uint8_t key[30];
  for (auto& b : key) b = uint8_t(rng());
  // Sessions keep the crypto of their creation: libsrtp's own before the swap, ours after.
  srtp_t own_tx = session(key, ssrc_any_outbound), own_rx = session(key, ssrc_any_inbound);
  ASSERT_TRUE(swarm::install_openssl_srtp_crypto());
  srtp_t ossl_tx = session(key, ssrc_any_outbound), ossl_rx = session(key, ssrc_any_inbound);

  for (uint32_t i = 0; i < 40; ++i) {
    const uint16_t seq = uint16_t(65520 + i);  // across the wrap: the rollover counter counts
    const std::vector<uint8_t> plain = rtp(seq, rng);
    std::vector<uint8_t> a(plain.size() + SRTP_MAX_TRAILER_LEN), b(a.size());
    std::memcpy(a.data(), plain.data(), plain.size());
    std::memcpy(b.data(), plain.data(), plain.size());
    int la = int(plain.size()), lb = la;
    ASSERT_EQ(srtp_protect(own_tx, a.data(), &la), srtp_err_status_ok);
    ASSERT_EQ(srtp_protect(ossl_tx, b.data(), &lb), srtp_err_status_ok);
    ASSERT_EQ(la, lb);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), size_t(la)), 0) << "seq " << seq;
    // Each unprotects the other's.
    ASSERT_EQ(srtp_unprotect(ossl_rx, a.data(), &la), srtp_err_status_ok) << "seq " << seq;
    ASSERT_EQ(srtp_unprotect(own_rx, b.data(), &lb), srtp_err_status_ok) << "seq " << seq;
    ASSERT_EQ(std::memcmp(a.data(), plain.data(), plain.size()), 0);
    ASSERT_EQ(std::memcmp(b.data(), plain.data(), plain.size()), 0);
  }
  // SRTCP: a receiver report.
  const uint8_t rr[8] = {0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78};
  uint8_t a[8 + SRTP_MAX_TRAILER_LEN + 4], b[sizeof a];  // SRTCP: index word + tag
  std::memcpy(a, rr, 8);
  std::memcpy(b, rr, 8);
  int la = 8, lb = 8;
  ASSERT_EQ(srtp_protect_rtcp(own_tx, a, &la), srtp_err_status_ok);
  ASSERT_EQ(srtp_protect_rtcp(ossl_tx, b, &lb), srtp_err_status_ok);
  ASSERT_EQ(la, lb);
  EXPECT_EQ(std::memcmp(a, b, size_t(la)), 0);
  ASSERT_EQ(srtp_unprotect_rtcp(ossl_rx, a, &la), srtp_err_status_ok);
  EXPECT_EQ(la, 8);
  EXPECT_EQ(std::memcmp(a, rr, 8), 0);
  // A flipped bit does not authenticate.
  std::memcpy(b, rr, 8);
  lb = 8;
  ASSERT_EQ(srtp_protect_rtcp(own_tx, b, &lb), srtp_err_status_ok);
  b[5] ^= 1;
  EXPECT_NE(srtp_unprotect_rtcp(ossl_rx, b, &lb), srtp_err_status_ok);
  for (srtp_t s : {own_tx, own_rx, ossl_tx, ossl_rx}) srtp_dealloc(s);
}
