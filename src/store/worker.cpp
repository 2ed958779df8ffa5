#include "worker.hpp"

#include <exception>
#include <future>

#include "camrelay/util/log.hpp"

namespace camrelay::store::detail {

Worker::Worker(sqlite3* db, std::size_t capacity)
    : db_(db), capacity_(capacity == 0 ? 1 : capacity), log_(log::get("store")) {
  thread_ = std::thread([this] { run(); });
}

Worker::~Worker() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Worker::post(Job job) {
  std::uint64_t dropped = 0;
  {
    std::lock_guard lk(mu_);
    if (!stopping_ && queue_.size() < capacity_) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return true;
    }
    dropped = ++dropped_;
  }
  // Under sustained overload, log the first drop and then every 1000th.
  if (dropped == 1 || dropped % 1000 == 0) {
    log_->error("database queue full ({} jobs): dropping work ({} dropped so far)", capacity_,
                dropped);
  }
  return false;
}

void Worker::post_unbounded(Job job) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Worker::flush() {
  if (on_worker_thread()) return;  // everything earlier has already run
  std::promise<void> done;
  auto fut = done.get_future();
  post_unbounded([&done](sqlite3*) { done.set_value(); });
  fut.wait();
}

bool Worker::on_worker_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

std::uint64_t Worker::dropped() const {
  std::lock_guard lk(mu_);
  return dropped_;
}

void Worker::set_tick(std::chrono::milliseconds every, Job tick) {
  {
    std::lock_guard lk(mu_);
    tick_every_ = every;
    tick_ = std::move(tick);
  }
  cv_.notify_all();  // the thread may be waiting without a timeout
}

void Worker::run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_tick{};
  for (;;) {
    Job job;
    {
      std::unique_lock lk(mu_);
      const auto ready = [this] { return stopping_ || !queue_.empty(); };
      if (tick_) {
        // The tick runs on elapsed time, not only when idle: a steady trickle of jobs (a
        // poll every few seconds) must not postpone it forever.
        if (next_tick == Clock::time_point{}) next_tick = Clock::now() + tick_every_;
        cv_.wait_until(lk, next_tick, ready);
        if (Clock::now() >= next_tick && !(stopping_ && queue_.empty())) {
          job = tick_;
          next_tick = Clock::now() + tick_every_;
        }
      } else {
        cv_.wait(lk, [&] { return ready() || tick_; });
        if (!ready()) continue;  // a tick was set: wait again, with its timeout
      }
      if (!job) {
        if (queue_.empty()) {
          if (stopping_) return;  // stopping and drained
          continue;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    try {
      job(db_);
    } catch (const std::exception& e) {
      log_->error("database job failed: {}", e.what());
    } catch (...) {
      log_->error("database job failed with an unknown exception");
    }
  }
}

}  // namespace camrelay::store::detail
