#pragma once
// SRTP for the lite receiver (libsrtp2, AES_CM_128_HMAC_SHA1_80): one inbound session for
// whatever SSRCs the peer sends (media, RTX, RTCP) with the peer's key, one outbound for our
// RTCP with ours. Packets are processed in place. Not thread-safe: one per viewer, on its I/O
// thread.
#include <srtp2/srtp.h>

#include <cstdint>

namespace swarm {

class SrtpSession {
 public:
  // srtp_init() once per process (the lite receiver's warm-up), with libsrtp's AES-CM and
  // HMAC-SHA1 on OpenSSL (srtp_openssl.hpp).
  static void init_library();

  SrtpSession() = default;
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // `local`, `remote`: master key + salt, 30 bytes each. False when libsrtp refuses them.
  bool init(const uint8_t* local, const uint8_t* remote);
  bool ready() const { return in_ && out_; }
  // The new length, or -1 when the packet does not authenticate (or replays).
  int unprotect_rtp(uint8_t* p, int len);
  int unprotect_rtcp(uint8_t* p, int len);
  // `p` needs room for SRTP_MAX_TRAILER_LEN + 4 more bytes; the new length, or -1.
  int protect_rtcp(uint8_t* p, int len);

 private:
  srtp_t in_ = nullptr;
  srtp_t out_ = nullptr;
};

}  // namespace swarm
