#include "camrelay/http/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_prefix.hpp>

namespace camrelay::http {
namespace asio = boost::asio;
namespace beast = boost::beast;

asio::awaitable<boost::system::error_code> Stream::handshake(std::shared_ptr<asio::ssl::context> ctx,
                                                             beast::flat_buffer& buffer) {
  if (!tls_) {
    ctx_ = std::move(ctx);
    tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*tcp_), *ctx_);
    tcp_.reset();
  }
  auto op = tls_->async_handshake(asio::ssl::stream_base::server, buffer.data(),
                                  asio::as_tuple(asio::use_awaitable));
  auto [ec, used] = co_await std::move(op);
  buffer.consume(used);
  co_return ec;
}

asio::awaitable<void> Stream::shutdown() {
  boost::system::error_code ec;
  if (tls_) {
    auto op = tls_->async_shutdown(asio::as_tuple(asio::use_awaitable));
    auto [sec] = co_await std::move(op);
    (void)sec;  // a peer that already left: nothing to do
  }
  socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void teardown(beast::role_type role, Stream& s, boost::system::error_code& ec) {
  if (s.tls_) {
    teardown(role, *s.tls_, ec);
  } else {
    teardown(role, *s.tcp_, ec);
  }
}

}  // namespace camrelay::http
