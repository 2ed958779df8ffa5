#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// Recording a stream to fragmented MP4 files, without re-encoding the video:
//   tee ─▶ queue(leaky) → keyframe gate → h264parse (to avc) ─▶ splitmuxsink(mp4mux, fragmented)
//   atee ─▶ queue(leaky) → aacparse (AAC) | nothing (Opus)
//                         | G.711 decode → avenc_aac → aacparse (transcoded once) ─▶ the same sink
// mp4mux writes the moov first and then a moof/mdat fragment at a time (each at least
// `fragment_ms` long, ending at a keyframe), straight to the file: a crash or a power cut
// leaves a file that plays up to its last complete fragment. splitmuxsink holds back one
// GOP (to cut files at keyframes), so what a crash loses is at most about two GOPs. A new
// file begins every `segment_s` seconds (at the next keyframe: the camera's GOP decides the
// exact cut). stop() ends the current file cleanly (EOS through the muxer, nothing lost)
// before the branch leaves the pipeline; a stream torn down under a running recorder is
// like a crash for its file.
// Graph work runs on the stream's GLib thread; the events come from the GLib thread or a
// streaming thread and must only post to their owner.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::media {

struct RecorderOptions {
  std::filesystem::path dir;  // created if missing
  std::string prefix;         // file names: <prefix>_<UTC YYYYmmdd-HHMMSS>_<n>.mp4
  int segment_s = 600;        // a new file after this long (0: one file until stop)
  unsigned fragment_ms = 1000;  // what a crash can lose at most
  // The camera may send audio (RTSP, RTP with audio): its first file waits up to 3 s for
  // the audio to be known before it begins (else it would be video only).
  bool audio_expected = false;
};

struct RecordedFile {
  std::filesystem::path path;
  std::int64_t start_unix_ms = 0;
  std::int64_t end_unix_ms = 0;  // 0 while it is written
  std::uint64_t bytes = 0;       // when closed
};

struct RecorderEvents {
  std::function<void(RecordedFile)> file_opened;
  std::function<void(RecordedFile)> file_closed;  // complete: the next file began, or stop()
  // The recorder stopped by itself (an element missing, a write error such as a full
  // disk); the stream and its other outputs go on. The file being written is closed.
  std::function<void(std::string)> failed;
};

// A JPEG of the first picture of a recording, `width` pixels wide (aspect kept), decoded
// from the file with a one-off pipeline (filesrc ! qtdemux ! decodebin ! jpegenc).
// Blocking (up to ~5 s): call it from a worker thread. Throws Error.
std::string recording_thumbnail(const std::filesystem::path& file, int width);

class Recorder final : public Output, public std::enable_shared_from_this<Recorder> {
 public:
  enum class State { starting, recording, stopping, stopped, failed };

  // The stream's recorder (one per stream, registered under "record"); nullptr when the
  // stream has been torn down or already records. Call start() on the result.
  static std::shared_ptr<Recorder> create(const std::shared_ptr<Stream>& stream, RecorderOptions opts,
                                          RecorderEvents events);
  Recorder(std::weak_ptr<Stream> stream, RecorderOptions opts, RecorderEvents events);
  ~Recorder() override;

  void start();                           // any thread
  void stop(std::function<void()> done);  // any thread; `done` on the GLib thread
  State state() const { return state_.load(); }
  std::string error() const;

  void on_stream_teardown() override;
  bool on_branch_error(GstObject* branch, const std::string& why) override;
  model::OutputFigures figures() const override;

 private:
  void build();                               // GLib thread
  void fail(const std::string& why);          // GLib thread: stop, report
  void finish(std::function<void()> done);    // GLib thread: EOS through the branch, then remove it
  void remove_branch();                       // GLib thread
  std::string next_location(GstSample* first);  // streaming thread (splitmuxsink's format-location)
  std::int64_t wall_time_of(GstSample* first) const;
  void close_current(std::int64_t end_unix_ms);  // any thread, under mu_
  bool build_audio_into(GstElement* bin, GstElement* split, std::string& label);  // GLib thread

  std::weak_ptr<Stream> stream_;
  std::string camera_;  // for the log
  RecorderOptions opts_;
  RecorderEvents events_;
  std::atomic<State> state_{State::starting};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> started_ms_{0};
  const std::int64_t created_unix_ms_ = unix_now_ms();
  mutable std::mutex mu_;
  std::string error_;
  std::string audio_label_;
  RecordedFile current_;  // path empty between files
  std::uint64_t files_ = 0;
  // GLib thread only.
  gst::ElementPtr bin_;            // "record-<camera>", in the stream's pipeline
  gst::RequestPad tee_pad_;        // video
  gst::RequestPad audio_tee_pad_;  // audio (empty: video only)
  std::function<void()> stop_done_;
  unsigned audio_waits_ = 0;  // polls for the audio caps before building
};

}  // namespace camrelay::media
