#pragma once
// The recordings table's SQL (run on the store's worker thread). All throw SqliteError.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "camrelay/store/recording_rows.hpp"

namespace camrelay::store::detail {

void insert_recording(sqlite3* db, const RecordingRow& row);
// Only a row still "recording" is closed (the first close wins). Returns rows changed.
int close_recording(sqlite3* db, const std::string& path, std::int64_t end_ms, std::int64_t duration_ms,
                    std::int64_t bytes, const std::string& status);
std::vector<RecordingRow> list_recordings(sqlite3* db, const RecordingQuery& q);
std::optional<RecordingRow> get_recording(sqlite3* db, std::int64_t id);
std::vector<RecordingRow> open_recordings(sqlite3* db);
std::vector<RecordingRow> closed_recordings(sqlite3* db);
std::vector<RecordingRow> camera_recordings(sqlite3* db, const std::string& camera_id);
int delete_recordings(sqlite3* db, const std::vector<std::int64_t>& ids);

}  // namespace camrelay::store::detail
