#include "auth_gate.hpp"

#include "camrelay/http/response.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/text.hpp"

namespace camrelay::http {
namespace {

// The file a static route serves, from its decoded segments ({p0}/{p1}/…): judged on what
// is served, not on the raw target ("/viewer.html/" and "/viewer%2Ehtml" serve viewer.html).
bool is_html_file(const Params& p) {
  std::string rel;
  for (int i = 0;; ++i) {
    auto it = p.path.find("p" + std::to_string(i));
    if (it == p.path.end()) break;
    rel += (i ? "/" : "") + it->second;
  }
  if (rel.size() < 5 || rel.compare(rel.size() - 5, 5, ".html") != 0) return false;
  return rel != "login.html";
}

Response unauthenticated(const Request& req, const std::string& why) {
  Response res = error_response(req, bhttp::status::unauthorized, "unauthenticated",
                                why.empty() ? "log in (/login) or send Authorization: Bearer <token>"
                                            : "credentials refused: " + why);
  res.set(bhttp::field::www_authenticate,
          why.empty() ? "Bearer realm=\"camrelay\"" : "Bearer realm=\"camrelay\", error=\"invalid_token\"");
  return res;
}

Response to_login(const Request& req) {
  Response res{bhttp::status::found, req.version()};
  res.set(bhttp::field::location, "/login?next=" + percent_encode(req.target(), "/"));
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

// "http://host:port" / "https://host" → "host:port" / "host".
std::string_view origin_host(std::string_view origin) {
  auto p = origin.find("://");
  if (p == std::string_view::npos) return {};
  return origin.substr(p + 3);
}

}  // namespace

std::string cookie_value(const Request& req, std::string_view name) {
  for (auto it = req.find(bhttp::field::cookie); it != req.end() && it->name() == bhttp::field::cookie; ++it) {
    std::string_view h = it->value();
    while (!h.empty()) {
      auto semi = h.find(';');
      std::string_view pair = h.substr(0, semi);
      h = semi == std::string_view::npos ? std::string_view() : h.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (pair.substr(0, eq) == name) {
        auto v = pair.substr(eq + 1);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return std::string(v);
      }
    }
  }
  return {};
}

std::optional<Response> check_access(const auth::Service& auth, Access access, const Request& req, Params& params,
                                     bool websocket) {
  auth::Credentials c;
  c.authorization = std::string(req[bhttp::field::authorization]);
  c.session_cookie = cookie_value(req, kSessionCookie);
  if (auto t = params.query.find("token"); t != params.query.end()) c.query_token = t->second;
  c.remote_ip = params.remote_ip;
  auto r = auth.authenticate(c);
  if (r.outcome == auth::AuthResult::Outcome::ok && websocket && r.who->via == auth::Via::session) {
    // Cross-site WebSocket hijacking: browsers send cookies with WebSocket handshakes from
    // any page; only pages of this server may use them.
    std::string_view origin = req[bhttp::field::origin];
    if (!origin.empty() && origin_host(origin) != req[bhttp::field::host]) {
      return error_response(req, bhttp::status::forbidden, "forbidden",
                            "WebSocket from another origin: a login cookie only works from this server's pages "
                            "(use a token)");
    }
  }
  if (r.outcome == auth::AuthResult::Outcome::ok) params.who = std::move(r.who);

  if (access == Access::asset) access = is_html_file(params) ? Access::page : Access::open;
  switch (access) {
    case Access::open:
    case Access::asset:
      return std::nullopt;
    case Access::page:
      if (!params.who) return to_login(req);
      return std::nullopt;
    case Access::user:
      break;
    case Access::camera:
    case Access::admin:
      break;
  }
  if (!params.who) return unauthenticated(req, r.outcome == auth::AuthResult::Outcome::invalid ? r.why : "");
  if (access == Access::admin && !params.who->is_admin()) {
    return error_response(req, bhttp::status::forbidden, "forbidden", "this needs an admin account");
  }
  if (access == Access::camera) {
    auto id = params.path.find("id");
    const std::string cam = id == params.path.end() ? std::string() : id->second;
    if (!params.who->may_view(cam)) {
      return error_response(req, bhttp::status::forbidden, "forbidden",
                            "you may not watch camera '" + cam.substr(0, 64) + "'");
    }
  }
  return std::nullopt;
}

std::string owner_key(const std::optional<auth::Principal>& who) {
  if (!who) return {};
  if (who->via == auth::Via::viewer_token) return "viewer-token:" + who->credential_id;
  if (who->via == auth::Via::disabled || who->via == auth::Via::localhost) return {};
  return "user:" + who->user;
}

bool may_change(const std::optional<auth::Principal>& who, const std::string& owner) {
  if (owner.empty()) return true;  // created without accounts (auth disabled, localhost)
  if (!who) return false;
  return who->is_admin() || owner_key(who) == owner;
}

void require_camera(const Params& params, const std::string& camera_id) {
  if (params.who && !params.who->may_view(camera_id)) {
    throw Error(Errc::forbidden, "you may not watch camera '" + camera_id.substr(0, 64) + "'");
  }
}

}  // namespace camrelay::http
