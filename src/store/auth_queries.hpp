#pragma once
// The account tables' SQL (run on the store's worker thread). All throw SqliteError.
#include <cstdint>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "camrelay/store/auth_rows.hpp"

namespace camrelay::store::detail {

AuthRows load_auth(sqlite3* db, std::int64_t now_s);
void put_user(sqlite3* db, const UserRow& row);
bool delete_user(sqlite3* db, const std::string& name);
void put_api_token(sqlite3* db, const ApiTokenRow& row);
bool revoke_api_token(sqlite3* db, const std::string& id, std::int64_t at);
void put_auth_session(sqlite3* db, const AuthSessionRow& row);
void delete_auth_session(sqlite3* db, const std::string& id_hash);
void delete_user_sessions(sqlite3* db, const std::string& user_name);
void append_audit(sqlite3* db, const AuditRow& row);
std::vector<AuditRow> list_audit(sqlite3* db, int limit, std::int64_t before_id);

}  // namespace camrelay::store::detail
