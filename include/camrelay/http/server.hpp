#pragma once
// The embedded HTTP/WebSocket server: one listener per port (main API port and the
// optional signaling port), one coroutine per connection on its own strand.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "camrelay/config/config.hpp"
#include "camrelay/http/router.hpp"
#include "camrelay/http/static_files.hpp"

namespace camrelay::service {
class StreamManager;
}
namespace camrelay::auth {
class Service;
}

namespace camrelay::http {

class RateLimiter;
class ConnectionCounter;

// Takes over a connection whose request is a WebSocket upgrade.
using UpgradeHandler =
    std::function<void(beast::tcp_stream stream, Request req, Params params)>;

class Server {
 public:
  // Every route is checked against `auth` before its handler runs.
  Server(asio::io_context& io, const config::Config& cfg,
         std::shared_ptr<service::StreamManager> manager, std::shared_ptr<auth::Service> auth);
  ~Server();

  // Binds and starts accepting. Throws camrelay::Error(unavailable) if a port is taken.
  void start();
  // Closes the listeners and every open connection. Thread-safe, idempotent.
  void stop();

  Router& router() { return router_; }
  // Registers a WebSocket endpoint (path pattern as in Router).
  void add_upgrade(std::string pattern, Access access, UpgradeHandler h);
  // Registers an endpoint that takes over the connection for a long-lived response
  // (e.g. MJPEG multipart). The handler owns the socket from then on; it must write a
  // complete HTTP response itself and close when done. Matched before normal routes.
  void add_takeover(bhttp::verb method, std::string pattern, Access access, UpgradeHandler h);
  // Every route of the three tables (plain, WebSocket, takeover), for GET /auth/routes.
  struct RouteEntry {
    std::string method;
    std::string pattern;
    Access access;
    std::string kind;  // "http" | "websocket" | "stream"
  };
  std::vector<RouteEntry> route_table() const;
  const std::shared_ptr<auth::Service>& auth() const { return auth_; }
  unsigned short port() const { return port_; }

  struct Conn;

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<void> acceptor, bool signaling_only);
  asio::awaitable<void> serve(std::shared_ptr<Conn> conn, bool signaling_only);
  asio::awaitable<Response> dispatch(const Request& req, const std::string& remote_ip);
  void audit(const Request& req, const Params& p, const Response& res) const;

  asio::io_context& io_;
  const config::Config& cfg_;
  std::shared_ptr<service::StreamManager> manager_;
  std::shared_ptr<auth::Service> auth_;
  std::unique_ptr<RateLimiter> limiter_;         // requests per client IP (http.rate_limit_*)
  std::shared_ptr<ConnectionCounter> per_ip_;    // open connections per client IP (outlives taken-over sockets)
  Router router_;
  Router upgrade_router_;
  std::vector<UpgradeHandler> upgrades_;  // indexed like upgrade_router_'s routes
  Router takeover_router_;
  std::vector<UpgradeHandler> takeovers_;  // indexed like takeover_router_'s routes
  bool web_found_ = false;  // the web root has an index.html (set while files_ is built)
  StaticFiles files_;
  unsigned short port_ = 0;

  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<void>> acceptors_;
  std::unordered_map<Conn*, std::weak_ptr<Conn>> conns_;
};

}  // namespace camrelay::http
