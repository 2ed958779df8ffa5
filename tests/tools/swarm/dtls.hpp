#pragma once
// DTLS-SRTP (RFC 5763/5764) for the lite receiver with OpenSSL 3: the process' identity (one
// self-signed ECDSA P-256 certificate and its sha-256 fingerprint for a=fingerprint, one
// SSL_CTX offering SRTP_AES128_CM_SHA1_80), and one DTLS session per viewer over memory BIOs:
// datagrams from ICE go in with receive(), what OpenSSL writes goes out through the `send`
// callback, its records packed into datagrams of at most 1200 bytes. The retransmission
// timer (50 ms, doubling) is the caller's to run (timeout_us(), on_timeout()). After the
// handshake: the peer certificate checked against the remote SDP's fingerprint, and the SRTP
// keys (RFC 5764 4.2). Not thread-safe: a session lives on its viewer's I/O thread.
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace swarm::dtls {

class Identity {
 public:
  // Made on first use (the swarm's warm-up), then shared; throws std::runtime_error.
  static const Identity& get();
  SSL_CTX* ctx() const { return ctx_; }
  const std::string& fingerprint() const { return fingerprint_; }  // sha-256, "AB:CD:..."

 private:
  Identity();
  SSL_CTX* ctx_ = nullptr;
  std::string fingerprint_;
};

// SRTP master key + salt (16 + 14 bytes) of each direction.
struct SrtpKeys {
  std::array<uint8_t, 30> local{};   // what we send with
  std::array<uint8_t, 30> remote{};  // what the peer sends with
};

class Session {
 public:
  using Send = std::function<void(const uint8_t* data, size_t len)>;
  // `client`: we send the ClientHello (a=setup:active on our side).
  Session(bool client, Send send);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Client: sends the ClientHello. Server: nothing (waits for it).
  void start();
  // One DTLS datagram from the peer.
  void receive(const uint8_t* data, size_t len);
  // The retransmission timer fired.
  void on_timeout();
  // Microseconds until the retransmission timer fires; -1 when it is not running.
  int64_t timeout_us();
  bool done() const { return done_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // After the handshake: does the peer's certificate have this fingerprint (`alg` as in
  // SDP, e.g. "sha-256")?
  bool peer_matches(const std::string& alg, const std::string& fingerprint);
  // After the handshake: the keys of the negotiated SRTP_AES128_CM_SHA1_80; false otherwise.
  bool srtp_keys(SrtpKeys& out);
  // Sends close_notify (after a finished handshake).
  void close();

 private:
  void handshake();
  void fail(const std::string& what);
  void flush();

  bool client_;
  Send send_;
  SSL* ssl_ = nullptr;
  BIO* out_ = nullptr;  // owned by ssl_
  BIO* in_ = nullptr;   // owned by ssl_
  bool done_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace swarm::dtls
