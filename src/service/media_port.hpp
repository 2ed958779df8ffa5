#pragma once
// Private to the service: what a CameraPath needs from the media layer, as interfaces, so
// that the path's logic (states, generations, limits, readers) is unit-tested with a fake
// media layer (tests/unit/service/fake_media.hpp) and runs on GStreamer in the daemon
// (gst_media.cpp). Threads: every method may be called from any thread (the path calls
// them on its strand); callbacks come from media threads and must only post to the path.
#include <functional>
#include <memory>
#include <string>

#include "camrelay/config/config.hpp"
#include "camrelay/media/recorder.hpp"       // RecorderOptions, RecorderEvents (plain structs)
#include "camrelay/media/stream.hpp"         // StreamCallbacks (plain callbacks)
#include "camrelay/media/webrtc_viewer.hpp"  // ViewerOptions, ViewerCallbacks (plain structs)
#include "camrelay/model/feeds.hpp"
#include "camrelay/model/figures.hpp"
#include "camrelay/model/quality.hpp"
#include "camrelay/model/source_figures.hpp"

namespace camrelay::media {
class RtpLink;
}

namespace camrelay::service {

// One WebRTC viewer's peer connection and its branch on the stream.
class ViewerPort {
 public:
  virtual ~ViewerPort() = default;
  virtual void start() = 0;
  virtual void stop() = 0;  // releases the branch; the object keeps itself alive until done
  virtual void set_remote_answer(std::string sdp) = 0;
  virtual void add_ice_candidate(unsigned mline, std::string candidate, std::string mid) = 0;
  virtual model::ViewerStats stats() const = 0;
  virtual std::string element_name() const = 0;
};

// A recording of the stream to MP4 files (media::Recorder).
class RecorderPort {
 public:
  virtual ~RecorderPort() = default;
  // Ends the file cleanly and leaves the stream; `done` runs on a media thread afterwards.
  virtual void stop(std::function<void()> done) = 0;
  virtual model::RecorderFigures figures() const = 0;
};

// One camera's pipeline (media::Stream): source → tee → readers' branches.
class StreamPort {
 public:
  virtual ~StreamPort() = default;
  // Builds and plays (errors → StreamCallbacks::on_error).
  virtual void start() = 0;
  // Releases the pipeline; `done` runs (on a media thread) once it is gone.
  virtual void stop(std::function<void()> done) = 0;
  virtual model::StreamStats stats() const = 0;
  virtual model::AudioInfo audio_info() const = 0;
  virtual std::string pipeline_name() const = 0;
  virtual void set_target_bitrate(int kbps) = 0;
  // Drops the source and builds it anew (with the stream's backoff); the tee and its
  // readers stay. The stream reports reconnecting, then active once frames flow.
  virtual void restart_source(std::string why) = 0;
  // The source's own figures, its retries and the running outputs.
  virtual model::SourceFigures source_figures() const = 0;
  // The on-demand outputs of the camera's video (main) or of its sub stream (sub: they hold
  // the sub transcoder while they run); `create` starts one if none runs. nullptr once torn down.
  virtual std::shared_ptr<model::HlsFeed> hls(bool create, model::Quality q, model::HlsFormat f) = 0;
  virtual std::shared_ptr<model::PictureFeed> pictures(bool create, model::Quality q) = 0;
  // The H.264 tap for RTSP clients (media::RtspTap), same rules.
  virtual std::shared_ptr<model::H264Feed> h264(bool create, model::Quality q) = 0;
  // Starts recording this stream (events from media threads); nullptr once torn down or
  // while a recording still leaves it.
  virtual std::shared_ptr<RecorderPort> record(media::RecorderOptions opts, media::RecorderEvents events) = 0;
  // A WebRTC viewer's branch on this stream (not started).
  virtual std::shared_ptr<ViewerPort> add_viewer(const config::Webrtc& cfg, media::ViewerOptions opts,
                                                 media::ViewerCallbacks cb) = 0;
};

// Makes streams (one per camera start).
class MediaPort {
 public:
  virtual ~MediaPort() = default;
  // `link`: a BCGH camera's RTP link (where it wants RTCP), or nullptr. `inputs`: a
  // composed camera's input feeds (filled by its path), or nullptr.
  virtual std::shared_ptr<StreamPort> make_stream(const config::Config& cfg, const config::Camera& cam,
                                                  media::StreamCallbacks cb, std::shared_ptr<media::RtpLink> link,
                                                  std::shared_ptr<model::InputFeeds> inputs) = 0;
  // The H.264 encoder names the media layer can make here (media/encoder.hpp: "x264",
  // "v4l2", "vaapi", plus "auto" when any exists). Any thread.
  virtual std::vector<std::string> h264_encoders() const = 0;
};

}  // namespace camrelay::service
