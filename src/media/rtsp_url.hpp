#pragma once
// RTSP URL helpers (pure functions, unit-tested): building the seed-003 form
// rtsp://user:pass@host:port/path, splitting credentials off a URL, and masking them
// for logs and the API (rtsp://***@host:port/path).
#include <optional>
#include <string>
#include <string_view>

#include "camrelay/config/config.hpp"

namespace camrelay::media {

struct RtspUrl {
  std::string scheme = "rtsp";  // rtsp | rtsps
  std::string username;         // percent-decoded
  std::string password;         // percent-decoded
  bool has_credentials = false;
  std::string host;             // without brackets for IPv6
  int port = 0;                 // 0 = not given (the scheme's default)
  std::string path = "/";       // path and query, starting with '/'

  // scheme://host[:port]/path — no credentials (what rtspsrc gets as location).
  std::string location() const;
  // scheme://***@host[:port]/path when there are credentials, else location().
  std::string masked() const;
};

// Percent-encodes everything but RFC 3986 unreserved characters (for userinfo).
std::string url_escape_userinfo(std::string_view s);

// Seed-003 format: rtsp://host:port/path or rtsp://user:pass@host:port/path, with user and
// password percent-encoded. `path` gets a leading '/' if missing; IPv6 hosts get brackets.
std::string build_rtsp_url(const std::string& host, int port, const std::string& path,
                           const std::string& username = {}, const std::string& password = {});

// Parses rtsp[s]://[user[:pass]@]host[:port][/path]. nullopt for anything else.
std::optional<RtspUrl> parse_rtsp_url(std::string_view url);

// Masks the credentials of any rtsp URL ("rtsp://***@host/..."); text that does not parse
// is returned with everything between "://" and the last '@' before the host replaced.
std::string mask_rtsp_url(std::string_view url);

// The effective URL of an RTSP source config: `url` if set (credentials in it win, else
// username/password fields), else host/port/path/username/password.
RtspUrl resolve_rtsp_source(const config::RtspSource& c);

}  // namespace camrelay::media
