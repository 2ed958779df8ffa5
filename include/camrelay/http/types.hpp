#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "camrelay/auth/principal.hpp"

namespace camrelay::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// Who may call a route. The server checks it before the handler runs (docs/security.md).
enum class Access {
  open,    // anybody: the login page and its assets, /health (details only with credentials)
  asset,   // static files: open, except HTML pages (those are `page`)
  page,    // an HTML page: any account; without credentials, a redirect to /login
  user,    // any account; handlers filter what they list to the cameras it may watch
  camera,  // an account that may watch the camera named by the route's {id} segment
  admin,   // role admin: control, configuration, accounts
};
const char* to_string(Access a) noexcept;

struct Params {
  std::map<std::string, std::string> path;   // from {name} segments, percent-decoded
  std::map<std::string, std::string> query;  // percent-decoded
  std::string remote_ip;
  bool secure = false;  // the request came over TLS (HTTPS/WSS) on camrelay's own port
  // Set by the server's access check: who is calling (nullopt only on `open`/`asset` routes
  // called without credentials).
  std::optional<auth::Principal> who;
  // Keeps the connection counted against its IP's limit (http.max_connections_per_ip) while
  // a WebSocket or MJPEG session that took the socket over lives: hold it there.
  std::shared_ptr<void> connection_slot;

  const std::string& at(const std::string& k) const { return path.at(k); }
  std::string query_or(const std::string& k, std::string def = {}) const {
    auto it = query.find(k);
    return it == query.end() ? def : it->second;
  }
};

using Handler = std::function<asio::awaitable<Response>(const Request&, const Params&)>;

}  // namespace camrelay::http
