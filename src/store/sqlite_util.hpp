#pragma once
// Small RAII helpers over the SQLite C API (private to the store module).
// Every failure throws SqliteError carrying sqlite3_errmsg(); values are always bound by
// index, never spliced into SQL text.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace camrelay::store::detail {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Throws SqliteError carrying the connection's current error (sqlite3_errmsg).
[[noreturn]] void throw_error(sqlite3* db);

// Runs SQL text that takes no parameters (may hold several statements).
void exec(sqlite3* db, const char* sql);

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& bind(int idx, std::int64_t v);
  Stmt& bind(int idx, int v) { return bind(idx, static_cast<std::int64_t>(v)); }
  Stmt& bind(int idx, std::string_view v);
  Stmt& bind(int idx, const char* v) { return bind(idx, std::string_view(v)); }
  Stmt& bind(int idx, const std::string& v) { return bind(idx, std::string_view(v)); }
  Stmt& bind_null(int idx);
  Stmt& bind(int idx, const std::optional<std::int64_t>& v);
  Stmt& bind(int idx, const std::optional<std::string>& v);
  // Empty string -> NULL (for nullable id/text columns).
  Stmt& bind_text_or_null(int idx, std::string_view v);
  // Bytes as a BLOB; empty -> NULL.
  Stmt& bind_blob_or_null(int idx, std::string_view bytes);

  // Returns true when a row is available, false when done; throws on error.
  bool step();
  // Steps a statement that returns no rows; returns sqlite3_changes().
  int run();
  void reset();

  // Columns are 0-based. NULL text reads as "", NULL integer as 0.
  std::int64_t col_int64(int col) const;
  int col_int(int col) const;
  std::string col_text(int col) const;
  std::string col_blob(int col) const;  // NULL reads as ""
  bool col_is_null(int col) const;
  std::optional<std::int64_t> col_opt_int64(int col) const;
  std::optional<std::string> col_opt_text(int col) const;

  sqlite3_stmt* get() const noexcept { return stmt_; }

 private:
  void check_bind(int rc, int idx);
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

// Reads a single-value PRAGMA (e.g. "PRAGMA user_version") as an integer / text.
std::int64_t pragma_int(sqlite3* db, const char* sql);
std::string pragma_text(sqlite3* db, const char* sql);

}  // namespace camrelay::store::detail
