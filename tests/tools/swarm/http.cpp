#include "http.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <stdexcept>

namespace swarm {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Url Url::parse(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) throw std::runtime_error("not an http:// URL: " + url);
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    u.host = hostport;
    u.port = "80";
  } else {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  }
  if (u.host.empty()) throw std::runtime_error("no host in URL: " + url);
  return u;
}

std::string Url::resolve(const std::string& location) const {
  if (location.rfind("http://", 0) == 0) return location;
  if (location.empty() || location[0] != '/') throw std::runtime_error("unsupported Location: " + location);
  return "http://" + host + ":" + port + location;
}

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Response request(const std::string& method, const std::string& url, const std::string& body,
                 const std::map<std::string, std::string>& headers, std::chrono::milliseconds timeout) {
  Url u = Url::parse(url);
  boost::asio::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket sock(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(u.host, u.port, ec);
  if (!ec) boost::asio::connect(sock, endpoints, ec);
  if (ec) throw std::runtime_error(method + " " + url + ": cannot connect: " + ec.message());
  // Blocking reads and writes with a deadline: the kernel's socket timeouts.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  http::request<http::string_body> req{http::string_to_verb(method), u.target, 11};
  req.set(http::field::host, u.host + ":" + u.port);
  req.set(http::field::user_agent, "camrelay-swarm");
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(sock, req, ec);
  if (ec) throw std::runtime_error(method + " " + url + ": write: " + ec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  http::read(sock, buf, parser, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    throw std::runtime_error(method + " " + url + ": no answer within " + std::to_string(timeout.count()) + " ms");
  }
  if (ec) throw std::runtime_error(method + " " + url + ": read: " + ec.message());
  sock.shutdown(tcp::socket::shutdown_both, ec);
  Response r;
  const auto& res = parser.get();
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = std::string(f.value());
  }
  r.body = res.body();
  return r;
}

}  // namespace swarm
