#pragma once
// A connection coroutine's wait for "something changed" (a new HLS segment, a new MJPEG
// picture), woken from any thread without losing a wake-up: the callback posts to the
// coroutine's executor (the connection's strand), where a wake-up that comes while the
// coroutine is busy is remembered and ends the next wait at once.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace camrelay::http {

class Waker : public std::enable_shared_from_this<Waker> {
 public:
  // `ex` must be the executor (strand) of the coroutine that waits.
  static std::shared_ptr<Waker> create(boost::asio::any_io_executor ex) {
    return std::shared_ptr<Waker>(new Waker(std::move(ex)));
  }
  // For producers on other threads; harmless after the waiter is gone.
  std::function<void()> callback() {
    return [w = weak_from_this(), ex = ex_] {
      boost::asio::post(ex, [w] {
        if (auto s = w.lock()) s->wake();
      });
    };
  }
  // On the waiter's strand.
  void wake() {
    pending_ = true;
    timer_.cancel();
  }
  // Returns when woken (now, if woken since the last wait) or at `deadline`.
  boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline) {
    if (!pending_) {
      timer_.expires_at(deadline);
      auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
    }
    pending_ = false;
  }

 private:
  explicit Waker(boost::asio::any_io_executor ex) : ex_(ex), timer_(std::move(ex)) {}
  boost::asio::any_io_executor ex_;
  boost::asio::steady_timer timer_;
  bool pending_ = false;
};

// Keeps a Waker subscribed to one output at a time (anything with subscribe(wake) → id and
// unsubscribe(id): HlsOutput, MjpegOutput); follows a replaced output and unsubscribes when
// it goes.
template <class Output>
class OutputWatch {
 public:
  explicit OutputWatch(std::shared_ptr<Waker> waker) : waker_(std::move(waker)) {}
  ~OutputWatch() { reset(); }
  OutputWatch(const OutputWatch&) = delete;
  OutputWatch& operator=(const OutputWatch&) = delete;

  // Watches `out` from now on (a no-op if it is the one watched); returns it.
  const std::shared_ptr<Output>& watch(std::shared_ptr<Output> out) {
    if (out != out_) {
      reset();
      out_ = std::move(out);
      if (out_) sub_ = out_->subscribe(waker_->callback());
    }
    return out_;
  }
  void reset() {
    if (out_ && sub_) out_->unsubscribe(sub_);
    out_.reset();
    sub_ = 0;
  }

 private:
  std::shared_ptr<Waker> waker_;
  std::shared_ptr<Output> out_;
  std::uint64_t sub_ = 0;
};

}  // namespace camrelay::http
