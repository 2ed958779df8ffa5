#include "auth_queries.hpp"

#include <algorithm>

#include "sqlite_util.hpp"

namespace camrelay::store::detail {

AuthRows load_auth(sqlite3* db, std::int64_t now_s) {
  AuthRows out;
  Transaction tx(db);
  Stmt(db, "DELETE FROM auth_sessions WHERE expires_at <= ?1").bind(1, now_s).run();
  {
    Stmt st(db, "SELECT name, password_hash, role, cameras, created_at, updated_at FROM users ORDER BY name");
    while (st.step()) {
      out.users.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3),
                           st.col_int64(4), st.col_int64(5)});
    }
  }
  {
    Stmt st(db, "SELECT id, user_name, label, token_hash, created_at, expires_at, revoked_at "
                "FROM api_tokens ORDER BY created_at, id");
    while (st.step()) {
      out.tokens.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3),
                            st.col_int64(4), st.col_opt_int64(5), st.col_opt_int64(6)});
    }
  }
  {
    Stmt st(db, "SELECT id_hash, user_name, created_at, expires_at, ip_address, user_agent FROM auth_sessions");
    while (st.step()) {
      out.sessions.push_back({st.col_text(0), st.col_text(1), st.col_int64(2), st.col_int64(3),
                              st.col_text(4), st.col_text(5)});
    }
  }
  tx.commit();
  return out;
}

void put_user(sqlite3* db, const UserRow& r) {
  Stmt(db,
       "INSERT INTO users (name, password_hash, role, cameras, created_at, updated_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO UPDATE SET "
       "password_hash = excluded.password_hash, role = excluded.role, cameras = excluded.cameras, "
       "updated_at = excluded.updated_at")
      .bind(1, r.name)
      .bind(2, r.password_hash)
      .bind(3, r.role)
      .bind(4, r.cameras_json)
      .bind(5, r.created_at)
      .bind(6, r.updated_at)
      .run();
}

bool delete_user(sqlite3* db, const std::string& name) {
  Transaction tx(db);
  // Explicit (not only ON DELETE CASCADE): a database adopted with foreign keys off still
  // loses the user's credentials.
  Stmt(db, "DELETE FROM api_tokens WHERE user_name = ?1").bind(1, name).run();
  Stmt(db, "DELETE FROM auth_sessions WHERE user_name = ?1").bind(1, name).run();
  const int n = Stmt(db, "DELETE FROM users WHERE name = ?1").bind(1, name).run();
  tx.commit();
  return n > 0;
}

void put_api_token(sqlite3* db, const ApiTokenRow& r) {
  Stmt(db,
       "INSERT INTO api_tokens (id, user_name, label, token_hash, created_at, expires_at, revoked_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind(1, r.id)
      .bind(2, r.user_name)
      .bind(3, r.label)
      .bind(4, r.token_hash)
      .bind(5, r.created_at)
      .bind(6, r.expires_at)
      .bind(7, r.revoked_at)
      .run();
}

bool revoke_api_token(sqlite3* db, const std::string& id, std::int64_t at) {
  return Stmt(db, "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
             .bind(1, id)
             .bind(2, at)
             .run() > 0;
}

void put_auth_session(sqlite3* db, const AuthSessionRow& r) {
  Stmt(db,
       "INSERT OR REPLACE INTO auth_sessions (id_hash, user_name, created_at, expires_at, ip_address, user_agent) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, r.id_hash)
      .bind(2, r.user_name)
      .bind(3, r.created_at)
      .bind(4, r.expires_at)
      .bind_text_or_null(5, r.ip_address)
      .bind_text_or_null(6, r.user_agent)
      .run();
}

void delete_auth_session(sqlite3* db, const std::string& id_hash) {
  Stmt(db, "DELETE FROM auth_sessions WHERE id_hash = ?1").bind(1, id_hash).run();
}

void delete_user_sessions(sqlite3* db, const std::string& user_name) {
  Stmt(db, "DELETE FROM auth_sessions WHERE user_name = ?1").bind(1, user_name).run();
}

void append_audit(sqlite3* db, const AuditRow& r) {
  Stmt(db, "INSERT INTO audit_log (at, user, ip, action, target, status, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind(1, r.at)
      .bind_text_or_null(2, r.user)
      .bind_text_or_null(3, r.ip)
      .bind(4, r.action)
      .bind_text_or_null(5, r.target)
      .bind(6, r.status)
      .bind_text_or_null(7, r.detail)
      .run();
}

std::vector<AuditRow> list_audit(sqlite3* db, int limit, std::int64_t before_id) {
  Stmt st(db, before_id > 0 ? "SELECT id, at, user, ip, action, target, status, detail FROM audit_log "
                              "WHERE id < ?2 ORDER BY id DESC LIMIT ?1"
                            : "SELECT id, at, user, ip, action, target, status, detail FROM audit_log "
                              "ORDER BY id DESC LIMIT ?1");
  st.bind(1, std::max(1, std::min(limit, 1000)));
  if (before_id > 0) st.bind(2, before_id);
  std::vector<AuditRow> out;
  while (st.step()) {
    out.push_back({st.col_int64(0), st.col_int64(1), st.col_text(2), st.col_text(3), st.col_text(4),
                   st.col_text(5), st.col_int(6), st.col_text(7)});
  }
  return out;
}

}  // namespace camrelay::store::detail
