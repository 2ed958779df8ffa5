// Cameras, stream sessions, viewer sessions and crash recovery.
#include <string>

#include <gtest/gtest.h>

#include "camrelay/store/store.hpp"
#include "store_test_util.hpp"

namespace camrelay::store {
namespace {

using testing::list_streams;
using testing::list_viewers;
using testing::RawDb;
using testing::stream_row;
using testing::TempDir;
using testing::viewer_row;

class StoreData : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("camrelay.db");
    store_ = Store::open(path_);
  }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->healthy()) << store_->last_error();
    }
    store_.reset();
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreData, StreamSessionRoundTrip) {
  auto full = stream_row("s-full", "cam1", "stopped", 1000);
  full.rtp_endpoint_id = "udpsrc0";
  full.webrtc_endpoint_id = "unused";
  full.updated_at = 1010;
  full.ended_at = 1010;
  full.error_message = "camera unplugged";
  full.min_kbps = 150;
  full.max_kbps = 2500;
  auto bare = stream_row("s-bare", "cam1", "starting", 2000);
  bare.pipeline_id.clear();
  bare.stream_id.clear();
  store_->insert_stream_session(full);
  store_->insert_stream_session(bare);

  const auto rows = list_streams(*store_);
  ASSERT_EQ(rows.size(), 2u);
  const auto& b = rows[0];  // newest first
  const auto& f = rows[1];
  EXPECT_EQ(f.session_id, "s-full");
  EXPECT_EQ(f.camera_id, "cam1");
  EXPECT_EQ(f.pipeline_id, "pipe-s-full");
  EXPECT_EQ(f.rtp_endpoint_id, "udpsrc0");
  EXPECT_EQ(f.webrtc_endpoint_id, "unused");
  EXPECT_EQ(f.stream_id, "cam1");
  EXPECT_EQ(f.status, "stopped");
  EXPECT_EQ(f.created_at, 1000);
  EXPECT_EQ(f.updated_at, 1010);
  EXPECT_EQ(f.ended_at, 1010);
  EXPECT_EQ(f.error_message, "camera unplugged");
  EXPECT_EQ(f.min_kbps, 150);
  EXPECT_EQ(f.max_kbps, 2500);

  EXPECT_EQ(b.session_id, "s-bare");
  EXPECT_EQ(b.status, "starting");
  EXPECT_EQ(b.pipeline_id, "");
  EXPECT_EQ(b.rtp_endpoint_id, "");
  EXPECT_EQ(b.stream_id, "");
  EXPECT_FALSE(b.ended_at.has_value());
  EXPECT_FALSE(b.error_message.has_value());

  store_->flush();
  RawDb raw(path_);
  EXPECT_EQ(raw.text("SELECT ended_at FROM stream_sessions WHERE session_id = 's-bare'"),
            "<null>");
}

TEST_F(StoreData, UpdateStreamSessionKeepsUnsetOptionals) {
  store_->insert_stream_session(stream_row("s1", "cam1", "starting", 100));

  store_->update_stream_session("s1", "active", 110, std::nullopt, std::nullopt);
  auto r = list_streams(*store_).at(0);
  EXPECT_EQ(r.status, "active");
  EXPECT_EQ(r.updated_at, 110);
  EXPECT_FALSE(r.ended_at.has_value());
  EXPECT_FALSE(r.error_message.has_value());

  store_->update_stream_session("s1", "reconnecting", 120, std::nullopt, "source timeout");
  r = list_streams(*store_).at(0);
  EXPECT_EQ(r.status, "reconnecting");
  EXPECT_EQ(r.updated_at, 120);
  EXPECT_FALSE(r.ended_at.has_value());
  EXPECT_EQ(r.error_message, "source timeout");

  store_->update_stream_session("s1", "stopped", 130, 130, std::nullopt);
  r = list_streams(*store_).at(0);
  EXPECT_EQ(r.status, "stopped");
  EXPECT_EQ(r.updated_at, 130);
  EXPECT_EQ(r.ended_at, 130);
  EXPECT_EQ(r.error_message, "source timeout");  // previous value kept

  store_->update_stream_session("s1", "stopped", 140, std::nullopt, std::nullopt);
  r = list_streams(*store_).at(0);
  EXPECT_EQ(r.updated_at, 140);
  EXPECT_EQ(r.ended_at, 130);
  EXPECT_EQ(r.error_message, "source timeout");
  EXPECT_EQ(r.created_at, 100);

  // Unknown session: nothing changes, and it is not a database failure.
  store_->update_stream_session("nope", "stopped", 150, 150, "x");
  store_->flush();
  EXPECT_EQ(list_streams(*store_).size(), 1u);
}

TEST_F(StoreData, ViewerInsertAndClose) {
  store_->insert_stream_session(stream_row("s1", "cam1", "active", 100));
  store_->insert_viewer_session(viewer_row("v1", "s1", "cam1", 105));
  store_->insert_viewer_session(viewer_row("v2", "s1", "cam1", 106));

  auto open = list_viewers(*store_, "", true);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].viewer_id, "v2");
  const auto& v1 = open[1];
  EXPECT_EQ(v1.viewer_id, "v1");
  EXPECT_EQ(v1.stream_session_id, "s1");
  EXPECT_EQ(v1.camera_id, "cam1");
  EXPECT_EQ(v1.webrtc_endpoint_id, "webrtcbin-v1");
  EXPECT_EQ(v1.kind, "whep");
  EXPECT_EQ(v1.user_agent, "test-agent/1.0");
  EXPECT_EQ(v1.ip_address, "192.0.2.7");
  EXPECT_EQ(v1.connected_at, 105);
  EXPECT_FALSE(v1.disconnected_at.has_value());
  EXPECT_FALSE(v1.close_reason.has_value());

  store_->close_viewer_session("v1", 200, "peer left");
  open = list_viewers(*store_, "", true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].viewer_id, "v2");

  // A second close does not overwrite the first.
  store_->close_viewer_session("v1", 300, "again");
  const auto all = list_viewers(*store_, "", false);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].viewer_id, "v1");
  EXPECT_EQ(all[1].disconnected_at, 200);
  EXPECT_EQ(all[1].close_reason, "peer left");
}

TEST_F(StoreData, ViewerWithoutStreamSessionIsStoredWithNullReference) {
  store_->insert_viewer_session(viewer_row("v1", "", "cam1", 5));
  const auto rows = list_viewers(*store_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].stream_session_id, "");
  RawDb raw(path_);
  EXPECT_EQ(raw.text("SELECT stream_session_id FROM viewer_sessions"), "<null>");
}

TEST_F(StoreData, ListsAreNewestFirstFilteredAndClamped) {
  store_->insert_stream_session(stream_row("a1", "camA", "stopped", 10));
  store_->insert_stream_session(stream_row("b1", "camB", "stopped", 20));
  store_->insert_stream_session(stream_row("a2", "camA", "stopped", 30));
  store_->insert_stream_session(stream_row("a3", "camA", "stopped", 30));  // tie: later insert first

  auto ids = [](const std::vector<StreamSessionRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.session_id);
    return out;
  };
  EXPECT_EQ(ids(list_streams(*store_)), (std::vector<std::string>{"a3", "a2", "b1", "a1"}));
  EXPECT_EQ(ids(list_streams(*store_, "camA")), (std::vector<std::string>{"a3", "a2", "a1"}));
  EXPECT_EQ(ids(list_streams(*store_, "camB")), (std::vector<std::string>{"b1"}));
  EXPECT_TRUE(list_streams(*store_, "camC").empty());
  EXPECT_EQ(ids(list_streams(*store_, "", 2)), (std::vector<std::string>{"a3", "a2"}));
  EXPECT_EQ(list_streams(*store_, "", 0).size(), 1u);   // clamped up to 1
  EXPECT_EQ(list_streams(*store_, "", -5).size(), 1u);
  EXPECT_EQ(list_streams(*store_, "", 1'000'000).size(), 4u);
}

TEST_F(StoreData, ListLimitIsCappedAtOneThousand) {
  for (int i = 0; i < 1005; ++i) {
    store_->insert_stream_session(stream_row("s" + std::to_string(i), "cam", "stopped", i));
  }
  const auto rows = list_streams(*store_, "", 5000);
  ASSERT_EQ(rows.size(), 1000u);
  EXPECT_EQ(rows.front().session_id, "s1004");
}

TEST_F(StoreData, ViewerListFilters) {
  store_->insert_stream_session(stream_row("sa", "camA", "active", 1));
  store_->insert_stream_session(stream_row("sb", "camB", "active", 1));
  store_->insert_viewer_session(viewer_row("va1", "sa", "camA", 10));
  store_->insert_viewer_session(viewer_row("vb1", "sb", "camB", 11));
  store_->insert_viewer_session(viewer_row("va2", "sa", "camA", 12));
  store_->close_viewer_session("va1", 20, "bye");

  auto ids = [](const std::vector<ViewerSessionRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.viewer_id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(list_viewers(*store_, "", false)), (V{"va2", "vb1", "va1"}));
  EXPECT_EQ(ids(list_viewers(*store_, "", true)), (V{"va2", "vb1"}));
  EXPECT_EQ(ids(list_viewers(*store_, "camA", false)), (V{"va2", "va1"}));
  EXPECT_EQ(ids(list_viewers(*store_, "camA", true)), (V{"va2"}));
  EXPECT_EQ(ids(list_viewers(*store_, "camA", false, 1)), (V{"va2"}));
  EXPECT_EQ(list_viewers(*store_, "camA", false, 0).size(), 1u);
}

TEST_F(StoreData, SyncCamerasUpsertsAndKeepsCreatedAt) {
  store_->sync_cameras({{"cam1", "Front door", "rtsp", R"({"url":"rtsp://x"})"},
                        {"cam2", "Garage", "test", ""}});
  store_->flush();
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM cameras"), 2);
  EXPECT_EQ(raw.text("SELECT config_json FROM cameras WHERE id = 'cam2'"), "{}");
  EXPECT_GT(raw.integer("SELECT created_at FROM cameras WHERE id = 'cam1'"), 0);
  // Pretend the rows are old, then sync again with cam1 changed and cam2 removed.
  raw.exec("UPDATE cameras SET created_at = 1, updated_at = 1");
  store_->sync_cameras({{"cam1", "Front door (new)", "rtp", R"({"port":5004})"},
                        {"cam3", "Yard", "v4l2", "{}"}});
  store_->flush();
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM cameras"), 3);  // cam2 kept
  EXPECT_EQ(raw.text("SELECT name FROM cameras WHERE id = 'cam1'"), "Front door (new)");
  EXPECT_EQ(raw.text("SELECT source_type FROM cameras WHERE id = 'cam1'"), "rtp");
  EXPECT_EQ(raw.text("SELECT config_json FROM cameras WHERE id = 'cam1'"), R"({"port":5004})");
  EXPECT_EQ(raw.integer("SELECT created_at FROM cameras WHERE id = 'cam1'"), 1);
  EXPECT_GT(raw.integer("SELECT updated_at FROM cameras WHERE id = 'cam1'"), 1);
  EXPECT_EQ(raw.text("SELECT name FROM cameras WHERE id = 'cam2'"), "Garage");
  EXPECT_EQ(raw.integer("SELECT updated_at FROM cameras WHERE id = 'cam2'"), 1);
  // An unchanged camera keeps its updated_at.
  store_->sync_cameras({{"cam1", "Front door (new)", "rtp", R"({"port":5004})"}});
  raw.exec("UPDATE cameras SET updated_at = 2 WHERE id = 'cam1'");
  store_->sync_cameras({{"cam1", "Front door (new)", "rtp", R"({"port":5004})"}});
  store_->flush();
  EXPECT_EQ(raw.integer("SELECT updated_at FROM cameras WHERE id = 'cam1'"), 2);
}

TEST_F(StoreData, CrashRecoveryClosesStaleSessions) {
  store_->insert_stream_session(stream_row("s-starting", "cam1", "starting", 10));
  store_->insert_stream_session(stream_row("s-active", "cam2", "active", 11));
  auto stopped = stream_row("s-stopped", "cam3", "stopped", 12);
  stopped.ended_at = 50;
  stopped.updated_at = 50;
  store_->insert_stream_session(stopped);
  store_->insert_viewer_session(viewer_row("v-open", "s-active", "cam2", 20));
  auto closed = viewer_row("v-closed", "s-active", "cam2", 15);
  closed.disconnected_at = 18;
  closed.close_reason = "peer left";
  store_->insert_viewer_session(closed);
  store_.reset();  // "crash": the daemon never marked anything as ended

  store_ = Store::open(path_);
  EXPECT_EQ(store_->recover_stale_sessions(1000), 2);

  for (const auto& r : list_streams(*store_)) {
    if (r.session_id == "s-stopped") {
      EXPECT_EQ(r.status, "stopped");
      EXPECT_EQ(r.ended_at, 50);
      EXPECT_EQ(r.updated_at, 50);
      EXPECT_FALSE(r.error_message.has_value());
    } else {
      EXPECT_EQ(r.status, "error") << r.session_id;
      EXPECT_EQ(r.error_message, "daemon restarted") << r.session_id;
      EXPECT_EQ(r.ended_at, 1000) << r.session_id;
      EXPECT_EQ(r.updated_at, 1000) << r.session_id;
    }
  }
  EXPECT_TRUE(list_viewers(*store_, "", true).empty());
  for (const auto& v : list_viewers(*store_)) {
    if (v.viewer_id == "v-open") {
      EXPECT_EQ(v.disconnected_at, 1000);
      EXPECT_EQ(v.close_reason, "daemon restarted");
    } else {
      EXPECT_EQ(v.disconnected_at, 18);
      EXPECT_EQ(v.close_reason, "peer left");
    }
  }
  EXPECT_EQ(store_->recover_stale_sessions(2000), 0);  // nothing left to recover
}

TEST_F(StoreData, CrashRecoveryCoversReconnectingAndStopping) {
  store_->insert_stream_session(stream_row("s1", "cam1", "reconnecting", 10));
  store_->insert_stream_session(stream_row("s2", "cam2", "stopping", 10));
  store_->insert_stream_session(stream_row("s3", "cam3", "error", 10));
  EXPECT_EQ(store_->recover_stale_sessions(99), 2);  // runs after the queued inserts
  for (const auto& r : list_streams(*store_)) {
    EXPECT_EQ(r.status, "error");
    EXPECT_EQ(r.ended_at.has_value(), r.session_id != "s3");
  }
}

}  // namespace
}  // namespace camrelay::store
