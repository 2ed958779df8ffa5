#include "camrelay/util/error.hpp"

namespace camrelay {

std::string_view errc_code(Errc e) noexcept {
  switch (e) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::unauthenticated: return "unauthenticated";
    case Errc::forbidden: return "forbidden";
    case Errc::too_many_requests: return "too_many_requests";
    case Errc::not_found: return "not_found";
    case Errc::method_not_allowed: return "method_not_allowed";
    case Errc::conflict: return "conflict";
    case Errc::too_large: return "payload_too_large";
    case Errc::limit_reached: return "limit_reached";
    case Errc::unavailable: return "unavailable";
    case Errc::timeout: return "timeout";
    case Errc::internal: return "internal";
  }
  return "internal";
}

int errc_http_status(Errc e) noexcept {
  switch (e) {
    case Errc::invalid_argument: return 400;
    case Errc::unauthenticated: return 401;
    case Errc::forbidden: return 403;
    case Errc::too_many_requests: return 429;
    case Errc::not_found: return 404;
    case Errc::method_not_allowed: return 405;
    case Errc::conflict: return 409;
    case Errc::too_large: return 413;
    case Errc::limit_reached: return 503;
    case Errc::unavailable: return 503;
    case Errc::timeout: return 504;
    case Errc::internal: return 500;
  }
  return 500;
}

}  // namespace camrelay
