#pragma once
// What an HTTP route reads from a camera's on-demand outputs, without knowing how they are
// made: the HLS playlist and segments, the stream of JPEG pictures (MJPEG, snapshots).
// Implemented by the media layer (media::HlsOutput, media::MjpegOutput); handed to HTTP
// by the service (service::StreamOutputs). Every method may be called from any thread.
// Subscribers' `wake` is called from a media thread (a segment published, a picture
// encoded, the output closing): it must only post to its owner.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "camrelay/model/mjpeg_format.hpp"

namespace camrelay::model {

// How an HLS output packs its segments: MPEG-TS (H.264, every player), or fragmented MP4
// with init.mp4 (an H.265 camera's video as it is, for players that decode H.265).
enum class HlsFormat { ts, fmp4 };

class HlsFeed {
 public:
  virtual ~HlsFeed() = default;
  // A playlist or segment request: keeps the output alive for hls.idle_stop_s.
  virtual void touch() = 0;
  // The current playlist; nullptr before the first segment is complete.
  virtual std::shared_ptr<const std::string> playlist() const = 0;
  // The bytes of a segment listed (or just rotated out); nullopt if there is no such file.
  // `name` must have passed valid_hls_segment_name().
  virtual std::optional<std::string> read_segment(std::string_view name) const = 0;
  virtual bool failed() const = 0;
  virtual std::string error() const = 0;
  // Woken when a segment is published and when the output stops or fails.
  virtual std::uint64_t subscribe(std::function<void()> wake) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

class PictureFeed {
 public:
  struct Frame {
    JpegData jpeg;
    std::uint64_t seq = 0;  // 0 = no frame yet
    std::int64_t mono_ms = 0;
  };
  virtual ~PictureFeed() = default;
  virtual Frame latest() const = 0;
  // The output has stopped (stream stopped, idle, or failed): no picture will come.
  virtual bool closed() const = 0;
  // Why it closed ("idle" after its linger time); empty while it runs.
  virtual std::string error() const = 0;
  // A snapshot use: keeps the branch running a little longer.
  virtual void touch() = 0;
  // A client sent `n` pictures and skipped `skipped` (newer ones came during a write).
  virtual void count_sent(std::uint64_t n, std::uint64_t skipped) = 0;
  // Woken for every new picture and when the output closes. 0 = closed: ask again.
  virtual std::uint64_t subscribe(std::function<void()> wake) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

// The camera's parsed video — H.264, or H.265 for an H.265 camera (codec()) — as it leaves
// the stream's tee (byte-stream, one access unit per unit, starting at a keyframe), for
// re-serving without re-encoding (RTSP). Implemented by media::RtspTap; one per running
// stream, shared by every RTSP client of the camera.
class H264Feed {
 public:
  struct Unit {
    std::shared_ptr<const std::string> data;  // Annex B access unit
    bool keyframe = false;
  };
  // Called on a streaming thread for every access unit (the first one a keyframe), in
  // order; it must not block.
  using Sink = std::function<void(const Unit&)>;
  // Called once when the feed ends (stream stopped, idle, failed); any thread; must only
  // post or signal.
  using Closed = std::function<void()>;
  virtual ~H264Feed() = default;
  // The caps of the units ("video/x-h264,stream-format=byte-stream,alignment=au,...").
  virtual std::string caps() const = 0;
  // The units' codec: "H264" | "H265" (the camera's, fixed for the feed's life).
  virtual std::string codec() const = 0;
  virtual bool closed() const = 0;
  // 0 = the feed has closed: ask the stream for a new one.
  virtual std::uint64_t subscribe(Sink sink, Closed closed) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

}  // namespace camrelay::model
