#include "camrelay/http/router.hpp"

#include <algorithm>

#include "camrelay/util/text.hpp"

namespace camrelay::http {
namespace {
std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}
}  // namespace

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return std::nullopt;
      out.push_back(d);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '\0') {  // a raw NUL is refused like an encoded one (found by fuzz_router)
      return std::nullopt;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    std::string_view pair = q.substr(i, j - i);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto k = url_decode(pair.substr(0, eq), true);
      auto v = eq == std::string_view::npos ? std::optional<std::string>("")
                                            : url_decode(pair.substr(eq + 1), true);
      if (k && v && !k->empty()) out[*k] = *v;
    }
    i = j + 1;
  }
  return out;
}

const char* to_string(Access a) noexcept {
  switch (a) {
    case Access::open: return "open";
    case Access::asset: return "asset";
    case Access::page: return "page";
    case Access::user: return "user";
    case Access::camera: return "camera";
    case Access::admin: return "admin";
  }
  return "admin";
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back({r.method, r.pattern, r.access});
  return out;
}

void Router::add(bhttp::verb method, std::string pattern, Access access, Handler handler) {
  Route r{method, {}, {}, access, std::move(handler)};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  for (const auto& s : r.segments) r.pattern += "/" + s;
  // push_back, not `= "/"`: GCC 12 at -O2 reports a false -Wrestrict overlap for the
  // assignment once inlined here, which CAMRELAY_WERROR=ON turns into an error.
  if (r.pattern.empty()) r.pattern.push_back('/');
  routes_.push_back(std::move(r));
}

Router::Match Router::match(bhttp::verb method, std::string_view target) const {
  Match m;
  std::string_view path = target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path.empty() || path.front() != '/') {
    m.outcome = Outcome::bad_path;
    return m;
  }
  // Decode each raw segment on its own so that an encoded '/' stays inside its segment.
  std::vector<std::string> segs;
  for (auto raw : split_path(path)) {
    auto d = url_decode(raw);
    if (!d) {
      m.outcome = Outcome::bad_path;
      return m;
    }
    segs.push_back(std::move(*d));
  }
  for (std::size_t ri = 0; ri < routes_.size(); ++ri) {
    const auto& r = routes_[ri];
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> vars;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& pat = r.segments[i];
      if (pat.size() > 2 && pat.front() == '{' && pat.back() == '}') {
        if (segs[i].empty()) ok = false;
        else vars[pat.substr(1, pat.size() - 2)] = segs[i];
      } else {
        ok = pat == segs[i];
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) {
        m.allowed.push_back(r.method);
      }
      continue;
    }
    m.outcome = Outcome::found;
    m.handler = &r.handler;
    m.access = r.access;
    m.index = ri;
    m.pattern = &r.pattern;
    m.params.path = std::move(vars);
    m.params.query = parse_query(query);
    return m;
  }
  m.outcome = m.allowed.empty() ? Outcome::not_found : Outcome::method_not_allowed;
  return m;
}

}  // namespace camrelay::http
