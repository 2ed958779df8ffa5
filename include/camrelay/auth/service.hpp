#pragma once
// Accounts and credentials (docs/security.md). One owner of the account state: the
// users, API tokens and login sessions live here in memory (guarded by one mutex, read by
// every HTTP thread) and are written through to the store's account tables. Changes made
// by `camrelay user …` in another process are picked up by reload_if_changed().
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "camrelay/auth/principal.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/store/auth_rows.hpp"

namespace camrelay::store {
class Store;
}

namespace camrelay::auth {

// What a request carried. Empty strings = absent.
struct Credentials {
  std::string authorization;   // the Authorization header as sent
  std::string session_cookie;  // value of the camrelay_session cookie
  std::string query_token;     // ?token= (viewer tokens only)
  std::string remote_ip;
};

struct AuthResult {
  enum class Outcome { ok, missing, invalid } outcome = Outcome::missing;
  std::optional<Principal> who;
  std::string why;  // for invalid: what was wrong (never the secret)
};

struct UserInfo {
  std::string name;
  Role role = Role::viewer;
  std::vector<std::string> cameras;  // {"*"} = every camera
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct TokenInfo {
  std::string id;
  std::string user;
  std::string label;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
};

struct LoginResult {
  enum class Outcome { ok, bad_credentials, blocked } outcome = Outcome::bad_credentials;
  std::string cookie_value;  // ok: the session cookie's value (secret; only its hash is kept)
  std::int64_t expires_at = 0;
  std::optional<Principal> who;
  int retry_after_s = 0;  // blocked
};

class Service {
 public:
  // Reads or creates the signing key (<data_dir>/auth.key, mode 0600; refuses a key file
  // others can read: Error(invalid_argument)) and loads the accounts.
  // with_key = false (the `camrelay user …` commands): no signing key is read or created,
  // and viewer tokens can be neither minted nor checked.
  Service(store::Store& store, const config::Auth& cfg, const std::string& data_dir, bool with_key = true);
  ~Service();

  bool disabled() const noexcept { return cfg_.disabled; }
  const config::Auth& config() const noexcept { return cfg_; }

  // With no account yet, creates "admin" with `password` (generated when empty) and returns
  // the password, to be shown once. nullopt when accounts exist.
  std::optional<std::string> bootstrap_admin(const std::string& password = {});

  // Cheap (no password hashing): API tokens and session ids are compared by SHA-256.
  AuthResult authenticate(const Credentials& c) const;

  // Argon2id verification: tens of milliseconds and 64 MiB; callers run it off their
  // network thread. Failed attempts per client IP lead to a doubling lock-out.
  LoginResult login(const std::string& user, const std::string& password, const std::string& ip,
                    const std::string& user_agent);
  void logout(const std::string& cookie_value);
  // The password check of login(), with its lock-out and audit lines, without a session
  // (a password change confirms the current one; RTSP Basic). Outcome
  // ok / bad_credentials / blocked; ok carries who (Via::password).
  LoginResult check_password_of(const std::string& user, const std::string& password, const std::string& ip);
  // Seconds an IP must wait before the next login attempt (0 = may try).
  int login_retry_after_s(const std::string& ip) const;

  // ---- accounts (the admin API and the CLI). Errors: camrelay::Error with a message. ----
  std::vector<UserInfo> users() const;
  std::optional<UserInfo> user(const std::string& name) const;
  void add_user(const std::string& name, const std::string& password, Role role,
                std::vector<std::string> cameras);
  // Unset fields keep their value. A new password ends the user's login sessions.
  void update_user(const std::string& name, const std::optional<std::string>& password,
                   std::optional<Role> role, std::optional<std::vector<std::string>> cameras);
  void delete_user(const std::string& name);  // not the last admin

  // Returns the token's description and its secret (shown once).
  std::pair<TokenInfo, std::string> create_token(const std::string& user, const std::string& label,
                                                 std::optional<std::int64_t> ttl_s);
  std::vector<TokenInfo> tokens(const std::optional<std::string>& user = std::nullopt) const;
  std::optional<TokenInfo> token(const std::string& id) const;
  void revoke_token(const std::string& id);

  // A viewer token for `cameras` ({"*"} = every camera `by` may watch), valid ttl_s seconds
  // (≤ auth.viewer_token_max_ttl_s). Only cameras `by` may view. Returns {token, expires_at}.
  std::pair<std::string, std::int64_t> mint_viewer_token(const Principal& by, std::vector<std::string> cameras,
                                                         std::int64_t ttl_s);

  // The audit log (docs/security.md): queued, never blocks the caller.
  void record(const Principal* who, const std::string& ip, std::string action, std::string target, int status,
              std::string detail = {});
  void audit_log(int limit, std::int64_t before_id, std::function<void(std::vector<store::AuditRow>)> done);

  // Reloads the accounts when another process changed the database since the last call.
  // Returns true if it reloaded.
  bool reload_if_changed();

  // Validation shared with the CLI: names [A-Za-z0-9_.@-]{1,64}, passwords 8..1024 bytes.
  static void check_user_name(const std::string& name);
  static void check_password(const std::string& password);

 private:
  struct User {
    std::string password_hash;
    Role role = Role::viewer;
    std::vector<std::string> cameras;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
  };
  struct Token {
    TokenInfo info;
    std::string hash;
  };
  struct Session {
    std::string user;
    std::int64_t expires_at = 0;
  };
  struct Failures {
    int count = 0;
    std::int64_t blocked_until_ms = 0;
    std::int64_t last_ms = 0;
  };

  void load();  // store → memory (replaces everything)
  Principal principal_of(const std::string& name, const User& u, Via via, std::string credential) const;
  std::optional<Principal> from_bearer(const std::string& token, std::string* why) const;
  void check_cameras(const std::vector<std::string>& cameras) const;
  std::size_t admins() const;  // caller holds mu_

  store::Store& store_;
  const config::Auth cfg_;
  std::string key_;  // HS256 key of viewer tokens
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown users (same time as a real user)

  mutable std::shared_mutex mu_;
  std::map<std::string, User> users_;
  std::unordered_map<std::string, Token> tokens_;      // by token hash
  std::unordered_map<std::string, Session> sessions_;  // by cookie hash
  std::int64_t data_version_ = -1;

  mutable std::mutex fail_mu_;
  std::unordered_map<std::string, Failures> failures_;  // by client IP
};

// Reads or creates a 32-byte secret file with mode 0600. Throws Error(invalid_argument)
// when the file exists and group or others may read it, or has the wrong size.
std::string load_or_create_key(const std::string& path);

}  // namespace camrelay::auth
