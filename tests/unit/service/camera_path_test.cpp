// The registry and the camera paths, driven through StreamManager's public API with a fake
// media layer (fake_media.hpp): state machine, generations, limits, readers of every kind,
// reload, shutdown, and one camera's work not waiting behind another's.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "camrelay/service/stream_manager.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "fake_media.hpp"
#include "path_test_util.hpp"

using namespace camrelay;
using namespace camrelay::service;
using camrelay::service::testing::FakeMedia;
using namespace camrelay::service::testing;
using namespace std::chrono_literals;

namespace {

class CameraPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("camrelay-path-test-" + random_id());
    std::filesystem::create_directories(dir_);
    cfg_.data_dir = dir_.string();
    cfg_.cameras = {test_camera("a"), test_camera("b")};
  }
  void TearDown() override {
    if (manager_) {
      std::promise<void> done;
      manager_->shutdown(2000, [&] { done.set_value(); });
      done.get_future().wait_for(5s);
    }
    manager_.reset();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void boot() {
    store_ = store::Store::open((dir_ / "camrelay.db").string());
    manager_ = std::make_shared<StreamManager>(io_, cfg_, *store_, media_, "ok (fake)");
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    manager_->boot();
  }
  StreamInfo start(const std::string& id) {
    return call<StreamInfo>([&](auto cb) { manager_->start(id, {}, cb); });
  }
  StreamInfo stop(const std::string& id) {
    return call<StreamInfo>([&](auto cb) { manager_->stop(id, cb); });
  }
  StreamInfo get(const std::string& id) {
    return call<StreamInfo>([&](auto cb) { manager_->get(id, cb); });
  }
  std::vector<ViewerInfo> viewers(const std::string& id = {}) {
    return call<std::vector<ViewerInfo>>([&](auto cb) { manager_->list_viewers(id, cb); });
  }
  std::shared_ptr<ReaderCounters> hls(const std::string& id, const std::string& ip, const std::string& ua = "ua") {
    return call<std::shared_ptr<ReaderCounters>>(
        [&](auto cb) { manager_->hls_request(ReaderRequest{id, ua, ip}, cb); });
  }
  ViewerInfo webrtc(const std::string& id, const std::string& ip, std::function<void(std::string)> closed = {}) {
    ViewerRequest r;
    r.camera_id = id;
    r.kind = ReaderKind::webrtc;
    r.ip = ip;
    r.on_closed = std::move(closed);
    return call<ViewerInfo>([&](auto cb) { manager_->add_viewer(std::move(r), cb); });
  }

  std::filesystem::path dir_;
  config::Config cfg_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  std::vector<std::thread> threads_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<FakeMedia> media_ = std::make_shared<FakeMedia>();
  std::shared_ptr<StreamManager> manager_;
};

TEST_F(CameraPathTest, StartGoesActiveAtTheFirstFrame) {
  boot();
  const auto s = start("a");
  EXPECT_EQ(s.state, StreamState::starting);
  EXPECT_TRUE(s.changed);
  auto stream = media_->latest("a");
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->started);
  stream->emit_active();
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::active; }));
  const auto again = start("a");
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(media_->made("a"), 1u);
  EXPECT_EQ(get("b").state, StreamState::stopped);  // the other camera is untouched
}

TEST_F(CameraPathTest, StopRepliesOnceThePipelineIsReleased) {
  boot();
  start("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  stream->hold_stop();
  auto p = std::make_shared<std::promise<StreamInfo>>();
  manager_->stop("a", [p](std::exception_ptr, StreamInfo i) { p->set_value(i); });
  auto f = p->get_future();
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::stopping; }));
  EXPECT_EQ(f.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(error_of([&] { start("a"); }), Errc::conflict);  // stopping: retry later
  stream->release_stop();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get().state, StreamState::stopped);
  EXPECT_FALSE(stop("a").changed);
}

TEST_F(CameraPathTest, LateEventsOfAnOlderPipelineAreIgnored) {
  boot();
  start("a");
  auto first = media_->latest("a");
  stop("a");
  start("a");
  auto second = media_->latest("a");
  ASSERT_NE(first, second);
  first->emit_error("old pipeline failed");  // generation 1: must not touch generation 2
  first->emit_active();
  EXPECT_EQ(get("a").state, StreamState::starting);
  second->emit_active();
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::active; }));
}

TEST_F(CameraPathTest, FailureReleasesThePipelineAndKeepsTheError) {
  boot();
  start("a");
  auto stream = media_->latest("a");
  hls("a", "10.0.0.1");
  stream->emit_error("no such device");
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::error; }));
  EXPECT_EQ(get("a").error, "no such device");
  EXPECT_TRUE(stream->stopped);
  EXPECT_TRUE(viewers("a").empty());  // readers of a failed stream are dropped
  start("a");                          // error → starting
  EXPECT_EQ(media_->made("a"), 2u);
}

TEST_F(CameraPathTest, SourceLostIsReconnectingUntilFramesFlowAgain) {
  boot();
  start("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  stream->emit_reconnecting("camera unplugged");
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::reconnecting; }));
  EXPECT_EQ(get("a").error, "camera unplugged");
  stream->emit_active();
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::active; }));
  EXPECT_EQ(get("a").error, "");
}

TEST_F(CameraPathTest, ReadersButNoFramesIsAStallTheSourceIsRestartedOnceAndFramesEndIt) {
  cfg_.health.stall_s = 1;
  boot();
  start("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  // No reader: a camera without frames is not stalled (nobody waits for it).
  stream->set_last_frame_ago(3000);
  auto mj = call<std::shared_ptr<MjpegReader>>(
      [&](auto cb) { manager_->attach_mjpeg(ReaderRequest{"a", "curl", "10.0.0.3"}, [] {}, cb); });
  ASSERT_TRUE(mj);
  ASSERT_TRUE(eventually([&] { return get("a").stalled; }, 3000ms));
  EXPECT_EQ(stream->restarts().size(), 1u);
  EXPECT_EQ(get("a").stalls, 1u);
  auto health = call<HealthInfo>([&](auto cb) { manager_->health(cb); });
  EXPECT_EQ(health.status, "degraded");
  EXPECT_EQ(health.stalled_streams, std::vector<std::string>{"a"});
  // Still stalled: flagged once, restarted once (the source retries on its own from there).
  std::this_thread::sleep_for(1200ms);
  EXPECT_TRUE(get("a").stalled);
  EXPECT_EQ(stream->restarts().size(), 1u);
  // Frames again: no longer stalled, healthy.
  stream->emit_frame();
  ASSERT_TRUE(eventually([&] { return !get("a").stalled; }, 3000ms));
  health = call<HealthInfo>([&](auto cb) { manager_->health(cb); });
  EXPECT_EQ(health.status, "healthy");
  EXPECT_TRUE(health.stalled_streams.empty());
  EXPECT_EQ(get("a").stalls, 1u);
  EXPECT_FALSE(get("b").stalled);
}

TEST_F(CameraPathTest, StallDetectionOffWithZero) {
  cfg_.health.stall_s = 0;
  boot();
  start("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  stream->set_last_frame_ago(60000);
  auto w = webrtc("a", "10.0.0.1");
  std::this_thread::sleep_for(700ms);
  EXPECT_FALSE(get("a").stalled);
  EXPECT_TRUE(stream->restarts().empty());
}

TEST_F(CameraPathTest, TotalsNeverGoBackwardsWhenReadersLeaveOrTheStreamRestarts) {
  boot();
  auto w = webrtc("a", "10.0.0.1");
  auto stream = media_->latest("a");
  stream->emit_active();
  for (int i = 0; i < 9; ++i) stream->emit_frame();
  auto fv = stream->viewers().front();
  fv->set_sent(5000, 2);
  auto s = get("a");
  EXPECT_EQ(s.counters.frames_in, 10u);
  EXPECT_EQ(s.counters.bytes_out.at("webrtc"), 5000u);
  EXPECT_EQ(s.counters.keyframe_requests_from_viewers, 2u);
  EXPECT_EQ(s.counters.readers_joined.at("webrtc"), 1u);
  EXPECT_EQ(s.session_counters.bytes_out.at("webrtc"), 5000u);
  // The viewer leaves: its bytes stay counted.
  call<bool>([&](auto cb) { manager_->remove_viewer(w.id, "bye", cb); });
  s = get("a");
  EXPECT_EQ(s.viewers, 0);
  EXPECT_EQ(s.counters.bytes_out.at("webrtc"), 5000u);
  EXPECT_EQ(s.counters.keyframe_requests_from_viewers, 2u);
  // A new pipeline starts again from zero frames: the totals keep the old ones; this
  // session's figures start from zero.
  stop("a");
  EXPECT_EQ(get("a").counters.frames_in, 10u);
  start("a");
  auto again = media_->latest("a");
  again->emit_active();
  s = get("a");
  EXPECT_EQ(s.counters.frames_in, 11u);
  EXPECT_EQ(s.session_counters.frames_in, 1u);
  EXPECT_EQ(s.session_counters.bytes_out.at("webrtc"), 0u);
  EXPECT_EQ(s.counters.bytes_out.at("webrtc"), 5000u);
}

TEST_F(CameraPathTest, ReadersOfEveryKindAreCountedAndListed) {
  boot();
  auto w = webrtc("a", "10.0.0.1");  // starts the stopped camera on demand
  EXPECT_EQ(w.kind, ReaderKind::webrtc);
  ASSERT_EQ(media_->made("a"), 1u);
  hls("a", "10.0.0.2");
  hls("a", "10.0.0.2");  // the same client (IP + User-Agent): one reader
  auto mj = call<std::shared_ptr<MjpegReader>>(
      [&](auto cb) { manager_->attach_mjpeg(ReaderRequest{"a", "curl", "10.0.0.3"}, [] {}, cb); });
  ASSERT_TRUE(mj);
  const auto info = get("a");
  EXPECT_EQ(info.viewers, 3);
  EXPECT_EQ(info.viewers_by_protocol.at("webrtc"), 1);
  EXPECT_EQ(info.viewers_by_protocol.at("hls"), 1);
  EXPECT_EQ(info.viewers_by_protocol.at("mjpeg"), 1);
  EXPECT_EQ(viewers().size(), 3u);
  EXPECT_EQ(viewers("b").size(), 0u);
  const auto health = call<HealthInfo>([&](auto cb) { manager_->health(cb); });
  EXPECT_EQ(health.total_viewers, 3);
  mj.reset();  // the MJPEG client leaves: its handle detaches it
  EXPECT_TRUE(eventually([&] { return get("a").viewers == 2; }));
  EXPECT_EQ(error_of([&] { viewers("nope"); }), Errc::not_found);
}

TEST_F(CameraPathTest, SubStreamReadersAreReadersOfTheCameraWithTheirQuality) {
  cfg_.cameras[1].sub.enabled = false;  // "b" has no sub stream
  boot();
  const auto sub = model::Quality::sub;
  call<std::shared_ptr<ReaderCounters>>(
      [&](auto cb) { manager_->hls_request(ReaderRequest{"a", "ua", "10.0.0.2", sub}, cb); });
  hls("a", "10.0.0.2");  // the same client's main stream: another reader
  auto mj = call<std::shared_ptr<MjpegReader>>(
      [&](auto cb) { manager_->attach_mjpeg(ReaderRequest{"a", "curl", "10.0.0.3", sub}, [] {}, cb); });
  ASSERT_TRUE(mj);
  EXPECT_EQ(media_->latest("a")->last_quality.load(), sub);  // the sub stream's pictures
  ViewerRequest r;
  r.camera_id = "a";
  r.kind = ReaderKind::webrtc;
  r.ip = "10.0.0.4";
  r.quality = sub;
  const auto w = call<ViewerInfo>([&](auto cb) { manager_->add_viewer(std::move(r), cb); });
  EXPECT_EQ(w.quality, sub);
  EXPECT_EQ(media_->latest("a")->viewers().back()->quality, sub);
  int subs = 0, mains = 0;
  for (const auto& v : viewers("a")) (v.quality == sub ? subs : mains) += 1;
  EXPECT_EQ(subs, 3);
  EXPECT_EQ(mains, 1);
  EXPECT_EQ(get("a").viewers, 4);  // the same limits and counts as any reader
  // A camera without a sub stream refuses sub readers of every kind, and does not start.
  EXPECT_EQ(error_of([&] {
              call<std::shared_ptr<ReaderCounters>>(
                  [&](auto cb) { manager_->hls_request(ReaderRequest{"b", "ua", "10.0.0.5", sub}, cb); });
            }),
            Errc::not_found);
  EXPECT_EQ(error_of([&] {
              call<std::shared_ptr<RtspReader>>(
                  [&](auto cb) { manager_->attach_rtsp(ReaderRequest{"b", "ffprobe", "10.0.0.5", sub}, cb); });
            }),
            Errc::not_found);
  EXPECT_EQ(get("b").state, StreamState::stopped);
  EXPECT_EQ(media_->made("b"), 0u);
}

TEST_F(CameraPathTest, ACameraStartedForRtspStopsAfterItsLastReaderAndTheGrace) {
  cfg_.rtsp.grace_s = 1;
  boot();
  auto rtsp = [&](const std::string& id) {
    return call<std::shared_ptr<RtspReader>>(
        [&](auto cb) { manager_->attach_rtsp(ReaderRequest{id, "ffprobe", "10.0.0.9"}, cb); });
  };
  auto r = rtsp("a");  // starts the stopped camera on demand
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->feed());
  EXPECT_EQ(media_->made("a"), 1u);
  auto v = viewers("a");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, ReaderKind::rtsp);
  EXPECT_EQ(protocol_of(v[0].kind), "rtsp");
  EXPECT_EQ(get("a").viewers_by_protocol.at("rtsp"), 1);
  auto second = rtsp("a");  // a second client of the same camera: the same feed
  EXPECT_EQ(second->feed(), r->feed());
  r.reset();
  second.reset();
  EXPECT_TRUE(eventually([&] { return get("a").viewers == 0; }));
  EXPECT_TRUE(is_running(get("a").state)) << "not before the grace time";
  EXPECT_TRUE(eventually([&] { return get("a").state == StreamState::stopped; }, 5s));

  // A camera a user started keeps running when its RTSP clients leave.
  start("b");
  auto rb = rtsp("b");
  rb.reset();
  EXPECT_TRUE(eventually([&] { return get("b").viewers == 0; }));
  std::this_thread::sleep_for(1500ms);  // past the grace time
  EXPECT_TRUE(is_running(get("b").state));
  EXPECT_EQ(error_of([&] { rtsp("nope"); }), Errc::not_found);
}

TEST_F(CameraPathTest, LimitsApplyToEveryKind) {
  cfg_.webrtc.max_viewers_per_stream = 2;
  cfg_.webrtc.max_viewers_total = 3;
  cfg_.webrtc.max_viewers_per_ip = 1;
  boot();
  hls("a", "10.0.0.1");
  webrtc("a", "10.0.0.2");
  EXPECT_EQ(error_of([&] { hls("a", "10.0.0.3"); }), Errc::limit_reached);  // per camera
  webrtc("b", "10.0.0.4");
  EXPECT_EQ(error_of([&] { hls("b", "10.0.0.5"); }), Errc::limit_reached);  // in total
  EXPECT_EQ(viewers().size(), 3u);
}

TEST_F(CameraPathTest, WebrtcViewersPerAddressAreCapped) {
  cfg_.webrtc.max_viewers_per_ip = 1;
  boot();
  webrtc("a", "10.0.0.1");
  EXPECT_EQ(error_of([&] { webrtc("b", "10.0.0.1"); }), Errc::too_many_requests);
  hls("b", "10.0.0.1");  // HTTP readers of the same address are not WebRTC viewers
  EXPECT_EQ(viewers().size(), 2u);
}

TEST_F(CameraPathTest, StoppingAStreamTellsEveryReader) {
  boot();
  std::promise<std::string> told;
  webrtc("a", "10.0.0.1", [&](std::string why) { told.set_value(why); });
  auto counters = hls("a", "10.0.0.2");
  auto mj = call<std::shared_ptr<MjpegReader>>(
      [&](auto cb) { manager_->attach_mjpeg(ReaderRequest{"a", "curl", "10.0.0.3"}, [] {}, cb); });
  auto stream = media_->latest("a");
  auto v = stream->viewers().at(0);
  stop("a");
  auto f = told.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), "stream stopped");
  EXPECT_TRUE(v->stopped);     // its branch was released
  EXPECT_TRUE(mj->closed());   // the MJPEG session ends
  EXPECT_TRUE(viewers().empty());
}

TEST_F(CameraPathTest, ViewerMessagesReachTheirViewer) {
  boot();
  const auto info = webrtc("a", "10.0.0.1");
  auto v = media_->latest("a")->viewers().at(0);
  EXPECT_TRUE(call<bool>([&](auto cb) { manager_->viewer_answer(info.id, "v=0 answer", cb); }));
  manager_->viewer_candidate(info.id, 0, "candidate:1");
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lk(v->mu_);
    return v->answer == "v=0 answer" && v->candidates.size() == 1;
  }));
  EXPECT_EQ(error_of([&] { call<bool>([&](auto cb) { manager_->viewer_answer("v_unknown", "x", cb); }); }),
            Errc::not_found);
  v->emit_state(model::PeerState::failed);  // the peer connection failed: the viewer goes
  EXPECT_TRUE(eventually([&] { return viewers().empty(); }));
  EXPECT_TRUE(v->stopped);
}

TEST_F(CameraPathTest, AViewerThatNeverConnectsIsDropped) {
  cfg_.webrtc.connect_timeout_s = 1;
  boot();
  webrtc("a", "10.0.0.1");
  EXPECT_EQ(viewers().size(), 1u);
  EXPECT_TRUE(eventually([&] { return viewers().empty(); }, 4000ms));
}

TEST_F(CameraPathTest, AnHlsClientThatStopsFetchingLeaves) {
  cfg_.hls.target_duration_s = 1;  // idle limit: max(10 s, 6 × 1 s)
  boot();
  hls("a", "10.0.0.1");
  EXPECT_EQ(viewers("a").size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(hls_reader_idle_s(1) * 1000 / 2));
  hls("a", "10.0.0.1");  // a reload keeps it
  EXPECT_EQ(viewers("a").size(), 1u);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return viewers("a").empty(); }, std::chrono::milliseconds(hls_reader_idle_s(1) * 1000 + 3000)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::seconds(hls_reader_idle_s(1) - 1));
}

TEST_F(CameraPathTest, TheLowestViewerEstimateReachesTheSource) {
  boot();
  webrtc("a", "10.0.0.1");
  webrtc("a", "10.0.0.2");
  auto stream = media_->latest("a");
  auto vs = stream->viewers();
  vs[0]->emit_state(model::PeerState::connected);
  vs[1]->emit_state(model::PeerState::connected);
  vs[0]->set_last_rtcp(mono_now_ms() + 60000);  // alive through the test
  vs[1]->set_last_rtcp(mono_now_ms() + 60000);
  vs[0]->set_estimate(900);
  vs[1]->set_estimate(1200);
  EXPECT_TRUE(eventually([&] { return stream->target_kbps == 900; }, 3000ms));
  EXPECT_EQ(get("a").target_kbps, 900);
}

TEST_F(CameraPathTest, OneCamerasSlowGraphWorkDoesNotHoldUpAnother) {
  boot();
  media_->block("a");  // camera a's pipeline construction hangs
  auto pa = std::make_shared<std::promise<StreamInfo>>();
  manager_->start("a", {}, [pa](std::exception_ptr, StreamInfo i) { pa->set_value(i); });
  auto fa = pa->get_future();
  const auto b = start("b");  // answered while a is still busy
  EXPECT_EQ(b.state, StreamState::starting);
  EXPECT_EQ(fa.wait_for(50ms), std::future_status::timeout);
  media_->unblock("a");
  ASSERT_EQ(fa.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fa.get().state, StreamState::starting);
}

TEST_F(CameraPathTest, UnknownCamerasAndViewersAreNotFound) {
  boot();
  EXPECT_EQ(error_of([&] { start("nope"); }), Errc::not_found);
  EXPECT_EQ(error_of([&] { hls("nope", "10.0.0.1"); }), Errc::not_found);
  EXPECT_EQ(error_of([&] { call<bool>([&](auto cb) { manager_->remove_viewer("v_x", "bye", cb); }); }),
            Errc::not_found);
}

TEST_F(CameraPathTest, AutoStartCamerasStartAtBoot) {
  cfg_.cameras = {test_camera("a", true), test_camera("b")};
  boot();
  EXPECT_TRUE(eventually([&] { return media_->made("a") == 1; }));
  EXPECT_EQ(media_->made("b"), 0u);
  const auto list = call<std::vector<StreamInfo>>([&](auto cb) { manager_->list(cb); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].camera_id, "a");  // configuration order
  EXPECT_EQ(list[1].camera_id, "b");
}

TEST_F(CameraPathTest, ReloadTouchesOnlyWhatChanged) {
  boot();
  start("a");
  auto a1 = media_->latest("a");
  a1->emit_active();
  std::promise<std::string> told;
  hls("b", "10.0.0.1");
  webrtc("a", "10.0.0.2", [&](std::string why) { told.set_value(why); });
  auto changed_a = test_camera("a");
  changed_a.name = "Front door";
  auto c = test_camera("c", true);
  const auto r = call<ReloadSummary>([&](auto cb) { manager_->reload_cameras({changed_a, c}, cb); });
  EXPECT_EQ(r.changed, std::vector<std::string>{"a"});
  EXPECT_EQ(r.removed, std::vector<std::string>{"b"});
  EXPECT_EQ(r.added, std::vector<std::string>{"c"});
  // a restarts with its new settings (its viewers told), b is gone, c auto-starts.
  EXPECT_TRUE(eventually([&] { return media_->made("a") == 2; }));
  auto f = told.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(get("a").name, "Front door");
  EXPECT_EQ(error_of([&] { get("b"); }), Errc::not_found);
  EXPECT_TRUE(eventually([&] { return media_->made("c") == 1; }));
  EXPECT_EQ(manager_->first_camera(), "a");
  EXPECT_TRUE(eventually([&] { return viewers().empty(); }));  // b's HLS reader left with it
}

TEST_F(CameraPathTest, ACameraRemovedAndAddedBackAtOnceStartsAfresh) {
  // Two reloads in a row (a config file saved twice): the removed path's stop may still be
  // running when the camera comes back; the new path must not inherit its state or its
  // stream, and the old stream must still be stopped.
  boot();
  start("b");
  auto old_stream = media_->latest("b");
  old_stream->emit_active();
  EXPECT_TRUE(eventually([&] { return get("b").state == StreamState::active; }));
  const auto removed = call<ReloadSummary>([&](auto cb) { manager_->reload_cameras({test_camera("a")}, cb); });
  EXPECT_EQ(removed.removed, std::vector<std::string>{"b"});
  const auto added =
      call<ReloadSummary>([&](auto cb) { manager_->reload_cameras({test_camera("a"), test_camera("b")}, cb); });
  EXPECT_EQ(added.added, std::vector<std::string>{"b"});
  EXPECT_EQ(get("b").state, StreamState::stopped);
  EXPECT_TRUE(eventually([&] { return old_stream->stopped.load(); })) << "the removed camera's stream was not stopped";
  start("b");
  EXPECT_TRUE(eventually([&] { return media_->made("b") == 2; }));
  auto new_stream = media_->latest("b");
  ASSERT_NE(new_stream, old_stream);
  // A late event of the old stream does not touch the new path.
  old_stream->emit_error("late error of the removed stream");
  new_stream->emit_active();
  EXPECT_TRUE(eventually([&] { return get("b").state == StreamState::active; }));
  EXPECT_EQ(get("b").state, StreamState::active);
}

TEST_F(CameraPathTest, ShutdownStopsEverythingAndRefusesStarts) {
  boot();
  start("a");
  start("b");
  std::promise<void> done;
  manager_->shutdown(3000, [&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(media_->latest("a")->stopped);
  EXPECT_TRUE(media_->latest("b")->stopped);
  EXPECT_EQ(error_of([&] { start("a"); }), Errc::unavailable);
  EXPECT_EQ(error_of([&] { hls("a", "10.0.0.1"); }), Errc::unavailable);
}

}  // namespace
