#pragma once
// Private to the service. A CameraPath is one camera's owner: its configuration, its state
// machine, its running stream (a StreamPort), its BCGH session and every reader of every
// kind. It runs on a strand of its own, so one camera's starts, joins and stops never wait
// behind another's; the registry (StreamManager) only finds paths and routes calls to them.
// Public methods may be called from any thread: they post to the path's strand, and their
// replies run there. Media callbacks carry the generation of the pipeline they belong to
// and post to the strand, where a late event from an older pipeline is ignored.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bcgh.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "media_port.hpp"
#include "path_context.hpp"
#include "path_counters.hpp"
#include "readers.hpp"

namespace camrelay::service {

class CameraPath : public std::enable_shared_from_this<CameraPath> {
 public:
  using Strand = asio::strand<asio::io_context::executor_type>;
  // A frame this recent: the video flows (a BCGH camera that stopped answering but streams).
  static constexpr std::int64_t kVideoFlowsMs = 1500;
  // A stream that has produced no frame after this long has failed to start.
  static constexpr int kStartTimeoutS = 20;

  CameraPath(std::shared_ptr<PathContext> ctx, config::Camera cam);
  ~CameraPath();
  const std::string& id() const { return id_; }

  // ---- any thread: posted to the path's strand ----
  void boot();  // auto_start
  void start(StartOptions opts, Reply<StreamInfo> reply);
  void stop(Reply<StreamInfo> reply);
  void get(Reply<StreamInfo> reply);
  void outputs(bool start_if_stopped, Reply<std::shared_ptr<StreamOutputs>> reply);
  void add_viewer(ViewerRequest req, Reply<ViewerInfo> reply);
  void viewer_answer(std::string viewer_id, std::string sdp, Reply<bool> reply);
  void viewer_candidate(std::string viewer_id, unsigned mline, std::string candidate, std::string mid);
  void remove_viewer(std::string viewer_id, std::string reason, Reply<bool> reply);
  void list_viewers(Reply<std::vector<ViewerInfo>> reply);
  void attach_mjpeg(ReaderRequest req, std::function<void()> wake, Reply<std::shared_ptr<MjpegReader>> reply);
  void hls_request(ReaderRequest req, Reply<std::shared_ptr<ReaderCounters>> reply);
  void attach_rtsp(ReaderRequest req, Reply<std::shared_ptr<RtspReader>> reply);
  // The camera's H.264 feed for a reader of `kind` (rtsp: an RTSP client; composite: a
  // composed camera that shows this one).
  void attach_feed(ReaderRequest req, ReaderKind kind, Reply<std::shared_ptr<RtspReader>> reply);
  // Recording (path_record.cpp).
  void record_start(RecordOptions opts, Reply<StreamInfo> reply);
  void record_stop(Reply<StreamInfo> reply);
  void record_space_changed();
  // Configuration reload: new settings (a running stream restarts with them).
  void apply_config(config::Camera cam);
  // Removed from the configuration, or the daemon stops: stops everything; `released`
  // runs on the strand once the pipeline is gone.
  void retire(std::function<void()> released);
  // MQTT (BCGH cameras).
  void on_mqtt_connected();
  void on_camera_status(std::string payload);
  void on_camera_answer(std::string payload);

 private:
  template <class F>
  void post(F&& f) {
    asio::post(strand_, [w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto s = w.lock()) f(*s);
    });
  }
  // stream lifecycle (path_stream.cpp)
  StreamInfo info() const;
  void do_start(const StartOptions& opts);
  void do_stop(std::function<void()> stopped);
  void set_state(StreamState s, std::string error = {});
  void on_active(std::uint64_t gen);
  void on_failed(std::uint64_t gen, const std::string& why);
  void on_reconnecting(std::uint64_t gen, const std::string& why);
  void bitrate_tick();  // once a second while running: viewers' bandwidth → the source
  // With readers: no frame for health.stall_s → stalled (logged once, the source restarted);
  // frames again (or no readers) → not stalled. From viewer_tick.
  void stall_check();
  void set_stalled(bool stalled, const std::string& why);
  model::StreamCounters counters() const;
  // readers (path_readers.cpp)
  // Limits and the on-demand start; throws Error. The slot gives the place back unless
  // kept once the reader is added.
  ReaderCensus::Slot admit(ReaderKind kind, const std::string& viewer_id, const std::string& ip,
                           model::Quality quality = model::Quality::main);
  WebrtcReader* find_webrtc(const std::string& viewer_id);  // nullptr: no such WebRTC reader
  ReaderRecord new_record(ReaderKind kind, std::string viewer_id, const std::string& user_agent,
                          const std::string& ip) const;
  // A new reader (admitted): its viewer_sessions row, the liveness tick.
  Reader& add_reader(std::unique_ptr<Reader> r, const std::string& endpoint);
  void drop_viewer(const std::string& viewer_id, const std::string& reason);
  void drop_all_viewers(const std::string& reason);
  void on_viewer_state(const std::string& viewer_id, model::PeerState state);
  void on_viewer_error(const std::string& viewer_id, const std::string& why);
  void viewer_tick();
  // A camera started on demand for an RTSP client stops rtsp.grace_s after its last reader.
  void rtsp_idle_arm();
  void rtsp_idle_check();
  // recording (path_record.cpp)
  void record_sync();  // starts or stops the recorder to match the wish, the stream and the disk
  void record_want(std::string reason, int duration_s);
  void record_start_duration();  // the duration's timer, from the first file
  void on_record_failed(std::uint64_t rgen, const std::string& why);
  void record_stop_recorder(std::function<void()> done);  // in do_stop: the file ends before the stream
  RecordingInfo record_info() const;
  // composed cameras (path_composite.cpp): a reader of each input camera while running
  void composite_start();  // in do_start, before the stream starts: its InputFeeds
  void composite_stop();   // in do_stop: the input readers go
  void composite_tick();   // once a second while running: re-attach inputs that went
  void composite_attach(std::size_t i);
  // BCGH (path_bcgh.cpp)
  std::shared_ptr<media::RtpLink> bcgh_create(config::Camera& cam);  // in do_start
  void bcgh_stop();                                                   // in do_stop
  void on_bcgh_no_answer(std::uint64_t gen, const std::string& why);

  std::shared_ptr<PathContext> ctx_;
  Strand strand_;
  std::string id_;
  config::Camera cam_;
  StreamState state_ = StreamState::stopped;
  std::string error_;
  std::string session_id_;
  std::int64_t started_at_ = 0;
  std::int64_t start_mono_ms_ = 0;  // when the current start was requested
  std::int64_t stopped_at_ = 0;
  std::uint64_t gen_ = 0;
  config::Bandwidth bandwidth_;
  std::shared_ptr<StreamPort> stream_;
  model::StreamStats last_stats_;
  std::unique_ptr<asio::steady_timer> start_timer_, viewer_timer_, bitrate_timer_;
  std::vector<std::function<void()>> on_stopped_;  // waiters for the end of `stopping`
  std::map<std::string, std::unique_ptr<Reader>> readers_;  // every kind (readers.hpp)
  std::map<std::string, HttpReader*> hls_clients_;           // HLS client key -> its reader
  int target_kbps_ = 0;
  PathCounters counters_;                 // totals since the daemon started
  model::StreamCounters session_base_;    // the totals when this session started
  bool start_observed_ = false;           // this session's start latency went to the metrics
  bool stalled_ = false;
  std::int64_t stalled_since_ms_ = 0;     // mono
  std::uint64_t stalls_ = 0;
  bool retired_ = false;  // removed from the configuration / shutting down: no more starts
  // Recording: what was asked for, the recorder on the current stream.
  struct RecordWish {
    std::string reason;  // manual | duration | continuous
    std::int64_t since_unix_ms = 0;
    int duration_s = 0;              // duration: how long, counted from the first file
    std::int64_t until_unix_ms = 0;  // duration: when it ends (0 until the first file opens)
  };
  std::optional<RecordWish> record_;
  std::shared_ptr<RecorderPort> recorder_;
  bool recorder_stopping_ = false;
  bool record_file_open_ = false;  // the current recorder has begun a file
  std::uint64_t record_gen_ = 0;  // the recorder's events carry it
  std::string record_error_;      // the last failure (retrying)
  std::int64_t record_retry_mono_ms_ = 0;
  std::optional<model::RecorderFigures> last_recorder_;
  std::unique_ptr<asio::steady_timer> record_end_timer_, record_retry_timer_;
  // BCGH cameras: the negotiation session while running; presence from the status topic.
  std::shared_ptr<BcghSession> bcgh_;
  bool wanted_ = false;      // started (user, auto_start, on demand) and not stopped by the user
  bool rtsp_on_demand_ = false;  // started on demand for an RTSP client (not by a user): stops when unwatched
  std::unique_ptr<asio::steady_timer> rtsp_idle_timer_;
  int camera_online_ = -1;   // -1 unknown, 0 offline, 1 online (retained status topic)
  // Composed cameras: the input feeds the stream reads, and this path's reader of each input.
  struct CompositeInput {
    std::shared_ptr<RtspReader> reader;  // nullptr: missing (attaching, or retrying)
    bool attaching = false;
    std::int64_t retry_mono_ms = 0;      // next attempt while missing
  };
  std::shared_ptr<model::InputFeeds> composite_feeds_;
  std::vector<CompositeInput> composite_inputs_;
  std::unique_ptr<asio::steady_timer> composite_timer_;
};

}  // namespace camrelay::service
