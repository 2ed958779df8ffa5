// DTLS-SRTP sessions over memory BIOs (dtls.hpp).
#include "dtls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace swarm::dtls {

namespace {

constexpr size_t kMtu = 1200;
// Handshake retransmissions as a browser's (WebRTC: the ICE RTT bounded to 50 ms..3 s, so
// 50 ms on loopback; doubling, at most 60 s in all): a flight the peer dropped because its
// own ICE was not ready yet costs 50 ms, not OpenSSL's default 1 s.
constexpr unsigned kFirstRetransmitUs = 50000;
constexpr unsigned kMaxRetransmitUs = 60000000;
constexpr const char* kSrtpProfile = "SRTP_AES128_CM_SHA1_80";
constexpr const char* kExporterLabel = "EXTRACTOR-dtls_srtp";

std::string ssl_error() {
  char buf[256] = "no OpenSSL error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::string hex_fingerprint(X509* cert, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest(cert, md, d, &n)) return "";
  static const char* hex = "0123456789ABCDEF";
  std::string s;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) s += ':';
    s += hex[d[i] >> 4];
    s += hex[d[i] & 15];
  }
  return s;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

}  // namespace

Identity::Identity() {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw std::runtime_error("DTLS: no P-256 key: " + ssl_error());
  std::unique_ptr<X509, X509Free> cert(X509_new());
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("camrelay-swarm"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("DTLS: cannot sign: " + ssl_error());
  fingerprint_ = hex_fingerprint(cert.get(), EVP_sha256());

  ctx_ = SSL_CTX_new(DTLS_method());
  if (!ctx_ || SSL_CTX_use_certificate(ctx_, cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx_, key.get()) != 1) {
    throw std::runtime_error("DTLS: no context: " + ssl_error());
  }
  // Every certificate is self-signed: the fingerprint check after the handshake decides.
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, [](int, X509_STORE_CTX*) { return 1; });
  if (SSL_CTX_set_tlsext_use_srtp(ctx_, kSrtpProfile) != 0) throw std::runtime_error("DTLS: no SRTP profile: " + ssl_error());
  SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU);
  SSL_CTX_set_read_ahead(ctx_, 1);
}

const Identity& Identity::get() {
  static const Identity id;
  return id;
}

Session::Session(bool client, Send send) : client_(client), send_(std::move(send)) {
  ssl_ = SSL_new(Identity::get().ctx());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) throw std::runtime_error("DTLS: no session: " + ssl_error());
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_mtu(ssl_, long(kMtu));
  DTLS_set_timer_cb(ssl_, [](SSL*, unsigned prev_us) {
    return prev_us == 0 ? kFirstRetransmitUs : std::min(prev_us * 2, kMaxRetransmitUs);
  });
  if (client_) SSL_set_connect_state(ssl_);
  else SSL_set_accept_state(ssl_);
}

Session::~Session() { SSL_free(ssl_); }

void Session::start() {
  if (client_) handshake();
}

void Session::handshake() {
  if (done_ || failed_) return;
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    done_ = true;
  } else {
    const int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail("handshake");
  }
  flush();
}

void Session::receive(const uint8_t* data, size_t len) {
  if (failed_) return;
  BIO_write(in_, data, int(len));
  if (!done_) {
    handshake();
    return;
  }
  // After the handshake: retransmitted flights and alerts (no application data here).
  uint8_t sink[256];
  while (SSL_read(ssl_, sink, sizeof sink) > 0) {
  }
  ERR_clear_error();
  flush();
}

void Session::on_timeout() {
  if (done_ || failed_) return;
  if (DTLSv1_handle_timeout(ssl_) < 0) fail("retransmission limit");
  flush();
}

int64_t Session::timeout_us() {
  timeval tv{};
  if (done_ || failed_ || DTLSv1_get_timeout(ssl_, &tv) != 1) return -1;
  return int64_t(tv.tv_sec) * 1000000 + tv.tv_usec;
}

bool Session::peer_matches(const std::string& alg, const std::string& fingerprint) {
  std::string name;
  for (char c : alg) {
    if (c != '-') name += char(std::tolower(static_cast<unsigned char>(c)));
  }
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  std::unique_ptr<X509, X509Free> peer(SSL_get1_peer_certificate(ssl_));
  return md && peer && hex_fingerprint(peer.get(), md) == fingerprint;
}

bool Session::srtp_keys(SrtpKeys& out) {
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
  if (!done_ || !p || p->id != SRTP_AES128_CM_SHA1_80) return false;
  // client key, server key, client salt, server salt (RFC 5764 4.2).
  uint8_t m[60];
  if (SSL_export_keying_material(ssl_, m, sizeof m, kExporterLabel, std::char_traits<char>::length(kExporterLabel),
                                 nullptr, 0, 0) != 1) {
    return false;
  }
  auto take = [&](std::array<uint8_t, 30>& k, bool client_side) {
    std::copy_n(m + (client_side ? 0 : 16), 16, k.begin());
    std::copy_n(m + (client_side ? 32 : 46), 14, k.begin() + 16);
  };
  take(out.local, client_);
  take(out.remote, !client_);
  return true;
}

void Session::close() {
  if (!done_ || failed_) return;
  SSL_shutdown(ssl_);
  ERR_clear_error();
  flush();
}

void Session::fail(const std::string& what) {
  failed_ = true;
  error_ = "DTLS " + what + ": " + ssl_error();
}

// Sends what OpenSSL wrote: whole records, as many per datagram as fit in kMtu.
void Session::flush() {
  char* data = nullptr;
  const long len = BIO_get_mem_data(out_, &data);
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  size_t pos = 0;
  const size_t n = len > 0 ? size_t(len) : 0;
  while (pos < n) {
    const size_t start = pos;
    while (pos + 13 <= n) {
      const size_t rec = 13 + (size_t(p[pos + 11]) << 8 | p[pos + 12]);
      if (pos + rec > n || (pos > start && pos + rec - start > kMtu)) break;
      pos += rec;
    }
    if (pos == start) pos = n;  // not a whole record: send the rest as it is
    send_(p + start, pos - start);
  }
  (void)BIO_reset(out_);
}

}  // namespace swarm::dtls
