#include "camrelay/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

#include "api.hpp"
#include "auth_gate.hpp"
#include "rate_limit.hpp"
#include "camrelay/http/tls.hpp"
#include "camrelay/metrics/metrics.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::http {
namespace {
using tcp = asio::ip::tcp;
auto lg() {
  static auto l = log::get("http");
  return l;
}
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

// With an allowlist (http.cors_origins without "*"), only listed origins get the
// Access-Control-* headers, naming their own origin.
static void apply_cors(const std::vector<std::string>& allowed, const Request& req, Response& res) {
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return;
  const std::string origin(req[bhttp::field::origin]);
  res.set(bhttp::field::vary, "Origin");
  if (!origin.empty() && std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
    res.set(bhttp::field::access_control_allow_origin, origin);
    return;
  }
  for (auto f : {bhttp::field::access_control_allow_origin, bhttp::field::access_control_allow_methods,
                 bhttp::field::access_control_allow_headers, bhttp::field::access_control_expose_headers,
                 bhttp::field::access_control_max_age}) {
    res.erase(f);
  }
}

struct Server::Conn {
  Conn(tcp::socket s, std::shared_ptr<void> held)
      : stream(beast::tcp_stream(std::move(s))), slot(std::move(held)) {}
  Stream stream;
  std::shared_ptr<void> slot;  // this connection, counted against its IP (rate_limit.hpp)
  bool taken = false;  // handed over to a WebSocket session
};

Server::Server(asio::io_context& io, const config::Config& cfg,
               std::shared_ptr<service::StreamManager> manager, std::shared_ptr<service::CameraCatalog> catalog,
               std::shared_ptr<auth::Service> auth, std::shared_ptr<TlsContext> tls,
               std::shared_ptr<metrics::Metrics> metrics)
    : io_(io), cfg_(cfg), manager_(std::move(manager)), catalog_(std::move(catalog)), auth_(std::move(auth)),
      limiter_(std::make_unique<RateLimiter>(cfg.http.rate_limit_per_s, cfg.http.rate_limit_burst)),
      per_ip_(std::make_shared<ConnectionCounter>(cfg.http.max_connections_per_ip)),
      files_(find_web_root(cfg.http.web_root, &web_found_)),
      metrics_(std::move(metrics)) {
  if (tls_wanted(cfg.http)) {
    tls_ = tls ? std::move(tls) : std::make_shared<TlsContext>(cfg.http.tls.cert, cfg.http.tls.key);
    lg()->info("TLS certificate {}: {}", cfg.http.tls.cert, tls_->describe());
  }
  // The account routes first: the static files' catch-all patterns would take /login.
  register_auth_api(router_, auth_, files_, [this] { return route_table(); });
  register_observability_api(router_, manager_, metrics_);
  register_onvif_api(router_, manager_, catalog_, auth_, cfg_);
  register_api(router_, manager_, catalog_, cfg_, files_);
  if (web_found_) {
    lg()->info("serving web files from {}", files_.root().string());
  } else if (!cfg.http.web_root.empty()) {
    lg()->warn("http.web_root {} has no index.html: the dashboard and viewer pages will answer 404", cfg.http.web_root);
  } else {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::string where;
    for (const auto& c : web_root_candidates(ec ? std::filesystem::path() : exe)) where += (where.empty() ? "" : ", ") + c.string();
    lg()->warn("no web root with an index.html in {}: the dashboard and viewer pages will answer 404 "
               "(install the web files or set http.web_root)", where);
  }
}

Server::~Server() { stop(); }

void Server::add_upgrade(std::string pattern, Access access, UpgradeHandler h) {
  upgrade_router_.add(bhttp::verb::get, std::move(pattern), access,
                      [](const Request&, const Params&) -> asio::awaitable<Response> {
                        co_return Response{};
                      });
  upgrades_.push_back(std::move(h));
}

std::vector<Server::RouteEntry> Server::route_table() const {
  std::vector<RouteEntry> out;
  auto add = [&out](const Router& r, const char* kind) {
    for (const auto& x : r.routes()) out.push_back({std::string(bhttp::to_string(x.method)), x.pattern, x.access, kind});
  };
  add(router_, "http");
  add(upgrade_router_, "websocket");
  add(takeover_router_, "stream");
  return out;
}

void Server::add_takeover(bhttp::verb method, std::string pattern, Access access, UpgradeHandler h) {
  takeover_router_.add(method, std::move(pattern), access,
                       [](const Request&, const Params&) -> asio::awaitable<Response> {
                         co_return Response{};
                       });
  takeovers_.push_back(std::move(h));
}

void Server::reload_tls(const config::Tls& tls) {
  if (!tls_) return;
  tls_->reload(tls.cert, tls.key);
  lg()->info("TLS certificate reloaded from {}: {}", tls.cert, tls_->describe());
}

void Server::start() {
  auto listen = [&](const std::string& host, int port, Listener how) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) throw Error(Errc::invalid_argument, "http.host: not an IP address: " + host);
    auto acc = std::make_shared<tcp::acceptor>(io_);
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw Error(Errc::unavailable,
                  "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    unsigned short bound = acc->local_endpoint().port();
    lg()->info("listening on {}://{}:{}{}", how.tls ? "https" : "http", host, bound,
               how.signaling_only ? " (signaling)" : "");
    {
      std::lock_guard lk(mu_);
      acceptors_.push_back(acc);
    }
    asio::co_spawn(io_, accept_loop(acc, how), asio::detached);
    return bound;
  };
  const auto& t = cfg_.http.tls;
  port_ = listen(cfg_.http.host, cfg_.http.port, Listener{false, t.enabled});
  if (cfg_.http.signaling_port > 0 && cfg_.http.signaling_port != cfg_.http.port) {
    listen(cfg_.http.host, cfg_.http.signaling_port, Listener{true, t.signaling.value_or(t.enabled)});
  }
}

void Server::stop() {
  std::vector<std::shared_ptr<Conn>> conns;
  std::vector<std::shared_ptr<void>> accs;
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
    accs.swap(acceptors_);
    for (auto& [p, w] : conns_) {
      if (auto c = w.lock()) conns.push_back(c);
    }
  }
  for (auto& a : accs) {
    auto acc = std::static_pointer_cast<tcp::acceptor>(a);
    asio::post(acc->get_executor(), [acc] {
      boost::system::error_code ec;
      acc->close(ec);
    });
  }
  for (auto& c : conns) {
    asio::post(c->stream.get_executor(), [c] {
      if (c->taken) return;
      boost::system::error_code ec;
      c->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      c->stream.close();
    });
  }
}

asio::awaitable<void> Server::accept_loop(std::shared_ptr<void> a, Listener how) {
  auto acc = std::static_pointer_cast<tcp::acceptor>(a);
  for (;;) {
    auto [ec, sock] = co_await acc->async_accept(asio::make_strand(io_), kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acc->is_open()) co_return;
      lg()->warn("accept failed: {}", ec.message());
      continue;
    }
    std::string peer;
    {
      boost::system::error_code pec;
      auto ep = sock.remote_endpoint(pec);
      if (!pec) peer = ep.address().to_string();
    }
    auto slot = per_ip_->hold(peer);
    if (!slot) {
      // Over http.max_connections_per_ip: say so and hang up (no request is read).
      auto s = std::make_shared<tcp::socket>(std::move(sock));
      static const std::string kRefused =
          "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: 90\r\n\r\n"
          "{\"error\":{\"code\":\"too_many_requests\",\"message\":\"too many connections from your address\"}}\n";
      asio::async_write(*s, asio::buffer(kRefused), [s](const boost::system::error_code&, std::size_t) {
        boost::system::error_code ignored;
        s->shutdown(tcp::socket::shutdown_both, ignored);
        s->close(ignored);
      });
      continue;
    }
    auto conn = std::make_shared<Conn>(std::move(sock), std::move(slot));
    {
      std::lock_guard lk(mu_);
      if (stopped_) co_return;
      conns_[conn.get()] = conn;
    }
    auto ex = conn->stream.get_executor();
    asio::co_spawn(ex, serve(conn, how), [this, raw = conn.get()](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          lg()->error("connection ended by exception: {}", ex.what());
        }
      }
      std::lock_guard lk(mu_);
      conns_.erase(raw);
    });
  }
}

asio::awaitable<bool> Server::start_tls(Conn& conn, beast::flat_buffer& buffer, const std::string& remote_ip) {
  auto& stream = conn.stream;
  stream.expires_after(std::chrono::seconds(cfg_.http.header_timeout_s));
  auto detect = beast::async_detect_ssl(stream.lowest(), buffer, kUseTuple);
  auto [dec, is_tls] = co_await std::move(detect);
  if (dec) co_return false;  // closed or silent before a first byte
  if (is_tls) {
    auto hs = stream.handshake(tls_->current(), buffer);
    const auto hec = co_await std::move(hs);
    if (hec) {
      lg()->debug("TLS handshake with {} failed: {}", remote_ip, hec.message());
      co_return false;
    }
    co_return true;
  }
  // Plain HTTP on a TLS port: point the browser at the same URL over https:// (or hang up).
  if (!cfg_.http.tls.redirect_http) co_return false;
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(16 * 1024);
  auto rd = bhttp::async_read_header(stream, buffer, parser, kUseTuple);
  auto [rec, rn] = co_await std::move(rd);
  (void)rn;
  if (rec) co_return false;
  const auto& req = parser.get();
  const std::string host(req[bhttp::field::host]);
  Response res;
  if (host.empty() || host.find_first_of(" /\\@?#") != std::string::npos) {
    Request bad{bhttp::verb::get, "/", 11};
    res = error_response(bad, bhttp::status::bad_request, "bad_request", "this port speaks HTTPS: use https://");
  } else {
    res.version(11);
    res.result(bhttp::status::permanent_redirect);
    res.set(bhttp::field::location, "https://" + host + std::string(req.target()));
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = "This port speaks HTTPS: https://" + host + std::string(req.target()) + "\n";
    res.prepare_payload();
  }
  res.keep_alive(false);
  stream.expires_after(std::chrono::seconds(5));
  auto wr = bhttp::async_write(stream, res, kUseTuple);
  co_await std::move(wr);
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  co_return false;
}

asio::awaitable<void> Server::serve(std::shared_ptr<Conn> conn, Listener how) {
  const bool signaling_only = how.signaling_only;
  auto& stream = conn->stream;
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  std::string remote_ip;
  {
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote_ip = ep.address().to_string();
  }
  if (how.tls) {
    auto st = start_tls(*conn, buffer, remote_ip);
    if (!co_await std::move(st)) co_return;
  }
  const bool secure = stream.secure();
  bool first = true;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(cfg_.http.body_limit_bytes);
    stream.expires_after(std::chrono::seconds(first ? cfg_.http.header_timeout_s
                                                    : cfg_.http.idle_timeout_s));
    first = false;
    auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    (void)n;
    if (rec == bhttp::error::end_of_stream || rec == beast::error::timeout ||
        rec == asio::error::operation_aborted || rec == asio::error::connection_reset ||
        rec == asio::error::eof) {
      break;
    }
    if (rec) {
      Request bad{bhttp::verb::get, "/", 11};
      bad.keep_alive(false);
      Response res = rec == bhttp::error::body_limit
                         ? error_response(bad, bhttp::status::payload_too_large,
                                          "payload_too_large",
                                          "request body exceeds " +
                                              std::to_string(cfg_.http.body_limit_bytes) + " bytes")
                     : rec == bhttp::error::header_limit
                         ? error_response(bad, bhttp::status::request_header_fields_too_large,
                                          "headers_too_large", "request headers too large")
                         : error_response(bad, bhttp::status::bad_request, "bad_request",
                                          "malformed HTTP request: " + rec.message());
      res.keep_alive(false);
      stream.expires_after(std::chrono::seconds(5));
      co_await bhttp::async_write(stream, res, kUseTuple);
      break;
    }
    Request req = parser.release();

    if (int wait = limiter_->take(remote_ip, mono_now_ms())) {
      Response res = error_response(req, bhttp::status::too_many_requests, "too_many_requests",
                                    "more than " + std::to_string(cfg_.http.rate_limit_per_s) +
                                        " requests per second from your address; retry in " + std::to_string(wait) + " s");
      res.set(bhttp::field::retry_after, std::to_string(wait));
      stream.expires_after(std::chrono::seconds(30));
      const bool keep = res.keep_alive();
      auto [lec, ln] = co_await bhttp::async_write(stream, res, kUseTuple);
      (void)ln;
      if (lec || !keep) break;
      continue;
    }

    if (beast::websocket::is_upgrade(req)) {
      auto m = upgrade_router_.match(bhttp::verb::get, req.target());
      if (m.outcome == Router::Outcome::found) {
        m.params.remote_ip = remote_ip;
        m.params.secure = secure;
        if (auto deny = check_access(*auth_, m.access, req, m.params, true)) {
          deny->keep_alive(false);
          stream.expires_after(std::chrono::seconds(10));
          co_await bhttp::async_write(stream, *deny, kUseTuple);
          break;
        }
        conn->taken = true;
        m.params.connection_slot = conn->slot;
        stream.expires_never();
        // The WebSocket session owns the socket from here; leftover bytes in `buffer`
        // cannot exist because a client waits for 101 before sending frames.
        upgrades_[m.index](std::move(stream), std::move(req), std::move(m.params));
        co_return;
      }
    }

    if (!signaling_only && !takeovers_.empty()) {
      auto m = takeover_router_.match(req.method(), req.target());
      if (m.outcome == Router::Outcome::found) {
        m.params.remote_ip = remote_ip;
        m.params.secure = secure;
        if (auto deny = check_access(*auth_, m.access, req, m.params)) {
          stream.expires_after(std::chrono::seconds(30));
          const bool keep = deny->keep_alive();
          auto [dec, dn] = co_await bhttp::async_write(stream, *deny, kUseTuple);
          (void)dn;
          if (dec || !keep) break;
          continue;
        }
        conn->taken = true;
        m.params.connection_slot = conn->slot;
        stream.expires_never();
        takeovers_[m.index](std::move(stream), std::move(req), std::move(m.params));
        co_return;
      }
    }

    Response res;
    std::string route = "unmatched";
    const auto t0 = std::chrono::steady_clock::now();
    if (signaling_only && !beast::websocket::is_upgrade(req)) {
      res = error_response(req, bhttp::status::not_found, "not_found",
                           "this port only serves WebSocket signaling");
    } else {
      res = co_await dispatch(req, remote_ip, secure, route);
    }
    if (metrics_) {
      metrics_->observe_http(req.method_string(), route, static_cast<int>(res.result_int()),
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    apply_cors(cfg_.http.cors_origins, req, res);
    const bool keep = res.keep_alive();
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await bhttp::async_write(stream, res, kUseTuple);
    (void)wn;
    if (wec || !keep) break;
  }
  if (!conn->taken) {
    stream.expires_after(std::chrono::seconds(2));  // TLS: a peer that never answers close_notify
    co_await stream.shutdown();
  }
}

// Every request that changes something (not GET/HEAD/OPTIONS) goes to the audit log with
// who, from where, the path (never the query: it may hold a token) and the answer. Logins
// are recorded by the account service itself (with the user name tried).
void Server::audit(const Request& req, const Params& p, const Response& res) const {
  const auto m = req.method();
  if (m == bhttp::verb::get || m == bhttp::verb::head || m == bhttp::verb::options) return;
  std::string_view target = req.target();
  target = target.substr(0, target.find('?'));
  if (target == "/auth/login") return;
  auth_->record(p.who ? &*p.who : nullptr, p.remote_ip, std::string(req.method_string()) + " " + std::string(target),
                std::string(target), static_cast<int>(res.result_int()));
}

asio::awaitable<Response> Server::dispatch(const Request& req, const std::string& remote_ip, bool secure,
                                           std::string& route) {
  try {
    // Without the query: it may hold a viewer token.
    lg()->debug("{} {} from {}", req.method_string(), req.target().substr(0, req.target().find('?')), remote_ip);
    if (req.method() == bhttp::verb::options) {
      Response res = text_response(req, bhttp::status::no_content, "", "text/plain");
      res.set(bhttp::field::access_control_max_age, "600");
      co_return res;
    }
    const bool head = req.method() == bhttp::verb::head;
    auto m = router_.match(head ? bhttp::verb::get : req.method(), req.target());
    switch (m.outcome) {
      case Router::Outcome::found: {
        route = *m.pattern;
        m.params.remote_ip = remote_ip;
        m.params.secure = secure;
        if (auto deny = check_access(*auth_, m.access, req, m.params)) {
          audit(req, m.params, *deny);
          co_return std::move(*deny);
        }
        Response res;
        try {
          res = co_await (*m.handler)(req, m.params);
        } catch (const Error& e) {
          if (e.code() == Errc::internal) lg()->error("{} {}: {}", req.method_string(), req.target(), e.what());
          res = error_response(req, e);
        } catch (const std::exception& e) {
          lg()->error("{} {}: unexpected: {}", req.method_string(), req.target(), e.what());
          res = error_response(req, bhttp::status::internal_server_error, "internal", e.what());
        }
        audit(req, m.params, res);
        if (head && !res.body().empty()) {  // handlers may have done HEAD themselves
          auto len = res.body().size();
          res.body().clear();
          res.content_length(len);
        }
        co_return res;
      }
      case Router::Outcome::method_not_allowed: {
        std::string allow;
        for (auto v : m.allowed) {
          if (!allow.empty()) allow += ", ";
          allow += std::string(bhttp::to_string(v));
        }
        Response res = error_response(req, bhttp::status::method_not_allowed, "method_not_allowed",
                                      "method " + std::string(req.method_string()) +
                                          " not allowed here (allowed: " + allow + ")");
        res.set(bhttp::field::allow, allow);
        co_return res;
      }
      case Router::Outcome::bad_path:
        co_return error_response(req, bhttp::status::bad_request, "bad_request", "malformed path");
      case Router::Outcome::not_found:
        co_return error_response(req, bhttp::status::not_found, "not_found",
                                 "no such endpoint: " + std::string(req.target()));
    }
  } catch (const Error& e) {
    if (e.code() == Errc::internal) lg()->error("{} {}: {}", req.method_string(), req.target(), e.what());
    co_return error_response(req, e);
  } catch (const std::exception& e) {
    lg()->error("{} {}: unexpected: {}", req.method_string(), req.target(), e.what());
    co_return error_response(req, bhttp::status::internal_server_error, "internal", e.what());
  }
  co_return error_response(req, bhttp::status::internal_server_error, "internal", "unreachable");
}

}  // namespace camrelay::http
