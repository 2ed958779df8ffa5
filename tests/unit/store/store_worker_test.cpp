// The worker thread: ordering, concurrency, failures, the bounded queue.
#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "camrelay/store/store.hpp"
#include "store_test_util.hpp"
#include "worker.hpp"

namespace camrelay::store {
namespace {

using testing::list_streams;
using testing::list_viewers;
using testing::RawDb;
using testing::stream_row;
using testing::TempDir;

class StoreWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("camrelay.db");
    store_ = Store::open(path_);
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreWorker, WritesFromManyThreadsAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
        store_->insert_stream_session(stream_row(id, "cam" + std::to_string(t), "active", i));
        if (i % 2 == 0) store_->update_stream_session(id, "stopped", i + 1, i + 1, std::nullopt);
      }
    });
  }
  for (auto& th : threads) th.join();
  store_->flush();
  EXPECT_TRUE(store_->healthy()) << store_->last_error();
  EXPECT_EQ(store_->dropped_jobs(), 0u);
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM stream_sessions"), kThreads * kPerThread);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM stream_sessions WHERE status = 'stopped'"),
            kThreads * kPerThread / 2);
}

TEST_F(StoreWorker, FlushWaitsForEverythingQueuedBefore) {
  std::vector<int> order;  // only touched on the worker thread until flush returns
  store_->insert_stream_session(stream_row("s1", "cam", "active", 1));
  store_->list_stream_sessions("", 10, [&order](auto rows) {
    order.push_back(static_cast<int>(rows.size()));
  });
  store_->insert_stream_session(stream_row("s2", "cam", "active", 2));
  store_->list_stream_sessions("", 10, [&order](auto rows) {
    order.push_back(static_cast<int>(rows.size()));
  });
  store_->update_stream_session("s1", "stopped", 3, 3, std::nullopt);
  store_->flush();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));  // each read saw exactly the writes before it
  RawDb raw(path_);  // and the data is visible to another connection
  EXPECT_EQ(raw.text("SELECT status FROM stream_sessions WHERE session_id = 's1'"), "stopped");
}

TEST_F(StoreWorker, FlushAndListFromInsideACallbackDoNotDeadlock) {
  std::promise<int> nested;
  store_->list_stream_sessions("", 10, [this, &nested](auto) {
    store_->flush();  // on the worker thread: returns at once
    store_->insert_stream_session(stream_row("inner", "cam", "active", 1));
    store_->list_stream_sessions("", 10, [&nested](auto rows) {
      nested.set_value(static_cast<int>(rows.size()));
    });
  });
  auto fut = nested.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(fut.get(), 1);
}

TEST_F(StoreWorker, ThrowingCallbackDoesNotBreakTheWorker) {
  store_->list_stream_sessions("", 10, [](auto) { throw std::runtime_error("boom"); });
  store_->list_viewer_sessions("", false, 10, [](auto) { throw 42; });  // not std::exception
  store_->insert_stream_session(stream_row("s1", "cam", "active", 1));
  const auto rows = list_streams(*store_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(list_viewers(*store_).empty());
  EXPECT_TRUE(store_->healthy()) << store_->last_error();  // a callback is not a db failure
}

TEST_F(StoreWorker, FailedStatementMarksUnhealthyUntilAWriteSucceeds) {
  EXPECT_TRUE(store_->healthy());
  EXPECT_EQ(store_->last_error(), "");
  store_->insert_stream_session(stream_row("dup", "cam", "active", 1));
  store_->insert_stream_session(stream_row("dup", "cam", "active", 2));  // primary key clash
  store_->flush();
  EXPECT_FALSE(store_->healthy());
  const auto err = store_->last_error();
  EXPECT_NE(err.find("insert_stream_session"), std::string::npos) << err;
  EXPECT_NE(err.find("UNIQUE constraint failed"), std::string::npos) << err;
  // The worker goes on; the first row is intact.
  ASSERT_EQ(list_streams(*store_).size(), 1u);
  EXPECT_EQ(list_streams(*store_)[0].created_at, 1);
  EXPECT_FALSE(store_->healthy());  // a successful read does not clear it

  store_->insert_stream_session(stream_row("other", "cam", "active", 3));
  store_->flush();
  EXPECT_TRUE(store_->healthy());
  EXPECT_EQ(store_->last_error(), err);  // the last error stays available
}

TEST_F(StoreWorker, ForeignKeyViolationIsAFailure) {
  store_->insert_viewer_session(testing::viewer_row("v1", "no-such-session", "cam", 1));
  store_->flush();
  EXPECT_FALSE(store_->healthy());
  EXPECT_NE(store_->last_error().find("FOREIGN KEY"), std::string::npos) << store_->last_error();
}

TEST_F(StoreWorker, DestructorDrainsTheQueue) {
  for (int i = 0; i < 500; ++i) {
    store_->insert_stream_session(stream_row("s" + std::to_string(i), "cam", "active", i));
  }
  store_.reset();  // no flush
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM stream_sessions"), 500);
}

TEST_F(StoreWorker, FullQueueDropsWritesAndAnswersReadsEmpty) {
  // Hold the worker inside a callback so nothing is dequeued.
  std::promise<void> entered, release;
  auto release_fut = release.get_future().share();
  store_->list_stream_sessions("", 1, [&entered, release_fut](auto) {
    entered.set_value();
    release_fut.wait();
  });
  entered.get_future().wait();

  const auto capacity = detail::Worker::kDefaultCapacity;
  for (std::size_t i = 0; i < capacity; ++i) {
    store_->insert_stream_session(stream_row("s" + std::to_string(i), "cam", "active", 1));
  }
  EXPECT_EQ(store_->dropped_jobs(), 0u);
  store_->insert_stream_session(stream_row("dropped", "cam", "active", 1));
  EXPECT_EQ(store_->dropped_jobs(), 1u);

  bool called = false;
  std::thread::id caller;
  store_->list_stream_sessions("", 10, [&](auto rows) {
    called = true;
    caller = std::this_thread::get_id();
    EXPECT_TRUE(rows.empty());
  });
  EXPECT_TRUE(called);  // synchronously, on this thread
  EXPECT_EQ(caller, std::this_thread::get_id());
  EXPECT_EQ(store_->dropped_jobs(), 2u);
  // A throwing callback on the full-queue path is contained too.
  EXPECT_NO_THROW(store_->list_viewer_sessions("", false, 1, [](auto) { throw 1; }));

  release.set_value();
  store_->flush();  // flush still works with a full queue
  EXPECT_TRUE(store_->healthy()) << store_->last_error();
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM stream_sessions"),
            static_cast<std::int64_t>(capacity));
  EXPECT_TRUE(raw.column("SELECT 1 FROM stream_sessions WHERE session_id = 'dropped'").empty());
}

// ---- the Worker on its own (no database needed) ----

TEST(Worker, RunsJobsInOrderAndSurvivesThrowingJobs) {
  std::vector<int> seen;
  detail::Worker w(nullptr, 100);
  w.post([&](sqlite3*) { seen.push_back(1); });
  w.post([](sqlite3*) { throw std::runtime_error("job failed"); });
  w.post([&](sqlite3*) { seen.push_back(2); });
  w.post([](sqlite3*) { throw "not an exception class"; });
  w.post([&](sqlite3*) { seen.push_back(3); });
  w.flush();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(Worker, BoundedQueueRejectsWhenFullAndDrainsOnDestruction) {
  std::atomic<int> ran{0};
  std::promise<void> entered, release;
  auto release_fut = release.get_future();
  {
    detail::Worker w(nullptr, 3);
    EXPECT_EQ(w.capacity(), 3u);
    ASSERT_TRUE(w.post([&](sqlite3*) {
      entered.set_value();
      release_fut.wait();
    }));
    entered.get_future().wait();  // the blocker is running, the queue is empty
    EXPECT_TRUE(w.post([&](sqlite3*) { ++ran; }));
    EXPECT_TRUE(w.post([&](sqlite3*) { ++ran; }));
    EXPECT_TRUE(w.post([&](sqlite3*) { ++ran; }));
    EXPECT_FALSE(w.post([&](sqlite3*) { ++ran; }));
    EXPECT_FALSE(w.post([&](sqlite3*) { ++ran; }));
    EXPECT_EQ(w.dropped(), 2u);
    w.post_unbounded([&](sqlite3*) { ++ran; });  // ignores the bound
    release.set_value();
  }  // destructor: runs what is queued, then joins
  EXPECT_EQ(ran.load(), 4);
}

TEST(Worker, FlushFromManyThreads) {
  std::atomic<int> ran{0};
  detail::Worker w(nullptr, 100000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        w.post([&](sqlite3*) { ++ran; });
        if (i % 10 == 0) w.flush();
      }
      w.flush();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ran.load(), 400);
}

TEST(StoreWorkerTick, TickRunsWhenNothingIsQueued) {
  detail::Worker w(nullptr);
  std::atomic<int> ticks{0};
  w.set_tick(std::chrono::milliseconds(20), [&](sqlite3*) { ticks.fetch_add(1); });
  const auto t0 = std::chrono::steady_clock::now();
  while (ticks.load() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(ticks.load(), 3);
  // Jobs still run in order with a tick set.
  std::vector<int> seen;
  w.post([&](sqlite3*) { seen.push_back(1); });
  w.post([&](sqlite3*) { seen.push_back(2); });
  w.flush();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

// A steady trickle of jobs, each arriving before the tick's period has passed in idleness,
// must not postpone the tick: it runs on elapsed time (the database worker gets a poll
// every few seconds, and writes waiting for disk space were never retried).
TEST(StoreWorkerTick, TickRunsUnderASteadyTrickleOfJobs) {
  detail::Worker w(nullptr);
  std::atomic<int> ticks{0};
  w.set_tick(std::chrono::milliseconds(60), [&](sqlite3*) { ticks.fetch_add(1); });
  const auto t0 = std::chrono::steady_clock::now();
  while (ticks.load() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    w.post([](sqlite3*) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(ticks.load(), 3);
}

}  // namespace
}  // namespace camrelay::store
