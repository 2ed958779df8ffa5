#include "camrelay/http/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <boost/system/system_error.hpp>

#include "camrelay/util/error.hpp"

namespace camrelay::http {
namespace ssl = boost::asio::ssl;
namespace {

// TLS 1.2 ciphers of Mozilla's "intermediate" profile (forward secret AEAD only); TLS 1.3
// suites are OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

[[noreturn]] void fail(const std::string& what) {
  throw Error(Errc::invalid_argument, "http.tls: " + what);
}

void check_key_file(const std::string& key) {
  struct stat st {};
  if (::stat(key.c_str(), &st) != 0) fail("key file " + key + ": cannot read it");
  if (st.st_mode & S_IROTH) {
    fail("key file " + key + " is readable by every user; make it private (chmod 600 or 640 " + key + ")");
  }
}

std::string name_of(X509_NAME* n) {
  if (!n) return "?";
  char buf[256] = {};
  X509_NAME_oneline(n, buf, sizeof buf);
  return buf;
}

std::shared_ptr<ssl::context> load(const std::string& cert, const std::string& key, std::string& description) {
  if (cert.empty() || key.empty()) fail("a certificate file and a key file are needed (http.tls.cert/key, SSL_CERT/SSL_KEY)");
  check_key_file(key);
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use |
                   ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) fail("no usable TLS 1.2 cipher");
  try {
    ctx->use_certificate_chain_file(cert);
  } catch (const boost::system::system_error& e) {
    fail("certificate file " + cert + ": " + e.code().message());
  }
  try {
    ctx->use_private_key_file(key, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    fail("key file " + key + ": " + e.code().message());
  }
  if (SSL_CTX_check_private_key(native) != 1) fail("key file " + key + " does not match the certificate " + cert);
  if (X509* leaf = SSL_CTX_get0_certificate(native)) {
    description = name_of(X509_get_subject_name(leaf)) + " (issuer " + name_of(X509_get_issuer_name(leaf)) + ")";
    struct tm t {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &t) == 1) {
      char when[64];
      std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &t);
      description += ", valid until ";
      description += when;
    }
  }
  return ctx;
}

}  // namespace

bool tls_wanted(const config::Http& h) {
  const bool signaling_port = h.signaling_port > 0 && h.signaling_port != h.port;
  return h.tls.enabled || (signaling_port && h.tls.signaling.value_or(h.tls.enabled));
}

TlsContext::TlsContext(std::string cert, std::string key) { ctx_ = load(cert, key, description_); }

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard lk(mu_);
  return ctx_;
}

void TlsContext::reload(const std::string& cert, const std::string& key) {
  std::string description;
  auto next = load(cert, key, description);
  std::lock_guard lk(mu_);
  ctx_ = std::move(next);
  description_ = std::move(description);
}

std::string TlsContext::describe() const {
  std::lock_guard lk(mu_);
  return description_;
}

}  // namespace camrelay::http
