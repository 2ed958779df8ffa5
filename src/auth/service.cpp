#include "camrelay/auth/service.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "camrelay/auth/crypto.hpp"
#include "camrelay/auth/viewer_token.hpp"
#include "camrelay/store/secret_box.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay/util/text.hpp"

namespace camrelay::auth {
namespace {

auto lg() {
  static auto l = log::get("auth");
  return l;
}

constexpr const char* kApiTokenPrefix = "crt_";
constexpr std::int64_t kMaxBlockMs = 15 * 60 * 1000;
constexpr std::size_t kMaxFailureEntries = 10000;

std::string cameras_json(const std::vector<std::string>& c) { return nlohmann::json(c).dump(); }

std::vector<std::string> parse_cameras(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j) {
    if (x.is_string()) out.push_back(x.get<std::string>());
  }
  return out;
}

bool grants_all(const std::vector<std::string>& c) {
  return std::find(c.begin(), c.end(), "*") != c.end();
}

// "Bearer <token>" (scheme case-insensitive) → token; otherwise empty.
std::string bearer_of(const std::string& h) {
  if (h.size() < 7) return {};
  std::string scheme = h.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer ") return {};
  auto t = h.substr(7);
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

}  // namespace

std::string load_or_create_key(const std::string& path) {
  return store::load_or_create_key(path, "signing key", "the viewer tokens signed with the old one stop working");
}

Service::Service(store::Store& store, const config::Auth& cfg, const std::string& data_dir, bool with_key)
    : store_(store), cfg_(cfg) {
  crypto_init();
  if (with_key) key_ = load_or_create_key((std::filesystem::path(data_dir) / "auth.key").string());
  load();
  data_version_ = store_.external_changes();
}

Service::~Service() = default;

void Service::check_user_name(const std::string& n) {
  const bool ok = !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '@';
  });
  if (!ok) throw Error(Errc::invalid_argument, "user names are 1 to 64 of A-Z a-z 0-9 _ - . @");
}

void Service::check_password(const std::string& p) {
  if (p.size() < 8) throw Error(Errc::invalid_argument, "passwords need at least 8 characters");
  if (p.size() > 1024) throw Error(Errc::invalid_argument, "passwords are at most 1024 bytes");
}

void Service::check_cameras(const std::vector<std::string>& cameras) const {
  for (const auto& c : cameras) {
    if (c != "*" && !valid_camera_id(c)) {
      throw Error(Errc::invalid_argument, "cameras: not a camera id: \"" + c.substr(0, 80) + "\"");
    }
  }
}

void Service::load() {
  const auto now = unix_now_s();
  store::AuthRows rows = store_.load_auth(now);
  std::map<std::string, User> users;
  for (auto& r : rows.users) {
    auto role = parse_role(r.role);
    if (!role) {
      lg()->warn("user {}: unknown role \"{}\", treated as viewer", r.name, r.role);
    }
    users[r.name] = User{r.password_hash, role.value_or(Role::viewer), parse_cameras(r.cameras_json), r.created_at,
                         r.updated_at};
  }
  std::unordered_map<std::string, Token> tokens;
  for (auto& t : rows.tokens) {
    tokens[t.token_hash] = Token{TokenInfo{t.id, t.user_name, t.label, t.created_at, t.expires_at, t.revoked_at},
                                 t.token_hash};
  }
  std::unordered_map<std::string, Session> sessions;
  for (auto& s : rows.sessions) sessions[s.id_hash] = Session{s.user_name, s.expires_at};
  std::unique_lock lk(mu_);
  users_ = std::move(users);
  tokens_ = std::move(tokens);
  sessions_ = std::move(sessions);
}

void Service::record(const Principal* who, const std::string& ip, std::string action, std::string target, int status,
                     std::string detail) {
  store::AuditRow row;
  row.at = unix_now_s();
  if (who) row.user = who->via == Via::viewer_token ? who->user + " (viewer token " + who->credential_id + ")"
                      : who->via == Via::api_token  ? who->user + " (token " + who->credential_id + ")"
                                                    : who->user;
  row.ip = ip;
  row.action = std::move(action);
  row.target = std::move(target);
  row.status = status;
  row.detail = std::move(detail);
  store_.append_audit(std::move(row));
}

void Service::audit_log(int limit, std::int64_t before_id, std::function<void(std::vector<store::AuditRow>)> done) {
  store_.list_audit(limit, before_id, std::move(done));
}

bool Service::reload_if_changed() {
  const auto v = store_.external_changes();
  if (v == data_version_) return false;
  data_version_ = v;
  load();
  lg()->info("accounts changed by another process: reloaded");
  return true;
}

std::optional<std::string> Service::bootstrap_admin(const std::string& password) {
  {
    std::shared_lock lk(mu_);
    if (!users_.empty()) return std::nullopt;
  }
  std::string pw = password.empty() ? generate_password() : password;
  check_password(pw);
  add_user("admin", pw, Role::admin, {"*"});
  return pw;
}

Principal Service::principal_of(const std::string& name, const User& u, Via via, std::string credential) const {
  Principal p;
  p.user = name;
  p.role = u.role;
  p.all_cameras = u.role == Role::admin || grants_all(u.cameras);
  if (!p.all_cameras) p.cameras.insert(u.cameras.begin(), u.cameras.end());
  p.via = via;
  p.credential_id = std::move(credential);
  return p;
}

std::optional<Principal> Service::from_bearer(const std::string& token, std::string* why) const {
  const auto now = unix_now_s();
  if (token.rfind(kApiTokenPrefix, 0) == 0) {
    const auto hash = sha256_hex(token);
    std::shared_lock lk(mu_);
    auto it = tokens_.find(hash);
    if (it == tokens_.end()) {
      *why = "unknown API token";
      return std::nullopt;
    }
    const auto& info = it->second.info;
    if (info.revoked_at) {
      *why = "API token " + info.id + " was revoked";
      return std::nullopt;
    }
    if (info.expires_at && *info.expires_at <= now) {
      *why = "API token " + info.id + " expired";
      return std::nullopt;
    }
    auto u = users_.find(info.user);
    if (u == users_.end()) {
      *why = "the API token's user no longer exists";
      return std::nullopt;
    }
    return principal_of(u->first, u->second, Via::api_token, info.id);
  }
  if (looks_like_jwt(token)) {
    if (key_.empty()) {
      *why = "viewer tokens are not available here";
      return std::nullopt;
    }
    auto claims = verify_viewer_token(key_, token, now, why);
    if (!claims) return std::nullopt;
    std::shared_lock lk(mu_);
    auto u = users_.find(claims->user);
    if (u == users_.end()) {
      *why = "the viewer token's user no longer exists";
      return std::nullopt;
    }
    // A viewer token watches; it never opens more than its user may watch today.
    Principal owner = principal_of(u->first, u->second, Via::viewer_token, claims->id);
    Principal p = owner;
    p.role = Role::viewer;
    p.cameras.clear();
    p.all_cameras = false;
    if (grants_all(claims->cameras)) {
      p.all_cameras = owner.all_cameras;
      if (!p.all_cameras) p.cameras = owner.cameras;
    } else {
      for (const auto& c : claims->cameras) {
        if (owner.may_view(c)) p.cameras.insert(c);
      }
    }
    return p;
  }
  *why = "unrecognised token";
  return std::nullopt;
}

AuthResult Service::authenticate(const Credentials& c) const {
  AuthResult r;
  if (cfg_.disabled) {
    r.outcome = AuthResult::Outcome::ok;
    r.who = Principal{"anonymous", Role::admin, true, {}, Via::disabled, {}};
    return r;
  }
  auto invalid = [&r](std::string why) {
    r.outcome = AuthResult::Outcome::invalid;
    r.why = std::move(why);
    return r;
  };
  if (!c.authorization.empty()) {
    const auto token = bearer_of(c.authorization);
    if (token.empty()) return invalid("only Bearer authorization is accepted");
    std::string why;
    r.who = from_bearer(token, &why);
    if (!r.who) return invalid(why);
    r.outcome = AuthResult::Outcome::ok;
    return r;
  }
  if (!c.session_cookie.empty()) {
    const auto hash = sha256_hex(c.session_cookie);
    std::shared_lock lk(mu_);
    auto s = sessions_.find(hash);
    if (s != sessions_.end() && s->second.expires_at > unix_now_s()) {
      auto u = users_.find(s->second.user);
      if (u != users_.end()) {
        r.who = principal_of(u->first, u->second, Via::session, "ses_" + hash.substr(0, 12));
        r.outcome = AuthResult::Outcome::ok;
        return r;
      }
    }
    // A stale cookie is not an attack: fall through (other credentials, or "missing").
  }
  if (!c.query_token.empty()) {
    if (!looks_like_jwt(c.query_token)) {
      return invalid("?token= takes viewer tokens only (API tokens belong in the Authorization header)");
    }
    std::string why;
    r.who = from_bearer(c.query_token, &why);
    if (!r.who) return invalid(why);
    r.outcome = AuthResult::Outcome::ok;
    return r;
  }
  if (cfg_.allow_localhost && is_loopback(c.remote_ip)) {
    r.outcome = AuthResult::Outcome::ok;
    r.who = Principal{"localhost", Role::admin, true, {}, Via::localhost, {}};
    return r;
  }
  r.outcome = AuthResult::Outcome::missing;
  return r;
}

int Service::login_retry_after_s(const std::string& ip) const {
  std::lock_guard lk(fail_mu_);
  auto it = failures_.find(ip);
  if (it == failures_.end()) return 0;
  const auto left = it->second.blocked_until_ms - mono_now_ms();
  return left > 0 ? static_cast<int>((left + 999) / 1000) : 0;
}

LoginResult Service::check_password_of(const std::string& name, const std::string& password, const std::string& ip) {
  LoginResult res;
  if (int wait = login_retry_after_s(ip); wait > 0) {
    res.outcome = LoginResult::Outcome::blocked;
    res.retry_after_s = wait;
    record(nullptr, ip, "login_blocked", "", 429, "user \"" + name.substr(0, 64) + "\"");
    return res;
  }
  std::string hash;
  bool known = false;
  {
    std::shared_lock lk(mu_);
    if (auto u = users_.find(name); u != users_.end()) {
      hash = u->second.password_hash;
      known = true;
    }
  }
  if (!known) {
    // The same work as for a real account: response times do not tell which names exist.
    std::call_once(dummy_once_, [this] { dummy_hash_ = hash_password(random_secret(16)); });
    hash = dummy_hash_;
  }
  const bool ok = verify_password(hash, password) && known;
  const auto now_ms = mono_now_ms();
  if (!ok) {
    std::lock_guard lk(fail_mu_);
    if (failures_.size() >= kMaxFailureEntries) {
      for (auto it = failures_.begin(); it != failures_.end();) {
        it = now_ms - it->second.last_ms > 3600 * 1000 ? failures_.erase(it) : std::next(it);
      }
      if (failures_.size() >= kMaxFailureEntries) failures_.clear();
    }
    auto& f = failures_[ip];
    if (now_ms - f.last_ms > 3600 * 1000) f.count = 0;  // an hour without attempts forgives
    f.last_ms = now_ms;
    ++f.count;
    const int over = f.count - cfg_.login_failures_before_backoff;
    if (over >= 0) {
      const std::int64_t block = std::min<std::int64_t>(kMaxBlockMs, 1000LL << std::min(over, 20));
      f.blocked_until_ms = now_ms + block;
      lg()->warn("login: {} failed attempts from {}; next attempt allowed in {} s", f.count, ip, (block + 999) / 1000);
    }
    lg()->info("login failed for \"{}\" from {}", name.substr(0, 64), ip);
    record(nullptr, ip, "login_failed", "", 401, "user \"" + name.substr(0, 64) + "\"");
    res.outcome = LoginResult::Outcome::bad_credentials;
    return res;
  }
  {
    std::lock_guard lk(fail_mu_);
    failures_.erase(ip);
  }
  {
    std::shared_lock lk(mu_);
    if (auto u = users_.find(name); u != users_.end()) res.who = principal_of(name, u->second, Via::password, "password");
  }
  if (!res.who) {  // deleted while its password was checked
    res.outcome = LoginResult::Outcome::bad_credentials;
    return res;
  }
  res.outcome = LoginResult::Outcome::ok;
  return res;
}

LoginResult Service::login(const std::string& name, const std::string& password, const std::string& ip,
                           const std::string& user_agent) {
  LoginResult res = check_password_of(name, password, ip);
  if (res.outcome != LoginResult::Outcome::ok) return res;
  const auto now = unix_now_s();
  std::string cookie = random_secret(32);
  store::AuthSessionRow row{sha256_hex(cookie), name, now, now + cfg_.session_ttl_s, ip, user_agent.substr(0, 256)};
  store_.put_auth_session(row);
  {
    std::unique_lock lk(mu_);
    sessions_[row.id_hash] = Session{name, row.expires_at};
    // Drop expired sessions while here (bounded work: they are few).
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.expires_at <= now ? sessions_.erase(it) : std::next(it);
    }
    auto u = users_.find(name);
    if (u != users_.end()) res.who = principal_of(name, u->second, Via::session, "ses_" + row.id_hash.substr(0, 12));
  }
  lg()->info("login: {} from {}", name, ip);
  record(res.who ? &*res.who : nullptr, ip, "login", "", 200);
  res.outcome = LoginResult::Outcome::ok;
  res.cookie_value = std::move(cookie);
  res.expires_at = row.expires_at;
  return res;
}

void Service::logout(const std::string& cookie_value) {
  if (cookie_value.empty()) return;
  const auto hash = sha256_hex(cookie_value);
  {
    std::unique_lock lk(mu_);
    if (!sessions_.erase(hash)) return;
  }
  store_.delete_auth_session(hash);
}

std::vector<UserInfo> Service::users() const {
  std::shared_lock lk(mu_);
  std::vector<UserInfo> out;
  for (const auto& [n, u] : users_) out.push_back({n, u.role, u.cameras, u.created_at, u.updated_at});
  return out;
}

std::optional<UserInfo> Service::user(const std::string& name) const {
  std::shared_lock lk(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  return UserInfo{it->first, it->second.role, it->second.cameras, it->second.created_at, it->second.updated_at};
}

std::size_t Service::admins() const {
  return static_cast<std::size_t>(
      std::count_if(users_.begin(), users_.end(), [](const auto& kv) { return kv.second.role == Role::admin; }));
}

void Service::add_user(const std::string& name, const std::string& password, Role role,
                       std::vector<std::string> cameras) {
  check_user_name(name);
  check_password(password);
  check_cameras(cameras);
  {
    std::shared_lock lk(mu_);
    if (users_.count(name)) throw Error(Errc::conflict, "user " + name + " exists");
  }
  const auto now = unix_now_s();
  User u{hash_password(password), role, std::move(cameras), now, now};
  store_.put_user({name, u.password_hash, to_string(role), cameras_json(u.cameras), now, now});
  std::unique_lock lk(mu_);
  users_[name] = std::move(u);
}

void Service::update_user(const std::string& name, const std::optional<std::string>& password,
                          std::optional<Role> role, std::optional<std::vector<std::string>> cameras) {
  if (password) check_password(*password);
  if (cameras) check_cameras(*cameras);
  std::string new_hash = password ? hash_password(*password) : std::string();
  User u;
  {
    std::shared_lock lk(mu_);
    auto it = users_.find(name);
    if (it == users_.end()) throw Error(Errc::not_found, "no user " + name);
    u = it->second;
    if (role && *role != Role::admin && u.role == Role::admin && admins() <= 1) {
      throw Error(Errc::conflict, "user " + name + " is the last admin");
    }
  }
  if (password) u.password_hash = new_hash;
  if (role) u.role = *role;
  if (cameras) u.cameras = std::move(*cameras);
  u.updated_at = unix_now_s();
  store_.put_user({name, u.password_hash, to_string(u.role), cameras_json(u.cameras), u.created_at, u.updated_at});
  if (password) store_.delete_user_sessions(name);
  std::unique_lock lk(mu_);
  users_[name] = std::move(u);
  if (password) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.user == name ? sessions_.erase(it) : std::next(it);
    }
  }
}

void Service::delete_user(const std::string& name) {
  {
    std::shared_lock lk(mu_);
    auto it = users_.find(name);
    if (it == users_.end()) throw Error(Errc::not_found, "no user " + name);
    if (it->second.role == Role::admin && admins() <= 1) {
      throw Error(Errc::conflict, "user " + name + " is the last admin");
    }
  }
  store_.delete_user(name);
  std::unique_lock lk(mu_);
  users_.erase(name);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second.info.user == name ? tokens_.erase(it) : std::next(it);
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.user == name ? sessions_.erase(it) : std::next(it);
  }
}

std::pair<TokenInfo, std::string> Service::create_token(const std::string& user, const std::string& label,
                                                        std::optional<std::int64_t> ttl_s) {
  if (label.size() > 200) throw Error(Errc::invalid_argument, "label: at most 200 bytes");
  if (ttl_s && (*ttl_s < 60 || *ttl_s > 10LL * 366 * 24 * 3600)) {
    throw Error(Errc::invalid_argument, "expires_in_s: 60 s to 10 years");
  }
  {
    std::shared_lock lk(mu_);
    if (!users_.count(user)) throw Error(Errc::not_found, "no user " + user);
  }
  const auto now = unix_now_s();
  std::string secret = kApiTokenPrefix + random_secret(32);
  Token t{TokenInfo{random_id("tok_"), user, label, now, ttl_s ? std::optional(now + *ttl_s) : std::nullopt, {}},
          sha256_hex(secret)};
  store_.put_api_token({t.info.id, user, label, t.hash, now, t.info.expires_at, std::nullopt});
  TokenInfo info = t.info;
  std::unique_lock lk(mu_);
  tokens_[t.hash] = std::move(t);
  return {info, secret};
}

std::vector<TokenInfo> Service::tokens(const std::optional<std::string>& user) const {
  std::shared_lock lk(mu_);
  std::vector<TokenInfo> out;
  for (const auto& [h, t] : tokens_) {
    if (!user || t.info.user == *user) out.push_back(t.info);
  }
  std::sort(out.begin(), out.end(),
            [](const TokenInfo& a, const TokenInfo& b) { return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id); });
  return out;
}

std::optional<TokenInfo> Service::token(const std::string& id) const {
  std::shared_lock lk(mu_);
  for (const auto& [h, t] : tokens_) {
    if (t.info.id == id) return t.info;
  }
  return std::nullopt;
}

void Service::revoke_token(const std::string& id) {
  const auto now = unix_now_s();
  {
    std::shared_lock lk(mu_);
    auto it = std::find_if(tokens_.begin(), tokens_.end(), [&](const auto& kv) { return kv.second.info.id == id; });
    if (it == tokens_.end()) throw Error(Errc::not_found, "no API token " + id);
    if (it->second.info.revoked_at) throw Error(Errc::conflict, "API token " + id + " is already revoked");
  }
  store_.revoke_api_token(id, now);
  std::unique_lock lk(mu_);
  for (auto& [h, t] : tokens_) {
    if (t.info.id == id) t.info.revoked_at = now;
  }
}

std::pair<std::string, std::int64_t> Service::mint_viewer_token(const Principal& by, std::vector<std::string> cameras,
                                                                std::int64_t ttl_s) {
  if (ttl_s < 1 || ttl_s > cfg_.viewer_token_max_ttl_s) {
    throw Error(Errc::invalid_argument,
                "ttl_s: 1 to " + std::to_string(cfg_.viewer_token_max_ttl_s) + " seconds (auth.viewer_token_max_ttl_s)");
  }
  if (cameras.empty()) throw Error(Errc::invalid_argument, "cameras: name at least one camera, or \"*\"");
  check_cameras(cameras);
  for (const auto& c : cameras) {
    if (c == "*" ? !(by.all_cameras || by.is_admin()) && by.cameras.empty() : !by.may_view(c)) {
      throw Error(Errc::forbidden, "you may not watch camera " + c);
    }
  }
  if (by.via == Via::disabled || by.via == Via::localhost) {
    throw Error(Errc::conflict, "viewer tokens need an account (auth is disabled or the request came from localhost)");
  }
  if (key_.empty()) throw Error(Errc::unavailable, "viewer tokens are not available here");
  const auto now = unix_now_s();
  ViewerClaims c{by.user, std::move(cameras), now, now + ttl_s, random_id("vt_")};
  return {sign_viewer_token(key_, c), c.expires_at};
}

}  // namespace camrelay::auth
