// Login, logout, accounts, API tokens, viewer tokens, the route table (docs/security.md).
#include "api.hpp"
#include "auth_gate.hpp"
#include "await_reply.hpp"
#include "decode.hpp"
#include "worker_pool.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;
using auth::Role;

json user_json(const auth::UserInfo& u) {
  return {{"name", u.name}, {"role", auth::to_string(u.role)}, {"cameras", u.cameras},
          {"created_at", u.created_at}, {"updated_at", u.updated_at}};
}

json token_json(const auth::TokenInfo& t) {
  json j = {{"id", t.id}, {"user", t.user}, {"label", t.label}, {"created_at", t.created_at}};
  j["expires_at"] = t.expires_at ? json(*t.expires_at) : json(nullptr);
  j["revoked_at"] = t.revoked_at ? json(*t.revoked_at) : json(nullptr);
  return j;
}

json principal_json(const auth::Principal& p, bool disabled) {
  json cams = json::array();
  if (p.all_cameras || p.is_admin()) cams.push_back("*");
  for (const auto& c : p.cameras) cams.push_back(c);
  return {{"user", p.user}, {"role", auth::to_string(p.role)}, {"cameras", cams}, {"via", auth::to_string(p.via)},
          {"auth_disabled", disabled}};
}

// Over camrelay's own TLS, or behind a TLS-terminating proxy (docs/security.md): the cookie
// must be Secure.
bool secure_request(const Request& req, const Params& p) {
  return p.secure || req["X-Forwarded-Proto"] == "https";
}

std::string session_cookie(const Request& req, const Params& p, const std::string& value, std::int64_t max_age) {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age);
  if (secure_request(req, p)) c += "; Secure";
  return c;
}

bool is_form(const Request& req) {
  std::string_view ct = req[bhttp::field::content_type];
  return ct.substr(0, ct.find(';')) == "application/x-www-form-urlencoded";
}

Response redirect(const Request& req, const std::string& to) {
  Response res{bhttp::status::see_other, req.version()};
  res.set(bhttp::field::location, to);
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

const auth::Principal& who(const Params& p) {
  if (!p.who) throw Error(Errc::unauthenticated, "log in first");
  return *p.who;
}

}  // namespace

void register_auth_api(Router& r, std::shared_ptr<auth::Service> a, const StaticFiles& files,
                       std::function<std::vector<Server::RouteEntry>()> routes) {
  using V = bhttp::verb;
  // Password hashing (Argon2id: tens of ms, 64 MiB), one at a time: a burst of logins waits
  // its turn instead of stalling streams.
  auto pool = std::make_shared<WorkerPool>(1);
  const StaticFiles* f = &files;

  r.add(V::get, "/login", Access::open, [f](const Request& req, const Params&) -> asio::awaitable<Response> {
    co_return f->serve(req, "login.html");
  });

  // JSON {"username","password"} → 200 + cookie; or an HTML form → 303 to ?next= (or /).
  r.add(V::post, "/auth/login", Access::open, [a, pool](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const bool form = is_form(req);
    const LoginRequest lq = decode_login(req.body(), form);
    const std::string& user = lq.user;
    const std::string& password = lq.password;
    const std::string& next = lq.next;
    if (a->disabled()) throw Error(Errc::conflict, "auth is disabled (auth.disabled): there is nothing to log in to");
    const std::string ip = p.remote_ip, ua(req[bhttp::field::user_agent]);
    auto op = pool->run<auth::LoginResult>([a, user, password, ip, ua] { return a->login(user, password, ip, ua); });
    auth::LoginResult lr = co_await std::move(op);
    if (lr.outcome == auth::LoginResult::Outcome::blocked) {
      Response res = error_response(req, bhttp::status::too_many_requests, "too_many_requests",
                                    "too many failed logins from your address; try again in " +
                                        std::to_string(lr.retry_after_s) + " s");
      res.set(bhttp::field::retry_after, std::to_string(lr.retry_after_s));
      co_return res;
    }
    if (lr.outcome != auth::LoginResult::Outcome::ok) {
      if (form) co_return redirect(req, "/login?failed=1&next=" + next);
      co_return error_response(req, bhttp::status::unauthorized, "unauthenticated", "wrong user name or password");
    }
    const std::int64_t max_age = a->config().session_ttl_s;
    Response res = form ? redirect(req, next) : json_response(req, {{"user", lr.who->user},
                                                                    {"role", auth::to_string(lr.who->role)},
                                                                    {"expires_at", lr.expires_at}});
    res.set(bhttp::field::set_cookie, session_cookie(req, p, lr.cookie_value, max_age));
    co_return res;
  });

  r.add(V::post, "/auth/logout", Access::open, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    a->logout(cookie_value(req, kSessionCookie));
    Response res = is_form(req) ? redirect(req, "/login") : text_response(req, bhttp::status::no_content, "", "text/plain");
    res.set(bhttp::field::set_cookie, session_cookie(req, p, "", 0));
    co_return res;
  });

  r.add(V::get, "/auth/me", Access::user, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    co_return json_response(req, principal_json(who(p), a->disabled()));
  });

  // One's own password (sessions and tokens of others stay; one's other sessions end).
  r.add(V::post, "/auth/password", Access::user, [a, pool](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const auto& me = who(p);
    if (me.via != auth::Via::session && me.via != auth::Via::api_token) {
      throw Error(Errc::forbidden, "log in with your account to change its password");
    }
    const PasswordChange pc = decode_password_change(parse_json_body(req));
    const std::string current = pc.current, next = pc.next;
    const std::string name = me.user, ip = p.remote_ip;
    auto op = pool->run<bool>([a, name, current, next, ip] {
      auto lr = a->check_password_of(name, current, ip);
      if (lr.outcome == auth::LoginResult::Outcome::blocked) throw Error(Errc::too_many_requests, "too many failed attempts; wait");
      if (lr.outcome != auth::LoginResult::Outcome::ok) throw Error(Errc::forbidden, "the current password is wrong");
      a->update_user(name, next, std::nullopt, std::nullopt);
      return true;
    });
    co_await std::move(op);
    co_return text_response(req, bhttp::status::no_content, "", "text/plain");
  });

  // ---- users (admin) ----
  r.add(V::get, "/auth/users", Access::admin, [a](const Request& req, const Params&) -> asio::awaitable<Response> {
    json arr = json::array();
    for (const auto& u : a->users()) arr.push_back(user_json(u));
    co_return json_response(req, {{"users", arr}, {"count", arr.size()}});
  });
  r.add(V::post, "/auth/users", Access::admin, [a, pool](const Request& req, const Params&) -> asio::awaitable<Response> {
    NewUser nu = decode_new_user(parse_json_body(req));
    const std::string name = nu.name, password = nu.password;
    const Role role = nu.role;
    auto cams = std::move(nu.cameras);
    auto op = pool->run<bool>([a, name, password, role, cams] {
      a->add_user(name, password, role, cams);
      return true;
    });
    co_await std::move(op);
    co_return json_response(req, user_json(*a->user(name)), bhttp::status::created);
  });
  r.add(V::patch, "/auth/users/{name}", Access::admin, [a, pool](const Request& req, const Params& p) -> asio::awaitable<Response> {
    UserPatch up = decode_user_patch(parse_json_body(req));
    const std::string name = p.at("name");
    auto password = std::move(up.password);
    auto role = up.role;
    auto cams = std::move(up.cameras);
    auto op = pool->run<bool>([a, name, password, role, cams] {
      a->update_user(name, password, role, cams);
      return true;
    });
    co_await std::move(op);
    co_return json_response(req, user_json(*a->user(name)));
  });
  r.add(V::delete_, "/auth/users/{name}", Access::admin, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    a->delete_user(p.at("name"));
    co_return text_response(req, bhttp::status::no_content, "", "text/plain");
  });

  // ---- API tokens: one's own; an admin may name another user ----
  r.add(V::get, "/auth/tokens", Access::user, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const auto& me = who(p);
    json arr = json::array();
    for (const auto& t : a->tokens(me.is_admin() ? std::nullopt : std::optional(me.user))) arr.push_back(token_json(t));
    co_return json_response(req, {{"tokens", arr}, {"count", arr.size()}});
  });
  r.add(V::post, "/auth/tokens", Access::user, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const auto& me = who(p);
    if (me.via == auth::Via::viewer_token) throw Error(Errc::forbidden, "viewer tokens cannot create API tokens");
    const TokenRequest tr = decode_token_request(parse_json_body(req));
    const std::string user = tr.user.empty() ? me.user : tr.user;
    if (user != me.user && !me.is_admin()) throw Error(Errc::forbidden, "only admins create tokens for other users");
    auto [info, secret] = a->create_token(user, tr.label, tr.expires_in_s);
    json j = token_json(info);
    j["token"] = secret;
    j["note"] = "the token is shown this once; send it as Authorization: Bearer <token>";
    co_return json_response(req, j, bhttp::status::created);
  });
  r.add(V::delete_, "/auth/tokens/{tid}", Access::user, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const auto& me = who(p);
    auto t = a->token(p.at("tid"));
    if (!t || (t->user != me.user && !me.is_admin())) throw Error(Errc::not_found, "no API token " + p.at("tid"));
    a->revoke_token(t->id);
    co_return text_response(req, bhttp::status::no_content, "", "text/plain");
  });

  // ---- viewer tokens: links that open some cameras for a while ----
  r.add(V::post, "/auth/viewer-tokens", Access::user, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const auto& me = who(p);
    if (me.via == auth::Via::viewer_token) throw Error(Errc::forbidden, "viewer tokens cannot mint viewer tokens");
    const ViewerTokenRequest vr = decode_viewer_token_request(parse_json_body(req));
    const auto* cams = &vr.cameras;
    const std::int64_t ttl = vr.ttl_s;
    auto [token, exp] = a->mint_viewer_token(me, *cams, ttl);
    json urls = json::object();
    if (cams->size() == 1 && (*cams)[0] != "*") {
      const std::string& c = (*cams)[0];
      urls = {{"viewer", "/viewer?camera=" + c + "&token=" + token},
              {"hls", "/streams/" + c + "/hls/index.m3u8?token=" + token},
              {"mjpeg", "/streams/" + c + "/mjpeg?token=" + token},
              {"snapshot", "/streams/" + c + "/snapshot.jpg?token=" + token},
              {"whep", "/streams/" + c + "/whep"}};
    }
    co_return json_response(req, {{"token", token}, {"expires_at", exp}, {"cameras", *cams}, {"urls", urls}},
                            bhttp::status::created);
  });

  // ---- the audit log, newest first; page with ?before=<id of the last row seen> ----
  r.add(V::get, "/audit", Access::admin, [a](const Request& req, const Params& p) -> asio::awaitable<Response> {
    int limit = 100;
    std::int64_t before = 0;
    try {
      if (auto v = p.query_or("limit"); !v.empty()) limit = std::stoi(v);
      if (auto v = p.query_or("before"); !v.empty()) before = std::stoll(v);
    } catch (const std::exception&) {
      throw Error(Errc::invalid_argument, "limit and before must be integers");
    }
    if (limit < 1 || limit > 1000) throw Error(Errc::invalid_argument, "limit: 1 to 1000");
    auto op = await_reply<std::vector<store::AuditRow>>(
        [a, limit, before](std::function<void(std::exception_ptr, std::vector<store::AuditRow>)> cb) {
          a->audit_log(limit, before, [cb](std::vector<store::AuditRow> rows) { cb(nullptr, std::move(rows)); });
        });
    auto rows = co_await std::move(op);
    json arr = json::array();
    for (const auto& e : rows) {
      arr.push_back({{"id", e.id}, {"at", e.at}, {"user", e.user}, {"ip", e.ip}, {"action", e.action},
                     {"target", e.target}, {"status", e.status}, {"detail", e.detail}});
    }
    json body = {{"entries", arr}, {"count", arr.size()}};
    body["next"] = rows.size() == static_cast<std::size_t>(limit) && !rows.empty()
                       ? json("/audit?limit=" + std::to_string(limit) + "&before=" + std::to_string(rows.back().id))
                       : json(nullptr);
    co_return json_response(req, body);
  });

  // ---- every route and who may call it ----
  r.add(V::get, "/auth/routes", Access::admin, [routes](const Request& req, const Params&) -> asio::awaitable<Response> {
    json arr = json::array();
    for (const auto& e : routes()) {
      arr.push_back({{"method", e.method}, {"path", e.pattern}, {"access", to_string(e.access)}, {"kind", e.kind}});
    }
    co_return json_response(req, {{"routes", arr}, {"count", arr.size()}});
  });
}

}  // namespace camrelay::http
