#pragma once
// Per-client limits of the HTTP server (docs/security.md): a token bucket of requests per IP
// and a count of open connections per IP. Thread-safe (one mutex each); bounded memory.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace camrelay::http {

class RateLimiter {
 public:
  // per_s = 0: no limit.
  RateLimiter(int per_s, int burst) : rate_(per_s), burst_(burst < 1 ? 1 : burst) {}
  // Takes one token for `key` at now_ms. 0 = allowed; otherwise whole seconds to wait.
  int take(const std::string& key, std::int64_t now_ms);
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t last_ms = 0;
  };
  static constexpr std::size_t kMaxKeys = 20000;
  const double rate_;
  const double burst_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

class ConnectionCounter : public std::enable_shared_from_this<ConnectionCounter> {
 public:
  explicit ConnectionCounter(int max_per_ip) : max_(max_per_ip) {}
  // False (and nothing counted) when `ip` already has the maximum open.
  bool open(const std::string& ip);
  void close(const std::string& ip);
  int count(const std::string& ip) const;

  // One open connection of `ip`, counted until the last copy of the handle is gone (a
  // WebSocket or MJPEG stream keeps it after the server's coroutine handed the socket over).
  // nullptr when `ip` is over its limit.
  std::shared_ptr<void> hold(const std::string& ip);

 private:
  const int max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> open_;
};

}  // namespace camrelay::http
