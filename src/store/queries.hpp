#pragma once
// The store's SQL, as plain functions over a connection (run on the worker thread).
// All throw SqliteError on failure.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "camrelay/store/store.hpp"

namespace camrelay::store::detail {

constexpr int kMinListLimit = 1;
constexpr int kMaxListLimit = 1000;
int clamp_limit(int limit);

// Upserts in one transaction; created_at is kept for existing rows, updated_at only moves
// when name, source_type or config_json actually changed.
void upsert_cameras(sqlite3* db, const std::vector<CameraRow>& cameras, std::int64_t now_s);
void insert_stream_session(sqlite3* db, const StreamSessionRow& row);
// ended_at / error_message keep their previous value when nullopt. Returns rows changed.
int update_stream_session(sqlite3* db, const std::string& session_id, const std::string& status,
                          std::int64_t updated_at, const std::optional<std::int64_t>& ended_at,
                          const std::optional<std::string>& error_message);
void insert_viewer_session(sqlite3* db, const ViewerSessionRow& row);
// Only closes a viewer that is still open (the first close wins). Returns rows changed.
int close_viewer_session(sqlite3* db, const std::string& viewer_id, std::int64_t disconnected_at,
                         const std::string& reason);
std::vector<StreamSessionRow> list_stream_sessions(sqlite3* db, const std::string& camera_id,
                                                   int limit);
std::vector<ViewerSessionRow> list_viewer_sessions(sqlite3* db, const std::string& camera_id,
                                                   bool only_open, int limit);
// See Store::recover_stale_sessions; one transaction. Returns stream sessions changed.
int recover_stale_sessions(sqlite3* db, std::int64_t now_s);

}  // namespace camrelay::store::detail
