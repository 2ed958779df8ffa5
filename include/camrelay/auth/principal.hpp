#pragma once
// Who a request is, after authentication (docs/security.md): an account's role and the
// cameras it may watch, and which credential proved it.
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace camrelay::auth {

enum class Role { viewer, admin };
const char* to_string(Role r) noexcept;  // "viewer" | "admin"
std::optional<Role> parse_role(std::string_view s) noexcept;

// The credential a request carried.
enum class Via {
  disabled,      // auth.disabled: everybody is admin
  localhost,     // auth.allow_localhost and a loopback peer
  session,       // login cookie
  api_token,     // Authorization: Bearer crt_…
  viewer_token,  // a signed viewer token (JWT), header, cookie-less ?token=
  password,      // a user name and password with the request (RTSP Basic)
  onvif,         // the ONVIF device credential (onvif.username/password): NVRs
};
const char* to_string(Via v) noexcept;

struct Principal {
  std::string user;  // the account; for a viewer token, the account that minted it
  Role role = Role::viewer;
  bool all_cameras = false;      // grant "*"
  std::set<std::string> cameras;  // otherwise: these camera ids
  Via via = Via::session;
  // Which credential (token id, session id hash prefix, JWT id): owners of WHEP resources,
  // the audit trail.
  std::string credential_id;

  bool is_admin() const noexcept { return role == Role::admin; }
  bool may_view(const std::string& camera_id) const {
    return is_admin() || all_cameras || cameras.count(camera_id) > 0;
  }
};

// Who an NVR is once it proved the ONVIF credential (docs/onvif.md): a viewer of every
// camera, over ONVIF and the RTSP re-serve.
Principal onvif_principal(const std::string& user);

}  // namespace camrelay::auth
