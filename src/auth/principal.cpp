#include "camrelay/auth/principal.hpp"

namespace camrelay::auth {

const char* to_string(Role r) noexcept { return r == Role::admin ? "admin" : "viewer"; }

std::optional<Role> parse_role(std::string_view s) noexcept {
  if (s == "admin") return Role::admin;
  if (s == "viewer") return Role::viewer;
  return std::nullopt;
}

const char* to_string(Via v) noexcept {
  switch (v) {
    case Via::disabled: return "auth disabled";
    case Via::localhost: return "localhost";
    case Via::session: return "session";
    case Via::api_token: return "api token";
    case Via::viewer_token: return "viewer token";
    case Via::password: return "password";
    case Via::onvif: return "onvif credential";
  }
  return "?";
}

Principal onvif_principal(const std::string& user) {
  Principal p;
  p.user = user;
  p.role = Role::viewer;
  p.all_cameras = true;
  p.via = Via::onvif;
  p.credential_id = "onvif";
  return p;
}

}  // namespace camrelay::auth
