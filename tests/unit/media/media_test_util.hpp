#pragma once
// Shared by the media tests that run real streams: waiting on conditions and callbacks, and
// a small test camera.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "camrelay/config/config.hpp"

namespace camrelay::testing {

// Polls `done` (state another thread changes) until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Calls start(done) and waits until `done` has run (on whatever thread); false after the
// deadline.
inline bool wait_done(const std::function<void(std::function<void()>)>& start,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto mu = std::make_shared<std::mutex>();
  auto cv = std::make_shared<std::condition_variable>();
  auto done = std::make_shared<bool>(false);
  start([mu, cv, done] {
    std::lock_guard lk(*mu);
    *done = true;
    cv->notify_all();
  });
  std::unique_lock lk(*mu);
  return cv->wait_for(lk, deadline, [&] { return *done; });
}

// The built-in test source, small and light: 320x240 at 15 fps, 300 kbit/s, a keyframe every
// second, no audio.
inline config::Camera small_test_camera(const std::string& id = "cam1") {
  config::Camera cam;
  cam.id = id;
  config::TestSource t;
  t.width = 320;
  t.height = 240;
  t.fps = 15;
  t.bitrate_kbps = 300;
  t.keyframe_interval_s = 1.0;
  cam.source = t;
  cam.audio = false;
  return cam;
}

}  // namespace camrelay::testing
