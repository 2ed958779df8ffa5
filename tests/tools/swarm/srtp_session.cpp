// libsrtp2 sessions of a lite viewer (srtp_session.hpp).
#include "srtp_session.hpp"

#include <cstdio>
#include <mutex>

#include "srtp_openssl.hpp"

namespace swarm {

namespace {

srtp_t create(const uint8_t* key, srtp_ssrc_type_t direction) {
  srtp_policy_t p{};
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  p.ssrc.type = direction;
  p.key = const_cast<unsigned char*>(key);
  p.window_size = 1024;  // a browser's replay window: room for late and retransmitted packets
  srtp_t s = nullptr;
  return srtp_create(&s, &p) == srtp_err_status_ok ? s : nullptr;
}

}  // namespace

void SrtpSession::init_library() {
  // A second srtp_init() (another library initialised libsrtp) fails harmlessly; srtp_create
  // tells whether libsrtp works.
  static std::once_flag once;
  std::call_once(once, [] {
    srtp_init();
    if (!install_openssl_srtp_crypto()) std::fprintf(stderr, "camrelay-swarm: libsrtp keeps its own crypto\n");
  });
}

SrtpSession::~SrtpSession() {
  if (in_) srtp_dealloc(in_);
  if (out_) srtp_dealloc(out_);
}

bool SrtpSession::init(const uint8_t* local, const uint8_t* remote) {
  in_ = create(remote, ssrc_any_inbound);
  out_ = create(local, ssrc_any_outbound);
  return ready();
}

int SrtpSession::unprotect_rtp(uint8_t* p, int len) {
  return srtp_unprotect(in_, p, &len) == srtp_err_status_ok ? len : -1;
}

int SrtpSession::unprotect_rtcp(uint8_t* p, int len) {
  return srtp_unprotect_rtcp(in_, p, &len) == srtp_err_status_ok ? len : -1;
}

int SrtpSession::protect_rtcp(uint8_t* p, int len) {
  return srtp_protect_rtcp(out_, p, &len) == srtp_err_status_ok ? len : -1;
}

}  // namespace swarm
