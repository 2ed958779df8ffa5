// A camera's recording as its path drives it (path_record.cpp) with a fake media layer, the
// recordings table it fills, and the retention plan (recordings.cpp).
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>

#include "camrelay/service/recordings.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/ids.hpp"
#include "fake_media.hpp"
#include "path_test_util.hpp"

using namespace camrelay;
using namespace camrelay::service;
using namespace camrelay::service::testing;
namespace fs = std::filesystem;

namespace {

class RecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("camrelay-rec-test-" + random_id());
    fs::create_directories(dir_);
    cfg_.data_dir = dir_.string();
    cfg_.recording.min_free_mb = 0;
    cfg_.recording.check_interval_s = 1;
    cfg_.cameras = {test_camera("a"), test_camera("b")};
  }
  void TearDown() override {
    if (manager_) {
      std::promise<void> done;
      manager_->shutdown(2000, [&] { done.set_value(); });
      done.get_future().wait_for(5s);
    }
    if (recordings_) recordings_->stop();
    manager_.reset();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    recordings_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void boot() {
    store_ = store::Store::open((dir_ / "camrelay.db").string());
    manager_ = std::make_shared<StreamManager>(io_, cfg_, *store_, media_, "ok (fake)");
    recordings_ = std::make_shared<Recordings>(io_, cfg_, *store_);
    recordings_->recover();
    manager_->set_recordings(recordings_);
    recordings_->start([w = std::weak_ptr<StreamManager>(manager_)] {
      if (auto m = w.lock()) m->recording_space_changed();
    });
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    manager_->boot();
  }
  StreamInfo record(const std::string& id, std::optional<int> duration_s = std::nullopt) {
    RecordOptions o;
    o.duration_s = duration_s;
    return call<StreamInfo>([&](auto cb) { manager_->record_start(id, o, cb); });
  }
  StreamInfo record_stop(const std::string& id) {
    return call<StreamInfo>([&](auto cb) { manager_->record_stop(id, cb); });
  }
  StreamInfo get(const std::string& id) {
    return call<StreamInfo>([&](auto cb) { manager_->get(id, cb); });
  }
  std::size_t recorders(const std::string& id) {
    auto s = media_->latest(id);
    return s ? s->recorders().size() : 0;
  }
  std::vector<store::RecordingRow> rows() {
    store_->flush();
    return call<std::vector<store::RecordingRow>>([&](auto cb) { recordings_->list({}, cb); });
  }

  fs::path dir_;
  config::Config cfg_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  std::vector<std::thread> threads_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<FakeMedia> media_ = std::make_shared<FakeMedia>();
  std::shared_ptr<StreamManager> manager_;
  std::shared_ptr<Recordings> recordings_;
};

TEST_F(RecordingTest, StartingARecordingStartsTheCameraAndRecordsOnceItIsActive) {
  boot();
  const auto s = record("a");
  EXPECT_EQ(s.state, StreamState::starting);
  EXPECT_EQ(s.recording.state, "waiting");
  EXPECT_EQ(s.recording.reason, "manual");
  auto stream = media_->latest("a");
  ASSERT_TRUE(stream);
  EXPECT_EQ(recorders("a"), 0u);  // no file before the first frame
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return get("a").recording.state == "recording"; }));
  ASSERT_EQ(recorders("a"), 1u);
  const auto& opts = stream->recorders()[0]->opts;
  EXPECT_EQ(opts.dir, dir_ / "recordings" / "a");
  EXPECT_EQ(opts.segment_s, 600);
  EXPECT_EQ(opts.fragment_ms, 1000u);
  // Asking again changes nothing.
  EXPECT_FALSE(record("a").changed);
  EXPECT_EQ(recorders("a"), 1u);
}

TEST_F(RecordingTest, AReconnectEndsTheFileAndANewOneBeginsWhenTheSourceIsBack) {
  boot();
  record("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 1; }));
  stream->emit_reconnecting("camera unplugged");
  ASSERT_TRUE(eventually([&] { return stream->recorders()[0]->stopped.load(); }));
  EXPECT_EQ(get("a").recording.state, "waiting");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 2; }));
  EXPECT_FALSE(stream->recorders()[1]->stopped);
  EXPECT_EQ(get("a").recording.state, "recording");
}

TEST_F(RecordingTest, StoppingTheStreamEndsTheRecordingBeforeThePipeline) {
  boot();
  record("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 1; }));
  const auto s = call<StreamInfo>([&](auto cb) { manager_->stop("a", cb); });
  EXPECT_EQ(s.state, StreamState::stopped);
  EXPECT_EQ(s.recording.state, "off");
  EXPECT_TRUE(stream->stopped);
  EXPECT_TRUE(stream->recorders_done_at_stop);
}

TEST_F(RecordingTest, StoppingTheRecordingKeepsTheStream) {
  boot();
  record("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 1; }));
  const auto s = record_stop("a");
  EXPECT_TRUE(s.changed);
  EXPECT_EQ(s.recording.state, "off");
  EXPECT_TRUE(eventually([&] { return stream->recorders()[0]->stopped.load(); }));
  EXPECT_EQ(get("a").state, StreamState::active);
  EXPECT_FALSE(stream->stopped);
  EXPECT_FALSE(record_stop("a").changed);
}

TEST_F(RecordingTest, ADurationEndsTheRecordingByItself) {
  boot();
  const auto s = record("a", 1);
  EXPECT_EQ(s.recording.reason, "duration");
  EXPECT_EQ(s.recording.until_unix_ms, 0);  // counted from the first file
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 1; }));
  auto rec = stream->recorders()[0];
  std::this_thread::sleep_for(1500ms);  // no file yet: the duration has not begun
  EXPECT_FALSE(rec->stopped);
  media::RecordedFile f;
  f.path = dir_ / "recordings" / "a" / "a_1.mp4";
  f.start_unix_ms = unix_now_ms();
  rec->events.file_opened(f);
  ASSERT_TRUE(eventually([&] { return get("a").recording.until_unix_ms > 0; }));
  EXPECT_NEAR(double(get("a").recording.until_unix_ms - f.start_unix_ms), 1000.0, 300.0);
  EXPECT_TRUE(eventually([&] { return rec->stopped.load(); }, 4000ms));
  EXPECT_EQ(get("a").recording.state, "off");
  EXPECT_EQ(get("a").state, StreamState::active);
}

TEST_F(RecordingTest, AFailedRecorderIsRetriedAndReportedMeanwhile) {
  boot();
  record("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("a") == 1; }));
  stream->recorders()[0]->emit_failed("write error: No space left on device");
  ASSERT_TRUE(eventually([&] { return get("a").recording.state == "retrying"; }));
  EXPECT_EQ(get("a").recording.error, "write error: No space left on device");
  const auto h = call<HealthInfo>([&](auto cb) { manager_->health(cb); });
  EXPECT_EQ(h.status, "degraded");
  EXPECT_EQ(h.recording_errors.count("a"), 1u);
  // check_interval_s later: a new recorder.
  EXPECT_TRUE(eventually([&] { return recorders("a") == 2; }, 4000ms));
  EXPECT_EQ(get("a").recording.state, "recording");
  EXPECT_EQ(get("a").state, StreamState::active);  // the stream never noticed
}

TEST_F(RecordingTest, BadDurationsAndUnknownCamerasAreRefused) {
  boot();
  EXPECT_EQ(error_of([&] { record("a", 0); }), Errc::invalid_argument);
  EXPECT_EQ(error_of([&] { record("zz"); }), Errc::not_found);
  EXPECT_EQ(get("a").state, StreamState::stopped);  // nothing started by a refused request
}

TEST_F(RecordingTest, AContinuousCameraRecordsFromBootAndItsFilesAreRows) {
  cfg_.cameras[1].record.mode = "continuous";
  cfg_.cameras[1].record.segment_s = 60;
  boot();
  ASSERT_TRUE(eventually([&] { return media_->latest("b") != nullptr; }));
  auto stream = media_->latest("b");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return recorders("b") == 1; }));
  auto rec = stream->recorders()[0];
  EXPECT_EQ(rec->opts.segment_s, 60);
  EXPECT_EQ(get("b").recording.reason, "continuous");
  // The media side opens and closes a file: one row, closed with its length.
  media::RecordedFile f;
  f.path = dir_ / "recordings" / "b" / "b_1.mp4";
  f.start_unix_ms = 1'700'000'000'000;
  rec->events.file_opened(f);
  auto r = rows();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].camera_id, "b");
  EXPECT_EQ(r[0].reason, "continuous");
  EXPECT_EQ(r[0].status, "recording");
  EXPECT_EQ(r[0].session_id, get("b").session_id);
  f.end_unix_ms = f.start_unix_ms + 60'500;
  f.bytes = 12345;
  rec->events.file_closed(f);
  r = rows();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, "complete");
  EXPECT_EQ(r[0].duration_ms, 60'500);
  EXPECT_EQ(r[0].bytes, 12345);
}

TEST_F(RecordingTest, ADiskBelowTheFloorPausesRecordingWithoutStoppingTheStream) {
  cfg_.recording.min_free_mb = 100'000'000;  // 100 TB: no test machine has that free
  boot();
  ASSERT_TRUE(eventually([&] { return recordings_->disk().last_check_unix_ms > 0; }));
  EXPECT_TRUE(recordings_->disk().paused);
  record("a");
  auto stream = media_->latest("a");
  stream->emit_active();
  ASSERT_TRUE(eventually([&] { return get("a").state == StreamState::active; }));
  const auto s = get("a");
  EXPECT_EQ(s.recording.state, "paused");
  EXPECT_NE(s.recording.error.find("disk full"), std::string::npos) << s.recording.error;
  EXPECT_EQ(recorders("a"), 0u);
  const auto h = call<HealthInfo>([&](auto cb) { manager_->health(cb); });
  EXPECT_EQ(h.status, "degraded");
  ASSERT_TRUE(h.recording_disk);
  EXPECT_TRUE(h.recording_disk->paused);
}

TEST_F(RecordingTest, ACrashedRecordingIsClosedWithItsFilesRealLengthAtTheNextStart) {
  // A previous run left a row "recording" and a file cut short.
  store_ = store::Store::open((dir_ / "camrelay.db").string());
  const fs::path file = dir_ / "left.mp4";
  fs::copy_file(fs::path(CAMRELAY_SOURCE_DIR) / "tests/fixtures/mp4/fragmented_2s.mp4", file);
  store::RecordingRow row;
  row.camera_id = "a";
  row.path = file.string();
  row.reason = "manual";
  row.status = "recording";
  row.start_ms = 1'700'000'000'000;
  store_->insert_recording(row);
  row.path = (dir_ / "vanished.mp4").string();
  store_->insert_recording(row);
  store_->flush();
  Recordings recs(io_, cfg_, *store_);
  EXPECT_EQ(recs.recover(), 1);
  auto r = call<std::vector<store::RecordingRow>>([&](auto cb) { recs.list({}, cb); });
  ASSERT_EQ(r.size(), 1u);  // the row without a file is gone
  EXPECT_EQ(r[0].status, "recovered");
  EXPECT_EQ(r[0].duration_ms, 2000);
  EXPECT_EQ(*r[0].end_ms, row.start_ms + 2000);
  EXPECT_EQ(r[0].bytes, std::int64_t(fs::file_size(file)));
  recs.stop();
}

// ---- retention ----

store::RecordingRow closed(std::int64_t id, const std::string& cam, std::int64_t start_ms, std::int64_t mb) {
  store::RecordingRow r;
  r.id = id;
  r.camera_id = cam;
  r.start_ms = start_ms;
  r.end_ms = start_ms + 60'000;
  r.bytes = mb * 1024 * 1024;
  r.status = "complete";
  return r;
}

TEST(RetentionPlan, DeletesByAgeThenCameraQuotaThenTotalQuotaOldestFirst) {
  config::Config cfg;
  cfg.cameras = {test_camera("a"), test_camera("b")};
  cfg.recording.max_age_h = 24;
  const std::int64_t now = 1'800'000'000'000;
  const std::int64_t h = 3600'000;
  std::vector<store::RecordingRow> rows = {closed(1, "a", now - 30 * h, 10), closed(2, "b", now - 20 * h, 10),
                                           closed(3, "a", now - 10 * h, 10), closed(4, "b", now - 5 * h, 10),
                                           closed(5, "a", now - 1 * h, 10)};
  // Age only: the 30 h old file.
  EXPECT_EQ(plan_retention(rows, cfg, now), (std::vector<std::int64_t>{1}));
  // Camera a may keep 15 MB: of its remaining files (3, 5) the oldest goes.
  cfg.cameras[0].record.max_mb = 15;
  EXPECT_EQ(plan_retention(rows, cfg, now), (std::vector<std::int64_t>{1, 3}));
  // 25 MB in total: left are 2, 4, 5 (30 MB): the oldest of all (2) goes.
  cfg.recording.max_total_mb = 25;
  EXPECT_EQ(plan_retention(rows, cfg, now), (std::vector<std::int64_t>{1, 2, 3}));
  // A camera's own age limit wins over the global one.
  cfg.cameras[1].record.max_age_h = 2;
  EXPECT_EQ(plan_retention(rows, cfg, now), (std::vector<std::int64_t>{1, 2, 3, 4}));
  // No limits: nothing.
  config::Config none;
  none.recording.max_age_h = 0;
  EXPECT_TRUE(plan_retention(rows, none, now).empty());
}

}  // namespace
