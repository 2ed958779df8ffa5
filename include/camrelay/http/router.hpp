#pragma once
// Method + path-pattern routing. Patterns are literal segments and {name} segments
// ("/streams/{id}/start"); {name} matches exactly one non-empty segment.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/http/types.hpp"

namespace camrelay::http {

// Percent-decodes; returns nullopt for bad escapes or a decoded NUL.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = false);
// Splits "a=1&b=2" into decoded pairs (bad pairs are skipped).
std::map<std::string, std::string> parse_query(std::string_view q);

class Router {
 public:
  enum class Outcome { found, not_found, method_not_allowed, bad_path };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Handler* handler = nullptr;
    Access access = Access::admin;
    std::size_t index = 0;  // position of the matched route in insertion order
    const std::string* pattern = nullptr;  // the matched route's pattern ("/streams/{id}")
    Params params;
    std::vector<bhttp::verb> allowed;  // for 405: the methods this path supports
  };

  void add(bhttp::verb method, std::string pattern, Access access, Handler handler);
  Match match(bhttp::verb method, std::string_view target) const;

  struct RouteInfo {
    bhttp::verb method;
    std::string pattern;
    Access access;
  };
  // Every route, in insertion order (GET /auth/routes; the access tests walk them all).
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    bhttp::verb method;
    std::vector<std::string> segments;
    std::string pattern;
    Access access;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace camrelay::http
