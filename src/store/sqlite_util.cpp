#include "sqlite_util.hpp"

#include <climits>

namespace camrelay::store::detail {

void throw_error(sqlite3* db) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  throw SqliteError(code, db ? sqlite3_errmsg(db) : "no database connection");
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, std::move(msg));
  }
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) throw SqliteError(SQLITE_TOOBIG, "SQL too long");
  const int rc =
      sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw_error(db);
  }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::check_bind(int rc, int idx) {
  if (rc != SQLITE_OK) {
    throw SqliteError(rc, "bind parameter " + std::to_string(idx) + ": " + sqlite3_errstr(rc));
  }
}

Stmt& Stmt::bind(int idx, std::int64_t v) {
  check_bind(sqlite3_bind_int64(stmt_, idx, v), idx);
  return *this;
}

Stmt& Stmt::bind(int idx, std::string_view v) {
  // SQLITE_TRANSIENT: SQLite copies the text, so temporaries are safe.
  check_bind(sqlite3_bind_text64(stmt_, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             idx);
  return *this;
}

Stmt& Stmt::bind_null(int idx) {
  check_bind(sqlite3_bind_null(stmt_, idx), idx);
  return *this;
}

Stmt& Stmt::bind(int idx, const std::optional<std::int64_t>& v) {
  return v ? bind(idx, *v) : bind_null(idx);
}

Stmt& Stmt::bind(int idx, const std::optional<std::string>& v) {
  return v ? bind(idx, std::string_view(*v)) : bind_null(idx);
}

Stmt& Stmt::bind_text_or_null(int idx, std::string_view v) {
  return v.empty() ? bind_null(idx) : bind(idx, v);
}

Stmt& Stmt::bind_blob_or_null(int idx, std::string_view bytes) {
  if (bytes.empty()) return bind_null(idx);
  check_bind(sqlite3_bind_blob64(stmt_, idx, bytes.data(), bytes.size(), SQLITE_TRANSIENT), idx);
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(db_);
}

int Stmt::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Stmt::col_int64(int col) const { return sqlite3_column_int64(stmt_, col); }

int Stmt::col_int(int col) const { return sqlite3_column_int(stmt_, col); }

std::string Stmt::col_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  const int n = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::string Stmt::col_blob(int col) const {
  const auto* p = sqlite3_column_blob(stmt_, col);
  if (!p) return {};
  const int n = sqlite3_column_bytes(stmt_, col);
  return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

bool Stmt::col_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::optional<std::int64_t> Stmt::col_opt_int64(int col) const {
  if (col_is_null(col)) return std::nullopt;
  return col_int64(col);
}

std::optional<std::string> Stmt::col_opt_text(int col) const {
  if (col_is_null(col)) return std::nullopt;
  return col_text(col);
}

Transaction::Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    // Best effort: the connection may already have rolled back on its own.
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  exec(db_, "COMMIT");
  done_ = true;
}

std::int64_t pragma_int(sqlite3* db, const char* sql) {
  Stmt st(db, sql);
  return st.step() ? st.col_int64(0) : 0;
}

std::string pragma_text(sqlite3* db, const char* sql) {
  Stmt st(db, sql);
  return st.step() ? st.col_text(0) : std::string();
}

}  // namespace camrelay::store::detail
