#pragma once
// Readers: every client of a camera's stream that the service counts. A reader is listed in
// GET /viewers (with its kind and protocol), counts against the viewer limits
// (webrtc.max_viewers_per_stream / max_viewers_total) and in /health, and has a row in
// viewer_sessions from join to leave.
//
//   kind     protocol  joins                                 leaves
//   webrtc   webrtc    /viewer page, WebSocket signaling     goodbye, ICE failure, silence
//   whep     webrtc    POST /streams/{id}/whep               DELETE, ICE failure, silence
//   mjpeg    mjpeg     GET /streams/{id}/mjpeg (/live/stream) the connection closes
//   hls      hls       first playlist/segment request        no request for hls_reader_idle_s
//   rtsp     rtsp      RTSP DESCRIBE of rtsp://host:8554/{id} the RTSP session ends (TEARDOWN, closed, timeout)
//
// An HLS "reader" is a client (IP address + User-Agent) seen fetching the camera's playlist
// or segments: HTTP has no connection to watch, so it leaves when it has not fetched for a
// while. Snapshots (one JPEG per request) are not readers.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "camrelay/model/feeds.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::service {

// composite: a composed camera reading one of its input cameras (config::CompositeSource).
enum class ReaderKind { webrtc, whep, hls, mjpeg, rtsp, composite };

std::string_view to_string(ReaderKind k);
// webrtc (webrtc, whep) | hls | mjpeg | rtsp
std::string_view protocol_of(ReaderKind k);
inline bool is_webrtc(ReaderKind k) { return k == ReaderKind::webrtc || k == ReaderKind::whep; }

// An HLS client is gone after this long without a request: players reload the playlist
// about once per target duration, so several missed reloads mean it has left.
int hls_reader_idle_s(double target_duration_s);

// What HTTP-served readers (MJPEG, HLS) have been sent; written by the connection's thread,
// read by the manager.
struct ReaderCounters {
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> frames_sent{0};      // MJPEG pictures, HLS segments
  std::atomic<std::uint64_t> frames_skipped{0};   // MJPEG: newer pictures came during a write
  std::atomic<std::uint64_t> requests{0};         // HLS: playlist and segment requests
  std::atomic<std::uint64_t> segments_missed{0};  // HLS: asked for a segment that had rotated out
  std::atomic<bool> ended{false};                 // the manager dropped the reader (stream stopped, shutdown)
};

// Who is asking to read (MJPEG/HLS). The camera must exist; limits apply.
struct ReaderRequest {
  std::string camera_id;
  std::string user_agent;
  std::string ip;
  // main: the camera's video; sub: its sub stream (camera.sub; not_found when disabled).
  model::Quality quality = model::Quality::main;
  // HLS: the TS playlist, or the fMP4 one (an H.265 camera's video as it is).
  model::HlsFormat hls_format = model::HlsFormat::ts;
};

// An MJPEG client attached to a camera. RAII: destroying the handle detaches it (the
// viewer row is closed with close_reason(), default "client left"). Any thread.
class MjpegReader {
 public:
  using Frame = model::PictureFeed::Frame;
  // `detach(reason)` removes the reader from its camera (any thread; harmless once gone).
  MjpegReader(std::string id, std::shared_ptr<model::PictureFeed> out, std::uint64_t subscription,
              std::shared_ptr<ReaderCounters> counters, std::function<void(std::string reason)> detach);
  ~MjpegReader();
  MjpegReader(const MjpegReader&) = delete;
  MjpegReader& operator=(const MjpegReader&) = delete;

  const std::string& id() const { return id_; }
  Frame latest() const { return out_->latest(); }
  // The output has ended (camera stopped or failed): no frame will come any more.
  bool closed() const { return out_->closed() || counters_->ended.load(); }
  void count_sent(std::size_t bytes, std::uint64_t skipped);
  void set_close_reason(std::string why) { reason_ = std::move(why); }

 private:
  std::string id_;
  std::shared_ptr<model::PictureFeed> out_;
  std::uint64_t sub_;
  std::shared_ptr<ReaderCounters> counters_;
  std::function<void(std::string)> detach_;
  std::string reason_ = "client left";
};

// An RTSP client attached to a camera (docs/restream.md). RAII like MjpegReader: destroying
// the handle detaches it. The feed is the camera's shared H.264 tap. Any thread.
class RtspReader {
 public:
  RtspReader(std::string id, std::shared_ptr<model::H264Feed> feed, std::shared_ptr<ReaderCounters> counters,
             std::function<void(std::string reason)> detach);
  ~RtspReader();
  RtspReader(const RtspReader&) = delete;
  RtspReader& operator=(const RtspReader&) = delete;

  const std::string& id() const { return id_; }
  const std::shared_ptr<model::H264Feed>& feed() const { return feed_; }
  // An access unit of `bytes` went to the client's media.
  void count_sent(std::size_t bytes) {
    counters_->bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
    counters_->frames_sent.fetch_add(1, std::memory_order_relaxed);
  }
  // The manager dropped the reader (stream stopped, camera removed, shutdown).
  bool ended() const { return counters_->ended.load(); }
  void set_close_reason(std::string why) { reason_ = std::move(why); }

 private:
  std::string id_;
  std::shared_ptr<model::H264Feed> feed_;
  std::shared_ptr<ReaderCounters> counters_;
  std::function<void(std::string)> detach_;
  std::string reason_ = "client left";
};

}  // namespace camrelay::service
