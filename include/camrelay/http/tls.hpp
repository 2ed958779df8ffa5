#pragma once
// The server's TLS certificate and key (http.tls), loaded from PEM files; replaced in place
// on SIGHUP so that renewed certificates (Let's Encrypt) apply without a restart. A reload
// that fails keeps the running certificate.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "camrelay/config/config.hpp"

namespace camrelay::http {

// Whether a port of `http` speaks TLS (http.port, or the separate signaling port).
bool tls_wanted(const config::Http& http);

class TlsContext {
 public:
  // Loads cert (chain, leaf first) and key. Throws camrelay::Error(invalid_argument) with the
  // file and OpenSSL's reason: missing/unreadable file, not PEM, key not matching the
  // certificate, a key file readable by every user.
  TlsContext(std::string cert, std::string key);

  // The context new connections use (a connection keeps the one it started with).
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Loads the files again (new paths if given). Throws like the constructor; the running
  // certificate stays on failure.
  void reload(const std::string& cert, const std::string& key);
  // "CN=… (issuer CN=…), valid until 2027-01-01 00:00:00 UTC" for the log.
  std::string describe() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::string description_;
};

}  // namespace camrelay::http
