#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <map>
#include <string>

namespace camrelay::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

struct Params {
  std::map<std::string, std::string> path;   // from {name} segments, percent-decoded
  std::map<std::string, std::string> query;  // percent-decoded
  std::string remote_ip;

  const std::string& at(const std::string& k) const { return path.at(k); }
  std::string query_or(const std::string& k, std::string def = {}) const {
    auto it = query.find(k);
    return it == query.end() ? def : it->second;
  }
};

using Handler = std::function<asio::awaitable<Response>(const Request&, const Params&)>;

}  // namespace camrelay::http
