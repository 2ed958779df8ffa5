// Outbound SRTP for RTP on OpenSSL (see srtp_rtp_tx.hpp).
#include "srtp_rtp_tx.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>

namespace camrelay::media {
namespace {

constexpr std::size_t kKeyLen = 16, kSaltLen = 14, kAuthKeyLen = 20;

// RFC 3711 4.3.1 with a key derivation rate of 0: the session key of `label` is the AES-CM
// keystream of the master key with IV = (master salt XOR label << 48) << 16.
bool derive(const std::uint8_t* master, std::uint8_t label, std::uint8_t* out, std::size_t n) {
  std::uint8_t iv[16] = {};
  std::memcpy(iv, master + kKeyLen, kSaltLen);
  iv[7] ^= label;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (!c) return false;
  std::uint8_t zeros[32] = {};
  int len = 0;
  const bool ok = n <= sizeof zeros && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, master, iv) == 1 &&
                  EVP_EncryptUpdate(c, out, &len, zeros, int(n)) == 1 && std::size_t(len) == n;
  EVP_CIPHER_CTX_free(c);
  return ok;
}

}  // namespace

std::unique_ptr<SrtpRtpTx> SrtpRtpTx::create(const std::uint8_t* master, std::size_t tag_len, std::string& error) {
  if (tag_len != 10 && tag_len != 4) {
    error = "SRTP tag length " + std::to_string(tag_len) + " (10 or 4 bytes)";
    return nullptr;
  }
  std::unique_ptr<SrtpRtpTx> t(new SrtpRtpTx());
  t->tag_len_ = tag_len;
  std::uint8_t key[kKeyLen], auth[kAuthKeyLen];
  bool ok = derive(master, 0x00, key, kKeyLen) && derive(master, 0x01, auth, kAuthKeyLen) &&
            derive(master, 0x02, t->salt_, kSaltLen);
  t->aes_ = EVP_CIPHER_CTX_new();
  ok = ok && t->aes_ && EVP_EncryptInit_ex(t->aes_, EVP_aes_128_ctr(), nullptr, key, nullptr) == 1;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  t->hmac_ = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  ok = ok && t->hmac_ && EVP_MAC_init(t->hmac_, auth, kAuthKeyLen, params) == 1;
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(auth, sizeof auth);
  if (!ok) {
    error = "OpenSSL has no AES-128-CTR or HMAC-SHA1 for SRTP";
    return nullptr;
  }
  return t;
}

SrtpRtpTx::~SrtpRtpTx() {
  EVP_CIPHER_CTX_free(aes_);
  EVP_MAC_CTX_free(hmac_);
  OPENSSL_cleanse(salt_, sizeof salt_);
}

// The packet index as libsrtp2 estimates it for a sender (srtp_rdbx_estimate_index): the
// sequence number with ROC 0 until the highest index passes 2^15, then RFC 3711 appendix A's
// guess around the highest index; a higher index becomes the highest.
std::uint64_t SrtpRtpTx::index(std::uint32_t ssrc, std::uint16_t seq) {
  Roc* r = nullptr;
  for (auto& x : rocs_) {
    if (x.used && x.ssrc == ssrc) r = &x;
  }
  if (!r) {  // a new SSRC (at most a few per viewer: the oldest slot is reused)
    r = &rocs_[next_roc_++ % std::size(rocs_)];
    *r = Roc{ssrc, 0, 0, true};
  }
  const std::uint64_t highest = (std::uint64_t(r->roc) << 16) | r->highest;
  std::uint64_t guess = seq;
  if (highest > 0x8000) {
    const int s = seq, local = r->highest;
    std::uint32_t roc = r->roc;
    if (local < 0x8000) {
      if (s - local > 0x8000) --roc;
    } else if (local - 0x8000 > s) {
      ++roc;
    }
    guess = (std::uint64_t(roc) << 16) | seq;
  }
  if (guess > highest) {
    r->roc = std::uint32_t(guess >> 16);
    r->highest = seq;
  }
  return guess;
}

std::size_t SrtpRtpTx::protect(std::uint8_t* buf, std::size_t len, std::size_t header_len) {
  if (len < 12 || header_len > len) return 0;
  const std::uint32_t ssrc = (std::uint32_t(buf[8]) << 24) | (std::uint32_t(buf[9]) << 16) |
                             (std::uint32_t(buf[10]) << 8) | buf[11];
  const std::uint16_t seq = std::uint16_t((buf[2] << 8) | buf[3]);
  const std::uint64_t idx = index(ssrc, seq);
  // RFC 3711 4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
  std::uint8_t iv[16] = {};
  std::memcpy(iv, salt_, kSaltLen);
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= std::uint8_t(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= std::uint8_t(idx >> (40 - 8 * i));
  int out = 0;
  std::uint8_t* payload = buf + header_len;
  const int n = int(len - header_len);
  if (EVP_EncryptInit_ex(aes_, nullptr, nullptr, nullptr, iv) != 1 ||
      (n > 0 && EVP_EncryptUpdate(aes_, payload, &out, payload, n) != 1)) {
    return 0;
  }
  // RFC 3711 4.2: the tag over the header and encrypted payload, then the ROC.
  const std::uint32_t roc = std::uint32_t(idx >> 16);
  const std::uint8_t roc_be[4] = {std::uint8_t(roc >> 24), std::uint8_t(roc >> 16), std::uint8_t(roc >> 8), std::uint8_t(roc)};
  std::uint8_t tag[20];
  std::size_t tag_out = 0;
  if (EVP_MAC_init(hmac_, nullptr, 0, nullptr) != 1 || EVP_MAC_update(hmac_, buf, len) != 1 ||
      EVP_MAC_update(hmac_, roc_be, 4) != 1 || EVP_MAC_final(hmac_, tag, &tag_out, sizeof tag) != 1 || tag_out != 20) {
    return 0;
  }
  std::memcpy(buf + len, tag, tag_len_);
  return len + tag_len_;
}

}  // namespace camrelay::media
