#pragma once
// The outbound SRTP transform of one viewer's RTP packets (RFC 3711), AES-CM-128 with an
// HMAC-SHA1 tag of 80 or 32 bits, on OpenSSL's EVP with contexts kept across packets.
//
// Why not libsrtp2 for this: Debian's libsrtp2 does its crypto through NSS and makes (and
// frees) an NSS context for every packet; that was ~30 % of the daemon's CPU with 25 viewers
// (docs/performance.md). The key schedule and the HMAC pads here are made once per viewer.
// The result is byte for byte what libsrtp2 makes (tests/unit/media/srtp_rtp_tx_test.cpp
// checks it against libsrtp2); RTCP stays with libsrtp2 (a few packets a second).
//
// Not thread-safe: one owner (RtpSender, under its mutex).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace camrelay::media {

class SrtpRtpTx {
 public:
  static constexpr std::size_t kMasterLen = 30;  // 16-byte master key + 14-byte master salt
  static constexpr std::size_t kMaxTrailer = 10;

  // `master`: kMasterLen bytes; `tag_len`: 10 (HMAC_SHA1_80) or 4 (HMAC_SHA1_32). nullptr
  // with `error` set if OpenSSL cannot provide AES-128-CTR or HMAC-SHA1.
  static std::unique_ptr<SrtpRtpTx> create(const std::uint8_t* master, std::size_t tag_len, std::string& error);
  ~SrtpRtpTx();
  SrtpRtpTx(const SrtpRtpTx&) = delete;
  SrtpRtpTx& operator=(const SrtpRtpTx&) = delete;

  // Protects the RTP packet of `len` bytes in `buf` in place (its header, CSRCs and extension
  // are `header_len` bytes); `buf` has room for kMaxTrailer more. Returns the new length, 0
  // on an OpenSSL failure. A sequence number sent before (a retransmission without RTX) gets
  // the index it had (RFC 3711 3.3.1).
  std::size_t protect(std::uint8_t* buf, std::size_t len, std::size_t header_len);

 private:
  SrtpRtpTx() = default;
  // The rollover counter of one SSRC (RFC 3711 3.3.1, appendix A).
  struct Roc {
    std::uint32_t ssrc = 0;
    std::uint32_t roc = 0;
    std::uint16_t highest = 0;
    bool used = false;
  };
  std::uint64_t index(std::uint32_t ssrc, std::uint16_t seq);

  EVP_CIPHER_CTX* aes_ = nullptr;
  EVP_MAC_CTX* hmac_ = nullptr;
  std::uint8_t salt_[14] = {};
  std::size_t tag_len_ = 10;
  Roc rocs_[4];  // a viewer sends one or two SSRCs (video, RTX)
  std::size_t next_roc_ = 0;
};

}  // namespace camrelay::media
