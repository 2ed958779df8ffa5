#pragma once
// The store's single database thread: a bounded FIFO of jobs, each receiving the
// connection. Jobs run in posting order; a job that throws is logged and skipped.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <sqlite3.h>

namespace spdlog {
class logger;
}

namespace camrelay::store::detail {

class Worker {
 public:
  using Job = std::function<void(sqlite3*)>;
  static constexpr std::size_t kDefaultCapacity = 10000;

  // Starts the thread. db is only touched by that thread from now on (may be null in tests).
  Worker(sqlite3* db, std::size_t capacity = kDefaultCapacity);
  // Runs every job still queued, then joins.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues a job; returns false (and counts a drop) if the queue is full.
  bool post(Job job);
  // Queues a job even when the queue is full (for the few callers that then block on it:
  // flush and synchronous calls), so waiting never depends on free space.
  void post_unbounded(Job job);
  // Blocks until every job queued before the call has run.
  void flush();
  // True when called from the worker thread itself.
  bool on_worker_thread() const;

  std::uint64_t dropped() const;
  std::size_t capacity() const { return capacity_; }
  // Runs `tick` on the worker thread every `every` (between jobs, whether or not the queue
  // is busy), for retrying writes that wait for disk space. Set once, after construction.
  void set_tick(std::chrono::milliseconds every, Job tick);

 private:
  void run();

  sqlite3* db_;
  const std::size_t capacity_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::uint64_t dropped_ = 0;
  std::chrono::milliseconds tick_every_{0};
  Job tick_;
  std::thread thread_;  // last: started after everything else is initialised
};

}  // namespace camrelay::store::detail
