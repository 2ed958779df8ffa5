#pragma once
// Helpers of the service tests that drive StreamManager with a fake media layer.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "camrelay/config/config.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::service::testing {
using namespace std::chrono_literals;

inline config::Camera test_camera(const std::string& id, bool auto_start = false) {
  config::Camera c;
  c.id = id;
  c.name = id;
  c.auto_start = auto_start;
  return c;
}

// Waits for a callback-style reply (5 s at most); rethrows the service's error.
template <class T, class F>
T call(F&& start) {
  auto p = std::make_shared<std::promise<T>>();
  auto f = p->get_future();
  start([p](std::exception_ptr e, T v) {
    if (e) p->set_exception(e);
    else p->set_value(std::move(v));
  });
  if (f.wait_for(5s) != std::future_status::ready) throw std::runtime_error("no reply within 5 s");
  return f.get();
}

inline Errc error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc::internal;  // (no error: never expected by these tests)
}

// Polls a condition on the test thread (the manager runs on the io threads).
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

}  // namespace camrelay::service::testing
