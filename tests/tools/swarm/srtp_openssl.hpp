#pragma once
// libsrtp2's AES-128 counter mode cipher and HMAC-SHA1 authenticator on OpenSSL, put into
// libsrtp's crypto kernel in place of its own (srtp_replace_cipher_type / _auth_type: the
// kernel runs its known-answer tests on them first). libsrtp still does all of SRTP (key
// derivation, rollover counter, replay window, tags); only the two primitives change. Why:
// Debian's libsrtp2 is built on NSS, which creates a PKCS#11 context for every packet and
// direction; that was ~40 % of the lite receiver's CPU (perf, 25 viewers), the OpenSSL
// contexts here are kept per stream and only get a new IV per packet.
// Process-wide; for the lite receiver only (the webrtcbin receiver shares libsrtp with
// GStreamer's srtp plugin and leaves it as it is).
namespace swarm {

// After srtp_init(), before any SRTP session exists. False when libsrtp refused them (then
// it keeps its own).
bool install_openssl_srtp_crypto();

}  // namespace swarm
