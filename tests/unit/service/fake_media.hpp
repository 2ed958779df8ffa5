#pragma once
// A media layer without GStreamer for the service's unit tests: streams and viewers that
// record what the camera path asked of them, and let a test play the media side (first
// frame, failure, source lost, a viewer's connection state) by calling the path's callbacks
// from a thread of its own, as GStreamer would.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "camrelay/util/ids.hpp"
#include "media_port.hpp"

namespace camrelay::service::testing {

class FakePictures final : public model::PictureFeed {
 public:
  Frame latest() const override { return {}; }
  bool closed() const override { return closed_; }
  std::string error() const override { return closed_ ? "stream stopped" : ""; }
  void touch() override {}
  void count_sent(std::uint64_t, std::uint64_t) override {}
  std::uint64_t subscribe(std::function<void()> wake) override {
    std::lock_guard lk(mu_);
    if (closed_) return 0;
    subs_[next_] = std::move(wake);
    return next_++;
  }
  void unsubscribe(std::uint64_t id) override {
    std::lock_guard lk(mu_);
    subs_.erase(id);
  }
  void close() {
    closed_ = true;
    std::lock_guard lk(mu_);
    for (auto& [id, f] : subs_) f();
  }
  std::size_t subscribers() const {
    std::lock_guard lk(mu_);
    return subs_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::uint64_t, std::function<void()>> subs_;
  std::uint64_t next_ = 1;
  std::atomic<bool> closed_{false};
};

class FakeH264 final : public model::H264Feed {
 public:
  std::string caps() const override { return "video/x-h264"; }
  std::string codec() const override { return "H264"; }
  bool closed() const override { return closed_; }
  std::uint64_t subscribe(Sink, Closed) override { return closed_ ? 0 : 1; }
  void unsubscribe(std::uint64_t) override {}
  void close() { closed_ = true; }

 private:
  std::atomic<bool> closed_{false};
};

class FakeViewer final : public ViewerPort {
 public:
  FakeViewer(std::string id, media::ViewerCallbacks cb) : id_(std::move(id)), cb_(std::move(cb)) {}
  void start() override { started = true; }
  void stop() override { stopped = true; }
  void set_remote_answer(std::string sdp) override {
    std::lock_guard lk(mu_);
    answer = std::move(sdp);
  }
  void add_ice_candidate(unsigned, std::string c, std::string) override {
    std::lock_guard lk(mu_);
    candidates.push_back(std::move(c));
  }
  model::ViewerStats stats() const override {
    std::lock_guard lk(mu_);
    return stats_;
  }
  std::string element_name() const override { return "fake-viewer-" + id_; }
  model::Quality quality = model::Quality::main;  // ViewerOptions::quality it was made with

  // The media side: webrtcbin's connection state (from a thread of its own).
  void emit_state(model::PeerState st) {
    {
      std::lock_guard lk(mu_);
      stats_.connection_state = st;
      if (st == model::PeerState::connected) stats_.connected_mono_ms = mono_now_ms();
    }
    std::thread([cb = cb_.on_connection_state, st] { cb(st); }).join();
  }
  void set_estimate(double kbps) {
    std::lock_guard lk(mu_);
    stats_.estimated_kbps = kbps;
  }
  void set_last_rtcp(std::int64_t mono_ms) {
    std::lock_guard lk(mu_);
    stats_.last_rtcp_mono_ms = mono_ms;
  }
  void set_sent(std::uint64_t bytes, std::uint64_t keyframe_requests) {
    std::lock_guard lk(mu_);
    stats_.bytes_sent = bytes;
    stats_.keyframe_requests = keyframe_requests;
  }
  const std::string& id() const { return id_; }

  std::atomic<bool> started{false}, stopped{false};
  mutable std::mutex mu_;
  std::string answer;
  std::vector<std::string> candidates;

 private:
  std::string id_;
  media::ViewerCallbacks cb_;
  model::ViewerStats stats_;
};

// A recording: remembers its options; the test plays the media side (files, failure).
class FakeRecorder final : public RecorderPort {
 public:
  FakeRecorder(media::RecorderOptions o, media::RecorderEvents e) : opts(std::move(o)), events(std::move(e)) {}
  void stop(std::function<void()> done) override {
    stopped = true;
    std::thread([done = std::move(done)] {
      if (done) done();
    }).join();
  }
  model::RecorderFigures figures() const override {
    model::RecorderFigures f;
    f.state = stopped ? "stopped" : "recording";
    return f;
  }
  void emit_failed(std::string why) {
    std::thread([cb = events.failed, why] { cb(why); }).join();
  }
  media::RecorderOptions opts;
  media::RecorderEvents events;
  std::atomic<bool> stopped{false};
};

class FakeStream final : public StreamPort {
 public:
  FakeStream(config::Camera cam, media::StreamCallbacks cb, int n) : cam_(std::move(cam)), cb_(std::move(cb)), n_(n) {}

  void start() override { started = true; }
  void stop(std::function<void()> done) override {
    {
      std::lock_guard lk(mu_);
      recorders_done_at_stop = true;
      for (const auto& r : recorders_) recorders_done_at_stop = recorders_done_at_stop && r->stopped;
    }
    stopped = true;
    pictures_->close();
    h264_->close();
    std::lock_guard lk(mu_);
    if (hold_stop_) {
      pending_stop_ = std::move(done);
      return;
    }
    done();  // only posts to the path
  }
  model::StreamStats stats() const override {
    std::lock_guard lk(mu_);
    return stats_;
  }
  model::AudioInfo audio_info() const override { return {}; }
  std::string pipeline_name() const override { return "fake-" + cam_.id + "-" + std::to_string(n_); }
  void set_target_bitrate(int kbps) override { target_kbps = kbps; }
  void restart_source(std::string why) override {
    std::lock_guard lk(mu_);
    source_restarts.push_back(std::move(why));
  }
  model::SourceFigures source_figures() const override { return {}; }
  std::shared_ptr<model::HlsFeed> hls(bool, model::Quality, model::HlsFormat) override { return nullptr; }
  std::shared_ptr<model::PictureFeed> pictures(bool, model::Quality q) override {
    last_quality = q;
    return stopped ? nullptr : pictures_;
  }
  std::shared_ptr<model::H264Feed> h264(bool, model::Quality q) override {
    last_quality = q;
    return stopped ? nullptr : h264_;
  }
  std::atomic<model::Quality> last_quality{model::Quality::main};  // of the last pictures()/h264() call
  std::shared_ptr<RecorderPort> record(media::RecorderOptions opts, media::RecorderEvents events) override {
    std::lock_guard lk(mu_);
    if (stopped) return nullptr;
    auto r = std::make_shared<FakeRecorder>(std::move(opts), std::move(events));
    recorders_.push_back(r);
    return r;
  }
  std::vector<std::shared_ptr<FakeRecorder>> recorders() const {
    std::lock_guard lk(mu_);
    return recorders_;
  }
  std::shared_ptr<ViewerPort> add_viewer(const config::Webrtc&, media::ViewerOptions opts,
                                         media::ViewerCallbacks cb) override {
    auto v = std::make_shared<FakeViewer>(opts.id, std::move(cb));
    v->quality = opts.quality;
    std::lock_guard lk(mu_);
    viewers_.push_back(v);
    return v;
  }

  // ---- the media side, from threads of its own ----
  void emit_active() {
    {
      std::lock_guard lk(mu_);
      stats_.frames = 1;
      stats_.first_frame_mono_ms = stats_.last_frame_mono_ms = mono_now_ms();
    }
    std::thread([cb = cb_.on_active] { cb(); }).join();
  }
  void emit_error(std::string why) {
    std::thread([cb = cb_.on_error, why] { cb(why); }).join();
  }
  void emit_reconnecting(std::string why) {
    std::thread([cb = cb_.on_reconnecting, why] { cb(why); }).join();
  }
  // stop() keeps its completion until release_stop().
  void hold_stop() {
    std::lock_guard lk(mu_);
    hold_stop_ = true;
  }
  void release_stop() {
    std::function<void()> done;
    {
      std::lock_guard lk(mu_);
      hold_stop_ = false;
      done = std::move(pending_stop_);
    }
    if (done) std::thread(done).join();
  }
  std::vector<std::shared_ptr<FakeViewer>> viewers() const {
    std::lock_guard lk(mu_);
    return viewers_;
  }
  // The camera's frames stopped `ms_ago` milliseconds ago (stall detection).
  void set_last_frame_ago(std::int64_t ms_ago) {
    std::lock_guard lk(mu_);
    stats_.last_frame_mono_ms = mono_now_ms() - ms_ago;
  }
  // A frame now (after a stall).
  void emit_frame() {
    std::lock_guard lk(mu_);
    stats_.frames++;
    stats_.last_frame_mono_ms = mono_now_ms();
  }
  std::vector<std::string> restarts() const {
    std::lock_guard lk(mu_);
    return source_restarts;
  }
  const std::shared_ptr<FakePictures>& pictures_feed() const { return pictures_; }

  std::atomic<bool> started{false}, stopped{false};
  std::atomic<bool> recorders_done_at_stop{false};  // every recorder had stopped when the stream was stopped
  std::atomic<int> target_kbps{0};

 private:
  config::Camera cam_;
  media::StreamCallbacks cb_;
  int n_;
  mutable std::mutex mu_;
  model::StreamStats stats_;
  bool hold_stop_ = false;
  std::function<void()> pending_stop_;
  std::vector<std::shared_ptr<FakeViewer>> viewers_;
  std::vector<std::shared_ptr<FakeRecorder>> recorders_;
  std::vector<std::string> source_restarts;
  std::shared_ptr<FakePictures> pictures_ = std::make_shared<FakePictures>();
  std::shared_ptr<FakeH264> h264_ = std::make_shared<FakeH264>();
};

class FakeMedia final : public MediaPort {
 public:
  std::shared_ptr<StreamPort> make_stream(const config::Config&, const config::Camera& cam,
                                          media::StreamCallbacks cb, std::shared_ptr<media::RtpLink>,
                                          std::shared_ptr<model::InputFeeds>) override {
    std::unique_lock lk(mu_);
    // A test can make one camera's graph work slow (it blocks the caller: the path's strand).
    cv_.wait(lk, [&] { return !blocked_.count(cam.id); });
    auto s = std::make_shared<FakeStream>(cam, std::move(cb), static_cast<int>(streams_[cam.id].size()) + 1);
    streams_[cam.id].push_back(s);
    cv_.notify_all();
    return s;
  }
  // Like a machine with x264 only.
  std::vector<std::string> h264_encoders() const override { return {"x264", "auto"}; }
  // The newest stream of a camera (nullptr if none was made).
  std::shared_ptr<FakeStream> latest(const std::string& cam) const {
    std::lock_guard lk(mu_);
    auto it = streams_.find(cam);
    return it == streams_.end() || it->second.empty() ? nullptr : it->second.back();
  }
  std::size_t made(const std::string& cam) const {
    std::lock_guard lk(mu_);
    auto it = streams_.find(cam);
    return it == streams_.end() ? 0 : it->second.size();
  }
  void block(const std::string& cam) {
    std::lock_guard lk(mu_);
    blocked_.insert(cam);
  }
  void unblock(const std::string& cam) {
    std::lock_guard lk(mu_);
    blocked_.erase(cam);
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> blocked_;
  std::map<std::string, std::vector<std::shared_ptr<FakeStream>>> streams_;
};

}  // namespace camrelay::service::testing
