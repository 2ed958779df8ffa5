#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace camrelay::http {

int RateLimiter::take(const std::string& key, std::int64_t now_ms) {
  if (rate_ <= 0) return 0;
  std::lock_guard lk(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxKeys) {
      // Forget the clients whose buckets have refilled: they start full again anyway.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const double refilled = b->second.tokens + (now_ms - b->second.last_ms) * rate_ / 1000.0;
        b = refilled >= burst_ ? buckets_.erase(b) : std::next(b);
      }
      if (buckets_.size() >= kMaxKeys) buckets_.clear();
    }
    it = buckets_.emplace(key, Bucket{burst_, now_ms}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max<std::int64_t>(0, now_ms - b.last_ms) * rate_ / 1000.0);
  b.last_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
}

std::size_t RateLimiter::tracked() const {
  std::lock_guard lk(mu_);
  return buckets_.size();
}

bool ConnectionCounter::open(const std::string& ip) {
  std::lock_guard lk(mu_);
  int& n = open_[ip];
  if (max_ > 0 && n >= max_) {
    if (n == 0) open_.erase(ip);
    return false;
  }
  ++n;
  return true;
}

void ConnectionCounter::close(const std::string& ip) {
  std::lock_guard lk(mu_);
  auto it = open_.find(ip);
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);
}

std::shared_ptr<void> ConnectionCounter::hold(const std::string& ip) {
  if (!open(ip)) return nullptr;
  struct Slot {
    Slot(std::shared_ptr<ConnectionCounter> c, std::string i) : counter(std::move(c)), ip(std::move(i)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { counter->close(ip); }
    std::shared_ptr<ConnectionCounter> counter;
    std::string ip;
  };
  return std::make_shared<Slot>(shared_from_this(), ip);
}

int ConnectionCounter::count(const std::string& ip) const {
  std::lock_guard lk(mu_);
  auto it = open_.find(ip);
  return it == open_.end() ? 0 : it->second;
}

}  // namespace camrelay::http
