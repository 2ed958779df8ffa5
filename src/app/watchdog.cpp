#include "watchdog.hpp"

#include <boost/asio/post.hpp>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "camrelay/util/log.hpp"

namespace camrelay::app {

Watchdog::Watchdog(boost::asio::io_context& io, std::function<void(std::function<void()>)> probe,
                   std::function<void(const char*)> notify)
    : strand_(boost::asio::make_strand(io)), timer_(strand_), probe_(std::move(probe)), notify_(std::move(notify)) {}

std::chrono::microseconds Watchdog::interval_from_env() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec) return std::chrono::microseconds(0);
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && std::atol(pid) != static_cast<long>(::getpid())) {
    return std::chrono::microseconds(0);  // meant for another process (our parent)
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(usec, &end, 10);
  return end && *end == '\0' ? std::chrono::microseconds(v) : std::chrono::microseconds(0);
}

bool Watchdog::start(std::chrono::microseconds interval) {
  if (interval.count() <= 0) return false;
  period_ = interval / 3;
  log::get("app")->info("systemd watchdog: {} ms; pinging every {} ms while the event loop and the cameras answer",
                        interval.count() / 1000, period_.count() / 1000);
  arm();
  return true;
}

void Watchdog::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void Watchdog::arm() {
  if (stopped_) return;
  timer_.expires_after(period_);
  timer_.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    auto self = w.lock();
    if (ec || !self || self->stopped_) return;
    if (self->probe_out_) {
      // The last probe has not come back: no ping. systemd restarts the daemon once
      // WatchdogSec passes without one.
      const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                              self->probe_sent_);
      log::get("app")->warn("watchdog: the daemon has not answered a liveness probe for {} ms", late.count());
    } else {
      self->probe_out_ = true;
      self->probe_sent_ = std::chrono::steady_clock::now();
      auto ex = self->strand_;
      self->probe_([w, ex] {
        boost::asio::post(ex, [w] {
          auto s = w.lock();
          if (!s || s->stopped_) return;
          s->probe_out_ = false;
          s->notify_("WATCHDOG=1");
        });
      });
    }
    self->arm();
  });
}

}  // namespace camrelay::app
