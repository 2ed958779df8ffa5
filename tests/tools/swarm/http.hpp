#pragma once
// A minimal synchronous HTTP/1.1 client (Boost.Beast) for the swarm's signaling: one
// connection per request, socket-level timeouts, plain http:// only (the swarm talks to
// servers on loopback).
#include <chrono>
#include <map>
#include <string>

namespace swarm {

struct Url {
  std::string host;
  std::string port;
  std::string target;  // path + query
  // Parses http://host[:port]/path; throws std::runtime_error otherwise.
  static Url parse(const std::string& url);
  // The absolute URL of `location` (absolute, or a path on this host).
  std::string resolve(const std::string& location) const;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const;
};

// Sends one request; throws std::runtime_error (with the URL) on connection errors and
// timeouts. Non-2xx statuses are returned, not thrown.
Response request(const std::string& method, const std::string& url, const std::string& body = {},
                 const std::map<std::string, std::string>& headers = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace swarm
