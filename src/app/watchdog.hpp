#pragma once
// systemd's watchdog (WatchdogSec= in the unit): WATCHDOG=1 is sent only after a probe went
// through the daemon's event loop and every camera's strand (StreamManager::health walks
// them all), so a daemon whose loop or a camera's strand hangs stops pinging and systemd
// restarts it. Without WATCHDOG_USEC in the environment (not under systemd, or no
// WatchdogSec=) it does nothing.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace camrelay::app {

class Watchdog : public std::enable_shared_from_this<Watchdog> {
 public:
  // `probe(done)` must call done() (any thread) once the daemon has shown it is alive.
  // `notify` sends a state string to systemd.
  Watchdog(boost::asio::io_context& io, std::function<void(std::function<void()> done)> probe,
           std::function<void(const char*)> notify);
  // The interval systemd expects pings at (WATCHDOG_USEC; WATCHDOG_PID must be ours if
  // set); zero = no watchdog.
  static std::chrono::microseconds interval_from_env();
  // Pings every interval/3 while probes come back. Returns false (and does nothing)
  // when the interval is zero.
  bool start(std::chrono::microseconds interval);
  void stop();  // any thread

 private:
  void arm();
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // the timer, the probes' answers
  boost::asio::steady_timer timer_;
  std::function<void(std::function<void()>)> probe_;
  std::function<void(const char*)> notify_;
  std::chrono::microseconds period_{0};
  bool stopped_ = false;
  bool probe_out_ = false;
  std::chrono::steady_clock::time_point probe_sent_{};
};

}  // namespace camrelay::app
