#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// The H.264 tap that feeds a camera's RTSP re-serve (docs/restream.md). One branch per
// stream and quality (the camera's video, or its sub stream for rtsp://…/{id}_sub: kind
// "rtsp-sub", video_input.hpp), shared by every RTSP client of it:
//   queue(leaky) → appsink
// Each access unit leaving the tee (parsed H.264, byte-stream, one AU per buffer) is copied
// once and handed to the subscribers (the camera's shared RTSP media). A subscriber gets
// nothing before a keyframe (one is requested when it subscribes). No decoding, no
// re-encoding. Started by the first RTSP client, stopped rtsp.grace_s after the last
// subscriber left and whenever the stream stops.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <gst/gst.h>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/model/feeds.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/media/video_input.hpp"

namespace camrelay::media {

class RtspTap final : public Output, public model::H264Feed, public std::enable_shared_from_this<RtspTap> {
 public:
  RtspTap(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id,
          Quality quality = Quality::main);
  ~RtspTap() override;

  std::string caps() const override;
  std::string codec() const override;
  bool closed() const override { return closed_.load(); }
  std::uint64_t subscribe(Sink sink, Closed on_closed) override;
  void unsubscribe(std::uint64_t id) override;

  void on_stream_teardown() override;
  model::OutputFigures figures() const override;

  void start();  // called by rtsp_tap()

 private:
  struct Sub {
    Sink sink;
    Closed closed;
    bool keyed = false;  // a keyframe has been delivered: deltas may follow
  };
  void build();                        // GLib thread
  void idle_check();                   // GLib thread
  void close(const std::string& why);  // tells every subscriber
  void on_sample(GstSample* sample);   // streaming thread

  std::weak_ptr<Stream> stream_;
  const config::Config& cfg_;
  std::string camera_id_;
  Quality quality_;
  std::string kind_;  // "rtsp" | "rtsp-sub"
  mutable std::mutex mu_;
  std::map<std::uint64_t, Sub> subs_;
  std::uint64_t next_sub_ = 1;
  std::string caps_;
  std::string error_;
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> last_use_ms_;
  std::atomic<std::uint64_t> units_{0}, bytes_{0}, dropped_{0};
  // GLib thread only.
  gst::ElementPtr bin_;      // "rtsp-<camera>", in the stream's pipeline while running
  gst::RequestPad tee_pad_;  // the tee pad feeding bin_ (moved into detach_branch on stop)
  VideoInput input_;         // the tee bin_ hangs off (sub: holds the transcoder)
  guint timer_ = 0;
};

// The stream's RTSP tap of `quality`, created and started if there is none; nullptr once
// the stream has been torn down.
std::shared_ptr<RtspTap> rtsp_tap(const std::shared_ptr<Stream>& stream, Quality quality = Quality::main);
std::shared_ptr<RtspTap> find_rtsp_tap(const std::shared_ptr<Stream>& stream, Quality quality = Quality::main);

}  // namespace camrelay::media
