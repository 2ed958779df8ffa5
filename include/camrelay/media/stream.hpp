#pragma once
// One camera's pipeline: source → (encode) → h264parse → tee → outputs.
// The Stream object is created by the StreamManager; all graph work runs on the GLib
// thread. Public methods are safe from any thread: they post to the GLib loop.
// Callbacks are invoked from GLib or streaming threads: they must only post work to
// their owner (the manager's strand) and must not block.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/main_loop.hpp"

#include <gst/gst.h>

namespace camrelay::media {

struct StreamStats {
  std::uint64_t frames = 0;
  std::uint64_t keyframes = 0;
  std::uint64_t bytes = 0;
  double bitrate_kbps = 0;        // over the last ~1 s window
  std::int64_t first_frame_mono_ms = 0;
  std::int64_t last_frame_mono_ms = 0;
  std::uint64_t dropped_sink_buffers = 0;
  int width = 0;
  int height = 0;
  std::string profile;  // from the parsed caps, e.g. "constrained-baseline", "high"
};

struct StreamCallbacks {
  std::function<void()> on_active;                    // first frame reached the tee
  std::function<void(std::string)> on_error;          // fatal: the stream has failed
  std::function<void(std::string)> on_reconnecting;   // source lost, retrying
};

class Source;

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  static std::shared_ptr<Stream> create(gst::MainLoop& loop, const config::Config& cfg,
                                        const config::Camera& cam, StreamCallbacks cb);
  ~Stream();

  // Builds the pipeline and sets it PLAYING (on the GLib thread). Errors → on_error.
  void start();
  // Sets the pipeline to NULL and releases it; `done` runs on the GLib thread afterwards.
  void stop(std::function<void()> done);

  StreamStats stats() const;
  const std::string& pipeline_name() const { return name_; }
  const std::string& camera_id() const { return camera_id_; }

  // The bitrate (kbps) viewers can take; the source may act on it (REMB to RTP cameras).
  void set_target_bitrate(int kbps);
  // Source-specific figures as a JSON object text (e.g. REMB counters), "{}" if none.
  std::string source_stats_json() const;

  // Asks the source for a keyframe as soon as possible (rate-limited). Any thread.
  void request_keyframe();

  // ---- GLib-thread API for output branches ----
  GstElement* pipeline() const { return pipeline_; }
  GstElement* tee() const { return tee_; }
  gst::MainLoop& loop() { return loop_; }

 private:
  Stream(gst::MainLoop& loop, const config::Config& cfg, const config::Camera& cam,
         StreamCallbacks cb);
  void build_and_play();  // GLib thread
  void teardown();        // GLib thread
  void on_bus_message(GstMessage* msg);
  void on_buffer(GstBuffer* buf);
  void on_caps(GstCaps* caps);
  void fail(const std::string& why);

  gst::MainLoop& loop_;
  const config::Config& cfg_;
  config::Camera cam_;
  std::string camera_id_;
  std::string name_;
  StreamCallbacks cb_;
  std::unique_ptr<Source> source_;

  GstElement* pipeline_ = nullptr;  // owned (GLib thread)
  GstElement* tee_ = nullptr;       // borrowed from pipeline_
  unsigned bus_watch_ = 0;
  bool failed_ = false;             // GLib thread

  // Written by the streaming thread, read anywhere.
  std::atomic<std::uint64_t> frames_{0}, keyframes_{0}, bytes_{0}, dropped_{0};
  std::atomic<std::int64_t> first_ms_{0}, last_ms_{0};
  std::atomic<double> bitrate_kbps_{0};
  std::atomic<bool> active_sent_{false};
  std::atomic<std::int64_t> last_keyframe_request_ms_{0};
  std::atomic<bool> keyframe_pending_{false};
  // Streaming-thread-only window for the bitrate.
  std::int64_t window_start_ms_ = 0;
  std::uint64_t window_bytes_ = 0;
  // Caps facts (set on the streaming thread under the mutex).
  mutable std::mutex caps_mu_;
  int width_ = 0, height_ = 0;
  std::string profile_;
  std::string source_stats_ = "{}";  // refreshed by the source via update_source_stats()
 public:
  // Sources publish their figures here (any thread).
  void update_source_stats(std::string json) {
    std::lock_guard lk(caps_mu_);
    source_stats_ = std::move(json);
  }
};

}  // namespace camrelay::media
