// gst::MainLoop and gst::LoopPool: posted work runs on the loop's own thread, one thread per
// pool key, and a loop destroyed from its own thread (the last reference to its owner
// dropped in one of its callbacks) does not abort the process by joining itself.
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "camrelay/gst/main_loop.hpp"

namespace {
using camrelay::gst::LoopPool;
using camrelay::gst::MainLoop;

std::string thread_name() {
  char buf[16] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

TEST(MainLoop, PostedWorkRunsOnTheNamedLoopThread) {
  MainLoop loop("unit-loop");
  std::promise<std::pair<bool, std::string>> p;
  loop.post([&] { p.set_value({loop.in_loop_thread(), thread_name()}); });
  auto [inside, name] = p.get_future().get();
  EXPECT_TRUE(inside);
  EXPECT_EQ(name, "unit-loop");
  EXPECT_FALSE(loop.in_loop_thread());
}

TEST(LoopPool, OneThreadPerKeyKeptAcrossCalls) {
  LoopPool pool;
  MainLoop& a = pool.get("a");
  MainLoop& b = pool.get("front-door-camera");
  EXPECT_EQ(&a, &pool.get("a"));
  EXPECT_NE(&a, &b);
  std::promise<std::string> pa, pb;
  a.post([&] { pa.set_value(thread_name()); });
  b.post([&] { pb.set_value(thread_name()); });
  EXPECT_EQ(pa.get_future().get(), "cam:a");
  EXPECT_EQ(pb.get_future().get(), "cam:front-door-");
}

TEST(MainLoop, DestroyedOnItsOwnThreadDoesNotAbort) {
  auto* loop = new MainLoop("self-destroy");
  std::promise<void> done;
  loop->post([&] {
    delete loop;  // would join itself: std::system_error "Resource deadlock avoided"
    done.set_value();
  });
  EXPECT_EQ(done.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
