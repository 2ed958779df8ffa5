#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// One camera's pipeline: source → (encode) → h264parse → tee → outputs.
// The Stream object is created by the camera's CameraPath (service); all graph work runs on the GLib
// thread. Public methods are safe from any thread: they post to the GLib loop.
// Callbacks are invoked from GLib or streaming threads: they must only post work to
// their owner (the camera path's strand) and must not block.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/model/figures.hpp"
#include "camrelay/model/input_feeds.hpp"
#include "camrelay/model/source_figures.hpp"

#include <gst/gst.h>

namespace camrelay::media {

// Typed figures shared with the service (model/figures.hpp).
using model::AudioInfo;
using model::StreamStats;

struct StreamCallbacks {
  std::function<void()> on_active;                    // first frame reached the tee
  std::function<void(std::string)> on_error;          // fatal: the stream has failed
  std::function<void(std::string)> on_reconnecting;   // source lost, retrying
  // An element inside one viewer's branch failed: that viewer ends, the stream goes on.
  // Arguments: the viewer id (its bin is named "viewer-<id>") and the error.
  std::function<void(std::string viewer_id, std::string why)> on_viewer_error;
};

class Source;
class RtpLink;

// Whether a stream-start already went downstream, and whether the current source's
// stream-start/segment are to be dropped (a rebuilt source continues the stream).
struct StreamContinuity {
  std::atomic<bool> started{false};
  std::atomic<bool> continuing{false};
};

// An on-demand output hung off the tee (HLS, MJPEG), owned by its stream while it runs.
class Output {
 public:
  virtual ~Output() = default;
  // GLib thread: the pipeline has just been set to NULL and is about to be released.
  // Drop element references, cancel timers, remove files, wake waiting clients.
  virtual void on_stream_teardown() = 0;
  // The output's figures (shown under "source.outputs" in GET /streams/{id}). Any thread.
  virtual model::OutputFigures figures() const = 0;
  // GLib thread: an element failed inside `branch`, a direct child of the pipeline. True if
  // the branch is this output's and it has dealt with it (the stream goes on).
  virtual bool on_branch_error(GstObject* /*branch*/, const std::string& /*why*/) { return false; }
};

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
  // The camera's audio (codec from the caps on the audio tee). Any thread.
  AudioInfo audio_info() const;
  const std::string& pipeline_name() const { return name_; }
  const std::string& camera_id() const { return camera_id_; }

  // The bitrate (kbps) viewers can take; the source may act on it (REMB to RTP cameras).
  void set_target_bitrate(int kbps);
  // The source's own figures, the stream's source retries and the running outputs. Any thread.
  model::SourceFigures source_figures() const;

  // Asks the source for a keyframe as soon as possible (rate-limited). Any thread.
  void request_keyframe();
  // Drops the source and builds it anew after the backoff (a stalled camera): the tee and
  // every output stay. Any thread.
  void restart_source(std::string why);

  // ---- last-GOP cache ----
  // For sources that cannot be made to send a keyframe at once (RTSP, plain RTP cameras
  // that may ignore FIR), the stream keeps the buffers since the last keyframe so that a
  // new viewer can be given a decodable picture immediately (WebrtcViewer replays them).
  // Whether this stream keeps one; fixed once start() has built the pipeline.
  bool has_gop_cache() const { return gop_enabled_.load(std::memory_order_relaxed); }
  // New references to the cached buffers, keyframe first; empty if none is cached (no
  // keyframe seen yet, or the GOP outgrew the bounds). Any thread; meant for the
  // streaming thread, where it is consistent with the buffer being pushed.
  std::vector<gst::BufferPtr> gop_snapshot() const;

  // The BCGH session's link to an RTP source (where the camera wants RTCP). Before start().
  void set_rtp_link(std::shared_ptr<RtpLink> link) { rtp_link_ = std::move(link); }
  // A composed camera's inputs (filled by its path as the input cameras come and go).
  // Before start().
  void set_input_feeds(std::shared_ptr<model::InputFeeds> feeds) { input_feeds_ = std::move(feeds); }

  // ---- on-demand outputs (any thread) ----
  // The output registered under `kind`, created by `make` if there is none yet; nullptr
  // once the stream has been torn down (a late request must not resurrect anything).
  std::shared_ptr<Output> output(const std::string& kind,
                                 const std::function<std::shared_ptr<Output>()>& make);
  // Unregisters `o` if it is still the output under `kind` (an idle output stopping).
  void remove_output(const std::string& kind, const Output* o);
  const config::Config& config() const { return cfg_; }
  const config::Camera& camera() const { return cam_; }

  // ---- GLib-thread API for output branches ----
  GstElement* pipeline() const { return pipeline_.get(); }
  GstElement* tee() const { return tee_; }
  // The audio tee "atee" (depayloaded audio: audio/x-opus, audio/x-mulaw, audio/x-alaw or
  // audio/mpeg mpegversion=4 stream-format=raw). GLib thread; nullptr when the camera's
  // audio is off (config `audio: false`) or the pipeline is not built.
  GstElement* audio_tee() const { return atee_; }
  gst::MainLoop& loop() { return loop_; }

 private:
  Stream(gst::MainLoop& loop, const config::Config& cfg, const config::Camera& cam,
         StreamCallbacks cb);
  void build_and_play();  // GLib thread
  void teardown();        // GLib thread
  void on_bus_message(GstMessage* msg);
  void on_buffer(GstBuffer* buf);
  void on_caps(GstCaps* caps);
  void on_audio_caps(GstCaps* caps);  // streaming thread
  GstElement* build_audio_core(GstBin* bin);  // GLib thread; returns "audio-in"
  void cache_gop(GstBuffer* buf);  // streaming thread
  void clear_gop();                 // any thread
  void fail(const std::string& why);
  // ---- the source, in its own bin; rebuilt with backoff when it fails (GLib thread) ----
  void build_source();                       // throws camrelay::Error
  void drop_source();                        // removes the source's bin from the pipeline
  void source_lost(const std::string& why);  // drop it and retry after the backoff
  void retry_source();

  gst::MainLoop& loop_;
  const config::Config& cfg_;
  config::Camera cam_;
  std::string camera_id_;
  std::string name_;
  StreamCallbacks cb_;
  std::unique_ptr<Source> source_;
  std::shared_ptr<RtpLink> rtp_link_;  // BCGH cameras only (set before start())
  std::shared_ptr<model::InputFeeds> input_feeds_;  // composed cameras only (set before start())

  gst::ElementPtr pipeline_;         // GLib thread
  GstElement* tee_ = nullptr;       // borrowed from pipeline_
  GstElement* atee_ = nullptr;      // borrowed from pipeline_ (audio on only)
  gst::BusWatch bus_watch_;
  bool failed_ = false;             // GLib thread
  // The source's bin ("source-N") and where it feeds (borrowed).
  gst::ElementPtr source_bin_;
  GstElement* video_in_ = nullptr;  // h264parse
  GstElement* audio_in_ = nullptr;  // "audio-in" (nullptr: audio off)
  int source_counter_ = 0;
  unsigned source_backoff_ms_ = 0;
  guint source_retry_timer_ = 0;
  bool source_waiting_ = false;     // dropped; the next attempt is scheduled
  // Stream continuity across rebuilt sources (streaming threads; see continue_stream).
  std::shared_ptr<StreamContinuity> video_continuity_ = std::make_shared<StreamContinuity>();
  std::shared_ptr<StreamContinuity> audio_continuity_ = std::make_shared<StreamContinuity>();
  std::atomic<bool> recovering_{false};  // the next frame reports the stream active again

  // Written by the streaming thread, read anywhere.
  std::atomic<std::uint64_t> frames_{0}, keyframes_{0}, bytes_{0}, dropped_{0};
  std::atomic<std::int64_t> first_ms_{0}, last_ms_{0};
  std::atomic<double> bitrate_kbps_{0};
  std::atomic<double> fps_{0};
  std::atomic<bool> active_sent_{false};
  std::atomic<std::int64_t> last_keyframe_request_ms_{0};
  std::atomic<bool> keyframe_pending_{false};
  // Streaming-thread-only window for the bitrate.
  std::int64_t window_start_ms_ = 0;
  std::uint64_t window_bytes_ = 0;
  std::uint64_t window_frames_ = 0;
  // Caps facts (set on the streaming thread under the mutex).
  mutable std::mutex caps_mu_;
  int width_ = 0, height_ = 0;
  std::string profile_;
  std::string audio_codec_;
  int audio_rate_ = 0, audio_channels_ = 0;
  std::atomic<std::uint64_t> audio_packets_{0};
  model::SourceKindFigures source_stats_;  // refreshed by the source via update_source_stats()
  // The stream's own retry figures, merged into the source figures (under caps_mu_).
  std::uint64_t source_restarts_ = 0;
  std::int64_t next_attempt_unix_ms_ = 0;  // 0 = not waiting
  std::string source_error_;               // why the source was last dropped
  // Last-GOP cache (writer: the streaming thread).
  std::atomic<bool> gop_enabled_{false};
  mutable std::mutex gop_mu_;
  std::vector<gst::BufferPtr> gop_;
  std::size_t gop_bytes_ = 0;
  bool gop_overflow_ = false;  // too long: nothing cached until the next keyframe
  mutable std::mutex outputs_mu_;
  std::map<std::string, std::shared_ptr<Output>> outputs_;
  bool outputs_closed_ = false;  // set by teardown()
 public:
  // Sources publish their figures here (any thread).
  void update_source_stats(model::SourceKindFigures f) {
    std::lock_guard lk(caps_mu_);
    source_stats_ = std::move(f);
  }
};

}  // namespace camrelay::media
