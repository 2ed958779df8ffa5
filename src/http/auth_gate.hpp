#pragma once
// The access check every request passes before its handler (docs/security.md): finds the
// caller's credentials (Authorization: Bearer, the session cookie, ?token=), asks the
// account service who that is, and compares with the route's Access.
#include <optional>
#include <string>
#include <string_view>

#include "camrelay/auth/service.hpp"
#include "camrelay/http/types.hpp"

namespace camrelay::http {

inline constexpr const char* kSessionCookie = "camrelay_session";

// The value of cookie `name` in the request's Cookie header(s); empty if absent.
std::string cookie_value(const Request& req, std::string_view name);

// nullopt: allowed, params.who is set (it may stay unset on open routes). Otherwise the
// response to send instead: 401 (API) or a redirect to /login (pages), 403 when the
// account may not do this. `websocket`: the request is a WebSocket upgrade (a cookie only
// counts from a page of this server: Origin must match Host).
std::optional<Response> check_access(const auth::Service& auth, Access access, const Request& req, Params& params,
                                     bool websocket = false);

// The camera check of handlers whose camera is not the route's {id} (seed-004 /live/…,
// WebSocket "watch"): throws Error(forbidden) when `who` may not watch `camera_id`.
void require_camera(const Params& params, const std::string& camera_id);

// Who owns a viewer it creates (WHEP: only the owner, or an admin, may PATCH or DELETE it):
// the account, or for a viewer token the token (links are shared by many people).
std::string owner_key(const std::optional<auth::Principal>& who);
// True when `who` may change a resource owned by `owner`.
bool may_change(const std::optional<auth::Principal>& who, const std::string& owner);

}  // namespace camrelay::http
