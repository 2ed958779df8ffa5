// The recordings table: rows written as files open and close, pages newest first, filters,
// the rows a crash leaves open, deletion.
#include <future>

#include "store_test_util.hpp"

namespace camrelay::store {
namespace {
using testing::TempDir;

RecordingRow rec(const std::string& cam, const std::string& path, std::int64_t start_ms) {
  RecordingRow r;
  r.camera_id = cam;
  r.session_id = "ss_1";
  r.path = path;
  r.reason = "manual";
  r.status = "recording";
  r.start_ms = start_ms;
  return r;
}

std::vector<RecordingRow> list(Store& s, RecordingQuery q) {
  std::promise<std::vector<RecordingRow>> p;
  s.list_recordings(std::move(q), [&](std::vector<RecordingRow> rows) { p.set_value(std::move(rows)); });
  return p.get_future().get();
}

class StoreRecordings : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Store::open(dir_.file("camrelay.db")); }
  void TearDown() override {
    EXPECT_TRUE(store_->healthy()) << store_->last_error();
    store_.reset();
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreRecordings, AFileIsARowFromOpenToClose) {
  store_->insert_recording(rec("a", "/r/a/1.mp4", 1000));
  auto open = store_->open_recordings();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].status, "recording");
  EXPECT_FALSE(open[0].end_ms);
  EXPECT_GT(open[0].id, 0);
  store_->close_recording("/r/a/1.mp4", 6000, 5000, 777, "complete");
  store_->close_recording("/r/a/1.mp4", 9000, 8000, 999, "recovered");  // the first close wins
  store_->flush();
  EXPECT_TRUE(store_->open_recordings().empty());
  auto row = store_->get_recording(open[0].id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "complete");
  EXPECT_EQ(*row->end_ms, 6000);
  EXPECT_EQ(row->duration_ms, 5000);
  EXPECT_EQ(row->bytes, 777);
  EXPECT_EQ(row->session_id, "ss_1");
  EXPECT_FALSE(store_->get_recording(open[0].id + 100));
}

TEST_F(StoreRecordings, PagesAreNewestFirstAndFiltered) {
  for (int i = 0; i < 5; ++i) {
    store_->insert_recording(rec(i % 2 ? "b" : "a", "/r/" + std::to_string(i) + ".mp4", 1000 * (i + 1)));
    store_->close_recording("/r/" + std::to_string(i) + ".mp4", 1000 * (i + 1) + 500, 500, 10, "complete");
  }
  store_->flush();
  RecordingQuery q;
  q.limit = 2;
  auto page1 = list(*store_, q);
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].start_ms, 5000);
  EXPECT_EQ(page1[1].start_ms, 4000);
  q.before_start_ms = page1[1].start_ms;
  q.before_id = page1[1].id;
  auto page2 = list(*store_, q);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].start_ms, 3000);
  q.before_start_ms = page2[1].start_ms;
  q.before_id = page2[1].id;
  auto page3 = list(*store_, q);
  ASSERT_EQ(page3.size(), 1u);
  EXPECT_EQ(page3[0].start_ms, 1000);

  RecordingQuery cam;
  cam.camera_id = "b";
  EXPECT_EQ(list(*store_, cam).size(), 2u);
  RecordingQuery only;
  only.only_cameras = std::vector<std::string>{"a"};
  EXPECT_EQ(list(*store_, only).size(), 3u);
  only.only_cameras = std::vector<std::string>{};
  EXPECT_TRUE(list(*store_, only).empty());
  // A window: recordings that overlap [2600, 4000).
  RecordingQuery win;
  win.from_ms = 2600;
  win.to_ms = 4000;
  auto w = list(*store_, win);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].start_ms, 3000);

  EXPECT_EQ(store_->closed_recordings().size(), 5u);
  EXPECT_EQ(store_->closed_recordings().front().start_ms, 1000);  // oldest first
  EXPECT_EQ(store_->camera_recordings("a").size(), 3u);
  EXPECT_EQ(store_->delete_recordings({page1[0].id, page1[1].id, 999}), 2);
  EXPECT_EQ(store_->closed_recordings().size(), 3u);
}

}  // namespace
}  // namespace camrelay::store
