#pragma once
// Turns a callback-style service call (Reply<T>) into an awaitable that resumes the
// calling coroutine on its own executor, rethrowing the service's exception if any.
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>

#include "camrelay/service/stream_manager.hpp"

namespace camrelay::http {

// Call sites: build the awaitable in one statement and co_await the named local in the
// next. GCC 12 destroys temporaries inside a co_await expression twice.
// (Not a coroutine itself, for the same reason.)
template <class T, class Start>
boost::asio::awaitable<T> await_reply(Start start) {
  namespace asio = boost::asio;
  return asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::exception_ptr, T)>(
      [start = std::move(start)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([h](std::exception_ptr e, T v) {
          auto ex = asio::get_associated_executor(*h);
          asio::dispatch(ex, [h, e, v = std::move(v)]() mutable { (*h)(e, std::move(v)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace camrelay::http
