#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// The GLib thread: one GMainLoop on a private GMainContext. Bus watches, pipeline graph
// changes and state changes all run here.
#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace camrelay::gst {

// gst_init once per process; returns the GStreamer version string.
std::string init();

// Names of the given element factories that are not installed.
std::vector<std::string> missing_elements(const std::vector<std::string>& factories);

class MainLoop {
 public:
  // `name`: the thread's name (at most 15 characters are kept; `top -H`, /proc/PID/task).
  explicit MainLoop(std::string name = "glib");
  ~MainLoop();  // quits the loop and joins the thread
  MainLoop(const MainLoop&) = delete;
  MainLoop& operator=(const MainLoop&) = delete;

  // Runs fn on the GLib thread (later, never inline). Safe from any thread.
  void post(std::function<void()> fn);
  // Runs fn on the GLib thread after delay_ms; returns the source id (for cancel()).
  guint post_delayed(unsigned delay_ms, std::function<void()> fn);
  // Cancels a delayed call; call on the GLib thread.
  void cancel(guint source_id);
  // Runs fn on the GLib thread and waits for it (never call from the GLib thread).
  void run_sync(std::function<void()> fn);

  bool in_loop_thread() const { return std::this_thread::get_id() == thread_id_; }
  GMainContext* context() const { return context_; }

 private:
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  std::thread thread_;
  std::thread::id thread_id_;
};

// One GLib thread per key (a camera id), created on first use and kept until the pool goes.
// Owned by main and destroyed after the StreamManager: the manager's last reference may be
// dropped on one of these threads (a callback holding it), and a loop must never be
// destroyed — joined — on its own thread. Thread-safe.
class LoopPool {
 public:
  LoopPool() = default;
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;
  // The key's loop (thread name "cam:<key>", cut to 15 characters).
  MainLoop& get(const std::string& key);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<MainLoop>> loops_;
};

}  // namespace camrelay::gst
