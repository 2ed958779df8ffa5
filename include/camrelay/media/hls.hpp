#pragma once
// On-demand HLS output of a stream: a tee branch `queue(leaky) → mpegtsmux → appsink`
// whose segmenter (src/media/hls_segmenter.hpp) writes MPEG-TS segments and index.m3u8
// under <data_dir>/hls/<camera>/. Started by the first
// playlist request (or with the stream when hls.always is set), stopped hls.idle_stop_s
// after the last request and whenever the stream stops; its folder is removed then.
// Segments are cut at keyframes: their length follows the source's keyframe interval.
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
#include "camrelay/media/stream.hpp"

namespace camrelay::media {

// segment<1..9 digits>.ts — the only names the HLS endpoints serve.
bool valid_hls_segment_name(std::string_view name) noexcept;
// Rewrites the URI lines of a playlist (lines not starting with '#') as prefix + line.
std::string prefix_playlist_uris(std::string_view playlist, std::string_view prefix);
// Media sequence number of the last segment listed (EXT-X-MEDIA-SEQUENCE + segments - 1);
// nullopt when no segment is listed.
std::optional<long long> playlist_last_msn(std::string_view playlist);
// Adds "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES" after the #EXTM3U line: players may
// ask for the next segment's playlist (?_HLS_msn=N) and get it the moment it exists.
std::string add_blocking_reload(std::string_view playlist);

std::filesystem::path hls_root(const config::Config& cfg);  // <data_dir>/hls
std::filesystem::path hls_dir(const config::Config& cfg, const std::string& camera_id);
// Removes <data_dir>/hls and everything below (leftovers of a previous run). Never throws.
void hls_clean_root(const config::Config& cfg);

class HlsOutput final : public Output, public std::enable_shared_from_this<HlsOutput> {
 public:
  enum class State { starting, running, failed, stopped };

  HlsOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id);
  ~HlsOutput() override;

  // A playlist or segment request: keeps the output alive for hls.idle_stop_s. Any thread.
  void touch();
  const std::filesystem::path& dir() const { return dir_; }
  // The current playlist (nullptr before the first segment is complete). Any thread.
  std::shared_ptr<const std::string> playlist() const;
  // `wake` is called (from a streaming or the GLib thread) when a segment is published and
  // when the output stops or fails; it must only post to its owner. Returns an id for
  // unsubscribe().
  std::uint64_t subscribe(std::function<void()> wake);
  void unsubscribe(std::uint64_t id);
  State state() const { return state_.load(); }
  std::string error() const;

  void on_stream_teardown() override;
  std::string stats_json() const override;

  // Called by hls_output(): builds and attaches the branch on the GLib thread.
  void start();

 private:
  void build();      // GLib thread
  void idle_check(); // GLib thread, every second
  void stop_idle();  // GLib thread
  void set_failed(const std::string& why);
  void publish(std::string playlist);  // streaming thread: a segment is complete
  void wake_all();

  std::weak_ptr<Stream> stream_;
  const config::Config& cfg_;
  std::string camera_id_;
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
  GstElement* bin_ = nullptr;  // own ref
  GstPad* tee_pad_ = nullptr;  // own ref
  guint timer_ = 0;
};

// The stream's HLS output, created and started if there is none; nullptr once the
// stream has been torn down.
std::shared_ptr<HlsOutput> hls_output(const std::shared_ptr<Stream>& stream);
// The stream's HLS output if one runs (nullptr otherwise); never creates one.
std::shared_ptr<HlsOutput> find_hls_output(const std::shared_ptr<Stream>& stream);

}  // namespace camrelay::media
