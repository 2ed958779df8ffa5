#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// MJPEG and JPEG snapshots. One branch per stream and quality (the camera's video, or its
// sub stream: kind "mjpeg-sub", video_input.hpp), shared by every client:
//   queue(leaky) → keyframe gate → avdec_h264 → videoconvert → videorate → videoscale →
//   capsfilter(mjpeg.fps, mjpeg.width/height) → jpegenc(mjpeg.quality) → appsink(drop, 1)
// The appsink's latest JPEG is kept as a shared immutable buffer; clients are woken and
// each sends the newest frame it has not sent yet (a slow client skips frames, never
// stalls the others or the pipeline). Started by the first client or snapshot, stopped
// kLingerMs after the last one and whenever the stream stops.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gst/gst.h>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/model/feeds.hpp"
#include "camrelay/model/mjpeg_format.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/media/video_input.hpp"

namespace camrelay::media {

// JPEG facts (model/mjpeg_format.hpp) the branch and the snapshot scaler use.
using model::jpeg_dimensions;
using model::scaled_height;

// ---- snapshot scaling (snapshot.cpp) ----
// Decodes a JPEG, scales it to `width` (aspect kept) and re-encodes it with a one-off
// pipeline (appsrc ! jpegdec ! videoscale ! jpegenc ! appsink). Blocking (up to ~5 s):
// call it from a worker thread, never from the network or GLib threads. Throws Error.
std::string scale_jpeg(const std::string& jpeg, int width, int quality);

class MjpegOutput final : public Output, public model::PictureFeed, public std::enable_shared_from_this<MjpegOutput> {
 public:
  static constexpr std::int64_t kLingerMs = 5000;  // keep decoding this long after the last use

  using Frame = model::PictureFeed::Frame;

  MjpegOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id,
              Quality quality = Quality::main);
  ~MjpegOutput() override;

  Frame latest() const override;
  // `wake` is called (from a streaming or the GLib thread) for every new frame and when the
  // output closes; it must only post to its owner. Returns an id for unsubscribe().
  std::uint64_t subscribe(std::function<void()> wake) override;
  void unsubscribe(std::uint64_t id) override;
  // The output has stopped (stream stopped, idle, or failed): clients should finish.
  bool closed() const override { return closed_.load(); }
  std::string error() const override;
  // A snapshot use: keeps the branch for kLingerMs. Any thread.
  void touch() override { last_use_ms_.store(mono_now()); }
  // Per-client delivery figures.
  void count_sent(std::uint64_t n, std::uint64_t skipped) override {
    sent_.fetch_add(n, std::memory_order_relaxed);
    skipped_.fetch_add(skipped, std::memory_order_relaxed);
  }
  std::uint64_t frames_encoded() const { return encoded_.load(); }
  int clients() const;

  void on_stream_teardown() override;
  model::OutputFigures figures() const override;

  void start();  // called by mjpeg_output()

 private:
  static std::int64_t mono_now();
  void build();       // GLib thread
  void idle_check();  // GLib thread
  void close(const std::string& why);  // wakes every client
  void on_sample(GstSample* sample);   // streaming thread

  std::weak_ptr<Stream> stream_;
  const config::Config& cfg_;
  std::string camera_id_;
  Quality quality_;
  std::string kind_;  // "mjpeg" | "mjpeg-sub"
  mutable std::mutex mu_;
  Frame latest_;
  std::map<std::uint64_t, std::function<void()>> subs_;
  std::uint64_t next_sub_ = 1;
  std::string error_;
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> last_use_ms_;
  std::atomic<std::uint64_t> encoded_{0}, sent_{0}, skipped_{0}, dropped_{0};
  std::int64_t started_ms_ = 0;
  // GLib thread only.
  gst::ElementPtr bin_;      // "mjpeg-<camera>", in the stream's pipeline while running
  gst::RequestPad tee_pad_;  // the tee pad feeding bin_ (moved into detach_branch on stop)
  VideoInput input_;         // the tee bin_ hangs off (sub: holds the transcoder)
  guint timer_ = 0;
};

// The stream's MJPEG output of `quality`, created and started if there is none; nullptr
// once the stream has been torn down.
std::shared_ptr<MjpegOutput> mjpeg_output(const std::shared_ptr<Stream>& stream, Quality quality = Quality::main);
std::shared_ptr<MjpegOutput> find_mjpeg_output(const std::shared_ptr<Stream>& stream,
                                               Quality quality = Quality::main);

}  // namespace camrelay::media
