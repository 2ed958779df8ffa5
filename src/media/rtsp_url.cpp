#include "rtsp_url.hpp"

#include <charconv>

#include "camrelay/util/text.hpp"

namespace camrelay::media {
namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string host_port(const std::string& host, int port) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port > 0) {
    h += ':';  // appended in two steps: GCC 12 -O3 warns (-Wrestrict) on ":" + std::string
    h += std::to_string(port);
  }
  return h;
}

}  // namespace

std::string RtspUrl::location() const { return scheme + "://" + host_port(host, port) + path; }

std::string RtspUrl::masked() const {
  if (!has_credentials) return location();
  return scheme + "://***@" + host_port(host, port) + path;
}

std::string url_escape_userinfo(std::string_view s) { return percent_encode(s); }

std::string build_rtsp_url(const std::string& host, int port, const std::string& path,
                           const std::string& username, const std::string& password) {
  std::string url = "rtsp://";
  if (!username.empty() || !password.empty()) {
    url += url_escape_userinfo(username);
    if (!password.empty()) {
      url += ':';
      url += url_escape_userinfo(password);
    }
    url += "@";
  }
  url += host_port(host, port);
  if (path.empty() || path.front() != '/') url += "/";
  url += path;
  return url;
}

std::optional<RtspUrl> parse_rtsp_url(std::string_view url) {
  RtspUrl u;
  std::string_view rest;
  if (url.starts_with("rtsp://")) {
    rest = url.substr(7);
  } else if (url.starts_with("rtsps://")) {
    u.scheme = "rtsps";
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.path = std::string(rest.substr(slash));
    if (u.path.front() == '?') u.path = "/" + u.path;
  }
  // Credentials: everything before the last '@' of the authority.
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    u.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) u.password = percent_decode(userinfo.substr(colon + 1));
    u.has_credentials = true;
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  for (char c : u.host) {
    if (c == ' ' || c == '/' || c == '@' || static_cast<unsigned char>(c) < 0x21) return std::nullopt;
  }
  if (!port_text.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p < 1 || p > 65535) {
      return std::nullopt;
    }
    u.port = p;
  }
  return u;
}

std::string mask_rtsp_url(std::string_view url) {
  if (auto u = parse_rtsp_url(url)) return u->masked();
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::size_t start = scheme_end + 3;
  const std::size_t slash = url.find('/', start);
  const std::size_t at = url.substr(0, slash).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

RtspUrl resolve_rtsp_source(const config::RtspSource& c) {
  RtspUrl u;
  if (!c.url.empty()) {
    if (auto p = parse_rtsp_url(c.url)) u = *p;
    else {
      u.host = "invalid-url";
      return u;
    }
  } else {
    u.host = c.host;
    u.port = c.port;
    u.path = c.path.empty() || c.path.front() != '/' ? "/" + c.path : c.path;
  }
  if (!u.has_credentials && (!c.username.empty() || !c.password.empty())) {
    u.username = c.username;
    u.password = c.password;
    u.has_credentials = true;
  }
  return u;
}

}  // namespace camrelay::media
