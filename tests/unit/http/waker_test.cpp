// Waker (src/http/waker.hpp): a wait ends when woken from another thread, long before its
// deadline, and a wake-up that comes while nobody waits is not lost.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <thread>

#include "waker.hpp"

namespace {
namespace asio = boost::asio;
using camrelay::http::Waker;
using Clock = std::chrono::steady_clock;

TEST(Waker, WokenFromAnotherThreadBeforeTheDeadline) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  auto w = Waker::create(strand);
  Clock::duration waited{};
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        const auto t0 = Clock::now();
        auto op = w->wait_until(t0 + std::chrono::seconds(10));
        co_await std::move(op);
        waited = Clock::now() - t0;
      },
      asio::detached);
  std::thread producer([cb = w->callback()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cb();
  });
  io.run();
  producer.join();
  EXPECT_GE(waited, std::chrono::milliseconds(40));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(Waker, AWakeUpWhileNobodyWaitsEndsTheNextWaitAtOnce) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  auto w = Waker::create(strand);
  Clock::duration first{}, second{};
  w->callback()();  // posted: runs before the coroutine starts waiting
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        auto t0 = Clock::now();
        auto op1 = w->wait_until(t0 + std::chrono::seconds(10));
        co_await std::move(op1);
        first = Clock::now() - t0;
        // Consumed: the next wait runs to its deadline.
        t0 = Clock::now();
        auto op2 = w->wait_until(t0 + std::chrono::milliseconds(100));
        co_await std::move(op2);
        second = Clock::now() - t0;
      },
      asio::detached);
  io.run();
  EXPECT_LT(first, std::chrono::seconds(1));
  EXPECT_GE(second, std::chrono::milliseconds(90));
}

TEST(Waker, CallbackAfterTheWaiterIsGoneIsHarmless) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  auto cb = Waker::create(strand)->callback();
  cb();
  EXPECT_NO_THROW(io.run());
}

}  // namespace
