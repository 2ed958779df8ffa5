#pragma once
// Blocking work of the HTTP layer (password hashing, calls to ONVIF cameras, discovery
// waits) runs on a few threads of its own, never on a network thread: a coroutine awaits
// its result. The pool is joined when it is destroyed (the routes go at shutdown).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <utility>

#include "await_reply.hpp"

namespace camrelay::http {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads) : pool_(threads) {}
  ~WorkerPool() { pool_.join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // fn() on a pool thread; its value, or its exception rethrown in the awaiting coroutine.
  template <class T, class F>
  boost::asio::awaitable<T> run(F fn) {
    auto op = await_reply<T>([this, fn = std::move(fn)](std::function<void(std::exception_ptr, T)> cb) mutable {
      boost::asio::post(pool_, [fn = std::move(fn), cb = std::move(cb)]() mutable {
        T v{};
        std::exception_ptr e;
        try {
          v = fn();
        } catch (...) {
          e = std::current_exception();
        }
        cb(e, std::move(v));
      });
    });
    return op;
  }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace camrelay::http
