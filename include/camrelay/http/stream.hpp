#pragma once
// One client connection, plain TCP or TLS (HTTPS/WSS), behind one type: the HTTP loop, the
// WebSocket sessions and the MJPEG writers are written once for both. The choice is made per
// connection at run time (a TLS port upgrades the connection after its first bytes), so this
// is a small run-time switch, not a template parameter threaded through every handler.
//
// It models Asio's AsyncReadStream/AsyncWriteStream: both branches of each operation return
// the same type for a given completion token (the result type depends only on the token and
// the signature), so a coroutine `co_await`s it the same way whichever branch runs.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <memory>
#include <utility>

namespace camrelay::http {

class Stream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;

  explicit Stream(boost::beast::tcp_stream tcp)
      : tcp_(std::make_unique<boost::beast::tcp_stream>(std::move(tcp))) {}
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;

  executor_type get_executor() noexcept { return lowest().get_executor(); }
  boost::beast::tcp_stream& lowest() noexcept { return tls_ ? tls_->next_layer() : *tcp_; }
  boost::asio::ip::tcp::socket& socket() noexcept { return lowest().socket(); }
  template <class Duration>
  void expires_after(Duration d) {
    lowest().expires_after(d);
  }
  void expires_never() { lowest().expires_never(); }
  // Closes the socket (no TLS close_notify; see shutdown()).
  void close() { lowest().close(); }
  bool secure() const noexcept { return tls_ != nullptr; }

  // Wraps the connection in TLS and runs the server handshake. `buffer` holds bytes already
  // read from the socket (the start of the ClientHello, read to tell TLS from plain HTTP);
  // they are handed to the handshake and consumed. The context is kept alive as long as the
  // connection (a certificate reload swaps the server's context, not this one).
  boost::asio::awaitable<boost::system::error_code> handshake(std::shared_ptr<boost::asio::ssl::context> ctx,
                                                              boost::beast::flat_buffer& buffer);
  // Sends the TLS close_notify (bounded by the stream's timeout) and shuts the sending side;
  // on a plain connection only the latter.
  boost::asio::awaitable<void> shutdown();

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<ReadHandler>(handler));
    return tcp_->async_read_some(buffers, std::forward<ReadHandler>(handler));
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<WriteHandler>(handler));
    return tcp_->async_write_some(buffers, std::forward<WriteHandler>(handler));
  }

 private:
  friend void teardown(boost::beast::role_type role, Stream& s, boost::system::error_code& ec);
  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role, Stream& s, TeardownHandler&& handler);

  std::unique_ptr<boost::beast::tcp_stream> tcp_;  // moved into tls_ when TLS starts
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
};

// Beast's hooks for a Stream, found through argument-dependent lookup: closing the socket
// (a WebSocket timeout) and tearing a WebSocket connection down.
inline void beast_close_socket(Stream& s) { s.close(); }

void teardown(boost::beast::role_type role, Stream& s, boost::system::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, Stream& s, TeardownHandler&& handler) {
  if (s.tls_) {
    async_teardown(role, *s.tls_, std::forward<TeardownHandler>(handler));
  } else {
    async_teardown(role, *s.tcp_, std::forward<TeardownHandler>(handler));
  }
}

}  // namespace camrelay::http
