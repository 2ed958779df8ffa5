#pragma once
// StreamManager: the registry of cameras. Each camera has one CameraPath (private to the
// service: src/service/camera_path.hpp) that owns its stream, its state and every reader
// of every kind, on a strand of its own; the manager only finds the path for an id and
// routes the call to it, so one camera's work never waits behind another's. Public methods
// may be called from any thread; their replies run on the camera's path strand (or, for
// calls that span cameras, on the strand of the last path to answer). Media callbacks
// carry a generation number so that late events from a stopped pipeline are ignored.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "camrelay/config/config.hpp"
#include "camrelay/model/figures.hpp"
#include "camrelay/model/source_figures.hpp"
#include "camrelay/service/outputs.hpp"
#include "camrelay/service/reader.hpp"
#include "camrelay/service/recordings.hpp"
#include "camrelay/service/state.hpp"
#include "camrelay/store/store.hpp"

namespace camrelay::camera {
class MqttClient;
}
namespace camrelay::gst {
class LoopPool;
}
namespace camrelay::metrics {
class Metrics;
}

namespace camrelay::service {

namespace asio = boost::asio;

class CameraPath;
class MediaPort;
struct PathContext;

// The media layer on GStreamer (src/service/gst_media.cpp): each camera's pipeline runs on
// its own GLib thread from `loops`, which must outlive everything the manager started.
std::shared_ptr<MediaPort> gstreamer_media(gst::LoopPool& loops);

template <class T>
using Reply = std::function<void(std::exception_ptr, T)>;

struct StartOptions {
  std::optional<int> min_kbps;
  std::optional<int> max_kbps;
};

// Asking a camera to record (POST /streams/{id}/record/start).
struct RecordOptions {
  std::optional<int> duration_s;  // stop by itself after this long (reason "duration")
};

// A camera's recording (GET /streams/{id} "recording"; docs/recording.md).
struct RecordingInfo {
  std::string mode = "off";   // configured: off | continuous
  std::string state = "off";  // off | waiting (stream not active yet) | recording | paused (disk) | retrying
  std::string reason;         // manual | duration | continuous ("" when off)
  std::int64_t since_unix_ms = 0;
  std::int64_t until_unix_ms = 0;  // "duration": when it stops; 0 = until stopped
  std::string error;               // paused / retrying: why
  std::optional<model::RecorderFigures> recorder;  // the file being written
};

struct StreamInfo {
  std::string camera_id;
  std::string name;
  std::string source_type;
  StreamState state = StreamState::stopped;
  std::string error;              // last error message (state error/reconnecting)
  std::string session_id;         // current or last stream session
  std::int64_t started_at = 0;    // unix s of the current/last start
  std::int64_t stopped_at = 0;
  double uptime_s = 0;            // since the first frame, while running
  std::int64_t startup_ms = -1;   // start request -> first buffer in the tee; -1 = not yet
  bool auto_start = false;
  config::Bandwidth bandwidth;
  std::string video_codec;        // the camera's video codec as configured: "H264" | "H265"
  model::StreamStats stats;       // of the current (or last) pipeline
  model::AudioInfo audio;         // of the running pipeline; codec "" = no audio (or audio off)
  int viewers = 0;                // readers of every kind
  std::map<std::string, int> viewers_by_protocol;  // webrtc | hls | mjpeg -> count
  int target_kbps = 0;            // what viewers can take: clamp(lowest estimate, min, max)
  model::SourceFigures source;    // source-specific figures (REMB counters, reconnects, outputs, BCGH)
  RecordingInfo recording;
  // Readers but no frame for health.stall_s (the source was restarted); episodes so far.
  bool stalled = false;
  std::uint64_t stalls = 0;
  model::StreamCounters counters;          // since the daemon started (GET /metrics)
  model::StreamCounters session_counters;  // since this session started (seed 002 stats)
  bool changed = true;            // false when start/stop found the stream already there
};

// What a configuration reload (SIGHUP) did to the cameras.
struct ReloadSummary {
  std::vector<std::string> added, removed, changed;
  int unchanged = 0;
};

struct HealthInfo {
  std::string status;  // healthy | degraded
  int active_streams = 0;
  int total_viewers = 0;
  double uptime_s = 0;
  std::string gstreamer;  // "ok (GStreamer 1.22.0)" | "missing elements: ..."
  std::string database;   // "ok" | error text
  std::string mqtt;       // "disabled" | "connected" | "disconnected: ..."
  // Cameras asked to record that cannot (paused by the disk, retrying after a failure):
  // camera id → why. Any of them makes the status "degraded".
  std::map<std::string, std::string> recording_errors;
  std::optional<RecordingDisk> recording_disk;  // when recording is set up
  // Streams with readers but no frames (health.stall_s): any of them makes it "degraded".
  std::vector<std::string> stalled_streams;
};

// A browser asking to watch a camera. The callbacks are invoked on the manager's strand
// (or a media thread for SDP/candidates) and must only post to their own owner.
struct ViewerRequest {
  std::string id;           // empty = generated
  std::string camera_id;
  ReaderKind kind = ReaderKind::webrtc;  // webrtc (WebSocket signaling) | whep
  std::string user_agent;
  std::string ip;
  std::string offer_sdp;    // WHEP: the browser's offer; empty = the server offers
  std::string owner;        // who created it (an opaque key of the HTTP layer: WHEP PATCH/DELETE)
  std::vector<std::string> video_codecs;  // server offers: what the browser decodes ("h264", "vp8")
  model::Quality quality = model::Quality::main;  // sub: the camera's sub stream (camera.sub)
  std::function<void(std::string sdp)> on_local_description;
  std::function<void(unsigned mline, std::string candidate)> on_ice_candidate;
  std::function<void(model::PeerState state)> on_state;
  std::function<void(std::string reason)> on_closed;  // the viewer has ended (any cause)
};

// Delivery figures of a reader served over plain HTTP (MJPEG, HLS).
struct HttpReaderStats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_sent = 0;     // MJPEG pictures, HLS segments
  std::uint64_t frames_skipped = 0;  // MJPEG: pictures replaced by newer ones during a write
  std::uint64_t requests = 0;        // HLS: playlist and segment requests
  std::uint64_t segments_missed = 0; // HLS: segments that rotated out before the client asked
  std::int64_t idle_ms = 0;          // HLS: since the client's last request
};

// One reader of any kind (GET /viewers).
struct ViewerInfo {
  std::string id;
  std::string camera_id;
  std::string session_id;  // stream session watched
  ReaderKind kind = ReaderKind::webrtc;
  std::string user_agent;
  std::string ip;
  std::int64_t connected_at = 0;
  model::PeerState state = model::PeerState::created;
  std::string remote_ice_ufrag;  // WHEP offers (not shown in JSON)
  std::string owner;             // ViewerRequest::owner (not shown in JSON)
  std::string camera_codec = "H264";  // the camera's video codec (HLS/RTSP readers' "video")
  model::Quality quality = model::Quality::main;  // which of the camera's streams it reads
  model::HlsFormat hls_format = model::HlsFormat::ts;  // HLS readers: fmp4 = the camera's own (H.265) video
  model::ViewerStats stats;  // WebRTC readers
  HttpReaderStats http;      // MJPEG and HLS readers
};

nlohmann::json to_json(const StreamInfo& s);
nlohmann::json to_json(const ViewerInfo& v);
nlohmann::json to_json(const HealthInfo& h);
nlohmann::json to_json(const RecordingInfo& r);
nlohmann::json to_json(const RecordingDisk& d);
nlohmann::json to_json(const store::RecordingRow& r);  // one entry of GET /recordings

class StreamManager : public std::enable_shared_from_this<StreamManager> {
 public:
  using Strand = asio::strand<asio::io_context::executor_type>;

  // `media` makes the cameras' pipelines (gstreamer_media(), or a fake in unit tests).
  StreamManager(asio::io_context& io, const config::Config& cfg, store::Store& store,
                std::shared_ptr<MediaPort> media, std::string gst_status);
  // With the cameras to run instead of cfg.cameras (those of the file, then those added
  // through the API: CameraCatalog::cameras()).
  StreamManager(asio::io_context& io, const config::Config& cfg, store::Store& store,
                std::shared_ptr<MediaPort> media, std::string gst_status, std::vector<config::Camera> cameras);
  ~StreamManager();

  // Recording (recordings.hpp); call before boot(). Without it, record_start answers
  // unavailable.
  void set_recordings(std::shared_ptr<Recordings> recordings);
  std::shared_ptr<Recordings> recordings() const;  // nullptr: not set up

  // BCGH cameras (rtp, negotiation "mqtt") talk to their camera through this client.
  // Call before boot(); nullptr (or never called) = MQTT disabled.
  void set_mqtt(std::shared_ptr<camera::MqttClient> mqtt);
  // Where stream start latencies are observed (GET /metrics). Call before boot().
  void set_metrics(std::shared_ptr<metrics::Metrics> metrics);

  // Records cameras in the database and starts the auto_start ones.
  void boot();

  void start(std::string camera_id, StartOptions opts, Reply<StreamInfo> reply);
  // Replies once the stream has reached `stopped` (idempotent for stopped/error streams).
  void stop(std::string camera_id, Reply<StreamInfo> reply);
  void get(std::string camera_id, Reply<StreamInfo> reply);
  void list(Reply<std::vector<StreamInfo>> reply);
  void health(Reply<HealthInfo> reply);
  // The H.264 encoders camrelay can use here for the cameras it encodes itself ("x264",
  // "v4l2", "vaapi", "auto"; GET/PUT /streams/{id}/settings). Any thread.
  std::vector<std::string> h264_encoders() const;
  // The camera's on-demand outputs (HLS, JPEG pictures) while it runs; nullptr if it is not
  // running. With start_if_stopped, a stopped/failed stream is started first.
  // Errors (through the reply): not_found (unknown camera), conflict (stopping), unavailable.
  void outputs(std::string camera_id, bool start_if_stopped, Reply<std::shared_ptr<StreamOutputs>> reply);

  // ---- recording (path_record.cpp; docs/recording.md) ----
  // Starts the camera if it is stopped and records it until record_stop (or for
  // duration_s). Replies at once with the camera's state (recording.state "waiting" until
  // the stream is active). Errors: not_found, conflict (stopping), unavailable (no recording set up).
  void record_start(std::string camera_id, RecordOptions opts, Reply<StreamInfo> reply);
  // Ends the recording (the file is closed cleanly); the stream keeps running.
  void record_stop(std::string camera_id, Reply<StreamInfo> reply);
  // The disk became usable again (or not): every camera resumes or pauses its recording.
  void recording_space_changed();

  // ---- viewers ----
  // Admits a viewer (limits, on-demand start of a stopped stream) and starts negotiation.
  void add_viewer(ViewerRequest req, Reply<ViewerInfo> reply);
  void viewer_answer(std::string viewer_id, std::string sdp, Reply<bool> reply);
  // `mid` (WHEP trickle) names the candidate's m-section; empty = use `mline`.
  void viewer_candidate(std::string viewer_id, unsigned mline, std::string candidate, std::string mid = {});
  void remove_viewer(std::string viewer_id, std::string reason, Reply<bool> reply);
  // camera_id empty = all cameras. Throws not_found (via reply) for an unknown camera.
  void list_viewers(std::string camera_id, Reply<std::vector<ViewerInfo>> reply);

  // ---- readers served over HTTP (readers.cpp; service/reader.hpp) ----
  // Attaches an MJPEG client: limits, on-demand start, a viewer row. `wake` is called (any
  // thread) for every new picture and when the output closes; it must only post to its
  // owner. Errors: not_found, limit_reached, conflict (stopping), unavailable.
  void attach_mjpeg(ReaderRequest req, std::function<void()> wake, Reply<std::shared_ptr<MjpegReader>> reply);
  // A playlist or segment request of an HLS client (IP + User-Agent): the first one joins
  // the client as a reader (limits apply: limit_reached), later ones keep it; it leaves
  // after hls_reader_idle_s without a request. Call once the stream is running, before
  // serving; the reply's counters take what was then sent.
  void hls_request(ReaderRequest req, Reply<std::shared_ptr<ReaderCounters>> reply);
  // Attaches an RTSP client (docs/restream.md): limits, on-demand start (such a camera stops
  // rtsp.grace_s after its last reader leaves, unless a user started it), a viewer row. The
  // handle carries the camera's shared H.264 feed. Errors: not_found, limit_reached,
  // conflict (stopping), unavailable.
  void attach_rtsp(ReaderRequest req, Reply<std::shared_ptr<RtspReader>> reply);

  // SIGHUP: applies a new camera list. Added cameras are created (and started if
  // auto_start), removed ones stopped (their viewers told) and forgotten, changed ones
  // restarted with the new settings if they were running; unchanged cameras are not
  // touched. The order of `cameras` becomes the listing order.
  void reload_cameras(std::vector<config::Camera> cameras, Reply<ReloadSummary> reply);
  // The first camera in configuration order (the seed-004 /live aliases); "" if none. Any thread.
  std::string first_camera() const;
  // Whether `id` is a configured camera now. Any thread.
  bool has_camera(const std::string& id) const { return find(id) != nullptr; }

  // Stops everything; `done` runs on the strand when all pipelines are released
  // or after `timeout_ms`.
  void shutdown(int timeout_ms, std::function<void()> done);

 private:
  // The camera's path, nullptr if unknown. Any thread.
  std::shared_ptr<CameraPath> find(const std::string& id) const;
  // Calls f(path) for the camera's path, or replies not_found.
  template <class T, class F>
  void route(const std::string& camera_id, Reply<T>& reply, F&& f);
  // Runs f(*this) on the registry's strand if the manager still exists.
  template <class F>
  void post(F&& f) {
    asio::post(strand_, [w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = w.lock()) f(*self);
    });
  }
  std::vector<std::shared_ptr<CameraPath>> paths_in_order() const;
  std::vector<store::CameraRow> camera_rows() const;  // under mu_
  std::set<int> static_rtp_ports() const;            // under mu_: ports of static RTP cameras
  void bcgh_watch(const std::string& id);             // strand: subscribes a BCGH camera's topics once
  std::string mqtt_health() const;

  std::shared_ptr<PathContext> ctx_;
  Strand strand_;  // the registry's own changes: boot, reload, shutdown, MQTT subscriptions
  std::string gst_status_;
  std::int64_t boot_mono_ms_;
  // The cameras: written on the strand (reload), read from any thread.
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<CameraPath>> paths_;
  std::map<std::string, config::Camera> configs_;  // as configured (the reload's diff)
  std::vector<std::string> order_;                 // camera ids in configuration order
  std::set<std::string> watched_;  // strand: BCGH cameras whose MQTT topics are subscribed
};

}  // namespace camrelay::service
