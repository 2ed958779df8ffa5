#pragma once
// Error kinds shared by every layer. Lower layers throw camrelay::Error (or return it);
// the HTTP layer maps Errc to a status code and a JSON body.
#include <stdexcept>
#include <string>
#include <string_view>

namespace camrelay {

enum class Errc {
  invalid_argument,  // 400: malformed input, failed validation
  unauthenticated,   // 401: no or bad credentials
  forbidden,         // 403: authenticated, but not allowed to do this
  too_many_requests, // 429: rate limited (login backoff)
  not_found,         // 404: unknown camera, viewer, file
  method_not_allowed,// 405
  conflict,          // 409: operation not possible in the current state
  too_large,         // 413: body or message over the limit
  limit_reached,     // 503: viewer/stream admission limits
  unavailable,       // 503: a subsystem (broker, database) is down
  timeout,           // 504: a peer did not answer in time
  internal,          // 500
};

// Stable machine-readable code used in JSON errors, e.g. "not_found".
std::string_view errc_code(Errc e) noexcept;
// HTTP status code for an error kind.
int errc_http_status(Errc e) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace camrelay
