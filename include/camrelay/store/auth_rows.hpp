#pragma once
// Rows of the account tables (users, API tokens, login sessions). Secrets are never stored:
// passwords as Argon2id hashes, tokens and session ids as SHA-256 hashes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camrelay::store {

struct UserRow {
  std::string name;
  std::string password_hash;  // crypto_pwhash_str (Argon2id) text
  std::string role;           // admin | viewer
  std::string cameras_json;   // ["*"] = every camera, or a list of camera ids
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct ApiTokenRow {
  std::string id;          // public id ("tok_…"), shown in listings and used to revoke
  std::string user_name;
  std::string label;
  std::string token_hash;  // hex SHA-256 of the secret token
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
};

struct AuthSessionRow {
  std::string id_hash;  // hex SHA-256 of the cookie value
  std::string user_name;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::string ip_address;
  std::string user_agent;
};

// One line of the audit log: who did what, from where, with which result.
struct AuditRow {
  std::int64_t id = 0;  // assigned by the database
  std::int64_t at = 0;  // unix seconds
  std::string user;     // the account ("" = none: a failed login names the attempted user in detail)
  std::string ip;
  std::string action;   // "login", "login_failed", "logout", "POST /streams/{id}/stop", "user add" …
  std::string target;   // the request path without its query, or the account / token concerned
  int status = 0;       // HTTP status of the answer (0 for the command line)
  std::string detail;
};

struct AuthRows {
  std::vector<UserRow> users;
  std::vector<ApiTokenRow> tokens;
  std::vector<AuthSessionRow> sessions;  // unexpired only
};

}  // namespace camrelay::store
