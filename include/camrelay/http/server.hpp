#pragma once
// The embedded HTTP/WebSocket server: one listener per port (main API port and the
// optional signaling port), one coroutine per connection on its own strand.
#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "camrelay/config/config.hpp"
#include "camrelay/http/router.hpp"
#include "camrelay/http/static_files.hpp"
#include "camrelay/http/stream.hpp"

namespace camrelay::service {
class CameraCatalog;
class StreamManager;
}
namespace camrelay::metrics {
class Metrics;
}
namespace camrelay::auth {
class Service;
}

namespace camrelay::http {

class RateLimiter;
class ConnectionCounter;
class TlsContext;

// Takes over a connection whose request is a WebSocket upgrade.
using UpgradeHandler = std::function<void(Stream stream, Request req, Params params)>;

class Server {
 public:
  // Every route is checked against `auth` before its handler runs. `tls`: the certificate
  // loaded beforehand (null: loaded here when a port speaks TLS; throws camrelay::Error).
  // `catalog` holds the cameras of the configuration file and those of the API (the
  // /cameras routes change the latter).
  Server(asio::io_context& io, const config::Config& cfg,
         std::shared_ptr<service::StreamManager> manager, std::shared_ptr<service::CameraCatalog> catalog,
         std::shared_ptr<auth::Service> auth, std::shared_ptr<TlsContext> tls = nullptr,
         std::shared_ptr<metrics::Metrics> metrics = nullptr);
  ~Server();

  // Binds and starts accepting. Throws camrelay::Error(unavailable) if a port is taken.
  void start();
  // Loads the TLS certificate and key again (SIGHUP): new connections use them, open ones
  // keep theirs. Throws camrelay::Error (the running certificate stays); no-op without TLS.
  void reload_tls(const config::Tls& tls);
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
  struct Listener {
    bool signaling_only = false;
    bool tls = false;
  };
  asio::awaitable<void> accept_loop(std::shared_ptr<void> acceptor, Listener how);
  asio::awaitable<void> serve(std::shared_ptr<Conn> conn, Listener how);
  // A TLS port: tells TLS from plain HTTP by the first bytes, then the handshake (or the
  // redirect to https://). False: the connection is done.
  asio::awaitable<bool> start_tls(Conn& conn, beast::flat_buffer& buffer, const std::string& remote_ip);
  // `route` is set to the matched route's pattern ("unmatched" if none): GET /metrics.
  asio::awaitable<Response> dispatch(const Request& req, const std::string& remote_ip, bool secure,
                                     std::string& route);
  void audit(const Request& req, const Params& p, const Response& res) const;

  asio::io_context& io_;
  const config::Config& cfg_;
  std::shared_ptr<service::StreamManager> manager_;
  std::shared_ptr<service::CameraCatalog> catalog_;
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
  std::shared_ptr<TlsContext> tls_;  // http.tls: loaded when a port speaks TLS
  std::shared_ptr<metrics::Metrics> metrics_;  // requests by route, status and latency (may be null)

  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<void>> acceptors_;
  std::unordered_map<Conn*, std::weak_ptr<Conn>> conns_;
};

}  // namespace camrelay::http
