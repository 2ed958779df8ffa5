#include "recording_queries.hpp"

#include "queries.hpp"
#include "sqlite_util.hpp"

namespace camrelay::store::detail {
namespace {

constexpr const char* kColumns =
    "id, camera_id, session_id, path, reason, status, start_ms, end_ms, duration_ms, bytes";

RecordingRow read_row(const Stmt& st) {
  RecordingRow r;
  r.id = st.col_int64(0);
  r.camera_id = st.col_text(1);
  r.session_id = st.col_text(2);
  r.path = st.col_text(3);
  r.reason = st.col_text(4);
  r.status = st.col_text(5);
  r.start_ms = st.col_int64(6);
  r.end_ms = st.col_opt_int64(7);
  r.duration_ms = st.col_int64(8);
  r.bytes = st.col_int64(9);
  return r;
}

std::vector<RecordingRow> read_all(Stmt& st) {
  std::vector<RecordingRow> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

}  // namespace

void insert_recording(sqlite3* db, const RecordingRow& r) {
  Stmt st(db,
          "INSERT INTO recordings (camera_id, session_id, path, reason, status, start_ms, end_ms, duration_ms, bytes) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
          "ON CONFLICT(path) DO UPDATE SET status = excluded.status, start_ms = excluded.start_ms");
  st.bind(1, r.camera_id).bind_text_or_null(2, r.session_id).bind(3, r.path).bind(4, r.reason);
  st.bind(5, r.status).bind(6, r.start_ms).bind(7, r.end_ms).bind(8, r.duration_ms).bind(9, r.bytes);
  st.run();
}

int close_recording(sqlite3* db, const std::string& path, std::int64_t end_ms, std::int64_t duration_ms,
                    std::int64_t bytes, const std::string& status) {
  Stmt st(db,
          "UPDATE recordings SET end_ms = ?2, duration_ms = ?3, bytes = ?4, status = ?5 "
          "WHERE path = ?1 AND status = 'recording'");
  st.bind(1, path).bind(2, end_ms).bind(3, duration_ms).bind(4, bytes).bind(5, status);
  return st.run();
}

std::vector<RecordingRow> list_recordings(sqlite3* db, const RecordingQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM recordings WHERE 1";
  int n = 0;
  std::vector<std::pair<int, std::string>> texts;
  std::vector<std::pair<int, std::int64_t>> ints;
  if (!q.camera_id.empty()) {
    sql += " AND camera_id = ?" + std::to_string(++n);
    texts.emplace_back(n, q.camera_id);
  }
  if (q.only_cameras) {
    sql += " AND camera_id IN (SELECT value FROM json_each(?" + std::to_string(++n) + "))";
    std::string arr = "[";
    for (std::size_t i = 0; i < q.only_cameras->size(); ++i) {
      // Camera ids are [A-Za-z0-9_-]: no quoting needed inside a JSON string.
      arr += (i ? ",\"" : "\"") + (*q.only_cameras)[i] + "\"";
    }
    texts.emplace_back(n, arr + "]");
  }
  if (q.from_ms) {
    sql += " AND (end_ms IS NULL OR end_ms >= ?" + std::to_string(++n) + ")";
    ints.emplace_back(n, *q.from_ms);
  }
  if (q.to_ms) {
    sql += " AND start_ms < ?" + std::to_string(++n);
    ints.emplace_back(n, *q.to_ms);
  }
  if (q.before_start_ms) {
    const int a = ++n;
    const int b = ++n;
    sql += " AND (start_ms < ?" + std::to_string(a) + " OR (start_ms = ?" + std::to_string(a) + " AND id < ?" +
           std::to_string(b) + "))";
    ints.emplace_back(a, q.before_start_ms);
    ints.emplace_back(b, q.before_id);
  }
  sql += " ORDER BY start_ms DESC, id DESC LIMIT ?" + std::to_string(++n);
  ints.emplace_back(n, clamp_limit(q.limit));
  Stmt st(db, sql);
  for (const auto& [i, v] : texts) st.bind(i, v);
  for (const auto& [i, v] : ints) st.bind(i, v);
  return read_all(st);
}

std::optional<RecordingRow> get_recording(sqlite3* db, std::int64_t id) {
  Stmt st(db, std::string("SELECT ") + kColumns + " FROM recordings WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

std::vector<RecordingRow> open_recordings(sqlite3* db) {
  Stmt st(db, std::string("SELECT ") + kColumns + " FROM recordings WHERE status = 'recording' ORDER BY id");
  return read_all(st);
}

std::vector<RecordingRow> closed_recordings(sqlite3* db) {
  Stmt st(db, std::string("SELECT ") + kColumns +
                  " FROM recordings WHERE status != 'recording' ORDER BY start_ms, id");
  return read_all(st);
}

std::vector<RecordingRow> camera_recordings(sqlite3* db, const std::string& camera_id) {
  Stmt st(db, std::string("SELECT ") + kColumns + " FROM recordings WHERE camera_id = ?1 ORDER BY start_ms, id");
  st.bind(1, camera_id);
  return read_all(st);
}

int delete_recordings(sqlite3* db, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return 0;
  Transaction tx(db);
  Stmt st(db, "DELETE FROM recordings WHERE id = ?1");
  int n = 0;
  for (auto id : ids) {
    st.reset();
    st.bind(1, id);
    n += st.run();
  }
  tx.commit();
  return n;
}

}  // namespace camrelay::store::detail
