#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// On-demand HLS output of a stream: a tee branch `queue(leaky) → mpegtsmux → appsink`
// whose segmenter (src/media/hls_segmenter.hpp) writes MPEG-TS segments and index.m3u8
// under <data_dir>/hls/<camera>/ (the sub stream's, kind "hls-sub": <data_dir>/hls/<camera>.sub/;
// camera ids have no dot). Started by the first
// playlist request (or with the stream when hls.always is set), stopped hls.idle_stop_s
// after the last request and whenever the stream stops; its folder is removed then (and
// when the output fails to start).
// Segments are cut at keyframes: their length follows the source's keyframe interval.
// Format fmp4 (kind "hls-fmp4", <data_dir>/hls/<camera>.fmp4/): the camera's own video
// as it is, `queue → parser → mp4mux (fragmented) → appsink`, in fMP4 segments with
// init.mp4, published as low-latency HLS (every fragment of hls.part_ms a partial
// segment part<N>.<K>.m4s, EXT-X-PART / PRELOAD-HINT): fmp4.m3u8 of every camera, and how
// HLS carries H.265 (the playlist of an H.265 camera lists it beside the H.264 transcode in
// TS, for players that decode H.265).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <gst/gst.h>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/model/feeds.hpp"
#include "camrelay/model/hls_playlist.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/media/video_input.hpp"

namespace camrelay::media {

using model::HlsFormat;

// Segment names the output serves (model/hls_playlist.hpp).
using model::valid_hls_segment_name;

std::filesystem::path hls_root(const config::Config& cfg);  // <data_dir>/hls
std::filesystem::path hls_dir(const config::Config& cfg, const std::string& camera_id,
                              Quality quality = Quality::main, HlsFormat format = HlsFormat::ts);
// Removes <data_dir>/hls and everything below (leftovers of a previous run). Never throws.
void hls_clean_root(const config::Config& cfg);

class HlsOutput final : public Output, public model::HlsFeed, public std::enable_shared_from_this<HlsOutput> {
 public:
  enum class State { starting, running, failed, stopped };

  HlsOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id,
            Quality quality = Quality::main, HlsFormat format = HlsFormat::ts);
  ~HlsOutput() override;

  // A playlist or segment request: keeps the output alive for hls.idle_stop_s. Any thread.
  void touch() override;
  const std::filesystem::path& dir() const { return dir_; }
  // The current playlist (nullptr before the first segment is complete). Any thread.
  std::shared_ptr<const std::string> playlist() const override;
  std::optional<std::string> read_segment(std::string_view name) const override;
  // `wake` is called (from a streaming or the GLib thread) when a segment is published and
  // when the output stops or fails; it must only post to its owner. Returns an id for
  // unsubscribe().
  std::uint64_t subscribe(std::function<void()> wake) override;
  void unsubscribe(std::uint64_t id) override;
  State state() const { return state_.load(); }
  bool failed() const override { return state_.load() == State::failed; }
  std::string error() const override;

  void on_stream_teardown() override;
  model::OutputFigures figures() const override;

  // Called by hls_output(): builds and attaches the branch on the GLib thread.
  void start();

 private:
  void build();      // GLib thread
  void idle_check(); // GLib thread, every second
  void stop_idle();  // GLib thread
  void set_failed(const std::string& why);  // GLib thread (build); removes the folder
  void publish(std::string playlist);  // streaming thread: a segment is complete
  void wake_all();

  std::weak_ptr<Stream> stream_;
  const config::Config& cfg_;
  std::string camera_id_;
  Quality quality_;
  HlsFormat format_;
  std::string kind_;  // "hls" | "hls-sub" | "hls-fmp4"
  std::filesystem::path dir_;
  std::uint64_t gen_;
  std::atomic<State> state_{State::starting};
  std::atomic<std::int64_t> last_touch_ms_;
  std::atomic<std::uint64_t> requests_{0}, dropped_{0}, segments_{0};
  std::int64_t started_ms_ = 0;
  mutable std::mutex mu_;
  std::string error_;
  std::shared_ptr<const std::string> playlist_;
  std::map<std::uint64_t, std::function<void()>> subs_;
  std::uint64_t next_sub_ = 1;
  // GLib thread only.
  gst::ElementPtr bin_;      // "hls-<camera>", in the stream's pipeline while running
  gst::RequestPad tee_pad_;  // the tee pad feeding bin_ (moved into detach_branch on stop)
  VideoInput input_;         // the tee bin_ hangs off (sub: holds the transcoder)
  guint timer_ = 0;
};

// The stream's HLS output of `quality` (fmp4: main only), created and started if there is
// none; nullptr once the stream has been torn down.
std::shared_ptr<HlsOutput> hls_output(const std::shared_ptr<Stream>& stream, Quality quality = Quality::main,
                                      HlsFormat format = HlsFormat::ts);
// The stream's HLS output if one runs (nullptr otherwise); never creates one.
std::shared_ptr<HlsOutput> find_hls_output(const std::shared_ptr<Stream>& stream, Quality quality = Quality::main,
                                           HlsFormat format = HlsFormat::ts);

}  // namespace camrelay::media
